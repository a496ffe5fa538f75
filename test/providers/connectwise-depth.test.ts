// The ConnectWise provider's ticket depth against the sandbox over real HTTP: lookups, create and update with every field, configuration items, search (injection, paging) and faults.
import { PsaCache } from '../../lib/cache';
import { ConnectWiseProvider, type ProviderDeps } from '../../lib/providers/connectwise';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import type { PsaTicket, PsaTicketCreate, PsaTicketSearch } from '../../lib/providers/types';
import { checkSuiteAgainstContract } from '../contract/suite-check';
import { rejection } from '../helpers/rejection';
import { DEPTH_SEED, type Sandbox, parseConditions, startSandbox } from '../sandbox';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ port: 0 });
});

afterEach(() => {
	sandbox.clearFaults();
});

afterAll(async () => {
	await sandbox?.stop();
});

checkSuiteAgainstContract('connectwise-depth.test.ts', () => sandbox);

function make(deps: Partial<ProviderDeps> = {}) {
	return new ConnectWiseProvider({ ...sandbox.credentials }, { http: createFetchTransport({ timeoutMs: 5000 }), sleep: async () => undefined, random: () => 0.5, ...deps });
}

/** Requests the sandbox logged from now on, for `count` (method and path template). */
function watch() {
	const start = sandbox.requests.length;
	const entries = () => sandbox.requests.slice(start);
	return {
		entries,
		count: (method?: string, template?: string) =>
			entries().filter((entry) => (!method || entry.method === method) && (!template || entry.template === template) && !entry.path.startsWith('/login/')).length,
	};
}

let counter = 0;
const ref = (prefix: string) => `${prefix}:${process.pid}:${++counter}`;

function base(summary: string, extra: Partial<PsaTicketCreate> = {}): PsaTicketCreate {
	return { summary, companyId: DEPTH_SEED.companyId, boardId: DEPTH_SEED.boardId, externalRef: ref('depth'), ...extra };
}

function stored(id: number) {
	const ticket = sandbox.db.tickets.find((candidate) => candidate.id === id);
	if (!ticket) throw new Error(`no ticket ${id} in the sandbox`);
	return ticket;
}

function storedCustomFields(id: number): Record<string, unknown> {
	return Object.fromEntries(stored(id).customFields.map((entry) => [entry.caption, entry.value ?? null]));
}

async function idsOf(provider: ConnectWiseProvider) {
	const types = await provider.listTicketTypes(DEPTH_SEED.boardId);
	const typeId = types.find((type) => type.name === DEPTH_SEED.typeName)!.id;
	const subtypes = await provider.listTicketSubtypes(typeId, DEPTH_SEED.boardId);
	const subtypeId = subtypes.find((subtype) => subtype.name === DEPTH_SEED.subtypeName)!.id;
	const items = await provider.listTicketItems(typeId, subtypeId, DEPTH_SEED.boardId);
	const itemId = items.find((item) => item.name === DEPTH_SEED.itemName)!.id;
	const teamId = (await provider.listTeams(DEPTH_SEED.boardId)).find((team) => team.name === DEPTH_SEED.teamName)!.id;
	const sourceId = (await provider.listSources()).find((source) => source.name === DEPTH_SEED.sourceName)!.id;
	const siteId = (await provider.listSites(DEPTH_SEED.companyId)).find((site) => site.name === DEPTH_SEED.siteName)!.id;
	return { typeId, subtypeId, itemId, teamId, sourceId, siteId };
}

