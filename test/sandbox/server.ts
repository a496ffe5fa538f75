// The sandbox HTTP server: codebase discovery, auth, versions, faults, rate limit, routing, logging and the control endpoint.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallbackDispatcher, type Delivery } from './callbacks';
import { createSeed, cwTimestamp, setSandboxClock, type CwMember, type CwTicket, type SandboxDb } from './data';
import { ApiError } from './errors';
import { multipartBoundary, parseMultipart } from './multipart';
import { compareVersions, currentModel, MODEL_VERSIONS, type ModelVersion, parseVersion, resolveModel, versionFromAccept } from './models';
import { QueryError } from './query';
import { type HttpMethod, type Route, SandboxApi } from './resources';

export const SANDBOX_CODEBASE = 'v4_6_release/';
export const API_PREFIX = `/${SANDBOX_CODEBASE}apis/3.0`;

export interface SandboxKeyPair {
	companyId: string;
	publicKey: string;
	privateKey: string;
	clientId: string;
}

/** The demo keys: they belong to member 'api' (security role Admin) and may do everything. */
export const SANDBOX_CREDENTIALS: SandboxKeyPair = Object.freeze({
	companyId: 'sandbox',
	publicKey: 'SandboxPublicKey01',
	privateKey: 'SandboxPrivateKey01',
	clientId: '3f7e9a52-5b1c-4d8e-9a40-2c6f0e5b7d11',
});

/** Read-only keys (member 'readonly'): GETs work; writes and /system/callbacks answer 403. */
export const RESTRICTED_CREDENTIALS: SandboxKeyPair = Object.freeze({
	companyId: 'sandbox',
	publicKey: 'ReadonlyPublicKey01',
	privateKey: 'ReadonlyPrivateKey01',
	clientId: '3f7e9a52-5b1c-4d8e-9a40-2c6f0e5b7d11',
});

export type SandboxCredentials = SandboxKeyPair & { site: string };

export interface SandboxOptions {
	/** 0 (default) picks a free port. */
	port?: number;
	latencyMs?: number;
	rateLimitPerSecond?: number;
	/** The newest API version the server claims (api-current-version); default 2025.8. */
	currentVersion?: string;
	/** How long a callback delivery may take before it is abandoned; default 5000 ms. */
	callbackTimeoutMs?: number;
	/** Keep response bodies in the request log (the contract check needs them); default true. */
	recordResponses?: boolean;
	/**
	 * The clock records are stamped with and late commits are scheduled on (the fault suite's virtual time); real time
	 * when absent.
	 */
	clock?: SandboxClock;
}

export interface SandboxClock {
	now(): number;
	setTimeout(run: () => void, ms: number): void;
}

const REAL_CLOCK: SandboxClock = { now: Date.now, setTimeout: (run, ms) => void setTimeout(run, ms) };

export type Fault =
	/**
	 * Answered with this status: 429 and 500 by ConnectWise itself (its JSON error body), 502-504 by a gateway in front of
	 * it (an HTML page). With afterCommit the work was done first: a failure after the commit (500), or a gateway that
	 * gave up while the application finished (502-504).
	 */
	| { method?: HttpMethod; path?: string | RegExp; kind: 'status'; status: 429 | 500 | 502 | 503 | 504; retryAfterSeconds?: number; afterCommit?: boolean; times?: number }
	| { method?: HttpMethod; path?: string | RegExp; kind: 'drop-after-commit'; times?: number }
	/** The work is done and answered with its status, but the body is not the record (a changed model, a proxy's page). */
	| { method?: HttpMethod; path?: string | RegExp; kind: 'garbled'; times?: number }
	| { method?: HttpMethod; path?: string | RegExp; kind: 'drop'; times?: number }
	| { method?: HttpMethod; path?: string | RegExp; kind: 'latency'; ms: number; times?: number }
	/**
	 * The PSA commits the request `ms` after receiving it, later than the client waits: with respond 'hold' (default) the
	 * answer comes after the commit, if the client is still there; with 'drop' the connection is closed at once.
	 */
	| { method?: HttpMethod; path?: string | RegExp; kind: 'late-commit'; ms: number; respond?: 'hold' | 'drop'; times?: number };

