// The fault-suite families beyond Link / Note / Close at npm-test size, on each PSA and engine: status set / reopen,
// the member map, linkExisting / unlink racing Link, ticket depth (classified creates with devices, updates, attaches),
// time entries and attachments once per key. FAULT_FAMILY, FAULT_PSA and FAULT_ENGINE narrow a run to replay one.
import { checkFamily, replayFromEnvironment, type Family } from './families';
import { statusFamily } from './family-status';
import { memberMapFamily } from './family-member-map';
import { linkRacesFamily } from './family-link-races';
import { depthFamily } from './family-depth';
import { recoveryFamily } from './family-recovery';
import { flappingFamily } from './family-flapping';
import { windowsFamily } from './family-windows';
import { catchUpFamily, startCatchUpWorld, type CatchUpWorld } from './family-catch-up';
import { attachmentsFamily, timeEntriesFamily } from './family-records';
import { sharedLimitsFamily, startLimitsWorld, type LimitsWorld } from './family-shared-limits';
import { startTriggerWorld, triggerFamily, type TriggerWorld } from './family-trigger';
import { psasFromEnvironment, TARGETS, type PsaName } from './targets';
import { startWorld, type Engine, type World } from './world';

/**
 * Schedules per family, PSA and engine in npm test: small (2 shared cores), each family under a minute in all;
 * npm run test:faults soaks more. Status schedules cost most (every entity linked first, a re-fire of two calls).
 */
// The alert families meet a lost answer after commit less often per schedule: more PostgreSQL schedules so each size meets every fault class.
const SIZES: Record<string, Record<Engine, number>> = { status: { sqlite: 40, postgres: 20 }, windows: { sqlite: 60, postgres: 60 }, recovery: { sqlite: 60, postgres: 50 }, flapping: { sqlite: 60, postgres: 50 } };
const runsOf = (family: string, engine: Engine): number =>
	Number(process.env[`FAULT_FAMILY_RUNS_${engine.toUpperCase()}`] ?? SIZES[family]?.[engine] ?? (engine === 'sqlite' ? 60 : 25));

export const VIRTUAL_FAMILIES: Array<Family<never>> = [statusFamily, memberMapFamily, linkRacesFamily, depthFamily, recoveryFamily, flappingFamily, windowsFamily, timeEntriesFamily, attachmentsFamily] as unknown as Array<Family<never>>;

const families = VIRTUAL_FAMILIES.filter((family) => !process.env.FAULT_FAMILY || process.env.FAULT_FAMILY === family.name);
const engines = (['sqlite', 'postgres'] as Engine[]).filter((engine) => !process.env.FAULT_ENGINE || process.env.FAULT_ENGINE === engine);
const combinations = psasFromEnvironment().flatMap((psa) => engines.map((engine): [PsaName, Engine] => [psa, engine]));

(families.length ? describe.each(combinations) : describe.skip.each([['connectwise', 'sqlite']]))('fault families on %s, %s', (psa, engine) => {
	let world: World;

	beforeAll(async () => {
		world = await startWorld(engine as Engine, TARGETS[psa as PsaName]);
	});

	afterAll(async () => {
		await world?.close();
	});

	it.each(families.map((family) => [family.name, family] as const))(`%s: its npm-test size of schedules, the invariants hold in the PSA's records`, async (name, family) => {
		const started = performance.now();
		const numRuns = runsOf(name, engine as Engine);
		const stats = await checkFamily(family, world, { numRuns, ...replayFromEnvironment() });
		// A small random size can miss a fault class now and then (each schedule draws a few): more schedules, up to three
		// times the size, until every class the family expects was met, so coverage does not depend on the seed's luck.
		const missing = () => (process.env.FAULT_SEED ? [] : family.expectedFaults(psa as PsaName).filter((fault) => !stats.faultsByClass[fault]));
		for (let round = 0; round < 2 && missing().length; round++) await checkFamily(family, world, { numRuns }, stats);
		console.log(
			`[${name} ${psa} ${engine}] ${stats.schedules} schedules in ${((performance.now() - started) / 1000).toFixed(1)} s, ${stats.calls} calls (${stats.succeeded} ok, ${stats.failedClearly} clear errors), faults: ${JSON.stringify(stats.faultsByClass)}, violations: ${stats.violations.length}`,
		);
		expect(stats.violations).toEqual([]);
		if (process.env.FAULT_SEED) return;
		for (const fault of family.expectedFaults(psa as PsaName)) expect(`${fault}: ${stats.faultsByClass[fault] ?? 0}`).not.toBe(`${fault}: 0`);
	}, 300_000);
});

