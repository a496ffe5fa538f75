// The state store's repository interface the services use; one implementation over Kysely serves SQLite and PostgreSQL.
import type { DamagedRow, DamagedRowReporter } from './errors';

export type LinkState = 'pending' | 'linked' | 'closed';

/** What the store knows of a linked ticket: from PSA Trigger's verified callbacks or the last read; null when unknown. */
export type TicketState = 'open' | 'closed' | 'deleted';

export interface TicketLink {
	connectionId: string;
	source: string;
	externalId: string;
	state: LinkState;
	/** Set once linked. */
	ticketId: number | null;
	/** Who holds a pending claim (a random token per attempt). */
	claimToken: string | null;
	/**
	 * True when the pending claim was taken over from an abandoned attempt (see LinkRepository.takeOver): that attempt
	 * may have created the ticket, so the holder must search for it before creating one. Always set by the store.
	 */
	searchFirst?: boolean;
	createdAt: Date;
	updatedAt: Date;
	/** 0 for the entity's first ticket; each new ticket after a close is the next generation (its own PSA reference). */
	generation: number;
	/** The ticket the entity was linked to before this generation. */
	previousTicketId: number | null;
	/** How often PSA Link > Link was called for the entity. */
	occurrences: number;
	firstSeenAt: Date | null;
	lastSeenAt: Date | null;
	ticketState: TicketState | null;
	/** When the ticket state was learned. */
	ticketStateAt: Date | null;
	/** When the ticket was closed, as far as the store knows. */
	ticketClosedAt: Date | null;
	/** True while a run holds the reopen claim. */
	reopening: boolean;
}

export interface ClaimResult {
	/** True when this caller inserted the pending row and must now create the ticket. */
	claimed: boolean;
	/** The row as it stands after the attempt (pending by someone else, or already linked). */
	link: TicketLink;
}

export type NoteReceiptState = 'pending' | 'posted';

/** The kinds of PSA record a receipt can own; a record id belongs to at most one key per kind. */
export type ReceiptRecordKind = 'note' | 'time-entry' | 'attachment';

export interface NoteReceipt {
	connectionId: string;
	dedupeKey: string;
	state: NoteReceiptState;
	ticketId: number;
	noteId: number | null;
	claimToken: string | null;
	/** True when the pending receipt was taken over from an abandoned attempt: look for its note before posting. */
	searchFirst?: boolean;
	createdAt: Date;
	updatedAt: Date;
}

export type MemberMapKind = 'manual' | 'auto';

export interface MemberMapping {
	connectionId: string;
	source: string;
	/** The external identity (email, chat id), unsealed. */
	identity: string;
	memberId: number;
	memberIdentifier: string;
	kind: MemberMapKind;
	updatedAt: Date;
}

export interface StatusMapping {
	connectionId: string;
	boardId: number;
	externalState: string;
	statusId: number;
	statusName: string;
	updatedAt: Date;
}

export interface ConnectionRecord {
	connectionId: string;
	provider: string;
	label: string;
	createdAt: Date;
	lastSeenAt: Date;
}

export interface ConnectionSummary extends ConnectionRecord {
	links: number;
	memberMappings: number;
	noteReceipts: number;
	statusMappings: number;
}

export interface AuditEvent {
	connectionId: string;
	action: string;
	/** Free-form detail; sealed at rest. */
	detail: Record<string, unknown>;
	at: Date;
}

/** The callback a PSA Trigger registered, with the secret it is signed with; one per connection, workflow and trigger node. */
export interface CallbackSecret {
	connectionId: string;
	workflowId: string;
	nodeId: string;
	/** The PSA's id of the callback (its webhook or callback record). */
	callbackId: number;
	/** The identifier the PSA writes into each callout (a webhook's Guid), when it has one. */
	callbackGuid: string | null;
	/** Unsealed; never logged or put in an error. */
	secret: string;
	updatedAt: Date;
}

export interface ListPage {
	limit?: number;
	offset?: number;
}

export interface TakeOverResult<T> {
	/** True when this caller now holds the claim (under its own token, marked search-first). */
	claimed: boolean;
	/** The row as it stands after the attempt; undefined when it was removed meanwhile. */
	row: T | undefined;
}

