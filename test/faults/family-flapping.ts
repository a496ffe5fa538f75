// Fault family: an alert flapping (many state changes within the rule's window) racing across workers under faults: one flap note, no open or close while it flaps.
import fc from 'fast-check';
import type { PsaServiceContext } from '../../lib/services';
import type { RecoveryPolicy } from '../../lib/services/alert';
import type { FlappingRule } from '../../lib/services/flapping';
import { driveWorkers, fail, faultsArb, freshSource, repairContext, settle, workerArb, worldFaults, type Family, type FamilyWorker } from './families';
import { alertEvent, redeliver, ticketsOf, type AlertOp } from './family-recovery';
import type { FaultPlan, FaultTarget, PsaRecords, PsaTarget } from './targets';
import { MAX_WORKERS, TIMING } from './world';

export interface FlappingSchedule {
	entities: number;
	changes: number;
	onRecovery: Extract<RecoveryPolicy, 'close-if-untouched' | 'note'>;
	/** Events racing while the flap starts (some before the rule is met, handled normally). */
	starting: Array<FamilyWorker<AlertOp>>;
	/** Events racing once the alert flaps: none may open or close a ticket. */
	flapping: Array<FamilyWorker<AlertOp>>;
	faults: FaultPlan[];
}

const FAULT_TARGETS: FaultTarget[] = ['create', 'search', 'patch', 'ticket-read', 'note', 'note', 'note', 'lookup'];
/** Longer than any schedule on the virtual clock: the flap never ends within one, so every flapping event is "while flapping". */
const QUIET_MINUTES = 24 * 60;
const flapNotes = (records: PsaRecords, ticketId: number) => records.notes.filter((note) => note.ticketId === ticketId && note.text.startsWith('flapping:')).length;
const recoveryNotes = (records: PsaRecords, ticketId: number) => records.notes.filter((note) => note.ticketId === ticketId && note.text.startsWith('Alert recovered')).length;

const eventWorkers = (entities: number, workers: number) =>
	fc.array(workerArb(fc.record({ entity: fc.nat(entities - 1), state: fc.constantFrom('firing' as const, 'resolved' as const) }), 6, 5_000), { minLength: workers, maxLength: workers });

export const flappingFamily: Family<FlappingSchedule> = {
	name: 'flapping',
	expectedFaults: worldFaults,
	arb(target: PsaTarget) {
		return fc
			.record({ entities: fc.integer({ min: 1, max: 2 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
			.chain(({ entities, workerCount }) =>
				fc.record({
					entities: fc.constant(entities),
					changes: fc.integer({ min: 2, max: 4 }),
					onRecovery: fc.constantFrom('close-if-untouched' as const, 'note' as const),
					starting: eventWorkers(entities, workerCount),
					flapping: eventWorkers(entities, workerCount),
					faults: faultsArb(FAULT_TARGETS, target.faultClasses),
				}),
			);
	},
	async run(world, schedule, stats) {
		const source = freshSource('flapping', world);
		const violations: string[] = [];
		const rule: FlappingRule = { changes: schedule.changes, withinMinutes: 120, quietMinutes: QUIET_MINUTES };
		const options = { flapping: rule, onRecovery: schedule.onRecovery };
		const event = (ctx: PsaServiceContext, op: AlertOp) => alertEvent(ctx, world, source, op, options);
		world.sandbox.reset();
		const setup = repairContext(world);
		await redeliver(world, setup, source, schedule.entities, 'firing', violations, options);

		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', TIMING.maxRetryAfterMs);
		await driveWorkers(world, schedule.starting, event, stats, violations);
		await settle(world, violations);
		// Healthy events alternate until each entity flaps (the rule may not have been met by the racing ones).
		const repair = repairContext(world);
		for (let entity = 0; entity < schedule.entities; entity++) {
			let flapping = false;
			for (let step = 0; step < 2 * schedule.changes + 2 && !flapping; step++) {
				try {
					const result = await world.scheduler.drive(event(repair, { entity, state: step % 2 ? 'firing' : 'resolved' }), 2 * 60 * 60 * 1000);
					flapping = result.action === 'flapping';
				} catch (error) {
					violations.push(`entity ${entity}: a healthy event failed: ${error instanceof Error ? error.message : String(error)}`);
					break;
				}
			}
			if (!flapping) violations.push(`entity ${entity}: not flapping after ${2 * schedule.changes + 2} changes (rule: ${schedule.changes} within ${rule.withinMinutes} min)`);
		}

		const before = world.sandbox.records();
		const statusWrites = (records: PsaRecords) => records.statusChanges.filter((change) => change.fromClosed !== change.toClosed).length;
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', TIMING.maxRetryAfterMs);
		await driveWorkers(world, schedule.flapping, event, stats, violations);
		await settle(world, violations);
		// One more event per entity, healthy, still within the flap: whatever the flap owes the ticket is done now.
		for (let entity = 0; entity < schedule.entities; entity++) {
			try {
				await world.scheduler.drive(event(repairContext(world), { entity, state: 'firing' }), 2 * 60 * 60 * 1000);
			} catch (error) {
				violations.push(`entity ${entity}: the last healthy event failed: ${error instanceof Error ? error.message : String(error)}`);
			}
		}

		const after = world.sandbox.records();
		if (after.tickets.length !== before.tickets.length) violations.push(`${after.tickets.length - before.tickets.length} ticket(s) opened while flapping`);
		if (statusWrites(after) !== statusWrites(before)) violations.push(`${statusWrites(after) - statusWrites(before)} close / reopen(s) while flapping`);
		for (let entity = 0; entity < schedule.entities; entity++) {
			const made = ticketsOf(after, repair, source, entity);
			if (made.length !== 1) violations.push(`entity ${entity}: ${made.length} tickets (${made.join(', ')}), one expected`);
			for (const ticketId of made) {
				if (recoveryNotes(after, ticketId) !== recoveryNotes(before, ticketId)) violations.push(`entity ${entity}: ticket ${ticketId} got a recovery note while flapping`);
				const notes = flapNotes(after, ticketId);
				stats.count('flapping: flap note posted', notes);
				// Under Add a Note the ticket stays open through the flap: its flap note is owed. Under close-if-untouched the
				// flap may start on a closed ticket, which gets none.
				const open = !after.statusOf(ticketId)?.closed;
				if (notes > 1 || (open && notes !== 1)) violations.push(`entity ${entity}: ticket ${ticketId} (${open ? 'open' : 'closed'}) has ${notes} flap notes for one flap`);
			}
		}
		fail(stats, `flapping ${world.target.psa} ${world.engine} ${source}`, violations);
	},
};