/** Real-time schedules (seconds each: a settle window per schedule); the soak runs more. */
const LIMITS_RUNS = Number(process.env.FAULT_FAMILY_RUNS_LIMITS ?? 5);
const runLimits = (!process.env.FAULT_FAMILY || process.env.FAULT_FAMILY === sharedLimitsFamily.name) && psasFromEnvironment().includes('autotask') && engines.includes('postgres');

(runLimits ? describe : describe.skip)('shared request limits on PostgreSQL, Autotask, workers killed holding slots', () => {
	let world: LimitsWorld;

	beforeAll(async () => {
		world = await startLimitsWorld();
	});

	afterAll(async () => {
		await world?.close();
	});

	it(`${LIMITS_RUNS} schedules: never more than 3 in flight per endpoint, no thread-limit refusal reaches a user, exactly once`, async () => {
		const started = performance.now();
		const stats = await checkFamily(sharedLimitsFamily, world, { numRuns: LIMITS_RUNS, ...replayFromEnvironment() });
		console.log(
			`[shared-limits autotask postgres] ${stats.schedules} schedules in ${((performance.now() - started) / 1000).toFixed(1)} s, ${stats.calls} calls (${stats.succeeded} ok, ${stats.failedClearly} clear errors), faults: ${JSON.stringify(stats.faultsByClass)}, violations: ${stats.violations.length}`,
		);
		expect(stats.violations).toEqual([]);
	}, 300_000);
});

/** Trigger schedules per PSA and engine (real time: each change waits for the PSA's delivery). */
const TRIGGER_RUNS = Number(process.env.FAULT_FAMILY_RUNS_TRIGGER ?? 40);
const triggerCombinations = !process.env.FAULT_FAMILY || process.env.FAULT_FAMILY === triggerFamily.name ? combinations : [];

(triggerCombinations.length ? describe.each(triggerCombinations) : describe.skip.each([['connectwise', 'sqlite']]))('PSA Trigger deliveries duplicated, reordered, forged, with own changes, on %s, %s', (psa, engine) => {
	let world: TriggerWorld;

	beforeAll(async () => {
		world = await startTriggerWorld(psa as PsaName, engine as Engine);
	});

	afterAll(async () => {
		await world?.close();
	});

	it(`${TRIGGER_RUNS} schedules: each genuine change runs at most once, own changes and forgeries never`, async () => {
		const started = performance.now();
		const stats = await checkFamily(triggerFamily, world, { numRuns: TRIGGER_RUNS, ...replayFromEnvironment() });
		console.log(
			`[trigger ${psa} ${engine}] ${stats.schedules} schedules in ${((performance.now() - started) / 1000).toFixed(1)} s, ${stats.calls} deliveries, faults: ${JSON.stringify(stats.faultsByClass)}, violations: ${stats.violations.length}`,
		);
		expect(stats.violations).toEqual([]);
	}, 300_000);
});

/** Catch-up schedules (ConnectWise, the engine's default store; real time: each change waits for the PSA's second). */
const CATCH_UP_RUNS = Number(process.env.FAULT_FAMILY_RUNS_CATCH_UP ?? 8);
const runCatchUp = (!process.env.FAULT_FAMILY || process.env.FAULT_FAMILY === catchUpFamily.name) && psasFromEnvironment().includes('connectwise') && engines.includes('sqlite');

(runCatchUp ? describe : describe.skip)('PSA Catch-Up Trigger and PSA Trigger racing over changes missed while n8n was down, ConnectWise', () => {
	let world: CatchUpWorld;

	beforeAll(async () => {
		world = await startCatchUpWorld();
	});

	afterAll(async () => {
		await world?.close();
	});

	it(`${CATCH_UP_RUNS} schedules: each change runs the workflow at most once, each ticket's last once, in order per ticket`, async () => {
		const started = performance.now();
		const stats = await checkFamily(catchUpFamily, world, { numRuns: CATCH_UP_RUNS, ...replayFromEnvironment() });
		console.log(
			`[catch-up connectwise] ${stats.schedules} schedules in ${((performance.now() - started) / 1000).toFixed(1)} s, ${stats.calls} polls and deliveries, faults: ${JSON.stringify(stats.faultsByClass)}, violations: ${stats.violations.length}`,
		);
		expect(stats.violations).toEqual([]);
	}, 300_000);
});
