// ConnectWiseProvider: the PsaProvider for ConnectWise PSA, speaking PSA-domain types over the ConnectWise REST API.
import { PsaCache } from '../../cache';
import { PsaError, isPsaError } from '../errors';
import { callbackUrlOf, definedOnly, filterLocally, recordId, requiredSetting as requiredSetting_, searchText } from '../values';
import type { ProviderDeps } from '../definition';
import {
	PsaBoard,
	PsaCallbackCreate,
	PsaCallbackEvent,
	PsaCallbackRegistration,
	PsaCallbackRequest,
	PsaCompany,
	PsaConnectionInfo,
	PsaContact,
	PsaCreateOptions,
	PsaListQuery,
	PsaMember,
	PsaNote,
	PsaNoteCreate,
	PsaNoteListQuery,
	PsaPermissionCheck,
	PsaPriority,
	PsaProvider,
	PsaServerInfo,
	PsaStatus,
	PsaTicket,
	PsaTicketCreate,
	PsaTicketListQuery,
	PsaWarning,
} from '../types';
import { verifyCallback } from './callbacks';
import { ApiRequest, ConnectWiseClient, DEFAULT_RETRY_POLICY, isObject } from './client';
import { allOf, cond } from './conditions';
import { ListOptions, listAll } from './paging';
import {
	FIELDS,
	MODEL_2023_1,
	fieldsParam,
	memberFields,
	readBoard,
	readCallback,
	readCompany,
	readContact,
	readMember,
	readNote,
	readPriority,
	readStatus,
	readTicket,
	statusFields,
} from './read';
import { ConnectWiseSite, connectWiseConnectionId, normaliseSite, uiHost } from './site';
import { externalXRefFor, parseTicketId, ticketDescription, ticketSummary, ticketWebUrl } from './tickets';
import { DEFAULT_API_VERSION, assertApiVersion, compareVersions, parseEndpointVersions } from './versions';

export { DEFAULT_API_VERSION } from './versions';
export type { ProviderDeps } from '../definition';
export { DEFAULT_RETRY_POLICY } from './client';
export type { RetryPolicy } from './client';
export { cond } from './conditions';

export interface ConnectWiseSettings {
	/** As typed by the user: 'api-na.myconnectwise.net', 'https://cw.example.com/', 'http://127.0.0.1:5432' (http only for loopback). */
	site: string;
	companyId: string;
	publicKey: string;
	privateKey: string;
	clientId: string;
	/** Pinned default, '2025.8' when absent. */
	apiVersion?: string;
	/** e.g. { '/service/tickets': '2023.1' }: moves one endpoint (and the paths below it) ahead of or behind the pin. */
	endpointVersions?: Record<string, string>;
	/** True when the HttpTransport adds Authorization + clientId itself (n8n's httpRequestWithAuthentication). */
	transportAuthenticates?: boolean;
}

export const CACHE_TTL = {
	boards: 10 * 60 * 1000,
	statuses: 10 * 60 * 1000,
	priorities: 30 * 60 * 1000,
	membersByEmail: 60 * 1000,
};

/** Tickets read for a search by link key: entities whose keys differ only in case share a case-insensitive match. */
const EXTERNAL_REF_MATCHES = 50;

/** Records returned by a list call when the query sets no limit (boards, statuses, priorities and callbacks are read whole). */
export const DEFAULT_LIST_LIMIT = 1000;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * ConnectWise publishes no server-side request limit. It runs on ASP.NET under IIS, whose default execution timeout is
 * 110 s. Between the last claim refresh and the create's send the client may spend its 30 s retry budget twice: on
 * the codebase lookup (cold cache, hourly) and on 429s for the create itself; 10 s of margin on top: 180 s.
 */
export const CONNECTWISE_OUTCOME_SETTLE_MS = 180_000;

export class ConnectWiseProvider implements PsaProvider {
	readonly connection: PsaConnectionInfo;
	readonly outcomeSettleMs: number;
	readonly callbackLevels = ['owner', 'board', 'status', 'company'] as const;
	private readonly client: ConnectWiseClient;
	private readonly site: ConnectWiseSite;
	private readonly cache: PsaCache;
	private readonly pageSize?: number;

