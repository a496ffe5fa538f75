// The HaloPSA sandbox HTTP server: the OAuth token endpoint, Bearer tokens with scopes, the request budget (429 with Retry-After), the shared fault classes, routing, the request log and the control endpoints.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Fault, FaultList } from '../autotask/limits';
import { API_APPLICATION, APPLICATIONS, READONLY_APPLICATION, createSeed, type HaloApplication, type HaloDb, type HaloTicket, type Row } from './data';
import { HaloFile, MAX_REQUEST_BYTES } from './attachments';
import { buildRoutes, compileRoute, type Method, type Route } from './routes';
import { HaloError, TicketStore } from './tickets';
import { type HaloDelivery, WebhookDispatcher } from './webhooks';

/** The sandbox's time: the fault suite's virtual clock, or real time. */
export interface HaloClock {
	now(): number;
	setTimeout(run: () => void, ms: number): void;
}

const REAL_CLOCK: HaloClock = { now: Date.now, setTimeout: (run, ms) => void setTimeout(run, ms) };

export interface HaloSandboxOptions {
	port?: number;
	clock?: HaloClock;
	/** Keep each answer in the request log (default true); the fault suite turns it off. */
	recordResponses?: boolean;
	latencyMs?: number;
	/** Requests per `budgetWindowMs` before 429 (0: none); Halo's is not published, third parties say 500 per 3 minutes. */
	requestBudget?: number;
	budgetWindowMs?: number;
	/** Seconds a token lives (Halo: 3600). */
	tokenLifetimeSeconds?: number;
	/** What /InstanceInfo reports. */
	version?: string;
}

export interface HaloRequestLogEntry {
	at: string;
	method: string;
	path: string;
	template?: string;
	query: Record<string, string>;
	status: number;
	fault?: string;
	afterCommit?: boolean;
	body?: unknown;
	response?: unknown;
	headers: Record<string, string>;
}

export interface HaloCredentials extends Record<string, string> {
	resourceUrl: string;
	authUrl: string;
	clientId: string;
	clientSecret: string;
	scope: string;
}

const API_PREFIX = '/api';
const TOKEN_PATH = '/auth/token';

export class HaloSandbox {
	readonly db: HaloDb = createSeed();
	readonly requests: HaloRequestLogEntry[] = [];
	readonly faults = new FaultList();
	private readonly server: Server;
	private readonly store: TicketStore;
	private readonly dispatcher: WebhookDispatcher;
	private readonly routes: Array<Route & { regex: RegExp; names: string[] }>;
	private readonly tokens = new Map<string, { application: HaloApplication; scopes: string[]; expiresAt: number }>();
	private readonly sent: number[] = [];
	private counterMap = new Map<string, number>();
	private issued = 0;
	private lateCommits = 0;
	readonly clock: HaloClock;
	private readonly recordResponses: boolean;
	private port = 0;
	latencyMs: number;
	requestBudget: number;
	budgetWindowMs: number;
	tokenLifetimeSeconds: number;
	version: string;

