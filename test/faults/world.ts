// The fault suite's world: one PSA sandbox and one store per worker slot on a shared virtual clock, and workers that can die.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../../lib/cache';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import type { HttpTransport } from '../../lib/providers/http';
import { createProvider } from '../../lib/providers/registry';
import type { PsaServiceContext } from '../../lib/services';
import { openStore, StoreError } from '../../lib/store';
import type { PsaStore, StoreOptions } from '../../lib/store/types';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { type PsaTarget, type TargetSandbox } from './targets';
import { VirtualScheduler } from './virtual-time';

export type Engine = 'sqlite' | 'postgres';

/** Timing of the virtual world. The settle window covers the retry budget plus the slowest commit, as the provider's does. */
export const TIMING = {
	/** The client's retry budget (a 429 holds the real send back at most this long). */
	retryBudgetMs: 20_000,
	/** The latest the sandbox commits a late request after receiving it. */
	maxCommitDelayMs: 30_000,
	/** outcomeSettleMs given to the provider: claims are taken over, and absence proven, only after this. */
	settleMs: 60_000,
	/** The longest Retry-After the sandbox sends. */
	maxRetryAfterMs: 5_000,
};

export class Killed extends Error {
	constructor() {
		super('worker process killed');
		this.name = 'Killed';
	}
}

/** Calls one worker of one schedule may make before the suite calls it a runaway loop. */
const MAX_CALLS_PER_WORKER = 3000;

export class RunawayLoop extends Error {
	constructor(calls: number) {
		super(`a worker made ${calls} store and PSA calls in one schedule: a loop that does not end`);
		this.name = 'RunawayLoop';
	}
}

/** Where a worker dies: before its n-th call (store or PSA) runs, or right after it returned (its effect done, unseen). */
export interface KillPoint {
	call: number;
	after: boolean;
}

/** One worker process of one schedule: its calls are counted, it dies at its kill point, chosen store calls fail. */
export class WorkerRun {
	calls = 0;
	dead = false;
	/** What happened: calls made, whether and where it died, store failures injected. */
	readonly events = { storeFailures: 0, killed: false };

	constructor(
		private readonly scheduler: VirtualScheduler,
		private readonly kill: KillPoint | undefined,
		private readonly storeFailures: ReadonlySet<number>,
	) {}

	private async step<T>(kind: 'store' | 'http', work: () => Promise<T>): Promise<T> {
		if (this.dead) throw new Killed();
		const call = ++this.calls;
		// A schedule's worker makes a few dozen calls; thousands mean a loop that never ends (it would fill memory).
		if (call > MAX_CALLS_PER_WORKER) throw new RunawayLoop(call);
		if (this.kill && this.kill.call === call && !this.kill.after) return this.die();
		if (kind === 'store' && this.storeFailures.has(call)) {
			this.events.storeFailures++;
			throw new StoreError('unavailable', 'The PSA State Store is unavailable (injected fault): the database did not answer');
		}
		const result = await this.scheduler.track(work);
		if (this.kill && this.kill.call === call && this.kill.after) return this.die();
		return result;
	}

	private die(): never {
		this.dead = true;
		this.events.killed = true;
		throw new Killed();
	}

	transport(inner: HttpTransport): HttpTransport {
		// Real time never runs out here: a request answers or fails at once, so its timeout is only a safety net.
		return (request) => this.step('http', () => inner({ ...request, timeoutMs: 10_000 }));
	}

	/** The store as this process sees it: every repository call goes through the kill and failure points. */
	store(inner: PsaStore): PsaStore {
		const wrapped: Record<string, unknown> = { engine: inner.engine, location: inner.location, appliedMigrations: inner.appliedMigrations };
		for (const name of ['connections', 'links', 'noteReceipts', 'timeEntryReceipts', 'attachmentReceipts', 'memberMap', 'statusMap', 'audit'] as const) {
			const repository = inner[name] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
			wrapped[name] = new Proxy(repository, {
				get: (target, property) => {
					const value = target[property as string];
					if (typeof value !== 'function') return value;
					return (...args: unknown[]) => this.step('store', () => value.apply(target, args));
				},
			});
		}
		wrapped.resealAll = () => this.step('store', () => inner.resealAll());
		wrapped.close = () => Promise.resolve();
		return wrapped as unknown as PsaStore;
	}
}

export interface World {
	engine: Engine;
	target: PsaTarget;
	sandbox: TargetSandbox;
	scheduler: VirtualScheduler;
	/** One store per worker slot: as many processes, each with its own connection to the same database. */
	stores: PsaStore[];
	/** A context for one worker of one schedule. */
	context(slot: number, run: WorkerRun): PsaServiceContext;
	close(): Promise<void>;
}

export const MAX_WORKERS = 4;

export async function startWorld(engine: Engine, target: PsaTarget): Promise<World> {
	const scheduler = new VirtualScheduler(Date.parse('2026-06-01T00:00:00Z'));
	const sandbox = await target.start(scheduler);
	const folder = mkdtempSync(join(tmpdir(), `psa-faults-${target.psa}-${engine}-`));
	let database: TestDatabase | undefined;
	let options: StoreOptions;
	const keys = [generateFernetKey()];
	if (engine === 'sqlite') {
		options = { engine: 'sqlite', filename: join(folder, 'state.sqlite'), keys, clock: scheduler.now };
	} else {
		database = await createTestDatabase('psa_faults');
		const { host, port, user, database: name } = database;
		options = { engine: 'postgres', host, port, user, database: name, keys, clock: scheduler.now, poolSize: 4 };
	}
	const stores: PsaStore[] = [];
	for (let slot = 0; slot < MAX_WORKERS; slot++) stores.push(await openStore(options));
	const http = createFetchTransport();

	return {
		engine,
		target,
		sandbox,
		scheduler,
		stores,
		context(slot, run) {
			const cache = new PsaCache();
			const provider = createProvider(
				target.credentialType,
				sandbox.credentials,
				{
					http: run.transport(http),
					cache,
					sleep: scheduler.sleep,
					now: scheduler.now,
					retry: { budgetMs: TIMING.retryBudgetMs },
					outcomeSettleMs: TIMING.settleMs,
				},
			);
			return { provider, store: run.store(stores[slot]), cache, now: scheduler.now, delay: scheduler.sleep };
		},
		async close() {
			await Promise.all(stores.map((store) => store.close()));
			await sandbox.stop();
			await database?.drop();
			rmSync(folder, { recursive: true, force: true });
		},
	};
}