	constructor(settings: ConnectWiseSettings, deps: ProviderDeps) {
		if (typeof deps?.http !== 'function') throw new PsaError('configuration', 'ConnectWiseProvider needs an HTTP transport');
		this.site = normaliseSite(settings.site);
		const companyId = requiredSetting(settings.companyId, 'Company ID');
		const transportAuthenticates = settings.transportAuthenticates === true || deps.transportAuthenticates === true;
		const publicKey = transportAuthenticates ? String(settings.publicKey ?? '') : requiredSetting(settings.publicKey, 'Public Key');
		const privateKey = transportAuthenticates ? String(settings.privateKey ?? '') : requiredSetting(settings.privateKey, 'Private Key');
		const clientId = transportAuthenticates ? String(settings.clientId ?? '') : requiredSetting(settings.clientId, 'Client ID');
		const pin = settings.apiVersion?.trim() ? assertApiVersion(settings.apiVersion, 'API Version') : DEFAULT_API_VERSION;
		const connectionId = connectWiseConnectionId(this.site, companyId);
		this.cache = deps.cache ?? new PsaCache();
		this.pageSize = deps.pageSize;
		this.outcomeSettleMs = deps.outcomeSettleMs ?? CONNECTWISE_OUTCOME_SETTLE_MS;
		this.connection = {
			provider: 'connectwise',
			connectionId,
			site: this.site.host,
			company: companyId,
			label: `ConnectWise ${this.site.host} / ${companyId}`,
		};
		this.client = new ConnectWiseClient({
			site: this.site,
			companyId,
			publicKey,
			privateKey,
			clientId,
			pin,
			overrides: parseEndpointVersions(settings.endpointVersions),
			transportAuthenticates,
			connectionId,
			http: deps.http,
			cache: this.cache,
			retry: { ...DEFAULT_RETRY_POLICY, ...definedOnly(deps.retry ?? {}) },
			sleep: deps.sleep ?? defaultSleep,
			now: deps.now ?? Date.now,
			random: deps.random ?? Math.random,
		});
	}

	get pinnedApiVersion(): string {
		return this.client.config.pin;
	}

	/** The API version requests to this path are sent with (the pin or an endpoint override). */
	apiVersionFor(path: string): string {
		return this.client.versionFor(path);
	}

	async info(): Promise<PsaServerInfo> {
		const codebase = await this.client.resolveCodebase();
		const started = this.client.config.now();
		const response = await this.client.request({ method: 'GET', path: '/system/info' });
		const latencyMs = this.client.config.now() - started;
		const body = isObject(response.body) ? response.body : {};
		const info: PsaServerInfo = {
			serverVersion: typeof body.version === 'string' ? body.version : '',
			apiLocation: codebase,
			isCloud: typeof body.isCloud === 'boolean' ? body.isCloud : this.site.isCloud,
			pinnedApiVersion: this.client.config.pin,
			latencyMs,
		};
		if (this.client.currentApiVersion) info.currentApiVersion = this.client.currentApiVersion;
		return info;
	}

	/**
	 * One request per endpoint the package uses. Reads are GETs with pageSize=1. Writes are probed with requests
	 * ConnectWise must refuse after its security check: bodies that fail validation or target record id 0 (which
	 * never exists). 400/404/409/422 then mean "allowed", 403 "denied", 401 "the keys are wrong".
	 */
	async checkPermissions(): Promise<PsaPermissionCheck[]> {
		const boards = await this.probe('Read service boards', { method: 'GET', path: '/service/boards', query: { pageSize: 1, fields: 'id' } });
		const firstBoardId = Array.isArray(boards.body) && isObject(boards.body[0]) && typeof boards.body[0].id === 'number' ? boards.body[0].id : 0;
		const probes: Array<[string, ApiRequest]> = [
			['Read server info', { method: 'GET', path: '/system/info' }],
			['Read tickets', { method: 'GET', path: '/service/tickets', query: { pageSize: 1, fields: 'id' } }],
			['Create tickets', { method: 'POST', path: '/service/tickets', body: { summary: '', company: { id: 0 } } }],
			['Update ticket status', { method: 'PATCH', path: '/service/tickets/0', body: [] }],
			['Read notes', { method: 'GET', path: '/service/tickets/0/notes', query: { pageSize: 1, fields: 'id' } }],
			['Add notes', { method: 'POST', path: '/service/tickets/0/notes', body: { text: '' } }],
			['Read board statuses', { method: 'GET', path: `/service/boards/${firstBoardId}/statuses`, query: { pageSize: 1, fields: 'id' } }],
			['Read priorities', { method: 'GET', path: '/service/priorities', query: { pageSize: 1, fields: 'id' } }],
			['Read companies', { method: 'GET', path: '/company/companies', query: { pageSize: 1, fields: 'id' } }],
			['Read contacts', { method: 'GET', path: '/company/contacts', query: { pageSize: 1, fields: 'id' } }],
			['Read members', { method: 'GET', path: '/system/members', query: { pageSize: 1, fields: 'id' } }],
			['Read callbacks', { method: 'GET', path: '/system/callbacks', query: { pageSize: 1, fields: 'id' } }],
			['Register callbacks', { method: 'POST', path: '/system/callbacks', body: { url: '', objectId: 0, type: 'ticket', level: 'owner' } }],
			['Remove callbacks', { method: 'DELETE', path: '/system/callbacks/0' }],
		];
		const results: PsaPermissionCheck[] = [boards.check];
		for (const [purpose, request] of probes) results.push((await this.probe(purpose, request)).check);
		return results;
	}

