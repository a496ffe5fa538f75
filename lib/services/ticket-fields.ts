// Ticket fields beyond the basics, checked before any write: classification, team, source, site, scales, due date, custom fields, configuration items.
import { customFieldNamed, customFieldValue } from '../providers/custom-fields';
import { PsaError } from '../providers/errors';
import { definitionOfProvider } from '../providers/registry';
import type {
	PsaChoice,
	PsaConfigurationItem,
	PsaConfigurationItemMatch,
	PsaCustomFieldDefinition,
	PsaCustomFieldValue,
	PsaTicketCapabilities,
	PsaTicketDetails,
} from '../providers/types';
import type { PsaServiceContext } from './context';

/**
 * Ticket details as a workflow gives them: an id, or (for a model or an expression) the record's name, resolved through
 * the same lists the editor's dropdowns show. Custom fields by name; values checked against each definition.
 */
export interface TicketDetailsInput {
	type?: number | string;
	subtype?: number | string;
	item?: number | string;
	team?: number | string;
	source?: number | string;
	site?: number | string;
	severity?: string;
	impact?: string;
	urgency?: string;
	dueAt?: string | number | Date | null;
	customFields?: Record<string, unknown>;
}

/** Where the details go: the board decides which classification is valid (ConnectWise), the company which sites. */
export interface DetailsScope {
	boardId?: number;
	companyId?: number;
	/** Creating: a required custom field must be given. */
	creating?: boolean;
}

/** What was resolved from a name, for the output (so a person or a model sees what the text was taken to mean). */
export interface ResolvedName {
	field: string;
	given: string;
	id: number;
	name: string;
}

export interface CheckedDetails {
	details: PsaTicketDetails;
	resolved: ResolvedName[];
}

const FIELD_LABELS: Record<'type' | 'subtype' | 'item' | 'team' | 'source' | 'site', string> = {
	type: 'Type',
	subtype: 'Subtype',
	item: 'Item',
	team: 'Team',
	source: 'Source',
	site: 'Site',
};

/**
 * Checks and resolves every detail the PSA has, against its own lists (cached per connection by the provider), so that a
 * bad value is refused with the choices it offers before anything is written. Fields the PSA lacks are refused too.
 */
