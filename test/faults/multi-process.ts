// The multi-process variant: each worker of a schedule is its own OS process on real time, killed with SIGKILL at random moments.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as readline from 'node:readline';
import fc from 'fast-check';
import { PsaCache } from '../../lib/cache';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { createProvider } from '../../lib/providers/registry';
import type { PsaServiceContext } from '../../lib/services';
import { openStore } from '../../lib/store';
import type { PsaStore, StoreOptions } from '../../lib/store/types';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import type { ProcessJob } from './process-worker';
import { psaViolations, refire, SANDBOX_FAULT_CLASS, scheduleArbFor, SoakStats, type NamedSchedule, type Schedule } from './schedule';
import type { PsaTarget, TargetSandbox } from './targets';
import type { Engine } from './world';

/** Real-time limits, short so a schedule takes seconds; the settle window covers the client's budget and the slowest commit. */
export const REAL_TIMING = { requestTimeoutMs: 400, maxCommitDelayMs: 600, settleMs: 2000, maxRetryAfterMs: 5000 };
const WORKER = join(__dirname, 'process-worker.ts');
const REPO_ROOT = join(__dirname, '..', '..');
/** A worker process still running this long after "go" has hung. */
const PROCESS_DEADLINE_MS = 60_000;

export interface ProcessWorld {
	engine: Engine;
	target: PsaTarget;
	sandbox: TargetSandbox;
	storeOptions: StoreOptions;
	/** The parent's own store and context: the re-fire and the checks run here. */
	store: PsaStore;
	context(): PsaServiceContext;
	close(): Promise<void>;
}

export async function startProcessWorld(engine: Engine, target: PsaTarget): Promise<ProcessWorld> {
	const sandbox = await target.start();
	const folder = mkdtempSync(join(tmpdir(), `psa-faults-mp-${target.psa}-${engine}-`));
	const keys = [generateFernetKey()];
	let database: TestDatabase | undefined;
	let storeOptions: StoreOptions;
	if (engine === 'sqlite') storeOptions = { engine: 'sqlite', filename: join(folder, 'state.sqlite'), keys };
	else {
		database = await createTestDatabase('psa_faults_mp');
		storeOptions = { engine: 'postgres', host: database.host, port: database.port, user: database.user, database: database.database, keys, poolSize: 2 };
	}
	const store = await openStore(storeOptions);
	const { credentials } = sandbox;
	return {
		engine,
		target,
		sandbox,
		storeOptions,
		store,
		context() {
			const cache = new PsaCache();
			const provider = createProvider(target.credentialType, credentials, {
				http: createFetchTransport(),
				cache,
				retry: { requestTimeoutMs: REAL_TIMING.requestTimeoutMs, budgetMs: REAL_TIMING.requestTimeoutMs },
				outcomeSettleMs: REAL_TIMING.settleMs,
			});
			return { provider, store, cache, now: Date.now };
		},
		async close() {
			await store.close();
			await sandbox.stop();
			await database?.drop();
			rmSync(folder, { recursive: true, force: true });
		},
	};
}

/** The virtual schedule on real time: minutes become a second or two, the kill point a moment after "go". */
export function onRealTime(schedule: Schedule): Schedule {
	return {
		...schedule,
		workers: schedule.workers.map((plan) => ({
			...plan,
			startMs: Math.round(plan.startMs / 80),
			ops: plan.ops.map(({ op, gapMs }) => ({ op, gapMs: Math.round(gapMs / 80) })),
		})),
		faults: schedule.faults.map((fault) => ({ ...fault, ms: Math.round((fault.ms / 30_000) * REAL_TIMING.maxCommitDelayMs) })),
	};
}

interface ProcessOutcome {
	lines: Array<{ ok?: boolean; clear?: boolean; error?: string; crashed?: string; done?: boolean }>;
	killed: boolean;
	hung: boolean;
	stderr: string;
}

function startProcess(job: ProcessJob): { ready: Promise<void>; go(killAfterMs?: number): Promise<ProcessOutcome> } {
	const env = { ...process.env };
	delete env.NODE_OPTIONS;
	const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(job)], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
	const outcome: ProcessOutcome = { lines: [], killed: false, hung: false, stderr: '' };
	child.stderr.on('data', (chunk: Buffer) => (outcome.stderr += chunk.toString()));
	const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
	let markReady: () => void = () => undefined;
	const ready = new Promise<void>((resolve, reject) => {
		markReady = resolve;
		void exited.then(() => reject(new Error(`worker process exited before it was ready:\n${outcome.stderr}`)));
	});
	readline.createInterface({ input: child.stdout }).on('line', (line) => {
		let message: ProcessOutcome['lines'][number] & { ready?: boolean };
		try {
			message = JSON.parse(line);
		} catch {
			return;
		}
		if (message.ready) markReady();
		else outcome.lines.push(message);
	});
	return {
		ready,
		async go(killAfterMs) {
			child.stdin.end('go\n');
			const kill = killAfterMs === undefined ? undefined : setTimeout(() => {
				outcome.killed = true;
				child.kill('SIGKILL');
			}, killAfterMs);
			const deadline = setTimeout(() => {
				outcome.hung = true;
				child.kill('SIGKILL');
			}, PROCESS_DEADLINE_MS);
			await exited;
			clearTimeout(kill);
			clearTimeout(deadline);
			return outcome;
		},
	};
}

