// PSA Link > Link Existing Ticket: link an external entity to a ticket that already exists.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { linkExisting } from '../../../lib/services/link';
import type { PsaServiceContext } from '../../../lib/services/context';
import { linkTargetProperties, plain, readLinkTarget, readTicketLocator, ticketLocator } from '../../shared/descriptions';

const show = { operation: ['linkExisting'] };

export const description: INodeProperties[] = [
	...linkTargetProperties({ show }),
	ticketLocator({ show }),
	{
		displayName: 'Replace Existing Link',
		name: 'replace',
		type: 'boolean',
		noDataExpression: true,
		default: false,
		description: 'Whether to move the link when the entity is already linked to another ticket (otherwise that is an error)',
		displayOptions: { show },
	},
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const ticketId = readTicketLocator(this, itemIndex, ctx.provider);
	const replace = this.getNodeParameter('replace', itemIndex, false) as boolean;
	return plain(await linkExisting(ctx, readLinkTarget(this, itemIndex), ticketId, { replace })) as IDataObject;
}
