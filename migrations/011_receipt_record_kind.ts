// Migration 011: receipts for time entries and attachments beside notes: each receipt names the kind of record it owns, and a record id is unique per kind.
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	// A time entry and a note may share an id in the PSA (separate tables): ownership is per kind of record.
	await db.schema.alterTable('psa_note_receipts').addColumn('record_kind', 'text', (col) => col.notNull().defaultTo('note')).execute();
	await db.schema.dropIndex('psa_note_receipts_note').execute();
	await db.schema
		.createIndex('psa_note_receipts_record')
		.on('psa_note_receipts')
		.columns(['connection_id', 'record_kind', 'note_id'])
		.unique()
		.where(sql.ref('note_id'), 'is not', null)
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropIndex('psa_note_receipts_record').execute();
	await db.deleteFrom('psa_note_receipts').where('record_kind', '!=', 'note').execute();
	await db.schema
		.createIndex('psa_note_receipts_note')
		.on('psa_note_receipts')
		.columns(['connection_id', 'note_id'])
		.unique()
		.where(sql.ref('note_id'), 'is not', null)
		.execute();
	await db.schema.alterTable('psa_note_receipts').dropColumn('record_kind').execute();
}
