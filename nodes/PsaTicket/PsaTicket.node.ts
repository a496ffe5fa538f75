// PSA Ticket node: read a ticket whole, search tickets, update any field, attach or detach configuration items, and read its time entries and attachments.
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { listSearch, loadOptions } from '../shared/methods';
import { psaActionDescription } from '../shared/nodeDescription';
import { operationRouter, type Operations } from '../shared/router';
import * as addConfigurationItem from './actions/addConfigurationItem.operation';
import * as get from './actions/get.operation';
import * as removeConfigurationItem from './actions/removeConfigurationItem.operation';
import * as search from './actions/search.operation';
import * as update from './actions/update.operation';
import { downloadAttachmentOperation, listAttachmentsOperation, listTimeEntriesOperation } from './actions/work.operation';

const operations: Operations = {
	get: { module: get, name: 'Get', description: 'Read a ticket with its custom fields and devices', action: 'Get a PSA ticket with its custom fields and configuration items' },
	search: { module: search, name: 'Search', description: 'Find tickets by field, custom field, date or state', action: 'Search PSA tickets by field, custom field, date and open or closed state' },
	update: { module: update, name: 'Update', description: 'Change the fields given, and only those', action: 'Update only the given fields of a PSA ticket, refused when someone changed it since' },
	addConfigurationItem: {
		module: addConfigurationItem,
		name: 'Add Configuration Item',
		description: "Attach a device found within the ticket's company",
		action: "Attach a configuration item (device) of the ticket's company to a PSA ticket",
	},
	removeConfigurationItem: {
		module: removeConfigurationItem,
		name: 'Remove Configuration Item',
		description: 'Detach a device from the ticket',
		action: 'Detach a configuration item (device) from a PSA ticket',
	},
	listTimeEntries: { module: listTimeEntriesOperation, name: 'List Time Entries', description: 'Read the time logged on a ticket', action: 'List the time entries of a ticket' },
	listAttachments: { module: listAttachmentsOperation, name: 'List Attachments', description: 'Read the files attached to a ticket', action: 'List the attachments of a ticket' },
	downloadAttachment: {
		module: downloadAttachmentOperation,
		name: 'Download Attachment',
		description: 'Get an attached file as binary data',
		action: 'Download an attachment of a ticket',
	},
};

const router = operationRouter(operations);

export class PsaTicket implements INodeType {
	description: INodeTypeDescription = {
		...psaActionDescription({
			displayName: 'PSA Ticket',
			name: 'psaTicket',
			description: 'Get, search and update PSA tickets: classification, custom fields, configuration items, time entries and attachments',
			operations,
			defaultOperation: 'get',
		}),
		// Stated here, not by the factory: n8n's community-node lint reads them from the class.
		subtitle: '={{ $parameter["operation"] }}',
		usableAsTool: true,
		icon: { light: 'file:psaTicket.svg', dark: 'file:psaTicket.dark.svg' },
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
