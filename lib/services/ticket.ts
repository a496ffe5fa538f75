// Ticket: read a ticket whole, search tickets with PSA-neutral conditions, update fields (guarded against overwriting a person's edit), attach and detach configuration items.
import { PsaError } from '../providers/errors';
import type {
	PsaConfigurationItem,
	PsaSearchOperator,
	PsaTicket,
	PsaTicketCondition,
	PsaTicketConditionGroup,
	PsaTicketSearch,
	PsaTicketUpdate,
} from '../providers/types';
import { connectionOf, type PsaServiceContext } from './context';
import { confirmOwnChange, recordOwnChange } from './echo';
import { resolveMember, type MemberIdentity } from './member-map';
import { rememberTicket } from './ticket-state';
import { checkTicketDetails, isoDate, resolveConfigurationItems, type ConfigurationItemSpec, type ResolvedName, type TicketDetailsInput } from './ticket-fields';
import { ticketIdOf, type TicketRef } from './ticket-ref';
import { optionalId, requireText } from './validation';

export interface TicketView {
	ticket: PsaTicket;
	ticketUrl: string;
	configurationItems?: PsaConfigurationItem[];
}

/** The ticket with its custom fields by name (1 request) and, when asked, its configuration items (1 more). */
export async function getTicket(ctx: PsaServiceContext, ref: TicketRef, options: { configurationItems?: boolean } = {}): Promise<TicketView> {
	const ticketId = await ticketIdOf(ctx, ref);
	const connectionId = await connectionOf(ctx);
	const ticket = await ctx.provider.getTicketDetails(ticketId);
	rememberTicket(ctx.cache, connectionId, ticket);
	const view: TicketView = { ticket, ticketUrl: ctx.provider.ticketUrl(ticket.id) };
	if (options.configurationItems) view.configurationItems = await ctx.provider.listTicketConfigurationItems(ticket.id);
	return view;
}

const OPERATORS: PsaSearchOperator[] = ['eq', 'ne', 'contains', 'startsWith', 'gt', 'gte', 'lt', 'lte', 'in', 'isNull', 'isNotNull'];
const MAX_CONDITIONS = 50;
const MAX_DEPTH = 4;

/** Checks the search's shape (operators, values, nesting) before the provider turns it into its query language. */
export async function searchTickets(ctx: PsaServiceContext, search: PsaTicketSearch): Promise<PsaTicket[]> {
	const limit = search.limit ?? 50;
	if (limit !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(limit) || limit < 1)) {
		throw new PsaError('invalid-input', `Limit must be a whole number of 1 or more, got ${JSON.stringify(search.limit)}`, { hint: 'Set Limit, or turn on Return All.' });
	}
	let count = 0;
	const checkGroup = (group: PsaTicketConditionGroup, depth: number): PsaTicketConditionGroup => {
		if (depth > MAX_DEPTH) throw new PsaError('invalid-input', `Condition groups nest ${MAX_DEPTH} levels deep at most`);
		if (group.match !== 'all' && group.match !== 'any') throw new PsaError('invalid-input', `A condition group matches "all" or "any", got ${JSON.stringify(group.match)}`);
		const conditions = (group.conditions ?? []).map(checkCondition);
		count += conditions.length;
		if (count > MAX_CONDITIONS) throw new PsaError('invalid-input', `A search takes ${MAX_CONDITIONS} conditions at most`, { hint: 'Narrow the search with fewer, broader conditions.' });
		const groups = (group.groups ?? []).map((inner) => checkGroup(inner, depth + 1));
		return { match: group.match, conditions, ...(groups.length ? { groups } : {}) };
	};
	const where = search.where ? checkGroup(search.where, 1) : undefined;
	if (search.state !== undefined && search.state !== 'open' && search.state !== 'closed') {
		throw new PsaError('invalid-input', `Ticket state is "open" or "closed", got ${JSON.stringify(search.state)}`);
	}
	const tickets = await ctx.provider.searchTickets({ ...search, limit, ...(where ? { where } : {}) });
	const connectionId = await connectionOf(ctx);
	for (const ticket of tickets) rememberTicket(ctx.cache, connectionId, ticket);
	return tickets;
}

/** A condition group given as JSON text or an object (a node's JSON parameter, a model's tool input). */
export function conditionGroupOf(value: unknown): PsaTicketConditionGroup | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	let parsed = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			throw new PsaError('invalid-input', 'Condition Group (JSON) is not valid JSON', { hint: 'Give an object like {"match":"any","conditions":[{"field":"priority","operator":"eq","value":1}]}.' });
		}
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new PsaError('invalid-input', 'Condition Group (JSON) must be an object with match and conditions');
	}
	const group = parsed as PsaTicketConditionGroup;
	return { match: group.match, conditions: Array.isArray(group.conditions) ? group.conditions : [], ...(Array.isArray(group.groups) ? { groups: group.groups } : {}) };
}

