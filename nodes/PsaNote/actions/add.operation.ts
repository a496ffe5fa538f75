// PSA Note > Add: post a note to a ticket given by id or by link, deduplicated by an optional key.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaNoteType } from '../../../lib/providers/types';
import type { PsaServiceContext } from '../../../lib/services/context';
import { addNote } from '../../../lib/services/note';
import { additionalFieldsCollection, optionalIdentityFields, plain, readOptionalIdentity, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { optionalText } from '../../shared/parameters';

const show = { operation: ['add'] };

export const description: INodeProperties[] = [
	...ticketByProperties({ show }),
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		description: 'The note text',
		displayOptions: { show },
	},
	{
		displayName: 'Note Type',
		name: 'noteType',
		type: 'options',
		options: [
			{ name: 'Discussion', value: 'discussion', description: 'Visible to the customer' },
			{ name: 'Internal', value: 'internal', description: 'Visible to staff only' },
			{ name: 'Resolution', value: 'resolution', description: 'How the issue was solved' },
		],
		default: 'internal',
		displayOptions: { show },
	},
	additionalFieldsCollection({ show }, [
		{
			displayName: 'Dedupe Key',
			name: 'dedupeKey',
			type: 'string',
			default: '',
			placeholder: 'e.g. {{ $json.event_id }}',
			description: 'A note with a key that was already posted on this connection is not posted again; the output says deduplicated',
		},
		...optionalIdentityFields(
			'memberIdentity',
			'Author Identity',
			'Attribute the note to the member mapped to this identity (emails are matched automatically)',
		),
	]),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const additional = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const member = readOptionalIdentity(additional, 'memberIdentity', 'Author Identity');
	const result = await addNote(ctx, {
		ticket: readTicketRef(this, itemIndex, ctx.provider),
		text: String(this.getNodeParameter('text', itemIndex, '')),
		type: this.getNodeParameter('noteType', itemIndex, 'internal') as PsaNoteType,
		dedupeKey: optionalText(additional.dedupeKey, 'Dedupe Key'),
		member,
	});
	return plain(result) as IDataObject;
}
