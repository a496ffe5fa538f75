// The randomized exactly-once suite at npm-test size: random schedules with faults on SQLite and PostgreSQL, in one process and across processes.
import { checkProcessSchedules, startProcessWorld, type ProcessWorld } from './multi-process';
import { checkSchedules, replayFromEnvironment } from './property';
import { startWorld, type Engine, type World } from './world';

/** Schedules per engine in `npm test`; `npm run test:faults` runs the soak (thousands). */
const RUNS: Record<Engine, number> = {
	sqlite: Number(process.env.FAULT_RUNS_SQLITE ?? 1000),
	postgres: Number(process.env.FAULT_RUNS_POSTGRES ?? 300),
};

describe.each<Engine>(['sqlite', 'postgres'])('exactly once under random fault schedules on %s', (engine) => {
	let world: World;

	beforeAll(async () => {
		world = await startWorld(engine);
	});

	afterAll(async () => {
		await world?.close();
	});

	it(`${RUNS[engine]} schedules: one ticket per entity, one note per key, no note owned twice, every call ends clearly`, async () => {
		const stats = await checkSchedules(world, { numRuns: RUNS[engine], ...replayFromEnvironment() });
		console.log(
			`[${engine}] ${stats.schedules} schedules, ${stats.calls} calls (${stats.succeeded} succeeded, ${stats.failedClearly} failed with a clear error), faults: ${JSON.stringify(stats.faultsByClass)}, violations: ${stats.violations.length}`,
		);
		expect(stats.violations).toEqual([]);
		expect(stats.schedules).toBeGreaterThanOrEqual(RUNS[engine]);
		// The faults the model lists were all injected at this size.
		for (const fault of [
			'request lost before the PSA',
			'response lost after commit',
			'answer after commit that is not the record',
			'commit later than the client waits',
			'429 / 5xx',
			'worker killed between steps',
			'store unavailable mid-step',
			'same item delivered twice',
		]) {
			expect(stats.faultsByClass[fault] ?? 0).toBeGreaterThan(0);
		}
	}, 600_000);
});

/** Schedules per engine with one OS process per worker (seconds each); the soak runs more. */
const PROCESS_RUNS = Number(process.env.FAULT_RUNS_PROCESSES ?? 2);

describe.each<Engine>(['sqlite', 'postgres'])('exactly once with worker processes killed by SIGKILL on %s', (engine) => {
	let world: ProcessWorld;

	beforeAll(async () => {
		world = await startProcessWorld(engine);
	});

	afterAll(async () => {
		await world?.close();
	});

	it(`${PROCESS_RUNS} schedules across processes on real time: the same invariants`, async () => {
		const stats = await checkProcessSchedules(world, PROCESS_RUNS, replayFromEnvironment().seed);
		console.log(`[${engine}, processes] ${stats.schedules} schedules, ${stats.calls} calls, faults: ${JSON.stringify(stats.faultsByClass)}, violations: ${stats.violations.length}`);
		expect(stats.violations).toEqual([]);
		expect(stats.schedules).toBe(PROCESS_RUNS);
	}, 300_000);
});
