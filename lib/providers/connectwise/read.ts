// Tolerant readers: map ConnectWise JSON to domain types, ignoring unknown fields and defaulting optional ones.
import { PsaError } from '../errors';
import {
	PsaBoard,
	PsaCustomFieldValue,
	PsaCallbackLevel,
	PsaCallbackRegistration,
	PsaCompany,
	PsaContact,
	PsaMember,
	PsaNote,
	PsaNoteType,
	PsaPriority,
	PsaReference,
	PsaStatus,
	PsaTicket,
} from '../types';
import { isObject } from './client';
import { compareVersions } from './versions';

/** The fields each reader uses: sent as `fields` so ConnectWise returns only these. */
export const FIELDS = {
	/** initialDescription is write-only in ConnectWise (GET does not return it), so it is not asked for. */
	ticket: [
		'id', 'summary', 'board', 'status', 'company', 'priority', 'contact', 'owner', 'externalXRef', 'closedFlag', 'closedDate', 'mergedParentTicket',
		'type', 'subType', 'item', 'team', 'source', 'site', 'severity', 'impact', 'requiredDate', '_info',
	],
	/** Asked for with the ticket when its custom fields are wanted (getTicketDetails, searches that name them). */
	ticketCustomFields: 'customFields',
	note: ['id', 'ticketId', 'text', 'detailDescriptionFlag', 'internalAnalysisFlag', 'resolutionFlag', 'member', 'dateCreated'],
	board: ['id', 'name', 'inactiveFlag'],
	/** Plus closedStatus (2023.1 and later) or closedFlag (2020.1): see statusFields(). */
	statusBase: ['id', 'name', 'board', 'inactive', 'defaultFlag', 'sortOrder'],
	priority: ['id', 'name', 'sortOrder', 'defaultFlag'],
	company: ['id', 'identifier', 'name'],
	contact: ['id', 'firstName', 'lastName', 'company', 'communicationItems'],
	/** Plus primaryEmail from 2023.1 on: see memberFields(). */
	memberBase: ['id', 'identifier', 'firstName', 'lastName', 'inactiveFlag', 'officeEmail'],
	callback: ['id', 'url', 'description', 'level', 'objectId', 'type', 'inactiveFlag'],
} as const;

/** The first model version whose BoardStatus says closedStatus and whose Member has primaryEmail. */
export const MODEL_2023_1 = '2023.1';

export function fieldsParam(fields: readonly string[]): string {
	return fields.join(',');
}

/** ConnectWise rejects unknown names in `fields`, so the list follows the model of the version requested. */
export function statusFields(version: string): string {
	return fieldsParam([...FIELDS.statusBase, compareVersions(version, MODEL_2023_1) >= 0 ? 'closedStatus' : 'closedFlag']);
}

export function memberFields(version: string): string {
	return fieldsParam(compareVersions(version, MODEL_2023_1) >= 0 ? [...FIELDS.memberBase, 'primaryEmail'] : FIELDS.memberBase);
}

/** Thrown when a response lacks a field the operation needs: names the field and the endpoint. */
export function missing(fieldName: string, endpoint: string): PsaError {
	return new PsaError('unavailable', `ConnectWise's answer to ${endpoint} lacks the field '${fieldName}' this operation needs`, {
		field: fieldName,
		request: endpoint,
		hint: "The endpoint's model may differ from the pinned API version; check the credential's 'API Version'",
	});
}

function requireObject(value: unknown, endpoint: string, what: string): Record<string, unknown> {
	if (!isObject(value)) throw missing(what, endpoint);
	return value;
}

function requireId(record: Record<string, unknown>, fieldName: string, endpoint: string): number {
	const value = record[fieldName];
	if (typeof value === 'number' && Number.isInteger(value)) return value;
	if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
	throw missing(fieldName, endpoint);
}

function optionalString(value: unknown): string | undefined {
	return typeof value === 'string' ? value : undefined;
}

