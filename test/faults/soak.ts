// npm run test:faults: the exactly-once soak (thousands of schedules per PSA and engine, in one process and across
// processes) with its figures per PSA and in total.
import { PG_URL_ENV, startPostgres, type RunningPostgres } from '../helpers/postgres';
import { checkFamily, type Family, type FamilyWorld } from './families';
import { depthFamily } from './family-depth';
import { flappingFamily } from './family-flapping';
import { memberMapFamily } from './family-member-map';
import { linkRacesFamily } from './family-link-races';
import { attachmentsFamily, timeEntriesFamily } from './family-records';
import { recoveryFamily } from './family-recovery';
import { windowsFamily } from './family-windows';
import { sharedLimitsFamily, startLimitsWorld } from './family-shared-limits';
import { statusFamily } from './family-status';
import { checkProcessSchedules, startProcessWorld } from './multi-process';
import { checkSchedules, describeFailure, replayFromEnvironment } from './property';
import { SoakStats } from './schedule';
import { psasFromEnvironment, TARGETS, type PsaName } from './targets';
import { startWorld, type Engine } from './world';

/**
 * Sizes per PSA (so each engine's total is twice this with both PSAs), overridable with FAULT_SOAK_SQLITE,
 * FAULT_SOAK_POSTGRES, FAULT_SOAK_PROCESSES; FAULT_PSA runs one PSA.
 */
const SIZES = {
	sqlite: Number(process.env.FAULT_SOAK_SQLITE ?? 6_000),
	postgres: Number(process.env.FAULT_SOAK_POSTGRES ?? 1_200),
	processes: Number(process.env.FAULT_SOAK_PROCESSES ?? 25),
};
/**
 * The families' sizes per PSA and engine (FAULT_SOAK_FAMILIES=name:sqlite:postgres,...), the shared-limits family's
 * (Autotask, PostgreSQL) in FAULT_SOAK_LIMITS. FAULT_SOAK_PARTS=core or families runs one part (default both).
 */
const FAMILY_SIZES: Record<string, { sqlite: number; postgres: number }> = {
	status: { sqlite: 600, postgres: 200 },
	'member-map': { sqlite: 1000, postgres: 300 },
	'link-races': { sqlite: 1000, postgres: 300 },
	depth: { sqlite: 400, postgres: 150 },
	recovery: { sqlite: 400, postgres: 150 },
	flapping: { sqlite: 400, postgres: 150 },
	windows: { sqlite: 300, postgres: 150 },
	'time-entries': { sqlite: 400, postgres: 150 },
	attachments: { sqlite: 400, postgres: 150 },
	trigger: { sqlite: 400, postgres: 400 },
	// ConnectWise on SQLite only (the engine's default store); real time: a second per change.
	'catch-up': { sqlite: 30, postgres: 0 },
};
/** The families that run in this process on the suite's virtual clock, on every PSA and engine. */
const VIRTUAL_FAMILIES = [statusFamily, memberMapFamily, linkRacesFamily, depthFamily, recoveryFamily, flappingFamily, windowsFamily, timeEntriesFamily, attachmentsFamily];
for (const entry of (process.env.FAULT_SOAK_FAMILIES ?? '').split(',').filter(Boolean)) {
	const [name, sqlite, postgres] = entry.split(':');
	FAMILY_SIZES[name] = { sqlite: Number(sqlite), postgres: Number(postgres ?? sqlite) };
}
const LIMITS_SIZE = Number(process.env.FAULT_SOAK_LIMITS ?? 15);
const PARTS = (process.env.FAULT_SOAK_PARTS ?? 'core,families').split(',');

/** Schedules per fast-check run: a failure shrinks within its batch, and progress shows between batches. */
const BATCH = 1000;

function report(label: string, stats: SoakStats, seconds: number): void {
	const classes = Object.entries(stats.faultsByClass)
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([name, count]) => `${name} ${count}`)
		.join(', ');
	console.log(
		`${label}: ${stats.schedules} schedules in ${seconds.toFixed(1)} s, ${stats.calls} calls (${stats.succeeded} succeeded, ${stats.failedClearly} failed with a clear error); faults injected: ${classes}; violations: ${stats.violations.length}`,
	);
	for (const violation of stats.violations.slice(0, 20)) console.log(`  ${violation}`);
}

