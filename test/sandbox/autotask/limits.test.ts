// Autotask sandbox limits and faults (§10): thread limit per endpoint, hourly threshold, ThresholdInformation, each fault kind, control endpoint.
import { startReceiver } from '../receiver';
import { atClient, TICKET, useAutotaskSandbox, type Loose } from './client';
import { ACTIVE_TECHNICIAN_ID } from './data';
import type { AutotaskClock } from './options';
import { startAutotaskSandbox } from './server';

const ALL = { filter: [{ op: 'exist', field: 'id' }] };

describe('Autotask sandbox: thread limit and threshold', () => {
	it('refuses the 4th concurrent request per endpoint with the thread message; other endpoints and discovery are separate', async () => {
		const sandbox = await startAutotaskSandbox({ latencyMs: 150 });
		try {
			const request = atClient(sandbox);
			const zone = fetch(`${sandbox.url}/atservicesrest/v1.0/zoneInformation?user=${sandbox.credentials.username}`);
			const answers = await Promise.all([
				...Array.from({ length: 4 }, () => request('POST', '/Tickets/query', { body: ALL })),
				request('GET', '/Companies/175'),
				zone.then((response) => ({ status: response.status, body: null })),
			]);
			const statuses = answers.map((answer) => answer.status);
			expect(statuses.filter((status) => status === 429)).toHaveLength(1);
			expect(statuses.slice(4)).toEqual([200, 200]);
			const refused = answers.find((answer) => answer.status === 429);
			expect(refused?.body).toEqual({ errors: ['Thread Threshold Exceeded — The Autotask API thread threshold of 3 threads has been exceeded.'] });
			expect(sandbox.maxConcurrentSeen('Tickets')).toBe(3);
			expect(sandbox.maxConcurrentSeen('companies')).toBe(1);
			expect(sandbox.threadLimitRefusals).toBe(1);
			expect(sandbox.requests.filter((entry) => entry.fault === 'thread-limit')).toHaveLength(1);
		} finally {
			await sandbox.stop();
		}
	});

	it('answers the thread refusal with 500 when configured, and can be switched off', async () => {
		const sandbox = await startAutotaskSandbox({ latencyMs: 100, threadLimit: 1, threadLimitStatus: 500 });
		try {
			const request = atClient(sandbox);
			const statuses = (await Promise.all([request('GET', '/Tickets/7865'), request('POST', `/Tickets/7865/Notes`, { body: {} }), request('GET', '/Tickets/7866')])).map((answer) => answer.status);
			// /Tickets/{id}/Notes belongs to the TicketNotes endpoint, so only the second Tickets call is refused.
			expect(statuses[1]).toBe(500);
			expect(statuses.filter((status) => status === 500)).toHaveLength(2);
			expect(sandbox.requests.filter((entry) => entry.fault === 'thread-limit').map((entry) => entry.path)).toHaveLength(1);
			expect(sandbox.requests.find((entry) => entry.fault === 'thread-limit')?.entity).toBe('Tickets');
			sandbox.setThreadLimit(0);
			const free = await Promise.all(Array.from({ length: 5 }, () => request('GET', '/Companies/0')));
			expect(free.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
			expect(sandbox.maxConcurrentSeen('Companies')).toBe(5);
		} finally {
			await sandbox.stop();
		}
	});

	it('counts the rolling hour (ThresholdInformation counts itself) and refuses over the threshold with 429 until it drops', async () => {
		let now = Date.parse('2026-01-05T10:00:00Z');
		const clock: AutotaskClock = { now: () => now, setTimeout: (run, ms) => void setTimeout(run, ms) };
		const sandbox = await startAutotaskSandbox({ hourlyThreshold: 3, clock });
		try {
			const request = atClient(sandbox);
			expect((await request('GET', '/ThresholdInformation')).body).toEqual({ externalRequestThreshold: 3, requestThresholdTimeframe: 60, currentTimeframeRequestCount: 1 });
			await request('GET', '/Companies/175');
			now += 30 * 60 * 1000;
			expect((await request('GET', '/ThresholdInformation')).body.currentTimeframeRequestCount).toBe(3);
			const over = await request('GET', '/Companies/175');
			expect(over.status).toBe(429);
			expect(over.body.errors[0]).toMatch(/threshold/);
			now += 30 * 60 * 1000 + 1;
			expect((await request('GET', '/Companies/175')).status).toBe(200);
			expect((await fetch(`${sandbox.url}/atservicesrest/versioninformation`)).status).toBe(200);
		} finally {
			await sandbox.stop();
		}
	});
});

describe('Autotask sandbox: faults', () => {
	const fixture = useAutotaskSandbox();
	const { request } = fixture;
	beforeEach(() => {
		fixture.sandbox.clearFaults();
		fixture.sandbox.setRateLimit(0);
		fixture.sandbox.setLatency(0);
		fixture.sandbox.clearTickets();
		fixture.sandbox.resetLog();
	});
	const countTickets = () => fixture.sandbox.db.tickets.length;

	it('status faults: 429 with Retry-After, 5xx once by default, matched by method, template and RegExp', async () => {
		fixture.sandbox.addFault({ kind: 'status', status: 429, retryAfterSeconds: 7, times: 2, path: '/Companies/{id}' });
		const first = await request('GET', '/Companies/175');
		expect(first.status).toBe(429);
		expect(first.headers.get('retry-after')).toBe('7');
		expect((await request('GET', '/Companies/175')).status).toBe(429);
		expect((await request('GET', '/Companies/175')).status).toBe(200);
		for (const status of [500, 502, 503] as const) {
			fixture.sandbox.addFault({ method: 'POST', path: /\/tickets$/i, kind: 'status', status });
			expect((await request('GET', '/Tickets/query', { query: { search: JSON.stringify(ALL) } })).status).toBe(200);
			expect((await request('POST', '/Tickets', { body: TICKET })).status).toBe(status);
			expect(countTickets()).toBe(0);
		}
		expect((await request('POST', '/Tickets', { body: TICKET })).status).toBe(200);
	});

	it('drop, drop-after-commit, garbled, thread-limit and latency', async () => {
		fixture.sandbox.addFault({ method: 'POST', path: '/Tickets', kind: 'drop' });
		await expect(request('POST', '/Tickets', { body: TICKET })).rejects.toThrow();
		expect(countTickets()).toBe(0);
		fixture.sandbox.addFault({ method: 'POST', path: '/tickets', kind: 'drop-after-commit' });
		await expect(request('POST', '/Tickets', { body: { ...TICKET, externalID: 'lost' } })).rejects.toThrow();
		expect(fixture.sandbox.db.tickets.map((ticket) => ticket.externalID)).toEqual(['lost']);
		fixture.sandbox.addFault({ kind: 'garbled' });
		const garbled = await request('POST', '/Tickets', { body: TICKET });
		expect(garbled.status).toBe(200);
		expect(garbled.headers.get('content-type')).toMatch(/text\/html/);
		expect(countTickets()).toBe(2);
		fixture.sandbox.addFault({ kind: 'thread-limit' });
		const thread = await request('POST', '/Tickets', { body: TICKET });
		expect(thread).toMatchObject({ status: 429, body: { errors: [expect.stringMatching(/^Thread Threshold Exceeded/)] } });
		expect(countTickets()).toBe(2);
		fixture.sandbox.addFault({ kind: 'latency', ms: 120 });
		const started = performance.now();
		expect((await request('GET', '/Companies/175')).status).toBe(200);
		expect(performance.now() - started).toBeGreaterThanOrEqual(115);
		expect(fixture.sandbox.requests.map((entry) => [entry.status, entry.fault])).toEqual([
			[0, 'drop'],
			[0, 'drop-after-commit'],
			[200, 'garbled'],
			[429, 'thread-limit'],
			[200, 'latency'],
		]);
		expect(fixture.sandbox.counters()['POST /Tickets']).toBe(4);
	});

	it('late commits: hold answers after the commit, drop commits after the connection is gone', async () => {
		fixture.sandbox.addFault({ method: 'POST', kind: 'late-commit', ms: 80 });
		const held = request('POST', '/Tickets', { body: { ...TICKET, externalID: 'held' } });
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(fixture.sandbox.pendingLateCommits).toBe(1);
		expect(countTickets()).toBe(0);
		expect((await held).status).toBe(200);
		fixture.sandbox.addFault({ method: 'POST', kind: 'late-commit', ms: 60, respond: 'drop' });
		await expect(request('POST', '/Tickets', { body: { ...TICKET, externalID: 'late' } })).rejects.toThrow();
		expect(countTickets()).toBe(1);
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(fixture.sandbox.pendingLateCommits).toBe(0);
		expect(fixture.sandbox.db.tickets.map((ticket) => ticket.externalID)).toEqual(['held', 'late']);
	});

	it('rate limit per second answers 429 like the threshold', async () => {
		fixture.sandbox.setRateLimit(2);
		const statuses = [];
		for (let index = 0; index < 3; index++) statuses.push((await request('GET', '/Companies/175')).status);
		expect(statuses).toEqual([200, 200, 429]);
		expect(fixture.sandbox.requests[2].fault).toBe('rate-limit');
	});

	it('control endpoint: faults, limits, versions, requests, counters, db and UI changes', async () => {
		const control = (method: string, path: string, body?: unknown) =>
			fetch(`${fixture.sandbox.url}/__sandbox/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (response) => ({
				status: response.status,
				body: (await response.json()) as Loose,
			}));
		expect((await control('POST', 'faults', { kind: 'status', status: 503, pathPattern: '^/companies/' })).status).toBe(200);
		expect((await request('GET', '/Companies/175')).status).toBe(503);
		expect((await control('POST', 'faults', { kind: 'nope' })).status).toBe(400);
		for (const [path, body] of [['latency', { ms: 0 }], ['rate-limit', { perSecond: 0 }], ['thread-limit', { limit: 3 }], ['versions', { versions: ['V1.0', 'V2.0'] }]] as const) {
			expect((await control('POST', path, body)).status).toBe(200);
		}
		expect(fixture.sandbox.versions).toEqual(['V1.0', 'V2.0']);
		fixture.sandbox.setVersions(['V1.0']);
		expect((await control('GET', 'requests')).body).toHaveLength(1);
		expect((await control('GET', 'counters')).body).toMatchObject({ 'GET /Companies/{id}': 1, total: 1 });
		const ticket = fixture.sandbox.addTicket(TICKET);
		const changed = await control('POST', `tickets/${ticket.id}/change`, { status: 7, byResourceId: ACTIVE_TECHNICIAN_ID });
		expect(changed.body).toMatchObject({ id: ticket.id, status: 7, lastActivityResourceID: ACTIVE_TECHNICIAN_ID });
		expect((await control('GET', 'db')).body.companies).toHaveLength(4);
		expect((await control('GET', 'deliveries')).body).toEqual([]);
		expect((await control('DELETE', 'requests')).status).toBe(200);
		expect(fixture.sandbox.requests).toHaveLength(0);
		expect((await control('GET', 'nothing')).status).toBe(404);
	});

	it('retries failed callouts after webhookRetryDelaysMs and stop() cancels pending retries', async () => {
		const receiver = await startReceiver();
		receiver.status = 503;
		const sandbox = await startAutotaskSandbox({ webhookRetryDelaysMs: [30, 30] });
		try {
			const request = atClient(sandbox);
			const hook = await request('POST', '/TicketWebhooks', {
				body: { name: 'r', webhookUrl: receiver.url, deactivationUrl: receiver.url, secretKey: 'k'.repeat(16), isActive: true, sendThresholdExceededNotification: false, isSubscribedToUpdateEvents: true },
			});
			await request('POST', `/TicketWebhooks/${hook.body.itemId}/Fields`, { body: { fieldID: 5, isSubscribedField: true, isDisplayAlwaysField: false } });
			const ticket = sandbox.addTicket(TICKET);
			sandbox.changeTicket(ticket.id, { status: 8 });
			const deliveries = await sandbox.waitForDeliveries(3, 3000);
			expect(deliveries.map((delivery) => [delivery.attempt, delivery.status])).toEqual([
				[1, 503],
				[2, 503],
				[3, 503],
			]);
			expect(new Set(deliveries.map((delivery) => delivery.body)).size).toBe(1);
		} finally {
			await sandbox.stop();
			await receiver.stop();
		}
	});
});
