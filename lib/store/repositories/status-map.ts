// The status-map repository: external states mapped to a board's statuses.
import { type Selectable } from 'kysely';
import { StoreError } from '../errors';
import type { StatusMapTable } from '../schema';
import type { StatusMapping, StatusMapRepository } from '../types';
import { toNumber, changed, requireText, requireId, type RepositoryContext } from './shared';

export function createStatusMapRepository({ db, clock }: RepositoryContext): StatusMapRepository {
	const findRow = (connectionId: string, boardId: number, externalState: string) =>
		db
			.selectFrom('psa_status_map')
			.selectAll()
			.where('connection_id', '=', connectionId)
			.where('board_id', '=', boardId)
			.where('external_state', '=', externalState)
			.executeTakeFirst();

	return {
		async get(connectionId, boardId, externalState) {
			const row = await findRow(connectionId, requireId('boardId', boardId), externalState);
			return row ? toStatusMapping(row) : undefined;
		},

		async set(mapping) {
			requireText('connectionId', mapping.connectionId);
			requireId('boardId', mapping.boardId);
			requireText('externalState', mapping.externalState);
			requireId('statusId', mapping.statusId);
			requireText('statusName', mapping.statusName);
			await db
				.insertInto('psa_status_map')
				.values({
					connection_id: mapping.connectionId,
					board_id: mapping.boardId,
					external_state: mapping.externalState,
					status_id: mapping.statusId,
					status_name: mapping.statusName,
					updated_at: clock(),
				})
				.onConflict((oc) =>
					oc.columns(['connection_id', 'board_id', 'external_state']).doUpdateSet((eb) => ({
						status_id: eb.ref('excluded.status_id'),
						status_name: eb.ref('excluded.status_name'),
						updated_at: eb.ref('excluded.updated_at'),
					})),
				)
				.execute();
			const row = await findRow(mapping.connectionId, mapping.boardId, mapping.externalState);
			if (!row) throw new StoreError('conflict', 'The status mapping was removed while it was being set; try again');
			return toStatusMapping(row);
		},

		async remove(connectionId, boardId, externalState) {
			const result = await db
				.deleteFrom('psa_status_map')
				.where('connection_id', '=', connectionId)
				.where('board_id', '=', requireId('boardId', boardId))
				.where('external_state', '=', externalState)
				.executeTakeFirst();
			return changed(result) > 0;
		},

		async list(connectionId, boardId) {
			let query = db.selectFrom('psa_status_map').selectAll().where('connection_id', '=', connectionId);
			if (boardId !== undefined) query = query.where('board_id', '=', requireId('boardId', boardId));
			return (await query.orderBy('board_id').orderBy('external_state').execute()).map(toStatusMapping);
		},
	};
}

function toStatusMapping(row: Selectable<StatusMapTable>): StatusMapping {
	return {
		connectionId: row.connection_id,
		boardId: toNumber(row.board_id),
		externalState: row.external_state,
		statusId: toNumber(row.status_id),
		statusName: row.status_name,
		updatedAt: new Date(toNumber(row.updated_at)),
	};
}
