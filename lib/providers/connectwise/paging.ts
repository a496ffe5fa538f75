// List paging: page/pageSize (max 1000) or forward-only pageId paging, following the Link header's rel="next" until the limit.
import { ConnectWiseClient, QueryValue, parseLinkHeader } from './client';
import { readList } from './read';

export const MAX_PAGE_SIZE = 1000;
/** Pages followed at most for one list call, whatever the server's Link headers say. */
const MAX_PAGES = 1000;

export interface ListOptions {
	conditions?: string;
	/** Conditions on the records' custom fields (caption and value), ConnectWise's own parameter. */
	customFieldConditions?: string;
	fields?: string;
	orderBy?: string;
	/** Stop once this many records were read (all when absent). */
	limit?: number;
	/** Forward-only (keyset) paging, cheaper on large tables; ConnectWise supports it on tickets and members among others. */
	forwardOnly?: boolean;
	pageSize?: number;
	/** Query parameters an endpoint takes besides the paging ones (GET /system/documents: recordType, recordId). */
	extraQuery?: Record<string, QueryValue>;
}

export async function listAll<T>(
	client: ConnectWiseClient,
	path: string,
	options: ListOptions,
	read: (value: unknown) => T,
	/** Records read but not wanted (a check ConnectWise could not make itself) do not count toward the limit. */
	keep?: (item: T) => boolean,
): Promise<T[]> {
	const limit = options.limit === undefined ? Infinity : Math.max(0, Math.floor(options.limit));
	if (limit === 0) return [];
	const pageSize = Math.max(1, Math.min(MAX_PAGE_SIZE, options.pageSize ?? MAX_PAGE_SIZE, limit));
	const results: T[] = [];
	const headers = options.forwardOnly ? { 'pagination-type': 'forward-only' } : undefined;
	let query: Record<string, QueryValue> = {
		...options.extraQuery,
		conditions: options.conditions,
		customFieldConditions: options.customFieldConditions,
		fields: options.fields,
		orderBy: options.forwardOnly ? undefined : options.orderBy,
		page: options.forwardOnly ? undefined : 1,
		pageSize,
	};
	for (let pageIndex = 0; pageIndex < MAX_PAGES; pageIndex++) {
		const response = await client.request({ method: 'GET', path, query, headers });
		const items = readList(response.body, `GET ${path}`);
		for (const item of items) {
			const record = read(item);
			if (keep && !keep(record)) continue;
			results.push(record);
			if (results.length >= limit) return results;
		}
		const next = parseLinkHeader(response.headers.link).get('next');
		if (next) {
			query = { ...query, ...nextQuery(next) };
			continue;
		}
		// Without a Link header, a full page may still have a successor; page numbers allow asking for it.
		if (!response.headers.link && !options.forwardOnly && items.length === pageSize) {
			query = { ...query, page: Number(query.page ?? 1) + 1 };
			continue;
		}
		return results;
	}
	return results;
}

/** The paging parameters of a next link; other parameters stay ours (the link's host and path are not trusted). */
function nextQuery(link: string): Record<string, QueryValue> {
	let url: URL;
	try {
		url = new URL(link, 'https://placeholder.invalid');
	} catch {
		return {};
	}
	const result: Record<string, QueryValue> = {};
	for (const key of ['page', 'pageId']) {
		const value = url.searchParams.get(key);
		if (value !== null && /^[A-Za-z0-9_-]+$/.test(value)) result[key] = value;
	}
	return result;
}
