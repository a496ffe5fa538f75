// ConnectWise configurations (configuration items): found by company and an exact name, serial, MAC, IP or device id; a ticket's attached ones listed, attached once and detached.
import { PsaError, isPsaError } from '../errors';
import type { PsaConfigurationItem, PsaConfigurationItemMatch, PsaConfigurationItemQuery } from '../types';
import { recordId, searchText } from '../values';
import { type ConnectWiseClient, isObject } from './client';
import { allOf, cond } from './conditions';
import { DEFAULT_LIST_LIMIT } from './lookups';
import type { ListOptions } from './paging';
import { fieldsParam, missing } from './read';

const FIELDS = ['id', 'name', 'company', 'type', 'serialNumber', 'macAddress', 'ipAddress', 'deviceIdentifier', 'activeFlag'];

/** The configuration field each neutral match names. */
const MATCH_FIELDS: Record<PsaConfigurationItemMatch, keyof PsaConfigurationItem & string> = {
	name: 'name',
	serialNumber: 'serialNumber',
	macAddress: 'macAddress',
	ipAddress: 'ipAddress',
	deviceId: 'deviceId',
};
const CONNECTWISE_FIELDS: Record<PsaConfigurationItemMatch, string> = {
	name: 'name',
	serialNumber: 'serialNumber',
	macAddress: 'macAddress',
	ipAddress: 'ipAddress',
	deviceId: 'deviceIdentifier',
};

/** Ids asked for in one `id in (...)` condition when a ticket's configurations are read. */
const IDS_PER_REQUEST = 100;

type List = <T>(path: string, options: ListOptions, read: (value: unknown) => T) => Promise<T[]>;

export class ConnectWiseConfigurationItems {
	constructor(
		private readonly client: ConnectWiseClient,
		private readonly list: List,
	) {}

	/**
	 * Configurations of the company matching the value exactly. ConnectWise compares text case-insensitively; a
	 * candidate it returns whose field differs in more than case is dropped, so only the value itself matches.
	 */
	async find(query: PsaConfigurationItemQuery): Promise<PsaConfigurationItem[]> {
		const by = query?.by;
		if (by !== undefined && !(by in CONNECTWISE_FIELDS)) {
			throw new PsaError('invalid-input', `'${String(by)}' is not a way to find a configuration item (${Object.keys(CONNECTWISE_FIELDS).join(', ')})`, { field: 'by' });
		}
		const value = typeof query.value === 'string' ? query.value.trim() : '';
		if (by && !value) throw new PsaError('invalid-input', `Finding a configuration item by ${by} needs the value to look for`, { field: 'value' });
		const search = searchText(query.search);
		const conditions = allOf(
			query.companyId !== undefined && query.companyId !== null ? cond.eq('company/id', recordId(query.companyId, 'company', 'company/id')) : undefined,
			by ? cond.eq(CONNECTWISE_FIELDS[by], value) : search ? cond.contains('name', search) : undefined,
			query.includeInactive ? undefined : cond.eq('activeFlag', true),
		);
		const items = await this.list(
			'/company/configurations',
			{ conditions, fields: fieldsParam(FIELDS), orderBy: 'name asc', limit: query.limit ?? DEFAULT_LIST_LIMIT },
			(item) => readConfigurationItem(item, 'GET /company/configurations'),
		);
		if (!by) return items;
		const wanted = value.toLowerCase();
		return items.filter((item) => String(item[MATCH_FIELDS[by]] ?? '').toLowerCase() === wanted);
	}

	async get(id: number): Promise<PsaConfigurationItem> {
		const path = `/company/configurations/${recordId(id, 'configuration item', 'id')}`;
		const response = await this.client.request({ method: 'GET', path, query: { fields: fieldsParam(FIELDS) } });
		return readConfigurationItem(response.body, `GET ${path}`);
	}

