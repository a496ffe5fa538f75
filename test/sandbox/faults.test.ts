// Injected faults: status codes with Retry-After, dropped connections (before and after commit), latency, rate limit, control endpoint.
import { sandboxClient, useSandbox } from './client';
import { startSandbox } from './index';

type Row = Record<string, unknown>;

/** How long a call took, in ms; the sandbox's delays are lower bounds on it. */
async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
	const started = performance.now();
	const result = await call();
	return { result, ms: performance.now() - started };
}

// Timers may fire up to a millisecond early; the margin keeps the lower bounds exact in spirit.
const TIMER_MARGIN_MS = 5;

describe('sandbox faults', () => {
	const fixture = useSandbox();
	const { request } = fixture;

	beforeEach(() => {
		fixture.sandbox.clearFaults();
		fixture.sandbox.setRateLimit(0);
		fixture.sandbox.setLatency(0);
		fixture.sandbox.resetLog();
	});

	it('answers 429 with Retry-After the given number of times, then normally', async () => {
		fixture.sandbox.addFault({ kind: 'status', status: 429, retryAfterSeconds: 7, times: 2 });
		const first = await request('GET', '/service/boards');
		expect(first.status).toBe(429);
		expect(first.headers.get('retry-after')).toBe('7');
		expect(first.body).toMatchObject({ code: 'TooManyRequests' });
		expect((await request('GET', '/service/boards')).status).toBe(429);
		expect((await request('GET', '/service/boards')).status).toBe(200);
		expect(fixture.sandbox.requests.map((entry) => [entry.status, entry.fault])).toEqual([
			[429, 'status'],
			[429, 'status'],
			[200, undefined],
		]);
	});

	it.each([500, 502, 503] as const)('answers %i once by default, only for the matching method and path', async (status) => {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status });
		expect((await request('GET', '/service/tickets')).status).toBe(200);
		const before = fixture.sandbox.db.tickets.length;
		const failed = await request('POST', '/service/tickets', { body: { summary: 'x', company: { id: 250 } } });
		expect(failed.status).toBe(status);
		expect(failed.headers.get('retry-after')).toBeNull();
		expect(fixture.sandbox.db.tickets.length).toBe(before);
		expect((await request('POST', '/service/tickets', { body: { summary: 'x', company: { id: 250 } } })).status).toBe(201);
	});

	it('answers 500 with ConnectWise\'s error body and 502-504 with a gateway\'s page; afterCommit does the work first', async () => {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 500 });
		expect((await request('POST', '/service/tickets', { body: { summary: 'x', company: { id: 250 } } })).body).toMatchObject({ code: 'ServerError' });
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 504 });
		const gateway = await request('POST', '/service/tickets', { body: { summary: 'x', company: { id: 250 } } });
		expect(gateway.headers.get('content-type')).toBe('text/html');
		expect(gateway.body).toContain('504 Gateway Timeout');
		const before = fixture.sandbox.db.tickets.length;
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 502, afterCommit: true });
		expect((await request('POST', '/service/tickets', { body: { summary: 'committed', company: { id: 250 }, externalXRef: 'gw:1' } })).status).toBe(502);
		expect(fixture.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'gw:1')).toHaveLength(1);
		expect(fixture.sandbox.db.tickets.length).toBe(before + 1);
	});

	it('matches templated paths and regular expressions', async () => {
		const ticket = fixture.sandbox.addTicket({ summary: 'fault target', company: { id: 250 } });
		fixture.sandbox.addFault({ path: '/service/tickets/{id}', kind: 'status', status: 503 });
		fixture.sandbox.addFault({ path: /\/notes$/, kind: 'status', status: 502 });
		expect((await request('GET', `/service/tickets/${ticket.id}/notes`)).status).toBe(502);
		expect((await request('GET', `/service/tickets/${ticket.id}`)).status).toBe(503);
		expect((await request('GET', `/service/tickets/${ticket.id}`)).status).toBe(200);
	});

	it('drops the connection without performing the request', async () => {
		const before = fixture.sandbox.db.tickets.length;
		fixture.sandbox.addFault({ method: 'POST', kind: 'drop' });
		await expect(request('POST', '/service/tickets', { body: { summary: 'never', company: { id: 250 }, externalXRef: 'drop:1' } })).rejects.toThrow();
		expect(fixture.sandbox.db.tickets.length).toBe(before);
		expect(fixture.sandbox.requests[0]).toMatchObject({ method: 'POST', status: 0, fault: 'drop' });
	});

	it('drops the connection after committing: the ticket exists though the client saw no response', async () => {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit' });
		await expect(
			request('POST', '/service/tickets', { body: { summary: 'lost response', company: { id: 250 }, externalXRef: 'alert:lost-1' } }),
		).rejects.toThrow();
		const found = await request<Row[]>('GET', '/service/tickets', { query: { conditions: 'externalXRef = "alert:lost-1"' } });
		expect(found.body).toHaveLength(1);
		expect(found.body[0]).toMatchObject({ summary: 'lost response' });
		expect(fixture.sandbox.requests[0]).toMatchObject({ status: 0, fault: 'drop-after-commit' });
		expect(fixture.sandbox.counters()['POST /service/tickets']).toBe(1);
	});

	it('delays by a latency fault or global latency and still answers', async () => {
		fixture.sandbox.addFault({ kind: 'latency', ms: 150 });
		const faulted = await timed(() => request('GET', '/system/info'));
		expect(faulted.result.status).toBe(200);
		expect(faulted.ms).toBeGreaterThanOrEqual(150 - TIMER_MARGIN_MS);
		fixture.sandbox.setLatency(100);
		const global = await timed(() => request('GET', '/system/info'));
		expect(global.result.status).toBe(200);
		expect(global.ms).toBeGreaterThanOrEqual(100 - TIMER_MARGIN_MS);
		expect(fixture.sandbox.requests.map((entry) => entry.fault)).toEqual(['latency', undefined]);
		expect(() => fixture.sandbox.setLatency(-1)).toThrow(/latency/);
	});

	it('limits requests per second with 429 and Retry-After', async () => {
		fixture.sandbox.setRateLimit(2);
		const responses = await Promise.all(Array.from({ length: 10 }, () => request('GET', '/service/priorities')));
		const limited = responses.filter((response) => response.status === 429);
		expect(limited.length).toBeGreaterThan(0);
		expect(responses.filter((response) => response.status === 200).length).toBeGreaterThanOrEqual(1);
		expect(limited[0].headers.get('retry-after')).toBe('1');
		expect(limited[0].body).toMatchObject({ code: 'TooManyRequests' });
		expect(fixture.sandbox.requests.filter((entry) => entry.fault === 'rate-limit')).toHaveLength(limited.length);
		fixture.sandbox.setRateLimit(0);
		expect((await request('GET', '/service/priorities')).status).toBe(200);
		expect(() => fixture.sandbox.setRateLimit(1.5)).toThrow(/rate limit/);
	});

	it('takes rate limit and latency as start options', async () => {
		const limited = await startSandbox({ port: 0, rateLimitPerSecond: 1, latencyMs: 120 });
		try {
			const client = sandboxClient(limited);
			const first = await timed(() => client('GET', '/system/info'));
			expect(first.result.status).toBe(200);
			expect(first.ms).toBeGreaterThanOrEqual(120 - TIMER_MARGIN_MS);
			const statuses = (await Promise.all([client('GET', '/system/info'), client('GET', '/system/info'), client('GET', '/system/info')])).map((response) => response.status);
			expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
		} finally {
			await limited.stop();
		}
	});

	it('rejects malformed faults', () => {
		expect(() => fixture.sandbox.addFault({ kind: 'explode' } as never)).toThrow(/fault.kind/);
		expect(() => fixture.sandbox.addFault({ kind: 'status', status: 418 } as never)).toThrow(/fault.status/);
		expect(() => fixture.sandbox.addFault({ kind: 'drop', times: 0 })).toThrow(/fault.times/);
		expect(() => fixture.sandbox.addFault({ kind: 'latency', ms: Number.NaN })).toThrow(/fault.ms/);
	});

	it('takes faults, latency, rate limit, version policies and UI changes over the control endpoint', async () => {
		const control = (method: string, path: string, body?: unknown) =>
			fetch(`${fixture.sandbox.url}/__sandbox/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
		expect((await control('POST', 'faults', { kind: 'status', status: 503, pathPattern: '^/service/boards$', times: 5 })).status).toBe(200);
		expect((await request('GET', '/service/boards')).status).toBe(503);
		expect((await request('GET', '/service/priorities')).status).toBe(200);
		expect((await control('DELETE', 'faults')).status).toBe(200);
		expect((await request('GET', '/service/boards')).status).toBe(200);
		const bad = await control('POST', 'faults', { kind: 'status', status: 404 });
		expect(bad.status).toBe(400);
		expect(await bad.json()).toEqual({ error: 'fault.status must be 429, 500, 502, 503 or 504' });

		expect((await control('POST', 'latency', { ms: 50 })).status).toBe(200);
		const slowed = await timed(() => request('GET', '/service/priorities'));
		expect(slowed.result.status).toBe(200);
		expect(slowed.ms).toBeGreaterThanOrEqual(50 - TIMER_MARGIN_MS);
		expect((await control('POST', 'latency', { ms: 0 })).status).toBe(200);
		expect((await control('POST', 'latency', { ms: -1 })).status).toBe(400);

		expect((await control('POST', 'rate-limit', { perSecond: 1 })).status).toBe(200);
		const burst = await Promise.all(Array.from({ length: 4 }, () => request('GET', '/service/priorities')));
		expect(burst.filter((response) => response.status === 429).length).toBeGreaterThanOrEqual(1);
		expect((await control('POST', 'rate-limit', { perSecond: 0 })).status).toBe(200);
		const afterReset = await Promise.all(Array.from({ length: 4 }, () => request('GET', '/service/priorities')));
		expect(afterReset.map((response) => response.status)).toEqual([200, 200, 200, 200]);
		expect((await control('POST', 'version-policies', { path: '/system/info', gone: true })).status).toBe(200);
		expect((await request('GET', '/system/info')).status).toBe(410);
		expect((await control('DELETE', 'version-policies')).status).toBe(200);
		expect((await request('GET', '/system/info')).status).toBe(200);

		const ticket = fixture.sandbox.addTicket({ summary: 'over http', company: { id: 250 } });
		const changed = await control('POST', `tickets/${ticket.id}/change`, { statusId: 102, byMember: 'adoe' });
		expect(await changed.json()).toMatchObject({ status: { id: 102 }, _info: { updatedBy: 'adoe' } });
		expect((await control('POST', `tickets/${ticket.id}/change`, { statusId: 999 })).status).toBe(400);
		expect((await control('GET', 'nothing')).status).toBe(404);
		expect((await control('DELETE', 'requests')).status).toBe(200);
		expect(fixture.sandbox.requests).toEqual([]);
	});
});
