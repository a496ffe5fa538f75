// Fault family: several Autotask workers (each its own provider, limiter and PostgreSQL pool) sharing the store's request
// slots under the 3-threads-per-endpoint limit, on real time, with faults and workers killed while they hold slots.
import fc from 'fast-check';
import { PsaCache } from '../../lib/cache';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import type { HttpTransport } from '../../lib/providers/http';
import { createProvider } from '../../lib/providers/registry';
import type { PsaServiceContext } from '../../lib/services';
import { storeRequestLimits } from '../../lib/services/shared-limits';
import { openStore } from '../../lib/store';
import type { PsaStore, RequestLimitsRepository } from '../../lib/store/types';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { fail, faultsArb, familyViolations, freshSource, type Family } from './families';
import { callOp, isClearError, refire, SANDBOX_FAULT_CLASS, type NamedSchedule, type Op, type Schedule, type SoakStats } from './schedule';
import { autotaskTarget, type FaultPlan, type FaultTarget, type PsaTarget, type TargetSandbox } from './targets';
import { Killed, MAX_WORKERS } from './world';

/**
 * Real time, short: the request timeout bounds a slot's lease (timeout + the provider's 5 s margin), the budget bounds
 * a wait for a slot, and the settle window covers the budget plus the latest commit. The PSA's work (latency + a late
 * commit) stays well under the client's timeout: a request the client gave up on still holds a thread in the PSA while
 * its slot is free again (Autotask then refuses the next one, which the provider sends again), so a commit near the
 * timeout on a loaded machine showed 4 in flight (seed 519458319, path 7, late commits of 396 ms against 500 ms).
 */
export const LIMITS_TIMING = { latencyMs: 30, requestTimeoutMs: 500, budgetMs: 3000, maxCommitDelayMs: 200, settleMs: 3800 };
/** Autotask's threads per endpoint, as the sandbox enforces them. */
const THREADS = 3;
/** The refusal texts of Autotask's thread limit (the provider's own list): none may reach a user. */
const THREAD_REFUSAL = /thread threshold|threads? (has|have) been exceeded/i;

export interface LimitsWorker {
	startMs: number;
	/** Items run side by side in this worker (n8n's Concurrency): up to 3 lanes of calls. */
	lanes: number;
	ops: Array<{ op: Op; gapMs: number }>;
	/** Killed this long after the start: every store and PSA call fails from then on, and its slots are never given back. */
	killAtMs?: number;
}

export interface LimitsSchedule {
	entities: number;
	keys: number;
	workers: LimitsWorker[];
	faults: FaultPlan[];
}

export interface LimitsWorld {
	target: PsaTarget;
	engine: 'postgres';
	sandbox: TargetSandbox;
	stores: PsaStore[];
	close(): Promise<void>;
}

export async function startLimitsWorld(): Promise<LimitsWorld> {
	// Room for more threads than Autotask allows: a fourth request at once is then seen in flight, not refused, and the
	// injected thread-limit refusals (which the sandbox counts with its own) do not blur the count.
	const sandbox = await autotaskTarget.start(undefined, { latencyMs: LIMITS_TIMING.latencyMs, threadLimit: 2 * THREADS });
	const database: TestDatabase = await createTestDatabase('psa_faults_limits');
	const keys = [generateFernetKey()];
	const stores: PsaStore[] = [];
	for (let slot = 0; slot < MAX_WORKERS + 1; slot++) {
		stores.push(await openStore({ engine: 'postgres', host: database.host, port: database.port, user: database.user, database: database.database, keys, poolSize: 3 }));
	}
	return {
		target: autotaskTarget,
		engine: 'postgres',
		sandbox,
		stores,
		async close() {
			await Promise.all(stores.map((store) => store.close()));
			await sandbox.stop();
			await database.drop();
		},
	};
}

/** One worker process: its own cache, limiter and provider; dead means no call of it answers any more. */
class LimitsProcess {
	dead = false;
	killed = false;

	constructor(private readonly world: LimitsWorld, private readonly slot: number) {}

	private async step<T>(work: () => Promise<T>): Promise<T> {
		if (this.dead) throw new Killed();
		const result = await work();
		if (this.dead) throw new Killed();
		return result;
	}