export interface LinkRepository {
	/** Inserts a pending link if none exists, atomically; never throws on a duplicate. */
	claim(connectionId: string, source: string, externalId: string, claimToken: string): Promise<ClaimResult>;
	/**
	 * Marks a pending claim linked to the ticket; false when the claim token no longer holds it. With `event`, the audit
	 * event is recorded in the same transaction, whether or not the claim still held (the ticket exists either way).
	 */
	complete(
		connectionId: string,
		source: string,
		externalId: string,
		claimToken: string,
		ticketId: number,
		event?: { action: string; detail: Record<string, unknown> },
	): Promise<boolean>;
	/** Links directly (Link Existing Ticket); replaces a closed or stale link, refuses to replace a live one unless forced. */
	set(connectionId: string, source: string, externalId: string, ticketId: number, options?: { replace?: boolean }): Promise<TicketLink>;
	find(connectionId: string, source: string, externalId: string): Promise<TicketLink | undefined>;
	findByTicket(connectionId: string, ticketId: number): Promise<TicketLink[]>;
	/**
	 * Takes over a pending claim not refreshed for `olderThanMs`, in place and atomically: the row stays pending (nobody
	 * can claim it fresh in between), gets the caller's token and is marked `searchFirst`. Complete, release and refresh
	 * it with the same token. Of several callers at once, one gets claimed=true.
	 */
	takeOver(connectionId: string, source: string, externalId: string, claimToken: string, olderThanMs: number): Promise<TakeOverResult<TicketLink>>;
	/** Bumps a pending claim's updatedAt (it is alive); false when the token no longer holds it. */
	refresh(connectionId: string, source: string, externalId: string, claimToken: string): Promise<boolean>;
	/**
	 * Keeps the claim pending but dates it back past `olderThanMs`, so the next attempt takes it over (and searches) at
	 * once: for a holder that knows no create of its own can still commit. False when the claim is no longer this token's.
	 */
	expire(connectionId: string, source: string, externalId: string, claimToken: string, olderThanMs: number): Promise<boolean>;
	/** Deletes a pending claim older than the age (or held by the token) so another attempt can claim. Prefer takeOver: the row forgets that a ticket may exist. */
	releaseStale(connectionId: string, source: string, externalId: string, olderThanMs: number): Promise<boolean>;
	release(connectionId: string, source: string, externalId: string, claimToken: string): Promise<boolean>;
	setState(connectionId: string, source: string, externalId: string, state: LinkState): Promise<boolean>;
	/** Counts one occurrence of the entity (occurrences + 1, first / last seen) and returns the row as it is now. */
	seen(connectionId: string, source: string, externalId: string): Promise<TicketLink | undefined>;
	/**
	 * The same count, only for a row that has a ticket (linked or closed, not pending), returned as it is now; undefined
	 * and nothing counted otherwise. A known entity's look and count in one statement.
	 */
	seenIfLinked(connectionId: string, source: string, externalId: string): Promise<TicketLink | undefined>;
	/**
	 * Starts the entity's next ticket, atomically: a link still on `fromTicketId` becomes pending under the token, one
	 * generation on, remembering the old ticket. Of several callers one gets claimed=true; the others find it pending.
	 * Complete it like a claim; releasing it goes back to the old ticket.
	 */
	relink(connectionId: string, source: string, externalId: string, fromTicketId: number, claimToken: string): Promise<TakeOverResult<TicketLink>>;
	/**
	 * Records what became of a ticket on every link to it (PSA Trigger, or a read); returns how many links changed. With
	 * `asOf` (the PSA's change time) a state older than the one stored is ignored, so redelivered events cannot turn
	 * the clock back.
	 */
	setTicketState(connectionId: string, ticketId: number, state: TicketState, options?: { closedAt?: number; asOf?: number }): Promise<number>;
	/** Takes the reopen claim on a link's ticket (free, or held longer than `olderThanMs`); true for one caller at a time. */
	claimReopen(connectionId: string, source: string, externalId: string, ticketId: number, claimToken: string, olderThanMs: number): Promise<boolean>;
	/** Ends the reopen claim; with `reopened`, the ticket's state is forgotten (PSA Trigger reports it again). */
	finishReopen(connectionId: string, source: string, externalId: string, claimToken: string, reopened: boolean): Promise<boolean>;
	/** Removes a link that is not pending (with `ticketId`: only while it names that ticket); false when none was removed. */
	remove(connectionId: string, source: string, externalId: string, ticketId?: number): Promise<boolean>;
	list(connectionId: string, filter?: ListPage & { source?: string; state?: LinkState }): Promise<TicketLink[]>;
	count(connectionId: string): Promise<number>;
}

