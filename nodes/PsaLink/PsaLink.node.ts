// PSA Link node: link an external entity (source + external id) to exactly one PSA ticket.
import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { authenticationProperty, credentialsOfPsaNode } from '../shared/credentials';
import { optionsCollection } from '../shared/descriptions';
import { listSearch, loadOptions } from '../shared/methods';
import * as get from './actions/get.operation';
import * as link from './actions/link.operation';
import * as linkExisting from './actions/linkExisting.operation';
import * as list from './actions/list.operation';
import { router } from './actions/router';
import * as unlink from './actions/unlink.operation';

export class PsaLink implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PSA Link',
		name: 'psaLink',
		icon: { light: 'file:psaLink.svg', dark: 'file:psaLink.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description: 'Link an alert, incident or device to exactly one PSA ticket: find-or-create, safe under retries',
		defaults: { name: 'PSA Link' },
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
						name: 'Get',
						value: 'get',
						description: 'Get the ticket an external entity is linked to',
						action: 'Get a link',
					},
					{
						name: 'Link',
						value: 'link',
						description: 'Return the linked ticket, or create it and link it',
						action: 'Find or create the linked ticket',
					},
					{
						name: 'Link Existing Ticket',
						value: 'linkExisting',
						description: 'Link an external entity to a ticket that already exists',
						action: 'Link an existing ticket',
					},
					{
						name: 'List',
						value: 'list',
						description: 'List the stored links',
						action: 'List links',
					},
					{
						name: 'Unlink',
						value: 'unlink',
						description: 'Remove a link; the ticket stays in the PSA',
						action: 'Unlink a ticket',
					},
				],
				default: 'link',
			},
			...link.description,
			...linkExisting.description,
			...get.description,
			...unlink.description,
			...list.description,
			optionsCollection,
		],
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
