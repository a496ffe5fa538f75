// Migration 006: audit events per connection; the detail is sealed.
import type { Kysely } from 'kysely';
import { isPostgres } from './dialect';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	const postgres = isPostgres(db);
	await db.schema
		.createTable('psa_audit_events')
		// SQLite needs exactly "integer primary key" for a rowid alias; PostgreSQL an identity column.
		.addColumn('id', postgres ? 'bigint' : 'integer', (col) =>
			postgres ? col.primaryKey().generatedAlwaysAsIdentity() : col.primaryKey().autoIncrement(),
		)
		.addColumn('connection_id', 'text', (col) => col.notNull())
		.addColumn('action', 'text', (col) => col.notNull())
		.addColumn('detail_sealed', 'text', (col) => col.notNull())
		.addColumn('at', 'bigint', (col) => col.notNull())
		.execute();
	await db.schema.createIndex('psa_audit_events_connection').on('psa_audit_events').columns(['connection_id', 'at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('psa_audit_events').execute();
}
