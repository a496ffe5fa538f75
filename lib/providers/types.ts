// PSA-domain types and the PsaProvider interface every provider adapter implements (no provider field names here).

/** A named reference to a PSA record (board, status, company, member...). */
export interface PsaReference {
	id: number;
	name: string;
}

export interface PsaConnectionInfo {
	/** Provider key, e.g. "connectwise". */
	provider: string;
	/** Stable id derived from provider + site + company; scopes all local state. */
	connectionId: string;
	/** Normalised host (no scheme, no path). */
	site: string;
	/** The PSA company (tenant) id the credential logs into. */
	company: string;
	/** Human label, e.g. "connectwise:na.myconnectwise.net/acme". */
	label: string;
}

export interface PsaServerInfo {
	/** Server product version as reported by the PSA (e.g. "v2025.8.12345"). */
	serverVersion: string;
	/** Where this tenant's API lives, as the PSA resolved it: ConnectWise's codebase ("v4_6_release/"), Autotask's zone URL. */
	apiLocation: string;
	isCloud: boolean;
	/** API version this connection pins. */
	pinnedApiVersion: string;
	/** Newest API version the server reports (api-current-version), when known. */
	currentApiVersion?: string;
	/** Milliseconds the info request took. */
	latencyMs: number;
	/** The PSA's request budget and what this tenant has used of it, when the PSA reports one (Autotask's ThresholdInformation). */
	requestBudget?: { limit: number; used: number; windowMinutes: number };
}

export interface PsaBoard {
	id: number;
	name: string;
	inactive: boolean;
}

export interface PsaStatus {
	id: number;
	name: string;
	boardId: number;
	closed: boolean;
	inactive: boolean;
	isDefault: boolean;
	sortOrder: number;
}

export interface PsaPriority {
	id: number;
	name: string;
	sortOrder: number;
	isDefault: boolean;
}

export interface PsaCompany {
	id: number;
	identifier: string;
	name: string;
}

export interface PsaContact {
	id: number;
	name: string;
	companyId?: number;
	email?: string;
}

export interface PsaMember {
	id: number;
	identifier: string;
	name: string;
	inactive: boolean;
	/** Every email the PSA knows for the member, lower-cased, primary first. */
	emails: string[];
}

export interface PsaTicket {
	id: number;
	summary: string;
	description?: string;
	board: PsaReference;
	status: PsaReference;
	company: PsaReference;
	priority?: PsaReference;
	contact?: PsaReference;
	owner?: PsaReference;
	/** The link key stored on the ticket (ConnectWise externalXRef). */
	externalRef?: string;
	closed: boolean;
	/** When the ticket was closed (ISO 8601), when the PSA says. */
	closedAt?: string;
	/** The ticket this one was merged into (it is then closed for good). */
	mergedIntoTicketId?: number;
	updatedAt?: string;
	/** Who last changed the ticket (ConnectWise _info.updatedBy: a member identifier; the API member for API changes). */
	updatedBy?: string;
	createdAt?: string;
	/** Classification: ConnectWise type / subtype / item; Autotask issue type / sub-issue type (no item). */
	type?: PsaReference;
	subtype?: PsaReference;
	item?: PsaReference;
	team?: PsaReference;
	source?: PsaReference;
	site?: PsaReference;
	/** Scales the PSA keeps as words (ConnectWise severity and impact: Low / Medium / High); absent where it has none. */
	severity?: string;
	impact?: string;
	urgency?: string;
	/** When the ticket is due (ISO 8601). */
	dueAt?: string;
	/** Custom fields (ConnectWise custom fields, Autotask UDFs) by name; a field with no value is null. Absent when not read. */
	customFields?: Record<string, PsaCustomFieldValue>;
	/** Configuration items the ticket itself names (Autotask's one configurationItemID); ConnectWise lists them apart. */
	configurationItemIds?: number[];
}

/** What a custom field holds, as the package hands it over: text, number, boolean, ISO date text, or null. */
export type PsaCustomFieldValue = string | number | boolean | null;