export interface NoteReceiptRepository {
	/** Inserts a pending receipt if the key is new; otherwise returns the existing one with claimed=false. */
	claim(connectionId: string, dedupeKey: string, ticketId: number, claimToken: string): Promise<{ claimed: boolean; receipt: NoteReceipt }>;
	/**
	 * Records the note as the key's, atomically: 'posted' when done, 'lost' when the token no longer holds the receipt,
	 * 'owned' when another key's receipt already names this note (a note belongs to one key).
	 */
	markPosted(connectionId: string, dedupeKey: string, claimToken: string, noteId: number): Promise<'posted' | 'lost' | 'owned'>;
	release(connectionId: string, dedupeKey: string, claimToken: string): Promise<boolean>;
	/** Takes over a pending receipt not refreshed for `olderThanMs`, in place and atomically, marked `searchFirst` (as LinkRepository.takeOver). */
	takeOver(connectionId: string, dedupeKey: string, claimToken: string, olderThanMs: number): Promise<TakeOverResult<NoteReceipt>>;
	/** Bumps a pending receipt's updatedAt; false when the token no longer holds it. */
	refresh(connectionId: string, dedupeKey: string, claimToken: string): Promise<boolean>;
	/** Keeps the receipt pending but dated back past `olderThanMs`, so the next attempt takes it over (and looks) at once. */
	expire(connectionId: string, dedupeKey: string, claimToken: string, olderThanMs: number): Promise<boolean>;
	/** Prefer takeOver: deleting the row forgets that the note may have been posted. */
	releaseStale(connectionId: string, dedupeKey: string, olderThanMs: number): Promise<boolean>;
	find(connectionId: string, dedupeKey: string): Promise<NoteReceipt | undefined>;
}

export interface MemberMapRepository {
	/** Looks up by keyed hash of (source, identity); identity is sealed at rest. */
	get(connectionId: string, source: string, identity: string): Promise<MemberMapping | undefined>;
	/** Upserts; an auto mapping never replaces a manual one. Returns the stored row. */
	set(mapping: Omit<MemberMapping, 'updatedAt'>): Promise<MemberMapping>;
	remove(connectionId: string, source: string, identity: string): Promise<boolean>;
	/** Deletes every mapping to the member (of the kind, when given), e.g. after the PSA refused the member; returns how many. */
	removeByMember(connectionId: string, memberId: number, kind?: MemberMapKind): Promise<number>;
	/** A row whose sealed identity does not open is left out and given to onDamaged (table, row, what to do). */
	list(connectionId: string, filter?: ListPage & { source?: string; kind?: MemberMapKind; onDamaged?: DamagedRowReporter }): Promise<MemberMapping[]>;
	count(connectionId: string): Promise<number>;
}

export interface StatusMapRepository {
	get(connectionId: string, boardId: number, externalState: string): Promise<StatusMapping | undefined>;
	set(mapping: Omit<StatusMapping, 'updatedAt'>): Promise<StatusMapping>;
	remove(connectionId: string, boardId: number, externalState: string): Promise<boolean>;
	list(connectionId: string, boardId?: number): Promise<StatusMapping[]>;
}

export interface CallbackSecretRepository {
	/** Stores (or replaces) the trigger's callback and secret; the secret is sealed at rest. */
	set(entry: Omit<CallbackSecret, 'updatedAt'>): Promise<void>;
	/** A row whose sealed secret does not open is a 'damaged' StoreError naming the row (never the secret). */
	get(connectionId: string, workflowId: string, nodeId: string): Promise<CallbackSecret | undefined>;
	/** With `callbackId`, only when the row still names that callback (a newer registration is left alone). */
	remove(connectionId: string, workflowId: string, nodeId: string, callbackId?: number): Promise<boolean>;
}

export interface ConnectionRepository {
	/** Records the connection (idempotent) and bumps lastSeenAt. */
	touch(connectionId: string, provider: string, label: string): Promise<void>;
	list(): Promise<ConnectionSummary[]>;
	/** Deletes the connection and every row scoped to it; returns what was deleted. */
	forget(connectionId: string): Promise<{ links: number; memberMappings: number; noteReceipts: number; statusMappings: number; auditEvents: number }>;
}

