// npm run test:faults: the exactly-once soak (thousands of schedules per PSA and engine, in one process and across
// processes) with its figures per PSA and in total.
import { PG_URL_ENV, startPostgres, type RunningPostgres } from '../helpers/postgres';
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
	try {
		for (const psa of psas) {
			await timed(psa, async () => [await inProcess(psa, 'sqlite', SIZES.sqlite)]);
			await timed(psa, async () => [await inProcess(psa, 'postgres', SIZES.postgres)]);
		}
		// The two engines' process variants side by side: their time is mostly real-time waiting (settle windows).
		for (const psa of psas) await timed(psa, () => Promise.all([acrossProcesses(psa, 'sqlite', SIZES.processes), acrossProcesses(psa, 'postgres', SIZES.processes)]));
	} finally {
		await postgres?.stop();
	}
	console.log('');
	for (const [psa, { stats, seconds }] of perPsa) report(`${psa}, all parts`, stats, seconds);
	console.log(`\nfault soak: ${all.schedules} schedules in ${((performance.now() - started) / 1000).toFixed(0)} s (${[...perPsa].map(([psa, { stats }]) => `${psa} ${stats.schedules}`).join(', ')}), violations: ${all.violations.length}`);
	process.exitCode = all.violations.length ? 1 : 0;
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
