// HaloPsaProvider: the PsaProvider for HaloPSA, speaking PSA-domain types over Halo's REST API (OAuth 2 client credentials, upsert arrays, ExternalLink records as the link's reference, Actions as notes).
import { PsaCache } from '../../cache';
import type { ProviderDeclaration, ProviderDeps } from '../definition';
import { PsaError, isPsaError } from '../errors';
import { psaReferenceOf } from '../link-key';
import { clockOf, retryPolicyOf } from '../runtime';
import { oneLineTitle, ticketDescription } from '../text';
import type {
	PsaBoard,
	PsaCallbackCreate,
	PsaCallbackEvent,
	PsaCallbackLevel,
	PsaCallbackRegistration,
	PsaCallbackRequest,
	PsaChoice,
	PsaCompany,
	PsaConfigurationItem,
	PsaConfigurationItemQuery,
	PsaConnectionInfo,
	PsaContact,
	PsaCreateOptions,
	PsaCustomFieldDefinition,
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
	PsaTicketSearch,
	PsaTicketUpdate,
	PsaWarning,
	PsaWorkChoiceKind,
	PsaTimeEntry,
	PsaTimeEntryCreate,
	PsaAttachment,
	PsaAttachmentCreate,
} from '../types';
import { filterLocally, isObject, recordId, requiredSetting, searchText } from '../values';
import { HaloClient } from './client';
import { HALO_DECLARATION } from './declaration';
import { HaloLookups } from './lookups';
import { checkHaloPermissions } from './permissions';
import { LINK_TYPE, idOf, readAgent, readAsset, readChoice, readClient, readNote, readTicket, readUser, savedRecord, textOf } from './read';
import { type HaloSettings, haloConnectionId } from './settings';
import { SUMMARY_MAX, checkSearchFields, detailFields, matches, positiveId, serverQuery } from './tickets';
import { HaloWebhooks } from './webhooks';
import { HaloWork } from './work';

export type { HaloSettings } from './settings';

const DEFAULT_LIST_LIMIT = 100;
/** Halo's table id of tickets in ExternalLink records [open]. */
export const TICKET_TABLE_ID = 1;
/** A search reads at most this many tickets to find its matches (the conditions Halo cannot filter are checked here). */
const SEARCH_SCAN_MAX = 2000;
const MEMBERS_TTL_MS = 10 * 60 * 1000;

/** Sites change rarely; ten minutes like the other providers' site lists. */
const SITES_TTL_MS = 10 * 60 * 1000;

export class HaloPsaProvider implements PsaProvider {
	readonly connection: PsaConnectionInfo;
	readonly outcomeSettleMs: number;
	/** Halo webhooks watch every ticket of the tenant; the trigger filters on receipt. */
	readonly callbackLevels: readonly PsaCallbackLevel[] = ['owner'];
	readonly callbackSecrets = true;
	private readonly client: HaloClient;
	private readonly cache: PsaCache;
	private readonly lookups: HaloLookups;
	private readonly webhooks: HaloWebhooks;
	private readonly work: HaloWork;
	private readonly webOrigin: string;

	constructor(
		private readonly settings: HaloSettings,
		deps: ProviderDeps,
		private readonly declaration: ProviderDeclaration = HALO_DECLARATION,
	) {
		if (typeof deps?.http !== 'function') throw new PsaError('configuration', 'HaloPsaProvider needs an HTTP transport');
		const clientId = requiredSetting(settings.clientId, 'HaloPSA', 'Client ID');
		requiredSetting(settings.clientSecret, 'HaloPSA', 'Client Secret');
		const resource = new URL(settings.resourceUrl);
		this.webOrigin = `${resource.origin}${resource.pathname.replace(/\/api$/i, '')}`;
		this.cache = deps.cache ?? new PsaCache();
		this.outcomeSettleMs = deps.outcomeSettleMs ?? declaration.outcomeSettleMs;
		const connectionId = haloConnectionId(settings.resourceUrl, clientId);
		this.connection = { provider: declaration.key, connectionId, site: resource.host.toLowerCase(), company: clientId, label: `HaloPSA ${resource.host.toLowerCase()}` };
		this.client = new HaloClient({
			settings,
			connectionId,
			http: deps.http,
			cache: this.cache,
			retry: retryPolicyOf(declaration, deps),
			...clockOf(deps),
			declaration,
			...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
			...(deps.sharedLimits ? { sharedLimits: deps.sharedLimits } : {}),
			...(deps.onRequestEvent ? { onRequestEvent: deps.onRequestEvent } : {}),
		});
		this.lookups = new HaloLookups(this.client, this.cache, connectionId);
		this.webhooks = new HaloWebhooks(this.client, this.cache, connectionId);
		this.work = new HaloWork(this.client, this.lookups, () => this.declaration.workCapabilities);
	}

