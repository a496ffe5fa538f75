// Autotask ticket depth against the sandbox over HTTP: classification, source, site, due date, UDFs, configuration items, update and search (escaping, paging, request counts, faults).
import { PsaCache } from '../../lib/cache';
import { readTicket } from '../../lib/providers/autotask/read';
import { eventOf } from '../../lib/providers/autotask/webhooks';
import { PsaError } from '../../lib/providers/errors';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { linkKeyOf } from '../../lib/providers/link-key';
import { createProvider } from '../../lib/providers/registry';
import type { PsaProvider, PsaTicketCreate } from '../../lib/providers/types';
import {
	ACME_RETIRED_CI_ID,
	ACME_SERVER_CI_ID,
	ACME_WAREHOUSE_LOCATION_ID,
	ACME_WORKSTATION_CI_ID,
	GLOBEX_LOCATION_ID,
	GLOBEX_SERVER_CI_ID,
	startAutotaskSandbox,
	type AutotaskSandbox,
} from '../sandbox/autotask';
import { CONTRACT_DIR, contractRoutes, offContract } from '../sandbox/autotask/contract-routes';

let sandbox: AutotaskSandbox;
const http = createFetchTransport({ timeoutMs: 5000 });
/** Seeded picklist values (test/sandbox/autotask/metadata.ts). */
const HARDWARE = 10;
const NETWORK = 11;
const SERVER = 101;
const FIREWALL = 111;
const MONITORING_ALERT = 8;

beforeAll(async () => {
	sandbox = await startAutotaskSandbox({ port: 0 });
});
afterAll(async () => {
	await sandbox?.stop();
});
const seen: Array<{ method: string; path: string }> = [];
afterEach(() => {
	seen.push(...sandbox.requests.map((entry) => ({ method: entry.method, path: entry.path })));
	sandbox.setLatency(0);
});
beforeEach(() => {
	sandbox.resetLog();
	sandbox.clearFaults();
});

const provider = (extra: Record<string, unknown> = {}): PsaProvider =>
	createProvider('autotaskPsaApi', { ...sandbox.credentials }, { http, cache: new PsaCache(), sleep: async () => undefined, ...extra });
let counter = 0;
const basics = (summary: string): PsaTicketCreate => ({ summary, companyId: 175, externalRef: linkKeyOf('depth', `${summary}-${++counter}`) });
const writeRequests = () => sandbox.requests.filter((entry) => entry.method !== 'GET' && !/\/query/i.test(entry.path));
const dbTicket = (id: number) => sandbox.db.tickets.find((ticket) => ticket.id === id);
/** Runs `run`, expects it to fail with a PsaError, and returns it. */
async function failure(run: () => Promise<unknown>): Promise<PsaError> {
	const error = await run().then(
		() => undefined,
		(caught: unknown) => caught,
	);
	if (!(error instanceof PsaError)) throw new Error(`expected a PsaError, got ${String(error)}`);
	return error;
}

describe('choices and definitions', () => {
	it('issue types PSA-wide, sub-issue types of one issue type only, no items or teams, sources, sites of the company, UDF definitions', async () => {
		const psa = provider();
		const types = await psa.listTicketTypes();
		expect(types).toEqual([
			{ id: HARDWARE, name: 'Hardware' },
			{ id: NETWORK, name: 'Network' },
			{ id: 12, name: 'Software' },
			{ id: 13, name: 'Retired Category', inactive: true },
		]);
		expect(await psa.listTicketTypes(29683325)).toEqual(types);
		expect(await psa.listTicketSubtypes(HARDWARE)).toEqual([
			{ id: SERVER, name: 'Server' },
			{ id: 102, name: 'Workstation' },
			{ id: 103, name: 'Printer', inactive: true },
			{ id: 104, name: 'Other' },
		]);
		expect((await psa.listTicketSubtypes(NETWORK, 29683325)).map((choice) => choice.id)).toEqual([FIREWALL, 112, 113]);
		expect(await psa.listTicketItems(HARDWARE, SERVER)).toEqual([]);
		expect(await psa.listTeams()).toEqual([]);
		expect((await psa.listSources()).find((choice) => choice.id === MONITORING_ALERT)?.name).toBe('Monitoring Alert');
		expect((await psa.listSources()).map((choice) => choice.id)).toContain(-2);
		expect(await psa.listSites(175)).toEqual([
			{ id: 29685001, name: 'Acme HQ' },
			{ id: ACME_WAREHOUSE_LOCATION_ID, name: 'Acme Warehouse' },
		]);
		expect(await psa.listSites(176)).toEqual([{ id: GLOBEX_LOCATION_ID, name: 'Globex Main' }]);
		expect(await psa.listCustomFields()).toEqual([
			{ name: 'Agreed Start Date', type: 'datetime', required: false },
			{
				name: 'Escalation Stage',
				type: 'picklist',
				required: false,
				picklist: [
					{ value: 'triage', label: 'Triaged' },
					{ value: 'escalated', label: 'Escalated' },
					{ value: 'handover', label: 'Handed Over' },
				],
			},
			{ name: 'Monitoring Alert ID', type: 'text', required: false, maxLength: 8000 },
			{ name: 'Affected Users', type: 'number', required: false },
		]);
		expect(psa.ticketCapabilities).toMatchObject({ classification: ['type', 'subtype'], classificationPerBoard: false, team: false, source: true, site: true, scales: {}, dueDate: true, configurationItemsOnCreate: 1 });
	});

	it('each lookup is asked once per connection: the second round costs no request', async () => {
		const psa = provider();
		const round = async () => {
			await psa.listTicketTypes();
			await psa.listTicketSubtypes(HARDWARE);
			await psa.listSources();
			await psa.listSites(175);
			await psa.listCustomFields();
		};
		await round();
		expect(sandbox.requests.map((entry) => `${entry.method} ${entry.template}`).sort()).toEqual([
			'GET /Tickets/entityInformation/fields',
			'GET /Tickets/entityInformation/userDefinedFields',
			'POST /CompanyLocations/query',
		]);
		sandbox.resetLog();
		await round();
		expect(sandbox.requests).toHaveLength(0);
	});
});