	private async probe(purpose: string, request: ApiRequest): Promise<{ check: PsaPermissionCheck; body?: unknown }> {
		const template = request.path.replace(/\/\d+(?=\/|$)/g, (match, offset: number, whole: string) =>
			offset + match.length === whole.length ? '/{id}' : '/{parentId}',
		);
		const check: PsaPermissionCheck = { purpose, method: request.method, endpoint: template, allowed: false, status: 0 };
		try {
			const response = await this.client.request({ ...request, noRetry: request.method !== 'GET' });
			check.status = response.status;
			check.allowed = true;
			if (request.method === 'POST') await this.removeProbeRecord(request.path, response.body);
			return { check, body: response.body };
		} catch (error) {
			if (!isPsaError(error)) throw error;
			check.status = error.details.status ?? 0;
			check.allowed = ['invalid-input', 'not-found', 'conflict'].includes(error.kind);
			if (!check.allowed) check.message = error.message;
			return { check };
		}
	}

	/** A write probe that ConnectWise unexpectedly accepted is undone at once. */
	private async removeProbeRecord(path: string, body: unknown): Promise<void> {
		if (!isObject(body) || typeof body.id !== 'number') return;
		try {
			await this.client.request({ method: 'DELETE', path: `${path}/${body.id}` });
		} catch {
			// Best effort: the record was created by a probe that should have been refused.
		}
	}

	async createTicket(input: PsaTicketCreate, options: PsaCreateOptions = {}): Promise<PsaTicket> {
		const companyId = positiveId(input?.companyId, 'company');
		const { summary, truncated } = ticketSummary(String(input.summary ?? ''));
		const externalXRef = externalXRefFor(input.externalRef);
		const body: Record<string, unknown> = { summary, company: { id: companyId }, externalXRef };
		const description = ticketDescription(String(input.summary), input.description, truncated);
		if (description !== undefined && description !== '') body.initialDescription = description;
		const references: Array<[string, number | undefined]> = [
			['board', input.boardId],
			['status', input.statusId],
			['priority', input.priorityId],
			['contact', input.contactId],
			['owner', input.ownerId],
		];
		for (const [name, id] of references) if (id !== undefined && id !== null) body[name] = { id: positiveId(id, name) };

		const create = async () => {
			const response = await this.client.request({ method: 'POST', path: '/service/tickets', body });
			return this.withExternalRef(readTicket(response.body, 'POST /service/tickets'), input.externalRef);
		};
		if (!options.retrySafe) return create();
		// Only a caller that allows it gets a second POST, and only after the externalXRef search shows the first did not land.
		return this.client.createOnce(create, () => this.findTicketByExternalRef(input.externalRef), (error) => isPsaError(error) && error.details.outcomeUnknown === true);
	}

	async getTicket(id: number): Promise<PsaTicket> {
		const ticketId = positiveId(id, 'ticket');
		const path = `/service/tickets/${ticketId}`;
		const response = await this.client.request({ method: 'GET', path, query: { fields: fieldsParam(FIELDS.ticket) } });
		return readTicket(response.body, `GET ${path}`);
	}