async function inProcess(psa: PsaName, engine: Engine, total: number): Promise<SoakStats> {
	const world = await startWorld(engine, TARGETS[psa]);
	const stats = new SoakStats();
	const started = performance.now();
	try {
		for (let done = 0; done < total; done += BATCH) {
			const numRuns = Math.min(BATCH, total - done);
			try {
				await checkSchedules(world, { numRuns, ...replayFromEnvironment() }, stats);
			} catch (error) {
				console.log(describeFailure(error));
				break;
			}
			console.log(`  ${psa} ${engine}: ${done + numRuns}/${total} schedules, ${((performance.now() - started) / 1000).toFixed(0)} s`);
		}
	} finally {
		await world.close();
	}
	report(`${psa}, ${engine}, workers in one process (virtual time)`, stats, (performance.now() - started) / 1000);
	return stats;
}

async function acrossProcesses(psa: PsaName, engine: Engine, total: number): Promise<SoakStats> {
	const world = await startProcessWorld(engine, TARGETS[psa]);
	const started = performance.now();
	const stats = new SoakStats();
	try {
		await checkProcessSchedules(world, total, replayFromEnvironment().seed, stats);
	} catch (error) {
		console.log(describeFailure(error));
	} finally {
		await world.close();
	}
	report(`${psa}, ${engine}, one process per worker, SIGKILL (real time)`, stats, (performance.now() - started) / 1000);
	return stats;
}

/** One family on one world, in batches; the world is closed after. */
async function familyRun<S, W extends FamilyWorld & { close(): Promise<void> }>(family: Family<S, W>, start: () => Promise<W>, total: number): Promise<SoakStats> {
	const world = await start();
	const stats = new SoakStats();
	const started = performance.now();
	try {
		for (let done = 0; done < total; done += BATCH) {
			const numRuns = Math.min(BATCH, total - done);
			try {
				await checkFamily(family, world, { numRuns, ...replayFromEnvironment() }, stats);
			} catch (error) {
				console.log(describeFailure(error));
				break;
			}
		}
	} finally {
		await world.close();
	}
	report(`family ${family.name}, ${world.target.psa}, ${world.engine}`, stats, (performance.now() - started) / 1000);
	return stats;
}

/** The families that drive n8n's engine and the nodes, which load under jest's transform only: they run in jest. */
const JEST_FAMILIES = [
	{ name: 'trigger', runs: 'FAULT_FAMILY_RUNS_TRIGGER' },
	{ name: 'catch-up', runs: 'FAULT_FAMILY_RUNS_CATCH_UP' },
] as const;

/** One jest family in a jest run of families.test.ts at the soak's size; its figures read from the lines it prints. */
async function familyInJest(name: string, runsVariable: string, psas: PsaName[], sizes: { sqlite: number; postgres: number }): Promise<SoakStats> {
	const stats = new SoakStats();
	for (const engine of (['sqlite', 'postgres'] as Engine[]).filter((candidate) => sizes[candidate] > 0)) {
		const { spawnSync } = await import('node:child_process');
		const result = spawnSync('npx', ['jest', 'test/faults/families.test.ts', '--maxWorkers=1', '--silent=false'], {
			encoding: 'utf8',
			env: { ...process.env, FAULT_FAMILY: name, FAULT_ENGINE: engine, [runsVariable]: String(sizes[engine]), NODE_OPTIONS: '--experimental-vm-modules --no-warnings', ...(psas.length === 1 ? { FAULT_PSA: psas[0] } : {}) },
			maxBuffer: 64 * 1024 * 1024,
		});
		const output = `${result.stdout}\n${result.stderr}`;
		const line = /\[([\w-]+) (\w+)(?: (\w+))?\] (\d+) schedules in ([\d.]+) s, (\d+) [\w ]+, faults: (\{.*\}), violations: (\d+)/g;
		for (const match of output.matchAll(line)) {
			if (match[1] !== name) continue;
			const part = new SoakStats();
			part.schedules = Number(match[4]);
			part.calls = Number(match[6]);
			part.succeeded = Number(match[6]);
			for (const [fault, count] of Object.entries(JSON.parse(match[7]) as Record<string, number>)) part.count(fault, count);
			for (let index = 0; index < Number(match[8]); index++) part.violations.push(`[${name} ${match[2]} ${match[3] ?? engine}] see the jest output`);
			report(`family ${name}, ${match[2]}, ${match[3] ?? engine}`, part, Number(match[5]));
			stats.merge(part);
		}
		if (result.status !== 0) {
			console.log(output.split('\n').filter((text) => /violated|replay:|shrunk|violation|✕/.test(text)).join('\n'));
			stats.violations.push(`[${name} ${engine}] the jest run failed (exit ${result.status})`);
		}
	}
	return stats;
}