describe('create with every new field', () => {
	it('sends them all in the one create request and reads them back from the ticket', async () => {
		const psa = provider();
		const ticket = await psa.createTicket(
			{
				...basics('Depth create'),
				typeId: HARDWARE,
				subtypeId: SERVER,
				sourceId: MONITORING_ALERT,
				siteId: ACME_WAREHOUSE_LOCATION_ID,
				dueAt: '2026-03-21T17:00:00Z',
				configurationItemIds: [ACME_SERVER_CI_ID],
				customFields: { 'Escalation Stage': 'escalated', 'monitoring alert id': 'alert-42', 'Agreed Start Date': '2026-03-20T09:00:00Z', 'Affected Users': 12 },
			},
			{ retrySafe: true },
		);
		expect(writeRequests().map((entry) => `${entry.method} ${entry.path}`)).toEqual(['POST /Tickets']);
		const stored = dbTicket(ticket.id);
		expect(stored).toMatchObject({ issueType: HARDWARE, subIssueType: SERVER, source: MONITORING_ALERT, companyLocationID: ACME_WAREHOUSE_LOCATION_ID, configurationItemID: ACME_SERVER_CI_ID, dueDateTime: '2026-03-21T17:00:00.000Z' });
		expect(sandbox.ticketCustomFields(ticket.id)).toEqual({ 'Agreed Start Date': '2026-03-20T09:00:00.000Z', 'Escalation Stage': 'escalated', 'Monitoring Alert ID': 'alert-42', 'Affected Users': '12' });
		expect(sandbox.ticketConfigurationItems(ticket.id)).toEqual([ACME_SERVER_CI_ID]);

		sandbox.resetLog();
		const details = await psa.getTicketDetails(ticket.id);
		expect(sandbox.requests.map((entry) => entry.template)).toEqual(['/Tickets/{id}']);
		expect(details).toMatchObject({
			type: { id: HARDWARE, name: 'Hardware' },
			subtype: { id: SERVER, name: 'Server' },
			source: { id: MONITORING_ALERT, name: 'Monitoring Alert' },
			site: { id: ACME_WAREHOUSE_LOCATION_ID },
			dueAt: '2026-03-21T17:00:00.000Z',
			createdAt: stored?.createDate,
			configurationItemIds: [ACME_SERVER_CI_ID],
			customFields: { 'Agreed Start Date': '2026-03-20T09:00:00.000Z', 'Escalation Stage': 'escalated', 'Monitoring Alert ID': 'alert-42', 'Affected Users': 12 },
		});
		expect(details.item).toBeUndefined();
		expect(details.team).toBeUndefined();
		// getTicket reads the same fields but leaves the custom fields out (absent = not read).
		expect((await psa.getTicket(ticket.id)).customFields).toBeUndefined();
	});

	it('an invalid classification is refused by Autotask with nothing created, and mapped to invalid-input naming the field', async () => {
		const psa = provider();
		await psa.listTicketTypes();
		const before = sandbox.db.tickets.length;
		const error = await failure(() => psa.createTicket({ ...basics('Foreign subtype'), typeId: HARDWARE, subtypeId: FIREWALL }, { retrySafe: true }));
		expect(error).toMatchObject({ kind: 'invalid-input', details: { field: 'subIssueType', refused: true } });
		expect(error.details.hint).toMatch(/subtype listed for the chosen type/);
		expect(sandbox.db.tickets.length).toBe(before);
		expect(writeRequests()).toHaveLength(1);
		// The refusal may mean the cached lists are stale: they are read again next time.
		sandbox.resetLog();
		await psa.listTicketTypes();
		expect(sandbox.requests.map((entry) => entry.template)).toEqual(['/Tickets/entityInformation/fields']);
	});

	it('a site, a configuration item of another company or an unknown configuration item is refused by Autotask, nothing created', async () => {
		const psa = provider();
		const before = sandbox.db.tickets.length;
		const cases: Array<[Partial<PsaTicketCreate>, string]> = [
			[{ siteId: GLOBEX_LOCATION_ID }, 'companyLocationID'],
			[{ configurationItemIds: [GLOBEX_SERVER_CI_ID] }, 'configurationItemID'],
			[{ configurationItemIds: [99999999] }, 'configurationItemID'],
		];
		for (const [input, field] of cases) {
			const error = await failure(() => psa.createTicket({ ...basics('Foreign reference'), ...input }, { retrySafe: true }));
			expect(error).toMatchObject({ kind: 'invalid-input', details: { field, refused: true } });
		}
		expect(sandbox.db.tickets.length).toBe(before);
	});

	it('unknown custom fields, values a definition refuses, fields Autotask lacks and bad dates are refused before any write', async () => {
		const psa = provider();
		const writesBefore = sandbox.writeRequests;
		const cases: Array<[Partial<PsaTicketCreate>, string, RegExp]> = [
			[{ customFields: { 'No Such Field': 'x' } }, 'customFields.No Such Field', /ticket custom fields are: 'Agreed Start Date', 'Escalation Stage', 'Monitoring Alert ID', 'Affected Users'/],
			[{ customFields: { 'Escalation Stage': 'Lost' } }, 'customFields.Escalation Stage', /one of: 'triage \(Triaged\)', 'escalated \(Escalated\)', 'handover \(Handed Over\)'; got 'Lost'/],
			[{ customFields: { 'Affected Users': 'many' } }, 'customFields.Affected Users', /accepts a number/],
			[{ customFields: { 'Agreed Start Date': 'next tuesday' } }, 'customFields.Agreed Start Date', /ISO 8601/],
			[{ customFields: { 'Monitoring Alert ID': 'x'.repeat(8001) } }, 'customFields.Monitoring Alert ID', /at most 8000 characters/],
			[{ teamId: 3 }, 'teamId', /no team/],
			[{ itemId: 3 }, 'itemId', /no item level/],
			[{ severity: 'High' }, 'severity', /no severity/],
			[{ dueAt: '21/03/2026' }, 'dueDateTime', /ISO 8601/],
			[{ configurationItemIds: [ACME_SERVER_CI_ID, ACME_WORKSTATION_CI_ID] }, 'configurationItemID', /created with one configuration item; 2 were given/],
		];
		for (const [input, field, message] of cases) {
			const error = await failure(() => psa.createTicket({ ...basics('Refused before'), ...input }));
			expect({ kind: error.kind, field: error.details.field, refused: error.details.refused }).toEqual({ kind: 'invalid-input', field, refused: true });
			expect(error.message).toMatch(message);
		}
		expect(sandbox.writeRequests).toBe(writesBefore);
		expect(writeRequests()).toEqual([]);
	});

	it('a picklist custom field takes its value or, unambiguously, its label', async () => {
		const psa = provider();
		const ticket = await psa.createTicket({ ...basics('Label'), customFields: { 'Escalation Stage': 'handed over' } });
		expect(sandbox.ticketCustomFields(ticket.id)['Escalation Stage']).toBe('handover');
	});
});

