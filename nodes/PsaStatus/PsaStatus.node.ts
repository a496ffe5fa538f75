// PSA Status node: set a ticket's status by name, id or mapped external state on its own board; close, reopen, get.
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { concurrencyOption } from '../shared/descriptions';
import { listSearch, loadOptions } from '../shared/methods';
import { psaActionDescription } from '../shared/nodeDescription';
import { operationRouter, type Operations } from '../shared/router';
import * as close from './actions/close.operation';
import * as get from './actions/get.operation';
import * as mapExternalState from './actions/mapExternalState.operation';
import * as reopen from './actions/reopen.operation';
import * as set from './actions/set.operation';

const operations: Operations = {
	set: { module: set, name: 'Set', description: 'Set the status by name, ID or external state', action: "Set a PSA ticket's status by name (any case), ID or external state; nothing changes when it already has it" },
	close: { module: close, name: 'Close', description: "Move the ticket to its board's closed status", action: "Close a PSA ticket (its board's closed status)" },
	reopen: { module: reopen, name: 'Reopen', description: "Move the ticket back to its board's default status", action: "Reopen a PSA ticket (its board's default open status)" },
	get: { module: get, name: 'Get', description: "Read the ticket's current status", action: "Get a PSA ticket's current status and board" },
	mapExternalState: {
		module: mapExternalState,
		name: 'Map External State',
		description: 'Say which board status an external state means',
		action: 'Map an external state (e.g. resolved) to a status of a board',
	},
};

const router = operationRouter(operations);

export class PsaStatus implements INodeType {
	description: INodeTypeDescription = {
		...psaActionDescription({
			displayName: 'PSA Status',
			name: 'psaStatus',
			description: "Set, close or reopen a PSA ticket's status on its own board",
			operations,
			defaultOperation: 'set',
			options: {
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
						noDataExpression: true,
						default: false,
						description:
							'Whether Set, Close and Reopen read the ticket first even when this n8n process already knows its board and status. Costs one request; sees changes made in the PSA meanwhile.',
					},
				],
			},
		}),
		// Stated here, not by the factory: n8n's community-node lint reads them from the class.
		subtitle: '={{ $parameter["operation"] }}',
		usableAsTool: true,
		icon: { light: 'file:psaStatus.svg', dark: 'file:psaStatus.dark.svg' },
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
