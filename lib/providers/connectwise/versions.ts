// API version pinning: validation, ordering, endpoint templates and per-endpoint overrides (longest path prefix wins).
import { PsaError } from '../errors';

export const DEFAULT_API_VERSION = '2025.8';
export const VERSION_PATTERN = /^\d{4}\.\d{1,2}$/;

export function isApiVersion(value: unknown): value is string {
	return typeof value === 'string' && VERSION_PATTERN.test(value.trim());
}

export function assertApiVersion(value: string, where: string): string {
	const trimmed = value.trim();
	if (!VERSION_PATTERN.test(trimmed)) {
		throw new PsaError('configuration', `${where} '${value}' is not a ConnectWise API version`, {
			hint: "Use the form YYYY.N, e.g. '2025.8'",
		});
	}
	return trimmed;
}

/** Negative when a < b, 0 when equal, positive when a > b ("2023.10" > "2023.9"). */
export function compareVersions(a: string, b: string): number {
	const [ay, an] = a.split('.').map(Number);
	const [by, bn] = b.split('.').map(Number);
	return ay !== by ? ay - by : an - bn;
}

/**
 * The endpoint template of a concrete path: numeric segments become {id}, or {parentId} when more
 * segments follow ("/service/tickets/12/notes" -> "/service/tickets/{parentId}/notes").
 */
export function endpointTemplate(path: string): string {
	const segments = path.split('?')[0].split('/').filter(Boolean);
	return (
		'/' +
		segments
			.map((segment, index) => (/^\d+$/.test(segment) ? (index === segments.length - 1 ? '{id}' : '{parentId}') : segment.toLowerCase()))
			.join('/')
	);
}

export interface EndpointVersion {
	/** The override key, normalised ("/service/tickets"). */
	path: string;
	version: string;
	segments: string[];
}

/** Validates and normalises the per-endpoint overrides; keys may be concrete or templated paths. */
export function parseEndpointVersions(overrides: Record<string, string> | undefined): EndpointVersion[] {
	const parsed: EndpointVersion[] = [];
	for (const [rawPath, rawVersion] of Object.entries(overrides ?? {})) {
		const trimmed = rawPath.trim();
		const path = endpointTemplate(trimmed.replace(/^(?!\/)/, '/'));
		if (!/^\/?[A-Za-z0-9_/{}-]+$/.test(trimmed) || path === '/') {
			throw new PsaError('configuration', `Endpoint Versions: '${rawPath}' is not an API path`, {
				hint: "Use a path after /apis/3.0, e.g. '/service/tickets'",
			});
		}
		const version = assertApiVersion(String(rawVersion), `Endpoint Versions: the version for '${rawPath}'`);
		parsed.push({ path, version, segments: path.split('/').filter(Boolean) });
	}
	return parsed.sort((a, b) => b.segments.length - a.segments.length);
}

/**
 * The version to request for a path: the override with the longest matching path prefix (whole
 * segments; "{...}" matches any id), else the pin. "/service/tickets" therefore also covers
 * "/service/tickets/{id}" and "/service/tickets/{parentId}/notes" unless a longer key names them.
 */
export function versionFor(path: string, pin: string, overrides: EndpointVersion[]): string {
	const segments = endpointTemplate(path).split('/').filter(Boolean);
	for (const override of overrides) {
		if (override.segments.length > segments.length) continue;
		const matches = override.segments.every((segment, index) => segment === segments[index] || (/^\{.*\}$/.test(segment) && /^\{.*\}$/.test(segments[index])));
		if (matches) return override.version;
	}
	return pin;
}

export function acceptHeader(version: string): string {
	return `application/vnd.connectwise.com+json; version=${version}`;
}

/** Parses an RFC 9745 Deprecation value ("@1767225600"), the legacy "true", or an HTTP-date. */
export function parseDeprecation(value: string): { deprecated: boolean; date?: Date } {
	const trimmed = value.trim();
	const epoch = /^@(-?\d+)$/.exec(trimmed);
	if (epoch) return { deprecated: true, date: new Date(Number(epoch[1]) * 1000) };
	if (/^true$/i.test(trimmed)) return { deprecated: true };
	if (/^false$/i.test(trimmed)) return { deprecated: false };
	const date = new Date(trimmed);
	return Number.isNaN(date.getTime()) ? { deprecated: true } : { deprecated: true, date };
}

export function parseHttpDate(value: string): Date | undefined {
	const date = new Date(value.trim());
	return Number.isNaN(date.getTime()) ? undefined : date;
}