describe('reading tolerantly', () => {
	it('ids as strings, names in any case, missing depth fields left out, UDF values typed by definition (a value its type cannot read stays text)', () => {
		const definitions = [
			{ name: 'Affected Users', type: 'number' as const, required: false },
			{ name: 'Agreed Start Date', type: 'datetime' as const, required: false },
			{ name: 'Gone', type: 'text' as const, required: false },
		];
		const ticket = readTicket(
			{ ID: '7', Title: 't', IssueType: '10', subissuetype: 101, companyLocationID: null, DueDateTime: '2026-03-21T17:00:00', ConfigurationItemID: 0, userDefinedFields: [{ Name: 'affected users', Value: 'many' }, { name: 'Agreed Start Date', value: '2026-03-20T09:00:00' }] },
			'test',
			undefined,
			definitions,
		);
		expect(ticket).toMatchObject({ id: 7, type: { id: 10, name: '' }, subtype: { id: 101 }, dueAt: '2026-03-21T17:00:00Z', customFields: { 'Affected Users': 'many', 'Agreed Start Date': '2026-03-20T09:00:00Z', Gone: null } });
		expect(ticket.site).toBeUndefined();
		expect(ticket.configurationItemIds).toBeUndefined();
		expect(readTicket({ id: 8, userDefinedFields: 'garbage' }, 'test', undefined, definitions).customFields).toEqual({ 'Affected Users': null, 'Agreed Start Date': null, Gone: null });
	});

	it('a callout that carries depth fields gives them on the event ticket', () => {
		const event = eventOf({ Action: 'Update', EntityType: 'Ticket', Id: 7, Fields: { Status: '1', IssueType: '11', SubIssueType: '111', Source: '-1', CompanyLocationID: '29685002', DueDateTime: '2026-03-21T17:00:00', ConfigurationItemID: '29684001' } });
		expect(event.ticket).toMatchObject({ type: { id: 11 }, subtype: { id: 111 }, source: { id: -1 }, site: { id: 29685002 }, dueAt: '2026-03-21T17:00:00Z', configurationItemIds: [29684001] });
	});
});

