// Autotask transport wrapper: zone, auth headers, impersonation, query paging, error mapping and throttle detection (retries: ../request.ts).
import { PsaCache } from '../../cache';
import { PsaClient } from '../client-base';
import type { ProviderDeclaration } from '../definition';
import { PsaError, PsaErrorDetails, PsaErrorKind } from '../errors';
import { HttpRequest, HttpResponse, HttpTransport, HttpUpload } from '../http';
import type { RequestEvent } from '../request-events';
import type { SharedRequestLimits } from '../shared-limits';
import { RetryPolicy, ResponseClassifier, parseRetryAfter } from '../request';
import { isObject } from '../values';
import { AUTOTASK_DECLARATION } from './declaration';
import { Filter, filterOf } from './filter';
import { AutotaskZone, ZONE_TTL_MS, normaliseZoneUrl } from './zone';

export interface AutotaskClientConfig {
	username: string;
	secret: string;
	integrationCode: string;
	zoneOverride?: string;
	/** Where zoneInformation is asked (Autotask's documented host unless a test points elsewhere). */
	zoneLookupOrigin: string;
	transportAuthenticates: boolean;
	connectionId: string;
	http: HttpTransport;
	cache: PsaCache;
	retry: RetryPolicy;
	sleep: (ms: number) => Promise<void>;
	now: () => number;
	random: () => number;
	sharedLimits?: SharedRequestLimits;
	/** Limits, retry and version policy; Autotask's own declaration when absent. */
	declaration?: ProviderDeclaration;
	onRequestEvent?: (event: RequestEvent) => void;
}

export interface AutotaskRequest {
	method: HttpRequest['method'];
	/** Path after /V1.0, e.g. "/Tickets/query". */
	path: string;
	body?: unknown;
	/** A streamed JSON body (an attachment's base64) instead of `body`. */
	upload?: HttpUpload;
	/** Create or update as this resource (ImpersonationResourceId); Autotask refuses the header on queries. */
	impersonate?: number;
	/** A create: sent again only after a refusal (nothing done), never after an unknown outcome. */
	create?: boolean;
	noRetry?: boolean;
}

/** The entity endpoint a path counts against for the thread limit: /Tickets/7/Notes is TicketNotes, /Tickets/query Tickets. */
function entityEndpoint(path: string): string {
	const child = /^\/(\w+?)s?\/\d+\/(\w+)/.exec(path);
	if (child) return `${child[1]}${child[2]}`;
	return /^\/(\w+)/.exec(path)?.[1] ?? path;
}

/** Records per query page: Autotask's maximum. */
export const MAX_PAGE_SIZE = 500;
/** Pages followed at most for one query, whatever nextPageUrl says. */
const MAX_PAGES = 1000;

/**
 * Autotask's refusals that do no work, whatever status carries them: the per-endpoint thread limit ("Thread Threshold
 * Exceeded", code Itgenatr005) and the hourly request threshold. They are throttling, so the request is sent again later.
 */
const THROTTLED = /thread threshold|threads? (has|have) been exceeded|itgenatr005|request threshold|threshold (has been|was) exceeded|too many requests/i;
/** Of those, the thread limit: a refusal for requests in flight on the endpoint, not for their pace. */
const THREAD_LIMITED = /thread threshold|threads? (has|have) been exceeded|itgenatr005/i;
/**
 * Messages by which Autotask refuses a request before doing it (it answers most of them with 500). For a create, only
 * the exact refusals Autotask documents or was seen sending count (EXACT_REFUSALS): a generic server text ("Operation
 * is not valid…", "Value cannot be null") may follow a commit, so a create answered with one stays outcome-unknown.
 */
