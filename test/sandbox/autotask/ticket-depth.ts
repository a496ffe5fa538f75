// Ticket depth in the Autotask sandbox: issue / sub-issue type pairs, location and configuration item references, UDF values, additional configuration items.
import { atTimestamp, type AutotaskDb, type AutotaskTicketAdditionalConfigurationItem } from './data';
import type { UdfInfo } from './metadata';
import { apiError } from './query';

export type UdfValues = Array<{ name: string; value: string | null }>;

/**
 * A sub-issue type is valid only under the issue type its picklist value names as parentValue (the fixture's
 * picklistParentValueField). What Autotask answers otherwise is not in the reference: the sandbox answers with its
 * picklist refusal, the message the reference quotes for a value a picklist does not hold.
 */
export function checkClassification(db: AutotaskDb, ticket: Record<string, unknown>): void {
	if (ticket.subIssueType === null || ticket.subIssueType === undefined) return;
	const value = (db.picklists.Tickets.subIssueType ?? []).find((candidate) => candidate.value === String(ticket.subIssueType));
	if (!value || ticket.issueType === null || ticket.issueType === undefined || value.parentValue !== String(ticket.issueType)) {
		throw apiError(`Picklist value [${String(ticket.subIssueType)}] does not exist for subIssueType`);
	}
}

/** The ticket's location and configuration item must exist and belong to the ticket's company (else no such entity for it). */
export function checkReferences(db: AutotaskDb, ticket: Record<string, unknown>): void {
	const references: Array<[string, Array<{ id: number; companyID: number }>]> = [
		['companyLocationID', db.companyLocations],
		['configurationItemID', db.configurationItems],
	];
	for (const [name, rows] of references) {
		const id = ticket[name];
		if (id === null || id === undefined) continue;
		const row = rows.find((candidate) => candidate.id === id);
		if (!row || row.companyID !== ticket.companyID) throw apiError(`Value does not reference an existing entity for ${name}.`);
	}
}

/** One UDF value as Autotask keeps it (text), checked against its definition. */
function udfValue(definition: UdfInfo, value: unknown): string | null {
	if (value === null || value === undefined || value === '') return null;
	const invalid = () => apiError(`Invalid value '${typeof value === 'object' ? JSON.stringify(value) : String(value)}' for user-defined field ${definition.name}.`);
	if (typeof value === 'object') throw invalid();
	const text = String(value);
	if (definition.isPickList) {
		if (!(definition.picklistValues ?? []).some((entry) => entry.value === text)) throw apiError(`Picklist value [${text}] does not exist for ${definition.name}`);
		return text;
	}
	switch (definition.type) {
		case 'datetime':
		case 'date': {
			const time = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || definition.type === 'date' ? text : `${text}Z`);
			if (!Number.isFinite(time)) throw invalid();
			return atTimestamp(time);
		}
		case 'decimal':
		case 'double':
		case 'integer':
		case 'long': {
			const number = Number(text);
			if (text.trim() === '' || !Number.isFinite(number)) throw invalid();
			return String(number);
		}
		default:
			if (definition.length > 0 && text.length > definition.length) throw apiError(`${definition.name} exceeds ${definition.length} characters (maximum length)`);
			return text;
	}
}

/**
 * The ticket's UDF list after a write: every defined UDF is listed (null when unset); the ones named in `input` are set,
 * the others keep `current` (a PUT passes no current, so unnamed UDFs are cleared). Names match case-insensitively.
 */
export function writeUdfs(definitions: UdfInfo[], current: UdfValues, input: unknown): UdfValues {
	if (input !== undefined && input !== null && !Array.isArray(input)) throw apiError('userDefinedFields must be an array of {name, value}.');
	const next = new Map(definitions.map((definition) => [definition.name, current.find((entry) => entry.name.toLowerCase() === definition.name.toLowerCase())?.value ?? null]));
	for (const entry of (input ?? []) as unknown[]) {
		const name = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).name ?? (entry as Record<string, unknown>).Name : undefined;
		const definition = definitions.find((candidate) => candidate.name.toLowerCase() === String(name ?? '').toLowerCase());
		if (!definition) throw apiError(`Unable to find user-defined field '${String(name)}' for the Ticket entity.`);
		const record = entry as Record<string, unknown>;
		next.set(definition.name, udfValue(definition, 'value' in record ? record.value : record.Value));
	}
	return [...next].map(([name, value]) => ({ name, value }));
}

/** POST /Tickets/{id}/AdditionalConfigurationItems: the ticket and item must exist; an item already on the ticket is refused. */
export function attachConfigurationItem(db: AutotaskDb, ticketId: number, input: Record<string, unknown>): AutotaskTicketAdditionalConfigurationItem {
	const ticket = db.tickets.find((candidate) => candidate.id === ticketId);
	if (!ticket) throw apiError('Value does not reference an existing entity for ticketID.');
	if (input.ticketID !== undefined && input.ticketID !== null && Number(input.ticketID) !== ticketId) {
		throw apiError(`ticketID ${String(input.ticketID)} does not match the parent ticket ${ticketId}.`);
	}
	const itemId = Number(input.configurationItemID);
	if (input.configurationItemID === undefined || input.configurationItemID === null) throw apiError('configurationItemID is required');
	if (!db.configurationItems.some((candidate) => candidate.id === itemId)) throw apiError('Value does not reference an existing entity for configurationItemID.');
	// Whether Autotask refuses a repeated pair is not in the reference: the sandbox refuses it, so a duplicate never exists.
	if (ticket.configurationItemID === itemId || db.ticketAdditionalConfigurationItems.some((row) => row.ticketID === ticketId && row.configurationItemID === itemId)) {
		throw apiError(`configurationItemID ${itemId} is already associated with ticket ${ticketId}.`);
	}
	const row = { id: db.nextIds.ticketAdditionalConfigurationItems++, ticketID: ticketId, configurationItemID: itemId };
	db.ticketAdditionalConfigurationItems.push(row);
	return row;
}

/** DELETE /Tickets/{parentId}/AdditionalConfigurationItems/{id} (the child delete pattern; not in the reference subset). */
export function detachConfigurationItem(db: AutotaskDb, ticketId: number, id: number): void {
	if (!db.ticketAdditionalConfigurationItems.some((row) => row.id === id && row.ticketID === ticketId)) {
		throw apiError('No message. No matching records found. The logged in Resource may not have the required permissions to delete the data.');
	}
	db.ticketAdditionalConfigurationItems = db.ticketAdditionalConfigurationItems.filter((row) => row.id !== id);
}
