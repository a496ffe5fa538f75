// The repositories over Kysely: one implementation for SQLite and PostgreSQL, single-statement writes where atomicity matters.
import { PostgresAdapter, sql, type Compilable, type ExpressionBuilder, type Kysely, type QueryResult, type Selectable } from 'kysely';
import { keyedHash, type FernetKeyring } from '../crypto/fernet';
import { damagedRow, StoreError, type DamagedRowReporter } from './errors';
import type { AuditEventsTable, StoreDatabase, TicketLinksTable, NoteReceiptsTable, MemberMapTable, StatusMapTable, ConnectionsTable } from './schema';
import type {
	AuditEvent,
	AuditRepository,
	ClaimResult,
	ConnectionRepository,
	ConnectionSummary,
	LinkRepository,
	LinkState,
	ListPage,
	MemberMapKind,
	MemberMapping,
	MemberMapRepository,
	NoteReceipt,
	NoteReceiptRepository,
	StatusMapping,
	StatusMapRepository,
	TicketLink,
} from './types';

export interface RepositoryContext {
	db: Kysely<StoreDatabase>;
	keyring: FernetKeyring;
	lookupKey: Buffer;
	clock: () => number;
	/**
	 * Runs writes whose commits must be on disk when they return (claims: a claim lost in a power failure after the PSA
	 * create would let a retry create twice). SQLite: synchronous=FULL for these commits only; PostgreSQL: as is.
	 */
	durably<T>(write: (executor: Kysely<StoreDatabase>) => Promise<T>): Promise<T>;
}

/**
 * A query built and compiled once, for the hot paths: Kysely compiles with marker values in place of the arguments,
 * and each call runs the compiled SQL with the arguments in the markers' places (values that are part of the query,
 * such as a state name, stay as compiled). Saves building and compiling the query on every call.
 */
function precompiled<R>(arity: number, build: (...markers: string[]) => Compilable<R>) {
	const markers = Array.from({ length: arity }, (_, index) => `\u0000psa-argument-${index}`);
	const compiled = build(...markers).compile();
	const slots = compiled.parameters.map((parameter) => markers.indexOf(parameter as string));
	return (executor: Kysely<StoreDatabase>, ...args: unknown[]): Promise<QueryResult<R>> =>
		executor.executeQuery<R>({
			...compiled,
			parameters: slots.map((slot, index) => (slot >= 0 ? args[slot] : compiled.parameters[index])),
		});
}

/** SQLite needs a LIMIT for an OFFSET; both engines accept this as "no limit". */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;
/** A claim that vanishes between insert and read (released by someone else) is retried this many times. */
const CLAIM_ATTEMPTS = 5;
/**
 * A claim taken over from an abandoned attempt stores the new holder's token behind this prefix, so the row itself says
 * that the abandoned attempt may have created the record and a search must come before a create, whoever holds it.
 */
const TAKEOVER_PREFIX = 'takeover:';

/** The stored tokens that mean "held by this caller": its token as given, or as marked by a takeover. */
function heldBy(claimToken: string): string[] {
	return [claimToken, `${TAKEOVER_PREFIX}${claimToken}`];
}

function isTakenOver(claimToken: string | null): boolean {
	return claimToken !== null && claimToken.startsWith(TAKEOVER_PREFIX);
}

function requireAge(olderThanMs: unknown): number {
	if (typeof olderThanMs !== 'number' || !Number.isFinite(olderThanMs) || olderThanMs < 0) {
		throw new StoreError('invalid-input', 'olderThanMs must be a non-negative number');
	}
	return olderThanMs;
}

/** SQLite's and PostgreSQL's answer to a write that breaks a unique index. */
function isUniqueViolation(error: unknown): boolean {
	const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
	return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || (typeof message === 'string' && /UNIQUE constraint failed/.test(message));
}

function toNumber(value: number | string | bigint): number {
	return typeof value === 'number' ? value : Number(value);
}

function toNullableNumber(value: number | string | bigint | null): number | null {
	return value === null ? null : toNumber(value);
}

function changed(result: { numInsertedOrUpdatedRows?: bigint; numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined): number {
	if (!result) return 0;
	return Number(result.numInsertedOrUpdatedRows ?? result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}

function requireText(name: string, value: unknown): string {
	if (typeof value !== 'string' || value === '') {
		throw new StoreError('invalid-input', `${name} must be a non-empty string`);
	}
	return value;
}

function requireId(name: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
		throw new StoreError('invalid-input', `${name} must be an integer; got ${typeof value === 'number' ? value : typeof value}`);
	}
	return value;
}

/** How many rows a connection has in a table. */
async function countOf(db: Kysely<StoreDatabase>, table: 'psa_ticket_links' | 'psa_member_map', connectionId: string): Promise<number> {
	const row = await db
		.selectFrom(table)
		.select((eb) => eb.fn.countAll().as('n'))
		.where('connection_id', '=', connectionId)
		.executeTakeFirstOrThrow();
	return toNumber(row.n as number | string);
}

/** One link's row. */
function linkKey(connectionId: string, source: string, externalId: string) {
	return (eb: ExpressionBuilder<StoreDatabase, 'psa_ticket_links'>) =>
		eb.and([eb('connection_id', '=', connectionId), eb('source', '=', source), eb('external_id', '=', externalId)]);
}

/** One note receipt's row. */
function receiptKey(connectionId: string, dedupeKey: string) {
	return (eb: ExpressionBuilder<StoreDatabase, 'psa_note_receipts'>) => eb.and([eb('connection_id', '=', connectionId), eb('dedupe_key', '=', dedupeKey)]);
}

function applyPage<T extends { limit(n: number): T; offset(n: number): T }>(query: T, page: ListPage | undefined): T {
	const limit = page?.limit;
	const offset = page?.offset;
	if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new StoreError('invalid-input', 'limit must be a non-negative integer');
	if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) throw new StoreError('invalid-input', 'offset must be a non-negative integer');
	let result = query;
	if (limit !== undefined || offset !== undefined) result = result.limit(limit ?? NO_LIMIT);
	if (offset !== undefined) result = result.offset(offset);
	return result;
}

