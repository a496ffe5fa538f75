// The audit repository: sealed audit events, own-change records and record-once entries (the trigger's replay guard).
import { sql, type Kysely, type Selectable } from 'kysely';
import { type FernetKeyring } from '../../crypto/fernet';
import { damagedRow, StoreError, type DamagedRowReporter } from '../errors';
import type { AuditEventsTable, StoreDatabase } from '../schema';
import type { AuditEvent, AuditRepository } from '../types';
import { precompiled, toNumber, changed, requireText, applyPage, type RepositoryContext, type StoreCapabilities } from './shared';

/** The audit insert, compiled once (every ticket change writes one). */
export function auditInsert(db: Kysely<StoreDatabase>) {
	const insert = precompiled(4, (connectionId, action, detailSealed, at) =>
		db.insertInto('psa_audit_events').values({ connection_id: connectionId, action, detail_sealed: detailSealed, at: at as unknown as number }),
	);
	return (executor: Kysely<StoreDatabase>, row: ReturnType<typeof auditRowOf>) => insert(executor, row.connection_id, row.action, row.detail_sealed, row.at);
}

/** A checked, sealed audit row ready to insert. */
export function auditRowOf(keyring: FernetKeyring, clock: () => number, connectionId: string, action: string, detail: Record<string, unknown>) {
	requireText('connectionId', connectionId);
	requireText('action', action);
	if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
		throw new StoreError('invalid-input', 'An audit detail must be an object');
	}
	return { connection_id: connectionId, action, detail_sealed: keyring.seal(JSON.stringify(detail)), at: clock() };
}

export function createAuditRepository({ db, keyring, clock, durably, capabilities }: RepositoryContext): AuditRepository {
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
			if (capabilities.advisoryLocks) {
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

		async findByPrefix(connectionId, actionPrefix, sinceMs, options = {}) {
			requireText('connectionId', connectionId);
			requireText('actionPrefix', actionPrefix);
			const since = requireTime('sinceMs', sinceMs);
			const limit = options.limit ?? 1000;
			if (!Number.isSafeInteger(limit) || limit < 1) throw new StoreError('invalid-input', 'limit must be a whole number of 1 or more');
			const rows = await db
				.selectFrom('psa_audit_events')
				.selectAll()
				.where('connection_id', '=', connectionId)
				.where(actionStartsWith(actionPrefix, capabilities))
				.where('at', '>=', since)
				.orderBy('at', 'desc')
				.orderBy('id', 'desc')
				.limit(limit)
				.execute();
			return toAuditEvents(rows, options.onDamaged);
		},

		async prune(connectionId, actionPrefix, beforeMs) {
			requireText('connectionId', connectionId);
			requireText('actionPrefix', actionPrefix);
			const before = requireTime('beforeMs', beforeMs);
			const result = await db
				.deleteFrom('psa_audit_events')
				.where('connection_id', '=', connectionId)
				.where(actionStartsWith(actionPrefix, capabilities))
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

/**
 * `action like 'prefix%'` with the prefix's own wildcards escaped (same on SQLite and PostgreSQL). Where text compares
 * byte by byte, also the key range the prefix spans: a LIKE alone cannot use the (connection, action, at) index (SQLite's
 * LIKE ignores case), so every event of the connection was read; the range reads only the prefix's events.
 */
function actionStartsWith(actionPrefix: string, capabilities: StoreCapabilities) {
	const escaped = actionPrefix.replace(/[\\%_]/g, (char) => `\\${char}`);
	const like = sql<boolean>`action like ${`${escaped}%`} escape '\\'`;
	const last = actionPrefix.charCodeAt(actionPrefix.length - 1);
	// UTF-8 keeps code point order, so the prefix with its last character one higher bounds it; kept to ASCII endings,
	// where one higher is still one character (the actions' prefixes end in ":" or a letter).
	if (!capabilities.bytewiseText || !(last < 0x7e)) return like;
	const upper = `${actionPrefix.slice(0, -1)}${String.fromCharCode(last + 1)}`;
	return sql<boolean>`action >= ${actionPrefix} and action < ${upper} and ${like}`;
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