/** The ticket fields beyond the basics, shared by create and update (ids of PSA records, or the PSA's words for scales). */
export interface PsaTicketDetails {
	typeId?: number;
	subtypeId?: number;
	itemId?: number;
	teamId?: number;
	sourceId?: number;
	siteId?: number;
	severity?: string;
	impact?: string;
	urgency?: string;
	/** ISO 8601. */
	dueAt?: string;
	/** By field name, checked against the definitions before any write (see ticket-fields service). */
	customFields?: Record<string, PsaCustomFieldValue>;
}

export interface PsaTicketCreate extends PsaTicketDetails {
	summary: string;
	description?: string;
	companyId: number;
	boardId?: number;
	statusId?: number;
	priorityId?: number;
	contactId?: number;
	ownerId?: number;
	/** Link key written to the ticket so a create whose response was lost can be found again. */
	externalRef: string;
	/**
	 * Configuration items sent in the create request itself: at most `ticketCapabilities.configurationItemsOnCreate` of
	 * them (Autotask: one). The link service attaches any further ones after the create, once.
	 */
	configurationItemIds?: number[];
}

/** A change to a ticket: only the fields present are sent; null clears a field the PSA lets clear. */
export interface PsaTicketUpdate extends Omit<PsaTicketDetails, 'dueAt'> {
	summary?: string;
	boardId?: number;
	statusId?: number;
	priorityId?: number;
	contactId?: number;
	ownerId?: number;
	dueAt?: string | null;
}

/** One choice in a PSA list the editor offers (a type, a team, a source, a site, a work role...). */
export interface PsaChoice {
	id: number;
	name: string;
	inactive?: boolean;
}

/** What a provider's tickets carry beyond the basics; the nodes show and check fields by it. Data only. */
export interface PsaTicketCapabilities {
	/** The classification levels the PSA has, in order: ConnectWise type, subtype, item; Autotask type, subtype. */
	classification: ReadonlyArray<'type' | 'subtype' | 'item'>;
	/** Whether classification choices depend on the board (ConnectWise) or are PSA-wide (Autotask). */
	classificationPerBoard: boolean;
	team: boolean;
	source: boolean;
	site: boolean;
	/** The scales the PSA keeps, each with the words it accepts (e.g. severity: Low, Medium, High). */
	scales: Readonly<Partial<Record<'severity' | 'impact' | 'urgency', readonly string[]>>>;
	dueDate: boolean;
	/**
	 * How many configuration items the create request itself carries (Autotask: 1, its configurationItemID; ConnectWise:
	 * 0). Any further ones are attached after the create, once (the link service records them).
	 */
	configurationItemsOnCreate: number;
}

/** What a configuration item (device) is found by. */
export type PsaConfigurationItemMatch = 'name' | 'serialNumber' | 'macAddress' | 'ipAddress' | 'deviceId';

export interface PsaConfigurationItem {
	id: number;
	name: string;
	companyId?: number;
	typeName?: string;
	serialNumber?: string;
	macAddress?: string;
	ipAddress?: string;
	/** The RMM's id for the device (ConnectWise deviceIdentifier, Autotask rmmDeviceUID / rmmDeviceID). */
	deviceId?: string;
	inactive: boolean;
}

export interface PsaConfigurationItemQuery {
	/** Only items of this company (the ticket's). */
	companyId?: number;
	/** Match this field exactly (case-insensitive for text); without it, `search` matches the name. */
	by?: PsaConfigurationItemMatch;
	value?: string;
	search?: string;
	includeInactive?: boolean;
	limit?: number;
}

export type PsaCustomFieldType = 'text' | 'number' | 'date' | 'datetime' | 'boolean' | 'picklist';

export interface PsaCustomFieldDefinition {
	/** The PSA's id of the definition, when it has one (ConnectWise); Autotask names UDFs only. */
	id?: number;
	/** The name the package sets and reads it by (ConnectWise caption, Autotask UDF name). */
	name: string;
	type: PsaCustomFieldType;
	required: boolean;
	/** For picklists: the values the PSA accepts and the label each shows. */
	picklist?: Array<{ value: string; label: string }>;
	/** Longest text the PSA keeps, when it says. */
	maxLength?: number;
	/** Decimals a number keeps, when the PSA says. */
	decimals?: number;
	inactive?: boolean;
}

