// PSA Link node: link an external entity (source + external id) to exactly one PSA ticket.
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { listSearch, loadOptions } from '../shared/methods';
import { psaActionDescription } from '../shared/nodeDescription';
import { operationRouter, type Operations } from '../shared/router';
import * as get from './actions/get.operation';
import * as link from './actions/link.operation';
import * as linkExisting from './actions/linkExisting.operation';
import * as list from './actions/list.operation';
import * as unlink from './actions/unlink.operation';
import * as event from './actions/event.operation';
import * as windows from './actions/windows.operation';

const operations: Operations = {
	link: { module: link, name: 'Link', description: 'Return the linked ticket, or create it and link it', action: 'Find or create the linked ticket' },
	linkExisting: {
		module: linkExisting,
		name: 'Link Existing Ticket',
		description: 'Link an external entity to a ticket that already exists',
		action: 'Link an existing ticket',
	},
	get: { module: get, name: 'Get', description: 'Get the ticket an external entity is linked to', action: 'Get a link' },
	unlink: { module: unlink, name: 'Unlink', description: 'Remove a link; the ticket stays in the PSA', action: 'Unlink a ticket' },
	list: { module: list, name: 'List', description: 'List the stored links', action: 'List links' },
	event: {
		module: event,
		name: 'Alert Event',
		description: 'Apply a firing or resolved alert: maintenance windows, flapping, find-or-create, recovery that closes only what no person touched',
		action: 'Apply an alert event',
	},
	setWindow: {
		module: { description: windows.setDescription, execute: windows.set },
		name: 'Set Maintenance Window',
		description: 'Declare a window in which matching alerts are held (no ticket) until it ends',
		action: 'Set a maintenance window',
	},
	listWindows: {
		module: { description: windows.listDescription, execute: windows.list },
		name: 'List Maintenance Windows',
		description: 'List the maintenance windows and their state',
		action: 'List maintenance windows',
	},
	deleteWindow: {
		module: { description: windows.deleteDescription, execute: windows.remove },
		name: 'Delete Maintenance Window',
		description: 'End a window now (alerts still firing get their ticket) and remove it',
		action: 'Delete a maintenance window',
	},
	releaseWindows: {
		module: { description: [], execute: windows.release },
		name: 'Release Ended Windows',
		description: 'Give the alerts still firing at the end of each ended window their ticket, once; drop the recovered ones',
		action: 'Release ended maintenance windows',
	},
};

const router = operationRouter(operations);

export class PsaLink implements INodeType {
	description: INodeTypeDescription = {
		...psaActionDescription({
			displayName: 'PSA Link',
			name: 'psaLink',
			description: 'Link an alert, incident or device to exactly one PSA ticket: find-or-create, safe under retries',
			operations,
			defaultOperation: 'link',
		}),
		// Stated here, not by the factory: n8n's community-node lint reads them from the class.
		subtitle: '={{ $parameter["operation"] }}',
		usableAsTool: true,
		icon: { light: 'file:psaLink.svg', dark: 'file:psaLink.dark.svg' },
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
