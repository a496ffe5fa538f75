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
	link: {
		module: link,
		name: 'Link',
		description: 'Return the linked ticket, or create it and link it',
		action: 'Link an alert to a PSA ticket, creating one only if none is linked (repeating the call returns the same ticket)',
	},
	linkExisting: {
		module: linkExisting,
		name: 'Link Existing Ticket',
		description: 'Link an external entity to a ticket that already exists',
		action: 'Link an alert to an existing PSA ticket given by its ID',
	},
	get: { module: get, name: 'Get', description: 'Get the ticket an external entity is linked to', action: 'Get the PSA ticket an alert is linked to' },
	unlink: { module: unlink, name: 'Unlink', description: 'Remove a link; the ticket stays in the PSA', action: 'Remove the link between an alert and its ticket (the ticket stays in the PSA)' },
	list: { module: list, name: 'List', description: 'List the stored links', action: 'List the stored alert-to-ticket links' },
	event: {
		module: event,
		name: 'Alert Event',
		description: 'Apply a firing or resolved alert: maintenance windows, flapping, find-or-create, recovery that closes only what no person touched',
		action: 'Apply a firing or resolved alert to its PSA ticket: held in a maintenance window, quiet while flapping, closed on recovery only if no person touched it',
	},
	setWindow: {
		module: { description: windows.setDescription, execute: windows.set },
		name: 'Set Maintenance Window',
		description: 'Declare a window in which matching alerts are held (no ticket) until it ends',
		action: 'Declare a maintenance window in which matching alerts open no ticket until it ends',
	},
	listWindows: {
		module: { description: windows.listDescription, execute: windows.list },
		name: 'List Maintenance Windows',
		description: 'List the maintenance windows and their state',
		action: 'List the maintenance windows and whether each is active',
	},
	deleteWindow: {
		module: { description: windows.deleteDescription, execute: windows.remove },
		name: 'Delete Maintenance Window',
		description: 'End a window now (alerts still firing get their ticket) and remove it',
		action: 'End a maintenance window now; alerts still firing get their ticket once',
	},
	releaseWindows: {
		module: { description: [], execute: windows.release },
		name: 'Release Ended Windows',
		description: 'Give the alerts still firing at the end of each ended window their ticket, once; drop the recovered ones',
		action: 'Give alerts still firing at the end of each ended maintenance window their ticket, once',
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
