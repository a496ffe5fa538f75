// ConnectWiseProvider: the PsaProvider for ConnectWise PSA, speaking PSA-domain types over the ConnectWise REST API.
import { PsaCache } from '../../cache';
import { PsaError, isPsaError } from '../errors';
import { recordId, requiredSetting as requiredSetting_, searchText } from '../values';
import type { ProviderDeclaration, ProviderDeps } from '../definition';
import { psaReferenceOf } from '../link-key';
import { clockOf, retryPolicyOf } from '../runtime';
import {
	PsaBoard,
	PsaChoice,
	PsaConfigurationItem,
	PsaConfigurationItemQuery,
	PsaCustomFieldDefinition,
	PsaTicketSearch,
	PsaTicketUpdate,
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
	PsaTimeEntry,
	PsaTimeEntryCreate,
	PsaWorkChoiceKind,
	PsaAttachment,
	PsaAttachmentCreate,
} from '../types';
import { verifyCallback } from './callbacks';
import { ConnectWiseClient, isObject } from './client';
import { CONNECTWISE_DECLARATION } from './declaration';
import { allOf, cond } from './conditions';
import { ListOptions, listAll } from './paging';
import { ConnectWiseLookups, DEFAULT_LIST_LIMIT } from './lookups';
import { checkConnectWisePermissions } from './permissions';
import { FIELDS, fieldsParam, readNote, readTicket } from './read';
import { listConnectWiseCallbacks, registerConnectWiseCallback, removeConnectWiseCallback } from './registration';
import { ConnectWiseSite, connectWiseConnectionId, normaliseSite, uiHost } from './site';
import { parseTicketId, ticketDescription, ticketSummary, ticketWebUrl } from './tickets';
import { assertApiVersion, parseEndpointVersions } from './versions';
import { ConnectWiseConfigurationItems } from './configuration-items';
import { CLASSIFICATION_CACHE_PREFIX, ConnectWiseDepthLookups } from './depth';
import { searchTickets } from './search';
import { createFields, updateOperations } from './ticket-fields';
import { ConnectWiseWork } from './work';

export { DEFAULT_API_VERSION } from './versions';
export type { ProviderDeps } from '../definition';
export type { RetryPolicy } from './client';
export { DEFAULT_RETRY_POLICY } from '../request';
export { cond } from './conditions';
export { CACHE_TTL, DEFAULT_LIST_LIMIT } from './lookups';

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

/** Tickets read for a search by link key: entities whose keys differ only in case share a case-insensitive match. */
const EXTERNAL_REF_MATCHES = 50;

export { CONNECTWISE_OUTCOME_SETTLE_MS } from './declaration';

export class ConnectWiseProvider implements PsaProvider {
	readonly connection: PsaConnectionInfo;
	readonly outcomeSettleMs: number;
	readonly callbackLevels = ['owner', 'board', 'status', 'company'] as const;
	/** The site's signing key is shared by all its callbacks: each registration's own secret is the token in its URL. */
	readonly callbackSecrets = true;
	private readonly client: ConnectWiseClient;
	private readonly site: ConnectWiseSite;
	private readonly cache: PsaCache;
	private readonly pageSize?: number;
	private readonly lookups: ConnectWiseLookups;
	private readonly depth: ConnectWiseDepthLookups;
	private readonly configurationItems: ConnectWiseConfigurationItems;
	private readonly work: ConnectWiseWork;

	/** `declaration`: what the registry's definition declares (limits, retry, versions, reference field). */
	constructor(settings: ConnectWiseSettings, deps: ProviderDeps, private readonly declaration: ProviderDeclaration = CONNECTWISE_DECLARATION) {
		if (typeof deps?.http !== 'function') throw new PsaError('configuration', 'ConnectWiseProvider needs an HTTP transport');
		this.site = normaliseSite(settings.site);
		const companyId = requiredSetting(settings.companyId, 'Company ID');
		const transportAuthenticates = settings.transportAuthenticates === true || deps.transportAuthenticates === true;
		const publicKey = transportAuthenticates ? String(settings.publicKey ?? '') : requiredSetting(settings.publicKey, 'Public Key');
		const privateKey = transportAuthenticates ? String(settings.privateKey ?? '') : requiredSetting(settings.privateKey, 'Private Key');
		const clientId = transportAuthenticates ? String(settings.clientId ?? '') : requiredSetting(settings.clientId, 'Client ID');
		const pin = settings.apiVersion?.trim() ? assertApiVersion(settings.apiVersion, 'API Version') : declaration.versions.defaultPin;
		const connectionId = connectWiseConnectionId(this.site, companyId);
		this.cache = deps.cache ?? new PsaCache();
		this.pageSize = deps.pageSize;
		this.outcomeSettleMs = deps.outcomeSettleMs ?? declaration.outcomeSettleMs;
		this.connection = {
			provider: declaration.key,
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
			retry: retryPolicyOf(declaration, deps),
			...clockOf(deps),
			declaration,
			...(deps.onRequestEvent ? { onRequestEvent: deps.onRequestEvent } : {}),
		});
		this.lookups = new ConnectWiseLookups(this.client, this.cache, connectionId, (path, options, read) => this.list(path, options, read));
		this.depth = new ConnectWiseDepthLookups(this.cache, connectionId, (path, options, read) => this.list(path, options, read));
		this.configurationItems = new ConnectWiseConfigurationItems(this.client, (path, options, read) => this.list(path, options, read));
		this.work = new ConnectWiseWork(this.client, (path, options, read) => this.list(path, options, read), () => this.declaration.workCapabilities);
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

