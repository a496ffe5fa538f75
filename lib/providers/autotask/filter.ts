// Autotask's query filter as data: comparisons, and/or groups, lists; values travel as JSON values, never inside strings.
import { PsaError } from '../errors';

export type ComparisonOp = 'eq' | 'noteq' | 'gt' | 'gte' | 'lt' | 'lte' | 'beginsWith' | 'endsWith' | 'contains';
export type FilterValue = string | number | boolean;

/** One element of Autotask's `filter` array (the published `Filter` model: op, field, value, udf, items). */
export type Filter =
	| { op: ComparisonOp; field: string; value: FilterValue; udf?: true }
	| { op: 'in' | 'notIn'; field: string; value: FilterValue[] }
	| { op: 'exist' | 'notExist'; field: string; udf?: true }
	| { op: 'and' | 'or'; items: Filter[] };

/** Autotask refuses more OR conditions than this in one query. */
export const MAX_OR_CONDITIONS = 500;

const FIELD = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
/** UDF names are free text (spaces, dashes, any letter); they travel as JSON data, so only their size is limited. */
const UDF_NAME_MAX = 100;

function field(name: string): string {
	if (!FIELD.test(name)) throw new PsaError('invalid-input', `'${name}' is not an Autotask field name`, { field: name });
	return name;
}

function value(input: FilterValue, name: string): FilterValue {
	if (typeof input === 'number' && !Number.isFinite(input)) throw new PsaError('invalid-input', `The value for ${name} is not a finite number`, { field: name });
	if (typeof input !== 'string' && typeof input !== 'number' && typeof input !== 'boolean') {
		throw new PsaError('invalid-input', `The value for ${name} must be text, a number or true/false`, { field: name });
	}
	return input;
}

function comparison(op: ComparisonOp) {
	return (name: string, input: FilterValue): Filter => ({ op, field: field(name), value: value(input, name) });
}

/** Builders for the filter grammar; every value is checked to be a JSON scalar. */
export const q = {
	eq: comparison('eq'),
	noteq: comparison('noteq'),
	gt: comparison('gt'),
	gte: comparison('gte'),
	lt: comparison('lt'),
	lte: comparison('lte'),
	beginsWith: comparison('beginsWith'),
	endsWith: comparison('endsWith'),
	contains: comparison('contains'),
	in(name: string, values: FilterValue[]): Filter {
		if (!Array.isArray(values) || values.length === 0) throw new PsaError('invalid-input', `An 'in' filter on ${name} needs at least one value`, { field: name });
		return { op: 'in', field: field(name), value: values.map((entry) => value(entry, name)) };
	},
	exist: (name: string): Filter => ({ op: 'exist', field: field(name) }),
	notExist: (name: string): Filter => ({ op: 'notExist', field: field(name) }),
	and: (...items: Array<Filter | undefined>): Filter => ({ op: 'and', items: items.filter((item): item is Filter => item !== undefined) }),
	or: (...items: Array<Filter | undefined>): Filter => ({ op: 'or', items: items.filter((item): item is Filter => item !== undefined) }),
	/** A condition on a user-defined field (`udf: true`); Autotask takes one per query. */
	udf(op: ComparisonOp | 'exist' | 'notExist', name: string, input?: FilterValue): Filter {
		if (typeof name !== 'string' || !name.trim() || name.length > UDF_NAME_MAX || /[\u0000-\u001f]/.test(name)) {
			throw new PsaError('invalid-input', `'${String(name)}' is not a user-defined field name`, { field: String(name) });
		}
		if (op === 'exist' || op === 'notExist') return { op, field: name, udf: true };
		return { op, field: name, value: value(input as FilterValue, name), udf: true };
	},
	/** Autotask has no "all rows" query: a filter is always sent, and `id exists` matches every record. */
	all: (): Filter => ({ op: 'exist', field: 'id' }),
};

function orConditions(filter: Filter): number {
	if (filter.op !== 'and' && filter.op !== 'or') return 0;
	const nested = filter.items.reduce((sum, item) => sum + orConditions(item), 0);
	return filter.op === 'or' ? filter.items.length + nested : nested;
}

/** The `filter` array of a query body: top-level elements are AND-ed; undefined elements are dropped. */
export function filterOf(...filters: Array<Filter | undefined>): Filter[] {
	const list = filters.filter((item): item is Filter => item !== undefined);
	const result = list.length ? list : [q.all()];
	const ors = result.reduce((sum, item) => sum + orConditions(item), 0);
	if (ors > MAX_OR_CONDITIONS) {
		throw new PsaError('invalid-input', `An Autotask query may hold at most ${MAX_OR_CONDITIONS} OR conditions; this one holds ${ors}`);
	}
	return result;
}
