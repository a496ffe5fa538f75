// The ticket-link repository: atomic claims, refreshes, take-overs and completion of links, their generations and ticket state.
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import { StoreError } from '../errors';
import type { StoreDatabase, TicketLinksTable } from '../schema';
import type { ClaimResult, LinkRepository, LinkState, TicketLink } from '../types';
import { auditInsert, auditRowOf } from './audit';
import { precompiled, heldBy, isTakenOver, requireAge, toNumber, toNullableNumber, changed, requireText, requireId, countOf, applyPage, toNullableDate, type RepositoryContext, CLAIM_ATTEMPTS, TAKEOVER_PREFIX } from './shared';

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

	// Every Link call counts an occurrence: the hottest write after the claim.
	const countSeen = (now: string, connectionId: string, source: string, externalId: string) =>
		db
			.updateTable('psa_ticket_links')
			.set({
				occurrences: sql<number>`occurrences + 1`,
				last_seen_at: now as unknown as number,
				first_seen_at: sql<number>`coalesce(first_seen_at, ${now})`,
			})
			.where('connection_id', '=', connectionId)
			.where('source', '=', source)
			.where('external_id', '=', externalId);
	const updateSeen = precompiled(4, (now, connectionId, source, externalId) => countSeen(now, connectionId, source, externalId).returningAll());
	const updateSeenIfLinked = precompiled(4, (now, connectionId, source, externalId) =>
		countSeen(now, connectionId, source, externalId).where('state', '<>', 'pending').where('ticket_id', 'is not', null).returningAll(),
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

		async expire(connectionId, source, externalId, claimToken, olderThanMs) {
			validateKey(connectionId, source, externalId);
			requireText('claimToken', claimToken);
			requireAge(olderThanMs);
			// Dated back past the window: the row stays pending (nobody creates without searching), and the next attempt
			// takes it over at once instead of waiting a window for a create that was never sent.
			const result = await db
				.updateTable('psa_ticket_links')
				.set({ updated_at: clock() - olderThanMs - 1 })
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
			const row = (await updateSeen(db, clock(), connectionId, source, externalId)).rows[0];
			return row ? toLink(row) : undefined;
		},

		async seenIfLinked(connectionId, source, externalId) {
			validateKey(connectionId, source, externalId);
			const row = (await updateSeenIfLinked(db, clock(), connectionId, source, externalId)).rows[0];
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
			const at = options.asOf ?? now;
			let update = db
				.updateTable('psa_ticket_links')
				.set({
					ticket_state: state,
					ticket_state_at: at,
					ticket_closed_at: state === 'open' ? null : (options.closedAt ?? at),
				})
				.where('connection_id', '=', connectionId)
				.where('ticket_id', '=', ticketId);
			if (options.asOf !== undefined) update = update.where((eb) => eb.or([eb('ticket_state_at', 'is', null), eb('ticket_state_at', '<=', options.asOf as number)]));
			return changed(await update.executeTakeFirst());
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

		async remove(connectionId, source, externalId, ticketId) {
			// Never a pending claim: it is what makes the next attempt search before it creates, and it may have been
			// inserted after the caller looked. With a ticket id, only the link the caller saw.
			let removal = db.deleteFrom('psa_ticket_links').where(linkKey(connectionId, source, externalId)).where('state', '<>', 'pending');
			if (ticketId !== undefined) removal = removal.where('ticket_id', '=', ticketId);
			return changed(await removal.executeTakeFirst()) > 0;
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

/** One link's row. */
function linkKey(connectionId: string, source: string, externalId: string) {
	return (eb: ExpressionBuilder<StoreDatabase, 'psa_ticket_links'>) =>
		eb.and([eb('connection_id', '=', connectionId), eb('source', '=', source), eb('external_id', '=', externalId)]);
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
