// PSA Connect > List Connections: every connection in the state store with its link and mapping counts.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { listConnections } from '../../../lib/services/connection';
import type { PsaServiceContext } from '../../../lib/services/context';
import { plain } from '../../shared/descriptions';

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext): Promise<IDataObject[]> {
	const connections = await listConnections(ctx.store);
	const current = ctx.provider.connection.connectionId;
	return connections.map((connection) => ({ ...(plain(connection) as IDataObject), current: connection.connectionId === current }));
}
