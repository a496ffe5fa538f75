// Migration 008: a link's life: generation (one per ticket it has had), the previous ticket, occurrences, the ticket's state, a reopen claim.
import type { Kysely } from 'kysely';

const COLUMNS: Array<[name: string, type: 'integer' | 'bigint' | 'text', notNullDefault?: number]> = [
	// 0 for the first ticket; each new ticket for the same entity (a re-fire after close) is the next generation.
	['generation', 'integer', 0],
	['previous_ticket_id', 'bigint'],
	['occurrences', 'integer', 0],
	['first_seen_at', 'bigint'],
	['last_seen_at', 'bigint'],
	// 'open' | 'closed' | 'deleted' as PSA Trigger's verified callbacks or the last read said; null when unknown.
	['ticket_state', 'text'],
	['ticket_state_at', 'bigint'],
	['ticket_closed_at', 'bigint'],
	// Held while one run reopens the ticket, so two runs seeing the same re-fire reopen it once.
	['reopen_token', 'text'],
	['reopen_at', 'bigint'],
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
	for (const [name, type, notNullDefault] of COLUMNS) {
		await db.schema
			.alterTable('psa_ticket_links')
			.addColumn(name, type, (col) => (notNullDefault === undefined ? col : col.notNull().defaultTo(notNullDefault)))
			.execute();
	}
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
	for (const [name] of [...COLUMNS].reverse()) await db.schema.alterTable('psa_ticket_links').dropColumn(name).execute();
}