describe('update', () => {
	it('one PATCH with only the fields present; UDFs not named keep their values; null clears', async () => {
		const psa = provider();
		const created = await psa.createTicket({ ...basics('Update'), typeId: HARDWARE, subtypeId: SERVER, dueAt: '2026-03-21T17:00:00Z', customFields: { 'Monitoring Alert ID': 'keep-me', 'Escalation Stage': 'escalated' } });
		sandbox.resetLog();
		const updated = await psa.updateTicket(created.id, { typeId: NETWORK, subtypeId: FIREWALL, sourceId: -2, dueAt: null, customFields: { 'Escalation Stage': 'triage' } });
		const patches = writeRequests();
		expect(patches.map((entry) => `${entry.method} ${entry.path}`)).toEqual(['PATCH /Tickets']);
		expect(patches[0].body).toEqual({ id: created.id, issueType: NETWORK, subIssueType: FIREWALL, source: -2, dueDateTime: null, userDefinedFields: [{ name: 'Escalation Stage', value: 'triage' }] });
		expect(dbTicket(created.id)).toMatchObject({ issueType: NETWORK, subIssueType: FIREWALL, source: -2, dueDateTime: null });
		expect(sandbox.ticketCustomFields(created.id)).toMatchObject({ 'Escalation Stage': 'triage', 'Monitoring Alert ID': 'keep-me' });
		expect(updated).toMatchObject({ type: { id: NETWORK, name: 'Network' }, subtype: { id: FIREWALL, name: 'Firewall' }, source: { id: -2, name: 'Insourced' }, customFields: { 'Escalation Stage': 'triage', 'Monitoring Alert ID': 'keep-me' } });
		expect(updated.dueAt).toBeUndefined();
	});

	it('basics too: summary, board, priority, contact, owner (with its role), each only when named', async () => {
		const psa = provider();
		const created = await psa.createTicket(basics('Update basics'));
		sandbox.resetLog();
		await psa.updateTicket(created.id, { summary: 'Renamed\nticket', boardId: 29683325, priorityId: 1, contactId: 30682901, ownerId: 29682886 });
		expect(writeRequests()[0].body).toEqual({ id: created.id, title: 'Renamed ticket', queueID: 29683325, priority: 1, contactID: 30682901, assignedResourceID: 29682886, assignedResourceRoleID: 29682833 });
		sandbox.resetLog();
		await psa.updateTicket(created.id, { ownerId: null, contactId: null } as never);
		expect(writeRequests()[0].body).toEqual({ id: created.id, assignedResourceID: null, assignedResourceRoleID: null, contactID: null });
		expect(dbTicket(created.id)).toMatchObject({ assignedResourceID: null, contactID: null, title: 'Renamed ticket' });
	});

	it('an invalid combination is refused by Autotask and the ticket keeps its fields; bad input is refused before the PATCH', async () => {
		const psa = provider();
		const created = await psa.createTicket({ ...basics('Update refused'), typeId: HARDWARE, subtypeId: SERVER });
		sandbox.resetLog();
		await expect(psa.updateTicket(created.id, { subtypeId: FIREWALL })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'subIssueType' } });
		expect(dbTicket(created.id)).toMatchObject({ issueType: HARDWARE, subIssueType: SERVER });
		const writes = sandbox.writeRequests;
		await expect(psa.updateTicket(created.id, {})).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'changes' } });
		await expect(psa.updateTicket(created.id, { customFields: { Nope: 1 } })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'customFields.Nope' } });
		await expect(psa.updateTicket(created.id, { statusId: null } as never)).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'status' } });
		await expect(psa.updateTicket(created.id, { teamId: 2 })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'teamId' } });
		expect(sandbox.writeRequests).toBe(writes);
	});

	it('a 5xx on the PATCH is sent again (an update by id cannot do its work twice) and a 429 waits its turn', async () => {
		const psa = provider();
		const created = await psa.createTicket(basics('Update faults'));
		sandbox.resetLog();
		sandbox.addFault({ method: 'PATCH', path: '/Tickets', kind: 'status', status: 503 });
		sandbox.addFault({ method: 'PATCH', path: '/Tickets', kind: 'status', status: 429, retryAfterSeconds: 0 });
		await psa.updateTicket(created.id, { sourceId: MONITORING_ALERT });
		expect(writeRequests().map((entry) => entry.status)).toEqual([503, 429, 200]);
		expect(dbTicket(created.id)?.source).toBe(MONITORING_ALERT);
	});
});

