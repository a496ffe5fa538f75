// The receipt repository: dedupe keys claimed, taken over and marked posted, each PSA record (note, time entry, attachment) owned by one key.
import { type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import { StoreError } from '../errors';
import type { StoreDatabase, NoteReceiptsTable } from '../schema';
import type { NoteReceipt, NoteReceiptRepository, ReceiptRecordKind } from '../types';
import { precompiled, heldBy, isTakenOver, requireAge, isUniqueViolation, toNumber, toNullableNumber, changed, requireText, requireId, type RepositoryContext, CLAIM_ATTEMPTS, TAKEOVER_PREFIX } from './shared';

/**
 * Receipts of one kind of record. The kinds share a table: a kind's keys are stored behind a prefix no dedupe key can
 * hold (a control character, refused in keys), and a record id is unique per kind (a note and a time entry may share one).
 */
export function createNoteReceiptRepository(context: RepositoryContext, kind: ReceiptRecordKind = 'note'): NoteReceiptRepository {
	const receipts = createReceiptRows(context, kind);
	if (kind === 'note') return receipts;
	const prefix = `${kind}\u001f`;
	const stored = (dedupeKey: string) => (typeof dedupeKey === 'string' && dedupeKey !== '' ? prefix + dedupeKey : dedupeKey);
	const shown = (receipt: NoteReceipt): NoteReceipt => ({ ...receipt, dedupeKey: receipt.dedupeKey.slice(prefix.length) });
	return {
		claim: async (connectionId, dedupeKey, ticketId, claimToken) => {
			const { claimed, receipt } = await receipts.claim(connectionId, stored(dedupeKey), ticketId, claimToken);
			return { claimed, receipt: shown(receipt) };
		},
		markPosted: (connectionId, dedupeKey, claimToken, recordId) => receipts.markPosted(connectionId, stored(dedupeKey), claimToken, recordId),
		release: (connectionId, dedupeKey, claimToken) => receipts.release(connectionId, stored(dedupeKey), claimToken),
		takeOver: async (connectionId, dedupeKey, claimToken, olderThanMs) => {
			const { claimed, row } = await receipts.takeOver(connectionId, stored(dedupeKey), claimToken, olderThanMs);
			return { claimed, row: row ? shown(row) : undefined };
		},
		refresh: (connectionId, dedupeKey, claimToken) => receipts.refresh(connectionId, stored(dedupeKey), claimToken),
		expire: (connectionId, dedupeKey, claimToken, olderThanMs) => receipts.expire(connectionId, stored(dedupeKey), claimToken, olderThanMs),
		releaseStale: (connectionId, dedupeKey, olderThanMs) => receipts.releaseStale(connectionId, stored(dedupeKey), olderThanMs),
		find: async (connectionId, dedupeKey) => {
			const receipt = await receipts.find(connectionId, stored(dedupeKey));
			return receipt ? shown(receipt) : undefined;
		},
	};
}

function createReceiptRows({ db, clock, durably }: RepositoryContext, kind: ReceiptRecordKind): NoteReceiptRepository {
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
				// Notes keep the column's default, so a store opened with an older migration set still takes note receipts.
				...(kind === 'note' ? {} : { record_kind: kind }),
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
			throw new StoreError('conflict', `The ${kind} receipt ${dedupeKey} kept being released while claiming it; try again`);
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
				// The unique index on (connection, kind, record id): another key's receipt names this record.
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

		async expire(connectionId, dedupeKey, claimToken, olderThanMs) {
			requireText('connectionId', connectionId);
			requireText('dedupeKey', dedupeKey);
			requireText('claimToken', claimToken);
			requireAge(olderThanMs);
			// Dated back past the window: still pending (nothing posts without looking), taken over at once by the next attempt.
			const result = await db
				.updateTable('psa_note_receipts')
				.set({ updated_at: clock() - olderThanMs - 1 })
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

/** One note receipt's row. */
function receiptKey(connectionId: string, dedupeKey: string) {
	return (eb: ExpressionBuilder<StoreDatabase, 'psa_note_receipts'>) => eb.and([eb('connection_id', '=', connectionId), eb('dedupe_key', '=', dedupeKey)]);
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
