// Migration 001: known PSA connections, and the store's own meta rows (lookup key sealed with the encryption key).
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('psa_store_meta')
		.addColumn('name', 'text', (col) => col.primaryKey())
		.addColumn('value', 'text', (col) => col.notNull())
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.execute();
	await db.schema
		.createTable('psa_connections')
		.addColumn('connection_id', 'text', (col) => col.primaryKey())
		.addColumn('provider', 'text', (col) => col.notNull())
		.addColumn('label', 'text', (col) => col.notNull())
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('last_seen_at', 'bigint', (col) => col.notNull())
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('psa_connections').execute();
	await db.schema.dropTable('psa_store_meta').execute();
}
