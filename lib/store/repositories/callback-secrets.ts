// The callback-secret repository: each PSA Trigger's callback id, the PSA's Guid for it, and its secret (a signing key or a URL token), sealed at rest.
import { type Selectable } from 'kysely';
import { damagedRow, StoreError } from '../errors';
import type { CallbackSecretsTable } from '../schema';
import type { CallbackSecret, CallbackSecretRepository } from '../types';
import { changed, requireId, requireText, toNumber, type RepositoryContext } from './shared';

const CALLBACK_SECRET_ACTION = 'Deactivate and activate the workflow: activation registers a new callback with a new secret';

export function damagedCallbackSecretRow(row: Pick<Selectable<CallbackSecretsTable>, 'workflow_id' | 'node_id'>, cause: unknown) {
	return damagedRow('psa_callback_secrets', `workflow ${JSON.stringify(row.workflow_id)}, node ${JSON.stringify(row.node_id)}`, cause, CALLBACK_SECRET_ACTION);
}

export function createCallbackSecretRepository({ db, keyring, clock }: RepositoryContext): CallbackSecretRepository {
	const scoped = (connectionId: string, workflowId: string, nodeId: string) =>
		db.selectFrom('psa_callback_secrets').selectAll().where('connection_id', '=', connectionId).where('workflow_id', '=', workflowId).where('node_id', '=', nodeId);

	const toEntry = (row: Selectable<CallbackSecretsTable>): CallbackSecret => {
		let secret: string;
		try {
			secret = keyring.open(row.secret_sealed);
		} catch (error) {
			throw new StoreError('damaged', damagedCallbackSecretRow(row, error).message, { cause: error });
		}
		return {
			connectionId: row.connection_id,
			workflowId: row.workflow_id,
			nodeId: row.node_id,
			callbackId: toNumber(row.callback_id),
			callbackGuid: row.callback_guid,
			secret,
			updatedAt: new Date(toNumber(row.updated_at)),
		};
	};

	return {
		async set(entry) {
			requireText('connectionId', entry.connectionId);
			requireText('workflowId', entry.workflowId);
			requireText('nodeId', entry.nodeId);
			requireId('callbackId', entry.callbackId);
			requireText('secret', entry.secret);
			const values = {
				connection_id: entry.connectionId,
				workflow_id: entry.workflowId,
				node_id: entry.nodeId,
				callback_id: entry.callbackId,
				callback_guid: entry.callbackGuid ?? null,
				secret_sealed: keyring.seal(entry.secret),
				updated_at: clock(),
			};
			await db
				.insertInto('psa_callback_secrets')
				.values(values)
				.onConflict((oc) =>
					oc.columns(['connection_id', 'workflow_id', 'node_id']).doUpdateSet((eb) => ({
						callback_id: eb.ref('excluded.callback_id'),
						callback_guid: eb.ref('excluded.callback_guid'),
						secret_sealed: eb.ref('excluded.secret_sealed'),
						updated_at: eb.ref('excluded.updated_at'),
					})),
				)
				.execute();
		},

		async get(connectionId, workflowId, nodeId) {
			const row = await scoped(connectionId, workflowId, nodeId).executeTakeFirst();
			return row ? toEntry(row) : undefined;
		},

		async remove(connectionId, workflowId, nodeId, callbackId) {
			let query = db.deleteFrom('psa_callback_secrets').where('connection_id', '=', connectionId).where('workflow_id', '=', workflowId).where('node_id', '=', nodeId);
			if (callbackId !== undefined) query = query.where('callback_id', '=', callbackId);
			return changed(await query.executeTakeFirst()) > 0;
		},
	};
}
