// Migration 010: each PSA Trigger's own callback secret (sealed) and the PSA's id and Guid of the webhook it signs, per connection, workflow and node.
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	await db.schema
		.createTable('psa_callback_secrets')
		.addColumn('connection_id', 'text', (col) => col.notNull())
		.addColumn('workflow_id', 'text', (col) => col.notNull())
		.addColumn('node_id', 'text', (col) => col.notNull())
		.addColumn('callback_id', 'bigint', (col) => col.notNull())
		.addColumn('callback_guid', 'text')
		.addColumn('secret_sealed', 'text', (col) => col.notNull())
		.addColumn('updated_at', 'bigint', (col) => col.notNull())
		.addPrimaryKeyConstraint('psa_callback_secrets_pk', ['connection_id', 'workflow_id', 'node_id'])
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('psa_callback_secrets').execute();
}
