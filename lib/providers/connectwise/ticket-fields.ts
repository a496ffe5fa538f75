// The ticket fields beyond the basics in ConnectWise's terms: the create body's classification, team, source, site, scales, due date and custom fields, and the PATCH operations of an update.
import { customFieldNamed, customFieldValue } from '../custom-fields';
import { PsaError } from '../errors';
import type { PsaCustomFieldValue, PsaTicketCapabilities, PsaTicketCreate, PsaTicketDetails, PsaTicketUpdate } from '../types';
import { recordId } from '../values';
import type { ConnectWiseCustomField } from './depth';
import { ticketSummary } from './tickets';

export interface TicketFieldRules {
	scales: PsaTicketCapabilities['scales'];
	/** The ticket custom fields (cached); asked for only when custom fields are given. */
	customFields: () => Promise<ConnectWiseCustomField[]>;
}

export interface PatchOperation {
	op: 'replace' | 'remove';
	path: string;
	value?: unknown;
}

/** PSA-neutral reference fields and the ConnectWise ticket field each one sets. */
const DETAIL_REFERENCES: Array<[keyof PsaTicketDetails, string, string]> = [
	['typeId', 'type', 'type'],
	['subtypeId', 'subType', 'subtype'],
	['itemId', 'item', 'item'],
	['teamId', 'team', 'team'],
	['sourceId', 'source', 'source'],
	['siteId', 'site', 'site'],
];

const UPDATE_REFERENCES: Array<[keyof PsaTicketUpdate, string, string, boolean]> = [
	// [neutral field, ConnectWise field, what it is, whether null clears it]
	['boardId', 'board', 'board', false],
	['statusId', 'status', 'status', false],
	['priorityId', 'priority', 'priority', false],
	['contactId', 'contact', 'contact', true],
	['ownerId', 'owner', 'owner', true],
	...DETAIL_REFERENCES.map(([neutral, field, what]): [keyof PsaTicketUpdate, string, string, boolean] => [neutral as keyof PsaTicketUpdate, field, what, true]),
];

/** The create body's depth fields; everything is checked before the create is sent (unknown custom field, bad value, bad scale). */
export async function createFields(input: PsaTicketCreate, rules: TicketFieldRules): Promise<Record<string, unknown>> {
	if (Array.isArray(input.configurationItemIds) && input.configurationItemIds.length > 0) {
		throw new PsaError('invalid-input', 'A ConnectWise ticket is created without configuration items; attach them after the create (attachConfigurationItem)', {
			field: 'configurationItemIds',
		});
	}
	const body: Record<string, unknown> = {};
	for (const [neutral, field, what] of DETAIL_REFERENCES) {
		const id = input[neutral];
		if (id !== undefined && id !== null) body[field] = { id: recordId(id, what, `${field}/id`) };
	}
	for (const scale of ['severity', 'impact'] as const) {
		if (input[scale] !== undefined && input[scale] !== null) body[scale] = scaleWord(scale, input[scale], rules);
	}
	refuseUrgency(input.urgency);
	if (input.dueAt !== undefined && input.dueAt !== null) body.requiredDate = connectWiseTime(input.dueAt, 'dueAt');
	if (input.customFields && Object.keys(input.customFields).length > 0) body.customFields = await customFieldEntries(input.customFields, rules);
	return body;
}

/** One PATCH operation per field present in `changes`, in one array; null removes what ConnectWise lets clear. */
export async function updateOperations(changes: PsaTicketUpdate, rules: TicketFieldRules): Promise<PatchOperation[]> {
	const operations: PatchOperation[] = [];
	if (changes.summary !== undefined) {
		const text = String(changes.summary ?? '');
		const { summary, truncated } = ticketSummary(text);
		if (!summary.trim()) throw new PsaError('invalid-input', 'A ticket summary cannot be empty', { field: 'summary' });
		if (truncated) throw new PsaError('invalid-input', 'A ConnectWise ticket summary is one line of at most 100 characters', { field: 'summary' });
		operations.push({ op: 'replace', path: 'summary', value: summary });
	}
	for (const [neutral, field, what, clearable] of UPDATE_REFERENCES) {
		const id = changes[neutral];
		if (id === undefined) continue;
		if (id === null) {
			if (!clearable) throw new PsaError('invalid-input', `A ConnectWise ticket always has a ${what}; give another one instead of clearing it`, { field: `${field}/id` });
			operations.push({ op: 'remove', path: field });
		} else {
			operations.push({ op: 'replace', path: field, value: { id: recordId(id, what, `${field}/id`) } });
		}
	}
	for (const scale of ['severity', 'impact'] as const) {
		if (changes[scale] !== undefined) operations.push({ op: 'replace', path: scale, value: scaleWord(scale, changes[scale], rules) });
	}
	refuseUrgency(changes.urgency);
	if (changes.dueAt === null) operations.push({ op: 'remove', path: 'requiredDate' });
	else if (changes.dueAt !== undefined) operations.push({ op: 'replace', path: 'requiredDate', value: connectWiseTime(changes.dueAt, 'dueAt') });
	if (changes.customFields && Object.keys(changes.customFields).length > 0) {
		operations.push({ op: 'replace', path: 'customFields', value: await customFieldEntries(changes.customFields, rules) });
	}
	return operations;
}

/**
 * The `customFields` entries for values given by name: ConnectWise identifies an entry by its id and repeats the
 * definition's caption, type, entry method and decimals; a date is written as midnight UTC of its day.
 */
async function customFieldEntries(values: Record<string, PsaCustomFieldValue>, rules: TicketFieldRules): Promise<Array<Record<string, unknown>>> {
	const fields = await rules.customFields();
	const definitions = fields.map((field) => field.definition);
	const entries: Array<Record<string, unknown>> = [];
	for (const [name, raw] of Object.entries(values)) {
		const definition = customFieldNamed(definitions, name, 'ConnectWise');
		const field = fields.find((candidate) => candidate.definition === definition) as ConnectWiseCustomField;
		const value = customFieldValue(definition, raw);
		entries.push({
			id: definition.id,
			caption: definition.name,
			type: field.fieldType,
			entryMethod: field.entryMethod,
			numberOfDecimals: field.numberOfDecimals,
			value: definition.type === 'date' && typeof value === 'string' ? `${value}T00:00:00Z` : value,
		});
	}
	return entries;
}

function scaleWord(scale: 'severity' | 'impact', value: unknown, rules: TicketFieldRules): string {
	const words = rules.scales[scale] ?? [];
	const word = typeof value === 'string' ? words.find((candidate) => candidate.toLowerCase() === value.trim().toLowerCase()) : undefined;
	if (word) return word;
	throw new PsaError('invalid-input', `ConnectWise's ticket ${scale} is one of ${words.join(', ')}; got '${String(value)}'`, { field: scale });
}

/** ConnectWise's scales are severity and impact (the Ticket model has no urgency): an urgency is refused, not dropped. */
function refuseUrgency(urgency: unknown): void {
	if (urgency === undefined || urgency === null) return;
	throw new PsaError('invalid-input', 'ConnectWise tickets have no urgency; set severity and impact instead', { field: 'urgency' });
}

/** ISO 8601 text as ConnectWise writes times: UTC, no milliseconds. */
function connectWiseTime(value: unknown, field: string): string {
	const time = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value.trim()) ? Date.parse(value.trim()) : NaN;
	if (Number.isNaN(time)) throw new PsaError('invalid-input', `${field} must be an ISO 8601 date or date and time, e.g. 2025-01-31T17:00:00Z; got '${String(value)}'`, { field });
	return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