describe('lookups', () => {
	test('types, subtypes and items of a board: only the combinations the board allows, inactive ones flagged', async () => {
		const provider = make();
		expect(await provider.listTicketTypes(2)).toEqual([{ id: 23, name: 'Change', inactive: true }, { id: 21, name: 'Incident' }, { id: 22, name: 'Problem' }]);
		expect(await provider.listTicketSubtypes(21, 2)).toEqual([{ id: 34, name: 'Legacy', inactive: true }, { id: 31, name: 'Network' }, { id: 32, name: 'Server' }]);
		expect((await provider.listTicketSubtypes(22, 2)).map((choice) => choice.name)).toEqual(['Printer', 'Server']);
		expect(await provider.listTicketItems(21, 31, 2)).toEqual([{ id: 42, name: 'Degraded' }, { id: 41, name: 'Outage' }, { id: 45, name: 'Retired', inactive: true }]);
		expect((await provider.listTicketItems(21, 32, 2)).map((choice) => choice.name)).toEqual(['Outage']);
		expect((await provider.listTicketItems(22, 32, 2)).map((choice) => choice.name)).toEqual(['Configuration']);
		expect(await provider.listTicketItems(21, undefined, 2)).toEqual([]);
		expect((await provider.listTicketTypes(1)).map((choice) => choice.name)).toEqual(['Incident', 'Request']);
		const noBoard = await rejection(provider.listTicketTypes());
		expect(noBoard).toMatchObject({ kind: 'invalid-input', details: { field: 'board/id' } });
		expect(noBoard.message).toMatch(/per service board/);
		expect((await rejection(provider.listTicketSubtypes(0, 2))).kind).toBe('invalid-input');
	});

	test('teams of a board, sources, sites of a company', async () => {
		const provider = make();
		expect(await provider.listTeams(2)).toEqual([{ id: 51, name: 'Network Team' }, { id: 52, name: 'NOC Night' }]);
		expect((await provider.listSources()).map((source) => source.name)).toEqual(['Email', 'Monitoring', 'Phone', 'Portal']);
		expect(await provider.listSites(250)).toEqual([{ id: 64, name: 'Old Warehouse', inactive: true }, { id: 61, name: 'Orlando Branch' }, { id: 60, name: 'Tampa HQ' }]);
		expect(await provider.listSites(252)).toEqual([]);
		expect((await rejection(provider.listSites(999999))).kind).toBe('not-found');
	});

	test('custom field definitions: the service ticket screen only, each typed, picklists without inactive options', async () => {
		const fields = await make().listCustomFields();
		expect(fields).toEqual([
			{ id: 1, name: 'Region', type: 'picklist', required: false, picklist: ['EMEA', 'APAC', 'AMER'].map((value) => ({ value, label: value })) },
			{ id: 2, name: 'Alert Source', type: 'text', required: false },
			{ id: 3, name: 'Impact Score', type: 'number', required: false, decimals: 1 },
			{ id: 4, name: 'Customer Notified', type: 'boolean', required: false },
			{ id: 5, name: 'Maintenance Until', type: 'date', required: false },
		]);
	});

	test('cached per connection: the second round of lookups sends no request, also from another provider on the same cache', async () => {
		const cache = new PsaCache();
		const first = watch();
		await idsOf(make({ cache }));
		await make({ cache }).listCustomFields();
		// types, associations, subtypes, items, teams, sources, sites, custom fields (codebase discovery not counted)
		expect(first.count()).toBe(8);
		const second = watch();
		await idsOf(make({ cache }));
		await make({ cache }).listCustomFields();
		expect(second.count()).toBe(0);
	});
});

