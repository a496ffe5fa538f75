// The HaloPSA provider against its sandbox: one token shared by concurrent requests and renewed once on a 401, secrets and tokens never in errors, ticket depth, webhook verification and replays, the windowed budget, work records.
import { PsaCache } from '../../lib/cache';
import { isPsaError } from '../../lib/providers/errors';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { haloDefinition } from '../../lib/providers/halopsa/definition';
import { resetTokens } from '../../lib/providers/halopsa/token';
import type { ProviderDeps } from '../../lib/providers/definition';
import { resetLimiters } from '../../lib/providers/limiter';
import type { RequestEvent } from '../../lib/providers/request-events';
import type { PsaProvider } from '../../lib/providers/types';
import { HALO_MAX_ATTACHMENT_BYTES } from '../../lib/providers/halopsa/declaration';
import { bufferContent, jsonBase64Upload } from '../../lib/providers/upload';
import { ACTIVE_AGENT_ID, type HaloSandbox, startHaloSandbox } from '../sandbox/halopsa';
import { MAX_REQUEST_BYTES } from '../sandbox/halopsa/attachments';

let sandbox: HaloSandbox;
beforeAll(async () => {
	sandbox = await startHaloSandbox({ port: 0 });
});
afterAll(async () => {
	await sandbox?.stop();
});
beforeEach(() => {
	resetTokens();
	resetLimiters();
	sandbox.resetLog();
	sandbox.clearFaults();
});

/** Real sleeps: the limiter's waits for a free slot must let the answers in flight arrive. */
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const deps = (overrides: Partial<ProviderDeps> = {}): ProviderDeps => ({ http: createFetchTransport({ timeoutMs: 5000 }), cache: new PsaCache(), sleep: realSleep, ...overrides });
const provider = (credentials: Record<string, unknown> = sandbox.credentials, overrides: Partial<ProviderDeps> = {}): PsaProvider =>
	haloDefinition.create(haloDefinition.settingsOf(credentials, true), deps(overrides));

describe('OAuth token', () => {
	it('one token request serves concurrent requests of several providers on the connection', async () => {
		const first = provider();
		const second = provider();
		await Promise.all([...Array.from({ length: 10 }, () => first.listCompanies({ search: 'Acme' })), ...Array.from({ length: 10 }, () => second.listPriorities())]);
		expect(sandbox.tokensIssued).toBe(1);
		expect(sandbox.counters()['POST /auth/token']).toBe(1);
	});

	it('a 401 fetches a new token once and sends the request again', async () => {
		const psa = provider();
		await psa.listCompanies();
		sandbox.revokeTokens();
		const companies = await psa.listCompanies({ search: 'Globex' });
		expect(companies.map((company) => company.name)).toEqual(['Globex Ltd']);
		expect(sandbox.tokensIssued).toBe(2);
		expect(sandbox.requests.filter((request) => request.status === 401)).toHaveLength(1);
	});

	it('a refused client is an authentication error that names neither the secret nor a token', async () => {
		const wrong = { ...sandbox.credentials, clientSecret: 'WrongSecret-0123456789' };
		const error = await provider(wrong).listCompanies().catch((caught: unknown) => caught);
		expect(isPsaError(error, 'authentication')).toBe(true);
		expect(JSON.stringify({ message: (error as Error).message, details: (error as { details: unknown }).details })).not.toContain('WrongSecret');
	});

	it('request events carry no token even when the transport quotes the headers', async () => {
		const events: RequestEvent[] = [];
		const inner = createFetchTransport({ timeoutMs: 5000 });
		let tokenSeen = '';
		let failed = false;
		const psa = provider(sandbox.credentials, {
			onRequestEvent: (event) => events.push(event),
			http: async (request) => {
				const authorization = request.headers.Authorization;
				if (authorization && !failed) {
					failed = true;
					tokenSeen = authorization.replace(/^Bearer /, '');
					throw new Error(`socket hang up; sent ${authorization} and token ${tokenSeen}`);
				}
				return inner(request);
			},
		});
		await psa.listPriorities();
		expect(tokenSeen.length).toBeGreaterThan(10);
		const logged = JSON.stringify(events);
		expect(logged).toContain('socket hang up');
		expect(logged).not.toContain(tokenSeen);
		expect(logged).not.toContain(sandbox.credentials.clientSecret);
	});

	it('the authorisation URL is derived from the resource URL when the credential leaves it empty', () => {
		const settings = haloDefinition.settingsOf({ ...sandbox.credentials, resourceUrl: 'https://acme.halopsa.com', authUrl: '' }, true) as { resourceUrl: string; authUrl: string };
		expect(settings).toMatchObject({ resourceUrl: 'https://acme.halopsa.com/api', authUrl: 'https://acme.halopsa.com/auth' });
	});
});

