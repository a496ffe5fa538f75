// The ticket fields beyond the basics in Autotask's names (issue type, sub-issue type, source, location, due date, configuration item, UDFs), for a create or an update.
import { PsaError, isPsaError } from '../errors';
import { oneLineTitle } from '../text';
import type { PsaTicketCreate, PsaTicketDetails, PsaTicketUpdate } from '../types';
import { recordId } from '../values';
import { type AutotaskUdf, udfWrites } from './custom-fields';
import { TITLE_MAX } from './declaration';

/** What the neutral interface has and Autotask tickets do not (the declaration says so too): refused, never dropped silently. */
const ABSENT: Array<[keyof PsaTicketDetails, string]> = [
	['itemId', 'no item level in their classification (issue type and sub-issue type only)'],
	['teamId', 'no team (assign a queue, i.e. the board, instead)'],
	['severity', 'no severity'],
	['impact', 'no impact'],
	['urgency', 'no urgency'],
];

/** The neutral id fields and the Autotask ticket field each one sets. */
const ID_FIELDS: Array<[keyof PsaTicketDetails, string, string]> = [
	['typeId', 'issueType', 'type'],
	['subtypeId', 'subIssueType', 'subtype'],
	['sourceId', 'source', 'source'],
	['siteId', 'companyLocationID', 'site'],
];

function present(value: unknown): boolean {
	return value !== undefined;
}

/** A picklist value: Autotask's system sources are negative (-2 Insourced, -1 Client Portal), so any whole number. */
function picklistValue(value: unknown, what: string, field: string): number {
	const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw new PsaError('invalid-input', `The ${what} id must be a whole number, got '${String(value)}'`, { field });
	return number;
}

/** ISO 8601 into the UTC form Autotask takes; a time without a zone is read as UTC, as Autotask writes its own. */
export function autotaskDateTime(value: unknown, what: string, field: string): string {
	const text = typeof value === 'string' ? value.trim() : '';
	const time = text ? Date.parse(/T/.test(text) && !/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? `${text}Z` : text) : NaN;
	if (!Number.isFinite(time)) throw new PsaError('invalid-input', `The ${what} must be an ISO 8601 date and time (e.g. 2026-03-21T17:00:00Z), got '${String(value)}'`, { field });
	return new Date(time).toISOString();
}

/**
 * The detail fields of a create or an update. `definitions` are needed only when custom fields are given (the caller
 * loads them then). In an update, null clears a field; in a create, null and undefined both leave it out.
 */
export function detailFields(input: Omit<PsaTicketDetails, 'dueAt'> & { dueAt?: string | null }, mode: 'create' | 'update', definitions?: AutotaskUdf[]): Record<string, unknown> {
	const body: Record<string, unknown> = {};
	for (const [key, what] of ABSENT) {
		if (input[key] !== undefined && input[key] !== null) {
			throw new PsaError('invalid-input', `Autotask tickets have ${what}; leave the ${key === 'itemId' ? 'item' : key.replace(/Id$/, '')} empty`, { field: key });
		}
	}
	for (const [key, field, what] of ID_FIELDS) {
		const value = input[key];
		if (!present(value)) continue;
		if (value === null) {
			if (mode === 'update') body[field] = null;
			continue;
		}
		body[field] = key === 'sourceId' ? picklistValue(value, what, field) : recordId(value, what, field);
	}
	if (present(input.dueAt)) {
		if (input.dueAt === null) {
			if (mode === 'update') body.dueDateTime = null;
		} else body.dueDateTime = autotaskDateTime(input.dueAt, 'due date', 'dueDateTime');
	}
	if (input.customFields !== undefined && input.customFields !== null) {
		if (!definitions) throw new PsaError('configuration', 'The custom field definitions were not loaded before the write');
		const writes = udfWrites(definitions, input.customFields);
		if (writes.length) body.userDefinedFields = writes;
	}
	return body;
}