	get ticketCapabilities() {
		return this.declaration.ticketCapabilities;
	}

	get workCapabilities() {
		return this.declaration.workCapabilities;
	}

	/** /InstanceInfo names the tenant's version: recorded, and a newer one than the tested pin is reported as drift. */
	async info(): Promise<PsaServerInfo> {
		const started = this.client.config.now();
		const answer = await this.client.request({ method: 'GET', path: '/InstanceInfo' });
		const latencyMs = this.client.config.now() - started;
		const body = isObject(answer) ? answer : {};
		const version = textOf(body.version) ?? textOf(body.Version) ?? textOf(body.halo_version) ?? '';
		const pinned = this.declaration.versions.defaultPin;
		const info: PsaServerInfo = {
			serverVersion: `HaloPSA${version ? ` ${version}` : ''}`,
			apiLocation: this.settings.resourceUrl,
			isCloud: /\.halopsa\.com$/i.test(new URL(this.settings.resourceUrl).hostname),
			pinnedApiVersion: pinned,
			latencyMs,
		};
		if (version) info.currentApiVersion = version;
		if (version && releaseOf(version) > releaseOf(pinned)) {
			this.client.warn('version-drift', `The Halo tenant runs version ${version}; this release of PSA Bridge was tested against ${pinned}. Halo's API carries no version, so watch for changed fields and a PSA Bridge release tested on ${version}.`);
		}
		return info;
	}

	checkPermissions(): Promise<PsaPermissionCheck[]> {
		return checkHaloPermissions(this.client);
	}

	async createTicket(input: PsaTicketCreate, options: PsaCreateOptions = {}): Promise<PsaTicket> {
		let body: Record<string, unknown>;
		let labels: Awaited<ReturnType<HaloLookups['labels']>>;
		let me: PsaMember | undefined;
		try {
			body = await this.ticketBody(input);
			// Read before the create: nothing may fail between Halo's answer and the ticket handed back.
			labels = await this.lookups.labels();
			me = await this.lookups.me().catch(() => undefined);
		} catch (error) {
			// Nothing was sent: the caller may release its claim.
			if (isPsaError(error)) error.details.refused = true;
			throw error;
		}
		const create = async () => {
			const saved = savedRecord(await this.client.request({ method: 'POST', path: '/Tickets', body: [body], create: true }), 'POST /Tickets');
			const ticket = readTicket({ ...body, ...saved }, 'POST /Tickets', labels, me?.name);
			return { ...ticket, externalRef: input.externalRef };
		};
		if (!options.retrySafe) return create();
		return this.client.createOnce(create, () => this.findTicketByExternalRef(input.externalRef), (error) => isPsaError(error) && error.details.outcomeUnknown === true);
	}

	/** The Faults record, with the ExternalLink carried in the same upsert so ticket and reference commit together [open]. */
	private async ticketBody(input: PsaTicketCreate): Promise<Record<string, unknown>> {
		const clientId = positiveId(input?.companyId, 'company', 'client_id');
		const { summary, truncated } = oneLineTitle(String(input.summary ?? ''), SUMMARY_MAX);
		const reference = this.externalReferenceOf(input.externalRef);
		const body: Record<string, unknown> = {
			summary,
			client_id: clientId,
			new_external_link: { third_party_id: reference, third_party_type: LINK_TYPE, table_id: TICKET_TABLE_ID },
		};
		const details = ticketDescription(String(input.summary), input.description, truncated);
		if (details) body.details = details;
		const ids: Array<[keyof PsaTicketCreate, string, string]> = [
			['boardId', 'tickettype_id', 'ticket type'],
			['statusId', 'status_id', 'status'],
			['priorityId', 'priority_id', 'priority'],
			['contactId', 'user_id', 'user'],
			['ownerId', 'agent_id', 'agent'],
		];
		for (const [name, field, what] of ids) if (input[name] !== undefined && input[name] !== null) body[field] = positiveId(input[name], what, field);
		Object.assign(body, await detailFields(input, this.lookups));
		if (input.configurationItemIds?.length) body.assets = input.configurationItemIds.map((id) => ({ id: positiveId(id, 'asset') }));
		return body;
	}

