// The exact wire of every ConnectWiseProvider method (method, path, query, headers, body), its error mapping and retries, under nock.
import nock from 'nock';
import { ConnectWiseProvider, ConnectWiseSettings, ProviderDeps } from '../../lib/providers/connectwise';
import { PsaCache } from '../../lib/cache';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { signatureFor } from '../../lib/providers/connectwise/callbacks';
import { externalXRefFor } from '../../lib/providers/connectwise/tickets';
import { HttpRequest, HttpTransport } from '../../lib/providers/http';
import { rejection } from '../helpers/rejection';

const ORIGIN = 'https://cw.example.com';
const BASE = '/v2025_1/apis/3.0';
const SETTINGS: ConnectWiseSettings = {
	site: 'https://CW.example.com/',
	companyId: 'Acme',
	publicKey: 'PubKey123',
	privateKey: 'PrivKeySecret987',
	clientId: 'client-uuid-1',
};
const AUTH = `Basic ${Buffer.from('Acme+PubKey123:PrivKeySecret987').toString('base64')}`;
const TICKET_FIELDS = 'id,summary,board,status,company,priority,contact,owner,externalXRef,closedFlag,closedDate,mergedParentTicket,type,subType,item,team,source,site,severity,impact,requiredDate,_info';
const NOTE_FIELDS = 'id,ticketId,text,detailDescriptionFlag,internalAnalysisFlag,resolutionFlag,member,dateCreated';
const MEMBER_FIELDS = 'id,identifier,firstName,lastName,inactiveFlag,officeEmail,primaryEmail';
const MEMBER_FIELDS_2020 = 'id,identifier,firstName,lastName,inactiveFlag,officeEmail';

const TICKET = {
	id: 1001,
	summary: 'Disk full',
	board: { id: 1, name: 'Help Desk', _info: {} },
	status: { id: 101, name: 'New' },
	company: { id: 250, identifier: 'AcmeCorp', name: 'Acme Corp' },
	priority: { id: 3, name: 'Priority 3 - Normal' },
	externalXRef: 'alert:1',
	closedFlag: false,
	customerUpdatedFlag: false,
	_info: { lastUpdated: '2025-01-02T03:04:05Z' },
};
const DOMAIN_TICKET = {
	id: 1001,
	summary: 'Disk full',
	board: { id: 1, name: 'Help Desk' },
	status: { id: 101, name: 'New' },
	company: { id: 250, name: 'Acme Corp' },
	priority: { id: 3, name: 'Priority 3 - Normal' },
	externalRef: 'alert:1',
	closed: false,
	updatedAt: '2025-01-02T03:04:05Z',
};

/** An interceptor that insists on the adapter's auth, clientId and version headers. */
function api(version = '2025.8', extraHeaders: Record<string, string> = {}) {
	return nock(ORIGIN, {
		reqheaders: { accept: `application/vnd.connectwise.com+json; version=${version}`, authorization: AUTH, clientid: 'client-uuid-1', ...extraHeaders },
	});
}

function companyInfo(codebase = 'v2025_1/') {
	return nock(ORIGIN, { badheaders: ['authorization', 'clientid'] })
		.get('/login/companyinfo/Acme')
		.reply(200, { CompanyName: 'Acme', Codebase: codebase, VersionCode: 'v2025.1', IsCloud: false });
}

function make(settings: Partial<ConnectWiseSettings> = {}, deps: Partial<ProviderDeps> = {}) {
	let now = 1_000_000;
	const sleeps: number[] = [];
	const provider = new ConnectWiseProvider(
		{ ...SETTINGS, ...settings },
		{
			http: createFetchTransport({ timeoutMs: 5000 }),
			sleep: async (ms) => {
				sleeps.push(ms);
				now += ms;
			},
			now: () => now,
			random: () => 0.5,
			...deps,
		},
	);
	return {
		provider,
		sleeps,
		advance: (ms: number) => {
			now += ms;
		},
	};
}

/** Wraps a transport so the first `times` requests matching `match` fail like a reset connection (no response). */
function dropping(match: (request: HttpRequest) => boolean, times = 1): { http: HttpTransport; dropped: HttpRequest[] } {
	const inner = createFetchTransport({ timeoutMs: 5000 });
	const dropped: HttpRequest[] = [];
	const http: HttpTransport = async (request) => {
		if (dropped.length < times && match(request)) {
			dropped.push(request);
			throw new TypeError('fetch failed', { cause: Object.assign(new Error(`socket hang up (${request.headers.Authorization ?? ''})`), { code: 'ECONNRESET' }) });
		}
		return inner(request);
	};
	return { http, dropped };
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => {
	const pending = nock.pendingMocks();
	nock.cleanAll();
	expect(pending).toEqual([]);
});

describe('connection and server info', () => {
	test('codebase from companyinfo (unauthenticated), then GET /system/info with auth, clientId and the pinned version', async () => {
		companyInfo();
		api().get(`${BASE}/system/info`).reply(200, { version: 'v2025.1.12345', isCloud: false, serverTimeZone: 'UTC' }, { 'api-current-version': '2025.8' });
		const { provider } = make();
		const info = await provider.info();
		expect(info).toMatchObject({ serverVersion: 'v2025.1.12345', apiLocation: 'v2025_1/', isCloud: false, pinnedApiVersion: '2025.8', currentApiVersion: '2025.8' });
		expect(info.latencyMs).toBeGreaterThanOrEqual(0);
		expect(provider.connection.site).toBe('cw.example.com');
		expect(provider.takeWarnings()).toEqual([]);
	});

	test('the codebase is cached per connection in the shared PsaCache', async () => {
		const cache = new PsaCache();
		companyInfo();
		api().get(`${BASE}/system/info`).times(2).reply(200, { version: 'v1' });
		await make({}, { cache }).provider.info();
		await make({}, { cache }).provider.info();
	});

	test('an unknown company id is a configuration error', async () => {
		nock(ORIGIN).get('/login/companyinfo/Acme').reply(200, { CompanyName: null, Codebase: null });
		const error = await rejection(make().provider.info());
		expect(error.kind).toBe('configuration');
		expect(error.message).toContain("'Acme'");
	});

	test('an HTML 404 re-resolves the codebase once and retries under the new one', async () => {
		const cache = new PsaCache();
		cache.set(make().provider.connection.connectionId, 'codebase', 'v2019_old/');
		nock(ORIGIN).get('/v2019_old/apis/3.0/system/info').reply(404, '<html>Not Found</html>', { 'content-type': 'text/html' });
		companyInfo();
		api().get(`${BASE}/system/info`).reply(200, { version: 'v2' });
		const info = await make({}, { cache }).provider.info();
		expect(info.serverVersion).toBe('v2');
	});

	test('with transportAuthenticates the adapter sends no Authorization or clientId (the transport adds them)', async () => {
		nock(ORIGIN, { badheaders: ['authorization', 'clientid'] }).get('/login/companyinfo/Acme').reply(200, { Codebase: 'v2025_1/' });
		nock(ORIGIN, { badheaders: ['authorization', 'clientid'], reqheaders: { accept: 'application/vnd.connectwise.com+json; version=2025.8' } })
			.get(`${BASE}/system/info`)
			.reply(200, { version: 'v' });
		const { provider } = make({ transportAuthenticates: true, privateKey: '', publicKey: '', clientId: '' });
		expect((await provider.info()).serverVersion).toBe('v');
	});
});

