// Migration 003: note receipts, one per dedupe key and connection, so a retried note is posted once.
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('psa_note_receipts')
		.addColumn('connection_id', 'text', (col) => col.notNull())
		.addColumn('dedupe_key', 'text', (col) => col.notNull())
		.addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('pending', 'posted')`))
		.addColumn('ticket_id', 'bigint', (col) => col.notNull())
		.addColumn('note_id', 'bigint')
		.addColumn('claim_token', 'text')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.addPrimaryKeyConstraint('psa_note_receipts_pk', ['connection_id', 'dedupe_key'])
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('psa_note_receipts').execute();
}