describe('tickets', () => {
	it('a 200 that is not the ticket (a proxy page) is unavailable, never "gone": the search by link key fails instead of letting a second ticket be made', async () => {
		const psa = provider();
		const created = await psa.createTicket({ summary: 'Garbled read', companyId: 12, boardId: 1, externalRef: 'alert:garbled-1' });
		sandbox.addFault({ method: 'GET', path: `/Tickets/${created.id}`, kind: 'garbled', times: 2 });
		const read = await psa.getTicket(created.id).catch((error: unknown) => error);
		expect(isPsaError(read, 'unavailable')).toBe(true);
		const found = await psa.findTicketByExternalRef('alert:garbled-1').catch((error: unknown) => error);
		expect(isPsaError(found, 'unavailable')).toBe(true);
		expect((await psa.findTicketByExternalRef('alert:garbled-1'))?.id).toBe(created.id);
	});

	it('creates with the depth fields, reads them back, updates only what is given and searches PSA-neutrally', async () => {
		const psa = provider();
		const created = await psa.createTicket({
			summary: 'Disk full on WEB01',
			companyId: 12,
			boardId: 1,
			priorityId: 2,
			externalRef: 'alert:depth-1',
			typeId: 1,
			teamId: 2,
			siteId: 22,
			impact: 'High',
			urgency: 'Medium',
			dueAt: '2030-01-02T03:04:05.000Z',
			customFields: { CFEnvironment: 'Production', CFAlertSource: 'zabbix' },
			configurationItemIds: [501],
		});
		const details = await psa.getTicketDetails(created.id);
		expect(details).toMatchObject({
			type: { id: 1, name: 'Hardware' },
			team: { id: 2, name: 'Network' },
			site: { id: 22, name: 'Acme Branch' },
			impact: 'High',
			urgency: 'Medium',
			dueAt: '2030-01-02T03:04:05.000Z',
			customFields: { CFEnvironment: 'Production', CFAlertSource: 'zabbix' },
			configurationItemIds: [501],
			externalRef: 'alert:depth-1',
		});
		await psa.attachConfigurationItem(created.id, 502);
		await psa.attachConfigurationItem(created.id, 502);
		expect((await psa.listTicketConfigurationItems(created.id)).map((item) => item.id).sort()).toEqual([501, 502]);
		await psa.detachConfigurationItem(created.id, 501);
		const updated = await psa.updateTicket(created.id, { urgency: 'Low', dueAt: null });
		expect(updated).toMatchObject({ urgency: 'Low', impact: 'High', configurationItemIds: [502] });
		expect(updated.dueAt).toBeUndefined();
		const found = await psa.searchTickets({ where: { match: 'all', conditions: [{ field: 'company', operator: 'eq', value: 12 }, { field: 'CFEnvironment', customField: true, operator: 'eq', value: 'Production' }, { field: 'summary', operator: 'contains', value: 'WEB01' }] } });
		expect(found.map((ticket) => ticket.id)).toContain(created.id);
		expect(await psa.searchTickets({ state: 'closed', where: { match: 'all', conditions: [{ field: 'id', operator: 'eq', value: created.id }] } })).toEqual([]);
	});

	it('refuses bad input before anything is written', async () => {
		const psa = provider();
		const before = sandbox.requests.filter((request) => request.method === 'POST' && request.path === '/Tickets').length;
		for (const input of [{ customFields: { CFNope: 'x' } }, { teamId: 99 }, { impact: 'Catastrophic' }, { subtypeId: 3 }]) {
			const error = await psa.createTicket({ summary: 'x', companyId: 12, externalRef: 'alert:refused', ...input }).catch((caught: unknown) => caught);
			expect(isPsaError(error, 'invalid-input')).toBe(true);
		}
		expect(sandbox.requests.filter((request) => request.method === 'POST' && request.path === '/Tickets').length).toBe(before);
	});

	it('configuration items are found within the company by serial, IP and device id', async () => {
		const psa = provider();
		expect((await psa.findConfigurationItems({ companyId: 12, by: 'serialNumber', value: 'sn-web01' })).map((item) => item.id)).toEqual([501]);
		expect((await psa.findConfigurationItems({ companyId: 12, by: 'ipAddress', value: '10.0.0.12' })).map((item) => item.id)).toEqual([502]);
		expect(await psa.findConfigurationItems({ companyId: 12, by: 'serialNumber', value: 'SN-GLX1' })).toEqual([]);
	});

	it('notes are Actions: internal ones hidden from the user, the action type from the credential', async () => {
		const psa = provider({ ...sandbox.credentials, noteActionType: 'Update' });
		const ticket = await psa.createTicket({ summary: 'Notes', companyId: 12, externalRef: 'alert:notes' });
		const note = await psa.addNote({ ticketId: ticket.id, text: 'Checked the disk', type: 'internal' });
		const action = sandbox.db.actions.find((candidate) => candidate.id === note.id);
		expect(action).toMatchObject({ hiddenfromuser: true, outcome: 'Update', note: 'Checked the disk' });
		expect((await psa.listNotes(ticket.id)).map((listed) => [listed.text, listed.type])).toEqual([['Checked the disk', 'internal']]);
		const unknown = await provider({ ...sandbox.credentials, noteActionType: 'Telepathy' }).addNote({ ticketId: ticket.id, text: 'x', type: 'discussion' }).catch((caught: unknown) => caught);
		expect(isPsaError(unknown, 'invalid-input') && unknown.details.refused).toBe(true);
	});

	it('statuses are narrowed by ticket type, and closed ones are those Halo excludes as closed', async () => {
		const psa = provider();
		expect((await psa.listStatuses(1)).map((status) => status.name)).not.toContain('Awaiting Approval');
		expect((await psa.listStatuses(2)).map((status) => status.name)).toContain('Awaiting Approval');
		expect((await psa.listStatuses(2)).filter((status) => status.closed).map((status) => status.id)).toEqual([8, 9]);
	});
});