describe('tickets', () => {
	test('createTicket: POST body with references and externalXRef', async () => {
		companyInfo();
		api()
			.post(`${BASE}/service/tickets`, {
				summary: 'Disk full',
				company: { id: 250 },
				externalXRef: 'alert:1',
				initialDescription: 'C: is at 99%',
				board: { id: 1 },
				status: { id: 101 },
				priority: { id: 3 },
				contact: { id: 300 },
				owner: { id: 150 },
			})
			.reply(201, TICKET);
		const ticket = await make().provider.createTicket({
			summary: 'Disk full',
			description: 'C: is at 99%',
			companyId: 250,
			boardId: 1,
			statusId: 101,
			priorityId: 3,
			contactId: 300,
			ownerId: 150,
			externalRef: 'alert:1',
		});
		expect(ticket).toEqual(DOMAIN_TICKET);
	});

	test('createTicket: a long summary is cut to 99 + "…" with the full text kept in initialDescription; a long key is hashed', async () => {
		const summary = `Host db-01: ${'x'.repeat(120)}`;
		const externalRef = `zabbix:${'e'.repeat(150)}`;
		companyInfo();
		api()
			.post(`${BASE}/service/tickets`, {
				summary: `${summary.slice(0, 99)}\u2026`,
				company: { id: 250 },
				externalXRef: externalXRefFor(externalRef),
				initialDescription: `${summary}\n\nbody`,
			})
			.reply(201, { ...TICKET, externalXRef: externalXRefFor(externalRef) });
		const ticket = await make().provider.createTicket({ summary, description: 'body', companyId: 250, externalRef });
		// The caller gets its own key back, not the stored hash.
		expect(ticket.externalRef).toBe(externalRef);
	});

	test('createTicket: bad input is refused before any request', async () => {
		const { provider } = make();
		expect((await rejection(provider.createTicket({ summary: 'x', companyId: 0, externalRef: 'a' }))).details.field).toBe('company/id');
		expect((await rejection(provider.createTicket({ summary: ' ', companyId: 1, externalRef: 'a' }))).details.field).toBe('summary');
		expect((await rejection(provider.createTicket({ summary: 'x', companyId: 1, externalRef: '' }))).details.field).toBe('externalXRef');
	});

	test('createTicket: a 500 on POST is not retried and says the outcome is unknown', async () => {
		companyInfo();
		api().post(`${BASE}/service/tickets`).reply(500, { code: 'InternalError', message: 'boom' });
		const { provider, sleeps } = make();
		const error = await rejection(provider.createTicket({ summary: 'S', companyId: 250, externalRef: 'alert:1' }));
		expect(error.kind).toBe('unavailable');
		expect(error.details).toMatchObject({ outcomeUnknown: true, attempts: 1, status: 500 });
		expect(sleeps).toEqual([]);
	});

	test('createTicket with retrySafe: after a lost response it finds the ticket by externalXRef instead of posting again', async () => {
		companyInfo();
		api()
			.get(`${BASE}/service/tickets`)
			.query({ conditions: 'externalXRef="alert:1"', fields: TICKET_FIELDS, orderBy: 'id asc', page: '1', pageSize: '50' })
			.reply(200, [TICKET]);
		const { http, dropped } = dropping((request) => request.method === 'POST');
		const ticket = await make({}, { http }).provider.createTicket({ summary: 'Disk full', companyId: 250, externalRef: 'alert:1' }, { retrySafe: true });
		expect(ticket.id).toBe(1001);
		expect(dropped.map((request) => request.body)).toEqual([{ summary: 'Disk full', company: { id: 250 }, externalXRef: 'alert:1' }]);
	});

	test('createTicket with retrySafe: when the search finds nothing, the POST is repeated', async () => {
		companyInfo();
		api().post(`${BASE}/service/tickets`).reply(503, { code: 'Unavailable', message: 'try later' });
		api()
			.get(`${BASE}/service/tickets`)
			.query({ conditions: 'externalXRef="alert:1"', fields: TICKET_FIELDS, orderBy: 'id asc', page: '1', pageSize: '50' })
			.reply(200, []);
		api().post(`${BASE}/service/tickets`).reply(201, TICKET);
		const { provider, sleeps } = make();
		const ticket = await provider.createTicket({ summary: 'Disk full', companyId: 250, externalRef: 'alert:1' }, { retrySafe: true });
		expect(ticket.id).toBe(1001);
		expect(sleeps).toHaveLength(1);
	});

	test('createTicket without retrySafe: a lost response is an unavailable error with outcomeUnknown', async () => {
		companyInfo();
		const { http, dropped } = dropping((request) => request.method === 'POST', 5);
		const error = await rejection(make({}, { http }).provider.createTicket({ summary: 'S', companyId: 250, externalRef: 'alert:1' }));
		expect(dropped).toHaveLength(1);
		expect(error.kind).toBe('unavailable');
		expect(error.details.outcomeUnknown).toBe(true);
		expect(error.details.hint).toMatch(/external reference/);
	});

	test('getTicket: GET /service/tickets/{id} with only the fields read', async () => {
		companyInfo();
		api().get(`${BASE}/service/tickets/1001`).query({ fields: TICKET_FIELDS }).reply(200, TICKET);
		expect(await make().provider.getTicket(1001)).toEqual(DOMAIN_TICKET);
	});

	test('findTicketByExternalRef: conditions with the quoted key, oldest first, exact matches only', async () => {
		companyInfo();
		api()
			.get(`${BASE}/service/tickets`)
			.query({ conditions: 'externalXRef="x\\" or id>0 or summary=\\""', fields: TICKET_FIELDS, orderBy: 'id asc', page: '1', pageSize: '50' })
			.reply(200, []);
		expect(await make().provider.findTicketByExternalRef('x" or id>0 or summary="')).toBeUndefined();
	});

	test('listTickets: forward-only paging following Link rel="next", conditions and fields, stopping at the limit', async () => {
		companyInfo();
		const conditions = '(board/id=1) and (company/id=250) and (closedFlag=false) and (summary contains "disk")';
		api('2025.8', { 'pagination-type': 'forward-only' })
			.get(`${BASE}/service/tickets`)
			.query({ conditions, fields: TICKET_FIELDS, pageSize: '3' })
			.reply(200, [TICKET, { ...TICKET, id: 1002 }], { link: `<${ORIGIN}${BASE}/service/tickets?pageSize=3&pageId=1002>; rel="next"` });
		api('2025.8', { 'pagination-type': 'forward-only' })
			.get(`${BASE}/service/tickets`)
			.query({ conditions, fields: TICKET_FIELDS, pageSize: '3', pageId: '1002' })
			.reply(200, [{ ...TICKET, id: 1003 }, { ...TICKET, id: 1004 }], { link: `<${ORIGIN}${BASE}/service/tickets?pageSize=3&pageId=1004>; rel="next"` });
		const tickets = await make().provider.listTickets({ boardId: 1, companyId: 250, openOnly: true, search: ' disk ', limit: 3 });
		expect(tickets.map((ticket) => ticket.id)).toEqual([1001, 1002, 1003]);
	});

	test('updateTicketStatus: PATCH with a JSON Patch replace of status; a 503 is retried (PATCH is idempotent)', async () => {
		companyInfo();
		const patch = [{ op: 'replace', path: 'status', value: { id: 102 } }];
		api().patch(`${BASE}/service/tickets/1001`, patch).reply(503, { code: 'Unavailable', message: 'busy' });
		api().patch(`${BASE}/service/tickets/1001`, patch).reply(200, { ...TICKET, status: { id: 102, name: 'In Progress' } });
		const { provider, sleeps } = make();
		const ticket = await provider.updateTicketStatus(1001, 102);
		expect(ticket.status).toEqual({ id: 102, name: 'In Progress' });
		expect(sleeps).toEqual([125]);
	});

	test('updateTicketStatus: an InvalidObject on status invalidates the cached statuses', async () => {
		companyInfo();
		const statuses = [{ id: 101, name: 'New', board: { id: 1 }, closedStatus: false, sortOrder: 1 }];
		api()
			.get(`${BASE}/service/boards/1/statuses`)
			.query({ fields: 'id,name,board,inactive,defaultFlag,sortOrder,closedStatus', orderBy: 'sortOrder asc', page: '1', pageSize: '1000' })
			.times(2)
			.reply(200, statuses);
		api()
			.patch(`${BASE}/service/tickets/1001`)
			.reply(400, { code: 'InvalidObject', message: 'Ticket object is invalid', errors: [{ code: 'InvalidField', message: 'Status not found', resource: 'ticket', field: 'status/id' }] });
		const { provider } = make();
		await provider.listStatuses(1);
		await provider.listStatuses(1);
		const error = await rejection(provider.updateTicketStatus(1001, 999));
		expect(error).toMatchObject({ kind: 'invalid-input', details: { field: 'status/id', providerCode: 'InvalidObject', status: 400 } });
		expect(error.message).toContain("field 'status/id'");
		await provider.listStatuses(1);
	});

	test('ticketUrl and parseTicketUrl round-trip, on the UI host of a cloud site', async () => {
		const { provider } = make({ site: 'api-na.myconnectwise.net' });
		const url = provider.ticketUrl(4711);
		expect(url).toBe('https://na.myconnectwise.net/v4_6_release/ConnectWise.aspx?fullscreen=false&locale=en_US#startscreen=sr200&state=OpenRecord&recid=4711');
		expect(provider.parseTicketUrl(url)).toBe(4711);
		expect(provider.parseTicketUrl('https://api-na.myconnectwise.net/v4_6_release/apis/3.0/service/tickets/12')).toBe(12);
		expect(provider.parseTicketUrl('https://other.example.com/?recid=1')).toBeUndefined();
	});
});

