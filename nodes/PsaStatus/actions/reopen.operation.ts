// PSA Status > Reopen: move a ticket back to its board's default (open) status.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { reopenTicket } from '../../../lib/services/status';
import { plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { statusOptionsOf } from './common';

export const description: INodeProperties[] = [...ticketByProperties({ show: { operation: ['reopen'] } })];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await reopenTicket(ctx, readTicketRef(this, itemIndex, ctx.provider), statusOptionsOf(this, itemIndex))) as IDataObject;
}
