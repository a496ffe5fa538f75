// The randomized exactly-once suite at npm-test size: random schedules with faults on SQLite and PostgreSQL, checked against the sandbox.
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
		for (const fault of ['request lost before the PSA', 'response lost after commit', 'commit later than the client waits', '429 / 5xx', 'worker killed between steps', 'store unavailable mid-step', 'same item delivered twice']) {
			expect(stats.faultsByClass[fault] ?? 0).toBeGreaterThan(0);
		}
	});
});
