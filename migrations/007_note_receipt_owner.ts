// Migration 007: a PSA note belongs to at most one dedupe key per connection (unique note id among receipts).
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	// Receipts written before this rule may share a note (a recovery adopted another key's note). The earliest receipt
	// keeps it; the others go back to an abandoned pending state, so their next attempt takes them over, finds the note
	// owned and posts the note that was never posted.
	await sql`
		update psa_note_receipts set state = 'pending', note_id = null, claim_token = null
		where note_id is not null and exists (
			select 1 from psa_note_receipts earlier
			where earlier.connection_id = psa_note_receipts.connection_id
				and earlier.note_id = psa_note_receipts.note_id
				and (earlier.created_at < psa_note_receipts.created_at
					or (earlier.created_at = psa_note_receipts.created_at and earlier.dedupe_key < psa_note_receipts.dedupe_key))
		)`.execute(db);
	await db.schema
		.createIndex('psa_note_receipts_note')
		.on('psa_note_receipts')
		.columns(['connection_id', 'note_id'])
		.unique()
		.where(sql.ref('note_id'), 'is not', null)
		.execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.dropIndex('psa_note_receipts_note').execute();
}