describe('webhooks', () => {
	it('a delivery without this trigger\'s secret is refused; a repeated one has the same delivery key; a technician\'s change is a new delivery', async () => {
		const psa = provider();
		const registration = await psa.registerCallback({ url: 'http://127.0.0.1:9/hook', description: 'test', level: 'owner', objectId: 0, selfSuppressed: true });
		sandbox.clearDeliveries();
		try {
			const ticket = await psa.createTicket({ summary: 'Hooked', companyId: 12, externalRef: 'alert:hook' });
			const [delivery] = await sandbox.waitForDeliveries(1, 5000);
			const expected = { id: registration.id, guid: registration.guid, secret: registration.secret };
			const request = { rawBody: Buffer.from(delivery.body), headers: delivery.headers, expected };
			const first = await psa.verifyCallback(request);
			expect(first).toMatchObject({ action: 'added', id: ticket.id, externalReference: 'alert:hook', updatedBy: 'PSA Bridge API' });
			expect((await psa.verifyCallback(request)).deliveryKey).toBe(first.deliveryKey);
			const other = await psa.verifyCallback({ ...request, expected: { ...expected, secret: 'another-trigger-secret' } }).catch((caught: unknown) => caught);
			expect(isPsaError(other, 'authentication')).toBe(true);
			const bare = await psa.verifyCallback({ ...request, headers: {} }).catch((caught: unknown) => caught);
			expect(isPsaError(bare, 'authentication')).toBe(true);
			sandbox.changeTicket(ticket.id, { status_id: 2 });
			const [, changed] = await sandbox.waitForDeliveries(2, 5000);
			const technician = await psa.verifyCallback({ ...request, rawBody: Buffer.from(changed.body), headers: changed.headers });
			expect(technician).toMatchObject({ action: 'updated', updatedBy: 'John Smith', ticket: { status: { id: 2 } } });
			expect(technician.deliveryKey).not.toBe(first.deliveryKey);
		} finally {
			await psa.removeCallback(registration.id);
		}
		expect(sandbox.db.webhooks).toHaveLength(0);
		expect(sandbox.db.notifications).toHaveLength(0);
	});
});