	async findTicketByExternalRef(externalRef: string): Promise<PsaTicket | undefined> {
		const xref = externalXRefFor(externalRef);
		// ConnectWise compares text case-insensitively (SQL Server's collation): "zbx:HOST-1" answers a search for
		// "zbx:host-1". Only an exact match is this link's ticket; another entity's must never be adopted.
		const tickets = await this.list(
			'/service/tickets',
			{ conditions: cond.eq('externalXRef', xref), fields: fieldsParam(FIELDS.ticket), orderBy: 'id asc', limit: EXTERNAL_REF_MATCHES },
			(value) => readTicket(value, 'GET /service/tickets'),
		);
		const ticket = tickets.find((candidate) => candidate.externalRef === xref);
		return ticket ? this.withExternalRef(ticket, externalRef) : undefined;
	}

	externalReferenceOf(linkKey: string): string {
		return externalXRefFor(linkKey);
	}

	async listTickets(query: PsaTicketListQuery = {}): Promise<PsaTicket[]> {
		const conditions = allOf(
			query.boardId !== undefined ? cond.eq('board/id', positiveId(query.boardId, 'board')) : undefined,
			query.companyId !== undefined ? cond.eq('company/id', positiveId(query.companyId, 'company')) : undefined,
			query.openOnly ? cond.eq('closedFlag', false) : undefined,
			searchText(query.search) ? cond.contains('summary', searchText(query.search)!) : undefined,
		);
		return this.list(
			'/service/tickets',
			{ conditions, fields: fieldsParam(FIELDS.ticket), forwardOnly: true, limit: query.limit ?? DEFAULT_LIST_LIMIT },
			(value) => readTicket(value, 'GET /service/tickets'),
		);
	}

	async updateTicketStatus(id: number, statusId: number): Promise<PsaTicket> {
		const ticketId = positiveId(id, 'ticket');
		const path = `/service/tickets/${ticketId}`;
		try {
			const response = await this.client.request({
				method: 'PATCH',
				path,
				body: [{ op: 'replace', path: 'status', value: { id: positiveId(statusId, 'status') } }],
			});
			return readTicket(response.body, `PATCH ${path}`);
		} catch (error) {
			if (isPsaError(error, 'invalid-input') && /status/i.test(`${error.details.field ?? ''} ${error.details.providerMessage ?? ''}`)) {
				// The status list we chose from is stale (a status was removed or deactivated): read it again next time.
				this.cache.invalidate(this.connection.connectionId, 'statuses:');
			}
			throw error;
		}
	}

	ticketUrl(id: number): string {
		const codebase = this.client.codebase ?? this.cache.get<string>(this.connection.connectionId, 'codebase') ?? 'v4_6_release/';
		return ticketWebUrl(`${this.site.scheme}://${uiHost(this.site)}`, codebase, positiveId(id, 'ticket'));
	}

	parseTicketUrl(url: string): number | undefined {
		if (typeof url !== 'string') return undefined;
		return parseTicketId(url, [this.site.host, uiHost(this.site)]);
	}

	async addNote(input: PsaNoteCreate): Promise<PsaNote> {
		const ticketId = positiveId(input?.ticketId, 'ticket');
		const text = String(input.text ?? '');
		if (!text.trim()) throw new PsaError('invalid-input', 'A note needs text', { field: 'text' });
		if (!['discussion', 'internal', 'resolution'].includes(input.type)) {
			throw new PsaError('invalid-input', `'${String(input.type)}' is not a note type (discussion, internal, resolution)`, { field: 'type' });
		}
		const body: Record<string, unknown> = {
			text,
			detailDescriptionFlag: input.type === 'discussion',
			internalAnalysisFlag: input.type === 'internal',
			resolutionFlag: input.type === 'resolution',
		};
		if (input.memberId !== undefined && input.memberId !== null) body.member = { id: positiveId(input.memberId, 'member') };
		const path = `/service/tickets/${ticketId}/notes`;
		try {
			const response = await this.client.request({ method: 'POST', path, body });
			return readNote(response.body, `POST ${path}`, ticketId);
		} catch (error) {
			if (isPsaError(error, 'invalid-input') && /member/i.test(`${error.details.field ?? ''} ${error.details.providerMessage ?? ''}`)) {
				// Usually a member made inactive since the email lookup was cached.
				this.cache.invalidate(this.connection.connectionId, 'members-by-email:');
			}
			throw error;
		}
	}