	kill(): void {
		this.dead = true;
		this.killed = true;
	}

	/** A dead process answers nothing: its slots stay taken until their lease ends. */
	private limits(inner: RequestLimitsRepository): RequestLimitsRepository {
		const never = new Promise<never>(() => undefined);
		return {
			tryAcquire: (...args) => (this.dead ? never : inner.tryAcquire(...args)),
			release: (...args) => (this.dead ? never : inner.release(...args)),
			addRequests: (...args) => (this.dead ? never : inner.addRequests(...args)),
			requestsSince: (...args) => (this.dead ? never : inner.requestsSince(...args)),
		};
	}

	private store(inner: PsaStore): PsaStore {
		const wrapped: Record<string, unknown> = { engine: inner.engine, location: inner.location, appliedMigrations: inner.appliedMigrations, requestLimits: this.limits(inner.requestLimits) };
		for (const name of ['connections', 'links', 'noteReceipts', 'memberMap', 'statusMap', 'audit'] as const) {
			const repository = inner[name] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
			wrapped[name] = new Proxy(repository, {
				get: (target, property) => {
					const value = target[property as string];
					return typeof value === 'function' ? (...args: unknown[]) => this.step(() => value.apply(target, args)) : value;
				},
			});
		}
		wrapped.close = () => Promise.resolve();
		return wrapped as unknown as PsaStore;
	}

	context(): PsaServiceContext {
		const inner = this.world.stores[this.slot];
		const store = this.store(inner);
		const http = createFetchTransport();
		const transport: HttpTransport = (request) => this.step(() => http(request));
		const cache = new PsaCache();
		const provider = createProvider(this.world.target.credentialType, this.world.sandbox.credentials, {
			http: transport,
			cache,
			// A sleep of its own: the limiter registry is keyed by it, so each worker gets its own limiter, as a process would.
			sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
			sharedLimits: storeRequestLimits(store.requestLimits),
			retry: { requestTimeoutMs: LIMITS_TIMING.requestTimeoutMs, budgetMs: LIMITS_TIMING.budgetMs },
			outcomeSettleMs: LIMITS_TIMING.settleMs,
		});
		return { provider, store, cache, now: Date.now };
	}
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const FAULT_TARGETS: FaultTarget[] = ['create', 'create', 'note', 'note', 'search', 'notes-list', 'lookup'];

function opArb(entities: number, keys: number): fc.Arbitrary<Op> {
	return fc.oneof(
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant('link' as const), entity: fc.nat(entities - 1) }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('note' as const), key: fc.nat(keys - 1) }) },
	);
}

