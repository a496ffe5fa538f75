// Migration 013 (SQLite): every ticket change writes an audit row, so the row writes fewer pages: no (connection, at) index and no AUTOINCREMENT.
import { sql, type Kysely } from 'kysely';
import { isPostgres } from './dialect';

/*
 * On SQLite the audit repository finds an action prefix as a key range of the (connection_id, action, at) index, and
 * the (connection_id, at) index served only listing a connection's whole trail in time order, which no hot path does.
 * AUTOINCREMENT rewrote the sqlite_sequence page on every insert. Without it a new row's id is one more than the largest
 * id present, so among the rows that exist ids still follow insert order (one writer at a time), which is what
 * record-once relies on; an id may come back only after the row that had it was deleted. SQLite cannot drop
 * AUTOINCREMENT in place: the table is copied. PostgreSQL keeps its table: its prefix lookups are a LIKE, which the
 * (connection_id, at) index serves by walking back in time, and an identity column has no counter page.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	if (isPostgres(db)) return;
	await sql`create table psa_audit_events_lean (id integer primary key, connection_id text not null, action text not null, detail_sealed text not null, at bigint not null)`.execute(db);
	await sql`insert into psa_audit_events_lean (id, connection_id, action, detail_sealed, at) select id, connection_id, action, detail_sealed, at from psa_audit_events`.execute(db);
	// Its indexes go with it.
	await sql`drop table psa_audit_events`.execute(db);
	await sql`alter table psa_audit_events_lean rename to psa_audit_events`.execute(db);
	await db.schema.createIndex('psa_audit_events_action').on('psa_audit_events').columns(['connection_id', 'action', 'at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	if (isPostgres(db)) return;
	await db.schema.createIndex('psa_audit_events_connection').on('psa_audit_events').columns(['connection_id', 'at']).execute();
}
