// Autotask's query grammar (contract §3): parse a {MaxRecords, IncludeFields, filter} body against entity metadata and evaluate it.
import type { FieldInfo } from './metadata';

export class AutotaskError extends Error {
	constructor(
		readonly status: number,
		readonly body: unknown,
		readonly headers: Record<string, string> = {},
	) {
		super(typeof body === 'object' && body && 'errors' in body ? String((body as { errors: unknown[] }).errors[0]) : JSON.stringify(body));
		this.name = 'AutotaskError';
	}
}

/** Autotask's usual refusal: 500 with {"errors":[message]} for validation and permission problems (§11). */
export const apiError = (message: string, status = 500) => new AutotaskError(status, { errors: [message] });

export interface QueryOptions {
	/** SQL Server's default collation compares strings case-insensitively (§3, unconfirmed); default true. */
	caseInsensitiveStrings: boolean;
	/** One tenant saw a typo'd op return every row (§3, unconfirmed); default 'error'. */
	unknownOperator: 'error' | 'match-all';
}

export interface ParsedQuery {
	maxRecords?: number;
	includeFields?: string[];
	/** Canonical form of the filter: the paging token checks the next page's body against it. */
	filterKey: string;
	matches(record: Record<string, unknown>): boolean;
}

type Predicate = (record: Record<string, unknown>) => boolean;

const COMPARISONS = ['eq', 'noteq', 'gt', 'gte', 'lt', 'lte', 'beginswith', 'endswith', 'contains'];
const MAX_OR_CONDITIONS = 500;

/** Reads an object's property by case-insensitive name (Autotask accepts `MaxRecords`, `maxrecords`, `Filter`...). */
export function getInsensitive(object: Record<string, unknown>, name: string): unknown {
	const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
	return key === undefined ? undefined : object[key];
}

export function findField(fields: FieldInfo[], name: string): FieldInfo | undefined {
	const lower = name.toLowerCase();
	return fields.find((candidate) => candidate.name.toLowerCase() === lower);
}