describe('configuration items', () => {
	it('finds items by name, serial number, IP, MAC and RMM id, within a company, active ones unless asked', async () => {
		const psa = provider();
		const ids = async (query: Parameters<PsaProvider['findConfigurationItems']>[0]) => (await psa.findConfigurationItems(query)).map((item) => item.id);
		expect(await ids({ companyId: 175, by: 'name', value: 'acme-srv-01' })).toEqual([ACME_SERVER_CI_ID]);
		expect(await ids({ companyId: 175, by: 'serialNumber', value: 'SN-ACME-0001' })).toEqual([ACME_SERVER_CI_ID]);
		expect(await ids({ by: 'ipAddress', value: '10.0.0.10' })).toEqual([ACME_SERVER_CI_ID, GLOBEX_SERVER_CI_ID]);
		expect(await ids({ companyId: 175, by: 'ipAddress', value: '10.0.0.10' })).toEqual([ACME_SERVER_CI_ID]);
		expect(await ids({ companyId: 175, by: 'macAddress', value: '00:1a:2b:3c:4d:5e' })).toEqual([ACME_SERVER_CI_ID]);
		expect(await ids({ companyId: 175, by: 'deviceId', value: '4B1F7C2E-91D0-4C35-A8E2-5D7F00C0FFEE' })).toEqual([ACME_SERVER_CI_ID]);
		expect(await ids({ companyId: 175, by: 'deviceId', value: '5001' })).toEqual([ACME_SERVER_CI_ID]);
		expect(await ids({ companyId: 175, by: 'serialNumber', value: 'SN-GLOBEX-0001' })).toEqual([]);
		expect(await ids({ companyId: 175, search: 'ACME' })).toEqual([ACME_SERVER_CI_ID, ACME_WORKSTATION_CI_ID]);
		expect(await ids({ companyId: 175, search: 'ACME', includeInactive: true })).toEqual([ACME_SERVER_CI_ID, ACME_WORKSTATION_CI_ID, ACME_RETIRED_CI_ID]);
		expect(await psa.getConfigurationItem(ACME_SERVER_CI_ID)).toEqual({
			id: ACME_SERVER_CI_ID,
			name: 'ACME-SRV-01',
			companyId: 175,
			typeName: 'Server',
			serialNumber: 'SN-ACME-0001',
			ipAddress: '10.0.0.10',
			macAddress: '00:1A:2B:3C:4D:5E',
			deviceId: '4b1f7c2e-91d0-4c35-a8e2-5d7f00c0ffee',
			inactive: false,
		});
		await expect(psa.getConfigurationItem(99999999)).rejects.toMatchObject({ kind: 'not-found' });
		await expect(psa.findConfigurationItems({ by: 'hostname' as never, value: 'x' })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'by' } });
		await expect(psa.findConfigurationItems({ by: 'name' })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'value' } });
		// The type names are one cached lookup.
		expect(sandbox.requests.filter((entry) => /ConfigurationItemTypes/.test(entry.path))).toHaveLength(1);
	});

	it("lists the ticket's own item and the attached ones; attach and detach each take effect once, repeats change nothing", async () => {
		const psa = provider();
		const ticket = await psa.createTicket({ ...basics('CIs'), configurationItemIds: [ACME_SERVER_CI_ID] });
		sandbox.resetLog();
		await psa.attachConfigurationItem(ticket.id, ACME_WORKSTATION_CI_ID);
		expect(writeRequests().map((entry) => [entry.method, entry.path, entry.body])).toEqual([
			['POST', `/Tickets/${ticket.id}/AdditionalConfigurationItems`, { ticketID: ticket.id, configurationItemID: ACME_WORKSTATION_CI_ID }],
		]);
		sandbox.resetLog();
		await psa.attachConfigurationItem(ticket.id, ACME_WORKSTATION_CI_ID);
		await psa.attachConfigurationItem(ticket.id, ACME_SERVER_CI_ID);
		expect(writeRequests()).toEqual([]);
		expect(sandbox.ticketConfigurationItems(ticket.id)).toEqual([ACME_SERVER_CI_ID, ACME_WORKSTATION_CI_ID]);
		expect((await psa.listTicketConfigurationItems(ticket.id)).map((item) => [item.id, item.name])).toEqual([
			[ACME_SERVER_CI_ID, 'ACME-SRV-01'],
			[ACME_WORKSTATION_CI_ID, 'ACME-WS-17'],
		]);

		sandbox.resetLog();
		await psa.detachConfigurationItem(ticket.id, ACME_WORKSTATION_CI_ID);
		await psa.detachConfigurationItem(ticket.id, ACME_WORKSTATION_CI_ID);
		await psa.detachConfigurationItem(ticket.id, ACME_RETIRED_CI_ID);
		expect(writeRequests().map((entry) => entry.method)).toEqual(['DELETE']);
		await psa.detachConfigurationItem(ticket.id, ACME_SERVER_CI_ID);
		expect(writeRequests().map((entry) => [entry.method, entry.body])).toEqual([
			['DELETE', undefined],
			['PATCH', { id: ticket.id, configurationItemID: null }],
		]);
		expect(sandbox.ticketConfigurationItems(ticket.id)).toEqual([]);
		expect(await psa.listTicketConfigurationItems(ticket.id)).toEqual([]);
	});

	it('an unknown item is refused by Autotask and nothing is attached; an unknown ticket is not-found', async () => {
		const psa = provider();
		const ticket = await psa.createTicket(basics('CI refused'));
		await expect(psa.attachConfigurationItem(ticket.id, 99999999)).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'configurationItemID' } });
		expect(sandbox.ticketConfigurationItems(ticket.id)).toEqual([]);
		await expect(psa.attachConfigurationItem(99999999, ACME_SERVER_CI_ID)).rejects.toMatchObject({ kind: 'not-found' });
		await expect(psa.listTicketConfigurationItems(99999999)).rejects.toMatchObject({ kind: 'not-found' });
	});

	it('faults reach the new endpoints: a throttled attach is sent again, a lost answer is checked, not repeated into a duplicate', async () => {
		const psa = provider();
		const ticket = await psa.createTicket(basics('CI faults'));
		sandbox.resetLog();
		sandbox.addFault({ method: 'POST', path: '/Tickets/{parentId}/AdditionalConfigurationItems', kind: 'status', status: 429, retryAfterSeconds: 0 });
		await psa.attachConfigurationItem(ticket.id, ACME_SERVER_CI_ID);
		expect(writeRequests().map((entry) => entry.status)).toEqual([429, 200]);
		sandbox.resetLog();
		sandbox.addFault({ method: 'POST', path: '/Tickets/{parentId}/AdditionalConfigurationItems', kind: 'drop-after-commit' });
		await psa.attachConfigurationItem(ticket.id, ACME_WORKSTATION_CI_ID);
		expect(writeRequests()).toHaveLength(1);
		expect(sandbox.ticketConfigurationItems(ticket.id)).toEqual([ACME_SERVER_CI_ID, ACME_WORKSTATION_CI_ID]);
		sandbox.addFault({ method: 'DELETE', path: '/Tickets/{parentId}/AdditionalConfigurationItems/{id}', kind: 'status', status: 500 });
		await psa.detachConfigurationItem(ticket.id, ACME_SERVER_CI_ID);
		expect(sandbox.ticketConfigurationItems(ticket.id)).toEqual([ACME_WORKSTATION_CI_ID]);
	});

	it('at most 3 requests in flight per configuration item endpoint', async () => {
		// The limiter waits on the clock: a real one here, so the waiting requests let the answers in.
		const psa = provider({ sleep: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)) });
		sandbox.setLatency(25);
		await Promise.all(Array.from({ length: 8 }, () => psa.getConfigurationItem(ACME_SERVER_CI_ID)));
		expect(sandbox.maxConcurrentSeen('ConfigurationItems')).toBeLessThanOrEqual(3);
		expect(sandbox.maxConcurrentSeen('ConfigurationItems')).toBeGreaterThan(1);
		expect(sandbox.threadLimitRefusals).toBe(0);
	});
});