describe('create', () => {
	test('every new field goes into the one create request and is read back from the sandbox records', async () => {
		const provider = make();
		const ids = await idsOf(provider);
		await provider.listCustomFields();
		const log = watch();
		const ticket = await provider.createTicket(
			base('Depth: every field', {
				...ids,
				severity: 'high',
				impact: 'Low',
				dueAt: '2025-03-01T17:30:00.000Z',
				customFields: { Region: 'emea', 'Alert Source': 'zabbix', 'Impact Score': '4.5', 'Customer Notified': true, 'Maintenance Until': '2025-03-01' },
			}),
		);
		expect(log.count()).toBe(1);
		expect(log.count('POST', '/service/tickets')).toBe(1);
		const record = stored(ticket.id);
		expect(record).toMatchObject({
			type: { id: ids.typeId, name: 'Incident' },
			subType: { id: ids.subtypeId, name: 'Network' },
			item: { id: ids.itemId, name: 'Outage' },
			team: { id: ids.teamId, name: 'Network Team' },
			source: { id: ids.sourceId, name: 'Monitoring' },
			site: { id: ids.siteId, name: 'Tampa HQ' },
			severity: 'High',
			impact: 'Low',
			requiredDate: '2025-03-01T17:30:00Z',
		});
		expect(storedCustomFields(ticket.id)).toEqual({
			Region: 'EMEA',
			'Alert Source': 'zabbix',
			'Impact Score': 4.5,
			'Customer Notified': true,
			'Maintenance Until': '2025-03-01T00:00:00Z',
		});
		expect(ticket).toMatchObject({
			type: { id: ids.typeId, name: 'Incident' },
			subtype: { id: ids.subtypeId, name: 'Network' },
			item: { id: ids.itemId, name: 'Outage' },
			team: { name: 'Network Team' },
			source: { name: 'Monitoring' },
			site: { name: 'Tampa HQ' },
			severity: 'High',
			impact: 'Low',
			dueAt: '2025-03-01T17:30:00Z',
		});
		expect(ticket.createdAt).toBe(record._info.dateEntered);
		const details = await provider.getTicketDetails(ticket.id);
		expect(details.customFields).toEqual({ Region: 'EMEA', 'Alert Source': 'zabbix', 'Impact Score': 4.5, 'Customer Notified': true, 'Maintenance Until': '2025-03-01' });
		// getTicket reads the same fields without the custom ones.
		const plain = await provider.getTicket(ticket.id);
		expect(plain.customFields).toBeUndefined();
		expect(plain.subtype).toEqual(ticket.subtype);
	});

	test('an invalid classification is refused by the sandbox as by ConnectWise, naming the field; nothing is created', async () => {
		const provider = make();
		const types = await provider.listTicketTypes(2);
		const incident = types.find((type) => type.name === 'Incident')!.id;
		const printer = (await provider.listTicketSubtypes(22, 2)).find((subtype) => subtype.name === DEPTH_SEED.foreignSubtypeName)!.id;
		const cases: Array<[Partial<PsaTicketCreate>, string, RegExp]> = [
			[{ typeId: incident, subtypeId: printer }, 'subType', /subtype 'Printer' is not valid with type 'Incident'/],
			[{ typeId: incident, subtypeId: 32, itemId: 42 }, 'item', /item 'Degraded' is not valid with type 'Incident' and subtype 'Server'/],
			[{ typeId: 11 }, 'type', /type id 11 is not a type of board 'Network Operations'/],
			[{ subtypeId: 31 }, 'type', /needs a type/],
			[{ typeId: 23 }, 'type', /inactive/],
			[{ teamId: 53 }, 'team', /not a team of board/],
			[{ siteId: 62 }, 'site', /not a site of company 'Acme Corp'/],
		];
		for (const [fields, field, message] of cases) {
			const committed = sandbox.writesCommitted;
			const input = base('Depth: refused', fields);
			const error = await rejection(provider.createTicket(input, { retrySafe: true }));
			expect(error).toMatchObject({ kind: 'invalid-input', details: { field, status: 400 } });
			expect(error.message).toMatch(message);
			expect(sandbox.writesCommitted).toBe(committed);
			expect(sandbox.db.tickets.filter((ticket) => ticket.externalXRef === input.externalRef)).toHaveLength(0);
		}
	});

	test('a value a custom field does not accept, an unknown custom field, urgency or a bad scale are refused before any write', async () => {
		const provider = make();
		const received = sandbox.writesReceived;
		const picklist = await rejection(provider.createTicket(base('Depth: bad region', { customFields: { Region: DEPTH_SEED.picklistField.invalidValue } })));
		expect(picklist).toMatchObject({ kind: 'invalid-input', details: { field: 'customFields.Region' } });
		expect(picklist.message).toBe("The custom field 'Region' accepts one of: 'EMEA', 'APAC', 'AMER'; got 'Mars'");
		const unknown = await rejection(provider.createTicket(base('Depth: unknown field', { customFields: { Colour: 'red' } })));
		expect(unknown).toMatchObject({ kind: 'invalid-input', details: { field: 'customFields.Colour' } });
		expect(unknown.message).toMatch(/no ticket custom field named 'Colour'.*'Region', 'Alert Source', 'Impact Score', 'Customer Notified', 'Maintenance Until'/);
		const inactiveOption = await rejection(provider.createTicket(base('Depth: retired option', { customFields: { Region: 'LATAM' } })));
		expect(inactiveOption.message).toMatch(/accepts one of/);
		expect((await rejection(provider.createTicket(base('Depth: number', { customFields: { 'Impact Score': 'high' } })))).message).toMatch(/'Impact Score' accepts a number/);
		expect((await rejection(provider.createTicket(base('Depth: date', { customFields: { 'Maintenance Until': '2025-02-30' } })))).message).toMatch(/accepts a date/);
		expect((await rejection(provider.createTicket(base('Depth: flag', { customFields: { 'Customer Notified': 'perhaps' } })))).message).toMatch(/true or false/);
		expect(await rejection(provider.createTicket(base('Depth: urgency', { urgency: 'High' })))).toMatchObject({ kind: 'invalid-input', details: { field: 'urgency' } });
		const severity = await rejection(provider.createTicket(base('Depth: severity', { severity: 'Critical' })));
		expect(severity.message).toMatch(/one of Low, Medium, High; got 'Critical'/);
		expect((await rejection(provider.createTicket(base('Depth: due', { dueAt: 'tomorrow' })))).details.field).toBe('dueAt');
		expect((await rejection(provider.createTicket(base('Depth: items', { configurationItemIds: [700] })))).details.field).toBe('configurationItemIds');
		expect(sandbox.writesReceived).toBe(received);
	});

	test('exactly once with depth: a create whose answer was lost is found by its reference, not made twice', async () => {
		const provider = make();
		const ids = await idsOf(provider);
		sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit', times: 1 });
		const input = base('Depth: lost answer', { ...ids, customFields: { Region: 'APAC' } });
		const ticket = await provider.createTicket(input, { retrySafe: true });
		expect(sandbox.db.tickets.filter((candidate) => candidate.externalXRef === input.externalRef)).toHaveLength(1);
		expect(ticket.item?.name).toBe('Outage');
		expect(storedCustomFields(ticket.id).Region).toBe('APAC');
	});
});