/** PSA-neutral ticket fields a search can name, as data: a provider refuses any other name before a request. */
export const PSA_TICKET_SEARCH_FIELDS = ['id', 'summary', 'board', 'status', 'company', 'priority', 'contact', 'owner', 'type', 'subtype', 'item', 'team', 'source', 'site', 'externalReference', 'createdAt', 'updatedAt', 'dueAt', 'closed'] as const;

/** PSA-neutral ticket fields a search can name; providers map each to their own. */
export type PsaTicketSearchField =
	| 'id'
	| 'summary'
	| 'board'
	| 'status'
	| 'company'
	| 'priority'
	| 'contact'
	| 'owner'
	| 'type'
	| 'subtype'
	| 'item'
	| 'team'
	| 'source'
	| 'site'
	| 'externalReference'
	| 'createdAt'
	| 'updatedAt'
	| 'dueAt'
	| 'closed';

export type PsaSearchOperator = 'eq' | 'ne' | 'contains' | 'startsWith' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'isNull' | 'isNotNull';

export interface PsaTicketCondition {
	/** A PsaTicketSearchField, or with `customField` the custom field's name. */
	field: string;
	customField?: boolean;
	operator: PsaSearchOperator;
	/** Text, number, boolean or ISO date; an array for 'in'; absent for isNull / isNotNull. Never pasted into a query unescaped. */
	value?: PsaCustomFieldValue | PsaCustomFieldValue[];
}

/** Conditions joined by `match`, with nested groups (AND / OR). */
export interface PsaTicketConditionGroup {
	match: 'all' | 'any';
	conditions: PsaTicketCondition[];
	groups?: PsaTicketConditionGroup[];
}

export interface PsaTicketSearch {
	where?: PsaTicketConditionGroup;
	/** 'open' or 'closed' tickets only; both when absent. */
	state?: 'open' | 'closed';
	/** Maximum tickets (the adapter pages until it has them); the caller passes Infinity for Return All. */
	limit?: number;
	/** Newest first by id (default: oldest first). */
	newestFirst?: boolean;
	/** Read the tickets' custom fields too (costs nothing extra where the PSA returns them with the ticket). */
	withCustomFields?: boolean;
}

export type PsaNoteType = 'discussion' | 'internal' | 'resolution';

export interface PsaNote {
	id: number;
	ticketId: number;
	text: string;
	type: PsaNoteType;
	memberId?: number;
	createdAt?: string;
}

export interface PsaNoteCreate {
	ticketId: number;
	text: string;
	type: PsaNoteType;
	memberId?: number;
}

/** How a time entry is billed: ConnectWise billableOption (Billable, DoNotBill, NoCharge); Autotask isNonBillable (no-charge there). */
export type PsaBillable = 'billable' | 'do-not-bill' | 'no-charge';

export interface PsaTimeEntry {
	id: number;
	ticketId: number;
	memberId?: number;
	/** ISO 8601, UTC. */
	start: string;
	end?: string;
	hours: number;
	/** The notes the customer may see (ConnectWise notes, Autotask summaryNotes). */
	notes: string;
	/** The internal notes (where the package's dedupe marker lives). */
	internalNotes: string;
	billable?: PsaBillable;
	/** ConnectWise work type; Autotask billing code (work type). */
	workTypeId?: number;
	/** ConnectWise work role; Autotask role. */
	workRoleId?: number;
	createdAt?: string;
}

export interface PsaTimeEntryCreate {
	ticketId: number;
	memberId: number;
	/** ISO 8601; end after start, both on the same work day as the PSA counts them. */
	start: string;
	end: string;
	notes?: string;
	internalNotes?: string;
	billable?: PsaBillable;
	workTypeId?: number;
	workRoleId?: number;
}

/** The choices a time entry names, offered as dropdowns: ConnectWise work types / roles, Autotask billing codes / roles. */
export type PsaWorkChoiceKind = 'workType' | 'workRole';

