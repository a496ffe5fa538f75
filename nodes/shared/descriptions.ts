// Parameter descriptions shared by the PSA nodes and their reading: ticket locator, link target, member identity, Additional Fields, list filters and limit, Concurrency option.
import type { IDataObject, IDisplayOptions, IExecuteFunctions, INodeParameterResourceLocator, INodeProperties } from 'n8n-workflow';
import { PsaError } from '../../lib/providers/errors';
import { providerDefinitions } from '../../lib/providers/registry';
import type { PsaProvider } from '../../lib/providers/types';
import type { LinkTarget } from '../../lib/services/link';
import type { MemberIdentity } from '../../lib/services/member-map';
import type { TicketRef } from '../../lib/services/ticket-ref';
import { addedText, requiredText } from './parameters';
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY } from './router';

export const concurrencyOption: INodeProperties = {
	displayName: 'Concurrency',
	name: 'concurrency',
	type: 'number',
	noDataExpression: true,
	typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY },
	default: DEFAULT_CONCURRENCY,
	description:
		"Not added: Automatic, the connection's request limiter decides how many requests go to the PSA at once (shared by every node and workflow on the connection; it backs off when the PSA throttles). Added: at most this many of this node's items at the same time. The output keeps the input order.",
};

export const optionsCollection: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [concurrencyOption],
};

export function linkTargetProperties(displayOptions: IDisplayOptions, prefix = ''): INodeProperties[] {
	return [
		{
			displayName: 'Source',
			name: `${prefix}source`,
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. datadog',
			description: 'Where the external entity comes from (monitoring tool, chat, inventory); together with the External ID it names one link',
			displayOptions,
		},
		{
			displayName: 'External ID',
			name: `${prefix}externalId`,
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. {{ $json.alert_id }}',
			description: 'The id of the alert, incident or device in the source',
			displayOptions,
		},
	];
}

export function readLinkTarget(fns: IExecuteFunctions, itemIndex: number, prefix = ''): LinkTarget {
	return {
		source: requiredText(fns.getNodeParameter(`${prefix}source`, itemIndex, undefined), 'Source', itemIndex),
		externalId: requiredText(fns.getNodeParameter(`${prefix}externalId`, itemIndex, undefined), 'External ID', itemIndex),
	};
}

/** How to name a ticket by URL in the provider's own terms; the examples live with the providers, so none is shown to another PSA's user. */
export function ticketUrlHint(provider: PsaProvider): string {
	const definition = providerDefinitions().find((candidate) => candidate.key === provider.connection.provider);
	const example = definition ? `, e.g. ${definition.ticketUrlExample}` : '';
	return `Paste the ticket's address from the PSA${example}, or choose the ticket By ID.`;
}

export function ticketLocator(displayOptions: IDisplayOptions): INodeProperties {
	return {
		displayName: 'Ticket',
		name: 'ticket',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The service ticket',
		displayOptions,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a ticket...',
				typeOptions: { searchListMethod: 'searchTickets', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 12345',
				validation: [{ type: 'regex', properties: { regex: '^\\s*\\d+\\s*$', errorMessage: 'A ticket ID is a number' } }],
			},
			{
				displayName: 'By URL',
				name: 'url',
				type: 'string',
				// One locator serves every PSA, so its placeholder names none; the error hint shows the chosen PSA's example.
				placeholder: "e.g. the ticket's address, copied from the PSA",
				validation: [{ type: 'regex', properties: { regex: '^https?://.+', errorMessage: 'Paste the ticket\'s URL from the PSA' } }],
			},
		],
	};
}

/** The ticket id a locator names; URLs are parsed by the provider, which knows the PSA's URL shapes. */
export function readTicketLocator(fns: IExecuteFunctions, itemIndex: number, provider: PsaProvider, name = 'ticket'): number {
	const locator = fns.getNodeParameter(name, itemIndex, undefined, { extractValue: false }) as INodeParameterResourceLocator | string | number;
	const mode = typeof locator === 'object' && locator !== null ? locator.mode : 'id';
	const raw = typeof locator === 'object' && locator !== null ? locator.value : locator;
	const text = String(raw ?? '').trim();
	if (mode === 'url') {
		const id = provider.parseTicketUrl(text);
		if (id === undefined) {
			throw new PsaError('invalid-input', `"${text}" is not a ticket URL of this PSA`, { hint: ticketUrlHint(provider) });
		}
		return id;
	}
	if (!/^\d+$/.test(text)) {
		throw new PsaError('invalid-input', `Ticket "${text}" is not a ticket ID`, { hint: 'Choose a ticket from the list or give its numeric ID.' });
	}
	return Number(text);
}

