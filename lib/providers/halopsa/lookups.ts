// Halo's reference lists, cached per connection: statuses (tenant-wide, narrowed by ticket type; closed ones told apart by Halo's own excludeclosed), priorities, ticket types, teams, categories, action types, custom field definitions, the API agent.
import type { PsaCache } from '../../cache';
import type { PsaBoard, PsaChoice, PsaCustomFieldDefinition, PsaPriority, PsaStatus } from '../types';
import type { HaloClient } from './client';
import { idOf, readAgent, readChoice, readFieldInfo, requiredId, textOf, type TicketLabels } from './read';
import type { PsaMember } from '../types';

/** Lists that change when an admin edits Halo's setup: a quarter of an hour. */
const LIST_TTL_MS = 15 * 60 * 1000;
/** The API agent changes only with the application's settings. */
const ME_TTL_MS = 60 * 60 * 1000;
/** FieldInfo type id of ticket fields [client]. */
const TICKET_FIELDS_TYPE = 1;

interface StatusRow {
	id: number;
	name: string;
	sequence: number;
	/** Ticket types the status is limited to; empty: every type. */
	ticketTypes: number[];
}

export class HaloLookups {
	constructor(
		private readonly client: HaloClient,
		private readonly cache: PsaCache,
		private readonly connectionId: string,
	) {}

	private cached<T>(key: string, load: () => Promise<T>, ttl = LIST_TTL_MS): Promise<T> {
		return this.cache.getOrLoad(this.connectionId, key, load, ttl);
	}

	/** Every status, and which of them close a ticket: those Halo leaves out when asked to exclude closed ones. */
	private statusRows(): Promise<{ rows: StatusRow[]; closed: Set<number> }> {
		return this.cached('statuses', async () => {
			const [all, open] = await Promise.all([this.client.list('/Status', 'statuses', { showall: true }), this.client.list('/Status', 'statuses', { showall: true, excludeclosed: true })]);
			const rows = all.map((record) => ({
				id: requiredId(record, 'id', 'GET /Status'),
				name: textOf(record.name) ?? '',
				sequence: typeof record.sequence === 'number' ? record.sequence : 0,
				ticketTypes: Array.isArray(record.tickettypes) ? record.tickettypes.map((entry) => idOf(typeof entry === 'object' && entry ? (entry as { id?: unknown }).id : entry)).filter((id): id is number => id !== undefined) : [],
			}));
			// Which status type values mean closed is not published: Halo itself says, by what excludeclosed leaves out.
			const openIds = new Set(open.map((record) => idOf(record.id)));
			return { rows, closed: new Set(rows.filter((row) => !openIds.has(row.id)).map((row) => row.id)) };
		});
	}

	/** Statuses a ticket of the type may have (Halo narrows the tenant's list by ticket type); every status for type 0. */
	async statuses(ticketTypeId: number): Promise<PsaStatus[]> {
		const { rows, closed } = await this.statusRows();
		return rows
			.filter((row) => ticketTypeId === 0 || row.ticketTypes.length === 0 || row.ticketTypes.includes(ticketTypeId))
			.sort((a, b) => a.sequence - b.sequence)
			.map((row, index) => ({ id: row.id, name: row.name, boardId: ticketTypeId, closed: closed.has(row.id), inactive: false, isDefault: index === 0, sortOrder: row.sequence }));
	}

	async labels(): Promise<TicketLabels> {
		const [{ rows, closed }, priorities, teams] = await Promise.all([this.statusRows(), this.priorities(), this.teams()]);
		return {
			closedStatuses: closed,
			statusNames: new Map(rows.map((row) => [row.id, row.name])),
			priorityNames: new Map(priorities.map((priority) => [priority.id, priority.name])),
			teamIds: new Map(teams.map((team) => [team.name.toLowerCase(), team.id])),
		};
	}

	/** Halo keeps priorities per SLA (Policy rows); a ticket names `priorityid`, so rows are merged by it. */
	priorities(): Promise<PsaPriority[]> {
		return this.cached('priorities', async () => {
			const byId = new Map<number, PsaPriority>();
			for (const record of await this.client.list('/Priority', 'priorities')) {
				const id = idOf(record.priorityid) ?? idOf(record.id);
				if (id !== undefined && !byId.has(id)) byId.set(id, { id, name: textOf(record.name) ?? '', sortOrder: id, isDefault: false });
			}
			return [...byId.values()].sort((a, b) => a.sortOrder - b.sortOrder);
		});
	}

	/** Ticket types serve as boards: they narrow the statuses, as a ConnectWise board does. */
	ticketTypes(): Promise<PsaBoard[]> {
		return this.cached('ticket-types', async () =>
			(await this.client.list('/TicketType', 'tickettypes', { showinactive: true })).map((record) => ({
				id: requiredId(record, 'id', 'GET /TicketType'),
				name: textOf(record.name) ?? '',
				inactive: record.inactive === true || record.visible === false,
			})),
		);
	}

	teams(): Promise<PsaChoice[]> {
		return this.cached('teams', async () => (await this.client.list('/Team', 'teams', { includedisabled: true })).map((record) => readChoice(record, 'GET /Team')));
	}

	/** Category level 1 [open: /Category is outside the contract's subset of the description]. */
	categories(): Promise<PsaChoice[]> {
		return this.cached('categories', async () => (await this.client.list('/Category', 'categories', { type_id: 1 })).map((record) => readChoice(record, 'GET /Category', record.value !== undefined ? 'value' : 'name')));
	}

	/** Action types (TOutcome), hidden ones marked inactive: a note's action type, a time entry's work type. */
	actionTypes(): Promise<PsaChoice[]> {
		return this.cached('outcomes', async () =>
			(await this.client.list('/Outcome', 'outcomes')).flatMap((record) => {
				const id = idOf(record.id);
				const name = textOf(record.outcome) ?? textOf(record.buttonname);
				return id !== undefined && name ? [{ id, name: name.trim(), ...(record.hidden === true ? { inactive: true } : {}) }] : [];
			}),
		);
	}

	/** Action types by name (lower-cased) -> id. */
	async outcomes(): Promise<Map<string, number>> {
		return new Map((await this.actionTypes()).map((choice) => [choice.name.toLowerCase(), choice.id]));
	}

	customFields(): Promise<PsaCustomFieldDefinition[]> {
		return this.cached('custom-fields', async () =>
			(await this.client.list('/FieldInfo', 'fields', { typeid: TICKET_FIELDS_TYPE, includevalues: true }))
				.filter((record) => record.custom === true || record.custom === 1 || /^CF/i.test(String(record.name ?? '')))
				.map((record) => readFieldInfo(record, 'GET /FieldInfo')),
		);
	}

	/** The agent the API application acts as: every change it makes is recorded under this agent. */
	me(): Promise<PsaMember> {
		return this.cached('agent-me', async () => readAgent((await this.client.request({ method: 'GET', path: '/Agent/me' })) as Record<string, unknown>, 'GET /Agent/me'), ME_TTL_MS);
	}
}
