// PSA Ticket > Update: change the fields given (only those are sent), optionally refusing when a person changed the ticket since a time.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { updateTicket, type TicketChangesInput } from '../../../lib/services/ticket';
import { optionalIdentityFields, plain, readOptionalIdentity, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { readTicketDetails, ticketDetailOptions } from '../../shared/ticket-details';
import { simplifiedTicket, simplifyProperty } from './common';

const show = { operation: ['update'] };
const EXPRESSION = 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.';

export const description: INodeProperties[] = [
	...ticketByProperties({ show }),
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		description: 'Only the fields added here are sent. To pick a ConnectWise type, subtype, item or team from the list, add Board too (the same board is fine).',
		displayOptions: { show },
		options: [
			{ displayName: 'Summary', name: 'summary', type: 'string', default: '' },
			{ displayName: 'Board Name or ID', name: 'boardId', type: 'options', typeOptions: { loadOptionsMethod: 'getBoards' }, default: '', description: `Moves the ticket to another board (Autotask: queue). ${EXPRESSION}` },
			{
				displayName: 'Status Name or ID',
				name: 'statusId',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getBoardStatuses', loadOptionsDependsOn: ['updateFields.boardId'] },
				default: '',
				description: `A status of the ticket's board; PSA Status sets a status by name or mapped state. ${EXPRESSION}`,
			},
			{ displayName: 'Priority Name or ID', name: 'priorityId', type: 'options', typeOptions: { loadOptionsMethod: 'getPriorities' }, default: '', description: EXPRESSION },
			{ displayName: 'Contact ID', name: 'contactId', type: 'number', default: 0, description: 'A contact of the ticket\'s company' },
			{ displayName: 'Owner ID', name: 'ownerId', type: 'number', default: 0, description: 'The owner (Autotask: assigned resource) by member ID' },
			...optionalIdentityFields('ownerIdentity', 'Owner Identity', 'The owner as an external identity, resolved through the member map (emails are matched automatically)'),
			...ticketDetailOptions('updateFields.boardId'),
		],
	},
	{
		displayName: 'Update Options',
		name: 'updateOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Unless Changed in the PSA Since',
				name: 'unlessChangedSince',
				type: 'dateTime',
				default: '',
				description: 'Refuse (with an error, nothing written) when the PSA says the ticket changed after this time, e.g. the updatedAt a PSA Ticket › Get returned. Costs one read.',
			},
		],
	},
	simplifyProperty({ show }),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const fields = this.getNodeParameter('updateFields', itemIndex, {}) as IDataObject;
	const options = this.getNodeParameter('updateOptions', itemIndex, {}) as IDataObject;
	const changes: TicketChangesInput = {
		...readTicketDetails(fields),
		summary: fields.summary as string | undefined,
		boardId: fields.boardId as number | undefined,
		statusId: fields.statusId as number | undefined,
		priorityId: fields.priorityId as number | undefined,
		contactId: fields.contactId as number | undefined,
		ownerId: fields.ownerId as number | undefined,
		owner: readOptionalIdentity(fields, 'ownerIdentity', 'Owner Identity', itemIndex),
	};
	const result = await updateTicket(ctx, readTicketRef(this, itemIndex, ctx.provider), changes, { unlessChangedSince: options.unlessChangedSince as string | undefined });
	if (!(this.getNodeParameter('simplify', itemIndex, true) as boolean)) return plain(result) as IDataObject;
	return { ...simplifiedTicket(result.ticket, result.ticketUrl), changed: result.changed, ...(result.resolved ? { resolved: plain(result.resolved) } : {}) } as IDataObject;
}