let processScheduleCounter = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one schedule with one process per worker; throws with the violations. */
export async function runProcessSchedule(world: ProcessWorld, virtual: Schedule, stats: SoakStats): Promise<void> {
	const schedule = onRealTime(virtual);
	const psa = world.target.psa;
	const named: NamedSchedule = { schedule, source: `p${++processScheduleCounter}-${psa}-${world.engine}-${process.pid}`, psa };
	const { sandbox } = world;
	sandbox.reset();
	for (const fault of schedule.faults) sandbox.inject(fault, 'hold', REAL_TIMING.maxRetryAfterMs);
	const processes = schedule.workers.map((_, slot) =>
		startProcess({
			store: world.storeOptions,
			credentialType: world.target.credentialType,
			credentials: sandbox.credentials,
			named,
			slot,
			requestTimeoutMs: REAL_TIMING.requestTimeoutMs,
			settleMs: REAL_TIMING.settleMs,
		}),
	);
	await Promise.all(processes.map((worker) => worker.ready));
	// A kill point of the virtual schedule becomes a moment: the n-th call is roughly n x 60 ms in.
	const outcomes = await Promise.all(processes.map((worker, slot) => worker.go(schedule.workers[slot].kill ? schedule.workers[slot].kill!.call * 60 : undefined)));

	const violations: string[] = [];
	outcomes.forEach((outcome, slot) => {
		if (outcome.hung) violations.push(`worker process ${slot} still ran ${PROCESS_DEADLINE_MS} ms after go`);
		if (outcome.killed) stats.count('worker process killed (SIGKILL)');
		for (const line of outcome.lines) {
			if (line.crashed) violations.push(`worker process ${slot} crashed: ${line.crashed}`);
			if (line.ok === undefined) continue;
			stats.calls++;
			if (line.ok) stats.succeeded++;
			else if (line.clear) stats.failedClearly++;
			else violations.push(`worker process ${slot} failed unclearly: ${line.error}`);
		}
		if (!outcome.killed && !outcome.hung && !outcome.lines.some((line) => line.done)) violations.push(`worker process ${slot} ended without finishing: ${outcome.stderr.slice(0, 500)}`);
	});
	for (const fault of sandbox.faultsMet()) stats.count(SANDBOX_FAULT_CLASS[fault] ?? fault);

	// Every late commit has landed and the settle window has passed since any claim was last refreshed.
	await sleep(REAL_TIMING.settleMs + 200);
	for (let waited = 0; sandbox.pendingLateCommits > 0 && waited < 5000; waited += 50) await sleep(50);
	sandbox.clearFaults();
	const ctx = world.context();
	try {
		await refire(ctx, named);
	} catch (error) {
		violations.push(`the re-fire after the settle window failed: ${error instanceof Error ? error.message : String(error)}`);
	}
	violations.push(...(await psaViolations(sandbox.records(), world.store, ctx.provider, named)));
	stats.schedules++;
	if (violations.length) {
		stats.violations.push(...violations.map((violation) => `[${psa} ${world.engine} processes ${named.source}] ${violation}`));
		throw new Error(`${violations.length} violation(s):\n${violations.join('\n')}`);
	}
}

/** `numRuns` random schedules across processes; rejects naming the PSA, engine and seed. Shrinking is off: each run costs seconds. */
export async function checkProcessSchedules(world: ProcessWorld, numRuns: number, seed?: number, stats = new SoakStats()): Promise<SoakStats> {
	const details = await fc.check(
		fc.asyncProperty(scheduleArbFor(world.target), async (schedule) => {
			await runProcessSchedule(world, schedule, stats);
		}),
		{ numRuns, seed: seed ?? Date.now() ^ (Math.random() * 0x7fffffff), endOnFailure: true },
	);
	if (details.failed) {
		const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
		throw new Error(
			`Exactly-once violated across processes on ${world.target.psa} (${world.engine}): seed ${details.seed}, path ${details.counterexamplePath ?? ''} (real time: a replay may interleave differently)\nschedule: ${JSON.stringify(details.counterexample?.[0])}\n${cause}`,
		);
	}
	return stats;
}
