// PSA Connect > Forget Connection: delete a connection's local state (links, receipts, maps); the PSA is not touched.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { forgetConnection } from '../../../lib/services/connection';
import type { PsaServiceContext } from '../../../lib/services/context';
import { plain } from '../../shared/descriptions';

const show = { operation: ['forget'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Connection ID',
		name: 'connectionId',
		type: 'string',
		default: '',
		description: 'The connection to forget, as List Connections shows it; empty means the connection of this node\'s credential',
		displayOptions: { show },
	},
	{
		displayName: 'Confirm',
		name: 'confirm',
		type: 'boolean',
		noDataExpression: true,
		default: false,
		description: 'Whether you really want to delete this connection\'s links, note receipts, member map and status map from the state store. Nothing is deleted without it.',
		displayOptions: { show },
	},
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const result = await forgetConnection(ctx, {
		confirm: this.getNodeParameter('confirm', itemIndex, false) as boolean,
		connectionId: String(this.getNodeParameter('connectionId', itemIndex, '')),
	});
	return plain(result) as IDataObject;
}
