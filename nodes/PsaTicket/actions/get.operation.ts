// PSA Ticket > Get: one ticket with its custom fields by name and its configuration items.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { getTicket } from '../../../lib/services/ticket';
import { plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { simplifiedTicket, simplifyProperty } from './common';

const show = { operation: ['get'] };

export const description: INodeProperties[] = [
	...ticketByProperties({ show }),
	{
		displayName: 'Include Configuration Items',
		name: 'includeConfigurationItems',
		type: 'boolean',
		default: true,
		description: 'Whether to read the devices attached to the ticket as well (one more request)',
		displayOptions: { show },
	},
	simplifyProperty({ show }),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const configurationItems = this.getNodeParameter('includeConfigurationItems', itemIndex, true) as boolean;
	const view = await getTicket(ctx, readTicketRef(this, itemIndex, ctx.provider), { configurationItems });
	if (this.getNodeParameter('simplify', itemIndex, true) as boolean) return simplifiedTicket(view.ticket, view.ticketUrl, view.configurationItems);
	return plain({ ...view.ticket, url: view.ticketUrl, ...(view.configurationItems ? { configurationItems: view.configurationItems } : {}) }) as IDataObject;
}
