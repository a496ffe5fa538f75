// Two ConnectWise providers on one connection against the rate-limited sandbox: one limiter holds them both under its ceiling, and a Retry-After pauses both.
import { PsaCache } from '../../lib/cache';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import type { HttpRequest, HttpTransport } from '../../lib/providers/http';
import { limiterFor, resetLimiters } from '../../lib/providers/limiter';
import { connectionIdFor, createProvider } from '../../lib/providers/registry';
import { startSandbox, type Sandbox } from '../sandbox';

const CEILING = 6;
const RATE_LIMIT = 50;

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ port: 0, rateLimitPerSecond: RATE_LIMIT, latencyMs: 20 });
});

afterAll(async () => {
	resetLimiters();
	await sandbox?.stop();
});

it('two providers on the same connection stay together under the connection limiter\'s ceiling, and a 429 pauses both', async () => {
	const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
	const fetchTransport = createFetchTransport({ timeoutMs: 5000 });
	let inFlight = 0;
	let maxInFlight = 0;
	const sends: number[] = [];
	const throttledAt: number[] = [];
	const http: HttpTransport = async (request: HttpRequest) => {
		inFlight++;
		maxInFlight = Math.max(maxInFlight, inFlight);
		sends.push(Date.now());
		try {
			const response = await fetchTransport(request);
			if (response.status === 429) throttledAt.push(Date.now());
			return response;
		} finally {
			inFlight--;
		}
	};
	const credentials = { ...sandbox.credentials, apiVersion: '2025.8' };
	const deps = { http, cache: new PsaCache(), sleep, now: Date.now };
	const first = createProvider('connectWisePsaApi', credentials, deps);
	const second = createProvider('connectWisePsaApi', credentials, { ...deps, cache: new PsaCache() });
	// The registry hands both providers (and this test) the same limiter: same connection, same clock.
	const limiter = limiterFor(connectionIdFor('connectWisePsaApi', credentials), {}, { now: Date.now, sleep });
	limiter.declare({ concurrency: CEILING });

	const ticket = await first.createTicket({ summary: 'limiter', companyId: 250, boardId: 1, externalRef: 'limiter:1' });
	const calls = 120;
	const worker = async (provider: typeof first, count: number) => {
		for (let i = 0; i < count; i++) await provider.getTicket(ticket.id);
	};
	// 40 callers, 20 per provider, far more than the ceiling.
	const results = await Promise.allSettled(Array.from({ length: 40 }, (_, index) => worker(index % 2 === 0 ? first : second, calls / 40)));

	expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
	expect(throttledAt.length).toBeGreaterThan(0);
	expect(maxInFlight).toBeLessThanOrEqual(CEILING);
	expect(limiter.snapshot()).toMatchObject({ inFlight: 0, queued: 0 });
	const total = sandbox.requests.length;
	const served429 = sandbox.requests.filter((entry) => entry.status === 429).length;
	expect(served429 / total).toBeLessThan(0.1);
	// Retry-After: 1 paused the connection: after a 429 arrived, no request of either provider started for about a second.
	for (const at of throttledAt) {
		const during = sends.filter((sent) => sent > at + 20 && sent < at + 950);
		expect(during).toEqual([]);
	}
}, 60_000);
