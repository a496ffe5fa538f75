// PSA Member Map node: resolve external identities (email, chat id) to PSA members; set, remove and list mappings.
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { listSearch, loadOptions } from '../shared/methods';
import { psaActionDescription } from '../shared/nodeDescription';
import { operationRouter, type Operations } from '../shared/router';
import * as list from './actions/list.operation';
import * as remove from './actions/remove.operation';
import * as resolve from './actions/resolve.operation';
import * as set from './actions/set.operation';

const operations: Operations = {
	resolve: {
		module: resolve,
		name: 'Resolve',
		description: 'Find the member for an identity: the map first, then an email match',
		action: "Find the PSA member for a person's email or chat ID (the map first, then by email) and remember it",
	},
	set: { module: set, name: 'Set', description: 'Map an identity to a member by hand', action: "Map a person's email or chat ID to a PSA member" },
	remove: { module: remove, name: 'Remove', description: 'Remove the mapping of an identity', action: "Remove the mapping of a person's email or chat ID" },
	list: { module: list, name: 'List', description: 'List the stored mappings', action: 'List the stored person-to-member mappings' },
};

const router = operationRouter(operations);

export class PsaMemberMap implements INodeType {
	description: INodeTypeDescription = {
		...psaActionDescription({
			displayName: 'PSA Member Map',
			name: 'psaMemberMap',
			description: 'Map people in other tools (email, chat) to PSA members',
			operations,
			defaultOperation: 'resolve',
		}),
		// Stated here, not by the factory: n8n's community-node lint reads them from the class.
		subtitle: '={{ $parameter["operation"] }}',
		usableAsTool: true,
		icon: { light: 'file:psaMemberMap.svg', dark: 'file:psaMemberMap.dark.svg' },
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
