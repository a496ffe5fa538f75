// Ticket search: PSA-neutral conditions into Autotask's filter (values always JSON data, never query text), UDF conditions with `udf: true`, paging to the limit.
import { PsaError } from '../errors';
import type { PsaSearchOperator, PsaTicket, PsaTicketCondition, PsaTicketConditionGroup, PsaTicketSearch } from '../types';
import { isObject } from '../values';
import { customFieldNamed } from '../custom-fields';
import { type AutotaskUdf, udfText } from './custom-fields';
import { type ComparisonOp, type Filter, type FilterValue, q } from './filter';
import { DEFAULT_LIST_LIMIT } from './lookups';
import { type EntityPicklists, labelsFrom } from './picklists';
import { COMPLETE_STATUS, readTicket } from './read';
import { autotaskDateTime } from './ticket-fields';

type FieldKind = 'number' | 'text' | 'date' | 'closed';

/** Each neutral field Autotask tickets have, and the ticket field it searches. */
const SEARCH_FIELDS: Record<string, { field: string; kind: FieldKind }> = {
	id: { field: 'id', kind: 'number' },
	summary: { field: 'title', kind: 'text' },
	board: { field: 'queueID', kind: 'number' },
	status: { field: 'status', kind: 'number' },
	company: { field: 'companyID', kind: 'number' },
	priority: { field: 'priority', kind: 'number' },
	contact: { field: 'contactID', kind: 'number' },
	owner: { field: 'assignedResourceID', kind: 'number' },
	type: { field: 'issueType', kind: 'number' },
	subtype: { field: 'subIssueType', kind: 'number' },
	source: { field: 'source', kind: 'number' },
	site: { field: 'companyLocationID', kind: 'number' },
	externalReference: { field: 'externalID', kind: 'text' },
	createdAt: { field: 'createDate', kind: 'date' },
	updatedAt: { field: 'lastTrackedModificationDateTime', kind: 'date' },
	dueAt: { field: 'dueDateTime', kind: 'date' },
	closed: { field: 'status', kind: 'closed' },
};
/** Neutral fields Autotask tickets do not have. */
const ABSENT_FIELDS: Record<string, string> = { item: 'no item level in their classification', team: 'no team' };

const COMPARISON: Partial<Record<PsaSearchOperator, ComparisonOp>> = {
	eq: 'eq',
	ne: 'noteq',
	contains: 'contains',
	startsWith: 'beginsWith',
	gt: 'gt',
	gte: 'gte',
	lt: 'lt',
	lte: 'lte',
};
const OPERATORS = ['eq', 'ne', 'contains', 'startsWith', 'gt', 'gte', 'lt', 'lte', 'in', 'isNull', 'isNotNull'];
/** Deeper nesting than any editor builds; it bounds the work a hostile search can cause. */
const MAX_GROUP_DEPTH = 8;

export interface TicketSearchDeps {
	picklists(): Promise<EntityPicklists>;
	definitions(): Promise<AutotaskUdf[]>;
	query(path: string, filter: Array<Filter | undefined>, limit: number | undefined): Promise<unknown[]>;
}

export async function searchTickets(search: PsaTicketSearch, deps: TicketSearchDeps): Promise<PsaTicket[]> {
	if (!isObject(search as unknown)) throw new PsaError('invalid-input', 'A ticket search must be an object', { field: 'search' });
	const limit = searchLimit(search.limit);
	const udfConditions = countUdfConditions(search.where);
	if (udfConditions > 1) {
		throw new PsaError('invalid-input', `Autotask searches at most one custom field per query; this search has ${udfConditions} custom-field conditions`, {
			field: 'customField',
			hint: 'Keep one custom-field condition and filter the rest in the workflow',
		});
	}
	const definitions = udfConditions > 0 || search.withCustomFields ? await deps.definitions() : undefined;
	const filter = [stateFilter(search.state), search.where === undefined ? undefined : groupFilter(search.where, definitions, 0)];
	const labels = labelsFrom(await deps.picklists());
	// Autotask queries have no order: ids ascend, so newest first reads every match and keeps the tail.
	const items = await deps.query('/Tickets/query', filter, search.newestFirst ? undefined : limit);
	const tickets = items.map((item) => readTicket(item, 'POST /Tickets/query', labels, search.withCustomFields ? definitions : undefined)).sort((a, b) => a.id - b.id);
	if (search.newestFirst) tickets.reverse();
	return tickets.slice(0, limit);
}

