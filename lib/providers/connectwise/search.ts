// Ticket search: PSA-neutral condition groups turned into ConnectWise `conditions` and `customFieldConditions`, every value through the escaping `cond` builder.
import { customFieldNamed, customFieldValue } from '../custom-fields';
import { PsaError } from '../errors';
import type {
	PsaCustomFieldDefinition,
	PsaCustomFieldValue,
	PsaReference,
	PsaSearchOperator,
	PsaTicket,
	PsaTicketCondition,
	PsaTicketConditionGroup,
	PsaTicketSearch,
	PsaTicketSearchField,
} from '../types';
import { type ConditionValue, allOf, cond } from './conditions';
import type { ConnectWiseCustomField } from './depth';
import { DEFAULT_LIST_LIMIT } from './lookups';
import type { ListOptions } from './paging';
import { FIELDS, fieldsParam } from './read';

type FieldKind = 'number' | 'text' | 'reference' | 'date' | 'boolean';

interface SearchField {
	kind: FieldKind;
	/** The ConnectWise field (a reference's record: `board`, read as board/id or board/name). */
	path: string;
	/** The reference field text values are matched against (owner: its identifier). */
	nameField?: 'name' | 'identifier';
	/** The PsaTicket property a local check reads. */
	read: (ticket: PsaTicket) => unknown;
}

const reference = (path: string, read: (ticket: PsaTicket) => unknown, nameField: 'name' | 'identifier' = 'name'): SearchField => ({ kind: 'reference', path, nameField, read });

/** Every neutral field a search may name and the ConnectWise ticket field it reads. */
const SEARCH_FIELDS: Record<PsaTicketSearchField, SearchField> = {
	id: { kind: 'number', path: 'id', read: (ticket) => ticket.id },
	summary: { kind: 'text', path: 'summary', read: (ticket) => ticket.summary },
	board: reference('board', (ticket) => ticket.board),
	status: reference('status', (ticket) => ticket.status),
	company: reference('company', (ticket) => ticket.company),
	priority: reference('priority', (ticket) => ticket.priority),
	contact: reference('contact', (ticket) => ticket.contact),
	owner: reference('owner', (ticket) => ticket.owner, 'identifier'),
	type: reference('type', (ticket) => ticket.type),
	subtype: reference('subType', (ticket) => ticket.subtype),
	item: reference('item', (ticket) => ticket.item),
	team: reference('team', (ticket) => ticket.team),
	source: reference('source', (ticket) => ticket.source),
	site: reference('site', (ticket) => ticket.site),
	externalReference: { kind: 'text', path: 'externalXRef', read: (ticket) => ticket.externalRef },
	// ConnectWise answers audit dates under _info but lets conditions name them directly.
	createdAt: { kind: 'date', path: 'dateEntered', read: (ticket) => ticket.createdAt },
	updatedAt: { kind: 'date', path: 'lastUpdated', read: (ticket) => ticket.updatedAt },
	dueAt: { kind: 'date', path: 'requiredDate', read: (ticket) => ticket.dueAt },
	closed: { kind: 'boolean', path: 'closedFlag', read: (ticket) => ticket.closed },
};

const OPERATORS: Record<FieldKind, PsaSearchOperator[]> = {
	number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'isNull', 'isNotNull'],
	text: ['eq', 'ne', 'contains', 'startsWith', 'in', 'isNull', 'isNotNull'],
	reference: ['eq', 'ne', 'contains', 'startsWith', 'in', 'isNull', 'isNotNull'],
	date: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'isNull', 'isNotNull'],
	boolean: ['eq', 'ne'],
};
const CUSTOM_FIELD_OPERATORS: PsaSearchOperator[] = ['eq', 'ne', 'contains', 'startsWith', 'gt', 'gte', 'lt', 'lte', 'in', 'isNull', 'isNotNull'];
const COMPARISONS: Partial<Record<PsaSearchOperator, keyof typeof cond>> = { eq: 'eq', ne: 'ne', gt: 'gt', gte: 'ge', lt: 'lt', lte: 'le' };

