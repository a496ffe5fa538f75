// The randomized exactly-once suite at npm-test size: random schedules with faults for each PSA (ConnectWise, Autotask, HaloPSA)
// on SQLite and PostgreSQL, in one process and across processes. FAULT_PSA runs one PSA (to replay a failure).
import { checkProcessSchedules, startProcessWorld, type ProcessWorld } from './multi-process';
import { checkSchedules, replayFromEnvironment } from './property';
import { psasFromEnvironment, TARGETS, type PsaName } from './targets';
import { startWorld, type Engine, type World } from './world';

/** Schedules per PSA and engine in `npm test`; `npm run test:faults` runs the soak (thousands). */
const RUNS: Record<Engine, number> = {
	sqlite: Number(process.env.FAULT_RUNS_SQLITE ?? 400),
	postgres: Number(process.env.FAULT_RUNS_POSTGRES ?? 100),
};

/** The fault classes every PSA's run must have met at this size; a PSA's own classes on top. */
const EXPECTED_FAULTS: Record<PsaName, string[]> = {
	connectwise: [],
	autotask: ['thread limit exceeded (Autotask)'],
	halopsa: [],
};
const COMMON_FAULTS = [
	'request lost before the PSA',
	'response lost after commit',
	'answer after commit that is not the record',
	'commit later than the client waits',
	'429 / 5xx',
	'worker killed between steps',
	'store unavailable mid-step',
	'same item delivered twice',
];

const combinations = (engines: Engine[]) => psasFromEnvironment().flatMap((psa) => engines.map((engine): [PsaName, Engine] => [psa, engine]));

describe.each(combinations(['sqlite', 'postgres']))('exactly once under random fault schedules on %s, %s', (psa, engine) => {
	let world: World;

	beforeAll(async () => {
		world = await startWorld(engine, TARGETS[psa]);
	});

	afterAll(async () => {
		await world?.close();
	});

	it(`${RUNS[engine]} schedules: one ticket per entity, one note per key, no note owned twice, every call ends clearly`, async () => {
		const started = performance.now();
		const stats = await checkSchedules(world, { numRuns: RUNS[engine], ...replayFromEnvironment() });
		console.log(
			`[${psa} ${engine}] ${stats.schedules} schedules in ${((performance.now() - started) / 1000).toFixed(1)} s, ${stats.calls} calls (${stats.succeeded} succeeded, ${stats.failedClearly} failed with a clear error), faults: ${JSON.stringify(stats.faultsByClass)}, violations: ${stats.violations.length}`,
		);
		expect(stats.violations).toEqual([]);
		// A replay of one path runs that schedule alone.
		if (!process.env.FAULT_PATH) expect(stats.schedules).toBeGreaterThanOrEqual(RUNS[engine]);
		// The faults the model lists were all injected at this size (a replay runs one schedule: not checked then).
		if (process.env.FAULT_SEED) return;
		for (const fault of [...COMMON_FAULTS, ...EXPECTED_FAULTS[psa]]) expect(`${fault}: ${stats.faultsByClass[fault] ?? 0}`).not.toBe(`${fault}: 0`);
	}, 600_000);
});

/** Schedules per PSA and engine with one OS process per worker (seconds each); the soak runs more. */
const PROCESS_RUNS = Number(process.env.FAULT_RUNS_PROCESSES ?? 1);
const ENGINES: Engine[] = ['sqlite', 'postgres'];

describe.each(psasFromEnvironment())('exactly once with worker processes killed by SIGKILL on %s', (psa) => {
	let worlds: ProcessWorld[] = [];

	beforeAll(async () => {
		worlds = await Promise.all(ENGINES.map((engine) => startProcessWorld(engine, TARGETS[psa])));
	});

	afterAll(async () => {
		await Promise.all(worlds.map((world) => world.close()));
	});

	it(`${PROCESS_RUNS} schedule(s) per engine across processes on real time, SQLite and PostgreSQL side by side: the same invariants`, async () => {
		// Side by side: their time is mostly real-time waiting (settle windows).
		const all = await Promise.all(worlds.map((world) => checkProcessSchedules(world, PROCESS_RUNS, replayFromEnvironment().seed)));
		all.forEach((stats, index) => {
			console.log(`[${psa} ${worlds[index].engine}, processes] ${stats.schedules} schedules, ${stats.calls} calls, faults: ${JSON.stringify(stats.faultsByClass)}, violations: ${stats.violations.length}`);
			expect(stats.violations).toEqual([]);
			expect(stats.schedules).toBe(PROCESS_RUNS);
		});
	}, 300_000);
});