/** The families beyond Link / Note / Close, per family on every PSA and engine; figures per family. */
async function families(psas: PsaName[], all: SoakStats): Promise<void> {
	const perFamily = new Map<string, { stats: SoakStats; seconds: number }>();
	const timed = async (name: string, run: () => Promise<SoakStats>) => {
		const began = performance.now();
		const stats = await run();
		const entry = perFamily.get(name) ?? { stats: new SoakStats(), seconds: 0 };
		entry.stats.merge(stats);
		entry.seconds += (performance.now() - began) / 1000;
		perFamily.set(name, entry);
		all.merge(stats);
	};
	const engines: Engine[] = ['sqlite', 'postgres'];
	for (const family of VIRTUAL_FAMILIES) {
		for (const psa of psas) for (const engine of engines) await timed(family.name, () => familyRun(family as Family<unknown, never>, () => startWorld(engine, TARGETS[psa]) as never, FAMILY_SIZES[family.name][engine]));
	}
	for (const family of JEST_FAMILIES) {
		if (family.name === 'catch-up' && !psas.includes('connectwise')) continue;
		await timed(family.name, () => familyInJest(family.name, family.runs, psas, FAMILY_SIZES[family.name]));
	}
	if (psas.includes('autotask')) await timed(sharedLimitsFamily.name, () => familyRun(sharedLimitsFamily, startLimitsWorld, LIMITS_SIZE));
	console.log('');
	for (const [name, { stats, seconds }] of perFamily) report(`family ${name}, all PSAs and engines`, stats, seconds);
}

async function main(): Promise<void> {
	process.env.N8N_LOG_LEVEL = 'silent';
	process.env.FAULT_PRINT_SEED = '1';
	let postgres: RunningPostgres | undefined;
	if (!process.env[PG_URL_ENV]) {
		postgres = await startPostgres();
		process.env[PG_URL_ENV] = postgres.url;
	}
	const started = performance.now();
	const all = new SoakStats();
	const psas = psasFromEnvironment();
	const perPsa = new Map<PsaName, { stats: SoakStats; seconds: number }>(psas.map((psa) => [psa, { stats: new SoakStats(), seconds: 0 }]));
	const timed = async (psa: PsaName, run: () => Promise<SoakStats[]>) => {
		const began = performance.now();
		const results = await run();
		const entry = perPsa.get(psa)!;
		entry.seconds += (performance.now() - began) / 1000;
		for (const stats of results) {
			entry.stats.merge(stats);
			all.merge(stats);
		}
	};
	const familyStats = new SoakStats();
	let familySeconds = 0;
	try {
		if (PARTS.includes('core')) {
			for (const psa of psas) {
				await timed(psa, async () => [await inProcess(psa, 'sqlite', SIZES.sqlite)]);
				await timed(psa, async () => [await inProcess(psa, 'postgres', SIZES.postgres)]);
			}
			// The two engines' process variants side by side: their time is mostly real-time waiting (settle windows).
			for (const psa of psas) await timed(psa, () => Promise.all([acrossProcesses(psa, 'sqlite', SIZES.processes), acrossProcesses(psa, 'postgres', SIZES.processes)]));
		}
		if (PARTS.includes('families')) {
			const began = performance.now();
			await families(psas, familyStats);
			all.merge(familyStats);
			familySeconds = (performance.now() - began) / 1000;
		}
	} finally {
		await postgres?.stop();
	}
	console.log('');
	for (const [psa, { stats, seconds }] of perPsa) report(`${psa}, all parts`, stats, seconds);
	if (PARTS.includes('families')) report('families, all', familyStats, familySeconds);
	console.log(`\nfault soak: ${all.schedules} schedules in ${((performance.now() - started) / 1000).toFixed(0)} s (${[...perPsa].map(([psa, { stats }]) => `${psa} ${stats.schedules}`).join(', ')}), violations: ${all.violations.length}`);
	process.exitCode = all.violations.length ? 1 : 0;
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
