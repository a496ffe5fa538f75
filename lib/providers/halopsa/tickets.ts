// Ticket bodies for Halo's upsert (create and change: only the fields given) and PSA-neutral searches: the simple conditions as Halo's own filters, every condition checked on what Halo returned.
import { PsaError } from '../errors';
import { PSA_TICKET_SEARCH_FIELDS, type PsaCustomFieldDefinition, type PsaChoice, type PsaTicket, type PsaTicketCondition, type PsaTicketConditionGroup, type PsaTicketDetails, type PsaTicketSearch } from '../types';
import { recordId } from '../values';
import { scaleNumber } from './read';

/** Halo's summary holds far more than any PSA title; 255 keeps a ticket readable in lists and mails [open: the limit]. */
export const SUMMARY_MAX = 255;

export interface DetailLists {
	categories(): Promise<PsaChoice[]>;
	teams(): Promise<PsaChoice[]>;
	customFields(): Promise<PsaCustomFieldDefinition[]>;
}

export function positiveId(value: unknown, what: string, field = `${what}_id`): number {
	return recordId(value, what, field);
}

function nameIn(choices: PsaChoice[], id: number, what: string, field: string): string {
	const choice = choices.find((candidate) => candidate.id === id);
	if (!choice) throw new PsaError('invalid-input', `Halo has no ${what} ${id}`, { field, hint: `Choose a ${what} from the list` });
	return choice.name;
}

/** The Faults fields for the ticket-depth details present in `details`; names resolved before anything is sent. */
export async function detailFields(details: Omit<PsaTicketDetails, 'dueAt'> & { dueAt?: string | null }, lists: DetailLists): Promise<Record<string, unknown>> {
	const body: Record<string, unknown> = {};
	if (details.typeId !== undefined && details.typeId !== null) {
		const id = positiveId(details.typeId, 'category', 'categoryid_1');
		body.categoryid_1 = id;
		body.category_1 = nameIn(await lists.categories(), id, 'category', 'category_1');
	}
	if (details.teamId !== undefined && details.teamId !== null) body.team = nameIn(await lists.teams(), positiveId(details.teamId, 'team'), 'team', 'team');
	if (details.siteId !== undefined && details.siteId !== null) body.site_id = positiveId(details.siteId, 'site');
	if (details.impact !== undefined && details.impact !== null) body.impact = scaleNumber(details.impact, 'impact');
	if (details.urgency !== undefined && details.urgency !== null) body.urgency = scaleNumber(details.urgency, 'urgency');
	if (details.dueAt !== undefined) body.deadlinedate = details.dueAt === null ? null : isoDate(details.dueAt, 'deadlinedate');
	for (const unsupported of ['subtypeId', 'itemId', 'sourceId', 'severity'] as const) {
		if (details[unsupported] !== undefined && details[unsupported] !== null) throw new PsaError('invalid-input', `Halo tickets have no ${unsupported.replace(/Id$/, '')}`, { field: unsupported });
	}
	if (details.customFields && Object.keys(details.customFields).length > 0) {
		const definitions = await lists.customFields();
		body.customfields = Object.entries(details.customFields).map(([name, value]) => {
			const definition = definitions.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
			if (!definition) throw new PsaError('invalid-input', `Halo has no ticket custom field '${name}'`, { field: 'customfields', hint: 'Use the field\'s name as Halo shows it in Configuration > Custom Objects' });
			return { ...(definition.id !== undefined ? { id: definition.id } : {}), name: definition.name, value };
		});
	}
	return body;
}

function isoDate(value: unknown, field: string): string {
	const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
	if (!Number.isFinite(time)) throw new PsaError('invalid-input', `'${String(value)}' is not a date (ISO 8601)`, { field });
	return new Date(time).toISOString();
}

/** Conditions Halo filters itself (GET /Tickets query parameters): plain equality at the top of an 'all' group. */
const SERVER_FILTERS: Record<string, string> = { status: 'status_id', company: 'client_id', board: 'requesttype_id', owner: 'agent_id', site: 'site_id', contact: 'user_id' };

export function serverQuery(search: PsaTicketSearch): Record<string, string | number | boolean> {
	const query: Record<string, string | number | boolean> = {};
	if (search.state === 'open') query.open_only = true;
	if (search.state === 'closed') query.closed_only = true;
	if (search.newestFirst) {
		query.order = 'id';
		query.orderdesc = true;
	}
	const where = search.where;
	if (where && where.match === 'all') {
		for (const condition of where.conditions) {
			const parameter = SERVER_FILTERS[condition.field];
			if (!condition.customField && parameter && condition.operator === 'eq' && typeof condition.value === 'number') query[parameter] = condition.value;
		}
	}
	return query;
}

