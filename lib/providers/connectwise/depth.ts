// ConnectWise's ticket-depth lookups: board types, subtypes and items (only valid combinations), teams, sources, company sites and ticket custom field definitions, cached per connection.
import type { PsaCache } from '../../cache';
import { PsaError } from '../errors';
import type { PsaChoice, PsaCustomFieldDefinition, PsaCustomFieldType } from '../types';
import { recordId } from '../values';
import { isObject } from './client';
import { cond } from './conditions';
import type { ListOptions } from './paging';
import { fieldsParam, missing } from './read';

export const DEPTH_CACHE_TTL = {
	/** Types, subtypes, items, their valid combinations and teams of a board. */
	board: 10 * 60 * 1000,
	sources: 30 * 60 * 1000,
	sites: 10 * 60 * 1000,
	customFields: 10 * 60 * 1000,
};

/** Cache keys this module writes, so a stale classification can be dropped at once. */
export const CLASSIFICATION_CACHE_PREFIX = 'classification:';

/** The screen ConnectWise's service ticket custom fields belong to (`sr100`, the service ticket screen). */
export const TICKET_SCREEN_ID = 'sr100';

const FIELDS = {
	choice: ['id', 'name', 'inactiveFlag'],
	association: ['id', 'type', 'subType', 'item'],
	team: ['id', 'name'],
	source: ['id', 'name'],
	site: ['id', 'name', 'inactiveFlag'],
	customField: ['id', 'caption', 'screenId', 'fieldTypeIdentifier', 'entryTypeIdentifier', 'numberDecimals', 'requiredFlag', 'options'],
};

/** A ticket custom field as ConnectWise defines it: the neutral definition plus what a ticket's `customFields` entry repeats. */
export interface ConnectWiseCustomField {
	definition: PsaCustomFieldDefinition & { id: number };
	fieldType: string;
	entryMethod: string;
	numberOfDecimals: number;
}

/** One valid type / subtype / item combination of a board (subType and item absent where the combination has none). */
interface Association {
	typeId: number;
	subtypeId?: number;
	subtypeName?: string;
	itemId?: number;
	itemName?: string;
}

type List = <T>(path: string, options: ListOptions, read: (value: unknown) => T) => Promise<T[]>;

export class ConnectWiseDepthLookups {
	constructor(
		private readonly cache: PsaCache,
		private readonly connectionId: string,
		private readonly list: List,
	) {}

	async listTicketTypes(boardId?: number): Promise<PsaChoice[]> {
		const board = boardOf(boardId, 'ticket types');
		return this.boardList(`${CLASSIFICATION_CACHE_PREFIX}types:${board}`, `/service/boards/${board}/types`);
	}

	/** The board's subtypes that some valid combination pairs with the type. */
	async listTicketSubtypes(typeId: number, boardId?: number): Promise<PsaChoice[]> {
		const board = boardOf(boardId, 'ticket subtypes');
		const type = recordId(typeId, 'type', 'type/id');
		const [associations, subtypes] = await Promise.all([this.associations(board), this.boardList(`${CLASSIFICATION_CACHE_PREFIX}subtypes:${board}`, `/service/boards/${board}/subtypes`)]);
		const valid = new Map<number, string>();
		for (const association of associations) {
			if (association.typeId === type && association.subtypeId !== undefined) valid.set(association.subtypeId, association.subtypeName ?? '');
		}
		return choicesOf(valid, subtypes);
	}

	/** The board's items that some valid combination pairs with the type and subtype (no subtype: the type alone). */
	async listTicketItems(typeId: number, subtypeId: number | undefined, boardId?: number): Promise<PsaChoice[]> {
		const board = boardOf(boardId, 'ticket items');
		const type = recordId(typeId, 'type', 'type/id');
		const subtype = subtypeId === undefined || subtypeId === null ? undefined : recordId(subtypeId, 'subtype', 'subType/id');
		const [associations, items] = await Promise.all([this.associations(board), this.boardList(`${CLASSIFICATION_CACHE_PREFIX}items:${board}`, `/service/boards/${board}/items`)]);
		const valid = new Map<number, string>();
		for (const association of associations) {
			if (association.typeId === type && association.subtypeId === subtype && association.itemId !== undefined) valid.set(association.itemId, association.itemName ?? '');
		}
		return choicesOf(valid, items);
	}

	async listTeams(boardId?: number): Promise<PsaChoice[]> {
		const board = boardOf(boardId, 'teams');
		const path = `/service/boards/${board}/teams`;
		return this.cache.getOrLoad(
			this.connectionId,
			`teams:${board}`,
			() => this.list(path, { fields: fieldsParam(FIELDS.team), orderBy: 'name asc' }, (value) => readChoice(value, `GET ${path}`)),
			DEPTH_CACHE_TTL.board,
		);
	}

	listSources(): Promise<PsaChoice[]> {
		return this.cache.getOrLoad(
			this.connectionId,
			'sources',
			() => this.list('/service/sources', { fields: fieldsParam(FIELDS.source), orderBy: 'name asc' }, (value) => readChoice(value, 'GET /service/sources')),
			DEPTH_CACHE_TTL.sources,
		);
	}

	async listSites(companyId: number): Promise<PsaChoice[]> {
		const company = recordId(companyId, 'company', 'company/id');
		const path = `/company/companies/${company}/sites`;
		return this.cache.getOrLoad(
			this.connectionId,
			`sites:${company}`,
			() => this.list(path, { fields: fieldsParam(FIELDS.site), orderBy: 'name asc' }, (value) => readChoice(value, `GET ${path}`)),
			DEPTH_CACHE_TTL.sites,
		);
	}

