// PSA Status > Map External State: say which status of a board an external state (e.g. resolved) means.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { mapExternalState } from '../../../lib/services/status';
import { plain } from '../../shared/descriptions';
import { requiredText } from '../../shared/parameters';

const show = { operation: ['mapExternalState'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Board Name or ID',
		name: 'boardId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getBoards' },
		default: '',
		required: true,
		description: 'The service board (Autotask: the queue; its statuses are the same on every queue). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
		displayOptions: { show },
	},
	{
		displayName: 'External State',
		name: 'externalState',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. resolved',
		description: 'The state name the external tool uses; "closed" and "open" also steer Close and Reopen',
		displayOptions: { show },
	},
	{
		displayName: 'Status Name or ID',
		name: 'statusId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getBoardStatuses', loadOptionsDependsOn: ['boardId'] },
		default: '',
		required: true,
		description: 'The board status the external state means. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show },
	},
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const mapping = await mapExternalState(ctx, {
		boardId: Number(this.getNodeParameter('boardId', itemIndex, 0)),
		externalState: requiredText(this.getNodeParameter('externalState', itemIndex, undefined), 'External State', itemIndex),
		status: { by: 'id', statusId: Number(this.getNodeParameter('statusId', itemIndex, 0)) },
	});
	return plain(mapping) as IDataObject;
}