describe('limits and versions', () => {
	it('keeps to the declared window budget without a 429', async () => {
		const budgeted = { ...haloDefinition, limits: { ...haloDefinition.limits, windowBudget: { limit: 4, windowMs: 400 } } };
		const psa = budgeted.create(budgeted.settingsOf(sandbox.credentials, true), deps());
		await psa.listPriorities();
		const started = Date.now();
		await Promise.all(Array.from({ length: 6 }, (_, index) => psa.listCompanies({ search: `x${index}` })));
		expect(Date.now() - started).toBeGreaterThanOrEqual(350);
		expect(sandbox.requests.some((request) => request.status === 429)).toBe(false);
	});

	it('a 429 with Retry-After is waited out and the request sent again', async () => {
		sandbox.addFault({ kind: 'status', status: 429, retryAfterSeconds: 1, times: 1, path: '/Client' });
		const started = Date.now();
		await provider().listCompanies();
		expect(Date.now() - started).toBeGreaterThanOrEqual(900);
	});

	it('records the tenant version from /InstanceInfo and reports drift from the tested one', async () => {
		sandbox.version = '2.230.1';
		try {
			const psa = provider();
			expect(await psa.info()).toMatchObject({ currentApiVersion: '2.230.1', pinnedApiVersion: haloDefinition.versions.defaultPin });
			expect(psa.takeWarnings()).toEqual([expect.objectContaining({ kind: 'version-drift' })]);
		} finally {
			sandbox.version = '2.196.7';
		}
	});
});

