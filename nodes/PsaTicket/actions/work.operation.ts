// PSA Ticket > List Time Entries, List Attachments, Download Attachment: a ticket's work records, and one attachment's file as binary data.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { downloadAttachment, listAttachments } from '../../../lib/services/attachment';
import type { PsaServiceContext } from '../../../lib/services/context';
import { listTimeEntries } from '../../../lib/services/time-entry';
import { plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { requiredText } from '../../shared/parameters';
import { withBinary } from '../../shared/router';

const lists = { operation: ['listTimeEntries', 'listAttachments'] };
const download = { operation: ['downloadAttachment'] };

export const description: INodeProperties[] = [
	...ticketByProperties({ show: { operation: ['listTimeEntries', 'listAttachments', 'downloadAttachment'] } }),
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show: lists },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		default: 50,
		typeOptions: { minValue: 1 },
		description: 'Max number of results to return (the newest)',
		displayOptions: { show: { ...lists, returnAll: [false] } },
	},
	{
		displayName: 'Attachment ID',
		name: 'attachmentId',
		type: 'number',
		default: 0,
		required: true,
		description: 'The attachment to download (the ID List Attachments or Add Attachment gives)',
		displayOptions: { show: download },
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the file in',
		displayOptions: { show: download },
	},
];

export async function executeList(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number, what: 'timeEntries' | 'attachments'): Promise<IDataObject[]> {
	const ticket = readTicketRef(this, itemIndex, ctx.provider);
	const limit = this.getNodeParameter('returnAll', itemIndex, false) ? Infinity : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const records = what === 'timeEntries' ? await listTimeEntries(ctx, ticket, { newestFirst: true, limit }) : await listAttachments(ctx, ticket, { newestFirst: true, limit });
	return records.map((record) => plain(record) as IDataObject);
}

export async function executeDownload(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const property = requiredText(this.getNodeParameter('binaryPropertyName', itemIndex, 'data'), 'Put Output File in Field', itemIndex);
	const { attachment, data } = await downloadAttachment(ctx, readTicketRef(this, itemIndex, ctx.provider), this.getNodeParameter('attachmentId', itemIndex, 0) as number);
	const binary = await this.helpers.prepareBinaryData(data, attachment.fileName, attachment.contentType);
	return withBinary(plain({ ...attachment, size: data.length }) as IDataObject, { [property]: binary });
}

export const listTimeEntriesOperation = {
	description,
	execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number) {
		return executeList.call(this, ctx, itemIndex, 'timeEntries');
	},
};
export const listAttachmentsOperation = {
	description: [],
	execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number) {
		return executeList.call(this, ctx, itemIndex, 'attachments');
	},
};
export const downloadAttachmentOperation = { description: [], execute: executeDownload };