describe('notes', () => {
	test.each([
		['discussion', { detailDescriptionFlag: true, internalAnalysisFlag: false, resolutionFlag: false }],
		['internal', { detailDescriptionFlag: false, internalAnalysisFlag: true, resolutionFlag: false }],
		['resolution', { detailDescriptionFlag: false, internalAnalysisFlag: false, resolutionFlag: true }],
	] as const)('addNote %s: POST /service/tickets/{id}/notes with the type flags and member', async (type, flags) => {
		companyInfo();
		api()
			.post(`${BASE}/service/tickets/1001/notes`, { text: 'Investigating', ...flags, member: { id: 150 } })
			.reply(201, { id: 5, ticketId: 1001, text: 'Investigating', ...flags, member: { id: 150, identifier: 'jsmith' }, dateCreated: '2025-01-01T00:00:00Z', sentimentScore: 0.1 });
		const note = await make().provider.addNote({ ticketId: 1001, text: 'Investigating', type, memberId: 150 });
		expect(note).toEqual({ id: 5, ticketId: 1001, text: 'Investigating', type, memberId: 150, createdAt: '2025-01-01T00:00:00Z' });
	});

	test('addNote: an error blaming the member drops cached member lookups', async () => {
		companyInfo();
		api()
			.get(`${BASE}/system/members`)
			.query(true)
			.times(2)
			.reply(200, [{ id: 156, identifier: 'gone', officeEmail: 'gone@acme.example', inactiveFlag: false }]);
		api().post(`${BASE}/service/tickets/1001/notes`).reply(400, { code: 'InvalidObject', message: 'Member is inactive', errors: [{ field: 'member' }] });
		const { provider } = make();
		await provider.findMembersByEmail('gone@acme.example');
		await provider.findMembersByEmail('gone@acme.example');
		expect((await rejection(provider.addNote({ ticketId: 1001, text: 'x', type: 'discussion', memberId: 156 }))).kind).toBe('invalid-input');
		await provider.findMembersByEmail('gone@acme.example');
	});

	test('listNotes: fields, orderBy and page/pageSize', async () => {
		companyInfo();
		api()
			.get(`${BASE}/service/tickets/1001/notes`)
			.query({ fields: NOTE_FIELDS, orderBy: 'id asc', page: '1', pageSize: '1000' })
			.reply(200, [{ id: 1, text: 'a', internalAnalysisFlag: true }]);
		expect(await make().provider.listNotes(1001)).toEqual([{ id: 1, ticketId: 1001, text: 'a', type: 'internal' }]);
	});

	test('listNotes newestFirst: orderBy id desc, so a limit keeps the latest notes', async () => {
		companyInfo();
		api()
			.get(`${BASE}/service/tickets/1001/notes`)
			.query({ fields: NOTE_FIELDS, orderBy: 'id desc', page: '1', pageSize: '2' })
			.reply(200, [
				{ id: 9, text: 'latest', internalAnalysisFlag: true },
				{ id: 8, text: 'before', internalAnalysisFlag: true },
			]);
		expect((await make().provider.listNotes(1001, { newestFirst: true, limit: 2 })).map((note) => note.id)).toEqual([9, 8]);
	});
});

