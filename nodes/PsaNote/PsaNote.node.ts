// PSA Note node: add a discussion, internal or resolution note to a PSA ticket, deduplicated by a key.
import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { authenticationProperty, credentialsOfPsaNode } from '../shared/credentials';
import { optionsCollection } from '../shared/descriptions';
import { listSearch, loadOptions } from '../shared/methods';
import * as add from './actions/add.operation';
import { router } from './actions/router';

export class PsaNote implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PSA Note',
		name: 'psaNote',
		icon: { light: 'file:psaNote.svg', dark: 'file:psaNote.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["noteType"] }}',
		description: 'Add a note to a PSA ticket given by ID or by link, once per dedupe key',
		defaults: { name: 'PSA Note' },
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
						name: 'Add',
						value: 'add',
						description: 'Add a note to a ticket',
						action: 'Add a note to a ticket',
					},
				],
				default: 'add',
			},
			...add.description,
			optionsCollection,
		],
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
