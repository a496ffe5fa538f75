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
}

export interface PsaTicketCreate {
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

	info(): Promise<PsaServerInfo>;
	checkPermissions(): Promise<PsaPermissionCheck[]>;

	createTicket(input: PsaTicketCreate, options?: PsaCreateOptions): Promise<PsaTicket>;
	getTicket(id: number): Promise<PsaTicket>;
	findTicketByExternalRef(externalRef: string): Promise<PsaTicket | undefined>;
	/** What the ticket's external-reference field holds for a link key (the key, or its hash when too long for the field). */
	externalReferenceOf(linkKey: string): string;
	listTickets(query?: PsaTicketListQuery): Promise<PsaTicket[]>;
	updateTicketStatus(id: number, statusId: number): Promise<PsaTicket>;
	/** The ticket's page in the PSA's web UI. */
	ticketUrl(id: number): string;
	/** The ticket id in a URL from the PSA's web UI, or undefined when the URL is not one. */
	parseTicketUrl(url: string): number | undefined;

	addNote(input: PsaNoteCreate): Promise<PsaNote>;
	listNotes(ticketId: number, query?: PsaNoteListQuery): Promise<PsaNote[]>;

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
