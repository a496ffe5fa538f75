// PSA Ticket > Add Configuration Item: attach a device found within the ticket's company (nothing sent when already attached).
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { addConfigurationItem } from '../../../lib/services/ticket';
import type { ConfigurationItemSpec } from '../../../lib/services/ticket-fields';
import { plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { configurationItemParameters } from '../../shared/ticket-details';

const show = { operation: ['addConfigurationItem'] };

export const description: INodeProperties[] = [...ticketByProperties({ show }), ...configurationItemParameters(show)];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await addConfigurationItem(ctx, readTicketRef(this, itemIndex, ctx.provider), configurationItemSpec(this, itemIndex))) as IDataObject;
}

export function configurationItemSpec(fns: IExecuteFunctions, itemIndex: number): ConfigurationItemSpec {
	return {
		by: fns.getNodeParameter('configurationItemBy', itemIndex, 'name') as ConfigurationItemSpec['by'],
		value: String(fns.getNodeParameter('configurationItemValue', itemIndex, '') ?? ''),
	};
}
