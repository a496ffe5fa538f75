// PSA Status > Set: move a ticket to a status given by name, id or mapped external state, on the ticket's own board.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { setStatus, type StatusChoice } from '../../../lib/services/status';
import { plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { requiredText } from '../../shared/parameters';
import { statusOptionsOf } from './common';

const show = { operation: ['set'] };

export const description: INodeProperties[] = [
	...ticketByProperties({ show }),
	{
		displayName: 'Status By',
		name: 'statusBy',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Name', value: 'name', description: 'A status name on the ticket\'s board, e.g. In Progress' },
			{ name: 'ID', value: 'id', description: 'A status ID on the ticket\'s board' },
			{
				name: 'External State',
				value: 'external',
				description: 'A state of the external tool (e.g. resolved), translated by the status map for the ticket\'s board',
			},
		],
		default: 'name',
		displayOptions: { show },
	},
	{
		displayName: 'Status Name',
		name: 'statusName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. In Progress',
		displayOptions: { show: { ...show, statusBy: ['name'] } },
	},
	{
		displayName: 'Status ID',
		name: 'statusId',
		type: 'number',
		default: 0,
		required: true,
		displayOptions: { show: { ...show, statusBy: ['id'] } },
	},
	{
		displayName: 'External State',
		name: 'externalState',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. resolved',
		description: 'Mapped with Map External State; without a mapping, a status of the same name is used',
		displayOptions: { show: { ...show, statusBy: ['external'] } },
	},
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const by = this.getNodeParameter('statusBy', itemIndex, 'name') as string;
	let choice: StatusChoice;
	if (by === 'id') choice = { by: 'id', statusId: this.getNodeParameter('statusId', itemIndex, 0) as number };
	else if (by === 'external') choice = { by: 'external', externalState: requiredText(this.getNodeParameter('externalState', itemIndex, undefined), 'External State', itemIndex) };
	else choice = { by: 'name', name: requiredText(this.getNodeParameter('statusName', itemIndex, undefined), 'Status Name', itemIndex) };
	return plain(await setStatus(ctx, readTicketRef(this, itemIndex, ctx.provider), choice, statusOptionsOf(this, itemIndex))) as IDataObject;
}