	/** One request per endpoint the package uses (see permissions.ts). */
	checkPermissions(): Promise<PsaPermissionCheck[]> {
		return checkConnectWisePermissions(this.client);
	}

	async createTicket(input: PsaTicketCreate, options: PsaCreateOptions = {}): Promise<PsaTicket> {
		const companyId = positiveId(input?.companyId, 'company');
		const { summary, truncated } = ticketSummary(String(input.summary ?? ''));
		const externalXRef = this.externalReferenceOf(input.externalRef);
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
		// Classification, team, source, site, scales, due date and custom fields: checked here, sent in the one create.
		Object.assign(body, await createFields(input, this.ticketFieldRules()));

		const create = async () => {
			try {
				const response = await this.client.request({ method: 'POST', path: '/service/tickets', body });
				return this.withExternalRef(readTicket(response.body, 'POST /service/tickets'), input.externalRef);
			} catch (error) {
				this.dropStaleChoices(error);
				throw error;
			}
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
		const xref = this.externalReferenceOf(externalRef);
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

	/** The externalXRef stored for a link key: the key when it fits the declared field, else its hash (see psaReferenceOf). */
	externalReferenceOf(linkKey: string): string {
		const { field, maxLength } = this.declaration.externalReference;
		if (typeof linkKey !== 'string' || !linkKey.trim()) throw new PsaError('invalid-input', 'A ticket link needs an external reference', { field });
		return psaReferenceOf(linkKey, maxLength);
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

	addTimeEntry(input: PsaTimeEntryCreate): Promise<PsaTimeEntry> {
		return this.work.addTimeEntry(input);
	}

	listTimeEntries(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaTimeEntry[]> {
		return this.work.listTimeEntries(ticketId, query);
	}

	listWorkChoices(kind: PsaWorkChoiceKind): Promise<PsaChoice[]> {
		return this.work.listChoices(kind);
	}

	addAttachment(input: PsaAttachmentCreate): Promise<PsaAttachment> {
		return this.work.addAttachment(input);
	}

	listAttachments(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaAttachment[]> {
		return this.work.listAttachments(ticketId, query);
	}

	downloadAttachment(ticketId: number, attachmentId: number): Promise<{ attachment: PsaAttachment; data: Buffer }> {
		return this.work.downloadAttachment(ticketId, attachmentId);
	}

	listBoards(query: PsaListQuery = {}): Promise<PsaBoard[]> {
		return this.lookups.listBoards(query);
	}

	listStatuses(boardId: number): Promise<PsaStatus[]> {
		return this.lookups.listStatuses(boardId);
	}

	listPriorities(): Promise<PsaPriority[]> {
		return this.lookups.listPriorities();
	}

	listCompanies(query: PsaListQuery = {}): Promise<PsaCompany[]> {
		return this.lookups.listCompanies(query);
	}

	listContacts(query: PsaListQuery & { companyId?: number } = {}): Promise<PsaContact[]> {
		return this.lookups.listContacts(query);
	}

	listMembers(query: PsaListQuery = {}): Promise<PsaMember[]> {
		return this.lookups.listMembers(query);
	}

	getMember(id: number): Promise<PsaMember> {
		return this.lookups.getMember(id);
	}

	findMembersByEmail(email: string): Promise<PsaMember[]> {
		return this.lookups.findMembersByEmail(email);
	}

	findMemberByIdentifier(identifier: string): Promise<PsaMember | undefined> {
		return this.lookups.findMemberByIdentifier(identifier);
	}

	registerCallback(input: PsaCallbackCreate): Promise<PsaCallbackRegistration> {
		return registerConnectWiseCallback(this.client, input);
	}

	listCallbacks(): Promise<PsaCallbackRegistration[]> {
		return listConnectWiseCallbacks((path, options, read) => this.list(path, options, read));
	}

	removeCallback(id: number): Promise<void> {
		return removeConnectWiseCallback(this.client, id);
	}

	verifyCallback(request: PsaCallbackRequest): Promise<PsaCallbackEvent> {
		return verifyCallback(this.client, request);
	}

	get ticketCapabilities() {
		return this.declaration.ticketCapabilities;
	}

	get workCapabilities() {
		return this.declaration.workCapabilities;
	}

	searchTickets(query: PsaTicketSearch): Promise<PsaTicket[]> {
		return searchTickets(query, {
			list: (path, options, read, keep) => this.list(path, options, read, keep),
			read: (value) => readTicket(value, 'GET /service/tickets'),
			customFields: () => this.depth.customFields(),
			referenceOf: (linkKey) => this.externalReferenceOf(linkKey),
		});
	}

	async updateTicket(id: number, changes: PsaTicketUpdate): Promise<PsaTicket> {
		const ticketId = positiveId(id, 'ticket');
		const operations = await updateOperations(changes ?? {}, this.ticketFieldRules());
		if (operations.length === 0) return this.getTicket(ticketId);
		const path = `/service/tickets/${ticketId}`;
		try {
			const response = await this.client.request({ method: 'PATCH', path, body: operations });
			return readTicket(response.body, `PATCH ${path}`);
		} catch (error) {
			this.dropStaleChoices(error);
			throw error;
		}
	}

	async getTicketDetails(id: number): Promise<PsaTicket> {
		const ticketId = positiveId(id, 'ticket');
		const path = `/service/tickets/${ticketId}`;
		const response = await this.client.request({ method: 'GET', path, query: { fields: fieldsParam([...FIELDS.ticket, FIELDS.ticketCustomFields]) } });
		const ticket = readTicket(response.body, `GET ${path}`);
		// A ticket whose answer carries no customFields has none set: say so instead of leaving them unread.
		return ticket.customFields ? ticket : { ...ticket, customFields: {} };
	}

	// Ticket depth: ConnectWise's lookups (depth.ts) and configuration items (configuration-items.ts).
	listTicketTypes(boardId?: number): Promise<PsaChoice[]> { return this.depth.listTicketTypes(boardId); }
	listTicketSubtypes(typeId: number, boardId?: number): Promise<PsaChoice[]> { return this.depth.listTicketSubtypes(typeId, boardId); }
	listTicketItems(typeId: number, subtypeId: number | undefined, boardId?: number): Promise<PsaChoice[]> { return this.depth.listTicketItems(typeId, subtypeId, boardId); }
	listTeams(boardId?: number): Promise<PsaChoice[]> { return this.depth.listTeams(boardId); }
	listSources(): Promise<PsaChoice[]> { return this.depth.listSources(); }
	listSites(companyId: number): Promise<PsaChoice[]> { return this.depth.listSites(companyId); }
	listCustomFields(): Promise<PsaCustomFieldDefinition[]> { return this.depth.listCustomFields(); }
	findConfigurationItems(query: PsaConfigurationItemQuery): Promise<PsaConfigurationItem[]> { return this.configurationItems.find(query ?? {}); }
	getConfigurationItem(id: number): Promise<PsaConfigurationItem> { return this.configurationItems.get(id); }
	listTicketConfigurationItems(ticketId: number): Promise<PsaConfigurationItem[]> { return this.configurationItems.ofTicket(ticketId); }
	attachConfigurationItem(ticketId: number, configurationItemId: number, options?: { attached?: readonly number[] }): Promise<void> { return this.configurationItems.attach(ticketId, configurationItemId, options); }
	detachConfigurationItem(ticketId: number, configurationItemId: number): Promise<void> { return this.configurationItems.detach(ticketId, configurationItemId); }
	takeWarnings(): PsaWarning[] {
		return this.client.takeWarnings();
	}

	private list<T>(path: string, options: ListOptions, read: (value: unknown) => T, keep?: (item: T) => boolean): Promise<T[]> {
		return listAll(this.client, path, { pageSize: this.pageSize, ...options }, read, keep);
	}

	private ticketFieldRules() {
		return { scales: this.declaration.ticketCapabilities.scales, customFields: () => this.depth.customFields() };
	}

	/** A refusal naming the classification or a custom field means the cached choices are stale: read them again next time. */
	private dropStaleChoices(error: unknown): void {
		if (!isPsaError(error, 'invalid-input')) return;
		const blamed = `${error.details.field ?? ''} ${error.details.providerMessage ?? ''}`;
		if (/\b(type|subType|item)\b/i.test(blamed)) this.cache.invalidate(this.connection.connectionId, CLASSIFICATION_CACHE_PREFIX);
		if (/customField/i.test(blamed)) this.cache.delete(this.connection.connectionId, 'custom-fields');
	}

	/** ConnectWise stores long link keys hashed; give callers back the key they know. */
	private withExternalRef(ticket: PsaTicket, externalRef: string): PsaTicket {
		return ticket.externalRef === this.externalReferenceOf(externalRef) ? { ...ticket, externalRef } : ticket;
	}
}

function requiredSetting(value: unknown, name: string): string {
	return requiredSetting_(value, 'ConnectWise', name);
}

function positiveId(value: unknown, what: string): number {
	return recordId(value, what, `${what}/id`);
}