/** Characters ConnectWise's `like` (SQL Server underneath) may read as wildcards or sets. */
const LIKE_SPECIAL = /[%*_[\]]/;

export interface SearchContext {
	list: <T>(path: string, options: ListOptions, read: (value: unknown) => T, keep?: (item: T) => boolean) => Promise<T[]>;
	read: (value: unknown) => PsaTicket;
	customFields: () => Promise<ConnectWiseCustomField[]>;
	/** The externalXRef stored for a link key (search values for externalReference are link keys). */
	referenceOf: (linkKey: string) => string;
}

/** A compiled search: what ConnectWise is asked, and what is checked again on each ticket it returns, when anything is. */
interface Compiled {
	conditions?: string;
	customFieldConditions?: string;
	/** Conditions ConnectWise is asked in a wider form (a prefix with wildcard characters, further custom fields). */
	localCheck?: (ticket: PsaTicket) => boolean;
	needsCustomFields: boolean;
}

export async function searchTickets(query: PsaTicketSearch, context: SearchContext): Promise<PsaTicket[]> {
	const search = query ?? {};
	if (search.state !== undefined && search.state !== 'open' && search.state !== 'closed') {
		throw new PsaError('invalid-input', `A search's state is 'open' or 'closed'; got '${String(search.state)}'`, { field: 'state' });
	}
	const limit = search.limit === undefined ? DEFAULT_LIST_LIMIT : search.limit;
	if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0) throw new PsaError('invalid-input', 'A search limit is a number of tickets (0 or more, Infinity for all)', { field: 'limit' });
	const compiled = await compile(search.where, context);
	const conditions = allOf(compiled.conditions, search.state ? cond.eq('closedFlag', search.state === 'closed') : undefined);
	const withCustomFields = search.withCustomFields === true || compiled.needsCustomFields;
	const fields = fieldsParam(withCustomFields ? [...FIELDS.ticket, FIELDS.ticketCustomFields] : FIELDS.ticket);
	const seen = new Set<number>();
	const keep = (ticket: PsaTicket) => {
		// Pages move under a newest-first walk when tickets are created meanwhile: a ticket read twice is kept once.
		if (seen.has(ticket.id)) return false;
		seen.add(ticket.id);
		return compiled.localCheck?.(ticket) ?? true;
	};
	const tickets = await context.list(
		'/service/tickets',
		{
			conditions,
			customFieldConditions: compiled.customFieldConditions,
			fields,
			...(search.newestFirst ? { orderBy: 'id desc' } : { forwardOnly: true }),
			limit,
		},
		context.read,
		keep,
	);
	if (search.withCustomFields === true || !withCustomFields) return tickets;
	// Read only for the check: the caller did not ask for them.
	return tickets.map(({ customFields: _unasked, ...ticket }) => ticket);
}

async function compile(where: PsaTicketConditionGroup | undefined, context: SearchContext): Promise<Compiled> {
	if (where === undefined || where === null) return { needsCustomFields: false };
	checkGroup(where, 'where');
	const customConditions = where.conditions.filter((condition) => condition?.customField === true);
	const definitions = customConditions.length ? (await context.customFields()).map((field) => field.definition) : [];
	let wider = false;
	const compileGroup = (group: PsaTicketConditionGroup, path: string, root: boolean): string | undefined => {
		checkGroup(group, path);
		const parts: string[] = [];
		for (const [index, condition] of group.conditions.entries()) {
			if (condition?.customField === true) {
				if (!root || (group.match !== 'all' && group.conditions.length + (group.groups?.length ?? 0) > 1)) {
					throw new PsaError('invalid-input', 'ConnectWise joins custom-field conditions to the others with AND only: put them in the top-level group with match "all"', {
						field: `${path}.conditions[${index}]`,
					});
				}
				continue;
			}
			const built = standardCondition(condition, `${path}.conditions[${index}]`, context);
			wider ||= built.wider;
			parts.push(built.text);
		}
		for (const [index, child] of (group.groups ?? []).entries()) {
			const built = compileGroup(child, `${path}.groups[${index}]`, false);
			if (built) parts.push(built);
		}
		if (!parts.length) return undefined;
		return group.match === 'any' ? cond.or(...parts) : cond.and(...parts);
	};
	const conditions = compileGroup(where, 'where', true);
	const custom = customConditions.map((condition) => customCondition(condition, definitions));
	const [first, ...further] = custom;
	// ConnectWise matches customFieldConditions against one custom field of a ticket at a time: it is asked for the
	// first, the others are checked on the tickets it returns.
	const localChecks: Array<(ticket: PsaTicket) => boolean> = further.map((condition) => condition.check);
	if (first?.wider) localChecks.push(first.check);
	if (wider) localChecks.push((ticket) => matchesGroup(where, ticket, context));
	return {
		conditions,
		customFieldConditions: first?.text,
		localCheck: localChecks.length ? (ticket) => localChecks.every((check) => check(ticket)) : undefined,
		needsCustomFields: further.length > 0 || first?.wider === true,
	};
}

