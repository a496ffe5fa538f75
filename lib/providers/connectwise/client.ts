// ConnectWise transport wrapper: URLs, auth and version headers, codebase discovery, error mapping and version warnings (retries: ../request.ts).
import { PsaCache } from '../../cache';
import { PsaClient } from '../client-base';
import type { ProviderDeclaration } from '../definition';
import { PsaError, PsaErrorDetails, PsaErrorKind } from '../errors';
import { HttpRequest, HttpResponse, HttpTransport, HttpUpload } from '../http';
import { RetryPolicy, parseRetryAfter } from '../request';
import type { RequestEvent } from '../request-events';
import { CONNECTWISE_DECLARATION } from './declaration';
import { ConnectWiseSite, parseCodebase } from './site';
import {
	EndpointVersion,
	acceptHeader,
	compareVersions,
	endpointTemplate,
	isApiVersion,
	parseDeprecation,
	parseHttpDate,
	versionFor,
} from './versions';

export { parseRetryAfter } from '../request';
export type { RetryPolicy } from '../request';

export interface ClientConfig {
	site: ConnectWiseSite;
	companyId: string;
	publicKey: string;
	privateKey: string;
	clientId: string;
	pin: string;
	overrides: EndpointVersion[];
	transportAuthenticates: boolean;
	connectionId: string;
	http: HttpTransport;
	cache: PsaCache;
	retry: RetryPolicy;
	sleep: (ms: number) => Promise<void>;
	now: () => number;
	random: () => number;
	/** Limits, retry and version policy; ConnectWise's own declaration when absent. */
	declaration?: ProviderDeclaration;
	onRequestEvent?: (event: RequestEvent) => void;
}

export type QueryValue = string | number | boolean | undefined;

export interface ApiRequest {
	method: HttpRequest['method'];
	/** Path after /apis/3.0, e.g. "/service/tickets/12". */
	path: string;
	query?: Record<string, QueryValue>;
	body?: unknown;
	/** A streamed byte body (multipart upload) instead of `body`. */
	upload?: HttpUpload;
	/** The answer's body as bytes (downloads). */
	binaryResponse?: boolean;
	headers?: Record<string, string>;
	/** A POST is retried after a lost response or a 5xx only when this is true. */
	retrySafe?: boolean;
	/** Send once, whatever happens (permission probes). */
	noRetry?: boolean;
}

export interface ApiResponse {
	status: number;
	headers: Record<string, string>;
	body: unknown;
	/** The API version the request asked for. */
	version: string;
}

export const CODEBASE_TTL_MS = 60 * 60 * 1000;

const UNSUPPORTED_VERSION = /does not support the API version/i;

export class ConnectWiseClient extends PsaClient {
	currentApiVersion?: string;
	codebase?: string;

	constructor(readonly config: ClientConfig) {
		super({
			declaration: config.declaration ?? CONNECTWISE_DECLARATION,
			connectionId: config.connectionId,
			http: config.http,
			retry: config.retry,
			now: config.now,
			sleep: config.sleep,
			random: config.random,
			secrets: [config.privateKey, config.publicKey, Buffer.from(`${config.companyId}+${config.publicKey}:${config.privateKey}`).toString('base64')],
			// A Basic token of other keys than these (an old credential quoted back by a proxy) is still a credential.
			tokenPattern: /(Basic)\s+[A-Za-z0-9+/=]{8,}/g,
			...(config.onRequestEvent ? { onRequestEvent: config.onRequestEvent } : {}),
			hints: {
				unreachable: `Check that ${config.site.host} is reachable from n8n`,
				lookUp: 'Look the record up before repeating the request (tickets: by their external reference)',
			},
		});
	}

	/** Absolute API base: https://{site}/{codebase}apis/3.0 */
	async apiBase(): Promise<string> {
		return `${this.config.site.origin}/${await this.resolveCodebase()}apis/3.0`;
	}

	versionFor(path: string): string {
		return versionFor(path, this.config.pin, this.config.overrides);
	}

	/** The codebase ("v4_6_release/") from companyinfo, cached per site + company; `force` asks the site again. */
	async resolveCodebase(force = false): Promise<string> {
		if (!force && this.codebase) return this.codebase;
		if (force) this.config.cache.invalidate(this.config.connectionId, 'codebase');
		this.codebase = await this.config.cache.getOrLoad(this.config.connectionId, 'codebase', () => this.fetchCodebase(), CODEBASE_TTL_MS);
		return this.codebase;
	}

