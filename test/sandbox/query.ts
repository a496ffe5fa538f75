// List query features shared by every endpoint: conditions, orderBy, fields, page/pageSize and forward-only paging.
import { ConditionSyntaxError, conditionFields, evaluateConditions, parseConditions, valuesAtPath } from './conditions';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 1000;

/** A query parameter ConnectWise would reject; answered as a 400 naming the parameter. */
export class QueryError extends Error {
	constructor(
		message: string,
		readonly field: string,
	) {
		super(message);
		this.name = 'QueryError';
	}
}

export interface ListQueryOptions {
	/** Top-level field names the model knows; conditions, orderBy and fields must name one of them. */
	knownFields: Set<string>;
	/** Absolute URL of the list without its query, for the Link header. */
	selfUrl: string;
	/** The `pagination-type: forward-only` header was sent. */
	forwardOnly: boolean;
}

export interface ListResult {
	items: Record<string, unknown>[];
	/** RFC 5988 Link header value, when there are other pages. */
	link?: string;
}

function checkField(path: string, knownFields: Set<string>, parameter: string): void {
	const topLevel = path.split(/[/.]/)[0].toLowerCase();
	if (![...knownFields].some((field) => field.toLowerCase() === topLevel)) throw new QueryError(`Unknown field '${path}' in ${parameter}`, parameter);
}

function parseInteger(value: string | undefined, parameter: string, minimum: number): number | undefined {
	if (value === undefined || value === '') return undefined;
	if (!/^-?\d+$/.test(value) || Number(value) < minimum) {
		throw new QueryError(`${parameter} must be an integer >= ${minimum}, got '${value}'`, parameter);
	}
	return Number(value);
}

export function filterRecords(records: Record<string, unknown>[], query: Record<string, string>, knownFields: Set<string>): Record<string, unknown>[] {
	let result = records;
	for (const parameter of ['conditions', 'childConditions']) {
		const source = query[parameter];
		if (!source || !source.trim()) continue;
		let tree;
		try {
			tree = parseConditions(source);
		} catch (error) {
			if (error instanceof ConditionSyntaxError) throw new QueryError(`${parameter}: ${error.message}`, parameter);
			throw error;
		}
		for (const field of conditionFields(tree)) checkField(field, knownFields, parameter);
		result = result.filter((record) => evaluateConditions(tree, record));
	}
	const customSource = query.customFieldConditions;
	if (customSource && customSource.trim()) {
		let tree;
		try {
			tree = parseConditions(customSource);
		} catch (error) {
			if (error instanceof ConditionSyntaxError) throw new QueryError(`customFieldConditions: ${error.message}`, 'customFieldConditions');
			throw error;
		}
		for (const field of conditionFields(tree)) checkField(field, CUSTOM_FIELD_VALUE_FIELDS, 'customFieldConditions');
		// Each condition is about one custom field of the record: a record matches when one of its custom fields does.
		result = result.filter((record) => Array.isArray(record.customFields) && record.customFields.some((entry) => evaluateConditions(tree, entry)));
	}
	return result;
}

/** What customFieldConditions may name: the fields of one custom field value (CustomFieldValue). */
const CUSTOM_FIELD_VALUE_FIELDS = new Set(['id', 'caption', 'type', 'entryMethod', 'numberOfDecimals', 'value']);

function compareForSort(left: unknown, right: unknown): number {
	if (left === right) return 0;
	if (left === undefined || left === null) return -1;
	if (right === undefined || right === null) return 1;
	if (typeof left === 'number' && typeof right === 'number') return left - right;
	if (typeof left === 'boolean' && typeof right === 'boolean') return Number(left) - Number(right);
	return String(left).toLowerCase().localeCompare(String(right).toLowerCase());
}

