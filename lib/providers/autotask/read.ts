// Tolerant readers: Autotask's camelCase records (ids may arrive as numbers or strings) into the PSA-domain types.
import { PsaError } from '../errors';
import type {
	PsaCallbackRegistration,
	PsaCompany,
	PsaConfigurationItem,
	PsaContact,
	PsaCustomFieldDefinition,
	PsaCustomFieldValue,
	PsaMember,
	PsaNote,
	PsaNoteType,
	PsaReference,
	PsaTicket,
} from '../types';
import { isObject } from '../values';

/** Autotask's one closed ticket status: "Complete" (5), a system value in every tenant. */
export const COMPLETE_STATUS = 5;
/** Resources with this license type are API users, never people to map or assign. */
const API_USER_LICENSE = 7;
/** publish values: 1 all Autotask users, 2 internal only, 4 internal and co-managed. */
export const PUBLISH_ALL = 1;
export const PUBLISH_INTERNAL = 2;
/** Title given to resolution notes (Autotask notes have no resolution flag). */
export const RESOLUTION_TITLE = 'Resolution';

/** Picklist names by value, for labelling ids in records. */
export interface Labels {
	status: Map<number, string>;
	priority: Map<number, string>;
	queue: Map<number, string>;
	issueType?: Map<number, string>;
	subIssueType?: Map<number, string>;
	source?: Map<number, string>;
}

/** Reads a field case-insensitively: Autotask answers camelCase, but a tolerant reader does not depend on it. */
export function fieldOf(record: Record<string, unknown>, name: string): unknown {
	if (name in record) return record[name];
	const lower = name.toLowerCase();
	for (const [key, value] of Object.entries(record)) if (key.toLowerCase() === lower) return value;
	return undefined;
}