describe('work records', () => {
	const newTicket = async (psa: PsaProvider) => (await psa.createTicket({ summary: `Work ${Math.random()}`, companyId: 12, externalRef: `work-${Math.random()}` })).id;

	it('a time entry is an action with time: the marker field private, hidden from the end user without notes; plain notes are not listed as time', async () => {
		const psa = provider();
		const ticketId = await newTicket(psa);
		await psa.addNote({ ticketId, text: 'Looked at it', type: 'internal' });
		const entry = await psa.addTimeEntry({ ticketId, memberId: ACTIVE_AGENT_ID, start: '2026-03-02T10:00:00Z', end: '2026-03-02T10:45:00Z', internalNotes: '[psa:0123456789abcdef]', billable: 'do-not-bill' });
		const action = sandbox.db.actions.find((candidate) => candidate.id === entry.id)!;
		expect(action).toMatchObject({ ticket_id: ticketId, who_agentid: ACTIVE_AGENT_ID, timetaken: 0.75, hiddenfromuser: true, note: '', private_note: '[psa:0123456789abcdef]', actisbillable: false });
		const listed = await psa.listTimeEntries(ticketId);
		expect(listed).toEqual([expect.objectContaining({ id: entry.id, hours: 0.75, memberId: ACTIVE_AGENT_ID, start: '2026-03-02T10:00:00.000Z', end: '2026-03-02T10:45:00.000Z', billable: 'do-not-bill', internalNotes: '[psa:0123456789abcdef]' })]);
		expect(sandbox.requests.find((request) => request.method === 'GET' && request.template === '/Actions')?.query).toMatchObject({ ticket_id: String(ticketId), timeentriesonly: 'true' });
	});

	it('work types are action types; a role is refused, nothing sent', async () => {
		const psa = provider();
		expect((await psa.listWorkChoices('workType')).map((choice) => choice.name)).toContain('Private Note');
		const before = sandbox.requests.length;
		await expect(psa.listWorkChoices('workRole')).rejects.toMatchObject({ kind: 'invalid-input' });
		await expect(psa.addTimeEntry({ ticketId: 1, memberId: ACTIVE_AGENT_ID, start: '2026-03-02T10:00:00Z', end: '2026-03-02T11:00:00Z', workRoleId: 4 })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'workRole', refused: true } });
		await expect(psa.addTimeEntry({ ticketId: 1, memberId: ACTIVE_AGENT_ID, start: '2026-03-02T10:00:00Z', end: '2026-03-02T11:00:00Z', billable: 'no-charge' })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'billable' } });
		expect(sandbox.requests.length).toBe(before);
	});

	it('a list answered without its records is an error, never "none there"', async () => {
		const psa = provider();
		const ticketId = await newTicket(psa);
		sandbox.addFault({ method: 'GET', path: '/Attachment', kind: 'garbled', times: 1 });
		await expect(psa.listAttachments(ticketId)).rejects.toMatchObject({ kind: 'unavailable' });
		sandbox.addFault({ method: 'GET', path: '/Actions', kind: 'garbled', times: 1 });
		await expect(psa.listTimeEntries(ticketId)).rejects.toMatchObject({ kind: 'unavailable' });
	});

	it('a download answered as JSON with base64 data gives the same bytes as the file itself', async () => {
		const bytes = Buffer.from(Array.from({ length: 5000 }, (_, index) => index % 251));
		const base = provider();
		const ticketId = await newTicket(base);
		const attachment = await base.addAttachment({ ticketId, title: 'dump [psa:00000000000000aa]', fileName: 'dump.bin', contentType: 'application/octet-stream', public: false, content: bufferContent(bytes, 1000) });
		expect((await base.downloadAttachment(ticketId, attachment.id)).data.equals(bytes)).toBe(true);
		// includedetails makes the sandbox answer the record with data_base64, the other form Halo may use.
		const asJson = createFetchTransport({ timeoutMs: 5000 });
		const psa = provider(sandbox.credentials, { http: (request) => asJson(/\/Attachment\/\d+$/.test(request.url) ? { ...request, url: `${request.url}?includedetails=true` } : request) });
		const downloaded = await psa.downloadAttachment(ticketId, attachment.id);
		expect(downloaded.data.equals(bytes)).toBe(true);
		expect(downloaded.attachment).toMatchObject({ id: attachment.id, fileName: 'dump.bin', title: 'dump [psa:00000000000000aa]', size: 5000, public: false });
		await expect(base.downloadAttachment(ticketId + 1, attachment.id)).rejects.toMatchObject({ kind: 'not-found' });
	});

	it('the package ceiling fits ASP.NET\'s default request limit once base64 in its JSON body', () => {
		const upload = jsonBase64Upload({ ticket_id: 1, filename: 'f'.repeat(255), desc: 'd'.repeat(255), content_type: 'application/octet-stream', showforusers: false }, 'data', { size: HALO_MAX_ATTACHMENT_BYTES, open: () => [] as unknown as AsyncIterable<Buffer> }, { inArray: true });
		expect(upload.length).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
	});
});
