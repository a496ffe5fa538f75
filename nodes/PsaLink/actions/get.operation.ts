// PSA Link > Get: the ticket an external entity is linked to.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { getLink } from '../../../lib/services/link';
import type { PsaServiceContext } from '../../../lib/services/context';
import { linkTargetProperties, plain, readLinkTarget } from '../../shared/descriptions';

const show = { operation: ['get'] };

export const description: INodeProperties[] = [
	...linkTargetProperties({ show }),
	{
		displayName: 'Include Ticket',
		name: 'fetchTicket',
		type: 'boolean',
		default: false,
		description: 'Whether to read the ticket from the PSA too (one request); otherwise only the stored link is returned',
		displayOptions: { show },
	},
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const fetchTicket = this.getNodeParameter('fetchTicket', itemIndex, false) as boolean;
	return plain(await getLink(ctx, readLinkTarget(this, itemIndex), { fetchTicket })) as IDataObject;
}