export async function checkTicketDetails(ctx: PsaServiceContext, input: TicketDetailsInput | undefined, scope: DetailsScope): Promise<CheckedDetails> {
	const details: PsaTicketDetails = {};
	const resolved: ResolvedName[] = [];
	if (!input) return { details, resolved };
	const capabilities = ctx.provider.ticketCapabilities;
	const psa = psaName(ctx);
	const given = (value: unknown) => value !== undefined && value !== null && value !== '';

	const choose = async (field: keyof typeof FIELD_LABELS, value: unknown, list: () => Promise<PsaChoice[]>, context = ''): Promise<number> => {
		const choice = pick(await list(), value, `${FIELD_LABELS[field]}${context}`);
		if (typeof value === 'string' && !/^\s*\d+\s*$/.test(value)) resolved.push({ field, given: value, id: choice.id, name: choice.name });
		return choice.id;
	};

	const levels = capabilities.classification;
	for (const level of ['type', 'subtype', 'item'] as const) {
		if (given(input[level]) && !levels.includes(level)) {
			throw new PsaError('invalid-input', `${psa} tickets have no ${FIELD_LABELS[level].toLowerCase()} level in their classification`, {
				field: level,
				hint: `Leave ${FIELD_LABELS[level]} empty; ${psa} classifies by ${levels.join(' and ')}.`,
			});
		}
	}
	if (given(input.type) || given(input.subtype) || given(input.item)) {
		if (!given(input.type)) {
			throw new PsaError('invalid-input', `A ${given(input.subtype) ? 'subtype' : 'item'} needs its type`, { field: 'type', hint: 'Choose the Type as well.' });
		}
		const boardId = capabilities.classificationPerBoard ? scope.boardId : undefined;
		if (capabilities.classificationPerBoard && boardId === undefined) {
			throw new PsaError('invalid-input', `${psa} classifies tickets per board: a type needs the board it belongs to`, {
				field: 'board',
				hint: 'Choose the Board, then the Type, Subtype and Item offered for it.',
			});
		}
		const onBoard = boardId !== undefined ? ` on board ${boardId}` : '';
		details.typeId = await choose('type', input.type, () => ctx.provider.listTicketTypes(boardId), onBoard);
		if (given(input.subtype)) {
			details.subtypeId = await choose('subtype', input.subtype, () => ctx.provider.listTicketSubtypes(details.typeId!, boardId), ` for type ${details.typeId}${onBoard}`);
		}
		if (given(input.item)) {
			details.itemId = await choose('item', input.item, () => ctx.provider.listTicketItems(details.typeId!, details.subtypeId, boardId), ` for this type and subtype${onBoard}`);
		}
	}
	for (const [field, supported, list] of [
		['team', capabilities.team, () => ctx.provider.listTeams(scope.boardId)],
		['source', capabilities.source, () => ctx.provider.listSources()],
		['site', capabilities.site, () => ctx.provider.listSites(requireCompany(scope, psa))],
	] as const) {
		if (!given(input[field])) continue;
		if (!supported) throw new PsaError('invalid-input', `${psa} tickets have no ${field}`, { field, hint: `Leave ${FIELD_LABELS[field]} empty for ${psa}.` });
		details[`${field}Id`] = await choose(field, input[field], list);
	}
	for (const scale of ['severity', 'impact', 'urgency'] as const) {
		if (!given(input[scale])) continue;
		const words = capabilities.scales[scale];
		if (!words) throw new PsaError('invalid-input', `${psa} tickets have no ${scale}`, { field: scale, hint: `Leave ${scale} empty for ${psa}; set the priority instead.` });
		const word = words.find((candidate) => candidate.toLowerCase() === String(input[scale]).trim().toLowerCase());
		if (!word) throw new PsaError('invalid-input', `"${String(input[scale])}" is not a ${scale} ${psa} knows`, { field: scale, hint: `Use one of: ${words.join(', ')}.` });
		details[scale] = word;
	}
	if (input.dueAt !== undefined && input.dueAt !== null && input.dueAt !== '') {
		if (!capabilities.dueDate) throw new PsaError('invalid-input', `${psa} tickets have no due date`, { field: 'dueAt' });
		details.dueAt = isoDate(input.dueAt, 'Due Date');
	}
	if (input.customFields && Object.keys(input.customFields).length > 0) {
		const definitions = await ctx.provider.listCustomFields();
		details.customFields = checkCustomFields(definitions, input.customFields, psa);
		// Only when custom fields are set at all: the definitions are then read anyway, and a create the PSA would refuse
		// for a missing required field is refused here, with the names, before the claim.
		const missing = scope.creating ? definitions.filter((definition) => definition.required && !definition.inactive && (details.customFields?.[definition.name] ?? null) === null) : [];
		if (missing.length > 0) {
			throw new PsaError('invalid-input', `${psa} requires the custom field(s) ${missing.map((definition) => `"${definition.name}"`).join(', ')} on a new ticket`, {
				field: 'customFields',
				hint: 'Add them under Custom Fields.',
			});
		}
	}
	return { details, resolved };
}

/** Custom field values by name, each checked against its definition (lib/providers/custom-fields.ts) before any request. */
export function checkCustomFields(definitions: PsaCustomFieldDefinition[], values: Record<string, unknown>, psa = 'The PSA'): Record<string, PsaCustomFieldValue> {
	const checked: Record<string, PsaCustomFieldValue> = {};
	for (const [name, raw] of Object.entries(values)) {
		const definition = customFieldNamed(definitions, name, psa);
		checked[definition.name] = customFieldValue(definition, raw);
	}
	return checked;
}

/** An ISO 8601 timestamp from what an expression gives: ISO text, epoch milliseconds, or a Date. */
export function isoDate(value: unknown, what: string): string {
	const date = value instanceof Date ? value : typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value.trim()) : new Date(Number.NaN);
	if (Number.isNaN(date.getTime())) {
		throw new PsaError('invalid-input', `${what} is not a date: ${JSON.stringify(value)}`, { hint: 'Give an ISO 8601 date, e.g. 2026-12-31T17:00:00Z, or {{ $now.plus(1, "day") }}.' });
	}
	return date.toISOString();
}

/** One choice of a PSA list by id or by name (case-insensitive); an ambiguous or unknown name lists the candidates. */
export function pick(choices: PsaChoice[], value: unknown, what: string): PsaChoice {
	const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
	if (text === '') throw new PsaError('invalid-input', `${what}: expected an id or a name, got ${JSON.stringify(value)}`, { hint: 'Choose from the list.' });
	const active = choices.filter((choice) => !choice.inactive);
	const offered = () => (active.length === 0 ? '(none)' : active.slice(0, 25).map((choice) => `${choice.name} (${choice.id})`).join(', ') + (active.length > 25 ? ', ...' : ''));
	if (/^\d+$/.test(text)) {
		const byId = choices.find((choice) => choice.id === Number(text));
		if (byId && !byId.inactive) return byId;
		throw new PsaError('invalid-input', `${what}: ${text} is not ${byId ? 'active' : 'one of the valid choices'}`, { hint: `Valid: ${offered()}.` });
	}
	const byName = active.filter((choice) => choice.name.toLowerCase() === text.toLowerCase());
	if (byName.length === 1) return byName[0];
	if (byName.length > 1) {
		throw new PsaError('invalid-input', `${what}: "${text}" names ${byName.length} records`, { hint: `Give the id of one: ${byName.map((choice) => `${choice.name} (${choice.id})`).join(', ')}.` });
	}
	throw new PsaError('invalid-input', `${what}: "${text}" is not one of the valid choices`, { hint: `Valid: ${offered()}.` });
}