	private async ticketRecord(id: number): Promise<Record<string, unknown>> {
		const ticketId = positiveId(id, 'ticket');
		let answer: unknown;
		try {
			answer = await this.client.request({ method: 'GET', path: `/Tickets/${ticketId}`, query: { includedetails: true, includelastaction: true } });
		} catch (error) {
			if (isPsaError(error, 'not-found')) throw new PsaError('not-found', `Halo has no ticket ${ticketId}`, { ...error.details });
			throw error;
		}
		// Only Halo's 404 says the ticket is gone. A 200 that is not this ticket (a proxy's page, a cut-off body) proves
		// nothing: taken for "gone", it would let a link replace a live ticket with a second one.
		if (!isObject(answer) || idOf(answer.id) !== ticketId) {
			throw new PsaError('unavailable', `Halo answered GET /Tickets/${ticketId} with something that is not that ticket`, {
				status: 200,
				request: `GET /Tickets/${ticketId}`,
				hint: 'Retry: the answer was not readable (a proxy or gateway may have answered for Halo).',
			});
		}
		return answer;
	}

	async getTicket(id: number): Promise<PsaTicket> {
		const record = await this.ticketRecord(id);
		return readTicket(record, `GET /Tickets/${id}`, await this.lookups.labels(), textOf(record.action_agent_name));
	}

	getTicketDetails(id: number): Promise<PsaTicket> {
		return this.getTicket(id);
	}

	async findTicketByExternalRef(externalRef: string): Promise<PsaTicket | undefined> {
		const reference = this.externalReferenceOf(externalRef);
		const links = await this.client.list('/ExternalLink', 'externallinks', { third_party_id: reference, third_party_type: LINK_TYPE, table_id: TICKET_TABLE_ID });
		// Only an exact match of this package's own link type is this link's ticket.
		const ids = links.filter((link) => link.third_party_id === reference && link.third_party_type === LINK_TYPE).map((link) => idOf(link.halo_id)).filter((id): id is number => id !== undefined);
		for (const id of [...new Set(ids)].sort((a, b) => a - b)) {
			try {
				return { ...(await this.getTicket(id)), externalRef };
			} catch (error) {
				if (!isPsaError(error, 'not-found')) throw error;
			}
		}
		return undefined;
	}

	externalReferenceOf(linkKey: string): string {
		const { field, maxLength } = this.declaration.externalReference;
		if (typeof linkKey !== 'string' || !linkKey.trim()) throw new PsaError('invalid-input', 'A ticket link needs an external reference', { field });
		return psaReferenceOf(linkKey, maxLength);
	}

	async listTickets(query: PsaTicketListQuery = {}): Promise<PsaTicket[]> {
		const labels = await this.lookups.labels();
		const records = await this.client.list(
			'/Tickets',
			'tickets',
			{
				requesttype_id: query.boardId !== undefined ? positiveId(query.boardId, 'ticket type') : undefined,
				client_id: query.companyId !== undefined ? positiveId(query.companyId, 'company', 'client_id') : undefined,
				open_only: query.openOnly ? true : undefined,
				search: searchText(query.search),
			},
			{ limit: query.limit ?? DEFAULT_LIST_LIMIT, paged: true },
		);
		return records.map((record) => readTicket(record, 'GET /Tickets', labels));
	}

	/** Halo filters what its query parameters can say; every condition is then checked on the tickets it returned. */
	async searchTickets(query: PsaTicketSearch): Promise<PsaTicket[]> {
		const limit = query.limit ?? DEFAULT_LIST_LIMIT;
		// Halo filters most conditions here, after the read: a name that means nothing would match nothing, silently.
		checkSearchFields(query.where, (await this.listCustomFields()).map((definition) => definition.name));
		const labels = await this.lookups.labels();
		const records = await this.client.list('/Tickets', 'tickets', serverQuery(query), { limit: SEARCH_SCAN_MAX, paged: true });
		const found: PsaTicket[] = [];
		for (const record of records) {
			const ticket = readTicket(record, 'GET /Tickets', labels);
			if (query.state === 'open' && ticket.closed) continue;
			if (query.state === 'closed' && !ticket.closed) continue;
			if (!matches(ticket, query.where)) continue;
			found.push(ticket);
			if (found.length >= limit) break;
		}
		return found.sort((a, b) => (query.newestFirst ? b.id - a.id : a.id - b.id));
	}

