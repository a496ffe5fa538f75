// Migration 005: external state (e.g. "resolved") -> PSA status, per board.
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('psa_status_map')
		.addColumn('connection_id', 'text', (col) => col.notNull())
		.addColumn('board_id', 'bigint', (col) => col.notNull())
		.addColumn('external_state', 'text', (col) => col.notNull())
		.addColumn('status_id', 'bigint', (col) => col.notNull())
		.addColumn('status_name', 'text', (col) => col.notNull())
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.addPrimaryKeyConstraint('psa_status_map_pk', ['connection_id', 'board_id', 'external_state'])
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('psa_status_map').execute();
}