	/** The ticket's configurations: their ids from the ticket, then the records (a configuration deleted since keeps its id). */
	async ofTicket(ticketId: number): Promise<PsaConfigurationItem[]> {
		const ids = await this.attachedIds(recordId(ticketId, 'ticket', 'ticket/id'));
		const found = new Map<number, PsaConfigurationItem>();
		for (let start = 0; start < ids.length; start += IDS_PER_REQUEST) {
			const batch = ids.slice(start, start + IDS_PER_REQUEST);
			const items = await this.list(
				'/company/configurations',
				{ conditions: cond.in('id', batch), fields: fieldsParam(FIELDS), orderBy: 'id asc' },
				(item) => readConfigurationItem(item, 'GET /company/configurations'),
			);
			for (const item of items) found.set(item.id, item);
		}
		return ids.map((id) => found.get(id) ?? { id, name: '', inactive: true });
	}

	/**
	 * Attaches once: an item already attached is left as it is. A lost or failed answer is settled by reading the
	 * ticket's list again, so a repeat never attaches twice; a refusal is no error when the item turns out attached.
	 */
	async attach(ticketId: number, configurationItemId: number, options: { attached?: readonly number[] } = {}): Promise<void> {
		const ticket = recordId(ticketId, 'ticket', 'ticket/id');
		const item = recordId(configurationItemId, 'configuration item', 'id');
		if (options.attached ? options.attached.includes(item) : (await this.attachedIds(ticket)).includes(item)) return;
		const path = `/service/tickets/${ticket}/configurations`;
		const attachedNow = async () => ((await this.attachedIds(ticket)).includes(item) ? true : undefined);
		try {
			await this.client.createOnce(
				async () => {
					await this.client.request({ method: 'POST', path, body: { id: item } });
					return true;
				},
				attachedNow,
				(error) => isPsaError(error) && error.details.outcomeUnknown === true,
			);
		} catch (error) {
			if (isPsaError(error, 'invalid-input') && (await attachedNow())) return;
			throw error;
		}
	}

	/** Detaches the item; one not attached (or detached meanwhile) is no error, a ticket that does not exist is. */
	async detach(ticketId: number, configurationItemId: number): Promise<void> {
		const ticket = recordId(ticketId, 'ticket', 'ticket/id');
		const item = recordId(configurationItemId, 'configuration item', 'id');
		if (!(await this.attachedIds(ticket)).includes(item)) return;
		try {
			await this.client.request({ method: 'DELETE', path: `/service/tickets/${ticket}/configurations/${item}` });
		} catch (error) {
			if (!isPsaError(error, 'not-found')) throw error;
		}
	}

	private async attachedIds(ticket: number): Promise<number[]> {
		const path = `/service/tickets/${ticket}/configurations`;
		const references = await this.list(path, { fields: 'id', orderBy: 'id asc' }, (value) => (isObject(value) && typeof value.id === 'number' ? value.id : undefined));
		return [...new Set(references.filter((id): id is number => id !== undefined))];
	}
}

export function readConfigurationItem(value: unknown, endpoint: string): PsaConfigurationItem {
	if (!isObject(value) || typeof value.id !== 'number') throw missing('id', endpoint);
	const item: PsaConfigurationItem = { id: value.id, name: typeof value.name === 'string' ? value.name : '', inactive: value.activeFlag === false };
	if (isObject(value.company) && typeof value.company.id === 'number') item.companyId = value.company.id;
	if (isObject(value.type) && typeof value.type.name === 'string') item.typeName = value.type.name;
	const texts: Array<[keyof PsaConfigurationItem, unknown]> = [
		['serialNumber', value.serialNumber],
		['macAddress', value.macAddress],
		['ipAddress', value.ipAddress],
		['deviceId', value.deviceIdentifier],
	];
	for (const [field, text] of texts) if (typeof text === 'string' && text) (item as unknown as Record<string, string>)[field] = text;
	return item;
}
