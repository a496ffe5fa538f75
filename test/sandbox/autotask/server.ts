// The Autotask sandbox HTTP server: zone discovery, auth and impersonation, thread and hourly limits, faults, routing and the request log.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControl } from './control';
import type { AutotaskClock, AutotaskRequestLogEntry, AutotaskSandboxOptions } from './options';
import {
	ACTIVE_TECHNICIAN_ID,
	API_USER,
	atTimestamp,
	createSeed,
	RESTRICTED_API_USER,
	type AutotaskCredentials,
	type AutotaskDb,
	type AutotaskResource,
	type AutotaskTicket,
} from './data';
import { type Fault, FaultList, Limits } from './limits';
import { AutotaskError, apiError, getInsensitive } from './query';
import { buildRoutes, compileRoute, methodNotAllowed, type HttpMethod, type Route } from './routes';
import { TicketStore } from './tickets';
import { type AutotaskDelivery, WebhookDispatcher } from './webhooks';

const REAL_CLOCK: AutotaskClock = { now: Date.now, setTimeout: (run, ms) => void setTimeout(run, ms) };
const API_PREFIX = '/atservicesrest/v1.0';
const notFoundMessage = (url: string) => ({ Message: `No HTTP resource was found that matches the request URI '${url}'.` });

export class AutotaskSandbox {
	readonly db: AutotaskDb;
	readonly requests: AutotaskRequestLogEntry[] = [];
	readonly limits: Limits;
	readonly faults = new FaultList();
	private counterMap = new Map<string, number>();
	private readonly server: Server;
	private readonly dispatcher: WebhookDispatcher;
	private readonly store: TicketStore;
	private readonly routes: Array<Route & { regex: RegExp; names: string[] }>;
	private readonly recordResponses: boolean;
	readonly clock: AutotaskClock;
	private versionList: string[];
	private lateCommits = 0;
	private writes = 0;
	private port = 0;