describe('boards, statuses, priorities, companies, contacts', () => {
	test('listBoards: read once, then served from the cache and filtered locally', async () => {
		companyInfo();
		api()
			.get(`${BASE}/service/boards`)
			.query({ fields: 'id,name,inactiveFlag', orderBy: 'name asc', page: '1', pageSize: '1000' })
			.reply(200, [{ id: 1, name: 'Help Desk', inactiveFlag: false }, { id: 3, name: 'Projects', inactiveFlag: true }]);
		const { provider } = make();
		expect(await provider.listBoards()).toHaveLength(2);
		expect(await provider.listBoards({ search: 'help' })).toEqual([{ id: 1, name: 'Help Desk', inactive: false }]);
	});

	test('listStatuses with an endpoint override to 2020.1: that Accept version and the 2020.1 field closedFlag', async () => {
		companyInfo();
		api('2020.1')
			.get(`${BASE}/service/boards/1/statuses`)
			.query({ fields: 'id,name,board,inactive,defaultFlag,sortOrder,closedFlag', orderBy: 'sortOrder asc', page: '1', pageSize: '1000' })
			.reply(200, [
				{ id: 105, name: 'Closed', board: { id: 1 }, closedFlag: true, sortOrder: 5 },
				{ id: 101, name: 'New', board: { id: 1 }, closedFlag: false, defaultFlag: true, sortOrder: 1 },
			]);
		api().get(`${BASE}/service/priorities`).query({ fields: 'id,name,sortOrder,defaultFlag', orderBy: 'sortOrder asc', page: '1', pageSize: '1000' }).reply(200, [
			{ id: 3, name: 'Normal', sortOrder: 3, defaultFlag: true },
			{ id: 1, name: 'Critical', sortOrder: 1 },
		]);
		const { provider } = make({ endpointVersions: { '/service/boards': '2020.1' } });
		expect(await provider.listStatuses(1)).toEqual([
			{ id: 101, name: 'New', boardId: 1, closed: false, inactive: false, isDefault: true, sortOrder: 1 },
			{ id: 105, name: 'Closed', boardId: 1, closed: true, inactive: false, isDefault: false, sortOrder: 5 },
		]);
		expect((await provider.listPriorities()).map((priority) => priority.name)).toEqual(['Critical', 'Normal']);
	});

	test('listCompanies: search on name or identifier, quoted', async () => {
		companyInfo();
		api()
			.get(`${BASE}/company/companies`)
			.query({ conditions: '(name contains "Ac\\"me") or (identifier contains "Ac\\"me")', fields: 'id,identifier,name', orderBy: 'name asc', page: '1', pageSize: '5' })
			.reply(200, [{ id: 250, identifier: 'AcmeCorp', name: 'Acme Corp', status: { id: 1 } }]);
		expect(await make().provider.listCompanies({ search: 'Ac"me', limit: 5 })).toEqual([{ id: 250, identifier: 'AcmeCorp', name: 'Acme Corp' }]);
	});

	test('listContacts: company filter and default email from communicationItems', async () => {
		companyInfo();
		api()
			.get(`${BASE}/company/contacts`)
			.query({ conditions: 'company/id=250', fields: 'id,firstName,lastName,company,communicationItems', orderBy: 'lastName asc', page: '1', pageSize: '1000' })
			.reply(200, [
				{
					id: 300,
					firstName: 'Pat',
					lastName: 'Smith',
					company: { id: 250 },
					communicationItems: [
						{ type: { id: 2, name: 'Direct' }, value: '555', communicationType: 'Phone', defaultFlag: true },
						{ type: { id: 1, name: 'Email' }, value: 'Pat.Smith@acme.example', communicationType: 'Email', defaultFlag: true },
					],
				},
			]);
		expect(await make().provider.listContacts({ companyId: 250 })).toEqual([{ id: 300, name: 'Pat Smith', companyId: 250, email: 'pat.smith@acme.example' }]);
	});
});