/** What a PSA needs for time entries and takes for attachments (from its declaration). Data only. */
export interface PsaWorkCapabilities {
	/** The choices the PSA has on a time entry (HaloPSA has no role): one it lacks is refused, its list empty in the node. */
	choices: readonly PsaWorkChoiceKind[];
	/** Choices a time entry must name (Autotask: a role); the others are optional (the PSA's default applies). */
	requiredChoices: readonly PsaWorkChoiceKind[];
	/** The billable options the PSA can record (HaloPSA: billable or not, no "no charge"); another one is refused. */
	billableOptions: readonly PsaBillable[];
	/** Whether the customer-visible notes are required (Autotask's summaryNotes). */
	notesRequired: boolean;
	/** The longest time entry the PSA takes, in hours. */
	maxHours: number;
	/** The largest attachment the package uploads, in bytes (checked before any byte is sent). */
	maxAttachmentBytes: number;
	/** Longest attachment title the PSA keeps. */
	maxAttachmentTitle: number;
}

/** A file attached to a ticket (ConnectWise document, Autotask ticket attachment). */
export interface PsaAttachment {
	id: number;
	ticketId: number;
	title: string;
	fileName: string;
	contentType?: string;
	/** Bytes, when the PSA says. */
	size?: number;
	/** Visible beyond internal staff (ConnectWise: not private; Autotask: published to all Autotask users). */
	public?: boolean;
	createdAt?: string;
}

/** The bytes of an upload, read once, in chunks (never the whole file twice in memory). */
export interface PsaUploadContent {
	size: number;
	/** A fresh stream of the file's bytes each call (a retry after a refusal reads it again). */
	open(): AsyncIterable<Buffer>;
}

export interface PsaAttachmentCreate {
	ticketId: number;
	title: string;
	fileName: string;
	contentType: string;
	public: boolean;
	content: PsaUploadContent;
}

export interface PsaListQuery {
	/** Free text matched against the record's name / summary / identifier. */
	search?: string;
	/** Maximum records to return (the adapter pages until it has them). */
	limit?: number;
}

export interface PsaNoteListQuery extends PsaListQuery {
	/** Newest notes first (default: oldest first), so a limit keeps the latest ones. */
	newestFirst?: boolean;
}

export interface PsaTicketListQuery extends PsaListQuery {
	boardId?: number;
	companyId?: number;
	openOnly?: boolean;
}

/** What a callback watches: every ticket (owner), or one board, status or company, when the PSA can narrow it. */
export type PsaCallbackLevel = 'owner' | 'board' | 'status' | 'company';

export interface PsaCallbackRegistration {
	id: number;
	url: string;
	description: string;
	level: PsaCallbackLevel;
	/** The board / status / company id the callback watches (0 for owner level). */
	objectId: number;
	inactive: boolean;
	/** The identifier the PSA writes into each callout for this callback (Autotask: the webhook's Guid), when it has one. */
	guid?: string;
	/**
	 * The secret that proves a callout was sent for this callback (Autotask: its signing key; ConnectWise: the token in
	 * the URL it posts to), made at registration and returned only then, by providers
	 * whose `callbackSecrets` is true; the caller keeps it (sealed) and hands it back to verifyCallback as `expected`.
	 */
	secret?: string;
}

export interface PsaCallbackCreate {
	url: string;
	description: string;
	level: PsaCallbackLevel;
	objectId: number;
	/** Do not call back for changes made by this API member. */
	selfSuppressed: boolean;
}

export type PsaEventAction = 'added' | 'updated' | 'deleted';

export interface PsaCallbackEvent {
	action: PsaEventAction;
	/** The record type, e.g. "ticket". */
	type: string;
	/** The record id. */
	id: number;
	/** When the PSA last saved the record (ISO 8601), when the payload says: the only clock in a signed payload. */
	updatedAt?: string;
	/** Who the PSA says made the change, as the PSA writes it (for API changes: the API member). */
	updatedBy?: string;
	/** The record's external reference (what PSA Link writes from the link key), when it has one. */
	externalReference?: string;
	/** The ticket as read tolerantly from the payload; absent on deletes without an entity. */
	ticket?: PsaTicket;
	/** The raw entity object (parsed), for fields the domain type does not carry. */
	entity: Record<string, unknown>;
	/**
	 * What names this delivery whatever its formatting, when the signature covers a normalised form (Autotask): the
	 * replay guard recognises a repeated delivery by it instead of by the raw bytes, which a replayer could re-format.
	 */
	deliveryKey?: string;
}