/** The configuration item the create request carries: Autotask's ticket holds one (configurationItemID). */
export function createConfigurationItem(input: PsaTicketCreate): number | undefined {
	const ids = input.configurationItemIds;
	if (ids === undefined || ids === null) return undefined;
	if (!Array.isArray(ids)) throw new PsaError('invalid-input', 'configurationItemIds must be a list of configuration item ids', { field: 'configurationItemID' });
	if (ids.length > 1) {
		throw new PsaError('invalid-input', `An Autotask ticket is created with one configuration item; ${ids.length} were given`, {
			field: 'configurationItemID',
			hint: 'Create the ticket with the first one and attach the others to it afterwards',
		});
	}
	return ids.length ? recordId(ids[0], 'configuration item', 'configurationItemID') : undefined;
}

/**
 * The PATCH body of an update: the id and only the fields named. The UDF definitions are loaded only when custom fields
 * are named; an owner takes the resource's default role (Autotask assigns the pair).
 */
export async function updateBody(
	ticketId: number,
	changes: PsaTicketUpdate,
	deps: { definitions: () => Promise<AutotaskUdf[]>; defaultRoleOf: (resourceId: number) => Promise<number> },
): Promise<Record<string, unknown>> {
	const body: Record<string, unknown> = { id: ticketId, ...detailFields(changes, 'update', changes.customFields ? await deps.definitions() : undefined) };
	if (changes.summary !== undefined) {
		if (typeof changes.summary !== 'string') throw new PsaError('invalid-input', 'A ticket summary must be text', { field: 'title' });
		body.title = oneLineTitle(changes.summary, TITLE_MAX).summary;
	}
	const required: Array<['statusId' | 'priorityId', string]> = [
		['statusId', 'status'],
		['priorityId', 'priority'],
	];
	for (const [key, field] of required) {
		if (changes[key] === undefined) continue;
		if (changes[key] === null) throw new PsaError('invalid-input', `An Autotask ticket always has a ${field}; it cannot be cleared`, { field });
		body[field] = recordId(changes[key], field, field);
	}
	const clearable: Array<['boardId' | 'contactId', string, string]> = [
		['boardId', 'queueID', 'board'],
		['contactId', 'contactID', 'contact'],
	];
	for (const [key, field, what] of clearable) {
		if (changes[key] !== undefined) body[field] = changes[key] === null ? null : recordId(changes[key], what, field);
	}
	if (changes.ownerId === null) Object.assign(body, { assignedResourceID: null, assignedResourceRoleID: null });
	else if (changes.ownerId !== undefined) {
		const owner = recordId(changes.ownerId, 'owner', 'assignedResourceID');
		Object.assign(body, { assignedResourceID: owner, assignedResourceRoleID: await deps.defaultRoleOf(owner) });
	}
	return body;
}

/** Whether an update names any field at all (an empty update is refused before anything is sent). */
export function updateNamesAField(changes: PsaTicketUpdate): boolean {
	return Object.values(changes ?? {}).some((value) => value !== undefined);
}

/** Ticket fields a refusal may blame: what to choose instead, and the cached list (by key prefix) that may be out of date. */
const REFUSED_FIELDS: Record<string, { hint?: string; stale: string }> = {
	issuetype: { hint: 'Choose a type from the ticket types Autotask lists', stale: 'picklists:Tickets' },
	subissuetype: { hint: 'Choose a subtype listed for the chosen type: each Autotask sub-issue type belongs to one issue type', stale: 'picklists:Tickets' },
	source: { hint: 'Choose a source from the list Autotask offers', stale: 'picklists:Tickets' },
	status: { stale: 'picklists:Tickets' },
	priority: { stale: 'picklists:Tickets' },
	queueid: { stale: 'picklists:Tickets' },
	companylocationid: { hint: "Choose a site (location) of the ticket's company", stale: 'sites:' },
	configurationitemid: { hint: "Choose a configuration item of the ticket's company", stale: 'configuration-item-types' },
};

/**
 * Adds a hint to a ticket write Autotask refused for a field, and returns the cache key prefix to drop: the list the
 * choice came from (a refusal naming no ticket field is taken to be about a UDF, whose definitions are then read again).
 */
export function explainRefusal(error: unknown): string | undefined {
	if (!isPsaError(error, 'invalid-input')) return undefined;
	const known = REFUSED_FIELDS[String(error.details.field ?? '').toLowerCase()];
	if (!known) return 'udfs:Tickets';
	if (known.hint && !error.details.hint) error.details.hint = known.hint;
	return known.stale;
}
