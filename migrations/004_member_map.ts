// Migration 004: external identity -> PSA member; the identity is sealed, lookups go through its keyed hash.
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('psa_member_map')
		.addColumn('connection_id', 'text', (col) => col.notNull())
		.addColumn('source', 'text', (col) => col.notNull())
		.addColumn('identity_hash', 'text', (col) => col.notNull())
		.addColumn('identity_sealed', 'text', (col) => col.notNull())
		.addColumn('member_id', 'bigint', (col) => col.notNull())
		.addColumn('member_identifier', 'text', (col) => col.notNull())
		.addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('manual', 'auto')`))
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.addPrimaryKeyConstraint('psa_member_map_pk', ['connection_id', 'source', 'identity_hash'])
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('psa_member_map').execute();
}
