// The connection repository: the PSA connections known to the store, their state counts, and forgetting one.
import { sql, type Selectable } from 'kysely';
import type { ConnectionsTable } from '../schema';
import type { ConnectionRepository, ConnectionSummary } from '../types';
import { toNumber, changed, requireText, type RepositoryContext } from './shared';

export function createConnectionRepository({ db, clock }: RepositoryContext): ConnectionRepository {
	// Table names come from this fixed list, never from input, so sql.table() is safe here.
	const countIn = (table: 'psa_ticket_links' | 'psa_member_map' | 'psa_note_receipts' | 'psa_status_map', alias: string) =>
		sql<number | string>`(select count(*) from ${sql.table(table)} t where t.connection_id = psa_connections.connection_id)`.as(alias);

	return {
		async touch(connectionId, provider, label) {
			requireText('connectionId', connectionId);
			requireText('provider', provider);
			const now = clock();
			await db
				.insertInto('psa_connections')
				.values({ connection_id: connectionId, provider, label: label ?? '', created_at: now, last_seen_at: now })
				.onConflict((oc) =>
					oc.column('connection_id').doUpdateSet((eb) => ({
						provider: eb.ref('excluded.provider'),
						label: eb.ref('excluded.label'),
						last_seen_at: eb.ref('excluded.last_seen_at'),
					})),
				)
				.execute();
		},

		async list() {
			const rows = await db
				.selectFrom('psa_connections')
				.selectAll('psa_connections')
				.select([
					countIn('psa_ticket_links', 'links'),
					countIn('psa_member_map', 'member_mappings'),
					countIn('psa_note_receipts', 'note_receipts'),
					countIn('psa_status_map', 'status_mappings'),
				])
				.orderBy('psa_connections.created_at')
				.orderBy('psa_connections.connection_id')
				.execute();
			return rows.map(
				(row): ConnectionSummary => ({
					...toConnection(row),
					links: toNumber(row.links as number | string),
					memberMappings: toNumber(row.member_mappings as number | string),
					noteReceipts: toNumber(row.note_receipts as number | string),
					statusMappings: toNumber(row.status_mappings as number | string),
				}),
			);
		},

		async forget(connectionId) {
			requireText('connectionId', connectionId);
			// One transaction: a concurrent writer sees the connection either whole or gone.
			return db.transaction().execute(async (trx) => {
				const remove = async (table: 'psa_ticket_links' | 'psa_member_map' | 'psa_note_receipts' | 'psa_status_map' | 'psa_audit_events' | 'psa_connections') =>
					changed(await trx.deleteFrom(table).where('connection_id', '=', connectionId).executeTakeFirst());
				const counts = {
					links: await remove('psa_ticket_links'),
					memberMappings: await remove('psa_member_map'),
					noteReceipts: await remove('psa_note_receipts'),
					statusMappings: await remove('psa_status_map'),
					auditEvents: await remove('psa_audit_events'),
				};
				// The connection's triggers' webhook secrets go too (their webhooks then verify nothing); not counted, as no node lists them.
				await trx.deleteFrom('psa_callback_secrets').where('connection_id', '=', connectionId).execute();
				await remove('psa_connections');
				return counts;
			});
		},
	};
}

function toConnection(row: Selectable<ConnectionsTable>) {
	return {
		connectionId: row.connection_id,
		provider: row.provider,
		label: row.label,
		createdAt: new Date(toNumber(row.created_at)),
		lastSeenAt: new Date(toNumber(row.last_seen_at)),
	};
}
