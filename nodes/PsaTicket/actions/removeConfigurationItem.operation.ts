// PSA Ticket > Remove Configuration Item: detach a device from the ticket (nothing sent when it is not attached).
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { removeConfigurationItem } from '../../../lib/services/ticket';
import { plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { configurationItemParameters } from '../../shared/ticket-details';
import { configurationItemSpec } from './addConfigurationItem.operation';

const show = { operation: ['removeConfigurationItem'] };

export const description: INodeProperties[] = [...ticketByProperties({ show }), ...configurationItemParameters(show)];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await removeConfigurationItem(ctx, readTicketRef(this, itemIndex, ctx.provider), configurationItemSpec(this, itemIndex))) as IDataObject;
}
