// PSA Link > Link: find-or-create the ticket for an external entity.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { PsaError } from '../../../lib/providers/errors';
import { link, type LinkOptions, type TicketFields } from '../../../lib/services/link';
import type { PsaServiceContext } from '../../../lib/services/context';
import type { ClosedTicketPolicy } from '../../../lib/services/lifecycle';
import { additionalFieldsCollection, linkTargetProperties, optionalIdentityFields, plain, readLinkTarget, readOptionalIdentity } from '../../shared/descriptions';
import { optionalText, requiredText } from '../../shared/parameters';
import { configurationItemsProperty, readConfigurationItems, readTicketDetails, ticketDetailOptions } from '../../shared/ticket-details';

// Alert Event takes the same ticket fields: it links (find-or-create) while the alert fires.
const show = { operation: ['link', 'event'] };

export const description: INodeProperties[] = [
	...linkTargetProperties({ show }),
	{
		displayName: 'Summary',
		name: 'summary',
		type: 'string',
		default: '',
		required: true,
		description: 'Ticket title. Text over 100 characters is cut with an ellipsis; the full text is kept in the description.',
		displayOptions: { show },
	},
	{
		displayName: 'Company',
		name: 'company',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The customer company the ticket is for',
		displayOptions: { show },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a company...',
				typeOptions: { searchListMethod: 'searchCompanies', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 250',
				validation: [{ type: 'regex', properties: { regex: '^\\s*\\d+\\s*$', errorMessage: 'A company ID is a number' } }],
			},
		],
	},
	{
		displayName: 'Board Name or ID',
		name: 'boardId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getBoards' },
		default: '',
		description:
			'The service board (Autotask: the queue); empty uses the PSA\'s default (Autotask: the ticket category\'s). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show },
	},
	{
		displayName: 'When the Linked Ticket Is Closed',
		name: 'whenClosed',
		type: 'options',
		noDataExpression: true,
		default: 'as-is',
		description: 'What a new occurrence of an entity does when the ticket it is linked to has been closed, deleted or merged in the PSA',
		displayOptions: { show },
		options: [
			{
				name: 'Return It As Is',
				value: 'as-is',
				description: 'Return the linked ticket whatever became of it (0 requests)',
			},
			{
				name: 'Reopen It',
				value: 'reopen',
				description: 'Move a closed ticket back to an open status (mapped "open", else the board default). A deleted or merged ticket is replaced by a new one.',
			},
			{
				name: 'Reopen If Closed Recently, Else Create a New Ticket',
				value: 'reopen-recent',
				description: 'Reopen a ticket closed less than the hours below ago; an older, deleted or merged one is replaced by a new ticket',
			},
			{
				name: 'Always Create a New Ticket',
				value: 'new',
				description: 'Link the entity to a new ticket; the old ticket ID is kept as previousTicketId',
			},
		],
	},
	{
		displayName: 'Reopen Within (Hours)',
		name: 'reopenWithinHours',
		type: 'number',
		default: 24,
		typeOptions: { minValue: 0 },
		description: 'A ticket closed less than this many hours ago is reopened; an older one is replaced by a new ticket',
		displayOptions: { show: { ...show, whenClosed: ['reopen-recent'] } },
	},
	additionalFieldsCollection({ show }, [
		{
			displayName: 'Contact Name or ID',
			name: 'contactId',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getContacts', loadOptionsDependsOn: ['company.value'] },
			default: '',
			description: 'A contact of the company. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
		{
			displayName: 'Description',
			name: 'description',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			description: 'The ticket\'s initial description',
		},
		...optionalIdentityFields(
			'ownerIdentity',
			'Owner Identity',
			'The ticket owner as an external identity, resolved through the member map (emails are matched automatically)',
		),
		{
			displayName: 'Priority Name or ID',
			name: 'priorityId',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getPriorities' },
			default: '',
			description: 'The priority, or the default when Priority by Severity has no row for the alert\'s severity. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
		{
			displayName: 'Alert Severity',
			name: 'externalSeverity',
			type: 'string',
			default: '',
			placeholder: 'e.g. {{ $json.severity }}',
			description: "The alert's own severity, matched (without regard to case) against Priority by Severity",
		},
		{
			displayName: 'Priority by Severity',
			name: 'priorityBySeverity',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Severity',
			default: {},
			description: 'Which PSA priority each alert severity gets; a severity with no row gets Priority',
			options: [
				{
					displayName: 'Severity',
					name: 'rule',
					values: [
						{ displayName: 'Alert Severity', name: 'severity', type: 'string', default: '', placeholder: 'e.g. disaster' },
						{
							displayName: 'Priority Name or ID',
							name: 'priorityId',
							type: 'options',
							typeOptions: { loadOptionsMethod: 'getPriorities' },
							default: '',
							description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
						},
					],
				},
			],
		},
		{
			displayName: 'Raise Priority After Occurrences',
			name: 'raiseAfterOccurrences',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 0,
			description: 'When the entity has occurred this often, set the ticket to Raised Priority, once per ticket (0: never)',
		},
		{
			displayName: 'Raised Priority Name or ID',
			name: 'raisedPriorityId',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getPriorities' },
			default: '',
			description: 'The priority Raise Priority After Occurrences sets. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
		...ticketDetailOptions('boardId'),
		configurationItemsProperty(),
		{
			displayName: 'If a Configuration Item Is Not Found',
			name: 'whenConfigurationItemMissing',
			type: 'options',
			noDataExpression: true,
			default: 'continue',
			options: [
				{ name: 'Continue Without It', value: 'continue', description: 'Create the ticket; the output lists what was not found under configurationItems.notAttached' },
				{ name: 'Fail', value: 'fail', description: 'Create nothing and report what was searched' },
			],
		},
		{
			displayName: 'Status Name or ID',
			name: 'statusId',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getBoardStatuses', loadOptionsDependsOn: ['boardId'] },
			default: '',
			description: 'The initial status on the chosen board. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		},
	]),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await link(ctx, readLinkTarget(this, itemIndex), readTicketFields(this, itemIndex), readLinkOptions(this, itemIndex))) as IDataObject;
}

/** The ticket to create, as Link and Alert Event read it. */
export function readTicketFields(fns: IExecuteFunctions, itemIndex: number): TicketFields {
	const additional = fns.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const owner = readOptionalIdentity(additional, 'ownerIdentity', 'Owner Identity', itemIndex);
	return {
		summary: requiredText(fns.getNodeParameter('summary', itemIndex, undefined), 'Summary', itemIndex),
		description: optionalText(additional.description, 'Description'),
		companyId: Number(String(fns.getNodeParameter('company', itemIndex, '', { extractValue: true })).trim()),
		boardId: fns.getNodeParameter('boardId', itemIndex, '') as number,
		statusId: additional.statusId as number | undefined,
		priorityId: priorityForSeverity(additional),
		contactId: additional.contactId as number | undefined,
		owner,
		details: readTicketDetails(additional),
		configurationItems: readConfigurationItems(additional.configurationItems),
		whenConfigurationItemMissing: additional.whenConfigurationItemMissing === 'fail' ? 'fail' : 'continue',
	};
}

/** The closed-ticket policy, as Link and Alert Event read it. */
export function readLinkOptions(fns: IExecuteFunctions, itemIndex: number): Pick<LinkOptions, 'whenClosed' | 'reopenWithinHours' | 'raisePriority'> {
	const additional = fns.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const whenClosed = fns.getNodeParameter('whenClosed', itemIndex, 'as-is') as ClosedTicketPolicy;
	const reopenWithinHours = whenClosed === 'reopen-recent' ? (fns.getNodeParameter('reopenWithinHours', itemIndex, 24) as number) : undefined;
	return { whenClosed, reopenWithinHours, raisePriority: raiseRule(additional) };
}

/** The priority for the alert's severity: the matching row's (without regard to case), else Priority. */
function priorityForSeverity(additional: IDataObject): number | undefined {
	const fallback = additional.priorityId as number | undefined;
	const severity = additional.externalSeverity;
	if (severity === undefined || severity === null || String(severity).trim() === '') return fallback;
	const rows = ((additional.priorityBySeverity as IDataObject | undefined)?.rule ?? []) as IDataObject[];
	const wanted = String(severity).trim().toLowerCase();
	const row = rows.find((candidate) => String(candidate.severity ?? '').trim().toLowerCase() === wanted);
	return row && row.priorityId !== '' && row.priorityId !== undefined ? (row.priorityId as number) : fallback;
}

function raiseRule(additional: IDataObject): LinkOptions['raisePriority'] {
	const after = Number(additional.raiseAfterOccurrences ?? 0);
	if (!Number.isFinite(after) || after <= 0) return undefined;
	const priorityId = Number(additional.raisedPriorityId);
	if (!Number.isSafeInteger(priorityId) || priorityId <= 0) {
		throw new PsaError('invalid-input', 'Raise Priority After Occurrences needs the Raised Priority', { hint: 'Choose the Raised Priority, or set the occurrences to 0.' });
	}
	return { afterOccurrences: Math.floor(after), priorityId };
}