const EXACT_REFUSALS: Array<[RegExp, PsaErrorKind]> = [
	[/integrationcode is invalid|zone information could not be determined|user ?name (is )?(not valid|invalid|not found|unknown)/i, 'authentication'],
	[/adequate permissions|does not have (the )?permission/i, 'permission'],
	[/no matching records found/i, 'not-found'],
	[
		/picklist value \[[^\]]*\] does not exist for \w+|^\s*\w+ is required\b|unable to find \w+ in the \w+ entity|\w+ exceeds \d+ characters|when assigning a resource, you must assign both|value does not reference an existing entity|maxcountofrecordstoreturn must be between|invalid query syntax|only one udf/i,
		'invalid-input',
	],
];
/** Wider wording that reads as a refusal for requests that cannot do work twice (reads, updates by id). */
const REFUSALS: Array<[RegExp, PsaErrorKind]> = [
	...EXACT_REFUSALS,
	[/integration code|invalid user|unauthori[sz]ed|authenticat/i, 'authentication'],
	[/not have (the )?permission|permission to|access denied|not authori[sz]ed/i, 'permission'],
	[/does not exist|are required|must be|too long|not valid|is invalid|does not reference|cannot be|can not be/i, 'invalid-input'],
];

export const AUTOTASK_CLASSIFIER: ResponseClassifier = {
	throttled: (response) => response.status === 429 || (response.status >= 400 && THROTTLED.test(messagesOf(response.body).join(' '))),
	concurrencyLimited: (response) => response.status >= 400 && THREAD_LIMITED.test(messagesOf(response.body).join(' ')),
	transient: (response) => response.status >= 500 && !isRefusal(response, REFUSALS),
};

function messagesOf(body: unknown): string[] {
	if (isObject(body)) {
		if (Array.isArray(body.errors)) return body.errors.map((entry) => (typeof entry === 'string' ? entry : isObject(entry) && typeof entry.message === 'string' ? entry.message : JSON.stringify(entry)));
		if (typeof body.Message === 'string') return [body.Message];
		if (typeof body.message === 'string') return [body.message];
	}
	return typeof body === 'string' && body.trim() ? [body.trim().slice(0, 300)] : [];
}

function answeredByAutotask(body: unknown): boolean {
	return isObject(body) && ((Array.isArray(body.errors) && body.errors.length > 0) || typeof body.Message === 'string');
}

function isRefusal(response: HttpResponse, refusals: Array<[RegExp, PsaErrorKind]>): boolean {
	const text = messagesOf(response.body).join(' ');
	return refusals.some(([pattern]) => pattern.test(text));
}

export class AutotaskClient extends PsaClient {
	/** The REST version in every path ("V1.0"): the declared pin. */
	readonly apiVersion: string;
	private readonly limits: ProviderDeclaration['limits'];
	private zoneValue?: AutotaskZone;

	constructor(readonly config: AutotaskClientConfig) {
		super({
			declaration: config.declaration ?? AUTOTASK_DECLARATION,
			connectionId: config.connectionId,
			http: config.http,
			retry: config.retry,
			now: config.now,
			sleep: config.sleep,
			random: config.random,
			classifier: AUTOTASK_CLASSIFIER,
			secrets: [config.secret, config.integrationCode],
			...(config.sharedLimits ? { sharedLimits: config.sharedLimits } : {}),
			// Autotask counts threads per API tracking identifier (integration code) and endpoint, so do the shared slots.
			sharedIdentity: config.integrationCode,
			...(config.onRequestEvent ? { onRequestEvent: config.onRequestEvent } : {}),
			hints: {
				unreachable: 'Check that the Autotask zone is reachable from n8n',
				lookUp: 'Look the record up before repeating the request (tickets: by their external ID)',
			},
		});
		const declaration = config.declaration ?? AUTOTASK_DECLARATION;
		this.apiVersion = declaration.versions.defaultPin;
		this.limits = declaration.limits;
	}

	/** The zone this process last resolved for the connection, if any (no request). */
	cachedZone(): AutotaskZone | undefined {
		return this.zoneValue ?? this.config.cache.get<AutotaskZone>(this.config.connectionId, this.zoneCacheKey);
	}

	/** A changed Zone URL in the credential is a different cache entry, so it takes effect at once. */
	private get zoneCacheKey(): string {
		return `zone:${this.config.zoneOverride ?? 'lookup'}`;
	}

	/** The tenant's zone: the credential's override, else zoneInformation for the user, cached a day per connection. */
	async zone(): Promise<AutotaskZone> {
		if (this.zoneValue) return this.zoneValue;
		this.zoneValue = await this.config.cache.getOrLoad(this.config.connectionId, this.zoneCacheKey, () => this.lookUpZone(), ZONE_TTL_MS);
		return this.zoneValue;
	}

