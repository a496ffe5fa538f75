// Fault family: alerts held in a maintenance window, then its release (scheduled, and lazily by the next event) racing across workers under faults.
import fc from 'fast-check';
import type { PsaServiceContext } from '../../lib/services';
import type { AlertState } from '../../lib/services/flapping';
import { releaseEndedWindows, RELEASE_LEASE_MS, setWindow } from '../../lib/services/windows';
import { driveWorkers, fail, faultsArb, freshSource, repairContext, settle, workerArb, worldFaults, type Family, type FamilyWorker } from './families';
import { alertEvent, ticketsOf, type AlertOp } from './family-recovery';
import type { FaultPlan, FaultTarget, PsaTarget } from './targets';
import { MAX_WORKERS, TIMING } from './world';

/** A release: the scheduled one (Release Ended Windows), or an alert of another entity the window covered, which releases it first. */
export type ReleaseOp = { kind: 'release' } | { kind: 'next-event' };

export interface WindowsSchedule {
	entities: number;
	/** Events held while the window is on, racing. */
	held: Array<FamilyWorker<AlertOp>>;
	/** Each entity's last event inside the window: firing gets its one ticket at the release, resolved none. */
	finals: AlertState[];
	releases: Array<FamilyWorker<ReleaseOp>>;
	faults: FaultPlan[];
}

const FAULT_TARGETS: FaultTarget[] = ['create', 'create', 'search', 'search', 'lookup', 'ticket-read'];
const WINDOW_MS = 60 * 60 * 1000;

export const windowsFamily: Family<WindowsSchedule> = {
	name: 'windows',
	expectedFaults: worldFaults,
	arb(target: PsaTarget) {
		return fc
			.record({ entities: fc.integer({ min: 1, max: 3 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
			.chain(({ entities, workerCount }) =>
				fc.record({
					entities: fc.constant(entities),
					held: fc.array(workerArb(fc.record({ entity: fc.nat(entities - 1), state: fc.constantFrom('firing' as const, 'resolved' as const) }), 4), { minLength: workerCount, maxLength: workerCount }),
					finals: fc.array(fc.constantFrom('firing' as const, 'resolved' as const), { minLength: entities, maxLength: entities }),
					releases: fc.array(workerArb(fc.oneof(fc.constant({ kind: 'release' as const }), fc.constant({ kind: 'next-event' as const })), 3), { minLength: workerCount, maxLength: workerCount }),
					faults: faultsArb(FAULT_TARGETS, target.faultClasses),
				}),
			);
	},
	async run(world, schedule, stats) {
		const source = freshSource('windows', world);
		const violations: string[] = [];
		world.sandbox.reset();
		const setup = repairContext(world);
		const now = world.scheduler.now();
		await world.scheduler.drive(setWindow(setup, { id: `w-${source}`, sourcePattern: source, startsAt: now - 1000, endsAt: now + WINDOW_MS }), 60_000);

		// Held: store only (no PSA request), with workers killed and the store failing; then each entity's last event.
		await driveWorkers(world, schedule.held, (ctx, op) => alertEvent(ctx, world, source, op), stats, violations);
		await world.scheduler.advance(1000);
		for (let entity = 0; entity < schedule.entities; entity++) {
			const result = await world.scheduler.drive(alertEvent(setup, world, source, { entity, state: schedule.finals[entity] }), 60_000).catch((error: unknown) => error);
			if (!(result && typeof result === 'object' && 'action' in result && result.action === 'held')) violations.push(`entity ${entity}: its last event in the window was not held: ${String(result instanceof Error ? result.message : JSON.stringify(result))}`);
		}
		if (world.sandbox.records().tickets.length) violations.push(`${world.sandbox.records().tickets.length} ticket(s) made while the window was on`);

		// The window ends; releases race under faults: the scheduled one, and the next alert (entity `entities`, firing).
		await world.scheduler.advance(WINDOW_MS);
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', TIMING.maxRetryAfterMs);
		const nextEvent = { entity: schedule.entities, state: 'firing' as const };
		const release = (ctx: PsaServiceContext, op: ReleaseOp) => (op.kind === 'release' ? releaseEndedWindows(ctx) : alertEvent(ctx, world, source, nextEvent));
		await driveWorkers(world, schedule.releases, release, stats, violations);
		await settle(world, violations);
		// A run that died holding the release lease is replaced after it: the next scheduled release finishes the window.
		await world.scheduler.advance(RELEASE_LEASE_MS);
		const repair = repairContext(world);
		try {
			await world.scheduler.drive(releaseEndedWindows(repair), 2 * 60 * 60 * 1000);
		} catch (error) {
			violations.push(`the healthy release failed: ${error instanceof Error ? error.message : String(error)}`);
		}

		const records = world.sandbox.records();
		for (let entity = 0; entity < schedule.entities; entity++) {
			const made = ticketsOf(records, repair, source, entity);
			const wanted = schedule.finals[entity] === 'firing' ? 1 : 0;
			stats.count(wanted ? 'windows: still firing, one ticket' : 'windows: recovered in the window, none', 1);
			if (made.length !== wanted) violations.push(`entity ${entity} (${schedule.finals[entity]} at the window's end): ${made.length} tickets (${made.join(', ')}), ${wanted} expected`);
		}
		const nextTickets = ticketsOf(records, repair, source, schedule.entities);
		const nextEvents = schedule.releases.flatMap((worker) => worker.ops).filter(({ op }) => op.kind === 'next-event').length;
		if (nextTickets.length > Math.min(1, nextEvents)) violations.push(`the next alert got ${nextTickets.length} tickets`);
		fail(stats, `windows ${world.target.psa} ${world.engine} ${source}`, violations);
	},
};
