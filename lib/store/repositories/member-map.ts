// The member-map repository: external identities (sealed, looked up by keyed hash) mapped to PSA members, manual or automatic.
import { type Selectable } from 'kysely';
import { keyedHash, type FernetKeyring } from '../../crypto/fernet';
import { damagedRow, StoreError, type DamagedRowReporter } from '../errors';
import type { MemberMapTable } from '../schema';
import type { MemberMapKind, MemberMapping, MemberMapRepository } from '../types';
import { precompiled, toNumber, changed, requireText, requireId, countOf, applyPage, type RepositoryContext } from './shared';

export function createMemberMapRepository({ db, keyring, lookupKey, clock }: RepositoryContext): MemberMapRepository {
	const hashOf = (source: string, identity: string) => keyedHash(lookupKey, source, identity);
	const toMapping = (row: Selectable<MemberMapTable>): MemberMapping => ({
		connectionId: row.connection_id,
		source: row.source,
		identity: openMemberIdentity(keyring, row),
		memberId: toNumber(row.member_id),
		memberIdentifier: row.member_identifier,
		kind: row.kind,
		updatedAt: new Date(toNumber(row.updated_at)),
	});
	/** A damaged row is skipped and reported, so one row never hides the others. */
	const toMappings = (rows: Array<Selectable<MemberMapTable>>, onDamaged: DamagedRowReporter | undefined): MemberMapping[] =>
		rows.flatMap((row) => {
			try {
				return [toMapping(row)];
			} catch (error) {
				if (!(error instanceof StoreError && error.kind === 'damaged')) throw error;
				onDamaged?.(damagedMemberRow(row, (error as StoreError & { cause?: unknown }).cause));
				return [];
			}
		});
	const selectRow = precompiled(3, (connectionId, source, identityHash) =>
		db
			.selectFrom('psa_member_map')
			.selectAll()
			.where('connection_id', '=', connectionId)
			.where('source', '=', source)
			.where('identity_hash', '=', identityHash),
	);
	const findRow = async (connectionId: string, source: string, identity: string) =>
		(await selectRow(db, connectionId, source, hashOf(source, identity))).rows[0];

	return {
		async get(connectionId, source, identity) {
			const row = await findRow(connectionId, source, identity);
			return row ? toMapping(row) : undefined;
		},

		async set(mapping) {
			requireText('connectionId', mapping.connectionId);
			requireText('source', mapping.source);
			requireText('identity', mapping.identity);
			requireId('memberId', mapping.memberId);
			requireText('memberIdentifier', mapping.memberIdentifier);
			if (mapping.kind !== 'manual' && mapping.kind !== 'auto') {
				throw new StoreError('invalid-input', `kind must be "manual" or "auto"; got "${String(mapping.kind)}"`);
			}
			const values = {
				connection_id: mapping.connectionId,
				source: mapping.source,
				identity_hash: hashOf(mapping.source, mapping.identity),
				identity_sealed: keyring.seal(mapping.identity),
				member_id: mapping.memberId,
				member_identifier: mapping.memberIdentifier,
				kind: mapping.kind as MemberMapKind,
				updated_at: clock(),
			};
			// The WHERE on the upsert keeps a manual row when an automatic match arrives, in the same statement.
			await db
				.insertInto('psa_member_map')
				.values(values)
				.onConflict((oc) =>
					oc
						.columns(['connection_id', 'source', 'identity_hash'])
						.doUpdateSet((eb) => ({
							identity_sealed: eb.ref('excluded.identity_sealed'),
							member_id: eb.ref('excluded.member_id'),
							member_identifier: eb.ref('excluded.member_identifier'),
							kind: eb.ref('excluded.kind'),
							updated_at: eb.ref('excluded.updated_at'),
						}))
						.where((eb) => eb.or([eb('psa_member_map.kind', '=', 'auto'), eb('excluded.kind', '=', 'manual')])),
				)
				.execute();
			const row = await findRow(mapping.connectionId, mapping.source, mapping.identity);
			if (!row) throw new StoreError('conflict', 'The member mapping was removed while it was being set; try again');
			return toMapping(row);
		},

		async remove(connectionId, source, identity) {
			const result = await db
				.deleteFrom('psa_member_map')
				.where('connection_id', '=', connectionId)
				.where('source', '=', source)
				.where('identity_hash', '=', hashOf(source, identity))
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async removeByMember(connectionId, memberId, kind) {
			requireText('connectionId', connectionId);
			requireId('memberId', memberId);
			if (kind !== undefined && kind !== 'manual' && kind !== 'auto') {
				throw new StoreError('invalid-input', `kind must be "manual" or "auto"; got "${String(kind)}"`);
			}
			let query = db.deleteFrom('psa_member_map').where('connection_id', '=', connectionId).where('member_id', '=', memberId);
			if (kind !== undefined) query = query.where('kind', '=', kind);
			return changed(await query.executeTakeFirst());
		},

		async list(connectionId, filter = {}) {
			let query = db.selectFrom('psa_member_map').selectAll().where('connection_id', '=', connectionId);
			if (filter.source !== undefined) query = query.where('source', '=', filter.source);
			if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
			query = applyPage(query.orderBy('source').orderBy('member_identifier').orderBy('identity_hash'), filter);
			return toMappings(await query.execute(), filter.onDamaged);
		},

		count: (connectionId) => countOf(db, 'psa_member_map', connectionId),
	};
}

const MEMBER_MAP_ACTION =
	'Set the mapping again (PSA Member Map > Set) or remove it (PSA Member Map > Remove); if the store\'s Encryption Key was changed, put the old key in Previous Keys';

function memberRowName(row: Pick<Selectable<MemberMapTable>, 'source' | 'identity_hash' | 'member_identifier'>): string {
	return `source ${JSON.stringify(row.source)}, identity hash ${row.identity_hash.slice(0, 16)} (member ${JSON.stringify(row.member_identifier)})`;
}

export function damagedMemberRow(row: Pick<Selectable<MemberMapTable>, 'source' | 'identity_hash' | 'member_identifier'>, cause: unknown) {
	return damagedRow('psa_member_map', memberRowName(row), cause, MEMBER_MAP_ACTION);
}

/** The row's identity, or a 'damaged' StoreError naming the table and row (never the bare Fernet message). */
function openMemberIdentity(keyring: FernetKeyring, row: Selectable<MemberMapTable>): string {
	try {
		return keyring.open(row.identity_sealed);
	} catch (error) {
		throw new StoreError('damaged', damagedMemberRow(row, error).message, { cause: error });
	}
}