describe('update', () => {
	test('one PATCH with only the fields given; custom fields by name; null clears', async () => {
		const provider = make();
		const ids = await idsOf(provider);
		const created = await provider.createTicket(base('Depth: to update', { ...ids, ownerId: 150, dueAt: '2025-04-01T00:00:00Z', customFields: { Region: 'EMEA', 'Alert Source': 'zabbix' } }));
		const log = watch();
		const updated = await provider.updateTicket(created.id, { subtypeId: 32, itemId: null as unknown as number, impact: 'high', customFields: { Region: 'AMER', 'Customer Notified': false } });
		expect(log.count()).toBe(1);
		const [patch] = log.entries().filter((entry) => entry.method === 'PATCH');
		expect(patch.body).toEqual([
			{ op: 'replace', path: 'subType', value: { id: 32 } },
			{ op: 'remove', path: 'item' },
			{ op: 'replace', path: 'impact', value: 'High' },
			{
				op: 'replace',
				path: 'customFields',
				value: [
					{ id: 1, caption: 'Region', type: 'Text', entryMethod: 'List', numberOfDecimals: 0, value: 'AMER' },
					{ id: 4, caption: 'Customer Notified', type: 'Checkbox', entryMethod: 'EntryField', numberOfDecimals: 0, value: false },
				],
			},
		]);
		expect(updated).toMatchObject({ subtype: { id: 32, name: 'Server' }, impact: 'High', team: { name: 'Network Team' } });
		expect(updated.item).toBeUndefined();
		expect(storedCustomFields(created.id)).toMatchObject({ Region: 'AMER', 'Alert Source': 'zabbix', 'Customer Notified': false });
		const cleared = await provider.updateTicket(created.id, { dueAt: null, ownerId: null as unknown as number, summary: 'Depth: updated' });
		expect(cleared.dueAt).toBeUndefined();
		expect(cleared.owner).toBeUndefined();
		expect(stored(created.id)).toMatchObject({ summary: 'Depth: updated' });
		expect(stored(created.id).requiredDate).toBeUndefined();
	});

	test('an invalid change is refused naming the field and changes nothing; no change sends no write', async () => {
		const provider = make();
		const created = await provider.createTicket(base('Depth: kept', { typeId: 21, subtypeId: 31 }));
		const committed = sandbox.writesCommitted;
		const error = await rejection(provider.updateTicket(created.id, { subtypeId: 33 }));
		expect(error).toMatchObject({ kind: 'invalid-input', details: { field: 'subType' } });
		expect(sandbox.writesCommitted).toBe(committed);
		expect(stored(created.id).subType).toEqual({ id: 31, name: 'Network' });
		const received = sandbox.writesReceived;
		expect((await rejection(provider.updateTicket(created.id, { customFields: { Region: 'Mars' } }))).details.field).toBe('customFields.Region');
		expect((await rejection(provider.updateTicket(created.id, { boardId: null as unknown as number }))).details.field).toBe('board/id');
		expect((await rejection(provider.updateTicket(created.id, { summary: 'x'.repeat(101) }))).details.field).toBe('summary');
		expect((await provider.updateTicket(created.id, {})).id).toBe(created.id);
		expect(sandbox.writesReceived).toBe(received);
	});

	test('a 500 before the commit is retried (PATCH is idempotent) and the change is made once', async () => {
		const provider = make();
		const created = await provider.createTicket(base('Depth: retried update'));
		sandbox.addFault({ method: 'PATCH', path: '/service/tickets/{id}', kind: 'status', status: 500, times: 1 });
		const log = watch();
		const updated = await provider.updateTicket(created.id, { sourceId: 4 });
		expect(log.count('PATCH')).toBe(2);
		expect(updated.source).toEqual({ id: 4, name: 'Monitoring' });
	});
});

