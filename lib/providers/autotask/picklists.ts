// Picklists from entityInformation/fields (ticket statuses, priorities, queues, issue types, sources; note types and publish levels), cached per connection.
import type { PsaCache } from '../../cache';
import { PsaError } from '../errors';
import type { PsaBoard, PsaChoice, PsaPriority, PsaStatus } from '../types';
import type { AutotaskClient } from './client';
import { isObject } from '../values';
import { COMPLETE_STATUS, type Labels, fieldOf, idOf } from './read';

const PICKLIST_TTL_MS = 60 * 60 * 1000;

export interface PicklistValue {
	value: number;
	label: string;
	isDefault: boolean;
	sortOrder: number;
	isActive: boolean;
	/** The value of the parent picklist this value belongs to (a sub-issue type's issue type), when it has one. */
	parentValue?: number;
}

export type EntityPicklists = Record<string, PicklistValue[]>;

function readValues(raw: unknown): PicklistValue[] {
	if (!Array.isArray(raw)) return [];
	const values: PicklistValue[] = [];
	for (const entry of raw) {
		if (!isObject(entry)) continue;
		// Picklist values arrive as strings ("5") even for integer fields.
		const value = idOf(fieldOf(entry, 'value'));
		if (value === undefined) continue;
		const active = fieldOf(entry, 'isActive');
		const parentValue = idOf(fieldOf(entry, 'parentValue'));
		values.push({
			value,
			label: String(fieldOf(entry, 'label') ?? value),
			isDefault: fieldOf(entry, 'isDefaultValue') === true,
			sortOrder: Number(fieldOf(entry, 'sortOrder') ?? 0) || 0,
			isActive: active === undefined ? true : active === true,
			...(parentValue !== undefined ? { parentValue } : {}),
		});
	}
	return values.sort((a, b) => a.sortOrder - b.sortOrder || a.value - b.value);
}

/** The picklists of one entity, by field name (lower-cased), from one cached entityInformation/fields request. */
export async function picklistsOf(client: AutotaskClient, cache: PsaCache, connectionId: string, entity: string): Promise<EntityPicklists> {
	return cache.getOrLoad(
		connectionId,
		`picklists:${entity}`,
		async () => {
			const body = await client.request({ method: 'GET', path: `/${entity}/entityInformation/fields` });
			const fields = isObject(body) && Array.isArray(body.fields) ? body.fields : undefined;
			if (!fields) throw new PsaError('unavailable', `Autotask answered GET /${entity}/entityInformation/fields without a fields list`);
			const lists: EntityPicklists = {};
			for (const field of fields) {
				if (!isObject(field) || fieldOf(field, 'isPickList') !== true) continue;
				lists[String(fieldOf(field, 'name')).toLowerCase()] = readValues(fieldOf(field, 'picklistValues'));
			}
			return lists;
		},
		PICKLIST_TTL_MS,
	);
}

export function statusesFrom(lists: EntityPicklists, boardId: number): PsaStatus[] {
	return (lists.status ?? []).map((value) => ({
		id: value.value,
		name: value.label,
		// Statuses are tenant-wide in Autotask: every queue offers the same list.
		boardId,
		closed: value.value === COMPLETE_STATUS,
		inactive: !value.isActive,
		isDefault: value.isDefault,
		sortOrder: value.sortOrder,
	}));
}

export function prioritiesFrom(lists: EntityPicklists): PsaPriority[] {
	return (lists.priority ?? []).filter((value) => value.isActive).map((value) => ({ id: value.value, name: value.label, sortOrder: value.sortOrder, isDefault: value.isDefault }));
}

export function queuesFrom(lists: EntityPicklists): PsaBoard[] {
	return (lists.queueid ?? []).map((value) => ({ id: value.value, name: value.label, inactive: !value.isActive }));
}

export function labelsFrom(lists: EntityPicklists): Labels {
	const map = (values: PicklistValue[] | undefined) => new Map((values ?? []).map((value) => [value.value, value.label]));
	return {
		status: map(lists.status),
		priority: map(lists.priority),
		queue: map(lists.queueid),
		issueType: map(lists.issuetype),
		subIssueType: map(lists.subissuetype),
		source: map(lists.source),
	};
}

/** A picklist as choices, in its own order; inactive values stay, marked, so a record holding one can still be shown. */
export function choicesFrom(values: PicklistValue[] | undefined, keep: (value: PicklistValue) => boolean = () => true): PsaChoice[] {
	return (values ?? []).filter(keep).map((value) => ({ id: value.value, name: value.label, ...(value.isActive ? {} : { inactive: true }) }));
}

/** The value a create uses when the caller names none: the picklist's default, else its first active value. */
export function defaultValue(values: PicklistValue[] | undefined): number | undefined {
	const active = (values ?? []).filter((value) => value.isActive);
	return (active.find((value) => value.isDefault) ?? active[0])?.value;
}
