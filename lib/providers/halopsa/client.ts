// The HaloPSA REST client: OAuth token on every request (renewed once on a 401), retries and limits through the shared sender, list envelopes and paging, and Halo's answers mapped to PSA error kinds.
import type { PsaCache } from '../../cache';
import { PsaClient } from '../client-base';
import type { ProviderDeclaration } from '../definition';
import { PsaError, type PsaErrorDetails, type PsaErrorKind } from '../errors';
import type { HttpResponse, HttpTransport, HttpUpload } from '../http';
import { parseRetryAfter, type RetryPolicy } from '../request';
import type { RequestEvent } from '../request-events';
import type { SharedRequestLimits } from '../shared-limits';
import { isObject } from '../values';
import { HALO_DECLARATION } from './declaration';
import type { HaloSettings } from './settings';
import { TokenCache, tokenKeyOf } from './token';

export interface HaloClientConfig {
	settings: HaloSettings;
	connectionId: string;
	http: HttpTransport;
	cache: PsaCache;
	retry: RetryPolicy;
	now: () => number;
	sleep: (ms: number) => Promise<void>;
	random: () => number;
	declaration?: ProviderDeclaration;
	sharedLimits?: SharedRequestLimits;
	onRequestEvent?: (event: RequestEvent) => void;
	/** Records per list page. */
	pageSize?: number;
}

export interface HaloRequest {
	method: 'GET' | 'POST' | 'DELETE';
	/** Under the resource server, e.g. "/Tickets/12". */
	path: string;
	query?: Record<string, string | number | boolean | undefined>;
	body?: unknown;
	/** A streamed body (an attachment's JSON with its base64 data) instead of `body`. */
	upload?: HttpUpload;
	/** A write that may create a record: not repeated after a failure whose outcome is unknown. */
	create?: boolean;
	noRetry?: boolean;
}

/** Halo's largest page is not published; 100 keeps each answer small (Faults carry 835 properties). */
export const DEFAULT_PAGE_SIZE = 100;
/** Stops a list that never ends (a server that ignores page_no) long before it spends the request budget. */
const MAX_PAGES = 200;

/** "GET /Tickets/{id}": what the limiter and the events count a request by. */
function endpointOf(path: string): string {
	return path.replace(/\/\d+(?=\/|$)/g, '/{id}').replace(/\/[0-9a-f]{8}-[0-9a-f-]{27}(?=\/|$)/gi, '/{id}');
}

/** Halo's messages: a text body, {ClassName, Message}, or OAuth's {error, error_description}. */
function messagesOf(body: unknown): string[] {
	if (typeof body === 'string') return body.trim() ? [body.trim().slice(0, 300)] : [];
	if (!isObject(body)) return [];
	const said = [body.Message, body.message, body.error_description, body.error].filter((value): value is string => typeof value === 'string' && value.trim() !== '');
	return said.length ? [said[0]] : [];
}

/** Halo's own application answered (its error object or its validation text), not a gateway's page. */
function answeredByHalo(response: HttpResponse): boolean {
	if (isObject(response.body)) return typeof response.body.ClassName === 'string' || typeof response.body.Message === 'string';
	return typeof response.body === 'string' && /^CODE:|^[A-Z][^<]{0,300}$/.test(response.body.trim());
}

export class HaloClient extends PsaClient {
	private readonly tokens: TokenCache;
	readonly pageSize: number;

