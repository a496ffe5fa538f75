// Migration 009: request limits shared by every worker of one store: leased slots (requests in flight per PSA endpoint) and per-minute request counts.
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	// One row per slot of a limit (e.g. Autotask's 3 threads per endpoint); free when lease_until has passed.
	await db.schema
		.createTable('psa_request_slots')
		.addColumn('slot_key', 'text', (col) => col.notNull())
		.addColumn('slot', 'integer', (col) => col.notNull())
		.addColumn('holder', 'text')
		.addColumn('lease_until', 'bigint', (col) => col.notNull().defaultTo(0))
		.addPrimaryKeyConstraint('psa_request_slots_pk', ['slot_key', 'slot'])
		.execute();
	// Requests sent per minute per budget (e.g. Autotask's 10,000 per rolling hour per tenant).
	await db.schema
		.createTable('psa_request_counts')
		.addColumn('budget_key', 'text', (col) => col.notNull())
		.addColumn('minute', 'bigint', (col) => col.notNull())
		.addColumn('requests', 'integer', (col) => col.notNull().defaultTo(0))
		.addPrimaryKeyConstraint('psa_request_counts_pk', ['budget_key', 'minute'])
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropTable('psa_request_counts').execute();
	await db.schema.dropTable('psa_request_slots').execute();
}