describe('members', () => {
	test('listMembers and getMember: forward-only list, fields of the pinned model', async () => {
		companyInfo();
		api('2025.8', { 'pagination-type': 'forward-only' })
			.get(`${BASE}/system/members`)
			.query({ conditions: '(identifier contains "smi") or (firstName contains "smi") or (lastName contains "smi")', fields: MEMBER_FIELDS, pageSize: '1000' })
			.reply(200, [{ id: 150, identifier: 'jsmith', firstName: 'John', lastName: 'Smith', officeEmail: 'john.smith@acme.example' }]);
		api().get(`${BASE}/system/members/150`).query({ fields: MEMBER_FIELDS }).reply(200, { id: 150, identifier: 'jsmith', firstName: 'John', lastName: 'Smith', inactiveFlag: false });
		const { provider } = make();
		expect(await provider.listMembers({ search: 'smi' })).toEqual([{ id: 150, identifier: 'jsmith', name: 'John Smith', inactive: false, emails: ['john.smith@acme.example'] }]);
		expect((await provider.getMember(150)).identifier).toBe('jsmith');
	});

	test('findMembersByEmail (2025.8): officeEmail or primaryEmail, every match returned, cached', async () => {
		companyInfo();
		api('2025.8', { 'pagination-type': 'forward-only' })
			.get(`${BASE}/system/members`)
			.query({ conditions: '(officeEmail="bruce@acme.example") or (primaryEmail="bruce@acme.example")', fields: MEMBER_FIELDS, pageSize: '100' })
			.reply(200, [
				{ id: 154, identifier: 'bwayne', officeEmail: 'bruce@acme.example', inactiveFlag: false },
				{ id: 155, identifier: 'bwayne2', primaryEmail: 'Bruce@acme.example', inactiveFlag: true },
			]);
		const { provider } = make();
		const members = await provider.findMembersByEmail(' Bruce@Acme.example ');
		expect(members.map((member) => [member.identifier, member.inactive])).toEqual([
			['bwayne', false],
			['bwayne2', true],
		]);
		expect(await provider.findMembersByEmail('bruce@acme.example')).toEqual(members);
		expect((await rejection(provider.findMembersByEmail('not-an-email'))).kind).toBe('invalid-input');
	});

	test('findMembersByEmail pinned to 2020.1: officeEmail only and no primaryEmail in fields', async () => {
		companyInfo();
		api('2020.1', { 'pagination-type': 'forward-only' })
			.get(`${BASE}/system/members`)
			.query({ conditions: 'officeEmail="john.smith@acme.example"', fields: MEMBER_FIELDS_2020, pageSize: '100' })
			.reply(200, [{ id: 150, identifier: 'jsmith', officeEmail: 'john.smith@acme.example' }]);
		const { provider } = make({ apiVersion: '2020.1' });
		expect((await provider.findMembersByEmail('john.smith@acme.example')).map((member) => member.id)).toEqual([150]);
	});

	test('findMemberByIdentifier: identifier condition, one record', async () => {
		companyInfo();
		api('2025.8', { 'pagination-type': 'forward-only' })
			.get(`${BASE}/system/members`)
			.query({ conditions: 'identifier="jsmith"', fields: MEMBER_FIELDS, pageSize: '1' })
			.reply(200, [{ id: 150, identifier: 'jsmith' }]);
		expect((await make().provider.findMemberByIdentifier('jsmith'))?.id).toBe(150);
	});
});

