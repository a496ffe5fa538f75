// Migration 013 (SQLite): every ticket change writes an audit row, so the row writes one index fewer: no (connection_id, at) index.
import { sql, type Kysely } from 'kysely';
import { isPostgres } from './dialect';

/*
 * On SQLite the audit repository finds an action prefix as a key range of the (connection_id, action, at) index, so the
 * (connection_id, at) index served only listing a connection's whole trail in time order, which no hot path does.
 * AUTOINCREMENT stays: record-once's SQLite branch decides by the lowest id in the window between two statements, and
 * an id handed out again after a prune deleted its row could let two callers both see their own id first.
 * PostgreSQL keeps the index: its prefix lookups are a LIKE, which the index serves by walking back in time.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	if (isPostgres(db)) return;
	await sql`drop index psa_audit_events_connection`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	if (isPostgres(db)) return;
	await db.schema.createIndex('psa_audit_events_connection').on('psa_audit_events').columns(['connection_id', 'at']).execute();
}
