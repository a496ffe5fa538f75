// Fault family: Alert Event recoveries racing across workers on tickets some of which a person changed: close only the untouched, each once.
import fc from 'fast-check';
import { linkKeyOf } from '../../lib/providers/link-key';
import type { PsaServiceContext } from '../../lib/services';
import { handleAlertEvent } from '../../lib/services/alert';
import type { AlertState } from '../../lib/services/flapping';
import { driveWorkers, fail, faultsArb, freshSource, repairContext, settle, workerArb, worldFaults, type Family, type FamilyWorker } from './families';
import { entityTargetOf } from './schedule';
import type { FaultPlan, FaultTarget, PsaRecords, PsaTarget } from './targets';
import { MAX_WORKERS, TIMING, type World } from './world';

export interface AlertOp {
	entity: number;
	state: AlertState;
}

export interface RecoverySchedule {
	entities: number;
	/** Per entity: whether a technician changes its ticket between the firing and the recovery. */
	touched: boolean[];
	firing: Array<FamilyWorker<AlertOp>>;
	resolved: Array<FamilyWorker<AlertOp>>;
	faults: FaultPlan[];
}

const FAULT_TARGETS: FaultTarget[] = ['create', 'search', 'patch', 'patch', 'ticket-read', 'ticket-read', 'note', 'note', 'lookup'];
const HOUR_MS = 60 * 60 * 1000;

/** The event as the Alert Event operation hands it to the service (its default recovery: close if untouched). */
export function alertEvent(ctx: PsaServiceContext, world: World, source: string, op: AlertOp, options: Parameters<typeof handleAlertEvent>[2] = {}) {
	return handleAlertEvent(ctx, { target: entityTargetOf(source, op.entity), state: op.state, fields: { summary: `Alert ${op.entity}`, ...world.target.ticketFields } }, options);
}

/** The tickets the PSA holds for an entity's first generation (Link's reference on them), read from the sandbox. */
export function ticketsOf(records: PsaRecords, ctx: PsaServiceContext, source: string, entity: number): number[] {
	const reference = ctx.provider.externalReferenceOf(linkKeyOf(source, entityTargetOf(source, entity).externalId, 0));
	return records.tickets.filter((ticket) => ticket.reference === reference).map((ticket) => ticket.id);
}

const eventWorkers = (entities: number, state: AlertState, workers: number) =>
	fc.array(workerArb(fc.record({ entity: fc.nat(entities - 1), state: fc.constant(state) }), 4), { minLength: workers, maxLength: workers });

/** Delivers every entity's event once more from a healthy worker: whatever the schedule left undone is done now. */
export async function redeliver(world: World, ctx: PsaServiceContext, source: string, entities: number, state: AlertState, violations: string[], options: Parameters<typeof handleAlertEvent>[2] = {}): Promise<void> {
	for (let entity = 0; entity < entities; entity++) {
		try {
			await world.scheduler.drive(alertEvent(ctx, world, source, { entity, state }, options), 2 * HOUR_MS);
		} catch (error) {
			violations.push(`the healthy ${state} event of entity ${entity} failed: ${error instanceof Error ? error.message : String(error)}`);
		}
	}
}

export const recoveryFamily: Family<RecoverySchedule> = {
	name: 'recovery',
	expectedFaults: worldFaults,
	arb(target: PsaTarget) {
		return fc
			.record({ entities: fc.integer({ min: 1, max: 3 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
			.chain(({ entities, workerCount }) =>
				fc.record({
					entities: fc.constant(entities),
					touched: fc.array(fc.boolean(), { minLength: entities, maxLength: entities }),
					firing: eventWorkers(entities, 'firing', workerCount),
					resolved: eventWorkers(entities, 'resolved', workerCount),
					faults: faultsArb(FAULT_TARGETS, target.faultClasses),
				}),
			);
	},
	async run(world, schedule, stats) {
		const source = freshSource('recovery', world);
		const violations: string[] = [];
		world.sandbox.reset();
		const event = (ctx: PsaServiceContext, op: AlertOp) => alertEvent(ctx, world, source, op);

		// Firing, racing under faults; then every entity fires once more, healthy, so each has its ticket.
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', TIMING.maxRetryAfterMs);
		await driveWorkers(world, schedule.firing, event, stats, violations);
		await settle(world, violations);
		const repair = repairContext(world);
		await redeliver(world, repair, source, schedule.entities, 'firing', violations);

		// A technician changes some tickets in the PSA; later, the recoveries race under the same faults.
		await world.scheduler.advance(60_000);
		const tickets = Array.from({ length: schedule.entities }, (_, entity) => ticketsOf(world.sandbox.records(), repair, source, entity));
		schedule.touched.forEach((touched, entity) => {
			if (touched && tickets[entity].length) world.sandbox.touchAsPerson(tickets[entity][0], `Alert ${entity} (looked at by a technician)`);
		});
		await world.scheduler.advance(60_000);
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', TIMING.maxRetryAfterMs);
		await driveWorkers(world, schedule.resolved, event, stats, violations);
		await settle(world, violations);
		await redeliver(world, repairContext(world), source, schedule.entities, 'resolved', violations);

		const records = world.sandbox.records();
		for (let entity = 0; entity < schedule.entities; entity++) {
			const made = ticketsOf(records, repair, source, entity);
			if (made.length !== 1) violations.push(`entity ${entity}: ${made.length} tickets in the PSA (${made.join(', ')}), one expected`);
			for (const ticketId of made) {
				const closes = records.statusChanges.filter((change) => change.ticketId === ticketId && change.toClosed && !change.fromClosed).length;
				const notes = records.notes.filter((note) => note.ticketId === ticketId && note.text.startsWith('Alert recovered')).length;
				const touched = schedule.touched[entity];
				stats.count(touched ? 'recovery: touched ticket noted' : 'recovery: untouched ticket closed', touched ? notes : closes);
				if (touched && closes) violations.push(`entity ${entity}: ticket ${ticketId}, changed by a technician, was closed ${closes} time(s) by a recovery`);
				if (touched && notes !== 1) violations.push(`entity ${entity}: ticket ${ticketId}, changed by a technician, has ${notes} recovery notes, one expected`);
				if (!touched && closes !== 1) violations.push(`entity ${entity}: untouched ticket ${ticketId} was closed ${closes} times, once expected`);
				if (!touched && notes) violations.push(`entity ${entity}: untouched ticket ${ticketId} has ${notes} recovery notes, none expected`);
			}
		}
		fail(stats, `recovery ${world.target.psa} ${world.engine} ${source}`, violations);
	},
};