	constructor(options: AutotaskSandboxOptions = {}) {
		this.clock = options.clock ?? REAL_CLOCK;
		this.recordResponses = options.recordResponses ?? true;
		this.versionList = options.versions ?? ['V1.0'];
		this.limits = new Limits(this.clock, {
			latencyMs: options.latencyMs ?? 0,
			rateLimitPerSecond: options.rateLimitPerSecond ?? 0,
			threadLimit: options.threadLimit ?? 3,
			threadLimitStatus: options.threadLimitStatus ?? 429,
			hourlyThreshold: options.hourlyThreshold ?? 10000,
		});
		this.db = createSeed();
		this.dispatcher = new WebhookDispatcher(options.webhookTimeoutMs ?? 5000, options.webhookRetryDelaysMs ?? [], () => this.clock.now());
		this.store = new TicketStore(this.db, () => this.clock.now(), { rejectInactivePicklistValues: options.rejectInactivePicklistValues ?? false }, (target, payload) =>
			this.dispatcher.dispatch(target, payload),
		);
		this.routes = buildRoutes(this.db, this.store, {
			apiBaseUrl: () => this.apiBaseUrl,
			missingItemAnswer: options.missingTicketAnswer ?? '404',
			caseInsensitiveStrings: options.caseInsensitiveStrings ?? true,
			unknownOperator: options.unknownOperator ?? 'error',
		}).map(compileRoute);
		this.server = createServer((request, response) => {
			this.handle(request, response).catch((error: unknown) => {
				if (!response.headersSent) this.send(response, 500, { errors: [String(error)] });
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
	get zoneUrl(): string {
		return `${this.url}/ATServicesRest/`;
	}
	get apiBaseUrl(): string {
		return `${this.url}/ATServicesRest/V1.0`;
	}
	get credentials(): AutotaskCredentials {
		return { ...API_USER, zoneUrl: this.zoneUrl };
	}
	get restrictedCredentials(): AutotaskCredentials {
		return { ...RESTRICTED_API_USER, zoneUrl: this.zoneUrl };
	}
	get versions(): string[] {
		return [...this.versionList];
	}
	get deliveries(): AutotaskDelivery[] {
		return this.dispatcher.deliveries;
	}
	get pendingDeliveries(): number {
		return this.dispatcher.inFlight;
	}
	get pendingLateCommits(): number {
		return this.lateCommits;
	}
	get threadLimitRefusals(): number {
		return this.limits.threadLimitRefusals;
	}
	/** Write requests (create, update, delete; not queries) received since the start, refused ones included; never reset. */
	get writeRequests(): number {
		return this.writes;
	}

	maxConcurrentSeen(entity?: string): number {
		return this.limits.maxConcurrentSeen(entity);
	}
	counters(): Record<string, number> {
		return Object.fromEntries(this.counterMap);
	}
	resetLog(): void {
		this.requests.length = 0;
		this.counterMap = new Map();
		this.limits.resetObservations();
	}
	addFault(fault: Fault): void {
		this.faults.add(fault);
	}
	clearFaults(): void {
		this.faults.clear();
	}
	setLatency(ms: number): void {
		this.limits.set('latencyMs', ms);
	}
	setRateLimit(perSecond: number): void {
		this.limits.set('rateLimitPerSecond', perSecond);
	}
	setThreadLimit(limit: number): void {
		this.limits.set('threadLimit', limit);
	}
	setHourlyThreshold(limit: number): void {
		this.limits.set('hourlyThreshold', limit);
	}
	setVersions(list: string[]): void {
		if (!Array.isArray(list) || list.length === 0 || list.some((entry) => !/^V\d+\.\d+$/.test(entry))) throw new Error("versions must be a non-empty list like ['V1.0','V2.0']");
		this.versionList = [...list];
	}
	waitForDeliveries(count: number, timeoutMs: number): Promise<AutotaskDelivery[]> {
		return this.dispatcher.waitFor(count, timeoutMs);
	}
	clearDeliveries(): void {
		this.dispatcher.clear();
	}
	/** Forgets every ticket, note, status change and attached configuration item (ids keep counting up); reference data and webhooks stay. */
	clearTickets(): void {
		this.db.tickets.length = 0;
		this.db.notes.length = 0;
		this.db.statusChanges.length = 0;
		this.db.ticketAdditionalConfigurationItems.length = 0;
		this.db.timeEntries.length = 0;
		this.db.attachments.length = 0;
	}

	/** A technician's change in the Autotask UI (default: the active technician): fires webhooks like an API update. */
	changeTicket(id: number, patch: { status?: number; title?: string; priority?: number; queueID?: number }, options: { byResourceId?: number } = {}): AutotaskTicket {
		const resource = this.store.resource(options.byResourceId ?? ACTIVE_TECHNICIAN_ID);
		if (!resource) throw new Error(`changeTicket: no resource ${options.byResourceId}`);
		return this.unwrap('changeTicket', () => this.store.updateTicket({ ...patch, id }, { resource }, 'patch'));
	}

	/** The configuration items the ticket holds: its own configurationItemID first, then the additional ones by id. */
	ticketConfigurationItems(ticketId: number): number[] {
		const ticket = this.db.tickets.find((candidate) => candidate.id === ticketId);
		if (!ticket) throw new Error(`ticketConfigurationItems: no ticket ${ticketId}`);
		const own = typeof ticket.configurationItemID === 'number' ? [ticket.configurationItemID] : [];
		const additional = this.db.ticketAdditionalConfigurationItems.filter((row) => row.ticketID === ticketId).sort((a, b) => a.id - b.id);
		return [...own, ...additional.map((row) => row.configurationItemID)];
	}

	/** The ticket's UDF values by name, as stored (text or null). */
	ticketCustomFields(ticketId: number): Record<string, string | null> {
		const ticket = this.db.tickets.find((candidate) => candidate.id === ticketId);
		if (!ticket) throw new Error(`ticketCustomFields: no ticket ${ticketId}`);
		return Object.fromEntries(ticket.userDefinedFields.map((udf) => [udf.name, udf.value]));
	}

	/** Seeds a ticket with POST's validation, as the API user, without webhooks. */
	addTicket(fields: Record<string, unknown>): AutotaskTicket {
		const apiUser = this.store.resource(this.db.resources[0].id) as AutotaskResource;
		return this.unwrap('addTicket', () => this.store.createTicket(fields, { resource: apiUser, apiUser }, false));
	}

	private unwrap<T>(what: string, run: () => T): T {
		try {
			return run();
		} catch (error) {
			if (error instanceof AutotaskError) throw new Error(`${what}: ${error.message}`);
			throw error;
		}
	}

	async stop(): Promise<void> {
		await this.dispatcher.close();
		await new Promise<void>((resolve) => {
			this.server.close(() => resolve());
			this.server.closeAllConnections();
		});
	}

	// ---- request handling ----

	private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): string | undefined {
		const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
		const all: Record<string, string> = { ...headers };
		if (text !== undefined && !all['content-type']) all['content-type'] = 'application/json; charset=utf-8';
		response.writeHead(status, all);
		response.end(text);
		return text;
	}

	private async readBody(request: IncomingMessage): Promise<string> {
		const chunks: Buffer[] = [];
		for await (const chunk of request) chunks.push(chunk as Buffer);
		return Buffer.concat(chunks).toString('utf8');
	}

	private matchRoute(method: string, path: string) {
		let pathMatched = false;
		for (const route of this.routes) {
			const match = route.regex.exec(path);
			if (!match) continue;
			pathMatched = true;
			if (route.method !== method) continue;
			return { route, params: Object.fromEntries(route.names.map((name, index) => [name, match[index + 1]])), pathMatched };
		}
		return { route: undefined, params: {}, pathMatched };
	}

	private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL((request.url ?? '/').replace(/\/{2,}/g, '/'), this.url);
		const method = (request.method ?? 'GET').toUpperCase();
		const rawBody = await this.readBody(request);
		if (url.pathname.startsWith('/__sandbox/')) return handleControl(this, method, url.pathname, rawBody, (status, body) => void this.send(response, status, body));

		const lower = url.pathname.toLowerCase().replace(/\/$/, '');
		const isApi = lower.startsWith(`${API_PREFIX}/`);
		const path = isApi ? url.pathname.slice(API_PREFIX.length).replace(/\/$/, '') : url.pathname;
		const query = Object.fromEntries(url.searchParams);
		let body: unknown;
		if (rawBody) {
			try {
				body = JSON.parse(rawBody);
			} catch {
				body = rawBody;
			}
		}
		const matched = isApi ? this.matchRoute(method, path) : undefined;
		const template = matched?.route?.template;
		const entity = matched?.route?.entity ?? (isApi ? path.split('/')[1] : undefined);
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(request.headers)) {
			if (value !== undefined) headers[name] = name === 'secret' ? '[REDACTED]' : Array.isArray(value) ? value.join(', ') : value;
		}
		const entry: AutotaskRequestLogEntry = { at: atTimestamp(this.clock.now()), method, path, template, entity, query, status: 0, headers };
		if (rawBody) entry.body = body;
		this.requests.push(entry);
		const counterKey = `${method} ${template ?? path}`;
		this.counterMap.set(counterKey, (this.counterMap.get(counterKey) ?? 0) + 1);
		this.counterMap.set('total', (this.counterMap.get('total') ?? 0) + 1);
		if (isApi && method !== 'GET' && !/\/query(\/|$)/i.test(path)) this.writes++;
		const reply = (status: number, replyBody: unknown, replyHeaders: Record<string, string> = {}) => {
			entry.status = status;
			const text = this.send(response, status, replyBody, replyHeaders);
			if (this.recordResponses) {
				entry.response = typeof replyBody === 'string' ? replyBody : text === undefined ? undefined : JSON.parse(text);
				entry.responseHeaders = replyHeaders;
			}
		};

		// Discovery: no credentials, no thread limit, not counted against the threshold.
		if (method === 'GET' && lower === '/atservicesrest/versioninformation') return reply(200, { apiVersions: this.versions });
		const zone = /^\/atservicesrest\/(v[^/]+)\/zoneinformation$/.exec(lower);
		if (zone) {
			if (zone[1] !== 'v1.0') return reply(404, notFoundMessage(url.href));
			if (method !== 'GET') return reply(405, methodNotAllowed(method).body);
			const user = (url.searchParams.get('user') ?? '').trim().toLowerCase();
			const known = [API_USER.username, RESTRICTED_API_USER.username].some((name) => name.toLowerCase() === user);
			if (!known) return reply(500, { errors: ['Zone information could not be determined'] });
			return reply(200, { zoneName: 'Sandbox', url: this.zoneUrl, webUrl: `${this.url}/`, ci: 12345 });
		}
		if (!isApi) return reply(404, notFoundMessage(url.href));

		const integration = String(getInsensitive(request.headers, 'apiintegrationcode') ?? '');
		const slot = this.limits.acquireThread(`${integration.toLowerCase()}|${entity ?? ''}`, entity ?? '');
		const admittedAt = performance.now();
		try {
			if (!slot.ok) {
				entry.fault = 'thread-limit';
				return reply(this.limits.state.threadLimitStatus, this.limits.threadBody());
			}
			await this.respond(request, response, { method, path, query, body, rawBody, matched, entry, reply, integration });
		} finally {
			if (slot.ok) entry.heldMs = performance.now() - admittedAt;
			slot.release();
		}
	}

	private async respond(
		request: IncomingMessage,
		response: ServerResponse,
		input: {
			method: string;
			path: string;
			query: Record<string, string>;
			body: unknown;
			rawBody: string;
			matched: ReturnType<AutotaskSandbox['matchRoute']> | undefined;
			entry: AutotaskRequestLogEntry;
			reply: (status: number, body: unknown, headers?: Record<string, string>) => void;
			integration: string;
		},
	): Promise<void> {
		const { method, path, entry, reply, matched } = input;
		const fault = this.faults.take(method, path, entry.template);
		const delay = this.limits.state.latencyMs + (fault?.kind === 'latency' ? fault.ms : 0);
		if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
		if (fault) entry.fault = fault.kind;
		if (response.destroyed) return;

		let actor;
		try {
			actor = this.authenticate(request, input.integration, matched?.route);
		} catch (error) {
			if (error instanceof AutotaskError) return reply(error.status, error.body);
			throw error;
		}
		const refusal = this.limits.admit();
		if (refusal) {
			entry.fault = refusal.kind;
			return reply(429, { errors: [refusal.message] }, refusal.headers);
		}
		if (fault?.kind === 'drop') return void request.socket.destroy();
		if (fault?.kind === 'thread-limit') {
			this.limits.threadLimitRefusals++;
			return reply(this.limits.state.threadLimitStatus, this.limits.threadBody());
		}
		if (fault?.kind === 'status' && !fault.afterCommit) return replyStatusFault(fault, reply);

		const perform = (): { status: number; body: unknown } => {
			try {
				if (path.toLowerCase() === '/thresholdinformation' && method === 'GET') return { status: 200, body: this.limits.thresholdInformation() };
				if (!matched?.route) {
					if (matched?.pathMatched) throw methodNotAllowed(method);
					throw new AutotaskError(404, notFoundMessage(`${this.apiBaseUrl}${path}`));
				}
				if (input.rawBody && typeof input.body === 'string' && method !== 'GET') throw apiError('The request body is not valid JSON.');
				return matched.route.handle({ params: matched.params, query: input.query, body: input.body, rawBody: input.rawBody, method: method as HttpMethod, actor });
			} catch (error) {
				if (!(error instanceof AutotaskError)) throw error;
				return { status: error.status, body: error.body };
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
		// afterCommit: the work above is done; the client is told it failed.
		if (fault?.kind === 'status') {
			entry.afterCommit = true;
			return replyStatusFault(fault, reply);
		}
		if (fault?.kind === 'drop-after-commit') {
			entry.status = 0;
			return void request.socket.destroy();
		}
		if (fault?.kind === 'garbled' && result.status < 300) {
			return reply(result.status, '<!DOCTYPE html><html><body><h1>Request accepted</h1></body></html>', { 'content-type': 'text/html; charset=utf-8' });
		}
		reply(result.status, result.body);
	}

	/** §1: integration code, user name, secret; then ImpersonationResourceId on writes (refused on queries). */
	private authenticate(request: IncomingMessage, integration: string, route: Route | undefined) {
		const userName = String(getInsensitive(request.headers, 'username') ?? '').toLowerCase();
		const secret = String(getInsensitive(request.headers, 'secret') ?? '');
		const account = [API_USER, RESTRICTED_API_USER].find((candidate) => candidate.username.toLowerCase() === userName);
		if (!account) throw apiError('The user name is not valid or the user is not an API user.');
		if (account.secret !== secret) throw new AutotaskError(401, { Message: 'Authorization has been denied for this request.' });
		if (integration !== account.integrationCode) throw apiError('IntegrationCode is invalid.');
		const apiUser = this.db.resources.find((resource) => resource.userName.toLowerCase() === userName) as AutotaskResource;
		const restricted = account === RESTRICTED_API_USER;
		const action = request.method === 'POST' ? 'create' : request.method === 'DELETE' ? 'delete' : 'update';
		if (restricted && route?.kind === 'write') {
			throw apiError(`The logged in Resource does not have the adequate permissions to ${action} this entity type.`);
		}
		const impersonation = getInsensitive(request.headers, 'impersonationresourceid');
		if (impersonation === undefined || impersonation === '') return { resource: apiUser, apiUser };
		if (route?.kind === 'query') throw apiError('The logged in Resource does not have the adequate permissions to query this entity type.');
		if (route?.kind !== 'write') return { resource: apiUser, apiUser };
		const target = this.store.resource(impersonation);
		if (!target || !target.isActive || target.licenseType === 7) {
			throw apiError(`The logged in Resource does not have the adequate permissions to ${action} this entity type. (Impersonation of resource ${String(impersonation)} is not allowed.)`);
		}
		return { resource: target, apiUser, impersonated: target };
	}
}

export async function startAutotaskSandbox(options: AutotaskSandboxOptions = {}): Promise<AutotaskSandbox> {
	const sandbox = new AutotaskSandbox(options);
	await sandbox.listen(options.port ?? 0);
	return sandbox;
}

/** A status fault's answer: Autotask's own error body for 429 and 500, a gateway's HTML page for 502-504. */
function replyStatusFault(fault: Extract<Fault, { kind: 'status' }>, reply: (status: number, body: unknown, headers?: Record<string, string>) => void): void {
	const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
	if (fault.status >= 502) {
		const title = ({ 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' } as Record<number, string>)[fault.status];
		return reply(fault.status, `<html><head><title>${fault.status} ${title}</title></head><body><h1>${fault.status} ${title}</h1></body></html>`, {
			...headers,
			'content-type': 'text/html; charset=utf-8',
		});
	}
	reply(fault.status, { errors: [fault.status === 429 ? 'Too many requests' : 'An error has occurred.'] }, headers);
}