describe('configuration items', () => {
	const item = DEPTH_SEED.configurationItem;

	test('found by company and an exact name, serial, MAC, IP or device id; another company and inactive ones are not', async () => {
		const provider = make();
		const company = DEPTH_SEED.companyId;
		for (const [by, value] of [
			['name', 'acme-fw01'],
			['serialNumber', item.serialNumber.toLowerCase()],
			['macAddress', item.macAddress],
			['ipAddress', item.ipAddress],
			['deviceId', item.deviceId],
		] as const) {
			expect((await provider.findConfigurationItems({ companyId: company, by, value })).map((found) => found.id)).toEqual([item.id]);
		}
		expect(await provider.findConfigurationItems({ companyId: company, by: 'serialNumber', value: DEPTH_SEED.otherCompanySerialNumber })).toEqual([]);
		expect((await provider.findConfigurationItems({ by: 'serialNumber', value: DEPTH_SEED.otherCompanySerialNumber })).map((found) => found.companyId)).toEqual([251]);
		expect(await provider.findConfigurationItems({ companyId: company, by: 'ipAddress', value: '10.0.0.99' })).toEqual([]);
		expect((await provider.findConfigurationItems({ companyId: company, by: 'ipAddress', value: '10.0.0.99', includeInactive: true }))[0]).toMatchObject({ id: 702, inactive: true });
		expect((await provider.findConfigurationItems({ companyId: company, search: 'fw01' })).map((found) => found.name)).toEqual(['ACME-FW01', 'acme-fw01-lab']);
		expect(await provider.findConfigurationItems({ companyId: company, by: 'name', value: 'ACME-FW01" or id>0 or name="' })).toEqual([]);
		expect((await rejection(provider.findConfigurationItems({ by: 'name' }))).details.field).toBe('value');
		expect((await rejection(provider.findConfigurationItems({ by: 'colour' as never, value: 'x' }))).details.field).toBe('by');
		expect(await provider.getConfigurationItem(item.id)).toEqual({
			id: item.id, name: item.name, companyId: 250, typeName: 'Firewall', serialNumber: item.serialNumber, macAddress: item.macAddress, ipAddress: item.ipAddress, deviceId: item.deviceId, inactive: false,
		});
		expect((await rejection(provider.getConfigurationItem(999999))).kind).toBe('not-found');
	});

	test('attach once, detach quietly: a repeat attaches nothing more and detaching one not attached is no error', async () => {
		const provider = make();
		const ticket = await provider.createTicket(base('Depth: devices'));
		await provider.attachConfigurationItem(ticket.id, item.id);
		const log = watch();
		await provider.attachConfigurationItem(ticket.id, item.id);
		expect(log.count('POST')).toBe(0);
		await provider.attachConfigurationItem(ticket.id, DEPTH_SEED.secondConfigurationItemId);
		expect(sandbox.db.ticketConfigurations[ticket.id]).toEqual([item.id, DEPTH_SEED.secondConfigurationItemId]);
		expect((await provider.listTicketConfigurationItems(ticket.id)).map((found) => [found.id, found.name])).toEqual([[item.id, item.name], [701, 'ACME-SRV01']]);
		await provider.detachConfigurationItem(ticket.id, item.id);
		await provider.detachConfigurationItem(ticket.id, item.id);
		await provider.detachConfigurationItem(ticket.id, 710);
		expect(sandbox.db.ticketConfigurations[ticket.id]).toEqual([DEPTH_SEED.secondConfigurationItemId]);
		expect((await rejection(provider.detachConfigurationItem(999999, item.id))).kind).toBe('not-found');
		expect((await rejection(provider.attachConfigurationItem(999999, item.id))).kind).toBe('not-found');
	});

	test('an unknown configuration item is refused with nothing written', async () => {
		const provider = make();
		const ticket = await provider.createTicket(base('Depth: unknown device'));
		const committed = sandbox.writesCommitted;
		const error = await rejection(provider.attachConfigurationItem(ticket.id, 999999));
		expect(error).toMatchObject({ kind: 'invalid-input', details: { field: 'id' } });
		expect(error.message).toMatch(/Configuration recId 999999 was not found/);
		expect(sandbox.writesCommitted).toBe(committed);
		expect(sandbox.db.ticketConfigurations[ticket.id] ?? []).toEqual([]);
	});

	test('a lost or late attach answer is settled by reading the list again: attached once', async () => {
		const provider = make();
		const ticket = await provider.createTicket(base('Depth: lost attach'));
		sandbox.addFault({ method: 'POST', path: '/service/tickets/{parentId}/configurations', kind: 'drop-after-commit', times: 1 });
		await provider.attachConfigurationItem(ticket.id, item.id);
		sandbox.addFault({ method: 'POST', path: '/service/tickets/{parentId}/configurations', kind: 'status', status: 503, afterCommit: true, times: 1 });
		await provider.attachConfigurationItem(ticket.id, DEPTH_SEED.secondConfigurationItemId);
		expect(sandbox.db.ticketConfigurations[ticket.id]).toEqual([item.id, DEPTH_SEED.secondConfigurationItemId]);
		expect(sandbox.counters()['POST /service/tickets/{parentId}/configurations']).toBeGreaterThanOrEqual(2);
	});
});

