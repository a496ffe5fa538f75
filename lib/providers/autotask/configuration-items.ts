// Autotask configuration items: finding them (ConfigurationItems/query), the ticket's own configurationItemID and its additional ones, attaching and detaching each once.
import type { PsaCache } from '../../cache';
import { PsaError, isOutcomeUnknown, isPsaError } from '../errors';
import type { PsaConfigurationItem, PsaConfigurationItemMatch, PsaConfigurationItemQuery } from '../types';
import { isObject, recordId, searchText } from '../values';
import type { AutotaskClient } from './client';
import { type Filter, q } from './filter';
import { MAX_OR_CONDITIONS } from './filter';
import { DEFAULT_LIST_LIMIT } from './lookups';
import { fieldOf, idOf, itemIdOf, itemOf, readConfigurationItem } from './read';

const TYPES_TTL_MS = 60 * 60 * 1000;
const ADDITIONAL = 'AdditionalConfigurationItems';

type Query = (path: string, filter: Array<Filter | undefined>, limit: number | undefined) => Promise<unknown[]>;

/**
 * What each match reads (ConfigurationItemModel, 2020 swagger). IP and MAC are the RMM audit's fields, filled by an RMM
 * integration only; the swagger has no other MAC field.
 */
const MATCHES: Record<PsaConfigurationItemMatch, (value: string) => Filter> = {
	name: (value) => q.eq('referenceTitle', value),
	serialNumber: (value) => q.eq('serialNumber', value),
	ipAddress: (value) => q.eq('rmmDeviceAuditIPAddress', value),
	macAddress: (value) => q.eq('rmmDeviceAuditMacAddress', value),
	// The RMM's id is a UID (text) or a numeric device id, depending on the RMM.
	deviceId: (value) => (/^\d{1,15}$/.test(value) ? q.or(q.eq('rmmDeviceUID', value), q.eq('rmmDeviceID', Number(value))) : q.eq('rmmDeviceUID', value)),
};
export class AutotaskConfigurationItems {
	constructor(
		private readonly client: AutotaskClient,
		private readonly cache: PsaCache,
		private readonly connectionId: string,
		private readonly query: Query,
	) {}

	async find(query: PsaConfigurationItemQuery = {}): Promise<PsaConfigurationItem[]> {
		if (!isObject(query as unknown)) throw new PsaError('invalid-input', 'A configuration item search must be an object', { field: 'query' });
		const by = query.by;
		if (by !== undefined && !Object.prototype.hasOwnProperty.call(MATCHES, by)) {
			throw new PsaError('invalid-input', `Autotask finds configuration items by ${Object.keys(MATCHES).join(', ')}; not by '${String(by)}'`, { field: 'by' });
		}
		const value = by !== undefined ? String(query.value ?? '').trim() : undefined;
		if (by !== undefined && !value) throw new PsaError('invalid-input', `Finding a configuration item by ${by} needs a value`, { field: 'value' });
		const search = searchText(query.search);
		const filter = [
			query.companyId !== undefined ? q.eq('companyID', recordId(query.companyId, 'company', 'companyID', 0)) : undefined,
			query.includeInactive ? undefined : q.eq('isActive', true),
			by !== undefined && value !== undefined ? MATCHES[by](value) : search ? q.contains('referenceTitle', search) : undefined,
		];
		const [items, types] = await Promise.all([this.query('/ConfigurationItems/query', filter, query.limit ?? DEFAULT_LIST_LIMIT), this.typeNames()]);
		return items.map((item) => readConfigurationItem(item, 'POST /ConfigurationItems/query', types));
	}

	async get(id: number): Promise<PsaConfigurationItem> {
		const path = `/ConfigurationItems/${recordId(id, 'configuration item', 'configurationItemID')}`;
		let item: Record<string, unknown> | null;
		try {
			item = itemOf(await this.client.request({ method: 'GET', path }), `GET ${path}`);
		} catch (error) {
			if (isPsaError(error, 'not-found')) throw new PsaError('not-found', `Autotask has no configuration item ${id}`, { ...error.details });
			throw error;
		}
		if (!item) throw new PsaError('not-found', `Autotask has no configuration item ${id}`, { status: 200, request: `GET ${path}`, refused: true });
		return readConfigurationItem(item, `GET ${path}`, await this.typeNames());
	}

	/** The ticket's own configuration item first, then the additional ones in the order they were attached. */
	async listForTicket(ticketId: number): Promise<PsaConfigurationItem[]> {
		const { own, additional } = await this.attached(ticketId);
		const ids = [...(own !== undefined ? [own] : []), ...additional.map((row) => row.itemId)];
		if (ids.length === 0) return [];
		const types = await this.typeNames();
		const items: unknown[] = [];
		for (let start = 0; start < ids.length; start += MAX_OR_CONDITIONS) {
			items.push(...(await this.query('/ConfigurationItems/query', [q.in('id', ids.slice(start, start + MAX_OR_CONDITIONS))], undefined)));
		}
		const byId = new Map(items.map((item) => readConfigurationItem(item, 'POST /ConfigurationItems/query', types)).map((item) => [item.id, item]));
		return ids.map((id) => byId.get(id)).filter((item): item is PsaConfigurationItem => item !== undefined);
	}