function text(value: unknown, fallback = ''): string {
	return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
}

function flag(value: unknown): boolean {
	return value === true || value === 'true';
}

function number(value: unknown, fallback = 0): number {
	return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function reference(value: unknown): PsaReference | undefined {
	if (!isObject(value)) return undefined;
	const id = value.id;
	if (typeof id !== 'number') return undefined;
	return { id, name: text(value.name, text(value.identifier)) };
}

function requireReference(record: Record<string, unknown>, fieldName: string, endpoint: string): PsaReference {
	const ref = reference(record[fieldName]);
	if (!ref) throw missing(`${fieldName}/id`, endpoint);
	return ref;
}

export function readTicket(value: unknown, endpoint: string): PsaTicket {
	const record = requireObject(value, endpoint, 'ticket');
	const info = isObject(record._info) ? record._info : {};
	const ticket: PsaTicket = {
		id: requireId(record, 'id', endpoint),
		summary: text(record.summary),
		board: requireReference(record, 'board', endpoint),
		status: requireReference(record, 'status', endpoint),
		company: requireReference(record, 'company', endpoint),
		closed: flag(record.closedFlag),
	};
	const description = optionalString(record.initialDescription);
	if (description !== undefined) ticket.description = description;
	const references: Array<['priority' | 'contact' | 'owner' | 'type' | 'subtype' | 'item' | 'team' | 'source' | 'site', unknown]> = [
		['priority', record.priority],
		['contact', record.contact],
		['owner', record.owner],
		['type', record.type],
		['subtype', record.subType],
		['item', record.item],
		['team', record.team],
		['source', record.source],
		['site', record.site],
	];
	for (const [name, value] of references) {
		const ref = reference(value);
		if (ref) ticket[name] = ref;
	}
	// Empty text is as good as absent for these.
	const texts: Array<['externalRef' | 'closedAt' | 'updatedAt' | 'updatedBy' | 'createdAt' | 'severity' | 'impact' | 'dueAt', unknown]> = [
		['externalRef', record.externalXRef],
		['closedAt', record.closedDate],
		['updatedAt', info.lastUpdated],
		['updatedBy', info.updatedBy],
		['createdAt', info.dateEntered],
		['severity', record.severity],
		['impact', record.impact],
		['dueAt', record.requiredDate],
	];
	for (const [name, value] of texts) {
		const text = optionalString(value);
		if (text) ticket[name] = text;
	}
	const mergedInto = reference(record.mergedParentTicket);
	if (mergedInto) ticket.mergedIntoTicketId = mergedInto.id;
	if (Array.isArray(record.customFields)) ticket.customFields = readCustomFieldValues(record.customFields);
	return ticket;
}

/** A ticket's `customFields` array by caption; a field without a value is null, a Date field's value its day (YYYY-MM-DD). */
export function readCustomFieldValues(entries: unknown[]): Record<string, PsaCustomFieldValue> {
	const values: Record<string, PsaCustomFieldValue> = {};
	for (const entry of entries.filter(isObject)) {
		const caption = optionalString(entry.caption);
		if (!caption) continue;
		const value = entry.value;
		if (typeof value === 'string' && (entry.type === 'Date' || entry.entryMethod === 'Date')) values[caption] = /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : value;
		else if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) values[caption] = value;
		else values[caption] = null;
	}
	return values;
}

export function noteType(record: Record<string, unknown>): PsaNoteType {
	if (flag(record.resolutionFlag)) return 'resolution';
	if (flag(record.internalAnalysisFlag)) return 'internal';
	return 'discussion';
}

export function readNote(value: unknown, endpoint: string, ticketId: number): PsaNote {
	const record = requireObject(value, endpoint, 'note');
	const note: PsaNote = {
		id: requireId(record, 'id', endpoint),
		ticketId: typeof record.ticketId === 'number' ? record.ticketId : ticketId,
		text: text(record.text),
		type: noteType(record),
	};
	const member = reference(record.member);
	if (member) note.memberId = member.id;
	const createdAt = optionalString(record.dateCreated);
	if (createdAt) note.createdAt = createdAt;
	return note;
}