export function sortRecords(records: Record<string, unknown>[], orderBy: string | undefined, knownFields: Set<string>): Record<string, unknown>[] {
	const keys: Array<{ path: string; direction: number }> = [];
	for (const part of (orderBy ?? '').split(',')) {
		const trimmed = part.trim();
		if (!trimmed) continue;
		const match = /^([A-Za-z_][A-Za-z0-9_/.]*)(?:\s+(asc|desc))?$/i.exec(trimmed);
		if (!match) throw new QueryError(`orderBy: cannot parse '${trimmed}'`, 'orderBy');
		checkField(match[1], knownFields, 'orderBy');
		keys.push({ path: match[1], direction: match[2]?.toLowerCase() === 'desc' ? -1 : 1 });
	}
	// id breaks ties so pages are stable.
	keys.push({ path: 'id', direction: 1 });
	return [...records].sort((a, b) => {
		for (const key of keys) {
			const order = compareForSort(valuesAtPath(a, key.path)[0], valuesAtPath(b, key.path)[0]);
			if (order !== 0) return order * key.direction;
		}
		return 0;
	});
}

/** Keeps only the named fields; `board/name` keeps `{ board: { name } }`. */
export function pickFields(record: Record<string, unknown>, fields: string[]): Record<string, unknown> {
	const picked: Record<string, unknown> = {};
	for (const field of fields) {
		const segments = field.split(/[/.]/);
		let source: unknown = record;
		let target = picked;
		for (const [index, segment] of segments.entries()) {
			if (source === null || typeof source !== 'object' || Array.isArray(source)) break;
			const value = (source as Record<string, unknown>)[segment];
			if (value === undefined) break;
			if (index === segments.length - 1) {
				target[segment] = structuredClone(value);
			} else {
				if (typeof target[segment] !== 'object' || target[segment] === null) target[segment] = {};
				target = target[segment] as Record<string, unknown>;
				source = value;
			}
		}
	}
	return picked;
}

export function parseFields(query: Record<string, string>, knownFields: Set<string>): string[] | undefined {
	if (!query.fields || !query.fields.trim()) return undefined;
	const fields = query.fields.split(',').map((field) => field.trim()).filter(Boolean);
	for (const field of fields) checkField(field, knownFields, 'fields');
	return fields;
}

function linkTo(selfUrl: string, query: Record<string, string>, changes: Record<string, string | undefined>): string {
	const url = new URL(selfUrl);
	for (const [key, value] of Object.entries({ ...query, ...changes })) {
		if (value !== undefined) url.searchParams.set(key, value);
	}
	return url.toString();
}

export function listRecords(records: Record<string, unknown>[], query: Record<string, string>, options: ListQueryOptions): ListResult {
	const filtered = filterRecords(records, query, options.knownFields);
	const fields = parseFields(query, options.knownFields);
	const pageSize = Math.min(parseInteger(query.pageSize, 'pageSize', 1) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
	const project = (items: Record<string, unknown>[]) => (fields ? items.map((item) => pickFields(item, fields)) : items);

	if (options.forwardOnly) {
		// Forward-only paging walks by id: each page says where the next starts (pageId), so no total count is needed.
		if (query.orderBy && query.orderBy.trim()) throw new QueryError('orderBy is not supported with forward-only pagination', 'orderBy');
		const afterId = parseInteger(query.pageId, 'pageId', 0) ?? 0;
		const ordered = sortRecords(filtered, undefined, options.knownFields).filter((record) => (record.id as number) > afterId);
		const page = ordered.slice(0, pageSize);
		const base = { ...query };
		delete base.page;
		const link =
			ordered.length > pageSize
				? `<${linkTo(options.selfUrl, base, { pageSize: String(pageSize), pageId: String(page[page.length - 1].id) })}>; rel="next"`
				: undefined;
		return { items: project(page), link };
	}

	const pageNumber = parseInteger(query.page, 'page', 1) ?? 1;
	const ordered = sortRecords(filtered, query.orderBy, options.knownFields);
	const lastPage = Math.max(1, Math.ceil(ordered.length / pageSize));
	const page = ordered.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
	const links: string[] = [];
	const to = (target: number, rel: string) =>
		`<${linkTo(options.selfUrl, query, { page: String(target), pageSize: String(pageSize) })}>; rel="${rel}"`;
	if (pageNumber > 1) {
		links.push(to(1, 'first'));
		links.push(to(Math.min(pageNumber - 1, lastPage), 'prev'));
	}
	if (pageNumber < lastPage) {
		links.push(to(pageNumber + 1, 'next'));
		links.push(to(lastPage, 'last'));
	}
	return { items: project(page), link: links.length ? links.join(', ') : undefined };
}