/** The ticket's value for a PSA-neutral field, as the conditions compare it. */
function valueOf(ticket: PsaTicket, condition: PsaTicketCondition): unknown {
	if (condition.customField) return ticket.customFields?.[condition.field] ?? ticket.customFields?.[Object.keys(ticket.customFields ?? {}).find((name) => name.toLowerCase() === condition.field.toLowerCase()) ?? ''] ?? null;
	switch (condition.field) {
		case 'id':
			return ticket.id;
		case 'summary':
			return ticket.summary;
		case 'externalReference':
			return ticket.externalRef ?? null;
		case 'createdAt':
		case 'updatedAt':
		case 'dueAt':
			return ticket[condition.field] ?? null;
		case 'closed':
			return ticket.closed;
		default: {
			const reference = (ticket as unknown as Record<string, { id: number; name: string } | undefined>)[condition.field === 'type' ? 'type' : condition.field];
			if (reference === undefined) return null;
			return reference;
		}
	}
}

function compare(actual: unknown, operator: PsaTicketCondition['operator'], wanted: unknown): boolean {
	if (operator === 'isNull') return actual === null || actual === undefined || actual === '';
	if (operator === 'isNotNull') return !(actual === null || actual === undefined || actual === '');
	if (actual !== null && typeof actual === 'object' && 'id' in (actual as object)) {
		const reference = actual as { id: number; name: string };
		// A reference compares by id when given a number, by name otherwise.
		return compare(typeof wanted === 'number' || (Array.isArray(wanted) && typeof wanted[0] === 'number') ? reference.id : reference.name, operator, wanted);
	}
	if (operator === 'in') return Array.isArray(wanted) && wanted.some((entry) => compare(actual, 'eq', entry));
	if (actual === null || actual === undefined) return operator === 'ne';
	const dates = typeof actual === 'string' && typeof wanted === 'string' && /^\d{4}-\d\d-\d\d/.test(actual) && /^\d{4}-\d\d-\d\d/.test(wanted);
	const left = dates ? Date.parse(actual as string) : typeof actual === 'string' ? actual.toLowerCase() : actual;
	const right = dates ? Date.parse(wanted as string) : typeof wanted === 'string' ? wanted.toLowerCase() : wanted;
	switch (operator) {
		case 'eq':
			return left === right || String(left) === String(right);
		case 'ne':
			return !(left === right || String(left) === String(right));
		case 'contains':
			return String(left).includes(String(right));
		case 'startsWith':
			return String(left).startsWith(String(right));
		case 'gt':
			return (left as number) > (right as number);
		case 'gte':
			return (left as number) >= (right as number);
		case 'lt':
			return (left as number) < (right as number);
		case 'lte':
			return (left as number) <= (right as number);
		default:
			return false;
	}
}

/** Refuses a condition on a field the PSA-neutral list does not name, or on a custom field Halo does not have. */
export function checkSearchFields(group: PsaTicketConditionGroup | undefined, customFields: string[]): void {
	if (!group) return;
	for (const condition of group.conditions) {
		if (condition.customField) {
			if (!customFields.some((name) => name.toLowerCase() === condition.field.toLowerCase())) {
				throw new PsaError('invalid-input', `HaloPSA has no ticket custom field named '${condition.field}'; its ticket custom fields are: ${customFields.join(', ') || '(none)'}`, { field: `customFields.${condition.field}`, refused: true });
			}
		} else if (!(PSA_TICKET_SEARCH_FIELDS as readonly string[]).includes(condition.field)) {
			throw new PsaError('invalid-input', `'${condition.field}' is not a ticket field a search can name`, { field: condition.field, hint: `Use one of: ${PSA_TICKET_SEARCH_FIELDS.join(', ')}, or a custom field.`, refused: true });
		}
	}
	for (const inner of group.groups ?? []) checkSearchFields(inner, customFields);
}

/** Whether the ticket meets the group (its conditions and nested groups, joined by `match`). */
export function matches(ticket: PsaTicket, group: PsaTicketConditionGroup | undefined): boolean {
	if (!group) return true;
	const results = [...group.conditions.map((condition) => compare(valueOf(ticket, condition), condition.operator, condition.value)), ...(group.groups ?? []).map((inner) => matches(ticket, inner))];
	if (results.length === 0) return true;
	return group.match === 'any' ? results.some(Boolean) : results.every(Boolean);
}