describe('search', () => {
	const marker = `srch${process.pid}`;
	const hostile = [
		'a" or id>0 or summary="',
		') OR 1=1',
		'" or id>0',
		"' or 'x'='x",
		'x") or (id>0',
		'[2020-01-01T00:00:00Z]',
		'back\\slash \\" or 1=1 or \\"',
		'100% _sure_ *star* [set]',
		'Ünïcödé 文字 🙂 "quoted"',
		'summary contains "" or closedFlag = false',
	];
	const tickets: Record<string, PsaTicket> = {};
	let searcher: ConnectWiseProvider;

	beforeAll(async () => {
		searcher = make();
		const plain = ['alpha', 'beta', 'gamma', 'delta'];
		for (const [index, name] of plain.entries()) {
			tickets[name] = await searcher.createTicket(
				base(`${marker} ${name}`, {
					typeId: index % 2 ? 22 : 21,
					sourceId: index % 2 ? 1 : 4,
					customFields: { Region: index < 2 ? 'EMEA' : 'APAC', 'Impact Score': index + 1, 'Alert Source': `src-${name}` },
				}),
			);
		}
		for (const value of hostile) {
			tickets[value] = await searcher.createTicket(base(`${marker} ${value}`, { externalRef: `${marker}:${value}`, customFields: { 'Alert Source': value } }));
		}
		await searcher.updateTicketStatus(tickets.delta.id, 204);
	});

	const search = (query: PsaTicketSearch) => searcher.searchTickets(query);
	const mine = { field: 'summary', operator: 'startsWith' as const, value: marker };
	const names = (found: PsaTicket[]) => found.map((ticket) => Object.keys(tickets).find((name) => tickets[name].id === ticket.id));

	test('neutral fields and operators: references by id or name, state, dates, link keys, nested any/all groups', async () => {
		expect(names(await search({ where: { match: 'all', conditions: [mine, { field: 'type', operator: 'eq', value: 'Problem' }] } }))).toEqual(['beta', 'delta']);
		expect(names(await search({ where: { match: 'all', conditions: [mine, { field: 'type', operator: 'eq', value: 22 }] }, state: 'open' }))).toEqual(['beta']);
		expect(names(await search({ where: { match: 'all', conditions: [mine, { field: 'closed', operator: 'eq', value: true }] } }))).toEqual(['delta']);
		expect(names(await search({ where: { match: 'all', conditions: [mine, { field: 'source', operator: 'in', value: ['Email', 999] }] } }))).toEqual(['beta', 'delta']);
		const typed = await search({ where: { match: 'all', conditions: [mine, { field: 'type', operator: 'isNotNull' }] } });
		expect(names(typed)).toEqual(['alpha', 'beta', 'gamma', 'delta']);
		expect(await search({ where: { match: 'all', conditions: [mine, { field: 'createdAt', operator: 'lt', value: '2000-01-01T00:00:00Z' }] } })).toEqual([]);
		expect((await search({ where: { match: 'all', conditions: [mine, { field: 'createdAt', operator: 'gte', value: '2000-01-01' }] } })).length).toBe(4 + hostile.length);
		const byKey = await search({ where: { match: 'all', conditions: [{ field: 'externalReference', operator: 'eq', value: `${marker}:${hostile[0]}` }] } });
		expect(names(byKey)).toEqual([hostile[0]]);
		const grouped = await search({
			where: {
				match: 'all',
				conditions: [mine],
				groups: [{ match: 'any', conditions: [{ field: 'summary', operator: 'contains', value: 'alpha' }], groups: [{ match: 'all', conditions: [{ field: 'type', operator: 'eq', value: 22 }, { field: 'closed', operator: 'eq', value: false }] }] }],
			},
		});
		expect(names(grouped)).toEqual(['alpha', 'beta']);
	});

	test('hostile values only ever match themselves: each is one quoted literal in the conditions ConnectWise receives', async () => {
		for (const value of hostile) {
			const log = watch();
			const exact = await search({ where: { match: 'all', conditions: [{ field: 'summary', operator: 'eq', value: `${marker} ${value}` }] } });
			expect(names(exact)).toEqual([value]);
			const sent = log.entries().find((entry) => entry.method === 'GET' && entry.template === '/service/tickets')!;
			expect(parseConditions(sent.query.conditions)).toEqual({ kind: 'compare', field: 'summary', operator: '=', value: `${marker} ${value}` });
			// contains finds every ticket whose summary holds the text (another hostile summary may), and no other.
			const holding = Object.keys(tickets).filter((name) => tickets[name].summary.toLowerCase().includes(value.toLowerCase()));
			expect(names(await search({ where: { match: 'all', conditions: [{ field: 'summary', operator: 'contains', value }] } }))).toEqual(holding);
			expect(holding).toContain(value);
			expect(names(await search({ where: { match: 'all', conditions: [{ field: 'summary', operator: 'startsWith', value: `${marker} ${value}` }] } }))).toEqual([value]);
			expect(names(await search({ where: { match: 'all', conditions: [{ field: 'Alert Source', customField: true, operator: 'eq', value }] } }))).toEqual([value]);
			expect(names(await search({ where: { match: 'any', conditions: [{ field: 'status', operator: 'eq', value }, { field: 'owner', operator: 'eq', value }] } }))).toEqual([]);
		}
	});

	test('custom-field conditions: the first goes to ConnectWise as customFieldConditions, further ones are checked on the tickets', async () => {
		const log = watch();
		const found = await search({
			where: {
				match: 'all',
				conditions: [mine, { field: 'Region', customField: true, operator: 'eq', value: 'emea' }, { field: 'Impact Score', customField: true, operator: 'gt', value: 1 }],
			},
		});
		expect(names(found)).toEqual(['beta']);
		expect(found[0].customFields).toBeUndefined();
		const sent = log.entries().find((entry) => entry.template === '/service/tickets')!;
		expect(sent.query.customFieldConditions).toBe('(caption="Region") and (value="EMEA")');
		const withFields = await search({ where: { match: 'all', conditions: [mine, { field: 'Region', customField: true, operator: 'isNotNull' }] }, withCustomFields: true, limit: 1 });
		expect(withFields[0].customFields).toMatchObject({ Region: 'EMEA', 'Impact Score': 1, 'Alert Source': 'src-alpha' });
		const nested = await rejection(search({ where: { match: 'any', conditions: [mine, { field: 'Region', customField: true, operator: 'eq', value: 'EMEA' }] } }));
		expect(nested.message).toMatch(/AND only/);
		expect((await rejection(search({ where: { match: 'all', conditions: [{ field: 'Region', customField: true, operator: 'eq', value: 'Mars' }] } }))).message).toMatch(/accepts one of/);
	});

	test('unknown fields and operators are refused listing what there is', async () => {
		const unknown = await rejection(search({ where: { match: 'all', conditions: [{ field: 'colour', operator: 'eq', value: 'red' }] } }));
		expect(unknown).toMatchObject({ kind: 'invalid-input', details: { field: 'where.conditions[0].field' } });
		expect(unknown.message).toMatch(/known fields: id, summary, board, status, company, priority, contact, owner, type, subtype, item, team, source, site, externalReference, createdAt, updatedAt, dueAt, closed/);
		expect((await rejection(search({ where: { match: 'all', conditions: [{ field: 'closed', operator: 'contains', value: 'x' }] } }))).message).toMatch(/takes eq, ne/);
		expect((await rejection(search({ where: { match: 'all', conditions: [{ field: 'toString', operator: 'eq', value: 'x' }] } }))).kind).toBe('invalid-input');
		expect((await rejection(search({ where: { match: 'some' as 'all', conditions: [] } }))).details.field).toBe('where');
		expect((await rejection(search({ state: 'pending' as 'open' }))).details.field).toBe('state');
	});

	test('paging: Return All reads every page, a limit stops early, newest first walks backwards', async () => {
		const small = make({ pageSize: 3 });
		const total = 4 + hostile.length;
		const all = watch();
		const everything = await small.searchTickets({ where: { match: 'all', conditions: [mine] }, limit: Infinity });
		expect(everything).toHaveLength(total);
		expect(all.count('GET', '/service/tickets')).toBe(Math.ceil(total / 3));
		const limited = watch();
		expect(await small.searchTickets({ where: { match: 'all', conditions: [mine] }, limit: 4 })).toHaveLength(4);
		expect(limited.count('GET', '/service/tickets')).toBe(2);
		const newest = await small.searchTickets({ where: { match: 'all', conditions: [mine] }, newestFirst: true, limit: Infinity });
		expect(newest.map((ticket) => ticket.id)).toEqual(everything.map((ticket) => ticket.id).reverse());
		expect(await small.searchTickets({ where: { match: 'all', conditions: [mine] }, limit: 0 })).toEqual([]);
	});
});