function toLink(row: Selectable<TicketLinksTable>): TicketLink {
	return {
		connectionId: row.connection_id,
		source: row.source,
		externalId: row.external_id,
		state: row.state,
		ticketId: toNullableNumber(row.ticket_id),
		claimToken: row.claim_token,
		searchFirst: row.state === 'pending' && isTakenOver(row.claim_token),
		createdAt: new Date(toNumber(row.created_at)),
		updatedAt: new Date(toNumber(row.updated_at)),
		generation: toNumber(row.generation ?? 0),
		previousTicketId: toNullableNumber(row.previous_ticket_id),
		occurrences: toNumber(row.occurrences ?? 0),
		firstSeenAt: toNullableDate(row.first_seen_at),
		lastSeenAt: toNullableDate(row.last_seen_at),
		ticketState: row.ticket_state ?? null,
		ticketStateAt: toNullableDate(row.ticket_state_at),
		ticketClosedAt: toNullableDate(row.ticket_closed_at),
		reopening: row.reopen_token !== null && row.reopen_token !== undefined,
	};
}

function toNullableDate(value: number | string | null | undefined): Date | null {
	return value === null || value === undefined ? null : new Date(toNumber(value));
}

function toReceipt(row: Selectable<NoteReceiptsTable>): NoteReceipt {
	return {
		connectionId: row.connection_id,
		dedupeKey: row.dedupe_key,
		state: row.state,
		ticketId: toNumber(row.ticket_id),
		noteId: toNullableNumber(row.note_id),
		claimToken: row.claim_token,
		searchFirst: row.state === 'pending' && isTakenOver(row.claim_token),
		createdAt: new Date(toNumber(row.created_at)),
		updatedAt: new Date(toNumber(row.updated_at)),
	};
}

function toStatusMapping(row: Selectable<StatusMapTable>): StatusMapping {
	return {
		connectionId: row.connection_id,
		boardId: toNumber(row.board_id),
		externalState: row.external_state,
		statusId: toNumber(row.status_id),
		statusName: row.status_name,
		updatedAt: new Date(toNumber(row.updated_at)),
	};
}