	constructor(options: HaloSandboxOptions = {}) {
		this.latencyMs = options.latencyMs ?? 0;
		this.requestBudget = options.requestBudget ?? 0;
		this.budgetWindowMs = options.budgetWindowMs ?? 180_000;
		this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
		this.version = options.version ?? '2.196.7';
		this.clock = options.clock ?? REAL_CLOCK;
		this.recordResponses = options.recordResponses ?? true;
		this.dispatcher = new WebhookDispatcher(this.db, () => this.clock.now());
		this.store = new TicketStore(this.db, () => this.clock.now(), (event) => this.dispatcher.dispatch(event));
		this.routes = buildRoutes(this.db, this.store, () => ({ version: this.version, name: 'Halo Sandbox', is_hosted: false, licence: 'HaloPSA' }), () => this.clock.now()).map(compileRoute);
		this.server = createServer((request, response) => {
			this.handle(request, response).catch((error: unknown) => {
				if (!response.headersSent) this.write(response, 500, { ClassName: 'System.Exception', Message: String(error) });
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
	get resourceUrl(): string {
		return `${this.url}${API_PREFIX}`;
	}
	get authUrl(): string {
		return `${this.url}/auth`;
	}
	/** The credential as the HaloPSA credential stores it (the authorisation URL left to be derived). */
	get credentials(): HaloCredentials {
		return { resourceUrl: this.resourceUrl, authUrl: '', clientId: API_APPLICATION.clientId, clientSecret: API_APPLICATION.clientSecret, scope: 'all' };
	}
	get restrictedCredentials(): HaloCredentials {
		return { ...this.credentials, clientId: READONLY_APPLICATION.clientId, clientSecret: READONLY_APPLICATION.clientSecret };
	}
	get deliveries(): HaloDelivery[] {
		return this.dispatcher.deliveries;
	}
	/** Late commits not yet applied. */
	get pendingLateCommits(): number {
		return this.lateCommits;
	}
	get pendingDeliveries(): number {
		return this.dispatcher.inFlight;
	}
	/** Forgets every ticket, action, external link and status change (ids keep counting up); reference data and webhooks stay. */
	clearTickets(): void {
		this.db.tickets.length = 0;
		this.db.actions.length = 0;
		this.db.attachments.length = 0;
		this.db.externalLinks.length = 0;
		this.db.statusChanges.length = 0;
	}
	/** Token requests answered with a token since the log was reset. */
	get tokensIssued(): number {
		return this.issued;
	}

	counters(): Record<string, number> {
		return Object.fromEntries(this.counterMap);
	}
	resetLog(): void {
		this.requests.length = 0;
		this.counterMap = new Map();
		this.issued = 0;
	}
	addFault(fault: Fault): void {
		this.faults.add(fault);
	}
	clearFaults(): void {
		this.faults.clear();
	}
	/** Forgets every token: the next request with one is answered 401, as after Halo revoked it. */
	revokeTokens(): void {
		this.tokens.clear();
	}
	waitForDeliveries(count: number, timeoutMs: number): Promise<HaloDelivery[]> {
		return this.dispatcher.waitFor(count, timeoutMs);
	}
	clearDeliveries(): void {
		this.dispatcher.clear();
	}
	/** A technician's change in Halo's web app (default: the active agent); fires webhooks like an API change. */
	changeTicket(id: number, fields: Row, agentId?: number): HaloTicket {
		return this.store.changeAsAgent(id, fields, agentId);
	}
	/** Seeds a ticket as the API agent, with Halo's validation and without webhooks. */
	addTicket(fields: Row): HaloTicket {
		return this.store.seed(() => this.store.upsert(fields, API_APPLICATION.agentId));
	}

	async stop(): Promise<void> {
		await this.dispatcher.close();
		await new Promise<void>((resolve) => {
			this.server.close(() => resolve());
			this.server.closeAllConnections();
		});
	}

	private write(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
		if (body instanceof HaloFile) {
			response.writeHead(status, { 'content-type': body.contentType, 'content-length': String(body.data.length), 'content-disposition': `attachment; filename="${body.fileName.replace(/["\\\r\n]/g, '_')}"`, ...headers });
			response.end(body.data);
			return;
		}
		const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
		const type = typeof body === 'string' && !/^\s*[[{]/.test(body) ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
		response.writeHead(status, { 'content-type': type, ...headers });
		response.end(text);
	}

	private count(key: string): void {
		this.counterMap.set(key, (this.counterMap.get(key) ?? 0) + 1);
	}

	private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', this.url);
		const method = (request.method ?? 'GET').toUpperCase();
		const chunks: Buffer[] = [];
		for await (const chunk of request) chunks.push(chunk as Buffer);
		const bodyBytes = chunks.reduce((total, chunk) => total + chunk.length, 0);
		const rawBody = Buffer.concat(chunks).toString('utf8');
		if (url.pathname.startsWith('/__sandbox/')) return this.control(method, url.pathname, rawBody, (status, body) => this.write(response, status, body));

		const isApi = url.pathname.toLowerCase().startsWith(`${API_PREFIX}/`);
		const path = isApi ? url.pathname.slice(API_PREFIX.length).replace(/\/$/, '') : url.pathname;
		const matched = isApi ? this.match(method, path) : undefined;
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = name === 'authorization' ? '[REDACTED]' : Array.isArray(value) ? value.join(', ') : value;
		const entry: HaloRequestLogEntry = { at: new Date(this.clock.now()).toISOString(), method, path, query: Object.fromEntries(url.searchParams), status: 0, headers, ...(matched?.route ? { template: matched.route.template } : {}) };
		this.requests.push(entry);
		this.count(`${method} ${matched?.route?.template ?? path}`);
		this.count('total');
		const reply = (status: number, body: unknown, replyHeaders: Record<string, string> = {}) => {
			entry.status = status;
			if (this.recordResponses) entry.response = body;
			this.write(response, status, body, replyHeaders);
		};

		const fault = this.faults.take(method, path, matched?.route?.template);
		const delay = this.latencyMs + (fault?.kind === 'latency' ? fault.ms : 0);
		if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
		if (fault) entry.fault = fault.kind;
		if (response.destroyed) return;
		const budget = this.admit();
		if (budget) return reply(429, 'API rate limit exceeded', { 'retry-after': String(budget) });
		if (fault?.kind === 'drop') return void request.socket.destroy();
		if (fault?.kind === 'thread-limit' || (fault?.kind === 'status' && !fault.afterCommit)) return statusFault(fault, reply);

		const perform = (): { status: number; body: unknown } => {
			try {
				if (method === 'POST' && path.toLowerCase() === TOKEN_PATH) return this.token(rawBody, entry);
				if (!isApi) return { status: 404, body: 'Not Found' };
				const agentId = this.authenticate(request.headers.authorization, matched?.route);
				if (!matched?.route) return { status: matched?.pathMatched ? 405 : 404, body: { ClassName: 'Halo.Exceptions.NotFound', Message: `No resource ${method} ${path}` } };
				if (bodyBytes > MAX_REQUEST_BYTES) return { status: 413, body: '<html><body><h1>413 Request Entity Too Large</h1></body></html>' };
				let body: unknown;
				if (rawBody) {
					try {
						body = JSON.parse(rawBody);
					} catch {
						return { status: 400, body: 'The request body is not valid JSON' };
					}
					entry.body = body;
				}
				const result = matched.route.handle({ params: matched.params, query: Object.fromEntries(url.searchParams), body, agentId });
				return { status: 200, body: result === undefined ? '' : result };
			} catch (error) {
				if (error instanceof HaloError) return { status: error.status, body: error.body };
				throw error;
			}
		};
		if (fault?.kind === 'late-commit') {
			this.lateCommits++;
			if (fault.respond === 'drop') request.socket.destroy();
			await new Promise<void>((resolve) =>
				this.clock.setTimeout(() => {
					this.lateCommits--;
					const late = perform();
					if (fault.respond !== 'drop' && !request.socket.destroyed) reply(late.status, late.body);
					resolve();
				}, fault.ms),
			);
			return;
		}
		const result = perform();
		if (fault?.kind === 'status') {
			entry.afterCommit = true;
			return statusFault(fault, reply);
		}
		if (fault?.kind === 'drop-after-commit') return void request.socket.destroy();
		if (fault?.kind === 'garbled' && result.status < 300) return reply(result.status, '<!DOCTYPE html><html><body><h1>Request accepted</h1></body></html>', { 'content-type': 'text/html; charset=utf-8' });
		reply(result.status, result.body);
	}

	/** Seconds until the request budget has room again, or 0 when the request may go. */
	private admit(): number {
		if (this.requestBudget <= 0) return 0;
		const now = this.clock.now();
		while (this.sent.length > 0 && this.sent[0] <= now - this.budgetWindowMs) this.sent.shift();
		if (this.sent.length >= this.requestBudget) return Math.max(1, Math.ceil((this.sent[0] + this.budgetWindowMs - now) / 1000));
		this.sent.push(now);
		return 0;
	}

	/** POST /auth/token: client credentials, form-encoded; the scopes granted are those asked for that the application has. */
	private token(rawBody: string, entry: HaloRequestLogEntry): { status: number; body: unknown } {
		const form = new URLSearchParams(rawBody);
		entry.body = Object.fromEntries([...form].map(([name, value]) => [name, name === 'client_secret' ? '[REDACTED]' : value]));
		if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
		const application = APPLICATIONS.find((candidate) => candidate.clientId === form.get('client_id'));
		if (!application || application.clientSecret !== form.get('client_secret')) return { status: 401, body: { error: 'invalid_client', error_description: 'The client credentials are not valid' } };
		const asked = (form.get('scope') ?? 'all').split(/\s+/).filter(Boolean);
		const scopes = application.scopes.includes('all') ? asked : asked.includes('all') ? application.scopes : asked.filter((scope) => application.scopes.includes(scope));
		if (scopes.length === 0) return { status: 400, body: { error: 'invalid_scope' } };
		const token = randomBytes(32).toString('base64url');
		this.tokens.set(token, { application, scopes, expiresAt: this.clock.now() + this.tokenLifetimeSeconds * 1000 });
		this.issued++;
		return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, scope: scopes.join(' ') } };
	}

	/** Bearer token, not expired, with the route's scope ('all', or the scope itself; edit implies read). Returns the acting agent. */
	private authenticate(header: string | undefined, route: Route | undefined): number {
		const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
		const grant = token ? this.tokens.get(token) : undefined;
		if (!grant || grant.expiresAt <= this.clock.now()) throw new HaloError(401, '');
		if (route && !grant.scopes.includes('all') && !grant.scopes.includes(route.scope) && !grant.scopes.includes(route.scope.replace(/^read:/, 'edit:'))) {
			throw new HaloError(403, { ClassName: 'Halo.Exceptions.Forbidden', Message: `The token's scope does not include ${route.scope}` });
		}
		return grant.application.agentId;
	}

	private match(method: string, path: string): { route?: Route; params: Record<string, string>; pathMatched: boolean } {
		let pathMatched = false;
		for (const route of this.routes) {
			const found = route.regex.exec(path);
			if (!found) continue;
			pathMatched = true;
			if (route.method !== (method as Method)) continue;
			return { route, params: Object.fromEntries(route.names.map((name, index) => [name, found[index + 1]])), pathMatched };
		}
		return { params: {}, pathMatched };
	}

	private control(method: string, path: string, rawBody: string, send: (status: number, body: unknown) => void): void {
		let input: Record<string, unknown> = {};
		try {
			input = rawBody ? JSON.parse(rawBody) : {};
		} catch {
			return send(400, { error: 'body is not JSON' });
		}
		try {
			const change = /^\/__sandbox\/tickets\/(\d+)\/change$/.exec(path);
			switch (`${method} ${change ? '/__sandbox/tickets/{id}/change' : path}`) {
				case 'POST /__sandbox/faults':
					for (const fault of (Array.isArray(input) ? input : [input]) as Fault[]) this.addFault(fault);
					return send(200, { ok: true });
				case 'DELETE /__sandbox/faults':
					this.clearFaults();
					return send(200, { ok: true });
				case 'POST /__sandbox/latency':
					this.latencyMs = Number(input.ms);
					return send(200, { ok: true });
				case 'POST /__sandbox/budget':
					this.requestBudget = Number(input.requests);
					if (input.windowMs !== undefined) this.budgetWindowMs = Number(input.windowMs);
					return send(200, { ok: true });
				case 'POST /__sandbox/version':
					this.version = String(input.version);
					return send(200, { ok: true });
				case 'POST /__sandbox/revoke-tokens':
					this.revokeTokens();
					return send(200, { ok: true });
				case 'GET /__sandbox/requests':
					return send(200, this.requests);
				case 'DELETE /__sandbox/requests':
					this.resetLog();
					return send(200, { ok: true });
				case 'GET /__sandbox/counters':
					return send(200, { ...this.counters(), tokensIssued: this.tokensIssued });
				case 'GET /__sandbox/deliveries':
					return send(200, this.deliveries);
				case 'DELETE /__sandbox/deliveries':
					this.clearDeliveries();
					return send(200, { ok: true });
				case 'GET /__sandbox/db':
					return send(200, this.db);
				case 'POST /__sandbox/tickets/{id}/change': {
					const { agentId, ...fields } = input;
					return send(200, this.changeTicket(Number(change?.[1]), fields, typeof agentId === 'number' ? agentId : undefined));
				}
				default:
					return send(404, { error: `no control endpoint ${method} ${path}` });
			}
		} catch (error) {
			return send(400, { error: error instanceof Error ? error.message : String(error) });
		}
	}
}

/** 429 with Retry-After and 500 from Halo itself (its exception object), 502-504 from a gateway (an HTML page); a thread-limit fault is a 429 here. */
function statusFault(fault: Fault, reply: (status: number, body: unknown, headers?: Record<string, string>) => void): void {
	if (fault.kind === 'thread-limit') return reply(429, 'API rate limit exceeded', { 'retry-after': '1' });
	if (fault.kind !== 'status') return;
	const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
	if (fault.status >= 502) return reply(fault.status, `<html><body><h1>${fault.status}</h1></body></html>`, { ...headers, 'content-type': 'text/html; charset=utf-8' });
	if (fault.status === 429) return reply(429, 'API rate limit exceeded', headers);
	reply(fault.status, { ClassName: 'System.Exception', Message: 'An error has occurred.' }, headers);
}

export async function startHaloSandbox(options: HaloSandboxOptions = {}): Promise<HaloSandbox> {
	const sandbox = new HaloSandbox(options);
	await sandbox.listen(options.port ?? 0);
	return sandbox;
}