	private async lookUpZone(): Promise<AutotaskZone> {
		if (this.config.zoneOverride) {
			const zone = normaliseZoneUrl(this.config.zoneOverride);
			return { ...zone, webUrl: webUrlFor(zone.host, zone.origin), name: 'configured' };
		}
		const lookup = normaliseZoneUrl(this.config.zoneLookupOrigin, 'The zone lookup address');
		const label = 'GET /zoneInformation';
		const url = `${lookup.origin}/atservicesrest/v1.0/zoneInformation?user=${encodeURIComponent(this.config.username)}`;
		// Public and unauthenticated: nothing secret goes to the lookup host.
		const { response, attempts } = await this.send({ method: 'GET', url, headers: { Accept: 'application/json' }, anonymous: true, endpoint: 'zoneInformation' }, label, { idempotent: true });
		if (response.status !== 200 || !isObject(response.body) || typeof response.body.url !== 'string') {
			if (response.status === 500 || response.status === 404) {
				throw new PsaError('authentication', `Autotask does not know the API user '${this.config.username}' (zone lookup answered ${response.status})`, {
					status: response.status,
					request: label,
					refused: true,
					hint: "Check the credential's Username: the API-only user's user name, e.g. abc123@example.com",
				});
			}
			throw this.mapError(response, label, 'GET', attempts);
		}
		const zone = normaliseZoneUrl(response.body.url, 'The zone Autotask named');
		// The zone receives the secret: only an Autotask host, or the lookup host itself when that is a local test server.
		if (!/(^|\.)autotask\.net(:\d+)?$/i.test(zone.host) && zone.host !== lookup.host) {
			throw new PsaError('configuration', `The zone lookup named ${zone.host}, which is not an Autotask host`, { request: label, hint: "Set the credential's Zone URL" });
		}
		const webUrl = typeof response.body.webUrl === 'string' && /^https?:\/\//.test(response.body.webUrl) ? response.body.webUrl : webUrlFor(zone.host, zone.origin);
		return { ...zone, webUrl: webUrl.endsWith('/') ? webUrl : `${webUrl}/`, name: typeof response.body.zoneName === 'string' ? response.body.zoneName : '' };
	}

	/** The REST versions the zone lists (versioninformation, unauthenticated). */
	async versions(): Promise<string[]> {
		const zone = await this.zone();
		const label = 'GET /versioninformation';
		const { response, attempts } = await this.send({ method: 'GET', url: `${zone.url}versioninformation`, headers: { Accept: 'application/json' }, anonymous: true, endpoint: 'versioninformation' }, label, {
			idempotent: true,
		});
		if (response.status !== 200) throw this.mapError(response, label, 'GET', attempts);
		const list = isObject(response.body) && Array.isArray(response.body.apiVersions) ? response.body.apiVersions : [];
		return list.filter((entry): entry is string => typeof entry === 'string');
	}

	/** One API call under /V1.0: auth headers, impersonation, retries, error mapping. Returns the parsed body. */
	async request(request: AutotaskRequest): Promise<unknown> {
		const zone = await this.zone();
		return this.requestUrl(request, `${zone.url}${this.apiVersion}${request.path}`);
	}

	private async requestUrl(request: AutotaskRequest, url: string): Promise<unknown> {
		const label = `${request.method} ${request.path}`;
		if (request.impersonate !== undefined && /\/query(\/|$)/i.test(request.path)) {
			throw new PsaError('configuration', `Impersonation is not allowed on ${label}: Autotask refuses it on queries`);
		}
		const headers: Record<string, string> = { Accept: 'application/json', ...this.authHeaders() };
		if (request.impersonate !== undefined) headers.ImpersonationResourceId = String(request.impersonate);
		const { response, attempts } = await this.send({ method: request.method, url, headers, body: request.body, ...(request.upload ? { upload: request.upload } : {}), endpoint: entityEndpoint(request.path) }, label, {
			idempotent: !request.create,
			noRetry: request.noRetry,
		});
		this.observe(response, request.path);
		if (response.status < 200 || response.status >= 300) throw this.mapError(response, label, request.method, attempts, request.create);
		return response.body;
	}

