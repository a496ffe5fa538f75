// PSA Connect node: test a PSA connection, check the API member's permissions, list and forget connections' local state.
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { psaConnectionTest, psaStateStoreTest } from '../shared/credentialTest';
import { psaActionDescription } from '../shared/nodeDescription';
import { operationRouter, type Operations } from '../shared/router';
import * as checkPermissions from './actions/checkPermissions.operation';
import * as forget from './actions/forget.operation';
import * as listConnections from './actions/listConnections.operation';
import * as test from './actions/test.operation';

const operations: Operations = {
	test: { module: test, name: 'Test', description: 'Test authentication and report server and API versions', action: 'Test the PSA connection and report the server and API versions' },
	checkPermissions: {
		module: checkPermissions,
		name: 'Check Permissions',
		description: 'Check every endpoint the package uses, one output item each',
		action: 'Check which PSA endpoints the API member may use, one result per endpoint',
	},
	listConnections: {
		module: listConnections,
		name: 'List Connections',
		description: 'List the connections in the state store with their counts',
		action: 'List the PSA connections this n8n keeps state for, with their counts',
	},
	forget: {
		module: forget,
		name: 'Forget Connection',
		description: "Delete a connection's links, receipts and maps from the state store",
		action: "Delete a connection's stored links, note receipts and member maps (tickets in the PSA stay)",
	},
};

const router = operationRouter(operations);

export class PsaConnect implements INodeType {
	description: INodeTypeDescription = {
		...psaActionDescription({
			displayName: 'PSA Connect',
			name: 'psaConnect',
			description: 'Test a PSA connection, check its permissions, and manage the state kept for it',
			// The credential dialogs' Test buttons run these methods (for a PSA: its full connection path, versions included).
			credentialTests: { psa: 'psaConnectionTest', store: 'psaStateStoreTest' },
			operations,
			defaultOperation: 'test',
		}),
		// Stated here, not by the factory: n8n's community-node lint reads them from the class.
		subtitle: '={{ $parameter["operation"] }}',
		usableAsTool: true,
		icon: { light: 'file:psaConnect.svg', dark: 'file:psaConnect.dark.svg' },
	};

	methods = { credentialTest: { psaConnectionTest, psaStateStoreTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
