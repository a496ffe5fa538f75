// Migration 012: audit events found by connection, action and time: the catch-up's and the trigger's record-once checks look up one action in a window.
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	// With only (connection_id, at), a lookup of one action scanned every event of the window: a backlog of 10,000
	// changes made each check slower than the last (the catch-up bench's polls grew from 5.5 s to 18.7 s).
	await db.schema.createIndex('psa_audit_events_action').on('psa_audit_events').columns(['connection_id', 'action', 'at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropIndex('psa_audit_events_action').execute();
}