	/** POST {entity}/query, following nextPageUrl (POSTed with the same body) until `limit` records. */
	async query(path: string, filter: Filter[], options: { limit?: number; pageSize?: number; includeFields?: string[] } = {}): Promise<unknown[]> {
		const limit = options.limit === undefined ? Infinity : Math.max(0, Math.floor(options.limit));
		if (limit === 0) return [];
		const zone = await this.zone();
		const body: Record<string, unknown> = { MaxRecords: Math.max(1, Math.min(MAX_PAGE_SIZE, options.pageSize ?? MAX_PAGE_SIZE, limit)), filter: filterOf(...filter) };
		if (options.includeFields?.length) body.IncludeFields = options.includeFields;
		const results: unknown[] = [];
		let url = `${zone.url}${this.apiVersion}${path}`;
		for (let page = 0; page < MAX_PAGES; page++) {
			// nextPageUrl is POSTed with the first page's body again (a GET answers 405).
			const answer = await this.requestUrl({ method: 'POST', path, body }, url);
			if (!isObject(answer) || !Array.isArray(answer.items)) {
				throw new PsaError('unavailable', `Autotask answered POST ${path} without an items list`, { request: `POST ${path}` });
			}
			for (const item of answer.items) {
				results.push(item);
				if (results.length >= limit) return results;
			}
			const next = isObject(answer.pageDetails) ? answer.pageDetails.nextPageUrl : undefined;
			if (typeof next !== 'string' || !next || answer.items.length === 0) return results;
			const following = sameOriginNext(next, zone, path);
			// A zone that answers the same next page again would loop until MAX_PAGES, spending the hourly budget.
			if (following === url) return results;
			url = following;
		}
		return results;
	}

	/** The generic deprecation signals (RFC 9745 Deprecation, RFC 8594 Sunset), should Autotask ever send them. */
	private observe(response: HttpResponse, path: string): void {
		const endpoint = path.replace(/\/\d+(?=\/|$)/g, '/{id}');
		if (response.headers.deprecation !== undefined) {
			this.warn('deprecation', `Autotask marks ${endpoint} at REST ${this.apiVersion} as deprecated (${response.headers.deprecation}). Watch for a PSA Bridge release that moves to the newer version.`, endpoint);
		}
		if (response.headers.sunset !== undefined) {
			this.warn('sunset', `Autotask will stop serving ${endpoint} at REST ${this.apiVersion} on ${response.headers.sunset}. Update PSA Bridge before then.`, endpoint);
		}
	}

	private authHeaders(): Record<string, string> {
		if (this.config.transportAuthenticates) return {};
		return { ApiIntegrationCode: this.config.integrationCode, UserName: this.config.username, Secret: this.config.secret };
	}

	/** The declared limits as the throttling hint states them. */
	private limitsText(): string {
		const { concurrencyPerEndpoint, hourlyBudget } = this.limits;
		const parts = [
			concurrencyPerEndpoint !== undefined ? `${concurrencyPerEndpoint} requests at a time per endpoint` : undefined,
			hourlyBudget !== undefined ? `${hourlyBudget.toLocaleString('en-US')} an hour per tenant` : undefined,
		].filter(Boolean);
		return parts.length ? `Autotask allows ${parts.join(' and ')}` : 'Autotask is limiting requests';
	}