export function idOf(value: unknown): number | undefined {
	const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
	return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

function text(value: unknown): string | undefined {
	return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function record(value: unknown, what: string): Record<string, unknown> {
	if (!isObject(value)) throw new PsaError('unavailable', `Autotask answered ${what} with something that is not a record`, { request: what });
	return value;
}

export function requiredId(source: Record<string, unknown>, name: string, what: string): number {
	const id = idOf(fieldOf(source, name));
	if (id === undefined) throw new PsaError('unavailable', `Autotask answered ${what} with a record without ${name}`, { request: what });
	return id;
}

function reference(id: number | undefined, names?: Map<number, string>): PsaReference {
	return { id: id ?? 0, name: id === undefined ? '' : (names?.get(id) ?? '') };
}

/** The `item` of a GET answer ({"item": {...}}); null when Autotask says the record does not exist. */
export function itemOf(body: unknown, what: string): Record<string, unknown> | null {
	if (isObject(body) && 'item' in body) return body.item === null ? null : record(body.item, what);
	throw new PsaError('unavailable', `Autotask answered ${what} without an item`, { request: what });
}

/** The id a create or update answers ({"itemId": N}). */
export function itemIdOf(body: unknown, what: string): number {
	const id = isObject(body) ? idOf(body.itemId) : undefined;
	if (id === undefined || id <= 0) throw new PsaError('unavailable', `Autotask answered ${what} without an itemId`, { request: what });
	return id;
}

/**
 * A ticket record into a PsaTicket. With `definitions` (the tenant's UDFs) its userDefinedFields become `customFields`:
 * every defined field by name, typed by its definition, null when empty.
 */
export function readTicket(value: unknown, what: string, labels?: Labels, definitions?: PsaCustomFieldDefinition[]): PsaTicket {
	const source = record(value, what);
	const statusId = idOf(fieldOf(source, 'status'));
	const ticket: PsaTicket = {
		id: requiredId(source, 'id', what),
		summary: text(fieldOf(source, 'title')) ?? '',
		board: reference(idOf(fieldOf(source, 'queueID')), labels?.queue),
		status: reference(statusId, labels?.status),
		company: reference(idOf(fieldOf(source, 'companyID'))),
		closed: statusId === COMPLETE_STATUS,
	};
	const description = text(fieldOf(source, 'description'));
	if (description !== undefined) ticket.description = description;
	const priority = idOf(fieldOf(source, 'priority'));
	if (priority !== undefined) ticket.priority = reference(priority, labels?.priority);
	const contact = idOf(fieldOf(source, 'contactID'));
	if (contact !== undefined) ticket.contact = reference(contact);
	const owner = idOf(fieldOf(source, 'assignedResourceID'));
	if (owner !== undefined) ticket.owner = reference(owner);
	const externalId = text(fieldOf(source, 'externalID'));
	if (externalId) ticket.externalRef = externalId;
	const completed = text(fieldOf(source, 'completedDate'));
	if (ticket.closed && completed) ticket.closedAt = utc(completed);
	const updatedAt = text(fieldOf(source, 'lastTrackedModificationDateTime')) ?? text(fieldOf(source, 'lastActivityDate'));
	if (updatedAt) ticket.updatedAt = utc(updatedAt);
	const updatedBy = idOf(fieldOf(source, 'lastActivityResourceID'));
	if (updatedBy !== undefined) ticket.updatedBy = String(updatedBy);
	readTicketDepth(source, ticket, labels);
	if (definitions) ticket.customFields = readCustomFields(fieldOf(source, 'userDefinedFields'), definitions);
	return ticket;
}

/** Classification, source, site, dates and the ticket's own configuration item; each only when the record has it. */
function readTicketDepth(source: Record<string, unknown>, ticket: PsaTicket, labels: Labels | undefined): void {
	const references: Array<['type' | 'subtype' | 'source' | 'site', string, Map<number, string> | undefined]> = [
		['type', 'issueType', labels?.issueType],
		['subtype', 'subIssueType', labels?.subIssueType],
		['source', 'source', labels?.source],
		// Location names need a query per company; the id is what the ticket holds.
		['site', 'companyLocationID', undefined],
	];
	for (const [key, field, names] of references) {
		const id = idOf(fieldOf(source, field));
		if (id !== undefined) ticket[key] = reference(id, names);
	}
	const due = text(fieldOf(source, 'dueDateTime'));
	if (due) ticket.dueAt = utc(due);
	const created = text(fieldOf(source, 'createDate'));
	if (created) ticket.createdAt = utc(created);
	const item = idOf(fieldOf(source, 'configurationItemID'));
	if (item !== undefined && item > 0) ticket.configurationItemIds = [item];
}

/** UDF values (text on the wire, `[{name, value}]`) by definition name; a value the definition's type cannot read stays text. */
export function readCustomFields(raw: unknown, definitions: PsaCustomFieldDefinition[]): Record<string, PsaCustomFieldValue> {
	const values = new Map<string, unknown>();
	for (const entry of Array.isArray(raw) ? raw : []) {
		if (!isObject(entry)) continue;
		const name = fieldOf(entry, 'name');
		if (typeof name === 'string') values.set(name.toLowerCase(), fieldOf(entry, 'value'));
	}
	const result: Record<string, PsaCustomFieldValue> = {};
	for (const definition of definitions) result[definition.name] = storedUdfValue(definition, values.get(definition.name.toLowerCase()));
	return result;
}

/** A stored UDF value read tolerantly (Autotask keeps text; zone-less times are UTC): never refused, unlike a value to write. */
function storedUdfValue(definition: PsaCustomFieldDefinition, value: unknown): PsaCustomFieldValue {
	if (value === null || value === undefined || value === '') return null;
	if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return JSON.stringify(value);
	switch (definition.type) {
		case 'number': {
			const number = typeof value === 'number' ? value : Number(value);
			return Number.isFinite(number) ? number : String(value);
		}
		case 'boolean':
			return value === true || value === 'true' || value === '1' || value === 1 ? true : value === false || value === 'false' || value === '0' || value === 0 ? false : String(value);
		case 'datetime':
			return typeof value === 'string' ? utc(value) : String(value);
		case 'date':
			return typeof value === 'string' ? value.slice(0, 10) : String(value);
		default:
			return String(value);
	}
}

export function readConfigurationItem(value: unknown, what: string, typeNames?: Map<number, string>): PsaConfigurationItem {
	const source = record(value, what);
	const active = fieldOf(source, 'isActive');
	const item: PsaConfigurationItem = {
		id: requiredId(source, 'id', what),
		name: text(fieldOf(source, 'referenceTitle')) ?? '',
		inactive: !(active === true || active === 1 || active === 'true'),
	};
	const company = idOf(fieldOf(source, 'companyID'));
	if (company !== undefined) item.companyId = company;
	const type = idOf(fieldOf(source, 'configurationItemType'));
	const typeName = type !== undefined ? typeNames?.get(type) : undefined;
	if (typeName) item.typeName = typeName;
	const optional: Array<['serialNumber' | 'ipAddress' | 'macAddress', string]> = [
		['serialNumber', 'serialNumber'],
		['ipAddress', 'rmmDeviceAuditIPAddress'],
		['macAddress', 'rmmDeviceAuditMacAddress'],
	];
	for (const [key, field] of optional) {
		const found = text(fieldOf(source, field));
		if (found) item[key] = found;
	}
	// The RMM's own id: the UID (text) where the RMM set one, else its numeric device id.
	const deviceId = text(fieldOf(source, 'rmmDeviceUID')) || text(fieldOf(source, 'rmmDeviceID'));
	if (deviceId) item.deviceId = deviceId;
	return item;
}

/** Autotask datetimes are UTC, sometimes written without a zone. */
export function utc(value: string): string {
	return /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
}

export function noteTypeOf(publish: number | undefined, title: string | undefined): PsaNoteType {
	if (publish !== undefined && publish !== PUBLISH_ALL) return 'internal';
	return title === RESOLUTION_TITLE ? 'resolution' : 'discussion';
}

export function readNote(value: unknown, what: string, ticketId?: number): PsaNote {
	const source = record(value, what);
	const note: PsaNote = {
		id: requiredId(source, 'id', what),
		ticketId: idOf(fieldOf(source, 'ticketID')) ?? ticketId ?? 0,
		text: text(fieldOf(source, 'description')) ?? '',
		type: noteTypeOf(idOf(fieldOf(source, 'publish')), text(fieldOf(source, 'title'))),
	};
	const creator = idOf(fieldOf(source, 'creatorResourceID'));
	if (creator !== undefined) note.memberId = creator;
	const created = text(fieldOf(source, 'createDateTime'));
	if (created) note.createdAt = utc(created);
	return note;
}

export function readMember(value: unknown, what: string): PsaMember & { apiUser: boolean } {
	const source = record(value, what);
	const emails = ['email', 'email2', 'email3']
		.map((name) => text(fieldOf(source, name))?.trim().toLowerCase())
		.filter((email): email is string => Boolean(email));
	const first = text(fieldOf(source, 'firstName')) ?? '';
	const last = text(fieldOf(source, 'lastName')) ?? '';
	const active = fieldOf(source, 'isActive');
	return {
		id: requiredId(source, 'id', what),
		identifier: text(fieldOf(source, 'userName')) ?? '',
		name: `${first} ${last}`.trim(),
		inactive: !(active === true || active === 1 || active === 'true'),
		emails: [...new Set(emails)],
		apiUser: idOf(fieldOf(source, 'licenseType')) === API_USER_LICENSE,
	};
}

export function readCompany(value: unknown, what: string): PsaCompany {
	const source = record(value, what);
	const id = requiredId(source, 'id', what);
	return { id, identifier: text(fieldOf(source, 'companyNumber')) || String(id), name: text(fieldOf(source, 'companyName')) ?? '' };
}

export function readContact(value: unknown, what: string): PsaContact {
	const source = record(value, what);
	const contact: PsaContact = {
		id: requiredId(source, 'id', what),
		name: `${text(fieldOf(source, 'firstName')) ?? ''} ${text(fieldOf(source, 'lastName')) ?? ''}`.trim(),
	};
	const company = idOf(fieldOf(source, 'companyID'));
	if (company !== undefined) contact.companyId = company;
	const email = text(fieldOf(source, 'emailAddress'));
	if (email) contact.email = email;
	return contact;
}

export function readWebhook(value: unknown, what: string): PsaCallbackRegistration & { guid: string } {
	const source = record(value, what);
	const active = fieldOf(source, 'isActive');
	return {
		id: requiredId(source, 'id', what),
		url: text(fieldOf(source, 'webhookUrl')) ?? '',
		description: text(fieldOf(source, 'name')) ?? '',
		level: 'owner',
		objectId: 0,
		inactive: !(active === true || active === 'true' || active === 1),
		guid: text(fieldOf(source, 'webhookGuid')) ?? '',
	};
}