function searchLimit(limit: unknown): number {
	if (limit === undefined) return DEFAULT_LIST_LIMIT;
	if (limit === Infinity) return Infinity;
	if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) throw new PsaError('invalid-input', `A search limit must be a whole number of 0 or more (or Infinity for all), got '${String(limit)}'`, { field: 'limit' });
	return limit;
}

function stateFilter(state: PsaTicketSearch['state']): Filter | undefined {
	if (state === undefined) return undefined;
	if (state === 'open') return q.noteq('status', COMPLETE_STATUS);
	if (state === 'closed') return q.eq('status', COMPLETE_STATUS);
	throw new PsaError('invalid-input', `'${String(state)}' is not a ticket state (open, closed)`, { field: 'state' });
}

function countUdfConditions(group: PsaTicketConditionGroup | undefined, depth = 0): number {
	if (!isObject(group) || depth > MAX_GROUP_DEPTH) return 0;
	const own = Array.isArray(group.conditions) ? group.conditions.filter((condition) => isObject(condition) && condition.customField === true).length : 0;
	const nested = Array.isArray(group.groups) ? group.groups.reduce((sum, child) => sum + countUdfConditions(child, depth + 1), 0) : 0;
	return own + nested;
}

function groupFilter(group: PsaTicketConditionGroup, definitions: AutotaskUdf[] | undefined, depth: number): Filter | undefined {
	if (!isObject(group)) throw new PsaError('invalid-input', 'A condition group must be an object with match and conditions', { field: 'where' });
	if (depth > MAX_GROUP_DEPTH) throw new PsaError('invalid-input', `Condition groups nest at most ${MAX_GROUP_DEPTH} deep`, { field: 'where' });
	if (group.match !== 'all' && group.match !== 'any') throw new PsaError('invalid-input', `A condition group matches 'all' or 'any', not '${String(group.match)}'`, { field: 'match' });
	if (group.conditions !== undefined && !Array.isArray(group.conditions)) throw new PsaError('invalid-input', 'A condition group\'s conditions must be a list', { field: 'conditions' });
	if (group.groups !== undefined && !Array.isArray(group.groups)) throw new PsaError('invalid-input', 'A condition group\'s groups must be a list', { field: 'groups' });
	const items = [
		...(group.conditions ?? []).map((condition) => conditionFilter(condition, definitions)),
		...(group.groups ?? []).map((child) => groupFilter(child, definitions, depth + 1)),
	].filter((item): item is Filter => item !== undefined);
	// Autotask refuses an and/or without items: an empty group is no condition.
	if (items.length === 0) return undefined;
	if (items.length === 1) return items[0];
	return group.match === 'all' ? q.and(...items) : q.or(...items);
}