describe('search', () => {
	// Only this block's tickets, so every expected result names all the matches.
	beforeAll(() => sandbox.clearTickets());
	it('neutral fields, nested groups, state, one custom-field condition and custom fields on the results', async () => {
		const psa = provider();
		const match = await psa.createTicket({ ...basics('Search match'), typeId: NETWORK, subtypeId: FIREWALL, sourceId: MONITORING_ALERT, siteId: ACME_WAREHOUSE_LOCATION_ID, customFields: { 'Escalation Stage': 'handover' } });
		const other = await psa.createTicket({ ...basics('Search other'), typeId: NETWORK, subtypeId: 112 });
		sandbox.resetLog();
		const found = await psa.searchTickets({
			where: {
				match: 'all',
				conditions: [{ field: 'type', operator: 'eq', value: NETWORK }, { field: 'Escalation Stage', customField: true, operator: 'eq', value: 'handover' }],
				groups: [{ match: 'any', conditions: [{ field: 'source', operator: 'eq', value: MONITORING_ALERT }, { field: 'site', operator: 'in', value: [ACME_WAREHOUSE_LOCATION_ID] }] }],
			},
			state: 'open',
			withCustomFields: true,
		});
		expect(found.map((ticket) => ticket.id)).toEqual([match.id]);
		expect(found[0].customFields?.['Escalation Stage']).toBe('handover');
		const body = sandbox.requests.find((entry) => entry.path === '/Tickets/query')?.body as { filter: unknown[] };
		expect(body.filter).toEqual([
			{ op: 'noteq', field: 'status', value: 5 },
			{
				op: 'and',
				items: [
					{ op: 'eq', field: 'issueType', value: NETWORK },
					{ op: 'eq', field: 'Escalation Stage', value: 'handover', udf: true },
					{ op: 'or', items: [{ op: 'eq', field: 'source', value: MONITORING_ALERT }, { op: 'in', field: 'companyLocationID', value: [ACME_WAREHOUSE_LOCATION_ID] }] },
				],
			},
		]);
		const ids = async (where: Parameters<PsaProvider['searchTickets']>[0]['where'], state?: 'open' | 'closed') => (await psa.searchTickets({ where, state })).map((ticket) => ticket.id);
		expect(await ids({ match: 'all', conditions: [{ field: 'subtype', operator: 'ne', value: FIREWALL }, { field: 'type', operator: 'eq', value: NETWORK }] })).toEqual([other.id]);
		expect(await ids({ match: 'all', conditions: [{ field: 'id', operator: 'in', value: [match.id, other.id] }] }, 'closed')).toEqual([]);
		expect(await ids({ match: 'all', conditions: [{ field: 'id', operator: 'in', value: [match.id, other.id] }, { field: 'closed', operator: 'eq', value: false }, { field: 'dueAt', operator: 'isNull' }] })).toEqual([match.id, other.id]);
		expect(await ids({ match: 'all', conditions: [{ field: 'createdAt', operator: 'gte', value: '2000-01-01T00:00:00Z' }, { field: 'summary', operator: 'startsWith', value: 'Search o' }] })).toEqual([other.id]);
	});

	it('refuses an unknown field (listing the known ones), fields Autotask lacks, two custom-field conditions and mistyped values, before any request', async () => {
		const psa = provider();
		await psa.listTicketTypes();
		await psa.listCustomFields();
		sandbox.resetLog();
		const unknown = await failure(() => psa.searchTickets({ where: { match: 'all', conditions: [{ field: 'colour', operator: 'eq', value: 'red' }] } }));
		expect(unknown).toMatchObject({ kind: 'invalid-input', details: { field: 'colour' } });
		expect(unknown.message).toContain('id, summary, board, status, company, priority, contact, owner, type, subtype, source, site, externalReference, createdAt, updatedAt, dueAt, closed');
		const refused = [
			{ field: 'team', operator: 'eq', value: 1 },
			{ field: 'item', operator: 'eq', value: 1 },
			{ field: 'type', operator: 'contains', value: '1' },
			{ field: 'board', operator: 'eq', value: 'Helpdesk' },
			{ field: 'createdAt', operator: 'gt', value: 'yesterday' },
			{ field: 'closed', operator: 'eq', value: 'yes' },
			{ field: 'status', operator: 'in', value: [] },
			{ field: 'status', operator: 'like', value: 1 },
			{ field: 'Nope', customField: true, operator: 'eq', value: 1 },
			{ field: 'Escalation Stage', customField: true, operator: 'in', value: ['triage'] },
		] as const;
		for (const condition of refused) {
			await expect(psa.searchTickets({ where: { match: 'all', conditions: [condition as never] } })).rejects.toMatchObject({ kind: 'invalid-input' });
		}
		await expect(
			psa.searchTickets({
				where: { match: 'any', conditions: [{ field: 'Escalation Stage', customField: true, operator: 'eq', value: 'triage' }], groups: [{ match: 'all', conditions: [{ field: 'Monitoring Alert ID', customField: true, operator: 'isNotNull' }] }] },
			}),
		).rejects.toThrow(/at most one custom field per query; this search has 2/);
		await expect(psa.searchTickets({ where: { match: 'some' as never, conditions: [] } })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'match' } });
		await expect(psa.searchTickets({ limit: -1 })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'limit' } });
		expect(sandbox.requests).toEqual([]);
	});

	it('a hostile value only ever matches itself: quotes, ") OR 1=1", \'" or id>0\', brackets, unicode, in text, link references and custom fields', async () => {
		const psa = provider();
		const hostile = [`O'Brien "quoted"`, ') OR 1=1', '" or id>0', '[brackets] {braces} (parens)', 'Überprüfung ✓ 🚀 \u202e', '%_* wildcards \\ backslash', '{"op":"exist","field":"id"}'];
		const made = new Map<string, number>();
		for (const text of hostile) {
			const ticket = await psa.createTicket({ summary: text, companyId: 175, externalRef: text, customFields: { 'Monitoring Alert ID': text } });
			made.set(text, ticket.id);
		}
		const decoy = await psa.createTicket({ ...basics('Decoy'), customFields: { 'Monitoring Alert ID': 'decoy' } });
		for (const text of hostile) {
			const only = [made.get(text)];
			for (const condition of [
				{ field: 'summary', operator: 'eq', value: text },
				{ field: 'summary', operator: 'contains', value: text },
				{ field: 'externalReference', operator: 'eq', value: text },
				{ field: 'Monitoring Alert ID', customField: true, operator: 'eq', value: text },
				{ field: 'summary', operator: 'in', value: [text] },
			] as const) {
				sandbox.resetLog();
				const found = await psa.searchTickets({ where: { match: 'all', conditions: [condition as never] } });
				expect({ text, condition: condition.field, ids: found.map((ticket) => ticket.id) }).toEqual({ text, condition: condition.field, ids: only });
				// The value went out as one JSON string, byte for byte.
				const sent = (sandbox.requests.find((entry) => entry.path === '/Tickets/query')?.body as { filter: Array<{ value: unknown }> }).filter[0].value;
				expect(sent).toEqual(condition.operator === 'in' ? [text] : text);
			}
		}
		expect(made.size).toBe(hostile.length);
		expect(decoy.id).toBeGreaterThan(0);
	});

	it('pages with a small page size to the limit, Return All (Infinity) reads every page, newest first keeps the latest', async () => {
		const psa = provider({ pageSize: 2 });
		const created: number[] = [];
		for (let index = 0; index < 5; index++) created.push((await psa.createTicket({ ...basics('Paged'), sourceId: 4, typeId: 12 })).id);
		const where = { match: 'all' as const, conditions: [{ field: 'type', operator: 'eq' as const, value: 12 }, { field: 'source', operator: 'eq' as const, value: 4 }] };
		sandbox.resetLog();
		expect((await psa.searchTickets({ where, limit: Infinity })).map((ticket) => ticket.id)).toEqual(created);
		const pages = sandbox.requests.filter((entry) => /Tickets\/query/i.test(entry.path));
		expect(pages).toHaveLength(3);
		expect(pages.every((entry) => entry.method === 'POST' && JSON.stringify(entry.body) === JSON.stringify(pages[0].body))).toBe(true);
		sandbox.resetLog();
		expect((await psa.searchTickets({ where, limit: 3 })).map((ticket) => ticket.id)).toEqual(created.slice(0, 3));
		expect(sandbox.requests.filter((entry) => /Tickets\/query/i.test(entry.path))).toHaveLength(2);
		expect((await psa.searchTickets({ where, limit: 2, newestFirst: true })).map((ticket) => ticket.id)).toEqual([created[4], created[3]]);
		expect(await psa.searchTickets({ where, limit: 0 })).toEqual([]);
	});
});

