// The ConnectWise adapter against the sandbox over real HTTP: every method, every fault, the three models, callbacks, the contract.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type RequestLogEntry, type Sandbox } from '../sandbox';
import { loadGoClientContract, loadOpenApiContract, OPENAPI_FILE, summarizeReport } from '../contract/openapi';
import { ConnectWiseProvider, ConnectWiseSettings, ProviderDeps } from '../../lib/providers/connectwise';
import { createProvider } from '../../lib/providers/registry';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { PsaCache } from '../../lib/cache';
import { signatureFor } from '../../lib/providers/connectwise/callbacks';
import { rejection } from '../helpers/rejection';

let sandbox: Sandbox;
/** Every request any test here made, for the contract check at the end. */
const sent: RequestLogEntry[] = [];

interface Received {
	body: Buffer;
	headers: IncomingMessage['headers'];
}
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];

beforeAll(async () => {
	sandbox = await startSandbox({ port: 0 });
	receiver = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			received.push({ body: Buffer.concat(chunks), headers: request.headers });
			response.writeHead(200).end();
		});
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook/psa`;
});

afterEach(() => {
	sent.push(...sandbox.requests.map((entry) => structuredClone(entry)));
	sandbox.resetLog();
	sandbox.clearFaults();
	sandbox.clearVersionPolicies();
	sandbox.setRateLimit(0);
});

afterAll(async () => {
	await sandbox?.stop();
	await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

/** A provider on the sandbox with instant, recorded backoff sleeps (a fake clock moves by what is slept). */
function make(settings: Partial<ConnectWiseSettings> = {}, deps: Partial<ProviderDeps> = {}) {
	let now = Date.now();
	const sleeps: number[] = [];
	const provider = new ConnectWiseProvider(
		{ ...sandbox.credentials, ...settings },
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
	return { provider, sleeps };
}

let refCounter = 0;
const uniqueRef = (prefix: string) => `${prefix}:${process.pid}:${++refCounter}`;

describe('every provider method against the sandbox (2025.8)', () => {
	test('created through the registry, info and codebase', async () => {
		const provider = createProvider('connectWisePsaApi', { ...sandbox.credentials }, { http: createFetchTransport() });
		const info = await provider.info();
		expect(info).toMatchObject({ apiLocation: sandbox.codebase, pinnedApiVersion: '2025.8', currentApiVersion: '2025.8', isCloud: false });
		expect(info.serverVersion).toMatch(/2025\.8/);
		expect(provider.connection.site).toBe(sandbox.site.replace('http://', ''));
	});

	test('checkPermissions with the demo keys: everything allowed; with read-only keys writes are denied', async () => {
		const checks = await make().provider.checkPermissions();
		expect(checks.length).toBe(25);
		expect(checks.filter((check) => !check.allowed)).toEqual([]);
		// No probe left anything behind.
		expect(sandbox.db.callbacks.filter((callback) => callback.url === '')).toEqual([]);
		const restricted = await make({ ...sandbox.restrictedCredentials }).provider.checkPermissions();
		const denied = restricted.filter((check) => !check.allowed).map((check) => `${check.method} ${check.endpoint}`);
		expect(denied).toEqual(
			expect.arrayContaining([
				'POST /service/tickets',
				'PATCH /service/tickets/{id}',
				'POST /service/tickets/{parentId}/notes',
				'POST /service/tickets/{parentId}/configurations',
				'DELETE /service/tickets/{parentId}/configurations/{id}',
			]),
		);
		expect(restricted.find((check) => check.purpose === 'Read tickets')?.allowed).toBe(true);
	});

	test('tickets: create (long summary), get, find by externalRef, list with paging, update status, URLs', async () => {
		const { provider } = make({}, { pageSize: 2 });
		const ref = uniqueRef('alert');
		const summary = `CPU high on ${'web-'.repeat(30)}`;
		const created = await provider.createTicket({ summary, description: 'From the monitor', companyId: 250, boardId: 1, priorityId: 2, externalRef: ref });
		expect(Array.from(created.summary)).toHaveLength(100);
		expect(created.summary.endsWith('\u2026')).toBe(true);
		expect(created).toMatchObject({ company: { id: 250 }, board: { id: 1, name: 'Help Desk' }, priority: { id: 2 }, externalRef: ref, closed: false });
		// ConnectWise keeps initialDescription as the ticket's first discussion note: it holds the full summary.
		const [firstNote] = await provider.listNotes(created.id);
		expect(firstNote).toMatchObject({ type: 'discussion', text: `${summary}\n\nFrom the monitor` });

		expect(await provider.getTicket(created.id)).toMatchObject({ id: created.id, externalRef: ref });
		expect((await provider.findTicketByExternalRef(ref))?.id).toBe(created.id);
		expect(await provider.findTicketByExternalRef(uniqueRef('never'))).toBeUndefined();

		for (let i = 0; i < 4; i++) await provider.createTicket({ summary: `Paging ${i}`, companyId: 251, boardId: 2, externalRef: uniqueRef('page') });
		sandbox.resetLog();
		const listed = await provider.listTickets({ companyId: 251, boardId: 2, openOnly: true, limit: 3 });
		expect(listed).toHaveLength(3);
		expect(listed.every((ticket) => ticket.company.id === 251)).toBe(true);
		const pages = sandbox.requests.filter((entry) => entry.method === 'GET' && entry.path === '/service/tickets');
		expect(pages).toHaveLength(2);
		expect(pages.every((entry) => entry.headers['pagination-type'] === 'forward-only')).toBe(true);
		expect((await provider.listTickets({ search: 'Paging', companyId: 251 })).length).toBeGreaterThanOrEqual(4);

		const statuses = await provider.listStatuses(1);
		const inProgress = statuses.find((status) => status.name === 'In Progress')!;
		const updated = await provider.updateTicketStatus(created.id, inProgress.id);
		expect(updated.status).toEqual({ id: inProgress.id, name: 'In Progress' });
		const closedStatus = statuses.find((status) => status.closed && !status.inactive)!;
		expect((await provider.updateTicketStatus(created.id, closedStatus.id)).closed).toBe(true);

		const url = provider.ticketUrl(created.id);
		expect(url).toContain(`recid=${created.id}`);
		expect(url).toContain(sandbox.codebase);
		expect(provider.parseTicketUrl(url)).toBe(created.id);
		expect(provider.parseTicketUrl(`${sandbox.apiBaseUrl}/service/tickets/${created.id}`)).toBe(created.id);
	});

	test('a status from another board is refused by ConnectWise and the cached statuses are dropped', async () => {
		const { provider } = make();
		const ticket = await provider.createTicket({ summary: 'Wrong board status', companyId: 250, boardId: 1, externalRef: uniqueRef('wrong') });
		const other = (await provider.listStatuses(2)).find((status) => status.name === 'Investigating')!;
		await provider.listStatuses(1);
		sandbox.resetLog();
		const error = await rejection(provider.updateTicketStatus(ticket.id, other.id));
		expect(error.kind).toBe('invalid-input');
		await provider.listStatuses(1);
		expect(sandbox.counters()['GET /service/boards/{parentId}/statuses']).toBe(1);
	});

	test('notes: the three types, member attribution, listing', async () => {
		const { provider } = make();
		const ticket = await provider.createTicket({ summary: 'Notes', companyId: 250, externalRef: uniqueRef('notes') });
		const [member] = await provider.findMembersByEmail('john.smith@acme.example');
		const discussion = await provider.addNote({ ticketId: ticket.id, text: 'Customer told', type: 'discussion', memberId: member.id });
		const internal = await provider.addNote({ ticketId: ticket.id, text: 'Internal only', type: 'internal' });
		const resolution = await provider.addNote({ ticketId: ticket.id, text: 'Fixed', type: 'resolution' });
		expect([discussion.type, internal.type, resolution.type]).toEqual(['discussion', 'internal', 'resolution']);
		expect(discussion.memberId).toBe(member.id);
		const notes = await provider.listNotes(ticket.id);
		expect(notes.map((note) => [note.text, note.type])).toEqual([
			['Customer told', 'discussion'],
			['Internal only', 'internal'],
			['Fixed', 'resolution'],
		]);
		expect((await rejection(provider.addNote({ ticketId: 999_999, text: 'x', type: 'discussion' }))).kind).toBe('not-found');
	});

	test('boards, statuses, priorities (cached), companies, contacts', async () => {
		const { provider } = make();
		const boards = await provider.listBoards();
		expect(boards.map((board) => [board.name, board.inactive])).toEqual(
			expect.arrayContaining([
				['Help Desk', false],
				['Network Operations', false],
				['Projects', true],
			]),
		);
		const statuses = await provider.listStatuses(1);
		expect(statuses.find((status) => status.name === 'New')).toMatchObject({ isDefault: true, closed: false });
		expect(statuses.filter((status) => status.closed).map((status) => status.name).sort()).toEqual(['Closed', 'Resolved']);
		expect(statuses.find((status) => status.name === 'Old Queue')?.inactive).toBe(true);
		const priorities = await provider.listPriorities();
		expect(priorities.find((priority) => priority.isDefault)?.name).toBe('Priority 3 - Normal');
		sandbox.resetLog();
		await provider.listBoards();
		await provider.listStatuses(1);
		await provider.listPriorities();
		expect(sandbox.counters().total ?? 0).toBe(0);

		expect((await provider.listCompanies({ search: 'glob' })).map((company) => company.name)).toEqual(['Globex']);
		expect((await provider.listCompanies({ search: 'x" or id>0 or name="' })).length).toBe(0);
		const contacts = await provider.listContacts({ companyId: 250 });
		expect(contacts.length).toBeGreaterThan(0);
		expect(contacts.every((contact) => contact.companyId === 250)).toBe(true);
		expect(contacts.some((contact) => contact.email?.includes('@'))).toBe(true);
	});

	test('members: list, get, by email (all matches, inactive included), by identifier', async () => {
		const { provider } = make({}, { pageSize: 2 });
		const members = await provider.listMembers();
		expect(members.map((member) => member.identifier)).toEqual(expect.arrayContaining(['jsmith', 'adoe', 'api', 'oldtech', 'bwayne', 'bwayne2']));
		const jsmith = members.find((member) => member.identifier === 'jsmith')!;
		expect(await provider.getMember(jsmith.id)).toMatchObject({ identifier: 'jsmith', name: 'John Smith', inactive: false });
		const bruce = await provider.findMembersByEmail('BRUCE@acme.example');
		expect(bruce.map((member) => [member.identifier, member.inactive]).sort()).toEqual([
			['bwayne', false],
			['bwayne2', true],
		]);
		expect((await provider.findMembersByEmail('alice@acme.example')).map((member) => member.identifier)).toEqual(['adoe']);
		expect((await provider.findMembersByEmail('alice.doe@acme.example')).map((member) => member.identifier)).toEqual(['adoe']);
		expect(await provider.findMembersByEmail('nobody@acme.example')).toEqual([]);
		expect((await provider.findMemberByIdentifier('oldtech'))?.inactive).toBe(true);
		expect(await provider.findMemberByIdentifier('ghost')).toBeUndefined();
	});

	test('callbacks: register, list, a real signed delivery verified, forgeries refused, remove', async () => {
		const { provider } = make();
		const registration = await provider.registerCallback({ url: receiverUrl, description: 'PSA Trigger test', level: 'board', objectId: 1, selfSuppressed: true });
		expect(registration).toMatchObject({ url: receiverUrl, level: 'board', objectId: 1, inactive: false });
		// Registered with its own token in the URL; verification is handed the query it arrives with and the token kept.
		const token = { query: { psa_token: String(registration.secret) }, expected: { id: registration.id, secret: registration.secret } };
		expect(sandbox.db.callbacks.find((callback) => callback.id === registration.id)?.url).toBe(`${receiverUrl}?psa_token=${registration.secret}`);
		expect((await provider.listCallbacks()).map((callback) => callback.id)).toContain(registration.id);

		const ticket = await provider.createTicket({ summary: 'Callback me', companyId: 250, boardId: 1, externalRef: uniqueRef('cb') });
		sandbox.clearDeliveries();
		received.length = 0;
		const next = (await provider.listStatuses(1)).find((status) => status.name === 'Waiting Customer')!;
		sandbox.changeTicket(ticket.id, { statusId: next.id }, { byMember: 'jsmith' });
		await sandbox.waitForDeliveries(1, 5000);
		expect(received).toHaveLength(1);
		const delivery = received[0];

		sandbox.resetLog();
		const event = await provider.verifyCallback({ ...token, rawBody: delivery.body, headers: delivery.headers });
		expect(event).toMatchObject({ action: 'updated', type: 'ticket', id: ticket.id });
		expect(event.ticket).toMatchObject({ id: ticket.id, status: { id: next.id } });
		await provider.verifyCallback({ ...token, rawBody: delivery.body.toString('utf8'), headers: delivery.headers });
		expect(sandbox.counters()['GET /callback-keys/{keyId}']).toBe(1);

		const bad = async (rawBody: Buffer | string, headers: Record<string, string | string[] | undefined>) =>
			(await rejection(provider.verifyCallback({ ...token, rawBody, headers }))).kind;
		const tampered = delivery.body.toString('utf8').replace(`"ID":${ticket.id}`, `"ID":${ticket.id + 1}`);
		expect(tampered).not.toBe(delivery.body.toString('utf8'));
		expect(await bad(tampered, delivery.headers)).toBe('authentication');
		expect(await bad(delivery.body, { ...delivery.headers, 'x-content-signature': 'AAAA' })).toBe('authentication');
		expect(await bad(delivery.body, { 'content-type': 'application/json' })).toBe('authentication');
		// A payload correctly signed with a key served elsewhere: its key_url is not on the configured site, so it is never fetched.
		const payload = JSON.parse(delivery.body.toString('utf8'));
		payload.Metadata.key_url = payload.Metadata.key_url.replace('127.0.0.1', 'localhost');
		const foreign = JSON.stringify(payload);
		expect(await bad(foreign, { 'x-content-signature': signatureFor(Buffer.from(foreign), sandbox.signingKey) })).toBe('authentication');
		expect(sandbox.counters()['GET /callback-keys/{keyId}']).toBe(1);

		await provider.removeCallback(registration.id);
		await provider.removeCallback(registration.id);
		expect((await provider.listCallbacks()).map((callback) => callback.id)).not.toContain(registration.id);
	});
});

describe('faults', () => {
	test('429 with Retry-After, then success', async () => {
		const { provider, sleeps } = make();
		const ticket = await provider.createTicket({ summary: '429', companyId: 250, externalRef: uniqueRef('429') });
		sandbox.resetLog();
		sandbox.addFault({ method: 'GET', path: '/service/tickets/{id}', kind: 'status', status: 429, retryAfterSeconds: 1 });
		expect((await provider.getTicket(ticket.id)).id).toBe(ticket.id);
		expect(sleeps).toEqual([1000]);
		expect(sandbox.counters()['GET /service/tickets/{id}']).toBe(2);
	});

	test('the rate limit: every call still succeeds, waiting as told (real waits of Retry-After: 1)', async () => {
		const sleeps: number[] = [];
		const { provider } = make({}, { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, sleeps.push(ms) && ms)), now: Date.now });
		await provider.info();
		sandbox.setRateLimit(2);
		for (let i = 0; i < 4; i++) await provider.listCompanies({ limit: 1 });
		// A 429 pauses the connection until its Retry-After (1 s) has passed: the wait is what remains of it when the
		// request asks (1000 ms, or a millisecond or two less on a busy machine); the limiter's spacing after the throttle
		// shares the clock and waits less. None waits longer than told.
		expect(sleeps.length).toBeGreaterThan(0);
		expect(Math.max(...sleeps)).toBeGreaterThanOrEqual(900);
		expect(sleeps.every((ms) => ms > 0 && ms <= 1000)).toBe(true);
	});

	test('5xx, then success (GET and PATCH retried)', async () => {
		const { provider, sleeps } = make();
		const ticket = await provider.createTicket({ summary: '5xx', companyId: 250, boardId: 1, externalRef: uniqueRef('5xx') });
		sandbox.addFault({ method: 'GET', path: '/service/tickets/{id}', kind: 'status', status: 503, times: 2 });
		expect((await provider.getTicket(ticket.id)).id).toBe(ticket.id);
		const status = (await provider.listStatuses(1)).find((candidate) => candidate.name === 'In Progress')!;
		sandbox.addFault({ method: 'PATCH', kind: 'status', status: 502 });
		expect((await provider.updateTicketStatus(ticket.id, status.id)).status.id).toBe(status.id);
		expect(sleeps).toHaveLength(3);
	});

	test('a dropped connection on GET is retried', async () => {
		const { provider } = make();
		sandbox.addFault({ method: 'GET', path: '/service/boards', kind: 'drop' });
		expect((await provider.listBoards()).length).toBeGreaterThan(0);
		expect(sandbox.counters()['GET /service/boards']).toBe(2);
	});

	test('the retry budget is exhausted: unavailable with the attempts made', async () => {
		const { provider, sleeps } = make({}, { retry: { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 8000, budgetMs: 3000 } });
		sandbox.addFault({ method: 'GET', path: '/company/companies', kind: 'status', status: 500, times: 50 });
		const error = await rejection(provider.listCompanies());
		expect(error.kind).toBe('unavailable');
		expect(error.details.attempts).toBeLessThan(10);
		expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3000);
		expect(sandbox.counters()['GET /company/companies']).toBe(error.details.attempts);
	});

	test('response lost after commit: no retry without retrySafe, the ticket is found by externalRef', async () => {
		const { provider } = make();
		const ref = uniqueRef('lost');
		sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit' });
		const error = await rejection(provider.createTicket({ summary: 'Lost response', companyId: 250, externalRef: ref }));
		expect(error.kind).toBe('unavailable');
		expect(error.details.outcomeUnknown).toBe(true);
		expect(sandbox.counters()['POST /service/tickets']).toBe(1);
		expect(sandbox.db.tickets.filter((ticket) => ticket.externalXRef === ref)).toHaveLength(1);
		expect((await provider.findTicketByExternalRef(ref))?.summary).toBe('Lost response');
	});

	test('response lost after commit with retrySafe: the adapter finds the created ticket and never creates a second', async () => {
		const { provider } = make();
		const ref = uniqueRef('lost-safe');
		sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit' });
		const ticket = await provider.createTicket({ summary: 'Lost, then found', companyId: 250, externalRef: ref }, { retrySafe: true });
		expect(ticket.externalRef).toBe(ref);
		expect(sandbox.db.tickets.filter((candidate) => candidate.externalXRef === ref)).toHaveLength(1);
		expect(sandbox.counters()['POST /service/tickets']).toBe(1);
	});

	test('a dropped POST (not performed) with retrySafe: searched, not found, posted again once', async () => {
		const { provider } = make();
		const ref = uniqueRef('dropped');
		sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop' });
		const ticket = await provider.createTicket({ summary: 'Dropped then created', companyId: 250, externalRef: ref }, { retrySafe: true });
		expect(ticket.externalRef).toBe(ref);
		expect(sandbox.db.tickets.filter((candidate) => candidate.externalXRef === ref)).toHaveLength(1);
		expect(sandbox.counters()['POST /service/tickets']).toBe(2);
	});

	test('wrong keys: authentication error without the key in it', async () => {
		const { provider } = make({ privateKey: 'WrongPrivateKey42' });
		const error = await rejection(provider.listBoards());
		expect(error.kind).toBe('authentication');
		expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('WrongPrivateKey42');
		const unknownCompany = await rejection(make({ companyId: 'nosuchco' }).provider.info());
		expect(unknownCompany.kind).toBe('configuration');
		expect(unknownCompany.message).toContain('nosuchco');
	});

	test('read-only keys: a write is a permission error with a hint about the security role', async () => {
		const error = await rejection(make({ ...sandbox.restrictedCredentials }).provider.createTicket({ summary: 'x', companyId: 250, externalRef: uniqueRef('ro') }));
		expect(error.kind).toBe('permission');
		expect(error.details.hint).toMatch(/security role.*'Add'/);
	});
});

describe('versions', () => {
	test('an unsupported pinned version: a version error naming the version to pin', async () => {
		const error = await rejection(make({ apiVersion: '2026.1' }).provider.listBoards());
		expect(error.kind).toBe('version');
		expect(error.message).toContain('pin 2025.8');
		expect(error.details.hint).toContain("'API Version'");
	});

	test('an unsupported endpoint override fails that endpoint only', async () => {
		const { provider } = make({ endpointVersions: { '/service/priorities': '2019.1' } });
		expect((await provider.listBoards()).length).toBeGreaterThan(0);
		const error = await rejection(provider.listPriorities());
		expect(error.kind).toBe('version');
		expect(error.details.hint).toContain("'Endpoint Versions'");
		expect(error.details.hint).toContain('/service/priorities');
	});

	test('410 Gone: a version error naming the endpoint and the fix', async () => {
		const { provider } = make({ apiVersion: '2023.1' });
		const ticket = await provider.createTicket({ summary: 'gone', companyId: 250, externalRef: uniqueRef('gone') });
		sandbox.setVersionPolicy({ path: '/service/tickets/{id}', version: '2023.1', gone: true });
		const error = await rejection(provider.getTicket(ticket.id));
		expect(error.kind).toBe('version');
		expect(error.message).toContain('/service/tickets/{id}');
		expect(error.details.hint).toContain('2025.8');
		// Moving that endpoint forward fixes it.
		expect((await make({ apiVersion: '2023.1', endpointVersions: { '/service/tickets': '2025.8' } }).provider.getTicket(ticket.id)).id).toBe(ticket.id);
	});

	test('Deprecation and Sunset headers and version drift become warnings, once', async () => {
		sandbox.setVersionPolicy({
			path: '/service/boards',
			deprecation: '@1767225600',
			sunset: 'Wed, 30 Jun 2027 00:00:00 GMT',
			link: 'https://developer.connectwise.com/versioning',
		});
		const { provider } = make({ apiVersion: '2023.1' }, { cache: new PsaCache() });
		await provider.listBoards();
		await provider.listStatuses(1);
		const warnings = provider.takeWarnings();
		expect(warnings.map((warning) => warning.kind).sort()).toEqual(['deprecation', 'sunset', 'version-drift']);
		expect(warnings.find((warning) => warning.kind === 'deprecation')?.message).toContain('https://developer.connectwise.com/versioning');
		expect(warnings.find((warning) => warning.kind === 'deprecation')?.endpoint).toBe('/service/boards');
		expect(provider.takeWarnings()).toEqual([]);
		expect(make().provider.takeWarnings()).toEqual([]);
	});

	describe.each(['2020.1', '2023.1', '2025.8'])('model %s', (version) => {
		test('statuses, members and tickets read correctly', async () => {
			const { provider } = make({ apiVersion: version });
			sandbox.resetLog();
			const statuses = await provider.listStatuses(1);
			expect(statuses.filter((status) => status.closed).map((status) => status.name).sort()).toEqual(['Closed', 'Resolved']);
			const alicePrimary = await provider.findMembersByEmail('alice@acme.example');
			const aliceOffice = await provider.findMembersByEmail('alice.doe@acme.example');
			if (version === '2020.1') {
				// The 2020.1 Member has no primaryEmail: only the office email can match.
				expect(alicePrimary).toEqual([]);
				expect(aliceOffice[0].emails).toEqual(['alice.doe@acme.example']);
			} else {
				expect(alicePrimary.map((member) => member.identifier)).toEqual(['adoe']);
				expect(aliceOffice[0].emails).toEqual(['alice@acme.example', 'alice.doe@acme.example']);
			}
			const ticket = await provider.createTicket({ summary: `Model ${version}`, companyId: 250, externalRef: uniqueRef(version) });
			expect((await provider.getTicket(ticket.id)).summary).toBe(`Model ${version}`);
			expect(sandbox.requests.filter((entry) => entry.path.startsWith('/service') || entry.path.startsWith('/system')).every((entry) => entry.modelVersion === version)).toBe(true);
			expect(sandbox.requests.filter((entry) => entry.status >= 400)).toEqual([]);
		});
	});
});

describe('contract', () => {
	test('every request the adapter sent conforms to the OpenAPI document', () => {
		const contract = loadOpenApiContract();
		if (!contract) {
			console.log(`OpenAPI document absent (${OPENAPI_FILE}): the contract check cannot run; ${sent.length} requests were recorded.`);
			expect(sent.length).toBeGreaterThan(0);
			return;
		}
		// Requests are checked whatever model answered; responses only where the document's model (2025.8) shaped them.
		const requestsOnly = sent.map((entry) => ({ ...entry, modelVersion: '2025.8', status: entry.modelVersion === '2025.8' ? entry.status : undefined }));
		// The Go client judges the operations the subset lacks (the permission probes of the ticket-depth endpoints).
		const report = contract.validateExchanges(requestsOnly, loadGoClientContract() ?? null);
		console.log(summarizeReport(report));
		expect(report.violations).toEqual([]);
		expect(report.requestsChecked).toBeGreaterThan(100);
	});
});