	private async fetchCodebase(): Promise<string> {
		const path = `/login/companyinfo/${encodeURIComponent(this.config.companyId)}`;
		const label = `GET ${path}`;
		const { response, attempts } = await this.send(
			{ method: 'GET', url: `${this.config.site.origin}${path}`, headers: { Accept: 'application/json' }, endpoint: '/login/companyinfo/{id}' },
			label,
			{ idempotent: true },
		);
		if (response.status === 404 && isObject(response.body)) {
			throw new PsaError('configuration', `${this.config.site.host} does not know the company id '${this.config.companyId}'`, {
				status: 404,
				request: label,
				hint: 'Check the Company ID (the company you log in to ConnectWise with)',
			});
		}
		if (response.status === 404 || (response.status === 200 && !isObject(response.body))) {
			throw new PsaError('configuration', `${this.config.site.host} does not answer like a ConnectWise site (companyinfo: ${response.status})`, {
				status: response.status,
				request: label,
				hint: 'Check the Site: the host of your ConnectWise server, e.g. api-na.myconnectwise.net',
			});
		}
		if (response.status !== 200) throw this.mapError(response, label, '/login/companyinfo/{id}', '', attempts);
		const body = response.body as Record<string, unknown>;
		const codebase = parseCodebase(body.Codebase ?? body.codebase);
		if (!codebase) {
			throw new PsaError('configuration', `${this.config.site.host} does not know the company id '${this.config.companyId}'`, {
				status: response.status,
				request: label,
				hint: 'Check the Company ID (the company you log in to ConnectWise with)',
			});
		}
		return codebase;
	}

	/** One API call: version header, auth, retries, codebase re-resolution, error mapping, warnings. */
	async request(request: ApiRequest): Promise<ApiResponse> {
		const version = this.versionFor(request.path);
		const template = endpointTemplate(request.path);
		const label = `${request.method} ${request.path}`;
		const headers: Record<string, string> = { Accept: acceptHeader(version), ...this.authHeaders(), ...(request.headers ?? {}) };
		let reResolved = false;
		for (;;) {
			const codebase = await this.resolveCodebase();
			const url = `${this.config.site.origin}/${codebase}apis/3.0${request.path}${queryString(request.query)}`;
			const idempotent = request.method !== 'POST' || request.retrySafe === true;
			const transfer = { ...(request.upload ? { upload: request.upload } : {}), ...(request.binaryResponse ? { binaryResponse: true } : {}) };
			const { response, attempts } = await this.send({ method: request.method, url, headers, body: request.body, ...transfer, endpoint: template }, label, {
				idempotent,
				noRetry: request.noRetry,
			});
			this.observe(response, template, version);
			if (response.status === 404 && isHtmlResponse(response) && !reResolved) {
				// ConnectWise moved the company to another codebase (or the cached one is wrong): ask companyinfo once more.
				reResolved = true;
				const fresh = await this.resolveCodebase(true);
				if (fresh !== codebase) continue;
				throw new PsaError('configuration', `${this.config.site.host} answered ${label} with a page that is not the ConnectWise API`, {
					status: 404,
					request: label,
					hint: 'Check the Site: it must be the host of your ConnectWise server, without a path',
				});
			}
			if (response.status >= 400 || response.status < 200) throw this.mapError(response, label, template, version, attempts);
			return { status: response.status, headers: response.headers, body: response.body, version };
		}
	}

	/**
	 * GET of a callback signing key (key_url, already checked to be on the site). The URL comes from an unverified
	 * request, so it is fetched like a stranger would: without credentials, once (no retry), no redirects, short timeout.
	 */
	async getCallbackKey(url: string, timeoutMs: number): Promise<unknown> {
		const parsed = new URL(url);
		const label = `GET ${parsed.pathname}`;
		const { response, attempts } = await this.send(
			{ method: 'GET', url, headers: { Accept: 'application/json' }, anonymous: true, followRedirects: false, endpoint: endpointTemplate(parsed.pathname) },
			label,
			{ idempotent: true, noRetry: true, timeoutMs },
		);
		if (response.status >= 300 || response.status < 200) {
			throw this.mapError(response, label, endpointTemplate(parsed.pathname), '', attempts);
		}
		return response.body;
	}

	private authHeaders(): Record<string, string> {
		if (this.config.transportAuthenticates) return {};
		const token = Buffer.from(`${this.config.companyId}+${this.config.publicKey}:${this.config.privateKey}`).toString('base64');
		return { Authorization: `Basic ${token}`, clientId: this.config.clientId };
	}