it('the permission check probes the depth endpoints: all allowed for the API user, the writes denied for a read-only one', async () => {
	const depth = ['Read ticket custom field definitions', 'Read sites (company locations)', 'Read configuration items', "Read tickets' configuration items", 'Attach configuration items', 'Detach configuration items'];
	const checks = (await provider().checkPermissions()).filter((check) => depth.includes(check.purpose));
	expect(checks.map((check) => [check.purpose, check.allowed])).toEqual(depth.map((purpose) => [purpose, true]));
	expect(checks.find((check) => check.method === 'DELETE')?.endpoint).toBe('/Tickets/{parentId}/AdditionalConfigurationItems/{id}');
	const restricted = createProvider('autotaskPsaApi', { ...sandbox.restrictedCredentials }, { http, cache: new PsaCache(), sleep: async () => undefined });
	const denied = (await restricted.checkPermissions()).filter((check) => depth.includes(check.purpose) && !check.allowed).map((check) => check.purpose);
	expect(denied).toEqual(['Attach configuration items', 'Detach configuration items']);
});

describe('the adapter speaks the contract', () => {
	const routes = contractRoutes();
	if (!routes) {
		console.warn(`Autotask contract check of the depth requests SKIPPED: ${CONTRACT_DIR} not found`);
		it.skip(`SKIPPED: reference contract not found at ${CONTRACT_DIR}`, () => undefined);
		return;
	}
	it("every request of this file uses a path and verb Autotask's API description lists (or one the contract README backs)", () => {
		expect(seen.length).toBeGreaterThan(50);
		expect(offContract(routes, seen)).toEqual([]);
	});
});
