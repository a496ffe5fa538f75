// AutotaskProvider: the PsaProvider for Datto/Kaseya Autotask PSA, speaking PSA-domain types over the Autotask REST API (V1.0).
import { PsaCache } from '../../cache';
import type { ProviderDeclaration, ProviderDeps } from '../definition';
import { PsaError, isPsaError } from '../errors';
import { psaReferenceOf } from '../link-key';
import { clockOf, retryPolicyOf } from '../runtime';
import { oneLineTitle, ticketDescription } from '../text';
import type {
	PsaBoard,
	PsaChoice,
	PsaConfigurationItem,
	PsaConfigurationItemQuery,
	PsaCustomFieldDefinition,
	PsaTicketSearch,
	PsaTicketUpdate,
	PsaCallbackCreate,
	PsaCallbackEvent,
	PsaCallbackLevel,
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
import { filterLocally, isObject, recordId, requiredSetting, searchText } from '../values';
import { AutotaskClient } from './client';
import { AutotaskWork } from './work';
import { AutotaskConfigurationItems } from './configuration-items';
import { type AutotaskUdf, customFieldDefinitionsOf, publicDefinitions } from './custom-fields';
import { AUTOTASK_DECLARATION, TITLE_MAX } from './declaration';
import { Filter, q } from './filter';
import { AutotaskLookups, DEFAULT_LIST_LIMIT } from './lookups';
import { checkAutotaskPermissions } from './permissions';
import { type EntityPicklists, choicesFrom, defaultValue, labelsFrom, picklistsOf, prioritiesFrom, queuesFrom, statusesFrom } from './picklists';
import { COMPLETE_STATUS, PUBLISH_ALL, PUBLISH_INTERNAL, RESOLUTION_TITLE, fieldOf, idOf, itemIdOf, itemOf, readNote, readTicket } from './read';
import { AutotaskWebhooks } from './registration';
import { searchTickets } from './search';
import { createConfigurationItem, detailFields, explainRefusal, updateBody, updateNamesAField } from './ticket-fields';
import { type AutotaskSettings, ZONE_LOOKUP_ORIGIN, autotaskConnectionId, normaliseZoneUrl } from './zone';

export type { AutotaskSettings } from './zone';
export { DEFAULT_LIST_LIMIT } from './lookups';
export { EXTERNAL_ID_MAX, TITLE_MAX } from './declaration';

export const DESCRIPTION_MAX = 8000;
export const NOTE_TITLE_MAX = 250;
export const NOTE_MAX = 32000;
/** Tickets read for a search by link key: keys differing only in case share a case-insensitive match. */
const EXTERNAL_REF_MATCHES = 50;
/**
 * Tickets this process read or wrote in the last minute, so a status change right after (Link → Note → Status in one
 * run) needs no read back for its output; older knowledge is read again, as fields may have changed in Autotask.
 */
const TICKET_TTL_MS = 60 * 1000;

export { AUTOTASK_OUTCOME_SETTLE_MS } from './declaration';

export class AutotaskProvider implements PsaProvider {
	readonly connection: PsaConnectionInfo;
	readonly outcomeSettleMs: number;
	/** Autotask webhooks watch every ticket of the tenant; the trigger filters queue, status and company on receipt. */
	readonly callbackLevels: readonly PsaCallbackLevel[] = ['owner'];
	readonly callbackSecrets = true;
	private readonly client: AutotaskClient;
	private readonly cache: PsaCache;
	private readonly pageSize?: number;
	private readonly webhooks: AutotaskWebhooks;
	private readonly lookups: AutotaskLookups;
	private readonly configurationItems: AutotaskConfigurationItems;
	private readonly work: AutotaskWork;

	/** `declaration`: what the registry's definition declares (limits, retry, versions, reference field). */
	constructor(settings: AutotaskSettings & { zoneLookupOrigin?: string }, deps: ProviderDeps, private readonly declaration: ProviderDeclaration = AUTOTASK_DECLARATION) {
		if (typeof deps?.http !== 'function') throw new PsaError('configuration', 'AutotaskProvider needs an HTTP transport');
		const transportAuthenticates = settings.transportAuthenticates === true || deps.transportAuthenticates === true;
		const username = requiredSetting(settings.username, 'Autotask', 'Username');
		const secret = transportAuthenticates ? String(settings.secret ?? '') : requiredSetting(settings.secret, 'Autotask', 'Secret');
		const integrationCode = transportAuthenticates ? String(settings.integrationCode ?? '') : requiredSetting(settings.integrationCode, 'Autotask', 'Integration Code');
		const zoneOverride = settings.zoneUrl?.trim() ? normaliseZoneUrl(settings.zoneUrl).url : undefined;
		this.cache = deps.cache ?? new PsaCache();
		this.pageSize = deps.pageSize;
		this.outcomeSettleMs = deps.outcomeSettleMs ?? declaration.outcomeSettleMs;
		const connectionId = autotaskConnectionId(username);
		this.connection = { provider: declaration.key, connectionId, site: zoneOverride ?? 'autotask', company: username.toLowerCase(), label: `Autotask ${username}` };
		this.client = new AutotaskClient({
			username,
			secret,
			integrationCode,
			zoneOverride,
			zoneLookupOrigin: settings.zoneLookupOrigin ?? ZONE_LOOKUP_ORIGIN,
			transportAuthenticates,
			connectionId,
			http: deps.http,
			cache: this.cache,
			retry: retryPolicyOf(declaration, deps),
			...clockOf(deps),
			declaration,
			...(deps.sharedLimits ? { sharedLimits: deps.sharedLimits } : {}),
			...(deps.onRequestEvent ? { onRequestEvent: deps.onRequestEvent } : {}),
		});
		this.webhooks = new AutotaskWebhooks(this.client, this.cache, { username, connectionId }, (path, filter, limit) => this.query(path, filter, limit));
		this.lookups = new AutotaskLookups(this.client, this.cache, connectionId, (path, filter, limit) => this.query(path, filter, limit));
		this.configurationItems = new AutotaskConfigurationItems(this.client, this.cache, connectionId, (path, filter, limit) => this.query(path, filter, limit));
		this.work = new AutotaskWork(this.client, (path, filter, limit) => this.query(path, filter, limit), () => this.declaration.workCapabilities);
	}

	async info(): Promise<PsaServerInfo> {
		const started = this.client.config.now();
		const zone = await this.client.zone();
		const threshold = await this.client.request({ method: 'GET', path: '/ThresholdInformation' });
		const latencyMs = this.client.config.now() - started;
		// The version list only feeds the drift report: a zone that does not answer it does not fail the test.
		const versions = await this.client.versions().catch(() => [] as string[]);
		const newer = versions.filter((version) => versionNumber(version) > versionNumber(this.client.apiVersion)).sort((a, b) => versionNumber(a) - versionNumber(b));
		const info: PsaServerInfo = { serverVersion: `Autotask${zone.name ? ` (${zone.name})` : ''}`, apiLocation: zone.url, isCloud: true, pinnedApiVersion: this.client.apiVersion, latencyMs };
		if (versions.length) info.currentApiVersion = newer.length ? newer[newer.length - 1] : this.client.apiVersion;
		if (newer.length) {
			this.client.warn(
				'version-drift',
				`Autotask lists REST API version(s) ${newer.join(', ')}; this package pins ${this.client.apiVersion} and keeps using it until a release of the package supports the newer one.`,
			);
		}
		if (isObject(threshold)) {
			const limit = idOf(threshold.externalRequestThreshold);
			const used = idOf(threshold.currentTimeframeRequestCount);
			if (limit !== undefined && used !== undefined) info.requestBudget = { limit, used, windowMinutes: idOf(threshold.requestThresholdTimeframe) ?? 60 };
		}
		return info;
	}

	/** One request per entity the package uses (see permissions.ts). */
	checkPermissions(): Promise<PsaPermissionCheck[]> {
		return checkAutotaskPermissions(this.client, (id) => this.removeCallback(id));
	}

	async createTicket(input: PsaTicketCreate, options: PsaCreateOptions = {}): Promise<PsaTicket> {
		let body: Record<string, unknown>;
		let lists: EntityPicklists;
		try {
			({ body, lists } = await this.ticketBody(input));
		} catch (error) {
			// Nothing was sent: the caller may release its claim.
			if (isPsaError(error)) error.details.refused = true;
			throw error;
		}
		const create = async () => {
			const answer = await this.client.request({ method: 'POST', path: '/Tickets', body, create: true }).catch((error: unknown) => {
				throw this.explained(error);
			});
			const id = itemIdOf(answer, 'POST /Tickets');
			const labels = labelsFrom(lists);
			const ticket = readTicket({ ...body, id, lastTrackedModificationDateTime: new Date(this.client.config.now()).toISOString() }, 'POST /Tickets', labels);
			this.remember(ticket);
			return { ...ticket, externalRef: input.externalRef };
		};
		if (!options.retrySafe) return create();
		return this.client.createOnce(create, () => this.findTicketByExternalRef(input.externalRef), (error) => isPsaError(error) && error.details.outcomeUnknown === true);
	}

	/** The create body: title cut to 255, defaults from the picklists, the owner with its default role, the detail fields and one configuration item. */
	private async ticketBody(input: PsaTicketCreate): Promise<{ body: Record<string, unknown>; lists: EntityPicklists }> {
		const companyId = nonNegativeId(input?.companyId, 'company');
		const { summary, truncated } = oneLineTitle(String(input.summary ?? ''), TITLE_MAX);
		const externalID = this.externalReferenceOf(input.externalRef);
		const lists = await this.ticketPicklists();
		const statusId = input.statusId ?? defaultValue(lists.status);
		const priorityId = input.priorityId ?? defaultValue(lists.priority);
		if (statusId === undefined || priorityId === undefined) {
			throw new PsaError('configuration', 'Autotask lists no active ticket status or priority to create a ticket with', { hint: 'Choose a Status and a Priority in the node' });
		}
		const body: Record<string, unknown> = { companyID: companyId, title: summary, status: positiveId(statusId, 'status'), priority: positiveId(priorityId, 'priority'), externalID };
		const description = cut(ticketDescription(String(input.summary), input.description, truncated), DESCRIPTION_MAX);
		if (description) body.description = description;
		if (input.boardId !== undefined && input.boardId !== null) body.queueID = positiveId(input.boardId, 'board');
		if (input.contactId !== undefined && input.contactId !== null) body.contactID = positiveId(input.contactId, 'contact');
		if (input.ownerId !== undefined && input.ownerId !== null) {
			// Autotask assigns a resource only together with a role: the resource's default service desk role.
			const owner = positiveId(input.ownerId, 'owner');
			body.assignedResourceID = owner;
			body.assignedResourceRoleID = await this.defaultRoleOf(owner);
		}
		// Everything goes into the one create request: no second write after it, so the create stays exactly-once.
		Object.assign(body, detailFields(input, 'create', input.customFields ? await this.customFieldDefinitions() : undefined));
		const configurationItemId = createConfigurationItem(input);
		if (configurationItemId !== undefined) body.configurationItemID = configurationItemId;
		return { body, lists };
	}

	getTicket(id: number): Promise<PsaTicket> {
		return this.readTicketById(id);
	}

	/** The ticket with every UDF by name (the ticket answer carries them; the definitions are a cached lookup). */
	async getTicketDetails(id: number): Promise<PsaTicket> {
		return this.readTicketById(id, await this.customFieldDefinitions());
	}

	private async readTicketById(id: number, definitions?: AutotaskUdf[]): Promise<PsaTicket> {
		const ticketId = positiveId(id, 'ticket');
		const labels = labelsFrom(await this.ticketPicklists());
		let item: Record<string, unknown> | null;
		try {
			item = itemOf(await this.client.request({ method: 'GET', path: `/Tickets/${ticketId}` }), `GET /Tickets/${ticketId}`);
		} catch (error) {
			if (isPsaError(error, 'not-found')) throw new PsaError('not-found', `Autotask has no ticket ${ticketId}`, { ...error.details });
			throw error;
		}
		// Some zones answer an unknown id with {"item": null} instead of 404.
		if (!item) throw new PsaError('not-found', `Autotask has no ticket ${ticketId}`, { status: 200, request: `GET /Tickets/${ticketId}`, refused: true });
		const ticket = readTicket(item, `GET /Tickets/${ticketId}`, labels, definitions);
		this.remember(ticket);
		return ticket;
	}

	async findTicketByExternalRef(externalRef: string): Promise<PsaTicket | undefined> {
		const reference = this.externalReferenceOf(externalRef);
		const labels = labelsFrom(await this.ticketPicklists());
		const items = await this.query('/Tickets/query', [q.eq('externalID', reference)], EXTERNAL_REF_MATCHES);
		// Autotask compares text case-insensitively; only an exact match is this link's ticket.
		const ticket = items.map((item) => readTicket(item, 'POST /Tickets/query', labels)).find((candidate) => candidate.externalRef === reference);
		if (!ticket) return undefined;
		this.remember(ticket);
		return { ...ticket, externalRef };
	}

	externalReferenceOf(linkKey: string): string {
		const { field, maxLength } = this.declaration.externalReference;
		if (typeof linkKey !== 'string' || !linkKey.trim()) throw new PsaError('invalid-input', 'A ticket link needs an external reference', { field });
		return psaReferenceOf(linkKey, maxLength);
	}

	async listTickets(query: PsaTicketListQuery = {}): Promise<PsaTicket[]> {
		const labels = labelsFrom(await this.ticketPicklists());
		const search = searchText(query.search);
		const items = await this.query(
			'/Tickets/query',
			[
				query.boardId !== undefined ? q.eq('queueID', positiveId(query.boardId, 'board')) : undefined,
				query.companyId !== undefined ? q.eq('companyID', nonNegativeId(query.companyId, 'company')) : undefined,
				query.openOnly ? q.noteq('status', COMPLETE_STATUS) : undefined,
				search ? q.contains('title', search) : undefined,
			],
			query.limit ?? DEFAULT_LIST_LIMIT,
		);
		return items.map((item) => readTicket(item, 'POST /Tickets/query', labels));
	}

	/** PATCH by body id (Autotask refuses PATCH /Tickets/{id}); the ticket is read back only when this process has not read it. */
	async updateTicketStatus(id: number, statusId: number): Promise<PsaTicket> {
		const ticketId = positiveId(id, 'ticket');
		const status = positiveId(statusId, 'status');
		try {
			await this.client.request({ method: 'PATCH', path: '/Tickets', body: { id: ticketId, status } });
		} catch (error) {
			if (isPsaError(error, 'invalid-input') && /status/i.test(`${error.details.field ?? ''} ${error.details.providerMessage ?? ''}`)) {
				this.cache.invalidate(this.connection.connectionId, 'picklists:Tickets');
			}
			throw error;
		}
		const known = this.cache.get<PsaTicket>(this.connection.connectionId, `ticket:${ticketId}`);
		if (!known) return this.getTicket(ticketId);
		const labels = labelsFrom(await this.ticketPicklists());
		const now = new Date(this.client.config.now()).toISOString();
		const ticket: PsaTicket = { ...known, status: { id: status, name: labels.status.get(status) ?? '' }, closed: status === COMPLETE_STATUS, updatedAt: now };
		if (ticket.closed) ticket.closedAt = now;
		else delete ticket.closedAt;
		// The read named whoever changed the ticket before this PATCH (a technician, say), not the author of this change:
		// passed on, the own-change record would name the technician and learn them as this connection's identity.
		delete ticket.updatedBy;
		this.remember(ticket);
		return ticket;
	}

	/** One PATCH with only the fields present (the id in the body); the ticket is then read back with its custom fields. */
	async updateTicket(id: number, changes: PsaTicketUpdate): Promise<PsaTicket> {
		const ticketId = positiveId(id, 'ticket');
		if (!isObject(changes as unknown) || !updateNamesAField(changes)) {
			throw new PsaError('invalid-input', 'A ticket update needs at least one field to change', { field: 'changes', refused: true });
		}
		let body: Record<string, unknown>;
		try {
			body = await updateBody(ticketId, changes, {
				definitions: () => this.customFieldDefinitions(),
				defaultRoleOf: (resourceId) => this.defaultRoleOf(resourceId),
			});
		} catch (error) {
			if (isPsaError(error)) error.details.refused = true;
			throw error;
		}
		try {
			await this.client.request({ method: 'PATCH', path: '/Tickets', body });
		} catch (error) {
			throw this.explained(error);
		} finally {
			this.cache.delete(this.connection.connectionId, `ticket:${ticketId}`);
		}
		return this.getTicketDetails(ticketId);
	}

	searchTickets(query: PsaTicketSearch): Promise<PsaTicket[]> {
		return searchTickets(query, {
			picklists: () => this.ticketPicklists(),
			definitions: () => this.customFieldDefinitions(),
			query: (path, filter, limit) => this.query(path, filter, limit),
		});
	}

	ticketUrl(id: number): string {
		const zone = this.client.cachedZone();
		return `${zone?.webUrl ?? 'https://www.autotask.net/'}Mvc/ServiceDesk/TicketDetail.mvc?workspace=False&mode=0&TicketID=${positiveId(id, 'ticket')}`;
	}

	parseTicketUrl(url: string): number | undefined {
		if (typeof url !== 'string') return undefined;
		let parsed: URL;
		try {
			parsed = new URL(url.trim());
		} catch {
			return undefined;
		}
		const zone = this.client.cachedZone();
		const hosts = [zone?.host, zone ? new URL(zone.webUrl).host : undefined].filter(Boolean);
		if (!/(^|\.)autotask\.net$/i.test(parsed.hostname) && !hosts.includes(parsed.host.toLowerCase())) return undefined;
		for (const [name, value] of parsed.searchParams) if (name.toLowerCase() === 'ticketid') return idOf(value) ?? undefined;
		const api = /\/tickets\/(\d+)\/?$/i.exec(parsed.pathname);
		return api ? idOf(api[1]) : undefined;
	}

	async addNote(input: PsaNoteCreate): Promise<PsaNote> {
		const ticketId = positiveId(input?.ticketId, 'ticket');
		const text = String(input.text ?? '');
		if (!text.trim()) throw new PsaError('invalid-input', 'A note needs text', { field: 'text' });
		if (text.length > NOTE_MAX) throw new PsaError('invalid-input', `An Autotask note holds at most ${NOTE_MAX} characters; this one has ${text.length}`, { field: 'description' });
		if (!['discussion', 'internal', 'resolution'].includes(input.type)) {
			throw new PsaError('invalid-input', `'${String(input.type)}' is not a note type (discussion, internal, resolution)`, { field: 'type' });
		}
		let noteLists: EntityPicklists;
		try {
			noteLists = await picklistsOf(this.client, this.cache, this.connection.connectionId, 'TicketNotes');
		} catch (error) {
			// Nothing was sent: the caller may give its receipt back.
			if (isPsaError(error)) error.details.refused = true;
			throw error;
		}
		const title = input.type === 'resolution' ? RESOLUTION_TITLE : oneLineTitle(text, NOTE_TITLE_MAX).summary;
		const body = { ticketID: ticketId, title, description: text, noteType: defaultValue(noteLists.notetype) ?? 1, publish: input.type === 'internal' ? PUBLISH_INTERNAL : PUBLISH_ALL };
		const memberId = input.memberId !== undefined && input.memberId !== null ? positiveId(input.memberId, 'member') : undefined;
		const path = `/Tickets/${ticketId}/Notes`;
		try {
			// A mapped member is the note's author through impersonation; Autotask refuses the header on queries only.
			const answer = await this.client.request({ method: 'POST', path, body, create: true, ...(memberId !== undefined ? { impersonate: memberId } : {}) });
			const id = itemIdOf(answer, `POST ${path}`);
			return readNote({ ...body, id, ...(memberId !== undefined ? { creatorResourceID: memberId } : {}), createDateTime: new Date(this.client.config.now()).toISOString() }, `POST ${path}`);
		} catch (error) {
			if (memberId !== undefined && isPsaError(error) && (error.kind === 'permission' || /resource|impersonat/i.test(error.details.providerMessage ?? ''))) {
				this.cache.invalidate(this.connection.connectionId, 'members-by-email:');
			}
			throw error;
		}
	}

	async listNotes(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaNote[]> {
		const id = positiveId(ticketId, 'ticket');
		const search = searchText(query.search);
		const limit = query.limit ?? DEFAULT_LIST_LIMIT;
		// Autotask queries have no order: ids ascend, so the newest notes are read whole and the tail kept.
		const items = await this.query('/TicketNotes/query', [q.eq('ticketID', id), search ? q.contains('description', search) : undefined], query.newestFirst ? undefined : limit);
		const notes = items.map((item) => readNote(item, 'POST /TicketNotes/query', id)).sort((a, b) => a.id - b.id);
		return query.newestFirst ? notes.reverse().slice(0, Math.max(0, limit)) : notes.slice(0, Math.max(0, limit));
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

	async listBoards(query: PsaListQuery = {}): Promise<PsaBoard[]> {
		return filterLocally(queuesFrom(await this.ticketPicklists()), query, (queue) => [queue.name]);
	}

	/** Statuses are tenant-wide: every queue, and a ticket without one (queue 0), offers the same list. */
	async listStatuses(boardId: number): Promise<PsaStatus[]> {
		return statusesFrom(await this.ticketPicklists(), nonNegativeId(boardId, 'board'));
	}

	async listPriorities(): Promise<PsaPriority[]> {
		return prioritiesFrom(await this.ticketPicklists());
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
		return this.webhooks.register(input);
	}

	listCallbacks(): Promise<PsaCallbackRegistration[]> {
		return this.webhooks.list();
	}

	removeCallback(id: number): Promise<void> {
		return this.webhooks.remove(positiveId(id, 'callback'));
	}

	async verifyCallback(request: PsaCallbackRequest): Promise<PsaCallbackEvent> {
		return this.webhooks.verify(request);
	}

	get ticketCapabilities() {
		return this.declaration.ticketCapabilities;
	}

	get workCapabilities() {
		return this.declaration.workCapabilities;
	}

	/** Issue types: PSA-wide picklist values (the board is ignored: Autotask's classification does not depend on the queue). */
	async listTicketTypes(_boardId?: number): Promise<PsaChoice[]> {
		return choicesFrom((await this.ticketPicklists()).issuetype);
	}

	/** The sub-issue types whose parentValue is the issue type: only those are valid with it. */
	async listTicketSubtypes(typeId: number, _boardId?: number): Promise<PsaChoice[]> {
		const type = positiveId(typeId, 'type');
		return choicesFrom((await this.ticketPicklists()).subissuetype, (value) => value.parentValue === type);
	}

	/** Autotask's classification has two levels: there are no items. */
	async listTicketItems(_typeId: number, _subtypeId: number | undefined, _boardId?: number): Promise<PsaChoice[]> {
		return [];
	}

	/** Autotask tickets have no team (the queue is the board). */
	async listTeams(_boardId?: number): Promise<PsaChoice[]> {
		return [];
	}

	async listSources(): Promise<PsaChoice[]> {
		return choicesFrom((await this.ticketPicklists()).source);
	}

	listSites(companyId: number): Promise<PsaChoice[]> {
		return this.lookups.listSites(companyId);
	}

	async listCustomFields(): Promise<PsaCustomFieldDefinition[]> {
		return publicDefinitions(await this.customFieldDefinitions());
	}

	findConfigurationItems(query: PsaConfigurationItemQuery): Promise<PsaConfigurationItem[]> {
		return this.configurationItems.find(query);
	}

	getConfigurationItem(id: number): Promise<PsaConfigurationItem> {
		return this.configurationItems.get(id);
	}

	listTicketConfigurationItems(ticketId: number): Promise<PsaConfigurationItem[]> {
		return this.configurationItems.listForTicket(ticketId);
	}

	attachConfigurationItem(ticketId: number, configurationItemId: number, options?: { attached?: readonly number[] }): Promise<void> {
		return this.configurationItems.attach(ticketId, configurationItemId, options);
	}

	detachConfigurationItem(ticketId: number, configurationItemId: number): Promise<void> {
		return this.configurationItems.detach(ticketId, configurationItemId);
	}

	takeWarnings(): PsaWarning[] {
		return this.client.takeWarnings();
	}

	private async defaultRoleOf(resourceId: number): Promise<number> {
		const item = itemOf(await this.client.request({ method: 'GET', path: `/Resources/${resourceId}` }), `GET /Resources/${resourceId}`);
		const role = item ? idOf(fieldOf(item, 'defaultServiceDeskRoleID')) : undefined;
		if (role === undefined) {
			throw new PsaError('invalid-input', `Autotask resource ${resourceId} has no default service desk role, which Autotask needs to assign a ticket`, {
				field: 'assignedResourceRoleID',
				hint: 'Give the resource a default service desk role in Autotask, or leave the owner empty',
			});
		}
		return role;
	}

	private ticketPicklists() {
		return picklistsOf(this.client, this.cache, this.connection.connectionId, 'Tickets');
	}

	private customFieldDefinitions(): Promise<AutotaskUdf[]> {
		return customFieldDefinitionsOf(this.client, this.cache, this.connection.connectionId);
	}

	/** A refused ticket write, with what to choose instead; the cached lists it was built from are read again next time. */
	private explained(error: unknown): unknown {
		const stale = explainRefusal(error);
		if (stale) this.cache.invalidate(this.connection.connectionId, stale);
		return error;
	}

	private remember(ticket: PsaTicket): void {
		this.cache.set(this.connection.connectionId, `ticket:${ticket.id}`, ticket, TICKET_TTL_MS);
	}

	private query(path: string, filter: Array<Filter | undefined>, limit: number | undefined): Promise<unknown[]> {
		return this.client.query(path, filter.filter((item): item is Filter => item !== undefined), { limit, pageSize: this.pageSize });
	}
}
function versionNumber(version: string): number {
	const match = /^v?(\d+)(?:\.(\d+))?$/i.exec(version.trim());
	return match ? Number(match[1]) * 1000 + Number(match[2] ?? 0) : 0;
}

function positiveId(value: unknown, what: string): number {
	return recordId(value, what, `${what}ID`);
}

/** Company 0 is the tenant's own company in Autotask. */
function nonNegativeId(value: unknown, what: string): number {
	return recordId(value, what, `${what}ID`, 0);
}

function cut(text: string | undefined, max: number): string | undefined {
	if (text === undefined || text.length <= max) return text;
	const marker = '\n\u2026 (cut to fit Autotask)';
	return text.slice(0, max - marker.length) + marker;
}