export const sharedLimitsFamily: Family<LimitsSchedule, LimitsWorld> = {
	name: 'shared-limits',
	shrink: false,
	expectedFaults: () => ['thread limit exceeded (Autotask)', '429 / 5xx', 'worker killed between steps', 'same item delivered twice'],
	arb(target) {
		return fc
			.record({ entities: fc.integer({ min: 1, max: 3 }), keys: fc.integer({ min: 1, max: 6 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
			.chain(({ entities, keys, workerCount }) =>
				fc.record({
					entities: fc.constant(entities),
					keys: fc.constant(keys),
					workers: fc.array(
						fc.record(
							{
								startMs: fc.integer({ min: 0, max: 200 }),
								lanes: fc.integer({ min: 1, max: 3 }),
								ops: fc.array(fc.record({ op: opArb(entities, keys), gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 150 })) }), { minLength: 2, maxLength: 8 }),
								killAtMs: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 20, max: 800 }) }),
							},
							{ requiredKeys: ['startMs', 'lanes', 'ops'] },
						),
						{ minLength: workerCount, maxLength: workerCount },
					),
					faults: faultsArb(FAULT_TARGETS, target.faultClasses, LIMITS_TIMING.maxCommitDelayMs, 5),
				}),
			);
	},
	async run(world, schedule, stats: SoakStats) {
		const source = freshSource('limits', world);
		const plain: Schedule = { entities: schedule.entities, keys: schedule.keys, faults: [], workers: schedule.workers.map((worker) => ({ startMs: 0, storeFailures: [], ops: worker.ops })) };
		const named: NamedSchedule = { schedule: plain, source, psa: 'autotask' };
		const violations: string[] = [];
		world.sandbox.reset();
		// The entities start linked (faults off), so notes go to the PSA at once instead of failing as "not linked".
		const setup = new LimitsProcess(world, MAX_WORKERS).context();
		for (let entity = 0; entity < schedule.entities; entity++) await callOp(setup, named, { kind: 'link', entity });
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', 2000);

		const processes = schedule.workers.map((_, slot) => new LimitsProcess(world, slot));
		const runs = schedule.workers.map(async (worker, slot) => {
			const proc = processes[slot];
			const ctx = proc.context();
			const killAtMs = worker.killAtMs;
			const died = new Promise<void>((resolve) => {
				if (killAtMs === undefined) return;
				setTimeout(() => {
					proc.kill();
					resolve();
				}, worker.startMs + killAtMs);
			});
			await sleep(worker.startMs);
			const lanes = Array.from({ length: worker.lanes }, async (_, lane) => {
				for (const [index, { op, gapMs }] of worker.ops.entries()) {
					if (index % worker.lanes !== lane) continue;
					if (proc.dead) return;
					if (gapMs) await sleep(gapMs);
					stats.calls++;
					try {
						await callOp(ctx, named, op);
						stats.succeeded++;
					} catch (error) {
						if (error instanceof Killed || proc.dead) return;
						const text = `${error instanceof Error ? error.message : String(error)} ${JSON.stringify((error as { details?: unknown }).details ?? '')}`;
						if (THREAD_REFUSAL.test(text)) violations.push(`worker ${slot} ${JSON.stringify(op)}: Autotask's thread-limit refusal reached the user: ${text}`);
						if (!isClearError(error)) violations.push(`worker ${slot} ${JSON.stringify(op)} failed unclearly: ${String(error)}`);
						else stats.failedClearly++;
						if (process.env.FAULT_TRACE) console.log(`worker ${slot} ${JSON.stringify(op)}: ${text}`);
					}
				}
			});
			// A killed worker is not waited for: its slot releases never answer, as a dead process's would not.
			await Promise.race([Promise.all(lanes), died]);
		});
		let hung: NodeJS.Timeout | undefined;
		const deadline = new Promise<void>((resolve) => {
			hung = setTimeout(() => {
				violations.push('a worker did not finish within 60 s');
				resolve();
			}, 60_000);
		});
		await Promise.race([Promise.all(runs), deadline]);
		clearTimeout(hung);
		processes.forEach((proc) => {
			if (proc.killed) stats.count('worker killed between steps');
			proc.kill();
		});

		const maxInFlight = world.sandbox.threads?.maxInFlight() ?? 0;
		if (maxInFlight > THREADS) violations.push(`Autotask had ${maxInFlight} requests in flight on one endpoint (limit ${THREADS})`);
		if (maxInFlight === THREADS) stats.count(`schedules that filled all ${THREADS} threads of an endpoint`);
		for (const fault of world.sandbox.faultsMet()) stats.count(SANDBOX_FAULT_CLASS[fault] ?? fault);
		const ops = schedule.workers.flatMap((worker) => worker.ops.map(({ op }) => JSON.stringify(op)));
		if (ops.length > new Set(ops).size) stats.count('same item delivered twice', ops.length - new Set(ops).size);

		// The settle window, then the monitoring tool's re-fire from a healthy worker sharing the same slots.
		world.sandbox.clearFaults();
		await sleep(LIMITS_TIMING.settleMs + LIMITS_TIMING.maxCommitDelayMs + 200);
		const repair = new LimitsProcess(world, MAX_WORKERS).context();
		try {
			await refire(repair, named);
		} catch (error) {
			violations.push(`the re-fire after the settle window failed: ${error instanceof Error ? error.message : String(error)}`);
		}
		violations.push(...(await familyViolations(world.sandbox.records(), world.stores[0], repair.provider, { named })));
		fail(stats, `shared-limits autotask postgres ${source}`, violations);
	},
};