export interface VersionPolicy {
	/** Path after /apis/3.0, concrete ('/service/tickets/5') or templated ('/service/tickets/{id}'). */
	path: string;
	/** Applies when the request asked for this version or is served this model; every version when absent. */
	version?: string;
	gone?: boolean;
	deprecation?: string;
	sunset?: string;
	link?: string;
}

export interface RequestLogEntry {
	at: string;
	method: string;
	/** Path after /apis/3.0 without the query; other paths (/login/companyinfo/..., /callback-keys/...) as they are. */
	path: string;
	/** The matched route ('/service/tickets/{id}'), when one matched. */
	template?: string;
	query: Record<string, string>;
	/** Status answered; 0 when the connection was dropped. */
	status: number;
	/** The version the request asked for in Accept. */
	version?: string;
	/** The model the response was shaped with. */
	modelVersion?: ModelVersion;
	/** Request body: parsed JSON, or the raw text when it was not JSON. */
	body?: unknown;
	/** Request headers, lower-cased; Authorization redacted. */
	headers: Record<string, string>;
	/** Response body as sent (parsed JSON), when recordResponses is on. */
	response?: unknown;
	responseHeaders?: Record<string, string>;
	/** The fault applied, if any. */
	fault?: Fault['kind'] | 'rate-limit';
	/** A status fault answered after the work was done (the request's effect is in the records). */
	afterCommit?: boolean;
}

interface ActiveFault {
	fault: Fault;
	remaining: number;
}

const REDACTED = '[REDACTED]';
const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Multipart uploads (documents) may be larger than a JSON body; past this the sandbox answers 413. */
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

function compileTemplate(template: string): { regex: RegExp; names: string[] } {
	const names: string[] = [];
	const pattern = template.replace(/\{(\w+)\}/g, (_match, name: string) => {
		names.push(name);
		return '([^/]+)';
	});
	return { regex: new RegExp(`^${pattern}/?$`, 'i'), names };
}

function validateFault(fault: Fault): Fault {
	const kinds = ['status', 'drop-after-commit', 'garbled', 'drop', 'latency', 'late-commit'];
	if (!fault || typeof fault !== 'object' || !kinds.includes(fault.kind)) {
		throw new Error(`fault.kind must be one of ${kinds.join(', ')}`);
	}
	if (fault.kind === 'status' && ![429, 500, 502, 503, 504].includes(fault.status)) throw new Error('fault.status must be 429, 500, 502, 503 or 504');
	if ((fault.kind === 'latency' || fault.kind === 'late-commit') && !(Number.isFinite(fault.ms) && fault.ms >= 0)) throw new Error('fault.ms must be a number >= 0');
	if (fault.kind === 'late-commit' && fault.respond !== undefined && !['hold', 'drop'].includes(fault.respond)) throw new Error("fault.respond must be 'hold' or 'drop'");
	if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0)) throw new Error('fault.times must be a positive integer');
	if (fault.method !== undefined && !['GET', 'POST', 'PATCH', 'PUT', 'DELETE'].includes(fault.method)) {
		throw new Error('fault.method must be GET, POST, PATCH, PUT or DELETE');
	}
	return fault;
}

export class Sandbox {
	readonly db: SandboxDb;
	readonly codebase = SANDBOX_CODEBASE;
	readonly versions: { supported: ModelVersion[]; current: string };
	readonly requests: RequestLogEntry[] = [];
	private counterMap = new Map<string, number>();
	private readonly server: Server;
	private readonly dispatcher: CallbackDispatcher;
	private readonly api: SandboxApi;
	private readonly routes: Array<Route & { regex: RegExp; names: string[] }>;
	private faults: ActiveFault[] = [];
	/**
	 * Chooses a fault for a request the sandbox starts to work on when no added fault matches it (a share of the
	 * requests failing at random); cleared with the faults.
	 */
	rollFault?: (method: string, path: string, template: string | undefined) => Fault | undefined;
	private versionPolicies: VersionPolicy[] = [];
	private latencyMs: number;
	private rateLimitPerSecond: number;
	private recentRequests: number[] = [];
	private readonly recordResponses: boolean;
	private readonly clock: SandboxClock;
	/** Late commits scheduled and not yet applied. */
	private lateCommits = 0;
	/** API write requests (POST, PATCH, PUT, DELETE) received, and those that changed data; log resets leave both alone. */
	private writes = { received: 0, committed: 0 };
	private port = 0;

