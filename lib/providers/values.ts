// Small readers and checks every provider adapter shares: ids, search text, local filtering, callback URLs and headers, settings.
import { PsaError } from './errors';
import type { PsaCallbackRequest, PsaListQuery } from './types';

export function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A record id given as a number or digits, at least `min` (1; Autotask's company 0 is its own company). `field` names it
 * the way the PSA does in its errors ("board/id", "queueID").
 */
export function recordId(value: unknown, what: string, field: string, min = 1): number {
	const id = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
	if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < min) {
		const wanted = min === 0 ? 'a whole number (0 or more)' : 'a positive whole number';
		throw new PsaError('invalid-input', `The ${what} id must be ${wanted}, got '${String(value)}'`, { field });
	}
	return id;
}

/** A credential field the provider cannot work without. */
export function requiredSetting(value: unknown, psa: string, name: string): string {
	const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
	if (!text) throw new PsaError('configuration', `The ${psa} credential's ${name} is empty`, { hint: `Fill in ${name} in the credential` });
	return text;
}

export function searchText(search: string | undefined): string | undefined {
	const trimmed = typeof search === 'string' ? search.trim() : '';
	return trimmed || undefined;
}

/** A cached list filtered by the query's search text and cut to its limit. */
export function filterLocally<T>(items: T[], query: PsaListQuery, names: (item: T) => string[]): T[] {
	const search = searchText(query.search)?.toLowerCase();
	const matching = search ? items.filter((item) => names(item).some((name) => name.toLowerCase().includes(search))) : [...items];
	return query.limit !== undefined ? matching.slice(0, Math.max(0, query.limit)) : matching;
}

/** The URL a PSA is asked to call back: http(s) only, and no longer than the PSA stores. */
export function callbackUrlOf(value: unknown, psa: string, field: string, maxLength = Infinity): string {
	let url: URL;
	try {
		url = new URL(String(value ?? ''));
	} catch {
		throw new PsaError('invalid-input', `'${String(value)}' is not a URL ${psa} can call back`, { field });
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PsaError('invalid-input', 'A callback URL must use https (or http)', { field });
	const text = String(value).trim();
	if (text.length > maxLength) throw new PsaError('invalid-input', `${psa} stores callback URLs of at most ${maxLength} characters`, { field });
	return text;
}

/** A request header's first non-empty value, whatever the case of its name. */
export function headerOf(headers: PsaCallbackRequest['headers'], name: string): string | undefined {
	for (const [key, value] of Object.entries(headers ?? {})) {
		if (key.toLowerCase() !== name) continue;
		const first = Array.isArray(value) ? value[0] : value;
		if (typeof first === 'string' && first.trim()) return first.trim();
	}
	return undefined;
}

export function definedOnly<T extends object>(value: T): Partial<T> {
	return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** A connection that was never made (refused, host unknown): the request cannot have reached the PSA. */
export function neverSent(error: unknown): boolean {
	const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
	const code = (error as { code?: string } | undefined)?.code ?? cause?.code;
	return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}
