// Runs the schedule property with fast-check on one engine: a failure shrinks to a small schedule and prints the seed that replays it.
import fc from 'fast-check';
import { runSchedule, scheduleArb, SoakStats } from './schedule';
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

/** Runs `numRuns` random schedules; resolves with the figures, rejects with fast-check's report (seed, shrunk schedule). */
export async function checkSchedules(world: World, run: PropertyRun, stats = new SoakStats()): Promise<SoakStats> {
	const seed = run.seed ?? Date.now() ^ (Math.random() * 0x7fffffff);
	// Printed before the run: a run that never ends (or is killed) can still be replayed.
	if (process.env.FAULT_PRINT_SEED) console.log(`  fast-check seed ${seed}`);
	await fc.assert(
		fc.asyncProperty(scheduleArb, async (schedule) => {
			await runSchedule(world, schedule, stats);
		}),
		{ numRuns: run.numRuns, seed, ...(run.path ? { path: run.path } : {}), endOnFailure: false, verbose: 0 },
	);
	return stats;
}

/** fast-check's report with the violations that failed the schedule (they are its cause). */
export function describeFailure(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const cause = error.cause instanceof Error ? `\n${error.cause.message}` : '';
	return `${error.message}${cause}`;
}
