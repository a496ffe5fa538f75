// Migration 002: external entity -> ticket links; the primary key is what makes find-or-create exactly-once.
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('psa_ticket_links')
		.addColumn('connection_id', 'text', (col) => col.notNull())
		.addColumn('source', 'text', (col) => col.notNull())
		.addColumn('external_id', 'text', (col) => col.notNull())
		.addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('pending', 'linked', 'closed')`))
		.addColumn('ticket_id', 'bigint')
		.addColumn('claim_token', 'text')
		.addColumn('created_at', 'bigint', (col) => col.notNull())
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.addPrimaryKeyConstraint('psa_ticket_links_pk', ['connection_id', 'source', 'external_id'])
		.execute();
	await db.schema.createIndex('psa_ticket_links_ticket').on('psa_ticket_links').columns(['connection_id', 'ticket_id']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('psa_ticket_links').execute();
}