export function readBoard(value: unknown, endpoint: string): PsaBoard {
	const record = requireObject(value, endpoint, 'board');
	return { id: requireId(record, 'id', endpoint), name: text(record.name), inactive: flag(record.inactiveFlag ?? record.inactive) };
}

export function readStatus(value: unknown, endpoint: string, boardId: number): PsaStatus {
	const record = requireObject(value, endpoint, 'status');
	const board = reference(record.board);
	return {
		id: requireId(record, 'id', endpoint),
		name: text(record.name),
		boardId: board?.id ?? boardId,
		closed: flag(record.closedStatus ?? record.closedFlag),
		inactive: flag(record.inactive ?? record.inactiveFlag),
		isDefault: flag(record.defaultFlag),
		sortOrder: number(record.sortOrder),
	};
}

export function readPriority(value: unknown, endpoint: string): PsaPriority {
	const record = requireObject(value, endpoint, 'priority');
	return {
		id: requireId(record, 'id', endpoint),
		name: text(record.name),
		sortOrder: number(record.sortOrder),
		isDefault: flag(record.defaultFlag),
	};
}

export function readCompany(value: unknown, endpoint: string): PsaCompany {
	const record = requireObject(value, endpoint, 'company');
	return { id: requireId(record, 'id', endpoint), identifier: text(record.identifier), name: text(record.name) };
}

export function readContact(value: unknown, endpoint: string): PsaContact {
	const record = requireObject(value, endpoint, 'contact');
	const contact: PsaContact = {
		id: requireId(record, 'id', endpoint),
		name: [text(record.firstName), text(record.lastName)].filter(Boolean).join(' '),
	};
	const company = reference(record.company);
	if (company) contact.companyId = company.id;
	const emails = (Array.isArray(record.communicationItems) ? record.communicationItems : [])
		.filter(isObject)
		.filter((item) => item.communicationType === 'Email' || (isObject(item.type) && /e-?mail/i.test(text(item.type.name))))
		.sort((a, b) => Number(flag(b.defaultFlag)) - Number(flag(a.defaultFlag)));
	const email = emails.map((item) => text(item.value).trim()).find(Boolean);
	if (email) contact.email = email.toLowerCase();
	return contact;
}

export function readMember(value: unknown, endpoint: string): PsaMember {
	const record = requireObject(value, endpoint, 'member');
	const emails: string[] = [];
	// primaryEmail exists from the 2023.1 model on; older models only carry office/mobile/home.
	for (const candidate of [record.primaryEmail, record.officeEmail, record.mobileEmail, record.homeEmail]) {
		const email = text(candidate).trim().toLowerCase();
		if (email && !emails.includes(email)) emails.push(email);
	}
	return {
		id: requireId(record, 'id', endpoint),
		identifier: text(record.identifier),
		name: [text(record.firstName), text(record.lastName)].filter(Boolean).join(' ') || text(record.identifier),
		inactive: flag(record.inactiveFlag),
		emails,
	};
}

const LEVELS: PsaCallbackLevel[] = ['owner', 'board', 'status', 'company'];

export function readCallback(value: unknown, endpoint: string): PsaCallbackRegistration {
	const record = requireObject(value, endpoint, 'callback');
	const level = text(record.level).toLowerCase() as PsaCallbackLevel;
	return {
		id: requireId(record, 'id', endpoint),
		url: text(record.url),
		description: text(record.description),
		level: LEVELS.includes(level) ? level : 'owner',
		objectId: number(record.objectId),
		inactive: flag(record.inactiveFlag),
	};
}

export function readList(value: unknown, endpoint: string): unknown[] {
	if (Array.isArray(value)) return value;
	throw new PsaError('unavailable', `ConnectWise's answer to ${endpoint} is not a list`, { request: endpoint });
}