	mapError(response: HttpResponse, label: string, method: string, attempts: number, create = false): PsaError {
		const status = response.status;
		const messages = messagesOf(response.body).map((message) => this.redact(message));
		const providerMessage = messages.join('; ') || undefined;
		const field = fieldOf(providerMessage ?? '');
		const details: PsaErrorDetails = { status, request: label, attempts, ...(providerMessage ? { providerMessage } : {}), ...(field ? { field } : {}) };
		const said = providerMessage ? `: ${providerMessage}` : '';
		const make = (kind: PsaErrorKind, message: string, extra: Partial<PsaErrorDetails> = {}) => new PsaError(kind, this.redact(message), { ...details, ...extra });

		if (AUTOTASK_CLASSIFIER.throttled(response)) {
			const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.config.now());
			return make('rate-limited', `Autotask is throttling requests (${status}) for ${label}; gave up after ${attempts} attempt(s)${said}`, {
				refused: true,
				...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
				hint: `${this.limitsText()}: run the workflow less often or spread it out`,
			});
		}
		if (status === 410) {
			return make('version', `Autotask no longer serves ${label} at REST ${this.apiVersion} (410 Gone)${said}`, {
				refused: true,
				hint: `Update PSA Bridge: this release speaks Autotask REST ${this.apiVersion}`,
			});
		}
		if (status === 401) {
			return make('authentication', `Autotask rejected the credentials for ${label} (401)${said}`, { refused: true, hint: "Check the credential's Username and Secret" });
		}
		if (status === 403) return make('permission', `The API user may not ${label} (403)${said}`, { refused: true, hint: permissionHint(method) });
		if (status === 404) return make('not-found', `Autotask found nothing at ${label} (404)${said}`, { refused: true });
		if (status === 405) return make('configuration', `Autotask does not support ${label} (405)${said}`, { refused: true });
		if (status >= 400 && status < 500) return make('invalid-input', `Autotask rejected ${label} (${status})${said}`, { refused: true });
		const refusal = (create ? EXACT_REFUSALS : REFUSALS).find(([pattern]) => messages.some((message) => pattern.test(message)));
		if (refusal) {
			const [, kind] = refusal;
			const hint =
				kind === 'authentication'
					? "Check the credential's Username, Secret and Integration Code (the API tracking identifier)"
					: kind === 'permission'
						? permissionHint(method)
						: undefined;
			const blamed = field ? ` (field '${field}')` : '';
			return make(kind, `Autotask refused ${label}${blamed}${said}`, { refused: true, ...(hint ? { hint } : {}) });
		}
		return make('unavailable', `Autotask failed to answer ${label} (${status}) after ${attempts} attempt(s)${said}`, {
			...(create ? { outcomeUnknown: true } : {}),
			// The API's own error body ({"errors": [...]}, or the framework's {"Message": ...}); a gateway's page or an empty
			// body says nothing of the work.
			...(answeredByAutotask(response.body) ? { answered: true } : {}),
			hint: 'Autotask or the network had a problem; try again later',
		});
	}
}

function permissionHint(method: string): string {
	const right = method === 'GET' ? 'view' : method === 'POST' ? 'add' : method === 'DELETE' ? 'delete' : 'edit';
	return `In Autotask (Admin > Account Settings & Users > Security Levels), give the API user's security level the right to ${right} this entity`;
}

/** The field an Autotask message blames: "Picklist value [3] does not exist for priority", "queueID is required", "Unable to find X in ...". */
function fieldOf(message: string): string | undefined {
	const patterns = [/does not exist for (\w+)/i, /^(\w+) is required/i, /unable to find (\w+) in/i, /for (\w+)\s*\.?\s*$/i, /\b(\w+) exceeds/i];
	for (const pattern of patterns) {
		const match = pattern.exec(message);
		if (match) return match[1];
	}
	return undefined;
}

/** nextPageUrl is followed only on the zone itself and only for the same query path: an answer cannot send the secret elsewhere. */
function sameOriginNext(next: string, zone: AutotaskZone, path: string): string {
	let url: URL;
	try {
		url = new URL(next);
	} catch {
		throw new PsaError('unavailable', `Autotask's nextPageUrl for POST ${path} is not a URL`);
	}
	if (url.origin.toLowerCase() !== zone.origin.toLowerCase() || !url.pathname.toLowerCase().includes(path.toLowerCase())) {
		throw new PsaError('unavailable', `Autotask's nextPageUrl for POST ${path} points outside the zone (${url.host})`);
	}
	return url.toString();
}

function webUrlFor(host: string, origin: string): string {
	const zone = /^webservices(\d+)\.autotask\.net$/i.exec(host);
	if (zone) return `https://ww${zone[1]}.autotask.net/`;
	return /(^|\.)autotask\.net$/i.test(host) ? 'https://www.autotask.net/' : `${origin}/`;
}

export { isObject } from '../values';
