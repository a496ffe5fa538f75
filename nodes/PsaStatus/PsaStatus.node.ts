// PSA Status node: set a ticket's status by name, id or mapped external state on its own board; close, reopen, get.
import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { authenticationProperty, credentialsOfPsaNode } from '../shared/credentials';
import { concurrencyOption } from '../shared/descriptions';
import { listSearch, loadOptions } from '../shared/methods';
import * as close from './actions/close.operation';
import * as get from './actions/get.operation';
import * as mapExternalState from './actions/mapExternalState.operation';
import * as reopen from './actions/reopen.operation';
import { router } from './actions/router';
import * as set from './actions/set.operation';

export class PsaStatus implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PSA Status',
		name: 'psaStatus',
		icon: { light: 'file:psaStatus.svg', dark: 'file:psaStatus.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description: 'Set, close or reopen a PSA ticket\'s status on its own board',
		defaults: { name: 'PSA Status' },
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
						name: 'Close',
						value: 'close',
						description: 'Move the ticket to its board\'s closed status',
						action: 'Close a ticket',
					},
					{
						name: 'Get',
						value: 'get',
						description: 'Read the ticket\'s current status',
						action: 'Get a ticket status',
					},
					{
						name: 'Map External State',
						value: 'mapExternalState',
						description: 'Say which board status an external state means',
						action: 'Map an external state to a status',
					},
					{
						name: 'Reopen',
						value: 'reopen',
						description: 'Move the ticket back to its board\'s default status',
						action: 'Reopen a ticket',
					},
					{
						name: 'Set',
						value: 'set',
						description: 'Set the status by name, ID or external state',
						action: 'Set a ticket status',
					},
				],
				default: 'set',
			},
			...set.description,
			...close.description,
			...reopen.description,
			...get.description,
			...mapExternalState.description,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					concurrencyOption,
					{
						displayName: 'Read Current Status From PSA',
						name: 'readCurrent',
						type: 'boolean',
						default: false,
						description:
							'Whether Set, Close and Reopen read the ticket first even when this n8n process already knows its board and status. Costs one request; sees changes made in the PSA meanwhile.',
					},
				],
			},
		],
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