function checkGroup(group: PsaTicketConditionGroup, path: string): void {
	if (!group || typeof group !== 'object' || (group.match !== 'all' && group.match !== 'any') || !Array.isArray(group.conditions)) {
		throw new PsaError('invalid-input', `${path} must be a group: { match: 'all' | 'any', conditions: [...], groups?: [...] }`, { field: path });
	}
	if (group.groups !== undefined && !Array.isArray(group.groups)) throw new PsaError('invalid-input', `${path}.groups must be a list of groups`, { field: `${path}.groups` });
}

function searchField(condition: PsaTicketCondition, path: string): SearchField {
	const field = SEARCH_FIELDS[condition?.field as PsaTicketSearchField];
	if (!condition || typeof condition.field !== 'string' || !Object.prototype.hasOwnProperty.call(SEARCH_FIELDS, condition.field) || !field) {
		throw new PsaError('invalid-input', `'${String(condition?.field)}' is not a ticket field a search can name; known fields: ${Object.keys(SEARCH_FIELDS).join(', ')} (custom fields: set customField)`, {
			field: `${path}.field`,
		});
	}
	if (!OPERATORS[field.kind].includes(condition.operator)) {
		throw new PsaError('invalid-input', `The operator '${String(condition.operator)}' does not apply to ${condition.field}; it takes ${OPERATORS[field.kind].join(', ')}`, {
			field: `${path}.operator`,
		});
	}
	return field;
}

function standardCondition(condition: PsaTicketCondition, path: string, context: SearchContext): { text: string; wider: boolean } {
	const field = searchField(condition, path);
	const { operator } = condition;
	if (operator === 'isNull' || operator === 'isNotNull') {
		const target = field.kind === 'reference' ? `${field.path}/id` : field.path;
		return { text: operator === 'isNull' ? cond.eq(target, null) : cond.ne(target, null), wider: false };
	}
	if (operator === 'in') {
		const values = listValue(condition, path);
		if (field.kind !== 'reference') return { text: cond.in(field.path, values.map((value) => scalarValue(field, value, path, context) as string | number)), wider: false };
		const ids = values.filter((value) => typeof value === 'number').map((value) => scalarValue(field, value, path, context) as number);
		const names = values.filter((value) => typeof value !== 'number').map((value) => textValue(value, path));
		return {
			text: cond.or(ids.length ? cond.in(`${field.path}/id`, ids) : undefined, names.length ? cond.in(`${field.path}/${field.nameField}`, names) : undefined),
			wider: false,
		};
	}
	const target = field.kind === 'reference' ? (typeof condition.value === 'number' ? `${field.path}/id` : `${field.path}/${field.nameField}`) : field.path;
	if (operator === 'contains') return { text: cond.contains(target, textValue(condition.value, path)), wider: false };
	if (operator === 'startsWith') return prefixCondition(target, textValue(condition.value, path));
	const value = field.kind === 'reference' && typeof condition.value !== 'number' ? textValue(condition.value, path) : scalarValue(field, condition.value, path, context);
	return { text: cond[COMPARISONS[operator] as 'eq'](target, value), wider: false };
}