describe('callbacks', () => {
	test('registerCallback (its own token in the URL, returned once as the secret), listCallbacks (ticket callbacks only, URLs without the token) and removeCallback (already gone is fine)', async () => {
		let registeredToken: string | undefined;
		companyInfo();
		api()
			.post(`${BASE}/system/callbacks`, (body: Record<string, unknown>) => {
				// Registered at the URL given plus a token of its own; ConnectWise answers with the URL as registered.
				const match = /^https:\/\/n8n\.example\.com\/webhook\/abc\?psa_token=([A-Za-z0-9_-]{43})$/.exec(String(body.url));
				registeredToken = match?.[1];
				const { url: _url, ...rest } = body;
				return Boolean(match) && JSON.stringify(rest) === JSON.stringify({ objectId: 1, type: 'ticket', level: 'board', description: 'n8n PSA Trigger', isSelfSuppressedFlag: true });
			})
			.reply(201, () => ({ id: 7, url: `https://n8n.example.com/webhook/abc?psa_token=${registeredToken}`, objectId: 1, type: 'ticket', level: 'board', description: 'n8n PSA Trigger', inactiveFlag: false, memberId: 152 }));
		api()
			.get(`${BASE}/system/callbacks`)
			.query({ fields: 'id,url,description,level,objectId,type,inactiveFlag', orderBy: 'id asc', page: '1', pageSize: '1000' })
			.reply(200, [
				{ id: 7, url: 'https://n8n.example.com/webhook/abc?psa_token=t0ken', objectId: 1, type: 'ticket', level: 'board', description: 'd' },
				{ id: 9, url: 'https://n8n.example.com/webhook/old', objectId: 1, type: 'ticket', level: 'board', description: 'made before tokens' },
				{ id: 8, url: 'https://x.example.com', objectId: 0, type: 'company', level: 'owner' },
			]);
		api().delete(`${BASE}/system/callbacks/7`).reply(204);
		api().delete(`${BASE}/system/callbacks/8`).reply(404, { code: 'NotFound', message: 'Callback not found' });
		const { provider } = make();
		const registration = await provider.registerCallback({ url: 'https://n8n.example.com/webhook/abc', description: 'n8n PSA Trigger', level: 'board', objectId: 1, selfSuppressed: true });
		expect(registration).toEqual({ id: 7, url: 'https://n8n.example.com/webhook/abc', description: 'n8n PSA Trigger', level: 'board', objectId: 1, inactive: false, secret: registeredToken });
		expect((await provider.listCallbacks()).map((callback) => [callback.id, callback.url])).toEqual([
			[7, 'https://n8n.example.com/webhook/abc'],
			[9, 'https://n8n.example.com/webhook/old'],
		]);
		await provider.removeCallback(7);
		await provider.removeCallback(8);
	});

	test('a refused registration: the error does not quote the token ConnectWise echoes back', async () => {
		let sentUrl = '';
		companyInfo();
		api()
			.post(`${BASE}/system/callbacks`, (body: Record<string, unknown>) => {
				sentUrl = String(body.url);
				return true;
			})
			.reply(400, () => ({ code: 'InvalidObject', message: `The url '${sentUrl}' is not valid.`, errors: [{ code: 'InvalidField', field: 'url', message: `The url '${sentUrl}' is not valid.` }] }));
		const error = await rejection(make().provider.registerCallback({ url: 'https://n8n.example.com/webhook/abc', description: 'd', level: 'owner', objectId: 0, selfSuppressed: true }));
		expect(error.kind).toBe('invalid-input');
		expect(sentUrl).toMatch(/\?psa_token=[A-Za-z0-9_-]{43}$/);
		const text = JSON.stringify({ message: error.message, details: error.details });
		expect(text).toContain('https://n8n.example.com/webhook/abc?psa_token=[redacted]');
		expect(text).not.toContain(sentUrl.split('=')[1]);
	});

	/** The receiving trigger's token, in the query and as kept: what the PSA Trigger hands every verification. */
	const TOKEN = { query: { psa_token: 'the-trigger-token' }, expected: { id: 7, secret: 'the-trigger-token' } };

	test('verifyCallback: no token, an empty or another token, a token list or none kept is refused before key_url is fetched', async () => {
		// Signed with what the site's key would be; no key interceptor, so a fetch would fail with a key-fetch message instead.
		const { provider } = make();
		const body = callbackBody();
		const headers = { 'x-content-signature': signatureFor(Buffer.from(body), 'k3y') };
		const cases = [
			{ expected: TOKEN.expected },
			{ query: {}, expected: TOKEN.expected },
			{ query: { psa_token: '' }, expected: TOKEN.expected },
			{ query: { psa_token: 'another-trigger-token' }, expected: TOKEN.expected },
			{ query: { psa_token: ['the-trigger-token', 'x'] }, expected: TOKEN.expected },
			{ query: TOKEN.query },
			{ query: TOKEN.query, expected: { id: 7 } },
		];
		for (const given of cases) {
			const error = await rejection(provider.verifyCallback({ rawBody: body, headers, ...given }));
			expect(error.kind).toBe('authentication');
			expect(error.message).not.toContain('the-trigger-token');
			expect(error.message).toMatch(/callback token/);
		}
	});

	const KEY_URL = `${ORIGIN}/v4_6_release/apis/3.0/system/callbackkey/abc`;
	function callbackBody(keyUrl = KEY_URL) {
		return JSON.stringify({
			MessageId: 'm1',
			Action: 'updated',
			Type: 'ticket',
			ID: 1001,
			Entity: JSON.stringify(TICKET),
			Metadata: { key_url: keyUrl },
		});
	}

	/** key_url answers JSON with the signing key; it is fetched without the API credentials (it comes from an unverified request). */
	const keyApi = () => nock(ORIGIN, { reqheaders: { accept: 'application/json' }, badheaders: ['authorization', 'clientid'] });

	test('verifyCallback: a valid signature yields the event; the key is fetched once and cached', async () => {
		keyApi().get('/v4_6_release/apis/3.0/system/callbackkey/abc').reply(200, { signing_key: 'k3y' });
		const { provider } = make();
		const body = callbackBody();
		const headers = { 'X-Content-Signature': signatureFor(Buffer.from(body), 'k3y') };
		const event = await provider.verifyCallback({ ...TOKEN, rawBody: Buffer.from(body), headers });
		expect(event).toMatchObject({ action: 'updated', type: 'ticket', id: 1001, ticket: DOMAIN_TICKET });
		expect(event.entity.customerUpdatedFlag).toBe(false);
		await provider.verifyCallback({ ...TOKEN, rawBody: body, headers });
	});

	test('verifyCallback: forged or missing signatures and foreign key_urls are authentication errors', async () => {
		keyApi().get('/v4_6_release/apis/3.0/system/callbackkey/abc').reply(200, { signing_key: 'k3y' });
		const { provider } = make();
		const body = callbackBody();
		const forged = await rejection(provider.verifyCallback({ ...TOKEN, rawBody: body, headers: { 'x-content-signature': signatureFor(Buffer.from(body), 'guess') } }));
		expect(forged.kind).toBe('authentication');
		const tampered = await rejection(
			provider.verifyCallback({ ...TOKEN, rawBody: body.replace('1001', '1002'), headers: { 'x-content-signature': signatureFor(Buffer.from(body), 'k3y') } }),
		);
		expect(tampered.kind).toBe('authentication');
		expect((await rejection(provider.verifyCallback({ ...TOKEN, rawBody: body, headers: {} }))).kind).toBe('authentication');
		const foreign = callbackBody('https://attacker.example.net/key');
		const foreignError = await rejection(provider.verifyCallback({ ...TOKEN, rawBody: foreign, headers: { 'x-content-signature': signatureFor(Buffer.from(foreign), 'x') } }));
		expect(foreignError.kind).toBe('authentication');
		expect(foreignError.message).toContain('attacker.example.net');
		expect((await rejection(provider.verifyCallback({ ...TOKEN, rawBody: 'not json', headers: { 'x-content-signature': 'abc' } }))).kind).toBe('invalid-input');
		// A flood of forgeries right after the key was fetched does not fetch it again (one interceptor only).
		for (let i = 0; i < 5; i++) {
			expect((await rejection(provider.verifyCallback({ ...TOKEN, rawBody: body, headers: { 'x-content-signature': `forged${i}` } }))).kind).toBe('authentication');
		}
	});

	test('verifyCallback: a key fetch that fails (5xx, redirect, not found) is a 401-kind error after one request, remembered briefly', async () => {
		const { provider, advance } = make();
		const attempt = async (keyPath: string) => {
			const body = callbackBody(`${ORIGIN}${keyPath}`);
			return rejection(provider.verifyCallback({ ...TOKEN, rawBody: body, headers: { 'x-content-signature': signatureFor(Buffer.from(body), 'guess') } }));
		};
		keyApi().get('/v4_6_release/apis/3.0/system/callbackkey/down').reply(503, { code: 'Unavailable', message: 'down' });
		const down = await attempt('/v4_6_release/apis/3.0/system/callbackkey/down');
		expect(down.kind).toBe('authentication');
		// No retry was made (one interceptor), and the same URL is not asked again within the failure TTL.
		expect((await attempt('/v4_6_release/apis/3.0/system/callbackkey/down')).kind).toBe('authentication');
		// Nor is any other new key URL during the backoff.
		expect((await attempt('/v4_6_release/apis/3.0/system/callbackkey/other')).kind).toBe('authentication');

		advance(11_000);
		keyApi().get('/v4_6_release/apis/3.0/system/callbackkey/moved').reply(302, '', { Location: 'https://attacker.example.net/key' });
		expect((await attempt('/v4_6_release/apis/3.0/system/callbackkey/moved')).kind).toBe('authentication');
		advance(11_000);
		keyApi().get('/v4_6_release/apis/3.0/system/callbackkey/gone').reply(404, { code: 'NotFound', message: 'no key' });
		expect((await attempt('/v4_6_release/apis/3.0/system/callbackkey/gone')).kind).toBe('authentication');
		// Paths that are not a callback key address, or carry a query, are refused without a request (no interceptor).
		for (const keyPath of ['/v4_6_release/apis/3.0/service/tickets', '/anything?x=1', '/v4_6_release/apis/3.0/system/callbackkey/abc?x=1']) {
			advance(11_000);
			const refused = await attempt(keyPath);
			expect(refused.kind).toBe('authentication');
			expect(refused.message).toContain('not a ConnectWise callback key address');
		}
	});

	test('verifyCallback: a rotated key is fetched again once before the callback is called forged', async () => {
		keyApi().get('/v4_6_release/apis/3.0/system/callbackkey/abc').reply(200, { signing_key: 'old' });
		keyApi().get('/v4_6_release/apis/3.0/system/callbackkey/abc').reply(200, { signing_key: 'new' });
		const { provider, advance } = make();
		const body = callbackBody();
		await provider.verifyCallback({ ...TOKEN, rawBody: body, headers: { 'x-content-signature': signatureFor(Buffer.from(body), 'old') } });
		advance(11_000);
		const event = await provider.verifyCallback({ ...TOKEN, rawBody: body, headers: { 'x-content-signature': signatureFor(Buffer.from(body), 'new') } });
		expect(event.id).toBe(1001);
	});
});

