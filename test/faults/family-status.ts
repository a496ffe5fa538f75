// Fault family: PSA Status set / close / reopen (and Link's closed-ticket policies) racing on linked tickets under faults.
import fc from 'fast-check';
import { closeTicket, reopenTicket, setStatus, type PsaServiceContext } from '../../lib/services';
import type { ClosedTicketPolicy } from '../../lib/services/lifecycle';
import { driveWorkers, fail, faultsArb, familyViolations, freshSource, linkedEntities, repairContext, settle, workerArb, type Family, type FamilyWorker, worldFaults } from './families';
import { callOp, entityTargetOf, type NamedSchedule } from './schedule';
import type { FaultTarget, PsaTarget } from './targets';
import { MAX_WORKERS, TIMING, WorkerRun } from './world';

export type StatusOp =
	| { kind: 'link'; entity: number }
	| { kind: 'set'; entity: number; name: string }
	| { kind: 'close'; entity: number }
	| { kind: 'reopen'; entity: number };

export interface StatusSchedule {
	entities: number;
	policy: ClosedTicketPolicy;
	workers: Array<FamilyWorker<StatusOp>>;
	faults: import('./targets').FaultPlan[];
	/** The status each entity's re-fire asks for last: what its ticket must show at the end. */
	finals: string[];
}

const FAULT_TARGETS: FaultTarget[] = ['patch', 'patch', 'patch', 'ticket-read', 'ticket-read', 'lookup', 'create', 'search'];

function opArb(target: PsaTarget, entities: number): fc.Arbitrary<StatusOp> {
	const entity = fc.nat(entities - 1);
	const names = [...target.statusNames.open, target.statusNames.closed];
	return fc.oneof(
		{ weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), entity, name: fc.constantFrom(...names) }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), entity }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('reopen' as const), entity }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('link' as const), entity }) },
	);
}

async function call(ctx: PsaServiceContext, named: NamedSchedule, op: StatusOp): Promise<unknown> {
	const ticket = { link: entityTargetOf(named.source, op.entity) };
	if (op.kind === 'link') return callOp(ctx, named, { kind: 'link', entity: op.entity });
	if (op.kind === 'set') return setStatus(ctx, ticket, { by: 'name', name: op.name });
	if (op.kind === 'close') return closeTicket(ctx, ticket);
	return reopenTicket(ctx, ticket);
}

export const statusFamily: Family<StatusSchedule> = {
	name: 'status',
	expectedFaults: worldFaults,
	arb(target) {
		return fc
			.record({ entities: fc.integer({ min: 1, max: 2 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
			.chain(({ entities, workerCount }) =>
				fc.record({
					entities: fc.constant(entities),
					policy: fc.constantFrom<ClosedTicketPolicy>('as-is', 'reopen', 'reopen-recent', 'new'),
					workers: fc.array(workerArb(opArb(target, entities)), { minLength: workerCount, maxLength: workerCount }),
					faults: faultsArb(FAULT_TARGETS, target.faultClasses),
					finals: fc.array(fc.constantFrom(...target.statusNames.open, target.statusNames.closed), { minLength: entities, maxLength: entities }),
				}),
			);
	},
	async run(world, schedule, stats) {
		const source = freshSource('status', world);
		const named = linkedEntities(schedule.entities, source, world.target.psa, schedule.policy);
		const violations: string[] = [];
		world.sandbox.reset();
		// Each entity starts linked (faults off): status calls then meet a ticket, not only "not linked".
		const setup = world.context(0, new WorkerRun(world.scheduler, undefined, new Set()));
		for (let entity = 0; entity < schedule.entities; entity++) await world.scheduler.drive(callOp(setup, named, { kind: 'link', entity }), TIMING.settleMs);
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', TIMING.maxRetryAfterMs);

		const { log, contexts } = await driveWorkers(world, schedule.workers, (ctx, op) => call(ctx, named, op), stats, violations);
		await settle(world, violations);

		// The re-fire: each entity's alert fires again (Link with the policy), then its last status is asked for, by a
		// worker that remembers what it saw during the schedule (its memory may be stale: the PSA must still end right).
		const repair = repairContext(world, contexts[0]?.cache);
		const finalStatus = new Map<string, string>();
		for (let entity = 0; entity < schedule.entities; entity++) {
			const final = schedule.finals[entity];
			finalStatus.set(entityTargetOf(source, entity).externalId, final);
			try {
				await world.scheduler.drive(call(repair, named, { kind: 'link', entity }), 2 * 60 * 60 * 1000);
				await world.scheduler.drive(call(repair, named, { kind: 'set', entity, name: final }), 2 * 60 * 60 * 1000);
			} catch (error) {
				violations.push(`the re-fire of entity ${entity} failed: ${error instanceof Error ? error.message : String(error)}`);
			}
		}
		const records = world.sandbox.records();
		violations.push(...(await familyViolations(records, world.stores[0], repair.provider, { named, finalStatus, openToOpenIsReopen: false })));
		// A reopen (closed to open) happens at most once per call that may reopen: PSA Status reopen or set to an open
		// status, PSA Link under a reopening policy; a resent write whose answer was lost lands on an open ticket.
		const reopening = log.filter((entry) => entry.op.kind === 'reopen' || (entry.op.kind === 'set' && entry.op.name !== world.target.statusNames.closed) || (entry.op.kind === 'link' && schedule.policy.startsWith('reopen')));
		const reopens = records.statusChanges.filter((change) => change.fromClosed && !change.toClosed).length;
		const allowed = reopening.length + 2 * schedule.entities;
		if (reopens > allowed) violations.push(`${reopens} reopens for ${reopening.length} calls that may reopen (and the re-fire's ${2 * schedule.entities})`);
		stats.count('lifecycle: closed ticket reopened', reopens);
		fail(stats, `status ${world.target.psa} ${world.engine} ${source}`, violations);
	},
};
