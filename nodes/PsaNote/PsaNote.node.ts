// PSA Note node: add a note, a time entry or an attachment to a PSA ticket, each deduplicated by a key.
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { listSearch, loadOptions } from '../shared/methods';
import { psaActionDescription } from '../shared/nodeDescription';
import { operationRouter, type Operations } from '../shared/router';
import * as add from './actions/add.operation';
import * as addAttachment from './actions/addAttachment.operation';
import * as addTimeEntry from './actions/addTimeEntry.operation';

const operations: Operations = {
	add: {
		module: add,
		name: 'Add',
		description: 'Add a note to a ticket',
		action:
			'Add a note to a PSA ticket given by ID or by alert link; the same text on the same ticket is posted once (without a dedupe key, one is derived from ticket and text)',
	},
	addTimeEntry: {
		module: addTimeEntry,
		name: 'Add Time Entry',
		description: 'Log time worked on a ticket',
		action: 'Log time worked on a PSA ticket for a member given by email or ID; the same entry (ticket, member, start, minutes) is logged once',
	},
	addAttachment: {
		module: addAttachment,
		name: 'Add Attachment',
		description: 'Attach files from binary data to a ticket',
		action: "Attach files from the item's binary data to a PSA ticket; each file is attached once",
	},
};

const router = operationRouter(operations);

export class PsaNote implements INodeType {
	description: INodeTypeDescription = {
		...psaActionDescription({
			displayName: 'PSA Note',
			name: 'psaNote',
			description: 'Add a note, a time entry or an attachment to a PSA ticket given by ID or by link, once per dedupe key',
			operations,
			defaultOperation: 'add',
		}),
		// Stated here, not by the factory: n8n's community-node lint reads them from the class.
		subtitle: '={{ $parameter["operation"] === "add" ? "add: " + $parameter["noteType"] : $parameter["operation"] }}',
		usableAsTool: true,
		icon: { light: 'file:psaNote.svg', dark: 'file:psaNote.dark.svg' },
	};

	methods = { loadOptions, listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