	/** Adds the item as an additional configuration item, unless the ticket already names it (its own or an additional one). */
	async attach(ticketId: number, configurationItemId: number, options: { attached?: readonly number[] } = {}): Promise<void> {
		const ticket = recordId(ticketId, 'ticket', 'ticketID');
		const item = recordId(configurationItemId, 'configuration item', 'configurationItemID');
		if (options.attached ? options.attached.includes(item) : await this.isAttached(ticket, item)) return;
		const path = `/Tickets/${ticket}/${ADDITIONAL}`;
		try {
			itemIdOf(await this.client.request({ method: 'POST', path, body: { ticketID: ticket, configurationItemID: item }, create: true }), `POST ${path}`);
		} catch (error) {
			// A refusal (a concurrent attach won) or a lost answer: attached now is what was asked, so look before failing.
			if ((isPsaError(error, 'invalid-input') || isOutcomeUnknown(error)) && (await this.isAttached(ticket, item).catch(() => false))) return;
			throw error;
		}
	}

	/** Removes the item from the ticket: its own configurationItemID is cleared, an additional one deleted; one not attached is no error. */
	async detach(ticketId: number, configurationItemId: number): Promise<void> {
		const ticket = recordId(ticketId, 'ticket', 'ticketID');
		const item = recordId(configurationItemId, 'configuration item', 'configurationItemID');
		const { own, additional } = await this.attached(ticket);
		if (own === item) {
			await this.client.request({ method: 'PATCH', path: '/Tickets', body: { id: ticket, configurationItemID: null } });
			this.cache.delete(this.connectionId, `ticket:${ticket}`);
		}
		for (const row of additional.filter((candidate) => candidate.itemId === item)) {
			const path = `/Tickets/${ticket}/${ADDITIONAL}/${row.id}`;
			try {
				await this.client.request({ method: 'DELETE', path });
			} catch (error) {
				// Gone already (a concurrent detach): what was asked.
				if (!isPsaError(error, 'not-found')) throw error;
			}
		}
	}

	private async isAttached(ticketId: number, itemId: number): Promise<boolean> {
		const { own, additional } = await this.attached(ticketId);
		return own === itemId || additional.some((row) => row.itemId === itemId);
	}

	/** The ticket's own configurationItemID (GET /Tickets/{id}) and its additional rows (TicketAdditionalConfigurationItems/query). */
	private async attached(ticketId: number): Promise<{ own?: number; additional: Array<{ id: number; itemId: number }> }> {
		const path = `/Tickets/${recordId(ticketId, 'ticket', 'ticketID')}`;
		let ticket: Record<string, unknown> | null;
		try {
			ticket = itemOf(await this.client.request({ method: 'GET', path }), `GET ${path}`);
		} catch (error) {
			if (isPsaError(error, 'not-found')) throw new PsaError('not-found', `Autotask has no ticket ${ticketId}`, { ...error.details });
			throw error;
		}
		if (!ticket) throw new PsaError('not-found', `Autotask has no ticket ${ticketId}`, { status: 200, request: `GET ${path}`, refused: true });
		const rows = await this.query('/TicketAdditionalConfigurationItems/query', [q.eq('ticketID', ticketId)], undefined);
		const additional = rows
			.filter(isObject)
			.map((row) => ({ id: idOf(fieldOf(row, 'id')), itemId: idOf(fieldOf(row, 'configurationItemID')) }))
			.filter((row): row is { id: number; itemId: number } => row.id !== undefined && row.itemId !== undefined)
			.sort((a, b) => a.id - b.id);
		const own = idOf(fieldOf(ticket, 'configurationItemID'));
		return { ...(own !== undefined && own > 0 ? { own } : {}), additional };
	}

	/**
	 * Configuration item type names by id (ConfigurationItemTypes/query), cached an hour per connection. A security level
	 * that may not read the types still finds items: they come without a type name.
	 */
	private typeNames(): Promise<Map<number, string>> {
		return this.cache
			.getOrLoad(
				this.connectionId,
				'configuration-item-types',
				async () => {
					const rows = await this.query('/ConfigurationItemTypes/query', [], undefined);
					return rows.filter(isObject).flatMap((row) => {
						const id = idOf(fieldOf(row, 'id'));
						const name = fieldOf(row, 'name');
						return id !== undefined && typeof name === 'string' ? [[id, name] as [number, string]] : [];
					});
				},
				TYPES_TTL_MS,
			)
			.then(
				(entries) => new Map(entries),
				(error: unknown) => {
					if (isPsaError(error, 'permission')) return new Map<number, string>();
					throw error;
				},
			);
	}
}
