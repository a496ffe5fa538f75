// Callbacks: registration, delivery by level, ConnectWise's payload and signature, self-suppression and skipCallback.
import { checkSuiteAgainstContract } from '../contract/suite-check';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { sandboxClient } from './client';
import { startSandbox, type Delivery, type Sandbox } from './index';
import { startReceiver, type Receiver } from './receiver';

type Row = Record<string, unknown>;

describe('sandbox callbacks', () => {
	let sandbox: Sandbox;
	let receiver: Receiver;
	let request: ReturnType<typeof sandboxClient>;
	const ids: Record<string, number> = {};
	checkSuiteAgainstContract('callbacks.test.ts', () => sandbox);

	beforeAll(async () => {
		sandbox = await startSandbox({ port: 0 });
		receiver = await startReceiver();
		request = sandboxClient(sandbox);
		const register = async (name: string, body: Row) => {
			const response = await request<Row>('POST', '/system/callbacks', { body: { url: `${receiver.url}/${name}`, type: 'ticket', description: name, ...body } });
			expect(response.status).toBe(201);
			ids[name] = response.body.id as number;
		};
		await register('owner-suppressed', { level: 'owner', objectId: 1, isSelfSuppressedFlag: true });
		await register('board-network', { level: 'board', objectId: 2, isSelfSuppressedFlag: false });
		await register('status-resolved', { level: 'status', objectId: 104 });
		await register('company-globex', { level: 'company', objectId: 251 });
		await register('inactive', { level: 'owner', objectId: 1, inactiveFlag: true });
	});

	afterAll(async () => {
		await sandbox.stop();
		await receiver.stop();
	});

	beforeEach(() => {
		sandbox.clearDeliveries();
		receiver.received.length = 0;
	});

	const names = (deliveries: Delivery[]) => deliveries.map((delivery) => new URL(delivery.url).pathname.slice(1)).sort();

	it('registers, lists, reads and deletes callbacks, and validates them', async () => {
		const list = await request<Row[]>('GET', '/system/callbacks');
		expect(list.body).toHaveLength(5);
		expect(list.body[0]).toMatchObject({ level: 'owner', objectId: 1, memberId: 152, isSelfSuppressedFlag: true, inactiveFlag: false, type: 'ticket' });
		expect((await request<Row>('GET', `/system/callbacks/${ids['board-network']}`)).body).toMatchObject({ objectId: 2, level: 'board' });
		const duplicate = await request('POST', '/system/callbacks', { body: { url: `${receiver.url}/board-network`, type: 'ticket', level: 'board', objectId: 2 } });
		expect(duplicate.status).toBe(400);
		expect(duplicate.body).toMatchObject({ code: 'InvalidObject', errors: [{ field: 'url', message: expect.stringMatching(/already exists/) }] });
		const invalid = await request<{ errors: Row[] }>('POST', '/system/callbacks', { body: { url: 'ftp://x', level: 'planet' } });
		expect(invalid.body.errors.map((error) => error.field).sort()).toEqual(['level', 'objectId', 'type', 'url']);
		const temporary = await request<Row>('POST', '/system/callbacks', { body: { url: `${receiver.url}/temp`, type: 'ticket', level: 'owner', objectId: 1 } });
		expect((await request('DELETE', `/system/callbacks/${temporary.body.id}`)).status).toBe(204);
		expect((await request('GET', `/system/callbacks/${temporary.body.id}`)).status).toBe(404);
		expect(sandbox.db.callbacks).toHaveLength(5);
	});

	it('delivers a signed ConnectWise payload to each matching level, suppressing the API member own owner-level callback', async () => {
		const created = await request<Row>('POST', '/service/tickets', { body: { summary: 'Globex router', company: { id: 251 }, board: { id: 2 } } });
		const deliveries = await sandbox.waitForDeliveries(2, 10000);
		expect(names(deliveries)).toEqual(['board-network', 'company-globex']);
		const delivery = deliveries[0];
		expect(delivery.status).toBe(200);
		const payload = JSON.parse(delivery.body);
		expect(payload).toMatchObject({ Action: 'added', Type: 'ticket', ID: created.body.id, MemberId: 'api', CompanyId: 'sandbox', Metadata: { key_url: sandbox.keyUrl } });
		expect(typeof payload.Entity).toBe('string');
		expect(JSON.parse(payload.Entity)).toEqual(created.body);
		expect(delivery.payload).toEqual(payload);

		// Verify as a receiver would: fetch the key from key_url, hash it, HMAC the raw body, compare.
		const received = receiver.received.find((item) => item.body === delivery.body);
		expect(received).toBeDefined();
		const keyResponse = await fetch(payload.Metadata.key_url);
		const { signing_key: signingKey } = (await keyResponse.json()) as { signing_key: string };
		expect(signingKey).toBe(sandbox.signingKey);
		const expected = createHmac('sha256', createHash('sha256').update(signingKey).digest()).update(received!.body).digest();
		const actual = Buffer.from(String(received!.headers['x-content-signature']), 'base64');
		expect(actual.length).toBe(32);
		expect(timingSafeEqual(actual, expected)).toBe(true);
		const tampered = createHmac('sha256', createHash('sha256').update(signingKey).digest()).update(`${received!.body} `).digest();
		expect(timingSafeEqual(actual, tampered)).toBe(false);
		expect((await fetch(`${sandbox.url}/callback-keys/unknown`)).status).toBe(404);
	});

	it('delivers to the URL as registered, query string included (PSA Trigger puts its callback token there)', async () => {
		const url = `${receiver.url}/with-query?psa_token=abc-DEF_123&x=1`;
		const registered = await request<Row>('POST', '/system/callbacks', { body: { url, type: 'ticket', level: 'company', objectId: 252 } });
		expect(registered.status).toBe(201);
		expect(registered.body.url).toBe(url);
		try {
			expect((await request<Row>('GET', `/system/callbacks/${registered.body.id}`)).body.url).toBe(url);
			const ticket = sandbox.addTicket({ summary: 'Query string', company: { id: 252 } });
			sandbox.changeTicket(ticket.id, { summary: 'Query string (edited)' }, { byMember: 'adoe' });
			// The owner-level callback registered above gets this change too.
			const deliveries = await sandbox.waitForDeliveries(2, 10000);
			expect(deliveries.filter((delivery) => delivery.callbackId === registered.body.id).map((delivery) => [delivery.url, delivery.status])).toEqual([[url, 200]]);
			expect(receiver.received.map((item) => item.path).filter((path) => path.startsWith('/with-query'))).toEqual(['/with-query?psa_token=abc-DEF_123&x=1']);
		} finally {
			await request('DELETE', `/system/callbacks/${registered.body.id}`);
		}
	});

	it('delivers UI changes by another member to self-suppressed callbacks too, and status-level ones on that status', async () => {
		const ticket = sandbox.addTicket({ summary: 'UI change', company: { id: 250 } });
		expect(sandbox.pendingDeliveries).toBe(0);
		const changed = sandbox.changeTicket(ticket.id, { statusId: 104 }, { byMember: 'adoe' });
		expect(changed).toMatchObject({ closedFlag: true, status: { id: 104 } });
		const deliveries = await sandbox.waitForDeliveries(2, 10000);
		expect(names(deliveries)).toEqual(['owner-suppressed', 'status-resolved']);
		expect(deliveries[0].payload).toMatchObject({ Action: 'updated', MemberId: 'adoe', ID: ticket.id });
		expect(() => sandbox.changeTicket(ticket.id, { statusId: 202 })).toThrow(/status id 202 is not valid for board 'Help Desk'/);
	});

	it('delivers nothing for changes with skipCallback, nor self-suppressed ones made by the API member', async () => {
		const ticket = sandbox.addTicket({ summary: 'Quiet', company: { id: 250 } });
		const patched = await request('PATCH', `/service/tickets/${ticket.id}`, {
			body: [
				{ op: 'replace', path: 'status', value: { id: 104 } },
				{ op: 'replace', path: 'skipCallback', value: true },
			],
		});
		expect(patched.status).toBe(200);
		const created = await request('POST', '/service/tickets', { body: { summary: 'Quiet too', company: { id: 251 }, board: { id: 2 }, skipCallback: true } });
		expect(created.status).toBe(201);
		// Dispatch happens before the response is written: nothing in flight and nothing delivered means nothing was sent.
		expect(sandbox.pendingDeliveries).toBe(0);
		expect(sandbox.deliveries).toHaveLength(0);
		// Only the owner-level callback matches this one, and it suppresses the API member's own changes.
		const other = sandbox.addTicket({ summary: 'Own changes', company: { id: 250 } });
		sandbox.changeTicket(other.id, { summary: 'by api' }, { byMember: 'api' });
		expect(sandbox.pendingDeliveries).toBe(0);
		const note = await request('POST', `/service/tickets/${other.id}/notes`, { body: { text: 'still quiet', detailDescriptionFlag: true } });
		expect(note.status).toBe(201);
		expect(sandbox.pendingDeliveries).toBe(0);
		expect(sandbox.deliveries).toHaveLength(0);
		// The same kind of change by a UI member is heard by the owner-level callback.
		sandbox.changeTicket(other.id, { summary: 'by jsmith' });
		expect(sandbox.pendingDeliveries).toBe(1);
		await sandbox.waitForDeliveries(1, 10000);
		expect(names(sandbox.deliveries)).toEqual(['owner-suppressed']);
	});

	it('records failed deliveries and times out waiting with a clear message', async () => {
		receiver.status = 500;
		try {
			const ticket = sandbox.addTicket({ summary: 'Failing receiver', company: { id: 250 } });
			sandbox.changeTicket(ticket.id, { summary: 'x' });
			const [delivery] = await sandbox.waitForDeliveries(1, 10000);
			expect(delivery.status).toBe(500);
		} finally {
			receiver.status = 200;
		}
		const unreachable = await request<Row>('POST', '/system/callbacks', { body: { url: 'http://127.0.0.1:9/gone', type: 'ticket', level: 'company', objectId: 252 } });
		sandbox.addTicket({ summary: 'no one listens', company: { id: 252 } });
		const ticket = sandbox.db.tickets[sandbox.db.tickets.length - 1];
		sandbox.clearDeliveries();
		sandbox.changeTicket(ticket.id, { summary: 'y' });
		const deliveries = await sandbox.waitForDeliveries(2, 10000);
		const failed = deliveries.find((delivery) => delivery.url.endsWith('/gone'));
		expect(failed).toMatchObject({ status: 0, error: expect.any(String) });
		await request('DELETE', `/system/callbacks/${unreachable.body.id}`);
		await expect(sandbox.waitForDeliveries(99, 50)).rejects.toThrow(/Expected 99 callback deliveries within 50 ms, got 2/);
	});
});
