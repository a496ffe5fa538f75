// Tolerant readers of Halo's records into PSA-domain types: only the fields used, missing optional ones defaulted, a clear error when a needed one is absent.
import { PsaError } from '../errors';
import type {
	PsaCallbackRegistration,
	PsaChoice,
	PsaCompany,
	PsaConfigurationItem,
	PsaContact,
	PsaCustomFieldDefinition,
	PsaCustomFieldType,
	PsaCustomFieldValue,
	PsaMember,
	PsaNote,
	PsaNoteType,
	PsaReference,
	PsaTicket,
} from '../types';
import { isObject } from '../values';

type Row = Record<string, unknown>;

/** What PSA Bridge writes as ExternalLink.third_party_type: its links are told apart from other integrations' by it. */
export const LINK_TYPE = 'PSA Bridge';
/** Scales as Halo keeps them (1 = highest) [open: the tenant's own labels may differ]. */
export const SCALE_WORDS = ['High', 'Medium', 'Low'] as const;

export function idOf(value: unknown): number | undefined {
	const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
	return typeof number === 'number' && Number.isSafeInteger(number) && number > 0 ? number : undefined;
}

export function textOf(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** Halo writes UTC times without a zone ("2025-03-01T10:00:00"); read as UTC and given back in ISO 8601. */
export function utc(value: unknown): string | undefined {
	if (typeof value !== 'string' || !value.trim()) return undefined;
	const text = /(z|[+-]\d\d:?\d\d)$/i.test(value.trim()) ? value.trim() : `${value.trim()}Z`;
	const time = Date.parse(text);
	// Halo's "no date" is 1900-01-01.
	return Number.isFinite(time) && time > Date.UTC(1901, 0, 1) ? new Date(time).toISOString() : undefined;
}

export function requiredId(record: Row, field: string, what: string): number {
	const id = idOf(record[field]);
	if (id === undefined) throw new PsaError('unavailable', `Halo answered ${what} without a record ${field}`, { request: what });
	return id;
}

function reference(id: unknown, name: unknown, names?: Map<number, string>): PsaReference | undefined {
	const value = idOf(id);
	if (value === undefined) return undefined;
	return { id: value, name: textOf(name) ?? names?.get(value) ?? '' };
}

export function scaleWord(value: unknown): string | undefined {
	const number = idOf(value);
	return number !== undefined ? SCALE_WORDS[number - 1] : undefined;
}

export function scaleNumber(word: string, field: string): number {
	const index = SCALE_WORDS.findIndex((candidate) => candidate.toLowerCase() === String(word).trim().toLowerCase());
	if (index < 0) throw new PsaError('invalid-input', `'${word}' is not a Halo ${field} (${SCALE_WORDS.join(', ')})`, { field });
	return index + 1;
}

/** The link reference this package wrote (ExternalLink of LINK_TYPE); another integration's links are not ours. */
export function externalRefOf(record: Row): string | undefined {
	const links = Array.isArray(record.external_links) ? record.external_links.filter(isObject) : [];
	const ours = links.find((link) => link.third_party_type === LINK_TYPE && typeof link.third_party_id === 'string');
	return ours ? String(ours.third_party_id) : undefined;
}

export interface TicketLabels {
	/** Statuses that close a ticket. */
	closedStatuses: Set<number>;
	statusNames: Map<number, string>;
	priorityNames: Map<number, string>;
	teamIds: Map<string, number>;
}

export function customFieldValue(value: unknown): PsaCustomFieldValue {
	if (value === undefined || value === null || value === '') return null;
	if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
	return JSON.stringify(value);
}

export function readTicket(record: Row, what: string, labels: TicketLabels, updatedBy?: string): PsaTicket {
	const id = requiredId(record, 'id', what);
	const status = reference(record.status_id, record.status_name, labels.statusNames) ?? { id: 0, name: '' };
	const closedAt = utc(record.dateclosed);
	const ticket: PsaTicket = {
		id,
		summary: textOf(record.summary) ?? '',
		board: reference(record.tickettype_id, record.tickettype_name) ?? { id: 0, name: '' },
		status,
		company: reference(record.client_id, record.client_name) ?? { id: 0, name: '' },
		closed: labels.closedStatuses.has(status.id),
	};
	const optional: Array<[keyof PsaTicket, PsaReference | undefined]> = [
		['priority', reference(record.priority_id, record.priority_name, labels.priorityNames)],
		['contact', reference(record.user_id, record.user_name)],
		['owner', reference(record.agent_id, record.agent_name)],
		['type', reference(record.categoryid_1, record.category_1)],
		['site', reference(record.site_id, record.site_name)],
	];
	for (const [field, value] of optional) if (value) (ticket as unknown as Row)[field] = value;
	const description = textOf(record.details);
	if (description) ticket.description = description;
	const team = textOf(record.team);
	if (team) ticket.team = { id: labels.teamIds.get(team.toLowerCase()) ?? 0, name: team };
	const externalRef = externalRefOf(record);
	if (externalRef) ticket.externalRef = externalRef;
	if (ticket.closed && closedAt) ticket.closedAt = closedAt;
	const updatedAt = utc(record.last_update) ?? utc(record.lastactiondate);
	if (updatedAt) ticket.updatedAt = updatedAt;
	const createdAt = utc(record.dateoccurred) ?? utc(record.datecreated);
	if (createdAt) ticket.createdAt = createdAt;
	if (updatedBy) ticket.updatedBy = updatedBy;
	const impact = scaleWord(record.impact);
	if (impact) ticket.impact = impact;
	const urgency = scaleWord(record.urgency);
	if (urgency) ticket.urgency = urgency;
	const dueAt = utc(record.deadlinedate);
	if (dueAt) ticket.dueAt = dueAt;
	if (Array.isArray(record.customfields)) {
		ticket.customFields = {};
		for (const field of record.customfields.filter(isObject)) {
			const name = textOf(field.name);
			if (name) ticket.customFields[name] = customFieldValue(field.value);
		}
	}
	if (Array.isArray(record.assets)) ticket.configurationItemIds = record.assets.filter(isObject).map((asset) => idOf(asset.id)).filter((assetId): assetId is number => assetId !== undefined);
	return ticket;
}

/** A note's type from how Halo keeps the action: hidden from the user is internal; the resolution action type is a resolution. */
export function readNote(record: Row, what: string, ticketId?: number): PsaNote {
	const outcome = textOf(record.outcome) ?? '';
	const type: PsaNoteType = record.hiddenfromuser === true ? 'internal' : /resol/i.test(outcome) ? 'resolution' : 'discussion';
	const note: PsaNote = { id: requiredId(record, 'id', what), ticketId: idOf(record.ticket_id) ?? ticketId ?? 0, text: textOf(record.note) ?? '', type };
	const memberId = idOf(record.who_agentid) ?? idOf(record.actionby_agent_id);
	if (memberId !== undefined) note.memberId = memberId;
	const createdAt = utc(record.datetime) ?? utc(record.actiondatecreated);
	if (createdAt) note.createdAt = createdAt;
	return note;
}

export function readAgent(record: Row, what: string): PsaMember {
	const email = textOf(record.email)?.trim().toLowerCase();
	return {
		id: requiredId(record, 'id', what),
		identifier: textOf(record.name) ?? '',
		name: textOf(record.name) ?? '',
		inactive: record.isdisabled === true,
		emails: email ? [email] : [],
	};
}

export function readClient(record: Row, what: string): PsaCompany {
	const name = textOf(record.name) ?? '';
	return { id: requiredId(record, 'id', what), identifier: name, name };
}

export function readUser(record: Row, what: string): PsaContact {
	const contact: PsaContact = { id: requiredId(record, 'id', what), name: textOf(record.name) ?? '' };
	const companyId = idOf(record.client_id);
	if (companyId !== undefined) contact.companyId = companyId;
	const email = textOf(record.emailaddress);
	if (email) contact.email = email.toLowerCase();
	return contact;
}

export function readChoice(record: Row, what: string, nameField = 'name'): PsaChoice {
	const choice: PsaChoice = { id: requiredId(record, 'id', what), name: textOf(record[nameField]) ?? '' };
	if (record.inactive === true || record.isdisabled === true) choice.inactive = true;
	return choice;
}

/** Assets as configuration items [open: which key field holds what is per asset type in Halo; the sandbox keeps hostname, serial, IP]. */
export function readAsset(record: Row, what: string): PsaConfigurationItem {
	const item: PsaConfigurationItem = {
		id: requiredId(record, 'id', what),
		name: textOf(record.inventory_number) ?? textOf(record.key_field) ?? '',
		inactive: record.inactive === true,
	};
	const companyId = idOf(record.client_id);
	if (companyId !== undefined) item.companyId = companyId;
	const optional: Array<[keyof PsaConfigurationItem, unknown]> = [
		['typeName', record.assettype_name],
		['serialNumber', record.key_field2],
		['ipAddress', record.key_field3],
		['macAddress', record.ethernetMacAddress],
		['deviceId', record.datto_id ?? record.ninjarmm_id ?? record.connectwisermm_id],
	];
	for (const [field, value] of optional) {
		const text = textOf(value);
		if (text) (item as unknown as Row)[field] = text;
	}
	return item;
}

/** FieldInfo.type as this package reads it [open: the sandbox's numbering]. */
const FIELD_TYPES: Record<number, PsaCustomFieldType> = { 0: 'text', 1: 'text', 2: 'picklist', 3: 'date', 4: 'datetime', 5: 'number', 6: 'boolean' };

export function readFieldInfo(record: Row, what: string): PsaCustomFieldDefinition {
	const type = FIELD_TYPES[typeof record.type === 'number' ? record.type : 0] ?? 'text';
	const definition: PsaCustomFieldDefinition = { id: requiredId(record, 'id', what), name: textOf(record.name) ?? '', type, required: record.mandatory === true };
	if (type === 'picklist' && Array.isArray(record.values)) {
		definition.picklist = record.values.filter(isObject).map((value) => ({ value: textOf(value.name) ?? '', label: textOf(value.name) ?? '' }));
	}
	if (typeof record.characterlimit === 'number' && record.characterlimit > 0) definition.maxLength = record.characterlimit;
	return definition;
}

/** Halo webhooks are named by a UUID; the package's callback ids are numbers: the UUID's first 52 bits. */
export function webhookNumber(uuid: string): number {
	const hex = uuid.replace(/-/g, '').slice(0, 13);
	const number = Number.parseInt(hex, 16);
	if (!/^[0-9a-f]{13}$/i.test(hex) || !Number.isSafeInteger(number)) throw new PsaError('unavailable', `Halo named a webhook '${uuid}', which is not a UUID`);
	return number;
}

export function readWebhook(record: Row, what: string): PsaCallbackRegistration & { guid: string } {
	const guid = textOf(record.id);
	if (!guid) throw new PsaError('unavailable', `Halo answered ${what} without a webhook id`, { request: what });
	return {
		id: webhookNumber(guid),
		guid,
		url: textOf(record.url) ?? '',
		description: textOf(record.name) ?? '',
		level: 'owner',
		objectId: 0,
		inactive: record.active === false,
	};
}

/** The record an upsert saved: Halo answers the saved record, or a list of them [client]. */
export function savedRecord(body: unknown, what: string): Row {
	const record = Array.isArray(body) ? body.find(isObject) : isObject(body) ? body : undefined;
	if (!record) throw new PsaError('unavailable', `Halo answered ${what} without the saved record`, { request: what, outcomeUnknown: true });
	return record;
}
