// Limits Autotask counts per integration, held by two workers together through one PostgreSQL store: slots, their leases, the shared hourly budget.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { PsaCache } from '../../lib/cache';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { linkKeyOf } from '../../lib/providers/link-key';
import { createProvider } from '../../lib/providers/registry';
import { storeRequestLimits } from '../../lib/services/shared-limits';
import { openStore, type PostgresStoreOptions } from '../../lib/store';
import type { PsaStore } from '../../lib/store/types';
import { startAutotaskSandbox, type AutotaskSandbox } from '../sandbox/autotask';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

let database: TestDatabase;
let sandbox: AutotaskSandbox;
const stores: PsaStore[] = [];
const keys = [generateFernetKey()];

beforeAll(async () => {
	database = await createTestDatabase('psa_shared_limits');
	sandbox = await startAutotaskSandbox({ port: 0, latencyMs: 40 });
});
afterAll(async () => {
	await Promise.all(stores.map((store) => store.close()));
	await sandbox?.stop();
	await database?.drop();
});

/** A worker: its own store connection pool and its own limiter (the limiter registry is keyed by the clock's sleep). */
async function worker(shared: boolean) {
	const store = await openStore({ engine: 'postgres', host: database.host, port: database.port, user: database.user, database: database.database, keys } as PostgresStoreOptions);
	stores.push(store);
	const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
	return createProvider('autotaskPsaApi', { ...sandbox.credentials }, {
		http: createFetchTransport({ timeoutMs: 5000 }),
		cache: new PsaCache(),
		sleep,
		...(shared ? { sharedLimits: storeRequestLimits(store.requestLimits) } : {}),
	});
}

async function burst(label: string, shared: boolean): Promise<{ refusals: number; maxInFlight: number; tickets: number }> {
	const workers = [await worker(shared), await worker(shared)];
	await Promise.all(workers.map((psa) => psa.listPriorities()));
	sandbox.resetLog();
	const before = sandbox.threadLimitRefusals;
	// Each worker runs 3 creates at once (its own limiter allows 3 per endpoint): 6 together against Autotask's 3.
	await Promise.all(
		workers.flatMap((psa, index) =>
			Array.from({ length: 3 }, async (_, lane) => {
				for (let round = 0; round < 4; round++) {
					await psa.createTicket({ summary: `${label} ${index}-${lane}-${round}`, companyId: 175, externalRef: linkKeyOf(label, `${index}-${lane}-${round}`) }, { retrySafe: true });
				}
			}),
		),
	);
	return {
		refusals: sandbox.threadLimitRefusals - before,
		maxInFlight: sandbox.maxConcurrentSeen('Tickets'),
		tickets: sandbox.db.tickets.filter((ticket) => String(ticket.externalID ?? "").startsWith(`${label}:`)).length,
	};
}

it('two workers without a shared place trip the thread limit (the baseline); with the PostgreSQL store they never do', async () => {
	const alone = await burst('alone', false);
	console.info(`two workers, per-process limits only: ${JSON.stringify(alone)}`);
	expect(alone.refusals).toBeGreaterThan(0);
	expect(alone.tickets).toBe(24);

	const together = await burst('together', true);
	console.info(`two workers sharing slots through PostgreSQL: ${JSON.stringify(together)}`);
	expect(together.refusals).toBe(0);
	expect(together.tickets).toBe(24);
});

it('slots: capacity held, released, and a dead holder\'s lease taken over when it ends; the hourly count adds up across workers', async () => {
	const [a, b] = [stores[0].requestLimits, stores[1].requestLimits];
	const key = `slots-${Date.now()}`;
	const taken = [await a.tryAcquire(key, 2, 'worker-a', 60_000), await b.tryAcquire(key, 2, 'worker-b', 60_000)];
	expect(taken.sort()).toEqual([0, 1]);
	expect(await a.tryAcquire(key, 2, 'worker-a', 60_000)).toBeUndefined();
	await b.release(key, taken[1]!, 'worker-a');
	expect(await a.tryAcquire(key, 2, 'worker-a', 60_000)).toBeUndefined();
	await b.release(key, 1, 'worker-b');
	expect(await a.tryAcquire(key, 2, 'worker-a', 60_000)).toBe(1);
	// A worker killed while holding a slot: its short lease ends and the slot is free again.
	const dead = `dead-${Date.now()}`;
	expect(await a.tryAcquire(dead, 1, 'killed', 50)).toBe(0);
	expect(await b.tryAcquire(dead, 1, 'alive', 60_000)).toBeUndefined();
	await new Promise((resolve) => setTimeout(resolve, 80));
	expect(await b.tryAcquire(dead, 1, 'alive', 60_000)).toBe(0);

	const budget = `budget-${Date.now()}`;
	await a.addRequests(budget, 7);
	await b.addRequests(budget, 5);
	expect((await a.requestsSince(budget, 60 * 60 * 1000)).requests).toBe(12);
	expect(await a.tryAcquire(key, 0, 'x', 1000).catch((error: Error) => error.message)).toMatch(/capacity/);
});

it("a lapsed holder's late release cannot free the slot someone took after it (one holder per acquisition)", async () => {
	const folder = mkdtempSync(join(tmpdir(), 'psa-slots-'));
	let now = 1_000_000;
	const store = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite'), clock: () => now });
	try {
		const limits = storeRequestLimits(store.requestLimits, { now: () => now, sleep: async (ms) => void (now += ms) });
		const first = await limits.acquire('lapse', 1, now + 1000, 35_000);
		expect(first).toBeDefined();
		now += 36_000;
		const second = await limits.acquire('lapse', 1, now + 1000, 35_000);
		expect(second).toBeDefined();
		first?.release();
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(await limits.acquire('lapse', 1, now + 50, 35_000)).toBeUndefined();
		second?.release();
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(await limits.acquire('lapse', 1, now + 50, 35_000)).toBeDefined();
	} finally {
		await store.close();
		rmSync(folder, { recursive: true, force: true });
	}
});