function coerce(field: string, dataType: string, value: unknown): unknown {
	if (value === null || value === undefined) return null;
	switch (dataType) {
		case 'integer':
		case 'long':
		case 'decimal': {
			const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
			if (!Number.isFinite(number)) throw apiError(`Invalid value '${String(value)}' for field ${field}.`);
			return number;
		}
		case 'boolean':
			if (typeof value === 'boolean') return value;
			if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
			throw apiError(`Invalid value '${String(value)}' for field ${field}.`);
		case 'datetime': {
			const time = typeof value === 'string' ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`) : NaN;
			if (!Number.isFinite(time)) throw apiError(`Invalid value '${String(value)}' for field ${field}.`);
			return time;
		}
		default:
			return typeof value === 'object' ? JSON.stringify(value) : String(value);
	}
}

export function parseQuery(body: unknown, entity: string, fields: FieldInfo[], options: QueryOptions): ParsedQuery {
	if (!body || typeof body !== 'object' || Array.isArray(body)) throw apiError('The query body must be a JSON object with a filter.');
	const object = body as Record<string, unknown>;
	const unknownField = (name: string) => apiError(`Unable to find ${name} in the ${entity} Entity`);

	const maxRecordsValue = getInsensitive(object, 'MaxRecords');
	let maxRecords: number | undefined;
	if (maxRecordsValue !== undefined && maxRecordsValue !== null) {
		maxRecords = Number(maxRecordsValue);
		if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > 500) throw apiError('maxCountOfRecordsToReturn must be between 1 and 500');
	}

	const includeValue = getInsensitive(object, 'IncludeFields');
	let includeFields: string[] | undefined;
	if (Array.isArray(includeValue) && includeValue.length > 0) {
		includeFields = includeValue.map((name) => {
			const found = findField(fields, String(name));
			if (!found) throw unknownField(String(name));
			return found.name;
		});
	}

	const filter = getInsensitive(object, 'filter');
	if (!Array.isArray(filter) || filter.length === 0) throw apiError('A query must contain at least one filter condition.');
	let udfCount = 0;
	let orConditions = 0;

	const build = (item: unknown, insideOr: boolean): Predicate => {
		if (!item || typeof item !== 'object' || Array.isArray(item)) throw apiError('Invalid query syntax. Each filter must be an object.');
		const condition = item as Record<string, unknown>;
		const op = String(getInsensitive(condition, 'op') ?? '').toLowerCase();
		if (op === 'and' || op === 'or') {
			const items = getInsensitive(condition, 'items');
			if (!Array.isArray(items) || items.length === 0) throw apiError(`Invalid query syntax. '${op}' needs a non-empty items array.`);
			const children = items.map((child) => build(child, insideOr || op === 'or'));
			return op === 'and' ? (record) => children.every((child) => child(record)) : (record) => children.some((child) => child(record));
		}
		if (insideOr) orConditions++;
		if (![...COMPARISONS, 'exist', 'notexist', 'in', 'notin'].includes(op)) {
			if (options.unknownOperator === 'match-all') return () => true;
			throw apiError(`Invalid query syntax. Unknown operator '${String(getInsensitive(condition, 'op'))}'.`);
		}
		const fieldName = String(getInsensitive(condition, 'field') ?? '');
		const isUdf = getInsensitive(condition, 'udf') === true;
		let read: (record: Record<string, unknown>) => unknown;
		let dataType = 'string';
		if (isUdf) {
			udfCount++;
			if (udfCount > 1) throw apiError('Invalid query syntax. Only one user-defined field may be queried at a time.');
			read = (record) => {
				const udfs = (record.userDefinedFields ?? []) as Array<{ name: string; value: unknown }>;
				return udfs.find((udf) => udf.name.toLowerCase() === fieldName.toLowerCase())?.value ?? null;
			};
		} else {
			const found = findField(fields, fieldName);
			if (!found) throw unknownField(fieldName);
			if (!found.isQueryable) throw apiError(`The field ${found.name} in the ${entity} Entity is not queryable.`);
			dataType = found.dataType;
			read = (record) => record[found.name] ?? null;
		}
		if (op === 'exist') return (record) => read(record) !== null && read(record) !== '';
		if (op === 'notexist') return (record) => read(record) === null || read(record) === '';

		const fold = (value: unknown) => (typeof value === 'string' && options.caseInsensitiveStrings ? value.toLowerCase() : value);
		const rawValue = getInsensitive(condition, 'value');
		if (op === 'in' || op === 'notin') {
			if (!Array.isArray(rawValue)) throw apiError(`Invalid query syntax. '${op}' needs an array value for ${fieldName}.`);
			const values = rawValue.map((value) => fold(coerce(fieldName, dataType, value)));
			return op === 'in'
				? (record) => values.includes(fold(coerce(fieldName, dataType, read(record))))
				: (record) => {
						const value = read(record);
						return value !== null && !values.includes(fold(coerce(fieldName, dataType, value)));
					};
		}
		const expected = fold(coerce(fieldName, dataType, rawValue));
		return (record) => {
			const stored = read(record);
			// SQL semantics: NULL never satisfies a comparison, not even noteq.
			if (stored === null || expected === null) return false;
			const actual = fold(coerce(fieldName, dataType, stored)) as string | number | boolean;
			const wanted = expected as string | number | boolean;
			switch (op) {
				case 'eq':
					return actual === wanted;
				case 'noteq':
					return actual !== wanted;
				case 'gt':
					return actual > wanted;
				case 'gte':
					return actual >= wanted;
				case 'lt':
					return actual < wanted;
				case 'lte':
					return actual <= wanted;
				case 'beginswith':
					return String(actual).startsWith(String(wanted));
				case 'endswith':
					return String(actual).endsWith(String(wanted));
				default:
					return String(actual).includes(String(wanted));
			}
		};
	};

	const predicates = filter.map((item) => build(item, false));
	if (orConditions > MAX_OR_CONDITIONS) {
		throw apiError("Invalid query syntax. Queries are limited to 500 or fewer 'OR' conditions.");
	}
	return {
		maxRecords,
		includeFields,
		filterKey: canonical(filter),
		matches: (record) => predicates.every((predicate) => predicate(record)),
	};
}

/** Property names lower-cased and keys sorted, so `{"Op":..}` and `{"op":..}` page the same query. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>)
			.map(([key, child]) => [key.toLowerCase(), child] as const)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonical(child)}`).join(',')}}`;
	}
	return JSON.stringify(typeof value === 'string' ? value : value ?? null);
}

export function filterKeyOf(body: unknown): string | undefined {
	if (!body || typeof body !== 'object') return undefined;
	const filter = getInsensitive(body as Record<string, unknown>, 'filter');
	return Array.isArray(filter) ? canonical(filter) : undefined;
}