	constructor(options: SandboxOptions = {}) {
		const currentVersion = options.currentVersion ?? MODEL_VERSIONS[MODEL_VERSIONS.length - 1];
		if (!parseVersion(currentVersion) || compareVersions(currentVersion, MODEL_VERSIONS[0]) < 0) {
			throw new Error(`currentVersion must be YYYY.N and at least ${MODEL_VERSIONS[0]}, got '${currentVersion}'`);
		}
		this.versions = {
			supported: MODEL_VERSIONS.filter((model) => compareVersions(model, currentVersion) <= 0),
			current: currentVersion,
		};
		this.latencyMs = options.latencyMs ?? 0;
		this.rateLimitPerSecond = options.rateLimitPerSecond ?? 0;
		this.recordResponses = options.recordResponses ?? true;
		this.clock = options.clock ?? REAL_CLOCK;
		if (options.clock) setSandboxClock(() => this.clock.now());
		this.db = createSeed();
		this.dispatcher = new CallbackDispatcher(options.callbackTimeoutMs ?? 5000);
		this.api = new SandboxApi(this.db, this.dispatcher, {
			origin: () => this.url,
			companyId: SANDBOX_CREDENTIALS.companyId,
			currentVersion,
		});
		// Literal segments win over parameters (/service/boards/{parentId}/statuses before anything looser).
		this.routes = this.api.routes.map((route) => ({ ...route, ...compileTemplate(route.template) }));
		this.server = createServer((request, response) => {
			this.handle(request, response).catch((error: unknown) => {
				if (!response.headersSent) this.send(response, 500, { code: 'InternalError', message: String(error), errors: null });
			});
		});
		this.server.keepAliveTimeout = 5000;
	}