/** `like "prefix%"`; a prefix holding wildcard characters is asked as `contains` and checked again on each ticket. */
function prefixCondition(target: string, prefix: string): { text: string; wider: boolean } {
	if (LIKE_SPECIAL.test(prefix)) return { text: cond.contains(target, prefix), wider: true };
	return { text: cond.like(target, `${prefix}%`), wider: false };
}

function customCondition(condition: PsaTicketCondition, definitions: PsaCustomFieldDefinition[]): { text: string; check: (ticket: PsaTicket) => boolean; wider: boolean } {
	const definition = customFieldNamed(definitions, condition.field, 'ConnectWise');
	const { operator } = condition;
	if (!CUSTOM_FIELD_OPERATORS.includes(operator)) {
		throw new PsaError('invalid-input', `The operator '${String(operator)}' does not apply to custom fields; they take ${CUSTOM_FIELD_OPERATORS.join(', ')}`, { field: `customFields.${definition.name}` });
	}
	const caption = cond.eq('caption', definition.name);
	const check = (ticket: PsaTicket) => matchesValue(ticket.customFields?.[definition.name] ?? null, operator, condition.value, definition);
	if (operator === 'isNull' || operator === 'isNotNull') return { text: cond.and(caption, operator === 'isNull' ? cond.eq('value', null) : cond.ne('value', null)), check, wider: false };
	if (operator === 'contains') return { text: cond.and(caption, cond.contains('value', textValue(condition.value, definition.name))), check, wider: false };
	if (operator === 'startsWith') {
		const prefix = prefixCondition('value', textValue(condition.value, definition.name));
		return { text: cond.and(caption, prefix.text), check, wider: prefix.wider };
	}
	const literalOf = (value: unknown): ConditionValue => {
		const checked = customFieldValue(definition, value);
		if (checked === null) throw new PsaError('invalid-input', `A condition on '${definition.name}' needs a value (isNull finds empty ones)`, { field: `customFields.${definition.name}` });
		return definition.type === 'date' || definition.type === 'datetime' ? new Date(String(checked)) : checked;
	};
	if (operator === 'in') {
		const values = listValue(condition, definition.name).map((value) => literalOf(value) as string | number);
		return { text: cond.and(caption, cond.in('value', values)), check, wider: false };
	}
	return { text: cond.and(caption, cond[COMPARISONS[operator] as 'eq']('value', literalOf(condition.value))), check, wider: false };
}

function listValue(condition: PsaTicketCondition, path: string): PsaCustomFieldValue[] {
	if (!Array.isArray(condition.value) || condition.value.length === 0) throw new PsaError('invalid-input', `'in' needs a non-empty list of values`, { field: `${path}.value` });
	return condition.value;
}

function textValue(value: unknown, path: string): string {
	if (typeof value === 'string') return value;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	throw new PsaError('invalid-input', `This condition needs text; got ${JSON.stringify(value)}`, { field: `${path}.value` });
}

function scalarValue(field: SearchField, value: unknown, path: string, context: SearchContext): ConditionValue {
	switch (field.kind) {
		case 'number':
		case 'reference': {
			const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
			if (typeof number === 'number' && Number.isSafeInteger(number)) return number;
			throw new PsaError('invalid-input', `This condition needs a whole number; got ${JSON.stringify(value)}`, { field: `${path}.value` });
		}
		case 'date': {
			const time = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
			if (!Number.isNaN(time)) return new Date(time);
			throw new PsaError('invalid-input', `This condition needs an ISO 8601 date, e.g. 2025-01-31T00:00:00Z; got ${JSON.stringify(value)}`, { field: `${path}.value` });
		}
		case 'boolean':
			if (typeof value === 'boolean') return value;
			if (value === 'true' || value === 'false') return value === 'true';
			throw new PsaError('invalid-input', `This condition needs true or false; got ${JSON.stringify(value)}`, { field: `${path}.value` });
		default: {
			const text = textValue(value, path);
			return field.path === 'externalXRef' ? context.referenceOf(text) : text;
		}
	}
}

