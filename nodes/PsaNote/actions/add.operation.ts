// PSA Note > Add: post a note to a ticket given by id or by link, deduplicated by an optional key.
import { PsaError } from '../../../lib/providers/errors';
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaNoteType } from '../../../lib/providers/types';
import type { PsaServiceContext } from '../../../lib/services/context';
import { addNote } from '../../../lib/services/note';
import { additionalFieldsCollection, optionalIdentityFields, plain, readOptionalIdentity, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { addedText, optionalText } from '../../shared/parameters';
import { runsAsTool } from '../../shared/tool';

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
		{
			displayName: 'Quiet Period (Minutes)',
			name: 'quietPeriodMinutes',
			type: 'number',
			default: 15,
			typeOptions: { minValue: 0 },
			description:
				'For flapping alerts: after a note is posted to the ticket, repeats within this many minutes post nothing (the output says suppressed). 0 turns it off.',
		},
		{
			displayName: 'Quiet Key',
			name: 'quietKey',
			type: 'string',
			default: '',
			placeholder: 'e.g. fired-again',
			description: 'Keeps separate quiet periods on one ticket (e.g. "fired-again" and "resolved"); empty: one per ticket',
		},
	]),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const additional = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const member = readOptionalIdentity(additional, 'memberIdentity', 'Author Identity', itemIndex);
	const result = await addNote(ctx, {
		ticket: readTicketRef(this, itemIndex, ctx.provider),
		text: noteText(this.getNodeParameter('text', itemIndex, '') as unknown, itemIndex),
		type: this.getNodeParameter('noteType', itemIndex, 'internal') as PsaNoteType,
		dedupeKey: addedText(additional, 'dedupeKey', 'Dedupe Key', itemIndex),
		// An agent may repeat a call it thinks failed: as a tool, the same text on the same ticket is one note.
		dedupeByText: runsAsTool(this),
		member,
		quietPeriodMinutes: additional.quietPeriodMinutes as number | undefined,
		quietKey: optionalText(additional.quietKey, 'Quiet Key'),
	});
	return plain(result) as IDataObject;
}

/** The note text; an expression that resolved to null, nothing or an object is refused rather than posted as "null" or "[object Object]". */
function noteText(value: unknown, itemIndex: number): string {
	if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
	const got = value === null ? 'null' : value === undefined ? 'nothing' : Array.isArray(value) ? 'a list' : 'an object';
	throw new PsaError('invalid-input', `Text resolved to ${got} in item ${itemIndex}`, {
		hint: 'Give the note text, or make the expression resolve to text (pick one field of the object).',
	});
}
