// Runs the schedule property with fast-check on one PSA and engine: a failure shrinks to a small schedule and prints the
// PSA, seed and path that replay it.
import fc from 'fast-check';
import { runSchedule, scheduleArbFor, SoakStats } from './schedule';
import type { World } from './world';

export interface PropertyRun {
	numRuns: number;
	/** Replays a failure: the seed (and path) fast-check printed. FAULT_SEED / FAULT_PATH in the environment. */
	seed?: number;
	path?: string;
}

export function replayFromEnvironment(): Pick<PropertyRun, 'seed' | 'path'> {
	const seed = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : undefined;
	return { ...(seed !== undefined && Number.isFinite(seed) ? { seed } : {}), ...(process.env.FAULT_PATH ? { path: process.env.FAULT_PATH } : {}) };
}

/** The environment that replays one failing schedule. */
export function replayCommand(psa: string, seed: number, path: string | undefined): string {
	return `FAULT_PSA=${psa} FAULT_SEED=${seed}${path ? ` FAULT_PATH=${path}` : ''} npm test -- test/faults/fault-suite.test.ts`;
}

/**
 * Runs `numRuns` random schedules; resolves with the figures, rejects with a report that names the PSA, the engine, the
 * seed and the path of the shrunk schedule, the replay command, the schedule and its violations.
 */
export async function checkSchedules(world: World, run: PropertyRun, stats = new SoakStats()): Promise<SoakStats> {
	const seed = run.seed ?? Date.now() ^ (Math.random() * 0x7fffffff);
	const psa = world.target.psa;
	// Printed before the run: a run that never ends (or is killed) can still be replayed.
	if (process.env.FAULT_PRINT_SEED) console.log(`  ${psa} ${world.engine}: fast-check seed ${seed}`);
	const details = await fc.check(
		fc.asyncProperty(scheduleArbFor(world.target), async (schedule) => {
			await runSchedule(world, schedule, stats);
		}),
		{ numRuns: run.numRuns, seed, ...(run.path ? { path: run.path } : {}), endOnFailure: false, verbose: 0 },
	);
	if (details.failed) {
		const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
		throw new Error(
			[
				`Exactly-once violated on ${psa} (${world.engine}) after ${details.numRuns} schedule(s): seed ${details.seed}, path ${details.counterexamplePath ?? ''}`,
				`replay: ${replayCommand(psa, details.seed, details.counterexamplePath ?? undefined)}`,
				`shrunk schedule: ${JSON.stringify(details.counterexample?.[0])}`,
				cause,
			].join('\n'),
		);
	}
	return stats;
}

/** fast-check's report with the violations that failed the schedule (they are its cause). */
export function describeFailure(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const cause = error.cause instanceof Error ? `\n${error.cause.message}` : '';
	return `${error.message}${cause}`;
}
