// PSA Connect node: test a PSA connection, check the API member's permissions, list and forget connections' local state.
import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { psaConnectionTest, psaStateStoreTest } from '../shared/credentialTest';
import { authenticationProperty, credentialsOfPsaNode } from '../shared/credentials';
import { optionsCollection } from '../shared/descriptions';
import * as checkPermissions from './actions/checkPermissions.operation';
import * as forget from './actions/forget.operation';
import * as listConnections from './actions/listConnections.operation';
import { router } from './actions/router';
import * as test from './actions/test.operation';

export class PsaConnect implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PSA Connect',
		name: 'psaConnect',
		icon: { light: 'file:psaConnect.svg', dark: 'file:psaConnect.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description: 'Test a PSA connection, check its permissions, and manage the state kept for it',
		defaults: { name: 'PSA Connect' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// The credential dialogs' Test buttons run these methods (for a PSA: its full connection path, versions included).
		credentials: credentialsOfPsaNode({ psa: 'psaConnectionTest', store: 'psaStateStoreTest' }),
		properties: [
			authenticationProperty(),
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Check Permissions',
						value: 'checkPermissions',
						description: 'Check every endpoint the package uses, one output item each',
						action: 'Check the API member permissions',
					},
					{
						name: 'Forget Connection',
						value: 'forget',
						description: 'Delete a connection\'s links, receipts and maps from the state store',
						action: 'Forget a connection',
					},
					{
						name: 'List Connections',
						value: 'listConnections',
						description: 'List the connections in the state store with their counts',
						action: 'List connections',
					},
					{
						name: 'Test',
						value: 'test',
						description: 'Test authentication and report server and API versions',
						action: 'Test the connection',
					},
				],
				default: 'test',
			},
			...test.description,
			...checkPermissions.description,
			...listConnections.description,
			...forget.description,
			optionsCollection,
		],
	};

	methods = { credentialTest: { psaConnectionTest, psaStateStoreTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
