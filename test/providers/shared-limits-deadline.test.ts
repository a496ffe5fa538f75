// With limits shared through the store, nothing is sent later than the retry budget after the first attempt (the settle
// window of docs/reliability.md counts on it), however late the store hands out a slot or fails.
import { RequestLimiter } from '../../lib/providers/limiter';
import { RequestSender, type RetryPolicy } from '../../lib/providers/request';
import { withSharedLimits } from '../../lib/providers/shared-limits';
import { storeRequestLimits } from '../../lib/services/shared-limits';
import { PsaError } from '../../lib/providers/errors';
import type { RequestLimitsRepository } from '../../lib/store/types';

const POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 8000, budgetMs: 30_000, requestTimeoutMs: 30_000 };

function setup(tryAcquire: RequestLimitsRepository['tryAcquire']) {
	let now = 1_000_000;
	const clock = { now: () => now, sleep: async (ms: number) => void (now += ms), random: () => 0.5 };
	const repository: RequestLimitsRepository = {
		tryAcquire,
		release: async () => undefined,
		addRequests: async () => undefined,
		requestsSince: async () => ({ requests: 0, now }),
	};
	const shared = storeRequestLimits(repository, { now: clock.now, sleep: clock.sleep, random: clock.random });
	const limiter = withSharedLimits(new RequestLimiter({ clock, concurrencyPerEndpoint: 3 }), { shared, key: 'k', perEndpoint: 3, leaseMs: 35_000, clock });
	const sentAt: number[] = [];
	const sender = new RequestSender(
		async () => {
			sentAt.push(now);
			return { status: 200, headers: {}, body: { itemId: 1 } };
		},
		POLICY,
		clock,
		undefined,
		{ limiter },
	);
	return { clock, sender, sentAt, advance: (ms: number) => (now += ms) };
}

const send = (sender: RequestSender) =>
	sender.send({ method: 'POST', url: 'https://webservices5.autotask.net/ATServicesRest/V1.0/Tickets', headers: {}, endpoint: 'Tickets' }, { idempotent: false, noAnswer: (error) => new PsaError('unavailable', String(error)) });

it('a slow store (pool exhausted, lock wait, partition) that hands the slot out after the budget: nothing is sent', async () => {
	let started = 0;
	const { clock, sender, sentAt, advance } = setup(async () => {
		advance(400_000); // the store call returned after 400 s (> Autotask's 370 s settle window)
		return 0;
	});
	started = clock.now();
	await send(sender).catch(() => undefined);
	// Expected: never sent later than budgetMs after the first attempt began (else the claim may already be taken over).
	expect(sentAt.length === 0 || sentAt[0] - started <= POLICY.budgetMs).toBe(true);
});

it('an unreachable store whose call fails only after the budget: nothing is sent', async () => {
	const { clock, sender, sentAt, advance } = setup(async () => {
		advance(120_000); // e.g. pg connect timeout / TCP retransmission timeout
		throw new Error('connect ETIMEDOUT');
	});
	const started = clock.now();
	await send(sender).catch(() => undefined);
	expect(sentAt.length === 0 || sentAt[0] - started <= POLICY.budgetMs).toBe(true);
});

it("a permit holding a shared slot says, like the process's own, whether its release handed the slot to a waiting request", async () => {
	let slot = 0;
	const clock = { now: () => 1_000_000, sleep: async () => undefined };
	const shared = storeRequestLimits({ tryAcquire: async () => slot++, release: async () => undefined, addRequests: async () => undefined, requestsSince: async () => ({ requests: 0, now: clock.now() }) }, clock);
	const limiter = withSharedLimits(new RequestLimiter({ clock, concurrency: 1, initialConcurrency: 1 }), { shared, key: 'k', perEndpoint: 3, leaseMs: 35_000, clock });
	const first = await limiter.acquire({ endpoint: 'Tickets' });
	const second = limiter.acquire({ endpoint: 'Tickets' });
	expect(first.release()).toBe(true);
	expect((await second).release()).toBe(false);
});

it("a slot this process has given back but the store has not yet written is waited for, not polled for", async () => {
	// One slot; the release of the request that held it reaches the store only when `written` is called.
	let held = false;
	let written = () => undefined as void;
	const sleeps: number[] = [];
	const repository: RequestLimitsRepository = {
		tryAcquire: async () => (held ? undefined : ((held = true), 0)),
		release: () => new Promise<void>((resolve) => (written = () => ((held = false), resolve()))),
		addRequests: async () => undefined,
		requestsSince: async () => ({ requests: 0, now: 0 }),
	};
	// Polls are real timers here (2.5 ms at the least): the write below comes in this turn of the event loop, before any.
	const shared = storeRequestLimits(repository, { sleep: (ms) => new Promise<void>((resolve) => setTimeout(() => (sleeps.push(ms), resolve()), ms)) });
	const first = await shared.acquire('k', 1, Date.now() + 30_000, 35_000);
	first?.release();
	const second = shared.acquire('k', 1, Date.now() + 30_000, 35_000);
	await new Promise((resolve) => setImmediate(resolve));
	written();
	expect(await second).toBeDefined();
	expect(sleeps).toEqual([]);
});

it('a write of its own that never lands does not stop the polls: a slot another worker frees is still taken', async () => {
	// Slot 0 is this process's, given back but its write hangs (a stuck connection); slot 1 is another worker's, freed later.
	let otherHolds = true;
	let polls = 0;
	const repository: RequestLimitsRepository = {
		tryAcquire: async () => {
			polls++;
			return otherHolds ? undefined : 1;
		},
		release: () => new Promise<void>(() => undefined),
		addRequests: async () => undefined,
		requestsSince: async () => ({ requests: 0, now: 0 }),
	};
	let now = 1_000_000;
	// Each poll interval passes in one turn of the event loop.
	const shared = storeRequestLimits(repository, { now: () => now, sleep: (ms) => new Promise<void>((resolve) => setImmediate(() => ((now += ms), resolve()))) });
	otherHolds = false;
	const mine = await shared.acquire('k', 2, now + 30_000, 35_000);
	otherHolds = true;
	mine?.release();
	const next = shared.acquire('k', 2, now + 30_000, 35_000);
	for (let turn = 0; turn < 20 && polls < 4; turn++) await new Promise((resolve) => setImmediate(resolve));
	otherHolds = false;
	expect(await next).toBeDefined();
	expect(polls).toBeGreaterThanOrEqual(4);
});