export interface AuditRepository {
	record(connectionId: string, action: string, detail: Record<string, unknown>): Promise<void>;
	/** Events whose sealed detail does not open are left out and given to onDamaged (as in findRecent). */
	list(connectionId: string, page?: ListPage, onDamaged?: DamagedRowReporter): Promise<AuditEvent[]>;
	/** Events with exactly this action recorded at or after `sinceMs` (epoch milliseconds), newest first; damaged ones left out and reported. */
	findRecent(connectionId: string, action: string, sinceMs: number, onDamaged?: DamagedRowReporter): Promise<AuditEvent[]>;
	/**
	 * Records the event unless one with the same action was recorded at or after `sinceMs`; true when this call
	 * recorded the first one. Atomic across processes (concurrent callers: exactly one gets true).
	 */
	recordOnce(connectionId: string, action: string, detail: Record<string, unknown>, sinceMs: number): Promise<boolean>;
	/**
	 * Events whose action starts with `actionPrefix`, recorded at or after `sinceMs`, newest first, at most `limit`
	 * (default 1000); damaged ones left out and reported. For state kept as events (maintenance windows, held alerts).
	 */
	findByPrefix(connectionId: string, actionPrefix: string, sinceMs: number, options?: { limit?: number; onDamaged?: DamagedRowReporter }): Promise<AuditEvent[]>;
	/** Deletes the events whose action starts with `actionPrefix` recorded before `beforeMs`; returns how many. */
	prune(connectionId: string, actionPrefix: string, beforeMs: number): Promise<number>;
}

/**
 * Request limits shared by every process using the store (n8n's queue-mode workers): slots of a concurrency limit,
 * leased so a killed worker's slot frees itself, and a per-minute request count for a rolling budget.
 */
export interface RequestLimitsRepository {
	/** Takes a free slot of `capacity` under `slotKey` for `leaseMs` (store clock); the slot number, or undefined when all are held. */
	tryAcquire(slotKey: string, capacity: number, holder: string, leaseMs: number): Promise<number | undefined>;
	/** Gives the slot back (only when `holder` still holds it). */
	release(slotKey: string, slot: number, holder: string): Promise<void>;
	/** Adds `count` requests to the current minute of `budgetKey`. */
	addRequests(budgetKey: string, count: number): Promise<void>;
	/** Requests counted under `budgetKey` in the last `windowMs` (whole minutes), and the store clock's now. */
	requestsSince(budgetKey: string, windowMs: number): Promise<{ requests: number; now: number }>;
}

export interface PsaStore {
	readonly engine: 'sqlite' | 'postgres';
	readonly connections: ConnectionRepository;
	readonly links: LinkRepository;
	readonly noteReceipts: NoteReceiptRepository;
	/** Receipts of time entries: the same table and protocol as notes, keys and record ids apart from theirs. */
	readonly timeEntryReceipts: NoteReceiptRepository;
	/** Receipts of ticket attachments, likewise. */
	readonly attachmentReceipts: NoteReceiptRepository;
	readonly memberMap: MemberMapRepository;
	readonly statusMap: StatusMapRepository;
	readonly audit: AuditRepository;
	readonly requestLimits: RequestLimitsRepository;
	readonly callbackSecrets: CallbackSecretRepository;
	/** Where the data lives, for messages (a file path, or database/schema/host; never a password). */
	readonly location: string;
	/** The migrations this open applied (empty when the store was already current, or another process applied them). */
	readonly appliedMigrations: readonly string[];
	/**
	 * Re-seals every sealed value still under an older key with the first key (after a rotation); returns how many
	 * changed, and the rows it skipped because they do not open with any key (damaged), each named.
	 */
	resealAll(): Promise<{ memberMappings: number; auditEvents: number; callbackSecrets: number; meta: number; damaged: DamagedRow[] }>;
	close(): Promise<void>;
}

export interface CommonStoreOptions {
	/** Milliseconds since the epoch; injectable so claim ages can be tested without waiting. */
	clock?: () => number;
}

export interface SqliteStoreOptions extends CommonStoreOptions {
	engine: 'sqlite';
	/** Database file; default <n8n user folder>/.n8n/psa-bridge/state.sqlite. */
	filename?: string;
	/** Fernet keys (urlsafe base64, 32 bytes): first encrypts, all decrypt. Default: the embedded key file. */
	keys?: string[];
	/** Key file used when no keys are given; default: next to the database, same name with .key (state.key). */
	keyFile?: string;
	/** How long a writer waits for another process's lock; default 5000 ms. */
	busyTimeoutMs?: number;
}

export interface PostgresStoreOptions extends CommonStoreOptions {
	engine: 'postgres';
	host: string;
	port: number;
	database: string;
	user: string;
	password?: string;
	ssl?: boolean | { rejectUnauthorized: boolean };
	/** Created if absent; default psa_bridge. Letters, digits and underscores only. */
	schema?: string;
	keys: string[];
	/** Pool size per process; default 10. */
	poolSize?: number;
	/** Connection attempt timeout; default 10000 ms. */
	connectionTimeoutMs?: number;
}

export type StoreOptions = SqliteStoreOptions | PostgresStoreOptions;