export function ticketByProperties(displayOptions: IDisplayOptions): INodeProperties[] {
	const show = displayOptions.show ?? {};
	return [
		{
			displayName: 'Ticket By',
			name: 'ticketBy',
			type: 'options',
			noDataExpression: true,
			options: [
				{ name: 'Link (Source + External ID)', value: 'link', description: 'The ticket linked to an external entity by PSA Link' },
				{ name: 'Ticket', value: 'ticket', description: 'A ticket chosen by ID, URL or from the list' },
			],
			default: 'link',
			displayOptions,
		},
		ticketLocator({ show: { ...show, ticketBy: ['ticket'] } }),
		...linkTargetProperties({ show: { ...show, ticketBy: ['link'] } }),
	];
}

export function readTicketRef(fns: IExecuteFunctions, itemIndex: number, provider: PsaProvider): TicketRef {
	const by = fns.getNodeParameter('ticketBy', itemIndex, 'link') as string;
	if (by === 'ticket') return { ticketId: readTicketLocator(fns, itemIndex, provider) };
	return { link: readLinkTarget(fns, itemIndex) };
}

export function memberIdentityProperties(displayOptions: IDisplayOptions, names = { source: 'identitySource', identity: 'identity' }): INodeProperties[] {
	return [
		{
			displayName: 'Identity Source',
			name: names.source,
			type: 'string',
			default: 'email',
			description: 'The kind of identity, e.g. email, slack, teams. Only email identities are matched automatically.',
			displayOptions,
		},
		{
			displayName: 'Identity',
			name: names.identity,
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. alice@example.com',
			description: 'The person in the external tool (an email, a chat user ID)',
			displayOptions,
		},
	];
}

export function readMemberIdentity(fns: IExecuteFunctions, itemIndex: number, names = { source: 'identitySource', identity: 'identity' }): MemberIdentity {
	return {
		source: requiredText(fns.getNodeParameter(names.source, itemIndex, 'email'), 'Identity Source', itemIndex),
		identity: requiredText(fns.getNodeParameter(names.identity, itemIndex, undefined), 'Identity', itemIndex),
	};
}

/**
 * An optional identity among a collection's fields, for a member resolved through the member map: the identity
 * (`name`) and its kind (`<name>Source`, default email). Read with readOptionalIdentity.
 */
export function optionalIdentityFields(name: string, displayName: string, description: string): INodeProperties[] {
	return [
		{
			displayName,
			name,
			type: 'string',
			default: '',
			placeholder: 'e.g. alice@example.com',
			description,
		},
		{
			displayName: `${displayName} Source`,
			name: `${name}Source`,
			type: 'string',
			default: 'email',
			description: `The kind of ${displayName}, e.g. email, slack`,
		},
	];
}

/** The identity of optionalIdentityFields(name, displayName) in a collection's values, or undefined when it is empty. */
export function readOptionalIdentity(fields: IDataObject, name: string, displayName: string, itemIndex: number): MemberIdentity | undefined {
	const identity = addedText(fields, name, displayName, itemIndex);
	return identity ? { source: addedText(fields, `${name}Source`, `${displayName} Source`, itemIndex) ?? 'email', identity } : undefined;
}

/** The Additional Fields collection of an operation: its optional parameters. */
export function additionalFieldsCollection(displayOptions: IDisplayOptions, options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions,
		options,
	};
}

/** The Filters collection of a List operation. */
export function filtersCollection(displayOptions: IDisplayOptions, options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions,
		options,
	};
}

const DEFAULT_LIMIT = 50;

/** The Limit parameter of a List operation. Read with readLimit. */
export function limitProperty(displayOptions: IDisplayOptions): INodeProperties {
	return {
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_LIMIT,
		description: 'Max number of results to return',
		displayOptions,
	};
}

export function readLimit(fns: IExecuteFunctions, itemIndex: number): number {
	return fns.getNodeParameter('limit', itemIndex, DEFAULT_LIMIT) as number;
}

/**
 * The output item's JSON: what a JSON round trip would give (Dates become ISO strings so n8n shows them and
 * expressions can use them; undefined and functions are dropped), built in one pass, without the intermediate string
 * a round trip allocates for every item.
 */
export function plain<T>(value: T): Record<string, unknown> {
	return toJsonData(value) as Record<string, unknown>;
}

function toJsonData(value: unknown): unknown {
	if (value === null || typeof value !== 'object') {
		if (typeof value === 'number') return Number.isFinite(value) ? value : null;
		return typeof value === 'bigint' ? value.toString() : value;
	}
	const withToJson = value as { toJSON?: () => unknown };
	if (typeof withToJson.toJSON === 'function') return toJsonData(withToJson.toJSON());
	if (Array.isArray(value)) {
		return value.map((entry) => {
			const converted = toJsonData(entry);
			return converted === undefined || typeof converted === 'function' || typeof converted === 'symbol' ? null : converted;
		});
	}
	const result: Record<string, unknown> = {};
	for (const key of Object.keys(value)) {
		const converted = toJsonData((value as Record<string, unknown>)[key]);
		if (converted !== undefined && typeof converted !== 'function' && typeof converted !== 'symbol') result[key] = converted;
	}
	return result;
}
