// PSA Status > Get: read a ticket's current status and board from the PSA.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { getTicketStatus } from '../../../lib/services/status';
import { plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';

export const description: INodeProperties[] = [...ticketByProperties({ show: { operation: ['get'] } })];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await getTicketStatus(ctx, readTicketRef(this, itemIndex, ctx.provider))) as IDataObject;
}
