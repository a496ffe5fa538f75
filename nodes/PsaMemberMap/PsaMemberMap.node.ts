// PSA Member Map node: resolve external identities (email, chat id) to PSA members; set, remove and list mappings.
import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { authenticationProperty, credentialsOfPsaNode } from '../shared/credentials';
import { optionsCollection } from '../shared/descriptions';
import { listSearch, loadOptions } from '../shared/methods';
import * as list from './actions/list.operation';
import * as remove from './actions/remove.operation';
import * as resolve from './actions/resolve.operation';
import { router } from './actions/router';
import * as set from './actions/set.operation';

export class PsaMemberMap implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PSA Member Map',
		name: 'psaMemberMap',
		icon: { light: 'file:psaMemberMap.svg', dark: 'file:psaMemberMap.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description: 'Map people in other tools (email, chat) to PSA members',
		defaults: { name: 'PSA Member Map' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: credentialsOfPsaNode(),
		properties: [
			authenticationProperty(),
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'List',
						value: 'list',
						description: 'List the stored mappings',
						action: 'List member mappings',
					},
					{
						name: 'Remove',
						value: 'remove',
						description: 'Remove the mapping of an identity',
						action: 'Remove a member mapping',
					},
					{
						name: 'Resolve',
						value: 'resolve',
						description: 'Find the member for an identity: the map first, then an email match',
						action: 'Resolve an identity to a member',
					},
					{
						name: 'Set',
						value: 'set',
						description: 'Map an identity to a member by hand',
						action: 'Set a member mapping',
					},
				],
				default: 'resolve',
			},
			...resolve.description,
			...set.description,
			...remove.description,
			...list.description,
			optionsCollection,
		],
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