describe('faults on the depth endpoints', () => {
	test('429 and 5xx on lookups are retried like any read', async () => {
		const provider = make();
		sandbox.addFault({ method: 'GET', path: '/service/boards/{parentId}/types', kind: 'status', status: 429, retryAfterSeconds: 0, times: 2 });
		sandbox.addFault({ method: 'GET', path: '/system/userDefinedFields', kind: 'status', status: 503, times: 1 });
		sandbox.addFault({ method: 'GET', path: '/service/tickets/{parentId}/configurations', kind: 'drop', times: 1 });
		expect((await provider.listTicketTypes(2)).length).toBe(3);
		expect((await provider.listCustomFields()).length).toBe(5);
		expect(await provider.listTicketConfigurationItems((await provider.createTicket(base('Depth: faults'))).id)).toEqual([]);
	});

	test('the write counters see the new write endpoints', async () => {
		const provider = make();
		const ticket = await provider.createTicket(base('Depth: counted'));
		const before = { received: sandbox.writesReceived, committed: sandbox.writesCommitted, counters: sandbox.counters() };
		await provider.attachConfigurationItem(ticket.id, DEPTH_SEED.configurationItem.id);
		await provider.detachConfigurationItem(ticket.id, DEPTH_SEED.configurationItem.id);
		await provider.updateTicket(ticket.id, { teamId: 52 });
		expect(sandbox.writesReceived - before.received).toBe(3);
		expect(sandbox.writesCommitted - before.committed).toBe(3);
		const after = sandbox.counters();
		for (const key of ['POST /service/tickets/{parentId}/configurations', 'DELETE /service/tickets/{parentId}/configurations/{id}', 'PATCH /service/tickets/{id}']) {
			expect((after[key] ?? 0) - (before.counters[key] ?? 0)).toBe(1);
		}
	});
});