export function createLinkRepository({ db, keyring, clock, durably }: RepositoryContext): LinkRepository {
	const selectRow = precompiled(3, (connectionId, source, externalId) =>
		db
			.selectFrom('psa_ticket_links')
			.selectAll()
			.where('connection_id', '=', connectionId)
			.where('source', '=', source)
			.where('external_id', '=', externalId),
	);
	const findRow = async (connectionId: string, source: string, externalId: string, executor: Kysely<StoreDatabase> = db) =>
		(await selectRow(executor, connectionId, source, externalId)).rows[0];
	const insertEvent = auditInsert(db);
	const updateComplete = precompiled(7, (ticketId, now, connectionId, source, externalId, token, takenOverToken) =>
		db
			.updateTable('psa_ticket_links')
			.set({ state: 'linked', ticket_id: ticketId as unknown as number, claim_token: null, updated_at: now as unknown as number })
			.where('connection_id', '=', connectionId)
			.where('source', '=', source)
			.where('external_id', '=', externalId)
			.where('state', '=', 'pending')
			.where('claim_token', 'in', [token, takenOverToken]),
	);
	const insertClaim = precompiled(5, (connectionId, source, externalId, claimToken, now) =>
		db
			.insertInto('psa_ticket_links')
			.values({
				connection_id: connectionId,
				source,
				external_id: externalId,
				state: 'pending',
				ticket_id: null,
				claim_token: claimToken,
				created_at: now as unknown as number,
				updated_at: now as unknown as number,
			})
			.onConflict((oc) => oc.columns(['connection_id', 'source', 'external_id']).doNothing()),
	);

	const validateKey = (connectionId: string, source: string, externalId: string) => {
		requireText('connectionId', connectionId);
		requireText('source', source);
		requireText('externalId', externalId);
	};

	return {
		async claim(connectionId, source, externalId, claimToken): Promise<ClaimResult> {
			validateKey(connectionId, source, externalId);
			requireText('claimToken', claimToken);
			for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
				const now = clock();
				// ON CONFLICT DO NOTHING: the primary key decides the winner inside the engine, and a loser gets no error.
				// Durable: the PSA create follows, and a retry must find this pending row to search instead of creating again.
				const { inserted, row } = await durably(async (executor) => ({
					inserted: await insertClaim(executor, connectionId, source, externalId, claimToken, now),
					row: await findRow(connectionId, source, externalId, executor),
				}));
				if (row) {
					const claimed = Number(inserted.numAffectedRows ?? 0n) > 0 && row.state === 'pending' && row.claim_token === claimToken;
					return { claimed, link: toLink(row) };
				}
			}
			throw new StoreError('conflict', `The link ${source}/${externalId} kept being released while claiming it; try again`);
		},

		async complete(connectionId, source, externalId, claimToken, ticketId, event) {
			validateKey(connectionId, source, externalId);
			requireId('ticketId', ticketId);
			const auditRow = event ? auditRowOf(keyring, clock, connectionId, event.action, event.detail) : undefined;
			const completeIn = async (executor: Kysely<StoreDatabase>) =>
				Number((await updateComplete(executor, ticketId, clock(), connectionId, source, externalId, ...heldBy(claimToken))).numAffectedRows ?? 0n) > 0;
			if (!auditRow) return completeIn(db);
			// One commit for both: the link and the record of the change that made it are written (or lost) together.
			return db.transaction().execute(async (trx) => {
				const completed = await completeIn(trx);
				await insertEvent(trx, auditRow);
				return completed;
			});
		},

		set: async function setLink(connectionId, source, externalId, ticketId, options = {}): Promise<TicketLink> {
			validateKey(connectionId, source, externalId);
			requireId('ticketId', ticketId);
			const now = clock();
			const inserted = await db
				.insertInto('psa_ticket_links')
				.values({
					connection_id: connectionId,
					source,
					external_id: externalId,
					state: 'linked',
					ticket_id: ticketId,
					claim_token: null,
					created_at: now,
					updated_at: now,
				})
				.onConflict((oc) => oc.columns(['connection_id', 'source', 'external_id']).doNothing())
				.executeTakeFirst();
			if (changed(inserted) === 0) {
				// One conditional UPDATE, so a concurrent claim or link cannot slip between a check and the write.
				let update = db
					.updateTable('psa_ticket_links')
					.set({ state: 'linked', ticket_id: ticketId, claim_token: null, updated_at: now })
					.where(linkKey(connectionId, source, externalId));
				if (!options.replace) {
					update = update.where((eb) =>
						eb.or([eb('state', '=', 'closed'), eb.and([eb('state', '=', 'linked'), eb('ticket_id', '=', ticketId)])]),
					);
				}
				const updated = await update.executeTakeFirst();
				if (changed(updated) === 0) {
					const current = await findRow(connectionId, source, externalId);
					if (current) {
						const what = current.state === 'pending' ? 'a ticket is being created for it right now' : `it is linked to ticket ${current.ticket_id}`;
						throw new StoreError('conflict', `${source}/${externalId} is already linked: ${what}. Use "replace" to link it to ticket ${ticketId} anyway`);
					}
					// Removed in between: the insert path applies now.
					return setLink(connectionId, source, externalId, ticketId, options);
				}
			}
			const row = await findRow(connectionId, source, externalId);
			if (!row) throw new StoreError('conflict', `${source}/${externalId} was removed while linking it; try again`);
			return toLink(row);
		},

		async find(connectionId, source, externalId) {
			const row = await findRow(connectionId, source, externalId);
			return row ? toLink(row) : undefined;
		},

		async findByTicket(connectionId, ticketId) {
			const rows = await db
				.selectFrom('psa_ticket_links')
				.selectAll()
				.where('connection_id', '=', connectionId)
				.where('ticket_id', '=', requireId('ticketId', ticketId))
				.orderBy('source')
				.orderBy('external_id')
				.execute();
			return rows.map(toLink);
		},

		async takeOver(connectionId, source, externalId, claimToken, olderThanMs) {
			validateKey(connectionId, source, externalId);
			requireText('claimToken', claimToken);
			requireAge(olderThanMs);
			const now = clock();
			const marked = `${TAKEOVER_PREFIX}${claimToken}`;
			// One conditional UPDATE: the row never disappears, so no worker can claim it fresh (and skip the search) in
			// between, and of several takers the first moves updated_at forward and the others' condition fails.
			const result = await db
				.updateTable('psa_ticket_links')
				.set({ claim_token: marked, updated_at: now })
				.where(linkKey(connectionId, source, externalId))
				.where('state', '=', 'pending')
				.where('updated_at', '<', now - olderThanMs)
				.executeTakeFirst();
			const row = await findRow(connectionId, source, externalId);
			return { claimed: changed(result) > 0 && row?.state === 'pending' && row.claim_token === marked, row: row ? toLink(row) : undefined };
		},

		async refresh(connectionId, source, externalId, claimToken) {
			validateKey(connectionId, source, externalId);
			requireText('claimToken', claimToken);
			const result = await db
				.updateTable('psa_ticket_links')
				.set({ updated_at: clock() })
				.where(linkKey(connectionId, source, externalId))
				.where('state', '=', 'pending')
				.where('claim_token', 'in', heldBy(claimToken))
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async releaseStale(connectionId, source, externalId, olderThanMs) {
			requireAge(olderThanMs);
			const result = await db
				.deleteFrom('psa_ticket_links')
				.where(linkKey(connectionId, source, externalId))
				.where('state', '=', 'pending')
				.where('updated_at', '<', clock() - olderThanMs)
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async release(connectionId, source, externalId, claimToken) {
			// A next generation that failed goes back to the ticket it replaced; a first claim disappears.
			const reverted = await db
				.updateTable('psa_ticket_links')
				.set({
					state: 'linked',
					ticket_id: sql<number | null>`previous_ticket_id`,
					previous_ticket_id: null,
					generation: sql<number>`generation - 1`,
					claim_token: null,
					updated_at: clock(),
				})
				.where(linkKey(connectionId, source, externalId))
				.where('state', '=', 'pending')
				.where('claim_token', 'in', heldBy(claimToken))
				.where('previous_ticket_id', 'is not', null)
				.where('generation', '>', 0)
				.executeTakeFirst();
			if (changed(reverted) > 0) return true;
			const result = await db
				.deleteFrom('psa_ticket_links')
				.where(linkKey(connectionId, source, externalId))
				.where('state', '=', 'pending')
				.where('claim_token', 'in', heldBy(claimToken))
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async setState(connectionId, source, externalId, state: LinkState) {
			if (state !== 'linked' && state !== 'closed') {
				throw new StoreError('invalid-input', `A link's state can be set to "linked" or "closed", not "${state}" (pending is only set by claim)`);
			}
			// Only rows that have a ticket: a pending claim is finished by complete(), not by a state change.
			const result = await db
				.updateTable('psa_ticket_links')
				.set({ state, updated_at: clock() })
				.where(linkKey(connectionId, source, externalId))
				.where('ticket_id', 'is not', null)
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async seen(connectionId, source, externalId) {
			validateKey(connectionId, source, externalId);
			const now = clock();
			const row = await db
				.updateTable('psa_ticket_links')
				.set({
					occurrences: sql<number>`occurrences + 1`,
					last_seen_at: now,
					first_seen_at: sql<number>`coalesce(first_seen_at, ${now})`,
				})
				.where(linkKey(connectionId, source, externalId))
				.returningAll()
				.executeTakeFirst();
			return row ? toLink(row) : undefined;
		},

		async relink(connectionId, source, externalId, fromTicketId, claimToken) {
			validateKey(connectionId, source, externalId);
			requireId('ticketId', fromTicketId);
			requireText('claimToken', claimToken);
			const now = clock();
			// One conditional UPDATE: only a link still on the old ticket moves on, so two runs make one next ticket.
			const result = await durably((executor) =>
				executor
					.updateTable('psa_ticket_links')
					.set({
						state: 'pending',
						ticket_id: null,
						previous_ticket_id: fromTicketId,
						generation: sql<number>`generation + 1`,
						claim_token: claimToken,
						ticket_state: null,
						ticket_state_at: null,
						ticket_closed_at: null,
						reopen_token: null,
						reopen_at: null,
						updated_at: now,
					})
					.where(linkKey(connectionId, source, externalId))
					.where('state', 'in', ['linked', 'closed'])
					.where('ticket_id', '=', fromTicketId)
					.executeTakeFirst(),
			);
			const row = await findRow(connectionId, source, externalId);
			return { claimed: changed(result) > 0 && row?.state === 'pending' && row.claim_token === claimToken, row: row ? toLink(row) : undefined };
		},

		async setTicketState(connectionId, ticketId, state, options = {}) {
			requireText('connectionId', connectionId);
			requireId('ticketId', ticketId);
			if (!['open', 'closed', 'deleted'].includes(state)) throw new StoreError('invalid-input', `A ticket state is open, closed or deleted, not "${state}"`);
			const now = clock();
			const result = await db
				.updateTable('psa_ticket_links')
				.set({
					ticket_state: state,
					ticket_state_at: now,
					ticket_closed_at: state === 'open' ? null : (options.closedAt ?? now),
				})
				.where('connection_id', '=', connectionId)
				.where('ticket_id', '=', ticketId)
				.executeTakeFirst();
			return changed(result);
		},

		async claimReopen(connectionId, source, externalId, ticketId, claimToken, olderThanMs) {
			validateKey(connectionId, source, externalId);
			requireText('claimToken', claimToken);
			requireAge(olderThanMs);
			const now = clock();
			const result = await db
				.updateTable('psa_ticket_links')
				.set({ reopen_token: claimToken, reopen_at: now })
				.where(linkKey(connectionId, source, externalId))
				.where('ticket_id', '=', requireId('ticketId', ticketId))
				.where('state', '=', 'linked')
				.where((eb) => eb.or([eb('reopen_token', 'is', null), eb('reopen_at', '<', now - olderThanMs)]))
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async finishReopen(connectionId, source, externalId, claimToken, reopened) {
			validateKey(connectionId, source, externalId);
			const result = await db
				.updateTable('psa_ticket_links')
				// Reopened: the state is unknown again until PSA Trigger reports it (its callback for this change says open).
				.set(reopened ? { reopen_token: null, reopen_at: null, ticket_state: null, ticket_state_at: null, ticket_closed_at: null } : { reopen_token: null, reopen_at: null })
				.where(linkKey(connectionId, source, externalId))
				.where('reopen_token', '=', claimToken)
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async remove(connectionId, source, externalId) {
			const result = await db
				.deleteFrom('psa_ticket_links')
				.where(linkKey(connectionId, source, externalId))
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async list(connectionId, filter = {}) {
			let query = db.selectFrom('psa_ticket_links').selectAll().where('connection_id', '=', connectionId);
			if (filter.source !== undefined) query = query.where('source', '=', filter.source);
			if (filter.state !== undefined) query = query.where('state', '=', filter.state);
			query = applyPage(query.orderBy('created_at').orderBy('source').orderBy('external_id'), filter);
			return (await query.execute()).map(toLink);
		},

		count: (connectionId) => countOf(db, 'psa_ticket_links', connectionId),
	};
}

export function createNoteReceiptRepository({ db, clock, durably }: RepositoryContext): NoteReceiptRepository {
	const selectRow = precompiled(2, (connectionId, dedupeKey) =>
		db.selectFrom('psa_note_receipts').selectAll().where('connection_id', '=', connectionId).where('dedupe_key', '=', dedupeKey),
	);
	const findRow = async (connectionId: string, dedupeKey: string, executor: Kysely<StoreDatabase> = db) =>
		(await selectRow(executor, connectionId, dedupeKey)).rows[0];
	const insertClaim = precompiled(5, (connectionId, dedupeKey, ticketId, claimToken, now) =>
		db
			.insertInto('psa_note_receipts')
			.values({
				connection_id: connectionId,
				dedupe_key: dedupeKey,
				state: 'pending',
				ticket_id: ticketId as unknown as number,
				note_id: null,
				claim_token: claimToken,
				created_at: now as unknown as number,
				updated_at: now as unknown as number,
			})
			.onConflict((oc) => oc.columns(['connection_id', 'dedupe_key']).doNothing()),
	);

	return {
		async claim(connectionId, dedupeKey, ticketId, claimToken) {
			requireText('connectionId', connectionId);
			requireText('dedupeKey', dedupeKey);
			requireId('ticketId', ticketId);
			requireText('claimToken', claimToken);
			for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
				const now = clock();
				// Durable, as a link claim: the note is posted next, and a retry must find this receipt.
				const { inserted, row } = await durably(async (executor) => ({
					inserted: await insertClaim(executor, connectionId, dedupeKey, ticketId, claimToken, now),
					row: await findRow(connectionId, dedupeKey, executor),
				}));
				if (row) {
					const claimed = Number(inserted.numAffectedRows ?? 0n) > 0 && row.state === 'pending' && row.claim_token === claimToken;
					return { claimed, receipt: toReceipt(row) };
				}
			}
			throw new StoreError('conflict', `The note receipt ${dedupeKey} kept being released while claiming it; try again`);
		},

		async markPosted(connectionId, dedupeKey, claimToken, noteId) {
			requireId('noteId', noteId);
			try {
				const result = await db
					.updateTable('psa_note_receipts')
					.set({ state: 'posted', note_id: noteId, claim_token: null, updated_at: clock() })
					.where(receiptKey(connectionId, dedupeKey))
					.where('state', '=', 'pending')
					.where('claim_token', 'in', heldBy(claimToken))
					.executeTakeFirst();
				return changed(result) > 0 ? 'posted' : 'lost';
			} catch (error) {
				// The unique index on (connection, note id): another key's receipt names this note.
				if (isUniqueViolation(error)) return 'owned';
				throw error;
			}
		},

		async release(connectionId, dedupeKey, claimToken) {
			const result = await db
				.deleteFrom('psa_note_receipts')
				.where(receiptKey(connectionId, dedupeKey))
				.where('state', '=', 'pending')
				.where('claim_token', 'in', heldBy(claimToken))
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async takeOver(connectionId, dedupeKey, claimToken, olderThanMs) {
			requireText('connectionId', connectionId);
			requireText('dedupeKey', dedupeKey);
			requireText('claimToken', claimToken);
			requireAge(olderThanMs);
			const now = clock();
			const marked = `${TAKEOVER_PREFIX}${claimToken}`;
			// In place, like the link takeover: the receipt never disappears, so nobody posts without looking first.
			const result = await db
				.updateTable('psa_note_receipts')
				.set({ claim_token: marked, updated_at: now })
				.where(receiptKey(connectionId, dedupeKey))
				.where('state', '=', 'pending')
				.where('updated_at', '<', now - olderThanMs)
				.executeTakeFirst();
			const row = await findRow(connectionId, dedupeKey);
			return { claimed: changed(result) > 0 && row?.state === 'pending' && row.claim_token === marked, row: row ? toReceipt(row) : undefined };
		},

		async refresh(connectionId, dedupeKey, claimToken) {
			requireText('connectionId', connectionId);
			requireText('dedupeKey', dedupeKey);
			requireText('claimToken', claimToken);
			const result = await db
				.updateTable('psa_note_receipts')
				.set({ updated_at: clock() })
				.where(receiptKey(connectionId, dedupeKey))
				.where('state', '=', 'pending')
				.where('claim_token', 'in', heldBy(claimToken))
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async releaseStale(connectionId, dedupeKey, olderThanMs) {
			requireAge(olderThanMs);
			const result = await db
				.deleteFrom('psa_note_receipts')
				.where(receiptKey(connectionId, dedupeKey))
				.where('state', '=', 'pending')
				.where('updated_at', '<', clock() - olderThanMs)
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async find(connectionId, dedupeKey) {
			const row = await findRow(connectionId, dedupeKey);
			return row ? toReceipt(row) : undefined;
		},
	};
}

export function createMemberMapRepository({ db, keyring, lookupKey, clock }: RepositoryContext): MemberMapRepository {
	const hashOf = (source: string, identity: string) => keyedHash(lookupKey, source, identity);
	const toMapping = (row: Selectable<MemberMapTable>): MemberMapping => ({
		connectionId: row.connection_id,
		source: row.source,
		identity: openMemberIdentity(keyring, row),
		memberId: toNumber(row.member_id),
		memberIdentifier: row.member_identifier,
		kind: row.kind,
		updatedAt: new Date(toNumber(row.updated_at)),
	});
	/** A damaged row is skipped and reported, so one row never hides the others. */
	const toMappings = (rows: Array<Selectable<MemberMapTable>>, onDamaged: DamagedRowReporter | undefined): MemberMapping[] =>
		rows.flatMap((row) => {
			try {
				return [toMapping(row)];
			} catch (error) {
				if (!(error instanceof StoreError && error.kind === 'damaged')) throw error;
				onDamaged?.(damagedMemberRow(row, (error as StoreError & { cause?: unknown }).cause));
				return [];
			}
		});
	const selectRow = precompiled(3, (connectionId, source, identityHash) =>
		db
			.selectFrom('psa_member_map')
			.selectAll()
			.where('connection_id', '=', connectionId)
			.where('source', '=', source)
			.where('identity_hash', '=', identityHash),
	);
	const findRow = async (connectionId: string, source: string, identity: string) =>
		(await selectRow(db, connectionId, source, hashOf(source, identity))).rows[0];

	return {
		async get(connectionId, source, identity) {
			const row = await findRow(connectionId, source, identity);
			return row ? toMapping(row) : undefined;
		},

		async set(mapping) {
			requireText('connectionId', mapping.connectionId);
			requireText('source', mapping.source);
			requireText('identity', mapping.identity);
			requireId('memberId', mapping.memberId);
			requireText('memberIdentifier', mapping.memberIdentifier);
			if (mapping.kind !== 'manual' && mapping.kind !== 'auto') {
				throw new StoreError('invalid-input', `kind must be "manual" or "auto"; got "${String(mapping.kind)}"`);
			}
			const values = {
				connection_id: mapping.connectionId,
				source: mapping.source,
				identity_hash: hashOf(mapping.source, mapping.identity),
				identity_sealed: keyring.seal(mapping.identity),
				member_id: mapping.memberId,
				member_identifier: mapping.memberIdentifier,
				kind: mapping.kind as MemberMapKind,
				updated_at: clock(),
			};
			// The WHERE on the upsert keeps a manual row when an automatic match arrives, in the same statement.
			await db
				.insertInto('psa_member_map')
				.values(values)
				.onConflict((oc) =>
					oc
						.columns(['connection_id', 'source', 'identity_hash'])
						.doUpdateSet((eb) => ({
							identity_sealed: eb.ref('excluded.identity_sealed'),
							member_id: eb.ref('excluded.member_id'),
							member_identifier: eb.ref('excluded.member_identifier'),
							kind: eb.ref('excluded.kind'),
							updated_at: eb.ref('excluded.updated_at'),
						}))
						.where((eb) => eb.or([eb('psa_member_map.kind', '=', 'auto'), eb('excluded.kind', '=', 'manual')])),
				)
				.execute();
			const row = await findRow(mapping.connectionId, mapping.source, mapping.identity);
			if (!row) throw new StoreError('conflict', 'The member mapping was removed while it was being set; try again');
			return toMapping(row);
		},

		async remove(connectionId, source, identity) {
			const result = await db
				.deleteFrom('psa_member_map')
				.where('connection_id', '=', connectionId)
				.where('source', '=', source)
				.where('identity_hash', '=', hashOf(source, identity))
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async removeByMember(connectionId, memberId, kind) {
			requireText('connectionId', connectionId);
			requireId('memberId', memberId);
			if (kind !== undefined && kind !== 'manual' && kind !== 'auto') {
				throw new StoreError('invalid-input', `kind must be "manual" or "auto"; got "${String(kind)}"`);
			}
			let query = db.deleteFrom('psa_member_map').where('connection_id', '=', connectionId).where('member_id', '=', memberId);
			if (kind !== undefined) query = query.where('kind', '=', kind);
			return changed(await query.executeTakeFirst());
		},

		async list(connectionId, filter = {}) {
			let query = db.selectFrom('psa_member_map').selectAll().where('connection_id', '=', connectionId);
			if (filter.source !== undefined) query = query.where('source', '=', filter.source);
			if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
			query = applyPage(query.orderBy('source').orderBy('member_identifier').orderBy('identity_hash'), filter);
			return toMappings(await query.execute(), filter.onDamaged);
		},

		count: (connectionId) => countOf(db, 'psa_member_map', connectionId),
	};
}

const MEMBER_MAP_ACTION =
	'Set the mapping again (PSA Member Map > Set) or remove it (PSA Member Map > Remove); if the store\'s Encryption Key was changed, put the old key in Previous Keys';

function memberRowName(row: Pick<Selectable<MemberMapTable>, 'source' | 'identity_hash' | 'member_identifier'>): string {
	return `source ${JSON.stringify(row.source)}, identity hash ${row.identity_hash.slice(0, 16)} (member ${JSON.stringify(row.member_identifier)})`;
}

export function damagedMemberRow(row: Pick<Selectable<MemberMapTable>, 'source' | 'identity_hash' | 'member_identifier'>, cause: unknown) {
	return damagedRow('psa_member_map', memberRowName(row), cause, MEMBER_MAP_ACTION);
}

/** The row's identity, or a 'damaged' StoreError naming the table and row (never the bare Fernet message). */
function openMemberIdentity(keyring: FernetKeyring, row: Selectable<MemberMapTable>): string {
	try {
		return keyring.open(row.identity_sealed);
	} catch (error) {
		throw new StoreError('damaged', damagedMemberRow(row, error).message, { cause: error });
	}
}

export function createStatusMapRepository({ db, clock }: RepositoryContext): StatusMapRepository {
	const findRow = (connectionId: string, boardId: number, externalState: string) =>
		db
			.selectFrom('psa_status_map')
			.selectAll()
			.where('connection_id', '=', connectionId)
			.where('board_id', '=', boardId)
			.where('external_state', '=', externalState)
			.executeTakeFirst();

	return {
		async get(connectionId, boardId, externalState) {
			const row = await findRow(connectionId, requireId('boardId', boardId), externalState);
			return row ? toStatusMapping(row) : undefined;
		},

		async set(mapping) {
			requireText('connectionId', mapping.connectionId);
			requireId('boardId', mapping.boardId);
			requireText('externalState', mapping.externalState);
			requireId('statusId', mapping.statusId);
			requireText('statusName', mapping.statusName);
			await db
				.insertInto('psa_status_map')
				.values({
					connection_id: mapping.connectionId,
					board_id: mapping.boardId,
					external_state: mapping.externalState,
					status_id: mapping.statusId,
					status_name: mapping.statusName,
					updated_at: clock(),
				})
				.onConflict((oc) =>
					oc.columns(['connection_id', 'board_id', 'external_state']).doUpdateSet((eb) => ({
						status_id: eb.ref('excluded.status_id'),
						status_name: eb.ref('excluded.status_name'),
						updated_at: eb.ref('excluded.updated_at'),
					})),
				)
				.execute();
			const row = await findRow(mapping.connectionId, mapping.boardId, mapping.externalState);
			if (!row) throw new StoreError('conflict', 'The status mapping was removed while it was being set; try again');
			return toStatusMapping(row);
		},

		async remove(connectionId, boardId, externalState) {
			const result = await db
				.deleteFrom('psa_status_map')
				.where('connection_id', '=', connectionId)
				.where('board_id', '=', requireId('boardId', boardId))
				.where('external_state', '=', externalState)
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async list(connectionId, boardId) {
			let query = db.selectFrom('psa_status_map').selectAll().where('connection_id', '=', connectionId);
			if (boardId !== undefined) query = query.where('board_id', '=', requireId('boardId', boardId));
			return (await query.orderBy('board_id').orderBy('external_state').execute()).map(toStatusMapping);
		},
	};
}

export function createConnectionRepository({ db, clock }: RepositoryContext): ConnectionRepository {
	// Table names come from this fixed list, never from input, so sql.table() is safe here.
	const countIn = (table: 'psa_ticket_links' | 'psa_member_map' | 'psa_note_receipts' | 'psa_status_map', alias: string) =>
		sql<number | string>`(select count(*) from ${sql.table(table)} t where t.connection_id = psa_connections.connection_id)`.as(alias);

	return {
		async touch(connectionId, provider, label) {
			requireText('connectionId', connectionId);
			requireText('provider', provider);
			const now = clock();
			await db
				.insertInto('psa_connections')
				.values({ connection_id: connectionId, provider, label: label ?? '', created_at: now, last_seen_at: now })
				.onConflict((oc) =>
					oc.column('connection_id').doUpdateSet((eb) => ({
						provider: eb.ref('excluded.provider'),
						label: eb.ref('excluded.label'),
						last_seen_at: eb.ref('excluded.last_seen_at'),
					})),
				)
				.execute();
		},

		async list() {
			const rows = await db
				.selectFrom('psa_connections')
				.selectAll('psa_connections')
				.select([
					countIn('psa_ticket_links', 'links'),
					countIn('psa_member_map', 'member_mappings'),
					countIn('psa_note_receipts', 'note_receipts'),
					countIn('psa_status_map', 'status_mappings'),
				])
				.orderBy('psa_connections.created_at')
				.orderBy('psa_connections.connection_id')
				.execute();
			return rows.map(
				(row): ConnectionSummary => ({
					...toConnection(row),
					links: toNumber(row.links as number | string),
					memberMappings: toNumber(row.member_mappings as number | string),
					noteReceipts: toNumber(row.note_receipts as number | string),
					statusMappings: toNumber(row.status_mappings as number | string),
				}),
			);
		},

		async forget(connectionId) {
			requireText('connectionId', connectionId);
			// One transaction: a concurrent writer sees the connection either whole or gone.
			return db.transaction().execute(async (trx) => {
				const remove = async (table: 'psa_ticket_links' | 'psa_member_map' | 'psa_note_receipts' | 'psa_status_map' | 'psa_audit_events' | 'psa_connections') =>
					changed(await trx.deleteFrom(table).where('connection_id', '=', connectionId).executeTakeFirst());
				const counts = {
					links: await remove('psa_ticket_links'),
					memberMappings: await remove('psa_member_map'),
					noteReceipts: await remove('psa_note_receipts'),
					statusMappings: await remove('psa_status_map'),
					auditEvents: await remove('psa_audit_events'),
				};
				await remove('psa_connections');
				return counts;
			});
		},
	};
}

function toConnection(row: Selectable<ConnectionsTable>) {
	return {
		connectionId: row.connection_id,
		provider: row.provider,
		label: row.label,
		createdAt: new Date(toNumber(row.created_at)),
		lastSeenAt: new Date(toNumber(row.last_seen_at)),
	};
}

/** The audit insert, compiled once (every ticket change writes one). */
function auditInsert(db: Kysely<StoreDatabase>) {
	const insert = precompiled(4, (connectionId, action, detailSealed, at) =>
		db.insertInto('psa_audit_events').values({ connection_id: connectionId, action, detail_sealed: detailSealed, at: at as unknown as number }),
	);
	return (executor: Kysely<StoreDatabase>, row: ReturnType<typeof auditRowOf>) => insert(executor, row.connection_id, row.action, row.detail_sealed, row.at);
}

/** A checked, sealed audit row ready to insert. */
function auditRowOf(keyring: FernetKeyring, clock: () => number, connectionId: string, action: string, detail: Record<string, unknown>) {
	requireText('connectionId', connectionId);
	requireText('action', action);
	if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
		throw new StoreError('invalid-input', 'An audit detail must be an object');
	}
	return { connection_id: connectionId, action, detail_sealed: keyring.seal(JSON.stringify(detail)), at: clock() };
}

export function createAuditRepository({ db, keyring, clock, durably }: RepositoryContext): AuditRepository {
	const insertEvent = auditInsert(db);
	return {
		async record(connectionId, action, detail) {
			await insertEvent(db, auditRowOf(keyring, clock, connectionId, action, detail));
		},

		async list(connectionId, page, onDamaged) {
			const query = applyPage(
				db.selectFrom('psa_audit_events').selectAll().where('connection_id', '=', connectionId).orderBy('at', 'desc').orderBy('id', 'desc'),
				page,
			);
			return toAuditEvents(await query.execute(), onDamaged);
		},

		async findRecent(connectionId, action, sinceMs, onDamaged) {
			requireText('connectionId', connectionId);
			requireText('action', action);
			const since = requireTime('sinceMs', sinceMs);
			const rows = await db
				.selectFrom('psa_audit_events')
				.selectAll()
				.where('connection_id', '=', connectionId)
				.where('action', '=', action)
				.where('at', '>=', since)
				.orderBy('at', 'desc')
				.orderBy('id', 'desc')
				.execute();
			return toAuditEvents(rows, onDamaged);
		},

		async recordOnce(connectionId, action, detail, sinceMs) {
			requireText('connectionId', connectionId);
			requireText('action', action);
			const since = requireTime('sinceMs', sinceMs);
			if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
				throw new StoreError('invalid-input', 'An audit detail must be an object');
			}
			const row = { connection_id: connectionId, action, detail_sealed: keyring.seal(JSON.stringify(detail)), at: clock() };
			if (db.getExecutor().adapter instanceof PostgresAdapter) {
				// The table has no unique key on action: a transaction-scoped advisory lock on (connection, action)
				// serialises the check and the insert across processes.
				return db.transaction().execute(async (trx) => {
					await sql`select pg_advisory_xact_lock(hashtextextended(${`${connectionId}|${action}`}, 0))`.execute(trx);
					const earlier = await trx
						.selectFrom('psa_audit_events')
						.select('id')
						.where('connection_id', '=', connectionId)
						.where('action', '=', action)
						.where('at', '>=', since)
						.executeTakeFirst();
					if (earlier) return false;
					await trx.insertInto('psa_audit_events').values(row).execute();
					return true;
				});
			}
			// SQLite has one writer at a time, so row ids follow commit order: insert, then the lowest id in the window wins.
			// Durable: a delivery accepted here must still be known after a power failure, or its redelivery would run again.
			return durably(async (executor) => {
				const inserted = await executor.insertInto('psa_audit_events').values(row).returning('id').executeTakeFirstOrThrow();
				const first = await executor
					.selectFrom('psa_audit_events')
					.select('id')
					.where('connection_id', '=', connectionId)
					.where('action', '=', action)
					.where('at', '>=', since)
					.orderBy('id', 'asc')
					.limit(1)
					.executeTakeFirstOrThrow();
				if (toNumber(first.id) === toNumber(inserted.id)) return true;
				await executor.deleteFrom('psa_audit_events').where('id', '=', inserted.id).execute();
				return false;
			});
		},

		async prune(connectionId, actionPrefix, beforeMs) {
			requireText('connectionId', connectionId);
			requireText('actionPrefix', actionPrefix);
			const before = requireTime('beforeMs', beforeMs);
			const escaped = actionPrefix.replace(/[\\%_]/g, (char) => `\\${char}`);
			const result = await db
				.deleteFrom('psa_audit_events')
				.where('connection_id', '=', connectionId)
				.where(sql<boolean>`action like ${`${escaped}%`} escape '\\'`)
				.where('at', '<', before)
				.executeTakeFirst();
			return changed(result);
		},
	};

	/** Events whose sealed detail does not open (or is not a JSON object) are skipped and reported, one row each. */
	function toAuditEvents(rows: Array<Selectable<AuditEventsTable>>, onDamaged: DamagedRowReporter | undefined): AuditEvent[] {
		return rows.flatMap((row) => {
			let detail: unknown;
			try {
				detail = JSON.parse(keyring.open(row.detail_sealed));
			} catch (error) {
				onDamaged?.(damagedAuditRow(row, error));
				return [];
			}
			if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
				onDamaged?.(damagedAuditRow(row, new Error('its detail is not an object')));
				return [];
			}
			return [{ connectionId: row.connection_id, action: row.action, detail: detail as Record<string, unknown>, at: new Date(toNumber(row.at)) }];
		});
	}
}

export function damagedAuditRow(row: Pick<Selectable<AuditEventsTable>, 'id' | 'action'>, cause: unknown) {
	return damagedRow(
		'psa_audit_events',
		`id ${String(row.id)} (${row.action})`,
		cause,
		`The event is left out; if the store's Encryption Key was changed, put the old key in Previous Keys, otherwise delete the row (id ${String(row.id)}) from psa_audit_events`,
	);
}

function requireTime(name: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isFinite(value)) throw new StoreError('invalid-input', `${name} must be a time in epoch milliseconds`);
	return Math.floor(value);
}