function checkCondition(condition: PsaTicketCondition): PsaTicketCondition {
	const field = typeof condition?.field === 'string' ? condition.field.trim() : '';
	if (!field) throw new PsaError('invalid-input', 'A search condition needs a field', { hint: 'Choose the field, or remove the empty condition.' });
	const operator = String(condition.operator ?? '').trim() as PsaSearchOperator;
	const known = OPERATORS.find((candidate) => candidate.toLowerCase() === operator.toLowerCase());
	if (!known) throw new PsaError('invalid-input', `"${operator}" is not a search operator`, { hint: `Use one of: ${OPERATORS.join(', ')}.` });
	const checked: PsaTicketCondition = { field, operator: known, ...(condition.customField ? { customField: true } : {}) };
	if (known === 'isNull' || known === 'isNotNull') return checked;
	const value = condition.value;
	if (known === 'in') {
		const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',').map((part) => part.trim()).filter(Boolean) : [value];
		if (values.length === 0 || values.some((entry) => entry === undefined || entry === null || typeof entry === 'object')) {
			throw new PsaError('invalid-input', `Condition on ${field}: "in" needs a list of values`, { hint: 'Give values separated by commas, e.g. 1, 2, 3.' });
		}
		return { ...checked, value: values as Array<string | number | boolean> };
	}
	if (value === undefined || value === null || typeof value === 'object') {
		throw new PsaError('invalid-input', `Condition on ${field}: "${known}" needs a value, got ${value === null ? 'null' : typeof value}`, {
			hint: 'Give a text, number or date; use "is empty" to find tickets without a value.',
		});
	}
	return { ...checked, value };
}

/** A change to a ticket as a workflow gives it: basic fields by id, the details by id or name, the owner as an id or identity. */
export interface TicketChangesInput extends TicketDetailsInput {
	summary?: string;
	boardId?: number | string;
	statusId?: number | string;
	priorityId?: number | string;
	contactId?: number | string;
	ownerId?: number | string;
	owner?: MemberIdentity;
}

export interface UpdateTicketResult {
	ticketId: number;
	/** The PSA-neutral names of the fields sent. */
	changed: string[];
	ticket: PsaTicket;
	ticketUrl: string;
	resolved?: ResolvedName[];
}

/**
 * Sends only the fields given, in one request. With `unlessChangedSince`, the ticket is read first (1 request) and the
 * update refused when the PSA says it changed after that time, so a person's edit is not overwritten; the read and the
 * write are two requests, so a change in the moment between them is not caught (the PSA offers no conditional write).
 */
export async function updateTicket(
	ctx: PsaServiceContext,
	ref: TicketRef,
	input: TicketChangesInput,
	options: { unlessChangedSince?: string | number | Date } = {},
): Promise<UpdateTicketResult> {
	const ticketId = await ticketIdOf(ctx, ref);
	const changes: PsaTicketUpdate = {};
	if (input.summary !== undefined && input.summary !== null && input.summary !== '') changes.summary = requireText(input.summary, 'Summary', 10_000);
	for (const [name, label] of [
		['boardId', 'Board ID'],
		['statusId', 'Status ID'],
		['priorityId', 'Priority ID'],
		['contactId', 'Contact ID'],
		['ownerId', 'Owner ID'],
	] as const) {
		const id = optionalId(input[name], label);
		if (id !== undefined) changes[name] = id;
	}
	if (changes.ownerId === undefined && input.owner) changes.ownerId = (await resolveMember(ctx, input.owner)).memberId;
	const since = options.unlessChangedSince !== undefined && options.unlessChangedSince !== null && options.unlessChangedSince !== '' ? isoDate(options.unlessChangedSince, 'Unless Changed Since') : undefined;
	// Classification is checked on the board the ticket will be on: the new one, else the current one (read only when needed).
	const needsBoard = ['type', 'subtype', 'item', 'team'].some((field) => hasValue(input[field as keyof TicketDetailsInput]));
	const needsCompany = hasValue(input.site);
	let current: PsaTicket | undefined;
	if (since !== undefined || ((needsBoard && changes.boardId === undefined) || needsCompany)) current = await ctx.provider.getTicket(ticketId);
	if (since !== undefined && current) refuseIfChanged(current, since);
	const { details, resolved } = await checkTicketDetails(ctx, input, { boardId: changes.boardId ?? current?.board.id, companyId: current?.company.id });
	Object.assign(changes, details);
	if (input.dueAt === null) changes.dueAt = null;
	const changed = Object.keys(changes);
	if (changed.length === 0) throw new PsaError('invalid-input', 'Nothing to update: no field was given a value', { hint: 'Add at least one field under Update Fields.' });

	await recordOwnChange(ctx, ticketId, changes.statusId !== undefined ? { change: 'status', statusId: changes.statusId } : { change: 'fields' });
	const ticket = await ctx.provider.updateTicket(ticketId, changes);
	const connectionId = await connectionOf(ctx);
	rememberTicket(ctx.cache, connectionId, ticket);
	await confirmOwnChange(ctx, ticketId, changes.statusId !== undefined ? { change: 'status', statusId: changes.statusId } : { change: 'fields' }, ticket.updatedBy);
	return { ticketId, changed, ticket, ticketUrl: ctx.provider.ticketUrl(ticketId), ...(resolved.length ? { resolved } : {}) };
}