	/** Reads api-current-version, Deprecation and Sunset from every response. */
	private observe(response: HttpResponse, template: string, version: string): void {
		const current = response.headers['api-current-version']?.trim();
		if (isApiVersion(current)) {
			this.currentApiVersion = current;
			if (compareVersions(current, this.config.pin) > 0) {
				this.warn('version-drift', `ConnectWise offers API version ${current}; this connection pins ${this.config.pin}. Test your workflows with ${current}, then set the credential's 'API Version' to it.`);
			}
		}
		const links = parseLinkHeader(response.headers.link);
		const deprecation = response.headers.deprecation;
		if (deprecation !== undefined) {
			const parsed = parseDeprecation(deprecation);
			if (parsed.deprecated) {
				const when = parsed.date ? (parsed.date.getTime() > this.config.now() ? ` from ${isoDate(parsed.date)}` : ` since ${isoDate(parsed.date)}`) : '';
				const link = links.get('deprecation');
				this.warn(
					'deprecation',
					`ConnectWise marks ${template} at API version ${version} as deprecated${when}.${link ? ` Details: ${link}.` : ''} Move to a newer version (credential 'API Version', or 'Endpoint Versions' for this endpoint) before it is removed.`,
					template,
				);
			}
		}
		const sunset = response.headers.sunset;
		if (sunset !== undefined) {
			const date = parseHttpDate(sunset);
			const link = links.get('sunset');
			this.warn(
				'sunset',
				`ConnectWise will stop serving ${template} at API version ${version}${date ? ` on ${isoDate(date)}` : ''}.${link ? ` Details: ${link}.` : ''} Pin a newer version (credential 'API Version', or 'Endpoint Versions' for this endpoint) before then.`,
				template,
			);
		}
	}

	mapError(response: HttpResponse, label: string, template: string, version: string, attempts: number): PsaError {
		const status = response.status;
		const body = isObject(response.body) ? response.body : {};
		const errors = Array.isArray(body.errors) ? body.errors.filter(isObject) : [];
		const providerCode = typeof body.code === 'string' ? body.code : undefined;
		const rawMessage = typeof body.message === 'string' ? body.message : typeof response.body === 'string' ? response.body.slice(0, 300) : '';
		const providerMessage = rawMessage ? this.redact(rawMessage) : undefined;
		const firstError = errors[0];
		const field = firstError && typeof firstError.field === 'string' ? firstError.field : undefined;
		const fieldMessage = firstError && typeof firstError.message === 'string' ? this.redact(firstError.message) : undefined;
		const details: PsaErrorDetails = {
			status,
			request: label,
			attempts,
			...(providerCode ? { providerCode } : {}),
			...(providerMessage ? { providerMessage } : {}),
			...(field ? { field } : {}),
		};
		const said = providerMessage ? `: ${providerMessage}` : '';
		const make = (kind: PsaErrorKind, message: string, extra: Partial<PsaErrorDetails> = {}) =>
			new PsaError(kind, this.redact(message), { ...details, ...extra });

		if (status === 400 && UNSUPPORTED_VERSION.test(rawMessage)) {
			const suggestion = this.suggestVersion(rawMessage, response.headers['api-current-version'], version);
			return make(
				'version',
				`ConnectWise at ${this.config.site.host} does not support API version ${version} for ${template}${suggestion ? `; pin ${suggestion}` : ''}.`,
				{
					hint: `Set the credential's 'API Version' to ${suggestion ?? "a version the server supports (its api-current-version)"}, or only this endpoint's version in 'Endpoint Versions', e.g. {"${template}": "${suggestion ?? 'YYYY.N'}"}`,
				},
			);
		}
		if (status === 410) {
			const newer = this.currentApiVersion && compareVersions(this.currentApiVersion, version) > 0 ? this.currentApiVersion : undefined;
			return make('version', `ConnectWise no longer serves ${template} at API version ${version} (410 Gone)${said}`, {
				hint: `Move the version forward${newer ? ` to ${newer}` : ''}: the credential's 'API Version', or 'Endpoint Versions' for ${template}`,
			});
		}
		switch (status) {
			case 401:
				return make('authentication', `ConnectWise rejected the credentials for ${label} (401)${said}`, {
					hint: 'Check the Company ID, Public Key, Private Key and Client ID; API keys belong to one API member and can be revoked',
				});
			case 403:
				return make('permission', `The API member may not ${label} (403)${said}`, { hint: permissionHint(label.split(' ')[0], template) });
			case 404:
				return make('not-found', `ConnectWise found nothing at ${label} (404)${said}`);
			case 409:
				return make('conflict', `ConnectWise refused ${label} because of a conflict (409)${said}`);
			case 429: {
				const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.config.now());
				return make('rate-limited', `ConnectWise is rate limiting requests (429) for ${label}; gave up after ${attempts} attempt(s)`, {
					...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
					hint: 'Lower the concurrency or the rate of the workflow, or try again later',
				});
			}
		}
		if (status === 400 || status === 422) {
			const blamed = field ? ` (field '${field}'${fieldMessage ? `: ${fieldMessage}` : ''})` : '';
			return make('invalid-input', `ConnectWise rejected ${label}${blamed}${said}`);
		}
		if (status >= 500) {
			return make('unavailable', `ConnectWise failed to answer ${label} (${status}) after ${attempts} attempt(s)${said}`, {
				...(label.startsWith('POST ') ? { outcomeUnknown: true } : {}),
				// ConnectWise's own error body ({code, message}); a gateway's page or an empty body says nothing of the work.
				...(providerCode !== undefined && typeof body.message === 'string' ? { answered: true } : {}),
				hint: 'ConnectWise or the network had a problem; try again later',
			});
		}
		return make(status >= 400 ? 'invalid-input' : 'unavailable', `ConnectWise answered ${label} with an unexpected status ${status}${said}`);
	}

	private suggestVersion(message: string, headerCurrent: string | undefined, requested: string): string | undefined {
		const current = isApiVersion(headerCurrent) ? headerCurrent.trim() : this.currentApiVersion;
		const listed = (message.match(/\b\d{4}\.\d{1,2}\b/g) ?? []).filter((candidate) => candidate !== requested);
		if (listed.length) {
			// The nearest version the server lists: the newest one below the request, else the oldest above it.
			const below = listed.filter((candidate) => compareVersions(candidate, requested) < 0).sort(compareVersions);
			const above = listed.filter((candidate) => compareVersions(candidate, requested) > 0).sort(compareVersions);
			return below.length ? below[below.length - 1] : above[0];
		}
		return current;
	}
}