	async updateTicketStatus(id: number, statusId: number): Promise<PsaTicket> {
		return this.saveTicket(positiveId(id, 'ticket'), { status_id: positiveId(statusId, 'status') });
	}

	async updateTicket(id: number, changes: PsaTicketUpdate): Promise<PsaTicket> {
		const ticketId = positiveId(id, 'ticket');
		const body: Record<string, unknown> = await detailFields(changes ?? {}, this.lookups);
		if (changes.summary !== undefined) body.summary = oneLineTitle(String(changes.summary), SUMMARY_MAX).summary;
		const ids: Array<[keyof PsaTicketUpdate, string, string]> = [
			['boardId', 'tickettype_id', 'ticket type'],
			['statusId', 'status_id', 'status'],
			['priorityId', 'priority_id', 'priority'],
			['contactId', 'user_id', 'user'],
			['ownerId', 'agent_id', 'agent'],
		];
		for (const [name, field, what] of ids) if (changes[name] !== undefined && changes[name] !== null) body[field] = positiveId(changes[name], what, field);
		if (Object.keys(body).length === 0) return this.getTicket(ticketId);
		return this.saveTicket(ticketId, body);
	}

	/** One upsert with the ticket's id; Halo answers the saved ticket, whose author is this application's agent. */
	private async saveTicket(ticketId: number, fields: Record<string, unknown>): Promise<PsaTicket> {
		const what = 'POST /Tickets';
		const labels = await this.lookups.labels();
		const me = await this.lookups.me().catch(() => undefined);
		let saved: Record<string, unknown>;
		try {
			saved = savedRecord(await this.client.request({ method: 'POST', path: '/Tickets', body: [{ id: ticketId, ...fields }] }), what);
		} catch (error) {
			if (isPsaError(error, 'invalid-input') && /status/i.test(error.details.providerMessage ?? '')) this.cache.invalidate(this.connection.connectionId, 'statuses');
			throw error;
		}
		if (idOf(saved.id) !== ticketId || saved.status_id === undefined) return this.getTicket(ticketId);
		return readTicket(saved, what, labels, me?.name);
	}

	ticketUrl(id: number): string {
		return `${this.webOrigin}/ticket?id=${positiveId(id, 'ticket')}`;
	}

	parseTicketUrl(url: string): number | undefined {
		if (typeof url !== 'string') return undefined;
		let parsed: URL;
		try {
			parsed = new URL(url.trim());
		} catch {
			return undefined;
		}
		const tenant = new URL(this.webOrigin);
		if (parsed.host.toLowerCase() !== tenant.host.toLowerCase() && !/\.halopsa\.com$/i.test(parsed.hostname)) return undefined;
		const api = /\/tickets\/(\d+)\/?$/i.exec(parsed.pathname);
		if (api) return idOf(api[1]);
		return /ticket/i.test(parsed.pathname) ? idOf(parsed.searchParams.get('id')) : undefined;
	}

	/** An Action on the ticket: internal ones hidden from the user; the action type is the credential's, or Halo's default. */
	async addNote(input: PsaNoteCreate): Promise<PsaNote> {
		const ticketId = positiveId(input?.ticketId, 'ticket');
		const text = String(input.text ?? '');
		if (!text.trim()) throw new PsaError('invalid-input', 'A note needs text', { field: 'note' });
		if (!['discussion', 'internal', 'resolution'].includes(input.type)) {
			throw new PsaError('invalid-input', `'${String(input.type)}' is not a note type (discussion, internal, resolution)`, { field: 'type' });
		}
		const body: Record<string, unknown> = { ticket_id: ticketId, note: text, hiddenfromuser: input.type === 'internal', sendemail: false };
		const outcome = this.settings.noteActionType ?? (input.type === 'resolution' ? 'Resolution' : undefined);
		if (outcome) {
			let outcomeId: number | undefined;
			try {
				outcomeId = (await this.lookups.outcomes()).get(outcome.trim().toLowerCase());
			} catch (error) {
				if (isPsaError(error)) error.details.refused = true;
				throw error;
			}
			if (outcomeId === undefined) {
				throw new PsaError('invalid-input', `Halo has no action type '${outcome}'`, { field: 'outcome', refused: true, hint: "Set the credential's Note Action Type to an action type Halo lists (Configuration > Tickets > Actions)" });
			}
			body.outcome_id = outcomeId;
			body.outcome = outcome;
		}
		if (input.memberId !== undefined && input.memberId !== null) body.who_agentid = positiveId(input.memberId, 'agent', 'who_agentid');
		const saved = savedRecord(await this.client.request({ method: 'POST', path: '/Actions', body: [body], create: true }), 'POST /Actions');
		const note = readNote({ ...body, ...saved }, 'POST /Actions', ticketId);
		return { ...note, text, type: input.type };
	}