function refuseIfChanged(ticket: PsaTicket, since: string): void {
	if (!ticket.updatedAt) {
		throw new PsaError('configuration', 'The PSA did not say when the ticket last changed, so "Unless Changed Since" cannot be checked', {
			hint: 'Turn the guard off for this PSA, or compare a field you read with PSA Ticket › Get.',
		});
	}
	if (Date.parse(ticket.updatedAt) > Date.parse(since)) {
		throw new PsaError('conflict', `Ticket ${ticket.id} was changed in the PSA at ${ticket.updatedAt}${ticket.updatedBy ? ` by ${ticket.updatedBy}` : ''}, after ${since}; nothing was updated`, {
			hint: 'Read the ticket again (PSA Ticket › Get) and decide on its current values, or turn off "Unless Changed Since" to overwrite.',
		});
	}
}

export interface ConfigurationItemChange {
	ticketId: number;
	configurationItem: PsaConfigurationItem;
	/** False when the item was already attached (add) or not attached (remove): nothing was sent. */
	changed: boolean;
}

/**
 * Attaches the item found by the spec within the ticket's company. Reads the ticket's list first (so an attached item
 * costs no write and a re-run changes nothing): 3 requests (ticket, item lookup, list) + 1 write when new.
 */
export async function addConfigurationItem(ctx: PsaServiceContext, ref: TicketRef, spec: ConfigurationItemSpec): Promise<ConfigurationItemChange> {
	const ticketId = await ticketIdOf(ctx, ref);
	const ticket = await ctx.provider.getTicket(ticketId);
	const item = await oneItem(ctx, spec, ticket.company.id);
	const attached = await ctx.provider.listTicketConfigurationItems(ticketId);
	if (attached.some((candidate) => candidate.id === item.id)) return { ticketId, configurationItem: item, changed: false };
	await recordOwnChange(ctx, ticketId, { change: 'fields' });
	await ctx.provider.attachConfigurationItem(ticketId, item.id);
	return { ticketId, configurationItem: item, changed: true };
}

/** Detaches the item (found among the ticket's own when named by a value): 1 list + 1 write when attached. */
export async function removeConfigurationItem(ctx: PsaServiceContext, ref: TicketRef, spec: ConfigurationItemSpec): Promise<ConfigurationItemChange> {
	const ticketId = await ticketIdOf(ctx, ref);
	const attached = await ctx.provider.listTicketConfigurationItems(ticketId);
	const value = String(spec.value ?? '').trim();
	if (!value) throw new PsaError('invalid-input', 'Name the configuration item to remove', { hint: 'Give its ID, name, serial number, MAC address, IP address or device ID.' });
	const matches = attached.filter((item) => matchesSpec(item, spec.by, value));
	if (matches.length > 1) {
		throw new PsaError('invalid-input', `${matches.length} configuration items on ticket ${ticketId} match ${spec.by} "${value}"`, { hint: `Remove it by ID: ${matches.map((item) => `${item.name} (${item.id})`).join(', ')}.` });
	}
	if (matches.length === 0) {
		if (spec.by !== 'id') {
			throw new PsaError('not-found', `No configuration item on ticket ${ticketId} has ${spec.by} "${value}"`, {
				hint: `Attached: ${attached.map((item) => `${item.name} (${item.id})`).join(', ') || '(none)'}.`,
			});
		}
		const item = await ctx.provider.getConfigurationItem(Number(value));
		return { ticketId, configurationItem: item, changed: false };
	}
	await recordOwnChange(ctx, ticketId, { change: 'fields' });
	await ctx.provider.detachConfigurationItem(ticketId, matches[0].id);
	return { ticketId, configurationItem: matches[0], changed: true };
}

async function oneItem(ctx: PsaServiceContext, spec: ConfigurationItemSpec, companyId: number): Promise<PsaConfigurationItem> {
	const { items } = await resolveConfigurationItems(ctx, [spec], companyId, 'fail');
	if (items.length === 0) throw new PsaError('invalid-input', 'Name the configuration item', { hint: 'Give its ID, name, serial number, MAC address, IP address or device ID.' });
	return items[0];
}

function matchesSpec(item: PsaConfigurationItem, by: ConfigurationItemSpec['by'], value: string): boolean {
	if (by === 'id') return String(item.id) === value;
	const field = item[by];
	return typeof field === 'string' && normaliseMatch(by, field) === normaliseMatch(by, value);
}

/** MAC addresses are written with colons, dashes or nothing; compared by their hex digits. */
export function normaliseMatch(by: string, value: string): string {
	const lower = value.trim().toLowerCase();
	return by === 'macAddress' ? lower.replace(/[^0-9a-f]/g, '') : lower;
}

function hasValue(value: unknown): boolean {
	return value !== undefined && value !== null && value !== '';
}