/** How a configuration item is named in a workflow: by its PSA id, or by a value it is found by within the ticket's company. */
export interface ConfigurationItemSpec {
	by: PsaConfigurationItemMatch | 'id';
	value: string | number;
}

export type MissingConfigurationItemPolicy = 'continue' | 'fail';

export interface ResolvedConfigurationItems {
	items: PsaConfigurationItem[];
	/** Specs that found nothing (policy 'continue'): said in the output, never silently dropped. */
	missing: Array<{ by: string; value: string; reason: string }>;
}

const MATCH_LABELS: Record<ConfigurationItemSpec['by'], string> = {
	id: 'ID',
	name: 'name',
	serialNumber: 'serial number',
	macAddress: 'MAC address',
	ipAddress: 'IP address',
	deviceId: 'device ID',
};

/** Finds each configuration item within the company: one request per spec (an id is read to prove it exists). */
export async function resolveConfigurationItems(
	ctx: PsaServiceContext,
	specs: ConfigurationItemSpec[],
	companyId: number | undefined,
	onMissing: MissingConfigurationItemPolicy,
): Promise<ResolvedConfigurationItems> {
	const items: PsaConfigurationItem[] = [];
	const missing: ResolvedConfigurationItems['missing'] = [];
	for (const spec of specs) {
		const by = spec.by;
		if (!(by in MATCH_LABELS)) throw new PsaError('invalid-input', `Configuration items cannot be found by "${String(by)}"`, { hint: `Use one of: ${Object.keys(MATCH_LABELS).join(', ')}.` });
		const value = String(spec.value ?? '').trim();
		if (value === '') continue;
		let found: PsaConfigurationItem[];
		if (by === 'id') {
			if (!/^\d+$/.test(value)) throw new PsaError('invalid-input', `Configuration item ID must be a number, got "${value}"`);
			found = [await ctx.provider.getConfigurationItem(Number(value))].filter((item) => companyId === undefined || item.companyId === undefined || item.companyId === companyId);
		} else {
			found = await ctx.provider.findConfigurationItems({ companyId, by, value, limit: 3 });
		}
		const where = companyId !== undefined ? ` of company ${companyId}` : '';
		if (found.length === 1) {
			if (!items.some((item) => item.id === found[0].id)) items.push(found[0]);
			continue;
		}
		const reason = found.length === 0 ? `no configuration item${where} has ${MATCH_LABELS[by]} "${value}"` : `${found.length} configuration items${where} have ${MATCH_LABELS[by]} "${value}" (${found.map((item) => `${item.name} (${item.id})`).join(', ')})`;
		if (onMissing === 'fail') {
			throw new PsaError('invalid-input', `Configuration item not found: ${reason}`, {
				field: 'configurationItems',
				hint: found.length === 0 ? 'Check the value, or set "If a Configuration Item Is Not Found" to Continue Without It.' : 'Find it by a value only one item has (serial number, device ID), or by its ID.',
			});
		}
		missing.push({ by, value, reason });
	}
	return { items, missing };
}

function requireCompany(scope: DetailsScope, psa: string): number {
	if (scope.companyId === undefined) throw new PsaError('invalid-input', `A ${psa} site belongs to a company: give the company too`, { field: 'site' });
	return scope.companyId;
}

/** The PSA's name for messages ("Autotask tickets have no team"). */
export function psaName(ctx: PsaServiceContext): string {
	return definitionOfProvider(ctx.provider.connection.provider)?.displayName ?? 'The PSA';
}

/** The fields a PSA has, for messages and for the nodes: which details it accepts. */
export function supportedDetails(capabilities: PsaTicketCapabilities): string[] {
	return [
		...capabilities.classification,
		...(capabilities.team ? ['team'] : []),
		...(capabilities.source ? ['source'] : []),
		...(capabilities.site ? ['site'] : []),
		...Object.keys(capabilities.scales),
		...(capabilities.dueDate ? ['dueAt'] : []),
		'customFields',
	];
}