	async listNotes(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaNote[]> {
		const id = positiveId(ticketId, 'ticket');
		const path = `/service/tickets/${id}/notes`;
		const search = searchText(query.search);
		return this.list(
			path,
			{
				conditions: search ? cond.contains('text', search) : undefined,
				fields: fieldsParam(FIELDS.note),
				orderBy: query.newestFirst ? 'id desc' : 'id asc',
				limit: query.limit ?? DEFAULT_LIST_LIMIT,
			},
			(value) => readNote(value, `GET ${path}`, id),
		);
	}

	async listBoards(query: PsaListQuery = {}): Promise<PsaBoard[]> {
		const boards = await this.cache.getOrLoad(
			this.connection.connectionId,
			'boards',
			() => this.list('/service/boards', { fields: fieldsParam(FIELDS.board), orderBy: 'name asc' }, (value) => readBoard(value, 'GET /service/boards')),
			CACHE_TTL.boards,
		);
		return filterLocally(boards, query, (board) => [board.name]);
	}

	async listStatuses(boardId: number): Promise<PsaStatus[]> {
		const id = positiveId(boardId, 'board');
		const path = `/service/boards/${id}/statuses`;
		const statuses = await this.cache.getOrLoad(
			this.connection.connectionId,
			`statuses:${id}`,
			() =>
				this.list(path, { fields: statusFields(this.client.versionFor(path)), orderBy: 'sortOrder asc' }, (value) =>
					readStatus(value, `GET ${path}`, id),
				),
			CACHE_TTL.statuses,
		);
		return [...statuses].sort((a, b) => a.sortOrder - b.sortOrder || a.id - b.id);
	}

	async listPriorities(): Promise<PsaPriority[]> {
		const priorities = await this.cache.getOrLoad(
			this.connection.connectionId,
			'priorities',
			() =>
				this.list('/service/priorities', { fields: fieldsParam(FIELDS.priority), orderBy: 'sortOrder asc' }, (value) =>
					readPriority(value, 'GET /service/priorities'),
				),
			CACHE_TTL.priorities,
		);
		return [...priorities].sort((a, b) => a.sortOrder - b.sortOrder || a.id - b.id);
	}

	async listCompanies(query: PsaListQuery = {}): Promise<PsaCompany[]> {
		const search = searchText(query.search);
		return this.list(
			'/company/companies',
			{
				conditions: search ? cond.or(cond.contains('name', search), cond.contains('identifier', search)) : undefined,
				fields: fieldsParam(FIELDS.company),
				orderBy: 'name asc',
				limit: query.limit ?? DEFAULT_LIST_LIMIT,
			},
			(value) => readCompany(value, 'GET /company/companies'),
		);
	}

	async listContacts(query: PsaListQuery & { companyId?: number } = {}): Promise<PsaContact[]> {
		const search = searchText(query.search);
		const conditions = allOf(
			query.companyId !== undefined ? cond.eq('company/id', positiveId(query.companyId, 'company')) : undefined,
			search ? cond.or(cond.contains('firstName', search), cond.contains('lastName', search)) : undefined,
		);
		return this.list(
			'/company/contacts',
			{ conditions, fields: fieldsParam(FIELDS.contact), orderBy: 'lastName asc', limit: query.limit ?? DEFAULT_LIST_LIMIT },
			(value) => readContact(value, 'GET /company/contacts'),
		);
	}

	async listMembers(query: PsaListQuery = {}): Promise<PsaMember[]> {
		const search = searchText(query.search);
		return this.list(
			'/system/members',
			{
				conditions: search
					? cond.or(cond.contains('identifier', search), cond.contains('firstName', search), cond.contains('lastName', search))
					: undefined,
				fields: this.memberFields(),
				forwardOnly: true,
				limit: query.limit ?? DEFAULT_LIST_LIMIT,
			},
			(value) => readMember(value, 'GET /system/members'),
		);
	}

	async getMember(id: number): Promise<PsaMember> {
		const path = `/system/members/${positiveId(id, 'member')}`;
		const response = await this.client.request({ method: 'GET', path, query: { fields: this.memberFields() } });
		return readMember(response.body, `GET ${path}`);
	}

	/** Every member (active or not) with this email as office or primary email; callers choose among the active ones. */
	async findMembersByEmail(email: string): Promise<PsaMember[]> {
		const normalised = String(email ?? '').trim().toLowerCase();
		if (!EMAIL.test(normalised) || normalised.length > 254) {
			throw new PsaError('invalid-input', `'${String(email)}' is not an email address`, { field: 'email' });
		}
		return this.cache.getOrLoad(
			this.connection.connectionId,
			`members-by-email:${normalised}`,
			async () => {
				const search = (conditions: string) =>
					this.list('/system/members', { conditions, fields: this.memberFields(), forwardOnly: true, limit: 100 }, (value) =>
						readMember(value, 'GET /system/members'),
					);
				let members: PsaMember[];
				if (this.hasPrimaryEmail()) {
					try {
						members = await search(cond.or(cond.eq('officeEmail', normalised), cond.eq('primaryEmail', normalised)));
					} catch (error) {
						// A server whose member model predates primaryEmail rejects the condition: search office emails alone.
						if (!isPsaError(error, 'invalid-input')) throw error;
						members = await search(cond.eq('officeEmail', normalised));
					}
				} else {
					members = await search(cond.eq('officeEmail', normalised));
				}
				return members.filter((member) => member.emails.includes(normalised));
			},
			CACHE_TTL.membersByEmail,
		);
	}

	async findMemberByIdentifier(identifier: string): Promise<PsaMember | undefined> {
		const value = String(identifier ?? '').trim();
		if (!value) throw new PsaError('invalid-input', 'A member identifier is empty', { field: 'identifier' });
		const [member] = await this.list(
			'/system/members',
			{ conditions: cond.eq('identifier', value), fields: this.memberFields(), forwardOnly: true, limit: 1 },
			(item) => readMember(item, 'GET /system/members'),
		);
		return member && member.identifier.toLowerCase() === value.toLowerCase() ? member : undefined;
	}

	async registerCallback(input: PsaCallbackCreate): Promise<PsaCallbackRegistration> {
		const url = callbackUrl(input?.url);
		if (!['owner', 'board', 'status', 'company'].includes(input.level)) {
			throw new PsaError('invalid-input', `'${String(input.level)}' is not a callback level (owner, board, status, company)`, { field: 'level' });
		}
		const objectId = Number(input.objectId ?? 0);
		if (!Number.isInteger(objectId) || objectId < 0) throw new PsaError('invalid-input', 'The callback objectId must be a whole number', { field: 'objectId' });
		const response = await this.client.request({
			method: 'POST',
			path: '/system/callbacks',
			body: {
				url,
				objectId,
				type: 'ticket',
				level: input.level,
				description: String(input.description ?? '').slice(0, 100),
				isSelfSuppressedFlag: input.selfSuppressed === true,
			},
		});
		return readCallback(response.body, 'POST /system/callbacks');
	}

	async listCallbacks(): Promise<PsaCallbackRegistration[]> {
		const entries = await this.list('/system/callbacks', { fields: fieldsParam(FIELDS.callback), orderBy: 'id asc' }, (value) => value);
		return entries
			.filter((entry) => !isObject(entry) || entry.type === undefined || String(entry.type).toLowerCase() === 'ticket')
			.map((entry) => readCallback(entry, 'GET /system/callbacks'));
	}

	/** Removing a callback that is already gone succeeds: the goal (no callback) is reached. */
	async removeCallback(id: number): Promise<void> {
		try {
			await this.client.request({ method: 'DELETE', path: `/system/callbacks/${positiveId(id, 'callback')}` });
		} catch (error) {
			if (!isPsaError(error, 'not-found')) throw error;
		}
	}

	verifyCallback(request: PsaCallbackRequest): Promise<PsaCallbackEvent> {
		return verifyCallback(this.client, request);
	}

	takeWarnings(): PsaWarning[] {
		return this.client.takeWarnings();
	}

	private list<T>(path: string, options: ListOptions, read: (value: unknown) => T): Promise<T[]> {
		return listAll(this.client, path, { pageSize: this.pageSize, ...options }, read);
	}

	private hasPrimaryEmail(): boolean {
		return compareVersions(this.client.versionFor('/system/members'), MODEL_2023_1) >= 0;
	}

	private memberFields(): string {
		return memberFields(this.client.versionFor('/system/members'));
	}

	/** ConnectWise stores long link keys hashed; give callers back the key they know. */
	private withExternalRef(ticket: PsaTicket, externalRef: string): PsaTicket {
		return ticket.externalRef === externalXRefFor(externalRef) ? { ...ticket, externalRef } : ticket;
	}
}

function requiredSetting(value: unknown, name: string): string {
	return requiredSetting_(value, 'ConnectWise', name);
}

function positiveId(value: unknown, what: string): number {
	return recordId(value, what, `${what}/id`);
}

function callbackUrl(value: unknown): string {
	return callbackUrlOf(value, 'ConnectWise', 'url');
}