	async listCustomFields(): Promise<PsaCustomFieldDefinition[]> {
		return (await this.customFields()).map((field) => field.definition);
	}

	/** The ticket custom fields with what ConnectWise needs to write them (cached with the definitions). */
	customFields(): Promise<ConnectWiseCustomField[]> {
		return this.cache.getOrLoad(
			this.connectionId,
			'custom-fields',
			async () => {
				const fields = await this.list(
					'/system/userDefinedFields',
					{ conditions: cond.eq('screenId', TICKET_SCREEN_ID), fields: fieldsParam(FIELDS.customField), orderBy: 'id asc' },
					(value) => readCustomField(value, 'GET /system/userDefinedFields'),
				);
				return fields.filter((field): field is ConnectWiseCustomField => field !== undefined);
			},
			DEPTH_CACHE_TTL.customFields,
		);
	}

	private boardList(key: string, path: string): Promise<PsaChoice[]> {
		return this.cache.getOrLoad(
			this.connectionId,
			key,
			() => this.list(path, { fields: fieldsParam(FIELDS.choice), orderBy: 'name asc' }, (value) => readChoice(value, `GET ${path}`)),
			DEPTH_CACHE_TTL.board,
		);
	}

	private associations(board: number): Promise<Association[]> {
		const path = `/service/boards/${board}/typeSubTypeItemAssociations`;
		return this.cache.getOrLoad(
			this.connectionId,
			`${CLASSIFICATION_CACHE_PREFIX}associations:${board}`,
			async () =>
				(await this.list(path, { fields: fieldsParam(FIELDS.association), orderBy: 'id asc' }, (value) => readAssociation(value))).filter(
					(association): association is Association => association !== undefined,
				),
			DEPTH_CACHE_TTL.board,
		);
	}
}

function boardOf(boardId: number | undefined, what: string): number {
	if (boardId === undefined || boardId === null) {
		throw new PsaError('invalid-input', `ConnectWise keeps ${what} per service board: give the board`, { field: 'board/id', hint: 'Choose the board first' });
	}
	return recordId(boardId, 'board', 'board/id');
}

/** Valid ids in the order of the board's list (its names and inactive flags); ids the list lacks keep the combination's name. */
function choicesOf(valid: Map<number, string>, listed: PsaChoice[]): PsaChoice[] {
	const byId = new Map(listed.map((choice) => [choice.id, choice]));
	const ordered = listed.filter((choice) => valid.has(choice.id));
	for (const [id, name] of valid) if (!byId.has(id)) ordered.push({ id, name });
	return ordered;
}

function readChoice(value: unknown, endpoint: string): PsaChoice {
	if (!isObject(value) || typeof value.id !== 'number') throw missing('id', endpoint);
	const choice: PsaChoice = { id: value.id, name: typeof value.name === 'string' ? value.name : String(value.id) };
	if (value.inactiveFlag === true) choice.inactive = true;
	return choice;
}

function idOf(value: unknown): number | undefined {
	return isObject(value) && typeof value.id === 'number' ? value.id : undefined;
}

function nameOf(value: unknown): string | undefined {
	return isObject(value) && typeof value.name === 'string' ? value.name : undefined;
}

/** A combination without a type says nothing usable and is skipped. */
function readAssociation(value: unknown): Association | undefined {
	if (!isObject(value)) return undefined;
	const typeId = idOf(value.type);
	if (typeId === undefined) return undefined;
	const association: Association = { typeId };
	const subtypeId = idOf(value.subType);
	if (subtypeId !== undefined) Object.assign(association, { subtypeId, subtypeName: nameOf(value.subType) });
	const itemId = idOf(value.item);
	if (itemId !== undefined) Object.assign(association, { itemId, itemName: nameOf(value.item) });
	return association;
}

const NUMBER_TYPES = ['Number', 'Percent', 'Currency'];
const PICKLIST_ENTRY = ['List', 'Option'];

/** A ticket custom field definition; a Button (which holds no value) is skipped. */
function readCustomField(value: unknown, endpoint: string): ConnectWiseCustomField | undefined {
	if (!isObject(value) || typeof value.id !== 'number') throw missing('id', endpoint);
	if (typeof value.caption !== 'string') throw missing('caption', endpoint);
	const fieldType = typeof value.fieldTypeIdentifier === 'string' ? value.fieldTypeIdentifier : 'Text';
	const entryMethod = typeof value.entryTypeIdentifier === 'string' ? value.entryTypeIdentifier : 'EntryField';
	if (fieldType === 'Button') return undefined;
	const numberOfDecimals = typeof value.numberDecimals === 'number' ? value.numberDecimals : 0;
	let type: PsaCustomFieldType = 'text';
	if (PICKLIST_ENTRY.includes(entryMethod)) type = 'picklist';
	else if (fieldType === 'Checkbox') type = 'boolean';
	else if (NUMBER_TYPES.includes(fieldType)) type = 'number';
	else if (fieldType === 'Date' || entryMethod === 'Date') type = 'date';
	const definition: ConnectWiseCustomField['definition'] = { id: value.id, name: value.caption, type, required: value.requiredFlag === true };
	if (type === 'number') definition.decimals = numberOfDecimals;
	if (type === 'picklist') {
		definition.picklist = (Array.isArray(value.options) ? value.options : [])
			.filter(isObject)
			.filter((option) => typeof option.optionValue === 'string' && option.inactiveFlag !== true)
			.sort((a, b) => (typeof a.sortOrder === 'number' ? a.sortOrder : 0) - (typeof b.sortOrder === 'number' ? b.sortOrder : 0))
			.map((option) => ({ value: option.optionValue as string, label: option.optionValue as string }));
	}
	return { definition, fieldType, entryMethod, numberOfDecimals };
}