describe('permissions', () => {
	test('checkPermissions: one request per endpoint; 400/404 on write probes mean allowed, 403 denied', async () => {
		companyInfo();
		const read = (path: string, status = 200, body: unknown = []) => api().get(`${BASE}${path}`).query({ pageSize: '1', fields: 'id' }).reply(status, body);
		read('/service/boards', 200, [{ id: 1 }]);
		api().get(`${BASE}/system/info`).reply(200, { version: 'v' });
		read('/service/tickets');
		api().post(`${BASE}/service/tickets`, { summary: '', company: { id: 0 } }).reply(400, { code: 'InvalidObject', message: 'summary required' });
		api().patch(`${BASE}/service/tickets/0`, []).reply(404, { code: 'NotFound', message: 'no ticket 0' });
		read('/service/tickets/0/notes', 404, { code: 'NotFound', message: 'no ticket 0' });
		api().post(`${BASE}/service/tickets/0/notes`, { text: '' }).reply(403, { code: 'Forbidden', message: 'no access' });
		read('/service/boards/1/statuses');
		read('/service/priorities');
		read('/company/companies');
		read('/company/contacts');
		read('/system/members');
		read('/system/callbacks', 403, { code: 'Forbidden', message: 'no access' });
		api().post(`${BASE}/system/callbacks`, { url: '', objectId: 0, type: 'ticket', level: 'owner' }).reply(403, { code: 'Forbidden', message: 'no access' });
		api().delete(`${BASE}/system/callbacks/0`).reply(404, { code: 'NotFound', message: 'x' });
		read('/service/boards/1/types');
		read('/service/boards/1/typeSubTypeItemAssociations');
		read('/service/boards/1/teams');
		read('/service/sources');
		read('/company/companies/0/sites', 404, { code: 'NotFound', message: 'no company 0' });
		read('/company/configurations');
		read('/system/userDefinedFields');
		read('/service/tickets/0/configurations', 404, { code: 'NotFound', message: 'no ticket 0' });
		api().post(`${BASE}/service/tickets/0/configurations`, { id: 0 }).reply(404, { code: 'NotFound', message: 'no ticket 0' });
		api().delete(`${BASE}/service/tickets/0/configurations/0`).reply(403, { code: 'Forbidden', message: 'no access' });
		const checks = await make().provider.checkPermissions();
		expect(checks).toHaveLength(25);
		const denied = checks.filter((check) => !check.allowed).map((check) => `${check.method} ${check.endpoint} ${check.status}`);
		expect(denied).toEqual([
			'POST /service/tickets/{parentId}/notes 403',
			'GET /system/callbacks 403',
			'POST /system/callbacks 403',
			'DELETE /service/tickets/{parentId}/configurations/{id} 403',
		]);
		expect(checks.find((check) => check.purpose === 'Detach configurations from tickets')?.message).toMatch(/may not DELETE \/service\/tickets\/0\/configurations\/0 \(403\)/);
		expect(checks.find((check) => check.purpose === 'Add notes')?.message).toMatch(/403/);
	});
});

describe('errors', () => {
	test.each([
		[401, { code: 'Unauthorized', message: 'Invalid credentials' }, 'authentication', /Company ID/],
		[403, { code: 'Forbidden', message: 'You do not have access' }, 'permission', /security role.*'Inquire'.*Service Tickets/],
		[404, { code: 'NotFound', message: 'Ticket recId 9 not found' }, 'not-found', undefined],
		[409, { code: 'Conflict', message: 'Record changed' }, 'conflict', undefined],
		[422, { code: 'InvalidObject', message: 'bad', errors: [{ field: 'summary' }] }, 'invalid-input', undefined],
	] as const)('%i -> %s, carrying ConnectWise\'s code and message', async (status, body, kind, hint) => {
		companyInfo();
		api().get(`${BASE}/service/tickets/9`).query(true).reply(status, body);
		const error = await rejection(make().provider.getTicket(9));
		expect(error.kind).toBe(kind);
		expect(error.details).toMatchObject({ status, providerCode: body.code, providerMessage: body.message, request: 'GET /service/tickets/9' });
		if (hint) expect(error.details.hint).toMatch(hint);
	});

	test('429 honours Retry-After (seconds, then HTTP-date) and then succeeds', async () => {
		companyInfo();
		api().get(`${BASE}/service/tickets/1`).query(true).reply(429, { code: 'TooManyRequests', message: 'slow down' }, { 'retry-after': '2' });
		api().get(`${BASE}/service/tickets/1`).query(true).reply(429, {}, { 'retry-after': new Date(1_000_000 + 2000 + 3000).toUTCString() });
		api().get(`${BASE}/service/tickets/1`).query(true).reply(200, TICKET);
		const { provider, sleeps } = make();
		await provider.getTicket(1);
		expect(sleeps[0]).toBe(2000);
		// An HTTP-date is second-granular; the wait is what remains until it.
		expect(sleeps[1]).toBeGreaterThan(2000);
		expect(sleeps[1]).toBeLessThanOrEqual(3000);
	});

	test('429 on a POST is retried too (the server did nothing), and a 429 beyond the budget is rate-limited with retryAfterMs', async () => {
		companyInfo();
		api().post(`${BASE}/service/tickets`).reply(429, {}, { 'retry-after': '1' });
		api().post(`${BASE}/service/tickets`).reply(201, TICKET);
		api().get(`${BASE}/service/tickets/1`).query(true).reply(429, { code: 'TooManyRequests', message: 'slow' }, { 'retry-after': '60' });
		const { provider, sleeps } = make();
		await provider.createTicket({ summary: 'S', companyId: 250, externalRef: 'a' });
		expect(sleeps).toEqual([1000]);
		const error = await rejection(provider.getTicket(1));
		expect(error).toMatchObject({ kind: 'rate-limited', details: { retryAfterMs: 60_000, attempts: 1 } });
	});

	test('5xx and network errors on GET: capped exponential backoff with full jitter until success', async () => {
		companyInfo();
		api().get(`${BASE}/service/tickets/1`).query(true).reply(500, { code: 'InternalError', message: 'x' });
		api().get(`${BASE}/service/tickets/1`).query(true).reply(502, 'Bad gateway');
		api().get(`${BASE}/service/tickets/1`).query(true).reply(200, TICKET);
		let calls = 0;
		const { http, dropped } = dropping(() => ++calls === 3);
		const { provider, sleeps } = make({}, { http, retry: { baseDelayMs: 100, maxDelayMs: 300 } });
		await provider.getTicket(1);
		// random() = 0.5: half of min(cap, base * 2^(n-1)) = 50, 100, 150 (capped at 300).
		expect(sleeps).toEqual([50, 100, 150]);
		expect(dropped).toHaveLength(1);
	});

	test('the retry budget is never exceeded: the last 5xx is reported with the attempt count', async () => {
		companyInfo();
		api().get(`${BASE}/service/tickets/1`).query(true).times(3).reply(503, { code: 'Unavailable', message: 'down' });
		const { provider, sleeps } = make({}, { retry: { baseDelayMs: 1000, maxDelayMs: 8000, budgetMs: 2000, maxAttempts: 10 } });
		const error = await rejection(provider.getTicket(1));
		expect(error.kind).toBe('unavailable');
		expect(error.details.attempts).toBe(3);
		expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2000);
		expect(error.message).toContain('after 3 attempt(s)');
	});

	test('maxAttempts bounds retries; other 4xx are never retried', async () => {
		companyInfo();
		api().get(`${BASE}/service/tickets/1`).query(true).times(2).reply(500, {});
		api().get(`${BASE}/service/tickets/2`).query(true).reply(400, { code: 'InvalidObject', message: 'nope' });
		const { provider, sleeps } = make({}, { retry: { maxAttempts: 2 } });
		expect((await rejection(provider.getTicket(1))).details.attempts).toBe(2);
		expect((await rejection(provider.getTicket(2))).details.attempts).toBe(1);
		expect(sleeps).toHaveLength(1);
	});

	test('secrets never appear in errors or warnings, even when the server echoes them', async () => {
		companyInfo();
		api()
			.get(`${BASE}/service/tickets/1`)
			.query(true)
			.reply(401, { code: 'Unauthorized', message: `Bad key PrivKeySecret987 in header ${AUTH}`, errors: [{ field: 'x', message: 'PrivKeySecret987' }] }, { deprecation: 'true', link: '<https://docs.example.com/PrivKeySecret987>; rel="deprecation"' });
		const { http } = dropping((request) => request.method === 'POST');
		const { provider } = make({}, { http });
		const errors = [await rejection(provider.getTicket(1)), await rejection(provider.createTicket({ summary: 'S', companyId: 1, externalRef: 'a' }))];
		const token = AUTH.slice('Basic '.length);
		for (const error of errors) {
			const everything = `${error.message} ${error.stack} ${JSON.stringify(error.details)}`;
			expect(everything).not.toContain('PrivKeySecret987');
			expect(everything).not.toContain(token);
		}
		expect(errors[0].message).toContain('[redacted]');
		const warnings = JSON.stringify(provider.takeWarnings());
		expect(warnings).toContain('deprecated');
		expect(warnings).not.toContain('PrivKeySecret987');
	});
});

