// PSA Note > Add Time Entry: log work on a ticket for a member (by identity or id), once per dedupe key.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { PsaError } from '../../../lib/providers/errors';
import type { PsaBillable } from '../../../lib/providers/types';
import type { PsaServiceContext } from '../../../lib/services/context';
import { addTimeEntry } from '../../../lib/services/time-entry';
import { additionalFieldsCollection, plain, readTicketRef, ticketByProperties } from '../../shared/descriptions';
import { addedText, optionalText, requiredText } from '../../shared/parameters';

const show = { operation: ['addTimeEntry'] };
const EXPRESSION = 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.';

export const description: INodeProperties[] = [
	...ticketByProperties({ show }),
	{
		displayName: 'Member By',
		name: 'memberBy',
		type: 'options',
		options: [
			{ name: 'Identity', value: 'identity', description: 'An email (matched automatically) or an identity mapped with PSA Member Map' },
			{ name: 'Member ID', value: 'id', description: 'The PSA member (Autotask resource, HaloPSA agent) ID' },
		],
		default: 'identity',
		displayOptions: { show },
	},
	{
		displayName: 'Member Identity',
		name: 'memberIdentity',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. alice@example.com',
		description: 'Who did the work',
		displayOptions: { show: { ...show, memberBy: ['identity'] } },
	},
	{
		displayName: 'Member Identity Source',
		name: 'memberIdentitySource',
		type: 'string',
		default: 'email',
		description: 'The kind of identity, e.g. email, slack',
		displayOptions: { show: { ...show, memberBy: ['identity'] } },
	},
	{
		displayName: 'Member ID',
		name: 'memberId',
		type: 'number',
		default: 0,
		required: true,
		displayOptions: { show: { ...show, memberBy: ['id'] } },
	},
	{
		displayName: 'Start',
		name: 'start',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'When the work started',
		displayOptions: { show },
	},
	{
		displayName: 'Period By',
		name: 'periodBy',
		type: 'options',
		options: [
			{ name: 'Duration', value: 'duration' },
			{ name: 'End', value: 'end' },
		],
		default: 'duration',
		displayOptions: { show },
	},
	{
		displayName: 'Duration (Minutes)',
		name: 'durationMinutes',
		type: 'number',
		default: 15,
		typeOptions: { minValue: 1 },
		displayOptions: { show: { ...show, periodBy: ['duration'] } },
	},
	{
		displayName: 'End',
		name: 'end',
		type: 'dateTime',
		default: '',
		required: true,
		displayOptions: { show: { ...show, periodBy: ['end'] } },
	},
	{
		displayName: 'Notes',
		name: 'notes',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		description: 'What was done, as the customer may see it (required by Autotask)',
		displayOptions: { show },
	},
	{
		displayName: 'Work Role Name or ID',
		name: 'workRoleId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getWorkRoles' },
		default: '',
		description: `The role the work is billed under (required by Autotask; ConnectWise defaults it from the member; HaloPSA has none, the list stays empty). ${EXPRESSION}`,
		displayOptions: { show },
	},
	additionalFieldsCollection({ show }, [
		{
			displayName: 'Billable',
			name: 'billable',
			type: 'options',
			options: [
				{ name: 'Billable', value: 'billable' },
				{ name: 'Do Not Bill', value: 'do-not-bill' },
				{ name: 'No Charge', value: 'no-charge', description: 'Shown on the invoice at no charge (not on HaloPSA)' },
			],
			default: 'billable',
		},
		{
			displayName: 'Dedupe Key',
			name: 'dedupeKey',
			type: 'string',
			default: '',
			placeholder: 'e.g. {{ $json.run_id }}',
			description: 'An entry with a key already logged on this connection is not logged again. Default: the ticket, member, start and duration.',
		},
		{
			displayName: 'Internal Notes',
			name: 'internalNotes',
			type: 'string',
			typeOptions: { rows: 3 },
			default: '',
			description: 'Notes for staff only',
		},
		{
			displayName: 'Work Type Name or ID',
			name: 'workTypeId',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getWorkTypes' },
			default: '',
			description: `ConnectWise work type, Autotask billing code, HaloPSA action type. ${EXPRESSION}`,
		},
	]),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const additional = this.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const memberBy = this.getNodeParameter('memberBy', itemIndex, 'identity') as string;
	const member =
		memberBy === 'id'
			? { memberId: this.getNodeParameter('memberId', itemIndex, 0) as number }
			: {
					source: optionalText(this.getNodeParameter('memberIdentitySource', itemIndex, 'email'), 'Member Identity Source') ?? 'email',
					identity: requiredText(this.getNodeParameter('memberIdentity', itemIndex, ''), 'Member Identity', itemIndex),
				};
	const byEnd = this.getNodeParameter('periodBy', itemIndex, 'duration') === 'end';
	const result = await addTimeEntry(ctx, {
		ticket: readTicketRef(this, itemIndex, ctx.provider),
		member,
		start: requiredText(this.getNodeParameter('start', itemIndex, ''), 'Start', itemIndex),
		...(byEnd ? { end: requiredText(this.getNodeParameter('end', itemIndex, ''), 'End', itemIndex) } : { durationMinutes: this.getNodeParameter('durationMinutes', itemIndex, 0) as number }),
		notes: optionalText(this.getNodeParameter('notes', itemIndex, ''), 'Notes'),
		internalNotes: addedText(additional, 'internalNotes', 'Internal Notes', itemIndex),
		billable: additional.billable as PsaBillable | undefined,
		workRoleId: optionalChoice(this.getNodeParameter('workRoleId', itemIndex, ''), 'Work Role'),
		workTypeId: optionalChoice(additional.workTypeId, 'Work Type'),
		dedupeKey: addedText(additional, 'dedupeKey', 'Dedupe Key', itemIndex),
	});
	return plain(result) as IDataObject;
}

/** A dropdown's id, or an expression's: empty means none. */
function optionalChoice(value: unknown, what: string): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const id = Number(value);
	if (!Number.isSafeInteger(id) || id <= 0) throw new PsaError('invalid-input', `${what} must be chosen from the list or given as an ID, got ${JSON.stringify(value)}`, { hint: `Pick the ${what} from the list.` });
	return id;
}