	constructor(readonly config: HaloClientConfig) {
		super({
			declaration: config.declaration ?? HALO_DECLARATION,
			connectionId: config.connectionId,
			http: config.http,
			retry: config.retry,
			now: config.now,
			sleep: config.sleep,
			random: config.random,
			secrets: [config.settings.clientSecret],
			tokenPattern: /(Bearer)\s+[^\s"',;}\\]+/gi,
			...(config.sharedLimits ? { sharedLimits: config.sharedLimits } : {}),
			...(config.onRequestEvent ? { onRequestEvent: config.onRequestEvent } : {}),
			hints: {
				unreachable: 'Check that the Halo tenant is reachable from n8n',
				lookUp: 'Look the record up before repeating the request (tickets: by their external link)',
			},
		});
		this.pageSize = config.pageSize ?? DEFAULT_PAGE_SIZE;
		const { settings } = config;
		this.tokens = new TokenCache(tokenKeyOf(settings), () => this.fetchToken(), config.now);
	}

	/** Tokens are secrets too: none this client's connection was issued may leave it. */
	override redact(text: string): string {
		let result = super.redact(text);
		for (const token of this.tokens?.tokens() ?? []) if (token.length >= 8) result = result.split(token).join('[redacted]');
		return result;
	}

	/** POST {auth}/token with the client credentials, form-encoded; nothing of the credential reaches the resource server. */
	private async fetchToken(): Promise<{ token: string; expiresInMs: number }> {
		const { settings } = this.config;
		const label = 'POST /auth/token';
		const form: Record<string, string> = { grant_type: 'client_credentials', client_id: settings.clientId, client_secret: settings.clientSecret, scope: settings.scope };
		if (settings.tenant) form.tenant = settings.tenant;
		const { response, attempts } = await this.send(
			{ method: 'POST', url: `${settings.authUrl}/token`, headers: { Accept: 'application/json' }, form, anonymous: true, endpoint: '/auth/token' },
			label,
			{ idempotent: true },
		);
		const body = typeof response.body === 'string' ? parseJson(response.body) : response.body;
		if (response.status === 200 && isObject(body) && typeof body.access_token === 'string' && body.access_token) {
			const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
			return { token: body.access_token, expiresInMs: seconds * 1000 };
		}
		if (response.status === 400 || response.status === 401) {
			const said = messagesOf(body).map((message) => this.redact(message)).join('; ');
			throw new PsaError('authentication', `Halo refused the credential's client for a token (${response.status})${said ? `: ${said}` : ''}`, {
				status: response.status,
				request: label,
				attempts,
				refused: true,
				...(said ? { providerMessage: said } : {}),
				hint: "Check the credential's Client ID, Client Secret, Scope and Tenant (Halo: Configuration > Integrations > Halo API > Applications, authentication method Client ID and Secret)",
			});
		}
		throw this.mapError({ ...response, body }, label, attempts);
	}

	/** One API call with the connection's token; a 401 renews the token and sends once more. Returns the parsed body. */
	async request(request: HaloRequest): Promise<unknown> {
		const response = await this.exchange(request, false);
		return typeof response.body === 'string' && /^\s*[[{]/.test(response.body) ? parseJson(response.body) : response.body;
	}

	/** A GET whose answer is kept as bytes, with its content type (a file, or JSON describing one). */
	async download(request: Omit<HaloRequest, 'method' | 'body' | 'upload' | 'create'>): Promise<{ body: Buffer; contentType: string }> {
		const response = await this.exchange({ ...request, method: 'GET' }, true);
		const body = Buffer.isBuffer(response.body) ? response.body : Buffer.from(typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? ''));
		return { body, contentType: String(response.headers['content-type'] ?? '') };
	}

	private async exchange(request: HaloRequest, binaryResponse: boolean): Promise<HttpResponse> {
		const label = `${request.method} ${request.path}`;
		const url = this.urlOf(request.path, request.query);
		let token = (await this.tokens.get()).token;
		let outcome = await this.sendWith(request, url, label, token, binaryResponse);
		if (outcome.response.status === 401) {
			token = (await this.tokens.renew(token)).token;
			outcome = await this.sendWith(request, url, label, token, binaryResponse);
		}
		const { response, attempts } = outcome;
		this.observe(response, request.path);
		if (response.status < 200 || response.status >= 300) throw this.mapError(response, label, attempts, request.create);
		return response;
	}

	private sendWith(request: HaloRequest, url: string, label: string, token: string, binaryResponse: boolean) {
		const headers = { Accept: binaryResponse ? '*/*' : 'application/json', Authorization: `Bearer ${token}` };
		const transfer = { ...(request.upload ? { upload: request.upload } : request.body !== undefined ? { body: request.body } : {}), ...(binaryResponse ? { binaryResponse: true } : {}) };
		return this.send({ method: request.method, url, headers, ...transfer, endpoint: endpointOf(request.path) }, label, {
			idempotent: !request.create,
			...(request.noRetry ? { noRetry: true } : {}),
		});
	}

	/**
	 * A list: the array the reply names by `key` ({record_count, tickets: [...]}), or a bare array. With `paged`, pages of
	 * pageSize are read (pageinate, page_no from 1) until `limit` records or a short page.
	 */
	async list(path: string, key: string, query: HaloRequest['query'] = {}, options: { limit?: number; paged?: boolean } = {}): Promise<Array<Record<string, unknown>>> {
		const limit = options.limit === undefined ? Infinity : Math.max(0, Math.floor(options.limit));
		if (limit === 0) return [];
		if (!options.paged) return listOf(await this.request({ method: 'GET', path, query }), key, `GET ${path}`).slice(0, limit);
		const size = Math.max(1, Math.min(this.pageSize, limit));
		const results: Array<Record<string, unknown>> = [];
		for (let page = 1; page <= MAX_PAGES; page++) {
			const answer = await this.request({ method: 'GET', path, query: { ...query, pageinate: true, page_size: size, page_no: page } });
			const records = listOf(answer, key, `GET ${path}`);
			for (const record of records) {
				results.push(record);
				if (results.length >= limit) return results;
			}
			const total = isObject(answer) && typeof answer.record_count === 'number' ? answer.record_count : undefined;
			if (records.length < size || (total !== undefined && page * size >= total)) return results;
		}
		return results;
	}

	private urlOf(path: string, query: HaloRequest['query'] = {}): string {
		const params = new URLSearchParams();
		for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
		const search = params.toString();
		return `${this.config.settings.resourceUrl}${path}${search ? `?${search}` : ''}`;
	}

	/** The generic deprecation signals (RFC 9745 Deprecation, RFC 8594 Sunset), should Halo ever send them. */
	private observe(response: HttpResponse, path: string): void {
		const endpoint = endpointOf(path);
		if (response.headers.deprecation !== undefined) this.warn('deprecation', `Halo marks ${endpoint} as deprecated (${response.headers.deprecation}). Watch for a PSA Bridge release that follows it.`, endpoint);
		if (response.headers.sunset !== undefined) this.warn('sunset', `Halo will stop serving ${endpoint} on ${response.headers.sunset}. Update PSA Bridge before then.`, endpoint);
	}

	mapError(response: HttpResponse, label: string, attempts: number, create = false): PsaError {
		const status = response.status;
		const providerMessage = messagesOf(response.body).map((message) => this.redact(message)).join('; ') || undefined;
		const details: PsaErrorDetails = { status, request: label, attempts, ...(providerMessage ? { providerMessage } : {}) };
		const said = providerMessage ? `: ${providerMessage}` : '';
		const make = (kind: PsaErrorKind, message: string, extra: Partial<PsaErrorDetails> = {}) => new PsaError(kind, this.redact(message), { ...details, ...extra });
		if (status === 429) {
			const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.config.now());
			return make('rate-limited', `Halo is throttling requests (429) for ${label}; gave up after ${attempts} attempt(s)${said}`, {
				refused: true,
				...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
				hint: 'Halo allows about 500 requests per 3 minutes per tenant (a third-party figure): run the workflow less often or spread it out',
			});
		}
		if (status === 401) return make('authentication', `Halo rejected the token for ${label} (401)${said}`, { refused: true, hint: "Check the credential's Client ID, Client Secret and Scope" });
		if (status === 403) {
			return make('permission', `The Halo API application may not ${label} (403)${said}`, {
				refused: true,
				hint: "In Halo (Configuration > Integrations > Halo API > Applications), give the application's agent the permission, and the credential's Scope the area (e.g. all)",
			});
		}
		if (status === 404) return make('not-found', `Halo found nothing at ${label} (404)${said}`, { refused: true });
		if (status === 410) return make('version', `Halo no longer serves ${label} (410 Gone)${said}`, { refused: true, hint: 'Update PSA Bridge' });
		if (status === 409) return make('conflict', `Halo refused ${label} as a conflict (409)${said}`, { refused: true });
		if (status >= 400 && status < 500) return make('invalid-input', `Halo rejected ${label} (${status})${said}`, { refused: true });
		return make('unavailable', `Halo failed to answer ${label} (${status}) after ${attempts} attempt(s)${said}`, {
			...(create ? { outcomeUnknown: true } : {}),
			...(answeredByHalo(response) ? { answered: true } : {}),
			hint: 'Halo or the network had a problem; try again later',
		});
	}
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/**
 * The records of a list reply: `body[key]`, a bare array, or (tolerantly) the one array the object holds. `strict`
 * takes `body[key]` only: where an empty list decides that something is absent, an answer of another shape must fail.
 */
export function listOf(body: unknown, key: string, what: string, options: { strict?: boolean } = {}): Array<Record<string, unknown>> {
	const records = options.strict
		? isObject(body) && Array.isArray(body[key])
			? (body[key] as unknown[])
			: undefined
		: Array.isArray(body)
		? body
		: isObject(body)
			? Array.isArray(body[key])
				? (body[key] as unknown[])
				: Object.values(body).find((value): value is unknown[] => Array.isArray(value))
			: undefined;
	if (!records) throw new PsaError('unavailable', `Halo answered ${what} without a list of ${key}`, { request: what });
	return records.filter(isObject);
}