describe('versions', () => {
	test('an unsupported version is a version error naming the version to pin and where', async () => {
		companyInfo();
		api('2026.1')
			.get(`${BASE}/service/tickets/1`)
			.query(true)
			.reply(400, { code: 'ConnectWiseApi', message: "This endpoint does not support the API version '2026.1'. Latest available version is 2025.8.", errors: null }, { 'api-current-version': '2025.8' });
		const error = await rejection(make({ apiVersion: '2026.1' }).provider.getTicket(1));
		expect(error.kind).toBe('version');
		expect(error.message).toContain('2026.1');
		expect(error.message).toContain('pin 2025.8');
		expect(error.details.hint).toMatch(/'API Version' to 2025\.8.*'Endpoint Versions'/);
	});

	test('an unsupported version without a list in the message suggests the server\'s api-current-version', async () => {
		companyInfo();
		api('2019.1')
			.get(`${BASE}/service/tickets/1`)
			.query(true)
			.reply(400, { code: 'ConnectWiseApi', message: "This endpoint does not support the API version '2019.1'.", errors: null }, { 'api-current-version': '2025.8' });
		const error = await rejection(make({ endpointVersions: { '/service/tickets': '2019.1' } }).provider.getTicket(1));
		expect(error.kind).toBe('version');
		expect(error.details.hint).toContain('{"/service/tickets/{id}": "2025.8"}');
	});

	test('410 Gone is a version error naming the endpoint and the fix', async () => {
		companyInfo();
		api('2020.1').get(`${BASE}/service/tickets/1`).query(true).reply(410, { code: 'Gone', message: 'This version is retired' }, { 'api-current-version': '2025.8' });
		const error = await rejection(make({ apiVersion: '2020.1' }).provider.getTicket(1));
		expect(error.kind).toBe('version');
		expect(error.message).toContain('/service/tickets/{id}');
		expect(error.message).toContain('2020.1');
		expect(error.details.hint).toMatch(/to 2025\.8/);
	});

	test('Deprecation, Sunset and version drift become warnings, once per endpoint / per instance', async () => {
		companyInfo();
		const headers = {
			deprecation: '@1767225600',
			sunset: 'Wed, 30 Jun 2027 00:00:00 GMT',
			link: '<https://developer.connectwise.com/deprecations>; rel="deprecation", <https://developer.connectwise.com/sunset>; rel="sunset"',
			'api-current-version': '2025.8',
		};
		api('2023.1').get(`${BASE}/service/tickets/1`).query(true).times(2).reply(200, TICKET, headers);
		api('2023.1').get(`${BASE}/service/tickets/2`).query(true).reply(200, TICKET, headers);
		const { provider } = make({ apiVersion: '2023.1' });
		await provider.getTicket(1);
		await provider.getTicket(1);
		await provider.getTicket(2);
		const warnings = provider.takeWarnings();
		expect(warnings.map((warning) => `${warning.kind} ${warning.endpoint ?? ''}`)).toEqual([
			'version-drift ',
			'deprecation /service/tickets/{id}',
			'sunset /service/tickets/{id}',
		]);
		expect(warnings[0].message).toContain('2025.8');
		expect(warnings[1].message).toContain('2026-01-01');
		expect(warnings[1].message).toContain('https://developer.connectwise.com/deprecations');
		expect(warnings[2].message).toContain('2027-06-30');
		expect(warnings[2].message).toContain('https://developer.connectwise.com/sunset');
		expect(provider.takeWarnings()).toEqual([]);
	});
});
