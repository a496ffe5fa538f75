// PSA Note > Add Attachment: put the files of one or more binary properties on a ticket, streamed, once per dedupe key.
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { PsaError } from '../../../lib/providers/errors';
import type { PsaUploadContent } from '../../../lib/providers/types';
import { bufferContent } from '../../../lib/providers/upload';
import { addAttachment } from '../../../lib/services/attachment';
import type { PsaServiceContext } from '../../../lib/services/context';
import { additionalFieldsCollection, plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { addedText, optionalText } from '../../shared/parameters';

const show = { operation: ['addAttachment'] };
/** Bytes read from n8n's binary store per chunk: the upload holds about this much of the file at a time. */
const CHUNK_BYTES = 256 * 1024;

export const description: INodeProperties[] = [
	...ticketByProperties({ show }),
	{
		displayName: 'Input Binary Field(s)',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data, graph',
		hint: 'The name of the input binary field(s) holding the file(s); separate several with commas',
		displayOptions: { show },
	},
	{
		displayName: 'Visible To',
		name: 'visibility',
		type: 'options',
		options: [
			{ name: 'Internal Staff Only', value: 'internal' },
			{ name: 'Public', value: 'public', description: 'ConnectWise: not private; Autotask: published to all users' },
		],
		default: 'internal',
		displayOptions: { show },
	},
	additionalFieldsCollection({ show }, [
		{
			displayName: 'Title',
			name: 'title',
			type: 'string',
			default: '',
			description: 'Shown in the PSA; the file name when empty. A short dedupe marker is added at its end.',
		},
		{
			displayName: 'File Name',
			name: 'fileName',
			type: 'string',
			default: '',
			description: "Replaces the binary data's file name (with several fields, used for the first)",
		},
		{
			displayName: 'Dedupe Key',
			name: 'dedupeKey',
			type: 'string',
			default: '',
			placeholder: 'e.g. {{ $json.run_id }}',
			description: 'A file with a key already attached on this connection is not attached again (with several fields, each gets the key plus its field name). Default: the ticket, file name and content.',
		},
	]),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject[]> {
	const additional = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const properties = String(this.getNodeParameter('binaryPropertyName', itemIndex, 'data'))
		.split(',')
		.map((name) => name.trim())
		.filter(Boolean);
	if (!properties.length) throw new PsaError('invalid-input', 'Input Binary Field(s) is empty', { hint: 'Name the binary field holding the file, e.g. data.' });
	const ticket = readTicketRef(this, itemIndex, ctx.provider);
	const dedupeKey = addedText(additional, 'dedupeKey', 'Dedupe Key', itemIndex);
	const results: IDataObject[] = [];
	for (const [index, property] of properties.entries()) {
		const binary = this.helpers.assertBinaryData(itemIndex, property);
		const fileName = (index === 0 ? optionalText(additional.fileName, 'File Name') : undefined) ?? binary.fileName ?? `${property}.${binary.fileExtension ?? 'bin'}`;
		const result = await addAttachment(ctx, {
			ticket,
			fileName,
			title: optionalText(additional.title, 'Title'),
			contentType: binary.mimeType,
			public: this.getNodeParameter('visibility', itemIndex, 'internal') === 'public',
			content: await contentOf(this, itemIndex, property, binary),
			...(dedupeKey ? { dedupeKey: properties.length > 1 ? `${dedupeKey}:${property}` : dedupeKey } : {}),
		});
		results.push(plain({ ...result, binaryProperty: property }) as IDataObject);
	}
	return results;
}

/** The binary data as chunks: streamed from n8n's binary store (filesystem, S3) when it is there, else its buffer. */
async function contentOf(fns: IExecuteFunctions, itemIndex: number, property: string, binary: IBinaryData): Promise<PsaUploadContent> {
	const id = binary.id;
	if (id) {
		const { fileSize } = await fns.helpers.getBinaryMetadata(id);
		return {
			size: fileSize,
			async *open() {
				for await (const chunk of await fns.helpers.getBinaryStream(id, CHUNK_BYTES)) yield chunk as Buffer;
			},
		};
	}
	return bufferContent(await fns.helpers.getBinaryDataBuffer(itemIndex, property), CHUNK_BYTES);
}