export interface PsaCallbackRequest {
	/** The exact bytes received (signatures are over the raw body). */
	rawBody: Buffer | string;
	headers: Record<string, string | string[] | undefined>;
	/**
	 * The query parameters of the address the request was sent to (ConnectWise: the callback's own token is there).
	 * Never logged or put in an error.
	 */
	query?: Record<string, unknown>;
	/**
	 * The callback the receiving trigger registered: its secret (providers with `callbackSecrets`) and its Guid; a
	 * callout signed otherwise, or naming another callback, is refused.
	 */
	expected?: Pick<PsaCallbackRegistration, 'id' | 'guid' | 'secret'>;
}

export type PsaWarningKind = 'deprecation' | 'sunset' | 'version-drift';

export interface PsaWarning {
	kind: PsaWarningKind;
	/** Endpoint path the warning concerns, e.g. "/service/tickets". */
	endpoint?: string;
	message: string;
}

export interface PsaPermissionCheck {
	/** What the package uses the endpoint for, e.g. "Create tickets". */
	purpose: string;
	method: string;
	endpoint: string;
	allowed: boolean;
	/** HTTP status observed, or 0 when the request did not complete. */
	status: number;
	message?: string;
}

export interface PsaCreateOptions {
	/**
	 * True when the caller guarantees that repeating the request cannot create a duplicate
	 * (e.g. it searches by externalRef before retrying). Only then is a POST retried.
	 */
	retrySafe?: boolean;
}

/** What every PSA provider offers. Implementations live in lib/providers/<provider>/. */
export interface PsaProvider {
	readonly connection: PsaConnectionInfo;
	/**
	 * How long after the last claim refresh before a create or note whose outcome is unknown the PSA may still commit it:
	 * the client's retry budget (a 429 delays the real send) plus the longest the PSA keeps working on a request. A
	 * search for the record proves its absence only after this window; claims are taken over no sooner.
	 */
	readonly outcomeSettleMs: number;
	/** The callback levels the PSA can narrow deliveries to ('owner' = every ticket); filters outside them are applied on receipt. */
	readonly callbackLevels: readonly PsaCallbackLevel[];
	/**
	 * True when each callback has a secret of its own (made by registerCallback, returned in the registration; Autotask:
	 * the webhook's signing key, ConnectWise: the token in the callback URL's query): verifyCallback then needs
	 * `expected` with that secret. False or absent: the PSA's own key alone verifies.
	 */
	readonly callbackSecrets?: boolean;
	/** The ticket fields this PSA has beyond the basics (from its declaration). */
	readonly ticketCapabilities: PsaTicketCapabilities;
	/** What time entries need and attachments may be (from its declaration). */
	readonly workCapabilities: PsaWorkCapabilities;

	info(): Promise<PsaServerInfo>;
	checkPermissions(): Promise<PsaPermissionCheck[]>;

	createTicket(input: PsaTicketCreate, options?: PsaCreateOptions): Promise<PsaTicket>;
	getTicket(id: number): Promise<PsaTicket>;
	findTicketByExternalRef(externalRef: string): Promise<PsaTicket | undefined>;
	/** What the ticket's external-reference field holds for a link key (the key, or its hash when too long for the field). */
	externalReferenceOf(linkKey: string): string;
	listTickets(query?: PsaTicketListQuery): Promise<PsaTicket[]>;
	/** PSA-neutral conditions turned into the PSA's query language, every value escaped or sent as data. */
	searchTickets(query: PsaTicketSearch): Promise<PsaTicket[]>;
	updateTicketStatus(id: number, statusId: number): Promise<PsaTicket>;
	/** Sends only the fields present in `changes` (one request); returns the ticket as the PSA answered. */
	updateTicket(id: number, changes: PsaTicketUpdate): Promise<PsaTicket>;
	/** The ticket with its custom fields by name (one request where the PSA returns them with the ticket). */
	getTicketDetails(id: number): Promise<PsaTicket>;
	/** The ticket's page in the PSA's web UI. */
	ticketUrl(id: number): string;
	/** The ticket id in a URL from the PSA's web UI, or undefined when the URL is not one. */
	parseTicketUrl(url: string): number | undefined;

