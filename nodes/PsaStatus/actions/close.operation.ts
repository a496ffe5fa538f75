// PSA Status > Close: move a ticket to its board's closed status.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { closeTicket } from '../../../lib/services/status';
import { plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { statusOptionsOf } from './common';

export const description: INodeProperties[] = [...ticketByProperties({ show: { operation: ['close'] } })];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await closeTicket(ctx, readTicketRef(this, itemIndex, ctx.provider), statusOptionsOf(this, itemIndex))) as IDataObject;
}