const PERMISSION_AREAS: Array<[RegExp, string]> = [
	[/^\/service\/tickets/, 'Service Desk > Service Tickets'],
	[/^\/service\/(boards|priorities|sources)/, 'System > Table Setup (service boards and their types, subtypes, items and teams, statuses, priorities, sources)'],
	[/^\/company\/configurations/, 'Companies > Configurations'],
	[/^\/company\/companies/, 'Companies > Company Maintenance'],
	[/^\/system\/userDefinedFields/, 'System > Table Setup (custom fields)'],
	[/^\/company\/contacts/, 'Companies > Contacts'],
	[/^\/system\/members/, 'System > Member Maintenance'],
	[/^\/system\/callbacks/, 'System > Table Setup (callbacks)'],
	[/^\/system\/info/, 'System'],
];

const LEVEL_FOR_METHOD: Record<string, string> = { GET: 'Inquire', POST: 'Add', PATCH: 'Edit', PUT: 'Edit', DELETE: 'Delete' };

function permissionHint(method: string, template: string): string {
	const area = PERMISSION_AREAS.find(([pattern]) => pattern.test(template))?.[1] ?? template;
	return `In ConnectWise (System > Security Roles), give the API member's security role '${LEVEL_FOR_METHOD[method] ?? method}' rights on ${area}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHtmlResponse(response: HttpResponse): boolean {
	const type = response.headers['content-type'] ?? '';
	return /html/i.test(type) || (typeof response.body === 'string' && /^\s*</.test(response.body));
}

export function queryString(query: Record<string, QueryValue> | undefined): string {
	if (!query) return '';
	const parts = Object.entries(query)
		.filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined && entry[1] !== '')
		.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
	return parts.length ? `?${parts.join('&')}` : '';
}

/** RFC 8288 Link header -> rel -> URL (first of each rel). */
export function parseLinkHeader(value: string | undefined): Map<string, string> {
	const links = new Map<string, string>();
	if (!value) return links;
	for (const match of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
		const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2]);
		if (!rel) continue;
		for (const name of rel[1].trim().toLowerCase().split(/\s+/)) {
			if (!links.has(name)) links.set(name, match[1]);
		}
	}
	return links;
}

function isoDate(date: Date): string {
	return date.toISOString().slice(0, 10);
}