	async listen(port: number): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(port, '127.0.0.1', () => {
				this.server.off('error', reject);
				resolve();
			});
		});
		this.port = (this.server.address() as AddressInfo).port;
	}

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	get site(): string {
		return this.url;
	}

	get apiBaseUrl(): string {
		return `${this.url}${API_PREFIX}`;
	}

	get credentials(): SandboxCredentials {
		return { site: this.site, ...SANDBOX_CREDENTIALS };
	}

	get restrictedCredentials(): SandboxCredentials {
		return { site: this.site, ...RESTRICTED_CREDENTIALS };
	}

	get deliveries(): Delivery[] {
		return this.dispatcher.deliveries;
	}

	/** Callback deliveries dispatched but not finished: 0 right after a change means it delivered nothing. */
	get pendingDeliveries(): number {
		return this.dispatcher.inFlight;
	}

	/** The secret callbacks are signed with (what GET key_url returns). */
	get signingKey(): string {
		return this.dispatcher.signingKey;
	}

	/** The Metadata.key_url every callback payload carries. */
	get keyUrl(): string {
		return `${this.url}/callback-keys/${this.dispatcher.keyId}`;
	}

	/** Late commits scheduled and not yet applied. */
	get pendingLateCommits(): number {
		return this.lateCommits;
	}

	/** Every API write request received since the start, answered or not, refused or not. */
	get writesReceived(): number {
		return this.writes.received;
	}

	/** API write requests whose work was done (answered 2xx, or done before a fault hid the answer). */
	get writesCommitted(): number {
		return this.writes.committed;
	}

	/** Forgets every ticket and note (ids keep counting up, so none is reused); reference data stays. */
	clearTickets(): void {
		this.db.tickets.length = 0;
		this.db.notes.length = 0;
		this.db.timeEntries.length = 0;
		this.db.documents.length = 0;
		this.db.statusChanges.length = 0;
		this.db.ticketConfigurations = {};
	}

	async stop(): Promise<void> {
		setSandboxClock(undefined);
		await this.dispatcher.close();
		await new Promise<void>((resolve) => {
			this.server.close(() => resolve());
			this.server.closeAllConnections();
		});
	}

	// ---- faults and policies ----

	addFault(fault: Fault): void {
		validateFault(fault);
		this.faults.push({ fault, remaining: fault.times ?? 1 });
	}

	clearFaults(): void {
		this.faults = [];
		this.rollFault = undefined;
	}

	setLatency(ms: number): void {
		if (!(Number.isFinite(ms) && ms >= 0)) throw new Error('latency must be a number of milliseconds >= 0');
		this.latencyMs = ms;
	}

	setRateLimit(perSecond: number): void {
		if (!(Number.isInteger(perSecond) && perSecond >= 0)) throw new Error('rate limit must be an integer >= 0 (0 = off)');
		this.rateLimitPerSecond = perSecond;
		this.recentRequests = [];
	}

	setVersionPolicy(policy: VersionPolicy): void {
		if (!policy || typeof policy.path !== 'string' || !policy.path.startsWith('/')) throw new Error("version policy needs a path starting with '/'");
		this.versionPolicies.push(policy);
	}

	clearVersionPolicies(): void {
		this.versionPolicies = [];
	}

	// ---- observability ----

	counters(): Record<string, number> {
		return Object.fromEntries(this.counterMap);
	}

	resetLog(): void {
		this.requests.length = 0;
		this.counterMap = new Map();
	}

	waitForDeliveries(count: number, timeoutMs: number): Promise<Delivery[]> {
		return this.dispatcher.waitFor(count, timeoutMs);
	}

	clearDeliveries(): void {
		this.dispatcher.clear();
	}

	// ---- data helpers ----

	/** A change "in the PSA UI" by a member (default 'jsmith'): fires callbacks like any change. */
	changeTicket(id: number, patch: { statusId?: number; summary?: string; priorityId?: number; boardId?: number }, options: { byMember?: string } = {}): CwTicket {
		return this.api.changeTicket(id, patch, options.byMember ?? 'jsmith');
	}

	/** Merges one ticket into another as a technician would in the PSA UI (default member 'jsmith'): fires callbacks. */
	mergeTicket(childId: number, parentId: number, options: { byMember?: string } = {}): CwTicket {
		return this.api.mergeTicket(childId, parentId, options.byMember ?? 'jsmith');
	}

	/** Creates a ticket directly (seeding for tests and benchmarks); no callbacks. Same validation as POST. */
	addTicket(ticket: Record<string, unknown>): CwTicket {
		const actor = this.api.memberByIdentifier('api') as CwMember;
		try {
			return this.api.createTicket(ticket, { actor, skipCallback: true });
		} catch (error) {
			if (error instanceof ApiError) throw new Error(`addTicket: ${error.body.message}: ${JSON.stringify(error.body.errors)}`);
			throw error;
		}
	}

	// ---- request handling ----

	/** A status fault's answer: ConnectWise's own error body for 429 and 500, a gateway's HTML page for 502-504. */
	private replyStatusFault(fault: Extract<Fault, { kind: 'status' }>, reply: (status: number, body: unknown, headers?: Record<string, string>) => void): void {
		const headers: Record<string, string> = {};
		if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
		if (fault.status >= 502) {
			const title = ({ 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' } as Record<number, string>)[fault.status];
			reply(fault.status, `<html><head><title>${fault.status} ${title}</title></head><body><h1>${fault.status} ${title}</h1></body></html>`, {
				...headers,
				'content-type': 'text/html',
			});
			return;
		}
		const message = fault.status === 429 ? 'Too many requests' : 'An error occurred processing the request';
		reply(fault.status, { code: fault.status === 429 ? 'TooManyRequests' : 'ServerError', message, errors: null }, headers);
	}

	private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): string | undefined {
		if (Buffer.isBuffer(body)) {
			// A download: the bytes as they are, with the content type the handler named.
			response.writeHead(status, { 'api-current-version': this.versions.current, 'content-length': String(body.length), ...headers });
			response.end(body);
			return undefined;
		}
		// A string with its own content type is a page sent as is (a gateway's); anything else is JSON.
		const raw = typeof body === 'string' && headers['content-type'] !== undefined;
		const text = body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body);
		const allHeaders: Record<string, string> = { 'api-current-version': this.versions.current, ...headers };
		if (text !== undefined && !raw) allHeaders['content-type'] = 'application/json; charset=utf-8';
		response.writeHead(status, allHeaders);
		response.end(text);
		return text;
	}

	private async readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
		const chunks: Buffer[] = [];
		let size = 0;
		for await (const chunk of request) {
			size += (chunk as Buffer).length;
			if (size > limit) throw new ApiError(413, 'PayloadTooLarge', `Request body over ${limit} bytes`);
			chunks.push(chunk as Buffer);
		}
		return Buffer.concat(chunks);
	}

	private matchRoute(method: string, path: string) {
		let pathMatched = false;
		for (const route of this.routes) {
			const match = route.regex.exec(path);
			if (!match) continue;
			pathMatched = true;
			if (route.method !== method) continue;
			const params = Object.fromEntries(route.names.map((name, index) => [name, decodeURIComponent(match[index + 1])]));
			return { route, params, pathMatched };
		}
		return { route: undefined, params: {}, pathMatched };
	}

	private takeFault(method: string, path: string, template: string | undefined): Fault | undefined {
		for (const active of this.faults) {
			const { fault } = active;
			if (fault.method && fault.method !== method) continue;
			if (fault.path instanceof RegExp && !fault.path.test(path)) continue;
			if (typeof fault.path === 'string' && fault.path !== path && fault.path !== template) continue;
			active.remaining--;
			if (active.remaining <= 0) this.faults = this.faults.filter((candidate) => candidate !== active);
			return fault;
		}
		return this.rollFault?.(method, path, template);
	}

	private overRateLimit(): boolean {
		if (!this.rateLimitPerSecond) return false;
		const now = Date.now();
		this.recentRequests = this.recentRequests.filter((time) => now - time < 1000);
		if (this.recentRequests.length >= this.rateLimitPerSecond) return true;
		this.recentRequests.push(now);
		return false;
	}

	private redactedHeaders(request: IncomingMessage): Record<string, string> {
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(request.headers)) {
			if (value === undefined) continue;
			headers[name] = name === 'authorization' ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
		}
		return headers;
	}

	private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', this.url);
		const method = (request.method ?? 'GET').toUpperCase();
		// A multipart upload (documents) is kept as bytes and parsed as a form; every other body is text.
		const boundary = multipartBoundary(request.headers['content-type']);
		const bytes = await this.readBody(request, boundary ? MAX_UPLOAD_BYTES : MAX_BODY_BYTES);
		const rawBody = boundary ? '' : bytes.toString('utf8');

		if (url.pathname.startsWith('/__sandbox/')) {
			this.handleControl(method, url.pathname, rawBody, response);
			return;
		}

		const isApi = url.pathname.toLowerCase().startsWith(API_PREFIX.toLowerCase());
		const path = isApi ? url.pathname.slice(API_PREFIX.length) || '/' : url.pathname;
		const query = Object.fromEntries(url.searchParams);
		let body: unknown;
		if (boundary) {
			try {
				body = parseMultipart(bytes, boundary);
			} catch (error) {
				body = `malformed multipart body: ${error instanceof Error ? error.message : String(error)}`;
			}
		} else if (rawBody) {
			try {
				body = JSON.parse(rawBody);
			} catch {
				body = rawBody;
			}
		}

		let template: string | undefined;
		let matched: ReturnType<Sandbox['matchRoute']> | undefined;
		if (isApi) {
			matched = this.matchRoute(method, path);
			template = matched.route?.template;
		} else if (/^\/login\/companyinfo\/[^/]+\/?$/i.test(path)) {
			template = '/login/companyinfo/{companyId}';
		} else if (/^\/callback-keys\/[^/]+$/.test(path)) {
			template = '/callback-keys/{keyId}';
		}

		const entry: RequestLogEntry = { at: cwTimestamp(), method, path, template, query, status: 0, headers: this.redactedHeaders(request) };
		if (rawBody) entry.body = body;
		const requestedVersion = versionFromAccept(request.headers.accept);
		if (requestedVersion) entry.version = requestedVersion;
		this.requests.push(entry);
		const isWrite = isApi && method !== 'GET';
		if (isWrite) this.writes.received++;
		const counterKey = `${method} ${template ?? path}`;
		this.counterMap.set(counterKey, (this.counterMap.get(counterKey) ?? 0) + 1);
		this.counterMap.set('total', (this.counterMap.get('total') ?? 0) + 1);

		const reply = (status: number, replyBody: unknown, headers: Record<string, string> = {}) => {
			entry.status = status;
			const text = this.send(response, status, replyBody, headers);
			if (this.recordResponses) {
				entry.response = text === undefined ? undefined : typeof replyBody === 'string' && headers['content-type'] !== undefined ? replyBody : JSON.parse(text);
				entry.responseHeaders = { 'api-current-version': this.versions.current, ...headers };
			}
		};

		const fault = this.takeFault(method, path, template);
		const delay = this.latencyMs + (fault?.kind === 'latency' ? fault.ms : 0);
		if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
		if (fault) entry.fault = fault.kind;

		if (this.overRateLimit()) {
			entry.fault = 'rate-limit';
			reply(429, { code: 'TooManyRequests', message: `Rate limit of ${this.rateLimitPerSecond} requests per second exceeded`, errors: null }, { 'retry-after': '1' });
			return;
		}
		if (fault?.kind === 'drop') {
			request.socket.destroy();
			return;
		}
		if (fault?.kind === 'status' && !fault.afterCommit) {
			this.replyStatusFault(fault, reply);
			return;
		}

		const perform = (): { status: number; body?: unknown; headers?: Record<string, string> } => {
			try {
				const done = this.dispatch(method, path, query, body, rawBody, request, matched, entry);
				if (isWrite && done.status < 300) this.writes.committed++;
				return done;
			} catch (error) {
				if (!(error instanceof ApiError)) throw error;
				return { status: error.status, body: error.body, headers: error.headers };
			}
		};
		if (fault?.kind === 'late-commit') {
			// The work happens later than the client waits; the client learns nothing now.
			this.lateCommits++;
			if (fault.respond === 'drop') request.socket.destroy();
			this.clock.setTimeout(() => {
				this.lateCommits--;
				const late = perform();
				if (fault.respond !== 'drop' && !request.socket.destroyed) reply(late.status, late.body, late.headers);
			}, fault.ms);
			return;
		}
		const result = perform();
		if (fault?.kind === 'status') {
			// afterCommit: the work above is done; the client is told it failed.
			entry.afterCommit = true;
			this.replyStatusFault(fault, reply);
			return;
		}
		if (fault?.kind === 'drop-after-commit') {
			// The work is done; the client never learns it.
			entry.status = 0;
			request.socket.destroy();
			return;
		}
		if (fault?.kind === 'garbled' && result.status < 300) {
			reply(result.status, { message: 'Request accepted', trace: entry.at }, result.headers);
			return;
		}
		reply(result.status, result.body, result.headers);
	}

	private dispatch(
		method: string,
		path: string,
		query: Record<string, string>,
		body: unknown,
		rawBody: string,
		request: IncomingMessage,
		matched: ReturnType<Sandbox['matchRoute']> | undefined,
		entry: RequestLogEntry,
	): { status: number; body?: unknown; headers?: Record<string, string> } {
		const companyInfo = /^\/login\/companyinfo\/([^/]+)\/?$/i.exec(path);
		if (!matched) {
			if (companyInfo && method === 'GET') return this.companyInfo(decodeURIComponent(companyInfo[1]));
			const key = /^\/callback-keys\/([^/]+)$/.exec(path);
			if (key && method === 'GET') {
				if (key[1] !== this.dispatcher.keyId) throw new ApiError(404, 'NotFound', 'Unknown signing key');
				return { status: 200, body: { signing_key: this.dispatcher.signingKey } };
			}
			throw new ApiError(404, 'NotFound', `No resource at ${path}`);
		}

		const member = this.authenticate(request.headers.authorization);
		const clientId = request.headers.clientid;
		if (typeof clientId !== 'string' || !clientId.trim()) {
			throw new ApiError(400, 'ClientIdRequired', 'A clientId header is required. Register an integration at developer.connectwise.com to obtain one.');
		}

		const requested = entry.version;
		let model: ModelVersion;
		if (requested !== undefined) {
			const resolved = resolveModel(requested, this.versions.current);
			if (!resolved) {
				throw new ApiError(
					400,
					'ConnectWiseApi',
					`This endpoint does not support the API version '${requested}'. Supported versions are ${MODEL_VERSIONS[0]} through ${this.versions.current}.`,
				);
			}
			model = resolved;
		} else {
			model = currentModel(this.versions.current);
		}
		entry.modelVersion = model;

		const headers: Record<string, string> = {};
		const policy = this.versionPolicies.find(
			(candidate) =>
				(candidate.path === path || candidate.path === matched.route?.template) &&
				(candidate.version === undefined || candidate.version === requested || candidate.version === model),
		);
		if (policy) {
			if (policy.deprecation) headers.deprecation = policy.deprecation;
			if (policy.sunset) headers.sunset = policy.sunset;
			if (policy.link) headers.link = policy.link.includes('<') ? policy.link : `<${policy.link}>; rel="deprecation"; type="text/html"`;
			if (policy.gone) {
				throw new ApiError(
					410,
					'Gone',
					`Version ${requested ?? model} of ${matched.route?.template ?? path} has been removed. Request a newer version in the Accept header.`,
					null,
					headers,
				);
			}
		}

		if (!matched.route) {
			if (matched.pathMatched) throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on ${path}`);
			throw new ApiError(404, 'NotFound', `No resource at ${path}`);
		}
		if (member.identifier === 'readonly' && (matched.route.writes || matched.route.adminOnly)) {
			throw new ApiError(403, 'Forbidden', `You do not have permission to ${method === 'GET' ? 'view' : 'change'} ${matched.route.template}.`);
		}
		if (rawBody && typeof body === 'string') throw new ApiError(400, 'InvalidObject', 'The request body is not valid JSON');

		let result;
		try {
			result = matched.route.handle({
				params: matched.params,
				query,
				body,
				model,
				forwardOnly: String(request.headers['pagination-type'] ?? '').toLowerCase() === 'forward-only',
				selfUrl: `${this.apiBaseUrl}${path}`,
				actor: member,
			});
		} catch (error) {
			if (!(error instanceof QueryError)) throw error;
			throw new ApiError(400, 'InvalidObject', error.message, [{ code: 'InvalidObject', message: error.message, resource: 'query', field: error.field }]);
		}
		const combined = { ...headers, ...result.headers };
		if (headers.link && result.headers?.link) combined.link = `${result.headers.link}, ${headers.link}`;
		return { ...result, headers: combined };
	}

	private companyInfo(companyId: string) {
		if (companyId.toLowerCase() !== SANDBOX_CREDENTIALS.companyId.toLowerCase()) {
			throw new ApiError(404, 'NotFound', `Company '${companyId}' was not found`);
		}
		return {
			status: 200,
			body: {
				CompanyName: 'PSA Bridge Sandbox',
				Codebase: SANDBOX_CODEBASE,
				VersionCode: `v${this.versions.current}`,
				VersionNumber: `v${this.versions.current}.10`,
				CompanyID: SANDBOX_CREDENTIALS.companyId,
				IsCloud: false,
				SiteUrl: `127.0.0.1:${this.port}`,
			},
		};
	}

	private authenticate(header: string | undefined): CwMember {
		const unauthorized = (why: string) =>
			new ApiError(401, 'Unauthorized', `Authentication failed: ${why}`, null, { 'www-authenticate': 'Basic realm="ConnectWise"' });
		const match = /^Basic\s+(.+)$/i.exec(header ?? '');
		if (!match) throw unauthorized('Basic authorization is required');
		const decoded = Buffer.from(match[1], 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		const plus = decoded.indexOf('+');
		if (colon < 0 || plus < 0 || plus > colon) throw unauthorized('expected {companyId}+{publicKey}:{privateKey}');
		const companyId = decoded.slice(0, plus);
		const publicKey = decoded.slice(plus + 1, colon);
		const privateKey = decoded.slice(colon + 1);
		const pair = [SANDBOX_CREDENTIALS, RESTRICTED_CREDENTIALS].find(
			(candidate) =>
				candidate.companyId.toLowerCase() === companyId.toLowerCase() && candidate.publicKey === publicKey && candidate.privateKey === privateKey,
		);
		if (!pair) throw unauthorized('the company id, public key or private key is wrong');
		return this.api.memberByIdentifier(pair === SANDBOX_CREDENTIALS ? 'api' : 'readonly') as CwMember;
	}

	// ---- control endpoint (/__sandbox/...), for the standalone server ----

	private handleControl(method: string, path: string, rawBody: string, response: ServerResponse): void {
		let input: Record<string, unknown> = {};
		try {
			input = rawBody ? JSON.parse(rawBody) : {};
		} catch {
			this.send(response, 400, { error: 'body is not JSON' });
			return;
		}
		const ok = (body: unknown = { ok: true }) => this.send(response, 200, body);
		try {
			const change = /^\/__sandbox\/tickets\/(\d+)\/(change|merge)$/.exec(path);
			const route = `${method} ${change ? `/__sandbox/tickets/{id}/${change[2]}` : path}`;
			switch (route) {
				case 'POST /__sandbox/faults': {
					const list = (Array.isArray(input) ? input : [input]) as Array<Record<string, unknown>>;
					for (const item of list) {
						const fault = { ...item } as Record<string, unknown>;
						if (typeof fault.pathPattern === 'string') {
							fault.path = new RegExp(fault.pathPattern);
							delete fault.pathPattern;
						}
						this.addFault(fault as unknown as Fault);
					}
					return void ok();
				}
				case 'DELETE /__sandbox/faults':
					this.clearFaults();
					return void ok();
				case 'POST /__sandbox/latency':
					this.setLatency(Number(input.ms));
					return void ok();
				case 'POST /__sandbox/rate-limit':
					this.setRateLimit(Number(input.perSecond));
					return void ok();
				case 'POST /__sandbox/version-policies':
					this.setVersionPolicy(input as unknown as VersionPolicy);
					return void ok();
				case 'DELETE /__sandbox/version-policies':
					this.clearVersionPolicies();
					return void ok();
				case 'GET /__sandbox/requests':
					return void ok(this.requests);
				case 'DELETE /__sandbox/requests':
					this.resetLog();
					return void ok();
				case 'GET /__sandbox/counters':
					return void ok(this.counters());
				case 'GET /__sandbox/writes':
					return void ok({ received: this.writesReceived, committed: this.writesCommitted });
				case 'GET /__sandbox/deliveries':
					return void ok(this.deliveries);
				case 'DELETE /__sandbox/deliveries':
					this.clearDeliveries();
					return void ok();
				case 'GET /__sandbox/db':
					return void ok(this.db);
				case 'POST /__sandbox/tickets/{id}/change': {
					const options = typeof input.byMember === 'string' ? { byMember: input.byMember } : {};
					return void ok(this.changeTicket(Number(change?.[1]), input as { statusId?: number; summary?: string }, options));
				}
				case 'POST /__sandbox/tickets/{id}/merge': {
					const options = typeof input.byMember === 'string' ? { byMember: input.byMember } : {};
					return void ok(this.mergeTicket(Number(change?.[1]), Number(input.parentId), options));
				}
				default:
					this.send(response, 404, { error: `no control endpoint ${method} ${path}` });
			}
		} catch (error) {
			this.send(response, 400, { error: error instanceof Error ? error.message : String(error) });
		}
	}
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const sandbox = new Sandbox(options);
	await sandbox.listen(options.port ?? 0);
	return sandbox;
}