function conditionFilter(condition: PsaTicketCondition, definitions: AutotaskUdf[] | undefined): Filter {
	if (!isObject(condition)) throw new PsaError('invalid-input', 'A search condition must be an object with field, operator and value', { field: 'conditions' });
	const { operator } = condition;
	if (!OPERATORS.includes(operator)) throw new PsaError('invalid-input', `'${String(operator)}' is not a search operator (${OPERATORS.join(', ')})`, { field: 'operator' });
	if (condition.customField === true) return customFieldFilter(condition, definitions ?? []);
	const name = String(condition.field);
	if (name in ABSENT_FIELDS) throw new PsaError('invalid-input', `Autotask tickets have ${ABSENT_FIELDS[name]}, so a search cannot use '${name}'`, { field: name });
	const target = Object.prototype.hasOwnProperty.call(SEARCH_FIELDS, name) ? SEARCH_FIELDS[name] : undefined;
	if (!target) {
		throw new PsaError('invalid-input', `'${name}' is not a ticket field a search can use; the fields are: ${Object.keys(SEARCH_FIELDS).join(', ')}`, {
			field: name,
			hint: 'For a custom field, mark the condition as a custom field and give its name',
		});
	}
	if (operator === 'isNull' || operator === 'isNotNull') {
		if (target.kind === 'closed') throw new PsaError('invalid-input', "'closed' is true or false; compare it with eq or ne", { field: name });
		return operator === 'isNull' ? q.notExist(target.field) : q.exist(target.field);
	}
	if (target.kind === 'closed') {
		if ((operator !== 'eq' && operator !== 'ne') || typeof condition.value !== 'boolean') throw new PsaError('invalid-input', "'closed' is compared with eq or ne to true or false", { field: name });
		return (condition.value === true) === (operator === 'eq') ? q.eq('status', COMPLETE_STATUS) : q.noteq('status', COMPLETE_STATUS);
	}
	if ((operator === 'contains' || operator === 'startsWith') && target.kind !== 'text') {
		throw new PsaError('invalid-input', `'${operator}' compares text; '${name}' is ${target.kind === 'date' ? 'a date' : 'an id'}`, { field: name });
	}
	const read = (value: unknown) => searchValue(value, target.kind, name);
	if (operator === 'in') {
		if (!Array.isArray(condition.value) || condition.value.length === 0) throw new PsaError('invalid-input', `'in' on '${name}' needs a non-empty list of values`, { field: name });
		return q.in(target.field, condition.value.map(read));
	}
	return comparison(operator, target.field, read(condition.value));
}

function customFieldFilter(condition: PsaTicketCondition, definitions: AutotaskUdf[]): Filter {
	const definition = customFieldNamed(definitions, String(condition.field), 'Autotask');
	const { operator } = condition;
	if (operator === 'isNull' || operator === 'isNotNull') return q.udf(operator === 'isNull' ? 'notExist' : 'exist', definition.name, undefined);
	if (operator === 'in') {
		throw new PsaError('invalid-input', `Autotask searches one custom-field condition per query, so '${definition.name}' cannot be matched with 'in'`, { field: definition.name });
	}
	const value = condition.value;
	if (value === null || value === undefined || Array.isArray(value) || typeof value === 'object') {
		throw new PsaError('invalid-input', `The condition on '${definition.name}' needs one value`, { field: definition.name });
	}
	// Partial text matches compare the text as given; whole values are written as Autotask keeps them (a picklist's value).
	const text = operator === 'contains' || operator === 'startsWith' ? String(value) : udfText({ ...definition, required: false }, value);
	if (text === null) throw new PsaError('invalid-input', `The condition on '${definition.name}' needs a value; use isNull for an empty field`, { field: definition.name });
	return q.udf(COMPARISON[operator] as ComparisonOp, definition.name, text);
}

function comparison(operator: PsaSearchOperator, field: string, value: FilterValue): Filter {
	const op = COMPARISON[operator] as ComparisonOp;
	return q[op](field, value);
}

function searchValue(value: unknown, kind: FieldKind, name: string): FilterValue {
	if (value === null || value === undefined || Array.isArray(value) || typeof value === 'object') {
		throw new PsaError('invalid-input', `The condition on '${name}' needs one value; use isNull or isNotNull for an empty field`, { field: name });
	}
	if (kind === 'number') {
		const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
		if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw new PsaError('invalid-input', `'${name}' is compared with a whole number (an id), got '${String(value)}'`, { field: name });
		return number;
	}
	if (kind === 'date') return autotaskDateTime(value, `'${name}' value`, name);
	if (typeof value === 'boolean') throw new PsaError('invalid-input', `'${name}' is compared with text, got ${String(value)}`, { field: name });
	return String(value);
}
