// After a key rotation: re-seals every sealed value still under an older key, row by row with compare-and-set, skipping (and naming) damaged rows.
import type { Kysely } from 'kysely';
import { FernetError, type FernetKeyring } from '../crypto/fernet';
import type { DamagedRow } from './errors';
import { LOOKUP_KEY_ROW } from './keys';
import { damagedAuditRow, damagedCallbackSecretRow, damagedMemberRow } from './repositories';
import type { StoreDatabase } from './schema';

export async function resealAll(db: Kysely<StoreDatabase>, keyring: FernetKeyring, clock: () => number) {
	const counts = { memberMappings: 0, auditEvents: 0, callbackSecrets: 0, meta: 0, damaged: [] as DamagedRow[] };
	/** True when under an older key; a token no key opens is reported and skipped, so one damaged row stops nothing. */
	const staleOr = (token: string, report: (error: unknown) => DamagedRow) => {
		try {
			return keyring.keyIndexOf(token) > 0;
		} catch (error) {
			if (!(error instanceof FernetError)) throw error;
			counts.damaged.push(report(error));
			return false;
		}
	};
	const stale = (token: string) => keyring.keyIndexOf(token) > 0;

	for (const row of await db.selectFrom('psa_store_meta').select(['name', 'value']).where('name', '=', LOOKUP_KEY_ROW).execute()) {
		if (!stale(row.value)) continue;
		const result = await db
			.updateTable('psa_store_meta')
			.set({ value: keyring.reseal(row.value), updated_at: clock() })
			.where('name', '=', row.name)
			.where('value', '=', row.value)
			.executeTakeFirst();
		counts.meta += Number(result.numUpdatedRows);
	}
	for (const row of await db.selectFrom('psa_member_map').select(['connection_id', 'source', 'identity_hash', 'identity_sealed', 'member_identifier']).execute()) {
		if (!staleOr(row.identity_sealed, (error) => damagedMemberRow(row, error))) continue;
		// Compare-and-set on the old token: a row rewritten meanwhile is already under the current key.
		const result = await db
			.updateTable('psa_member_map')
			.set({ identity_sealed: keyring.reseal(row.identity_sealed) })
			.where('connection_id', '=', row.connection_id)
			.where('source', '=', row.source)
			.where('identity_hash', '=', row.identity_hash)
			.where('identity_sealed', '=', row.identity_sealed)
			.executeTakeFirst();
		counts.memberMappings += Number(result.numUpdatedRows);
	}
	for (const row of await db.selectFrom('psa_audit_events').select(['id', 'action', 'detail_sealed']).execute()) {
		if (!staleOr(row.detail_sealed, (error) => damagedAuditRow(row, error))) continue;
		const result = await db
			.updateTable('psa_audit_events')
			.set({ detail_sealed: keyring.reseal(row.detail_sealed) })
			.where('id', '=', row.id)
			.where('detail_sealed', '=', row.detail_sealed)
			.executeTakeFirst();
		counts.auditEvents += Number(result.numUpdatedRows);
	}
	for (const row of await db.selectFrom('psa_callback_secrets').select(['connection_id', 'workflow_id', 'node_id', 'secret_sealed']).execute()) {
		if (!staleOr(row.secret_sealed, (error) => damagedCallbackSecretRow(row, error))) continue;
		const result = await db
			.updateTable('psa_callback_secrets')
			.set({ secret_sealed: keyring.reseal(row.secret_sealed) })
			.where('connection_id', '=', row.connection_id)
			.where('workflow_id', '=', row.workflow_id)
			.where('node_id', '=', row.node_id)
			.where('secret_sealed', '=', row.secret_sealed)
			.executeTakeFirst();
		counts.callbackSecrets += Number(result.numUpdatedRows);
	}
	return counts;
}
