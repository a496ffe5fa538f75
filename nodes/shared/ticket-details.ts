// The ticket-depth parameters PSA Link and PSA Ticket share: classification, team, source, site, scales, due date, custom fields, configuration items.
import type { IDataObject, IDisplayOptions, INodeProperties } from 'n8n-workflow';
import { PsaError } from '../../lib/providers/errors';
import type { ConfigurationItemSpec, TicketDetailsInput } from '../../lib/services/ticket-fields';

const FROM_LIST = 'Choose from the list, or specify an ID or name using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.';

/** Entries of an Additional Fields / Update Fields collection; `boardParameter` is where the board is chosen. */
export function ticketDetailOptions(boardParameter: string): INodeProperties[] {
	return [
		{
			displayName: 'Type Name or ID',
			name: 'type',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getTicketTypes', loadOptionsDependsOn: [boardParameter] },
			default: '',
			description: `Classification, first level (ConnectWise: the board's type; Autotask: the issue type). ${FROM_LIST}`,
		},
		{
			displayName: 'Subtype Name or ID',
			name: 'subtype',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getTicketSubtypes', loadOptionsDependsOn: [boardParameter, 'type'] },
			default: '',
			description: `Only subtypes valid with the type are offered or accepted (Autotask: the sub-issue type). ${FROM_LIST}`,
		},
		{
			displayName: 'Item Name or ID',
			name: 'item',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getTicketItems', loadOptionsDependsOn: [boardParameter, 'type', 'subtype'] },
			default: '',
			description: `ConnectWise only: an item valid with the type and subtype on the board. ${FROM_LIST}`,
		},
		{
			displayName: 'Team Name or ID',
			name: 'team',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getTeams', loadOptionsDependsOn: [boardParameter] },
			default: '',
			description: `ConnectWise only: a team of the board. ${FROM_LIST}`,
		},
		{
			displayName: 'Source Name or ID',
			name: 'source',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getSources' },
			default: '',
			description: `How the ticket came in (e.g. Monitoring). ${FROM_LIST}`,
		},
		{
			displayName: 'Site Name or ID',
			name: 'site',
			type: 'options',
			typeOptions: { loadOptionsMethod: 'getSites', loadOptionsDependsOn: ['company.value'] },
			default: '',
			description: `A site of the company (Autotask: the company location). ${FROM_LIST}`,
		},
		{
			displayName: 'Severity',
			name: 'severity',
			type: 'string',
			default: '',
			placeholder: 'e.g. High',
			description: 'ConnectWise only: Low, Medium or High',
		},
		{
			displayName: 'Impact',
			name: 'impact',
			type: 'string',
			default: '',
			placeholder: 'e.g. Medium',
			description: 'ConnectWise only: Low, Medium or High',
		},
		{
			displayName: 'Due Date',
			name: 'dueAt',
			type: 'dateTime',
			default: '',
			description: 'When the ticket is due (ConnectWise: required date; Autotask: due date and time)',
		},
		{
			displayName: 'Custom Fields',
			name: 'customFields',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Custom Field',
			default: {},
			description: 'ConnectWise custom fields or Autotask user-defined fields, by name; values are checked against the field\'s type and picklist before anything is written',
			options: [
				{
					displayName: 'Field',
					name: 'field',
					values: [
						{
							displayName: 'Field Name or ID',
							name: 'name',
							type: 'options',
							typeOptions: { loadOptionsMethod: 'getCustomFields' },
							default: '',
							description: `The custom field. ${FROM_LIST}`,
						},
						{
							displayName: 'Value',
							name: 'value',
							type: 'string',
							default: '',
							description: 'Text, a number, true/false, an ISO date, or a picklist value or label; empty clears the field',
						},
					],
				},
			],
		},
	];
}

/** The details a collection holds, as the services take them (names or ids; checked there against the PSA's lists). */
export function readTicketDetails(fields: IDataObject): TicketDetailsInput | undefined {
	const details: TicketDetailsInput = {};
	for (const name of ['type', 'subtype', 'item', 'team', 'source', 'site'] as const) {
		const value = fields[name];
		if (value === undefined || value === null || value === '') continue;
		if (typeof value !== 'string' && typeof value !== 'number') throw notAValue(name, value);
		details[name] = value;
	}
	for (const name of ['severity', 'impact', 'urgency'] as const) {
		const value = fields[name];
		if (value === undefined || value === null || value === '') continue;
		if (typeof value !== 'string') throw notAValue(name, value);
		details[name] = value;
	}
	if (fields.dueAt !== undefined && fields.dueAt !== null && fields.dueAt !== '') details.dueAt = fields.dueAt as string;
	const rows = ((fields.customFields as IDataObject | undefined)?.field ?? []) as IDataObject[];
	if (Array.isArray(rows) && rows.length > 0) {
		details.customFields = {};
		for (const row of rows) {
			const name = typeof row.name === 'string' ? row.name.trim() : '';
			if (!name) throw new PsaError('invalid-input', 'A custom field row has no field name', { hint: 'Choose the field, or remove the empty row.' });
			details.customFields[name] = row.value;
		}
	}
	return Object.keys(details).length > 0 ? details : undefined;
}

function notAValue(name: string, value: unknown): PsaError {
	return new PsaError('invalid-input', `${name} must be an id or a name, got ${Array.isArray(value) ? 'a list' : typeof value}`, {
		hint: `Choose the ${name} from the list, or give its id or name.`,
	});
}

const MATCH_OPTIONS = [
	{ name: 'ID', value: 'id' },
	{ name: 'Name', value: 'name' },
	{ name: 'Serial Number', value: 'serialNumber' },
	{ name: 'MAC Address', value: 'macAddress' },
	{ name: 'IP Address', value: 'ipAddress' },
	{ name: 'RMM Device ID', value: 'deviceId' },
];

/** Configuration items named by id or by a value found within the ticket's company. */
export function configurationItemsProperty(name = 'configurationItems'): INodeProperties {
	return {
		displayName: 'Configuration Items',
		name,
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Configuration Item',
		default: {},
		description: "Devices to attach, found within the ticket's company (ConnectWise configurations, Autotask configuration items)",
		options: [
			{
				displayName: 'Item',
				name: 'item',
				values: [
					{ displayName: 'Find By', name: 'by', type: 'options', options: MATCH_OPTIONS, default: 'name', description: 'What the value is' },
					{ displayName: 'Value', name: 'value', type: 'string', default: '', placeholder: 'e.g. SRV-DC01', description: 'Matched exactly (text without regard to case; MAC addresses in any notation)' },
				],
			},
		],
	};
}

export function readConfigurationItems(value: unknown): ConfigurationItemSpec[] {
	const rows = ((value as IDataObject | undefined)?.item ?? []) as IDataObject[];
	if (!Array.isArray(rows)) return [];
	return rows
		.filter((row) => row.value !== undefined && row.value !== null && String(row.value).trim() !== '')
		.map((row) => ({ by: String(row.by ?? 'name') as ConfigurationItemSpec['by'], value: String(row.value) }));
}

/** One configuration item: find-by and value as top-level parameters (PSA Ticket's Add / Remove Configuration Item). */
export function configurationItemParameters(show: NonNullable<IDisplayOptions['show']>): INodeProperties[] {
	return [
		{ displayName: 'Find Configuration Item By', name: 'configurationItemBy', type: 'options', options: MATCH_OPTIONS, default: 'name', displayOptions: { show } },
		{
			displayName: 'Configuration Item',
			name: 'configurationItemValue',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. SRV-DC01',
			description: "The value to find the device by, within the ticket's company",
			displayOptions: { show },
		},
	];
}