// ---- the local check (conditions ConnectWise was asked in a wider form) ----

function matchesGroup(group: PsaTicketConditionGroup, ticket: PsaTicket, context: SearchContext): boolean {
	const results = [
		...group.conditions.filter((condition) => condition.customField !== true).map((condition) => matchesCondition(condition, ticket, context)),
		...(group.groups ?? []).map((child) => matchesGroup(child, ticket, context)),
	];
	if (!results.length) return true;
	return group.match === 'any' ? results.some(Boolean) : results.every(Boolean);
}

function matchesCondition(condition: PsaTicketCondition, ticket: PsaTicket, context: SearchContext): boolean {
	const field = SEARCH_FIELDS[condition.field as PsaTicketSearchField];
	const raw = field.read(ticket);
	if (field.kind === 'reference') {
		const ref = raw as PsaReference | undefined;
		if (condition.operator === 'isNull' || condition.operator === 'isNotNull') return matchesValue(ref ? ref.id : null, condition.operator, undefined);
		const expected = Array.isArray(condition.value) ? condition.value : [condition.value];
		// The ticket names its owner, not the identifier ConnectWise matched: that part stands as ConnectWise answered it.
		if (field.nameField === 'identifier' && expected.some((value) => typeof value !== 'number')) return true;
		const side = (value: unknown) => (ref ? (typeof value === 'number' ? ref.id : ref.name) : null);
		if (condition.operator === 'in') return expected.some((value) => matchesValue(side(value), 'eq', value));
		return matchesValue(side(condition.value), condition.operator, condition.value);
	}
	const value = field.path === 'externalXRef' && typeof condition.value === 'string' && ['eq', 'ne'].includes(condition.operator) ? context.referenceOf(condition.value) : condition.value;
	return matchesValue((raw ?? null) as PsaCustomFieldValue, condition.operator, value);
}

/** ConnectWise's comparison rules on one value: text without regard to case, dates by time. */
function matchesValue(actual: PsaCustomFieldValue, operator: PsaSearchOperator, expected: unknown, definition?: PsaCustomFieldDefinition): boolean {
	if (operator === 'isNull') return actual === null || actual === '';
	if (operator === 'isNotNull') return actual !== null && actual !== '';
	if (actual === null) return operator === 'ne';
	if (operator === 'in') return Array.isArray(expected) && expected.some((candidate) => matchesValue(actual, 'eq', candidate, definition));
	const left = typeof actual === 'string' ? actual.toLowerCase() : actual;
	const right = typeof expected === 'string' ? expected.toLowerCase() : expected;
	if (operator === 'contains') return String(left).includes(String(right));
	if (operator === 'startsWith') return String(left).startsWith(String(right));
	const order = compareValues(left, right, definition);
	if (order === undefined) return operator === 'ne';
	return { eq: order === 0, ne: order !== 0, gt: order > 0, gte: order >= 0, lt: order < 0, lte: order <= 0 }[operator as 'eq'] ?? false;
}

function compareValues(left: unknown, right: unknown, definition?: PsaCustomFieldDefinition): number | undefined {
	const dated = definition?.type === 'date' || definition?.type === 'datetime' || (typeof left === 'string' && typeof right === 'string' && /^\d{4}-\d{2}-\d{2}/.test(left) && /^\d{4}-\d{2}-\d{2}/.test(right));
	if (dated) {
		const [a, b] = [Date.parse(String(left)), Date.parse(String(right))];
		return Number.isNaN(a) || Number.isNaN(b) ? undefined : Math.sign(a - b);
	}
	if (typeof left === 'number' || typeof right === 'number') {
		const [a, b] = [Number(left), Number(right)];
		return Number.isNaN(a) || Number.isNaN(b) ? undefined : Math.sign(a - b);
	}
	if (typeof left === 'boolean' || typeof right === 'boolean') return String(left) === String(right) ? 0 : undefined;
	return String(left) < String(right) ? -1 : String(left) > String(right) ? 1 : 0;
}