	addNote(input: PsaNoteCreate): Promise<PsaNote>;
	listNotes(ticketId: number, query?: PsaNoteListQuery): Promise<PsaNote[]>;

	/** One POST; never sent again by the client (a lost answer is settled by the caller, by the entry's marker). */
	addTimeEntry(input: PsaTimeEntryCreate): Promise<PsaTimeEntry>;
	/** The ticket's time entries, newest first when asked (a recovery looks among the latest). */
	listTimeEntries(ticketId: number, query?: PsaNoteListQuery): Promise<PsaTimeEntry[]>;
	listWorkChoices(kind: PsaWorkChoiceKind): Promise<PsaChoice[]>;
	/** One upload, never sent again by the client; its size is checked against workCapabilities first. */
	addAttachment(input: PsaAttachmentCreate): Promise<PsaAttachment>;
	listAttachments(ticketId: number, query?: PsaNoteListQuery): Promise<PsaAttachment[]>;
	/** The attachment's bytes and what the PSA says they are. */
	downloadAttachment(ticketId: number, attachmentId: number): Promise<{ attachment: PsaAttachment; data: Buffer }>;

	/** Classification choices: types of a board (PSA-wide where `classificationPerBoard` is false; boardId then ignored). */
	listTicketTypes(boardId?: number): Promise<PsaChoice[]>;
	/** Subtypes valid with the type (on the board); [] where the PSA has no subtype level. */
	listTicketSubtypes(typeId: number, boardId?: number): Promise<PsaChoice[]>;
	/** Items valid with the type and subtype on the board; [] where the PSA has no item level. */
	listTicketItems(typeId: number, subtypeId: number | undefined, boardId?: number): Promise<PsaChoice[]>;
	/** Teams (of the board where the PSA keeps them per board); [] where the PSA has none. */
	listTeams(boardId?: number): Promise<PsaChoice[]>;
	listSources(): Promise<PsaChoice[]>;
	/** Sites (locations) of a company; [] where the PSA has none. */
	listSites(companyId: number): Promise<PsaChoice[]>;
	listCustomFields(): Promise<PsaCustomFieldDefinition[]>;

	findConfigurationItems(query: PsaConfigurationItemQuery): Promise<PsaConfigurationItem[]>;
	getConfigurationItem(id: number): Promise<PsaConfigurationItem>;
	/** The configuration items attached to the ticket. */
	listTicketConfigurationItems(ticketId: number): Promise<PsaConfigurationItem[]>;
	/**
	 * Attaches the item; attaching one already attached changes nothing and is no error. `attached`: what the caller
	 * knows the ticket holds right now (a ticket it has just created), so the look before the write is skipped; a
	 * refused or unanswered attach is still settled by looking.
	 */
	attachConfigurationItem(ticketId: number, configurationItemId: number, options?: { attached?: readonly number[] }): Promise<void>;
	/** Detaches the item; one not attached is no error. */
	detachConfigurationItem(ticketId: number, configurationItemId: number): Promise<void>;

	listBoards(query?: PsaListQuery): Promise<PsaBoard[]>;
	listStatuses(boardId: number): Promise<PsaStatus[]>;
	listPriorities(): Promise<PsaPriority[]>;
	listCompanies(query?: PsaListQuery): Promise<PsaCompany[]>;
	listContacts(query?: PsaListQuery & { companyId?: number }): Promise<PsaContact[]>;
	listMembers(query?: PsaListQuery): Promise<PsaMember[]>;
	getMember(id: number): Promise<PsaMember>;
	findMembersByEmail(email: string): Promise<PsaMember[]>;
	findMemberByIdentifier(identifier: string): Promise<PsaMember | undefined>;

	registerCallback(input: PsaCallbackCreate): Promise<PsaCallbackRegistration>;
	listCallbacks(): Promise<PsaCallbackRegistration[]>;
	removeCallback(id: number): Promise<void>;
	/** Verifies the request's signature and returns the event; throws PsaError('authentication') when forged. */
	verifyCallback(request: PsaCallbackRequest): Promise<PsaCallbackEvent>;

	/** Returns and clears the warnings (deprecation, sunset, version drift) collected since the last call, in the current unit of work (warnings.ts). */
	takeWarnings(): PsaWarning[];
}
