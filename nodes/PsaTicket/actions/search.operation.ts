// PSA Ticket > Search: tickets matching PSA-neutral conditions (fields, custom fields, dates, open/closed), paged.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaTicketCondition, PsaTicketConditionGroup, PsaTicketSearch } from '../../../lib/providers/types';
import type { PsaServiceContext } from '../../../lib/services/context';
import { conditionGroupOf, searchTickets } from '../../../lib/services/ticket';
import { isoDate } from '../../../lib/services/ticket-fields';
import { plain } from '../../shared/descriptions';
import { simplifiedTicket, simplifyProperty } from './common';

const show = { operation: ['search'] };

const FIELDS = [
	['Board', 'board'],
	['Closed', 'closed'],
	['Company', 'company'],
	['Contact', 'contact'],
	['Created At', 'createdAt'],
	['Custom Field', 'customField'],
	['Due At', 'dueAt'],
	['External Reference', 'externalReference'],
	['ID', 'id'],
	['Item', 'item'],
	['Owner', 'owner'],
	['Priority', 'priority'],
	['Site', 'site'],
	['Source', 'source'],
	['Status', 'status'],
	['Subtype', 'subtype'],
	['Summary', 'summary'],
	['Team', 'team'],
	['Type', 'type'],
	['Updated At', 'updatedAt'],
] as const;

const OPERATORS = [
	['Equals', 'eq'],
	['Not Equals', 'ne'],
	['Contains', 'contains'],
	['Starts With', 'startsWith'],
	['Greater Than', 'gt'],
	['Greater Than or Equal', 'gte'],
	['Less Than', 'lt'],
	['Less Than or Equal', 'lte'],
	['Is One Of', 'in'],
	['Is Empty', 'isNull'],
	['Is Not Empty', 'isNotNull'],
] as const;

export const description: INodeProperties[] = [
	{
		displayName: 'Match',
		name: 'match',
		type: 'options',
		options: [
			{ name: 'All Conditions', value: 'all' },
			{ name: 'Any Condition', value: 'any' },
		],
		default: 'all',
		displayOptions: { show },
	},
	{
		displayName: 'Conditions',
		name: 'conditions',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Condition',
		default: {},
		description: 'Record fields are compared by ID (board, status, company...); values are sent as data, never pasted into the query',
		displayOptions: { show },
		options: [
			{
				displayName: 'Condition',
				name: 'condition',
				values: [
					{ displayName: 'Field', name: 'field', type: 'options', options: FIELDS.map(([name, value]) => ({ name, value })), default: 'summary' },
					{
						displayName: 'Custom Field Name or ID',
						name: 'customFieldName',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getCustomFields' },
						default: '',
						description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
						displayOptions: { show: { field: ['customField'] } },
					},
					{ displayName: 'Operator', name: 'operator', type: 'options', options: OPERATORS.map(([name, value]) => ({ name, value })), default: 'eq' },
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						description: 'Text, a number, true/false or an ISO date; for Is One Of, values separated by commas',
						displayOptions: { hide: { operator: ['isNull', 'isNotNull'] } },
					},
				],
			},
		],
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'State',
				name: 'state',
				type: 'options',
				options: [
					{ name: 'Open', value: 'open' },
					{ name: 'Closed', value: 'closed' },
				],
				default: 'open',
			},
			{ displayName: 'Created After', name: 'createdAfter', type: 'dateTime', default: '' },
			{ displayName: 'Created Before', name: 'createdBefore', type: 'dateTime', default: '' },
			{ displayName: 'Updated After', name: 'updatedAfter', type: 'dateTime', default: '' },
			{ displayName: 'Updated Before', name: 'updatedBefore', type: 'dateTime', default: '' },
			{
				displayName: 'Condition Group (JSON)',
				name: 'group',
				type: 'json',
				default: '',
				placeholder: '{"match":"any","conditions":[{"field":"priority","operator":"eq","value":1}],"groups":[]}',
				description: 'A nested group of conditions (AND/OR), joined to the conditions above with AND',
			},
			{ displayName: 'Newest First', name: 'newestFirst', type: 'boolean', default: false, description: 'Whether to return the newest tickets first' },
		],
	},
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { ...show, returnAll: [false] } },
	},
	simplifyProperty({ show }),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject[]> {
	const filters = this.getNodeParameter('filters', itemIndex, {}) as IDataObject;
	const rows = ((this.getNodeParameter('conditions', itemIndex, {}) as IDataObject).condition ?? []) as IDataObject[];
	const conditions: PsaTicketCondition[] = rows.map((row) =>
		row.field === 'customField'
			? { field: String(row.customFieldName ?? ''), customField: true, operator: row.operator as PsaTicketCondition['operator'], value: row.value as string }
			: { field: String(row.field ?? ''), operator: row.operator as PsaTicketCondition['operator'], value: row.value as string },
	);
	const dated: PsaTicketCondition[] = [];
	for (const [name, field, operator] of [
		['createdAfter', 'createdAt', 'gte'],
		['createdBefore', 'createdAt', 'lt'],
		['updatedAfter', 'updatedAt', 'gte'],
		['updatedBefore', 'updatedAt', 'lt'],
	] as const) {
		const value = filters[name];
		if (value !== undefined && value !== null && value !== '') dated.push({ field, operator, value: isoDate(value, name) });
	}
	const match = this.getNodeParameter('match', itemIndex, 'all') as 'all' | 'any';
	const groups: PsaTicketConditionGroup[] = [];
	const extra = conditionGroupOf(filters.group);
	if (extra) groups.push(extra);
	// Dates and the JSON group always narrow; the rows are joined by Match among themselves.
	const rowsGroup: PsaTicketConditionGroup | undefined = conditions.length > 0 ? { match, conditions } : undefined;
	let where = rowsGroup;
	if (dated.length > 0 || groups.length > 0) where = { match: 'all', conditions: dated, groups: [...(rowsGroup ? [rowsGroup] : []), ...groups] };
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const search: PsaTicketSearch = {
		...(where ? { where } : {}),
		...(filters.state === 'open' || filters.state === 'closed' ? { state: filters.state } : {}),
		limit: returnAll ? Number.POSITIVE_INFINITY : (this.getNodeParameter('limit', itemIndex, 50) as number),
		newestFirst: filters.newestFirst === true,
		withCustomFields: true,
	};
	const tickets = await searchTickets(ctx, search);
	const simplify = this.getNodeParameter('simplify', itemIndex, true) as boolean;
	return tickets.map((ticket) => (simplify ? simplifiedTicket(ticket, ctx.provider.ticketUrl(ticket.id)) : (plain({ ...ticket, url: ctx.provider.ticketUrl(ticket.id) }) as IDataObject)));
}