	async listNotes(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaNote[]> {
		const id = positiveId(ticketId, 'ticket');
		const records = await this.client.list('/Actions', 'actions', { ticket_id: id, excludesys: true });
		const search = searchText(query.search)?.toLowerCase();
		const notes = records
			.map((record) => readNote(record, 'GET /Actions', id))
			.filter((note) => note.ticketId === id && note.text && (!search || note.text.toLowerCase().includes(search)))
			.sort((a, b) => a.id - b.id);
		const limit = Math.max(0, query.limit ?? DEFAULT_LIST_LIMIT);
		return query.newestFirst ? notes.reverse().slice(0, limit) : notes.slice(0, limit);
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
		return filterLocally(await this.lookups.ticketTypes(), query, (type) => [type.name]);
	}

	/** Statuses are tenant-wide, narrowed by ticket type (the board); 0 lists them all. */
	listStatuses(boardId: number): Promise<PsaStatus[]> {
		return this.lookups.statuses(recordId(boardId, 'ticket type', 'tickettype_id', 0));
	}

	listPriorities(): Promise<PsaPriority[]> {
		return this.lookups.priorities();
	}

	async listCompanies(query: PsaListQuery = {}): Promise<PsaCompany[]> {
		const records = await this.client.list('/Client', 'clients', { search: searchText(query.search) }, { limit: query.limit ?? DEFAULT_LIST_LIMIT, paged: true });
		return records.map((record) => readClient(record, 'GET /Client'));
	}

	async listContacts(query: PsaListQuery & { companyId?: number } = {}): Promise<PsaContact[]> {
		const clientId = query.companyId !== undefined ? positiveId(query.companyId, 'company', 'client_id') : undefined;
		const records = await this.client.list('/Users', 'users', { client_id: clientId, search: searchText(query.search) }, { limit: query.limit ?? DEFAULT_LIST_LIMIT, paged: true });
		return records.map((record) => readUser(record, 'GET /Users')).filter((contact) => clientId === undefined || contact.companyId === undefined || contact.companyId === clientId);
	}

	async listMembers(query: PsaListQuery = {}): Promise<PsaMember[]> {
		const records = await this.client.list('/Agent', 'agents', { search: searchText(query.search), includedisabled: true });
		return filterLocally(records.map((record) => readAgent(record, 'GET /Agent')), query, (member) => [member.name, ...member.emails]);
	}

	async getMember(id: number): Promise<PsaMember> {
		const agentId = positiveId(id, 'agent');
		return readAgent((await this.client.request({ method: 'GET', path: `/Agent/${agentId}` })) as Record<string, unknown>, `GET /Agent/${agentId}`);
	}

	/** Active and inactive agents with the address (the member-map service prefers active ones); cached briefly. */
	findMembersByEmail(email: string): Promise<PsaMember[]> {
		const address = String(email ?? '').trim().toLowerCase();
		if (!address) return Promise.resolve([]);
		return this.cache.getOrLoad(
			this.connection.connectionId,
			`members-by-email:${address}`,
			async () => (await this.listMembers({ search: address })).filter((member) => member.emails.includes(address)),
			MEMBERS_TTL_MS,
		);
	}

	async findMemberByIdentifier(identifier: string): Promise<PsaMember | undefined> {
		const wanted = String(identifier ?? '').trim().toLowerCase();
		if (!wanted) return undefined;
		return (await this.listMembers({ search: wanted })).find((member) => member.identifier.toLowerCase() === wanted);
	}

	async listTicketTypes(): Promise<PsaChoice[]> {
		return this.lookups.categories();
	}

	async listTicketSubtypes(): Promise<PsaChoice[]> {
		return [];
	}

	async listTicketItems(): Promise<PsaChoice[]> {
		return [];
	}

	listTeams(): Promise<PsaChoice[]> {
		return this.lookups.teams();
	}

	async listSources(): Promise<PsaChoice[]> {
		return [];
	}

	async listSites(companyId: number): Promise<PsaChoice[]> {
		const clientId = positiveId(companyId, 'company', 'client_id');
		// Cached per client like the other lookups: a create naming a site checks it without a request each time.
		return this.cache.getOrLoad(this.connection.connectionId, `sites:${clientId}/`, async () =>
			(await this.client.list('/Site', 'sites', { client_id: clientId }, { paged: true })).map((record) => readChoice(record, 'GET /Site')),
		SITES_TTL_MS);
	}

	listCustomFields(): Promise<PsaCustomFieldDefinition[]> {
		return this.lookups.customFields();
	}

	async findConfigurationItems(query: PsaConfigurationItemQuery): Promise<PsaConfigurationItem[]> {
		const wanted = query.value?.trim().toLowerCase();
		const search = query.by && query.by !== 'name' ? wanted : searchText(query.search ?? query.value);
		const records = await this.client.list(
			'/Asset',
			'assets',
			{ client_id: query.companyId !== undefined ? positiveId(query.companyId, 'company', 'client_id') : undefined, search, includeinactive: query.includeInactive ? true : undefined },
			{ paged: true, limit: query.by ? SEARCH_SCAN_MAX : (query.limit ?? DEFAULT_LIST_LIMIT) },
		);
		const items = records.map((record) => readAsset(record, 'GET /Asset')).filter((item) => (query.includeInactive || !item.inactive) && (query.companyId === undefined || item.companyId === query.companyId));
		const field = query.by === 'deviceId' ? 'deviceId' : query.by;
		const exact = field && wanted !== undefined ? items.filter((item) => String(item[field] ?? '').toLowerCase() === wanted) : items;
		return exact.slice(0, query.limit ?? DEFAULT_LIST_LIMIT);
	}

	async getConfigurationItem(id: number): Promise<PsaConfigurationItem> {
		const assetId = positiveId(id, 'asset');
		return readAsset((await this.client.request({ method: 'GET', path: `/Asset/${assetId}` })) as Record<string, unknown>, `GET /Asset/${assetId}`);
	}

	async listTicketConfigurationItems(ticketId: number): Promise<PsaConfigurationItem[]> {
		const record = await this.ticketRecord(ticketId);
		return (Array.isArray(record.assets) ? record.assets.filter(isObject) : []).map((asset) => readAsset(asset, `GET /Tickets/${ticketId}`));
	}

	async attachConfigurationItem(ticketId: number, configurationItemId: number): Promise<void> {
		await this.changeAssets(ticketId, (ids) => [...new Set([...ids, positiveId(configurationItemId, 'asset')])]);
	}

	async detachConfigurationItem(ticketId: number, configurationItemId: number): Promise<void> {
		const assetId = positiveId(configurationItemId, 'asset');
		await this.changeAssets(ticketId, (ids) => ids.filter((id) => id !== assetId));
	}

	/** Faults.assets is the whole list: read, changed, written back only when it differs. */
	private async changeAssets(ticketId: number, change: (ids: number[]) => number[]): Promise<void> {
		const record = await this.ticketRecord(ticketId);
		const ids = (Array.isArray(record.assets) ? record.assets.filter(isObject) : []).map((asset) => idOf(asset.id)).filter((id): id is number => id !== undefined);
		const next = change(ids);
		if (next.length === ids.length && next.every((id) => ids.includes(id))) return;
		await this.client.request({ method: 'POST', path: '/Tickets', body: [{ id: positiveId(ticketId, 'ticket'), assets: next.map((id) => ({ id })) }] });
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

	/** The delivery carries no signature: its secret is checked, then the ticket is read back by id before anything is emitted. */
	verifyCallback(request: PsaCallbackRequest): Promise<PsaCallbackEvent> {
		return this.webhooks.verify(request, async (ticketId) => {
			try {
				const record = await this.ticketRecord(ticketId);
				const ticket = readTicket(record, `GET /Tickets/${ticketId}`, await this.lookups.labels(), textOf(record.action_agent_name));
				const lastActionId = idOf(record.action_number);
				return { ticket, ...(lastActionId !== undefined ? { lastActionId } : {}) };
			} catch (error) {
				if (isPsaError(error, 'not-found')) return undefined;
				throw error;
			}
		});
	}

	/** The API agent (GET /Agent/me): the identity Halo records this connection's changes under. */
	apiAgent(): Promise<PsaMember> {
		return this.lookups.me();
	}

	takeWarnings(): PsaWarning[] {
		return this.client.takeWarnings();
	}
}

/** "2.196.3" -> 2196: the release a tenant runs (major and minor); patches are not drift. */
function releaseOf(version: string): number {
	const match = /(\d+)\.(\d+)/.exec(version);
	return match ? Number(match[1]) * 10_000 + Number(match[2]) : 0;
}

