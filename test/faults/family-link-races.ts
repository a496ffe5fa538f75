// Fault family: PSA Link > Link Existing and Unlink racing Link for the same entities under faults, kills and store failures.
import fc from 'fast-check';
import { isPsaError } from '../../lib/providers/errors';
import { link, linkExisting, unlink, type PsaServiceContext } from '../../lib/services';
import { driveWorkers, fail, faultsArb, familyViolations, freshSource, repairContext, settle, workerArb, MAX_VIRTUAL_MS, type CallLog, type Family, type FamilyWorker, worldFaults } from './families';
import { entityTargetOf, type SoakStats } from './schedule';
import { TARGETS, type FaultPlan, type FaultTarget, type PsaTarget } from './targets';
import { MAX_WORKERS, TIMING, type World } from './world';

export type RaceOp =
	| { kind: 'link'; entity: number }
	/** ticket: one of the tickets made by hand for the schedule, or -1 for an id the PSA does not have. */
	| { kind: 'link-existing'; entity: number; ticket: number; replace: boolean }
	| { kind: 'unlink'; entity: number };

export interface RaceSchedule {
	entities: number;
	workers: Array<FamilyWorker<RaceOp>>;
	faults: FaultPlan[];
}

const HAND_MADE_TICKETS = 2;
const MISSING_TICKET_ID = 987_654;
const FAULT_TARGETS: FaultTarget[] = ['create', 'create', 'search', 'ticket-read', 'ticket-read', 'lookup'];

function opArb(entities: number): fc.Arbitrary<RaceOp> {
	const entity = fc.nat(entities - 1);
	return fc.oneof(
		{ weight: 3, arbitrary: fc.record({ kind: fc.constant('link' as const), entity }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('link-existing' as const), entity, ticket: fc.integer({ min: -1, max: HAND_MADE_TICKETS - 1 }), replace: fc.boolean() }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('unlink' as const), entity }) },
	);
}

function call(ctx: PsaServiceContext, source: string, tickets: number[], psa: PsaTarget, op: RaceOp): Promise<unknown> {
	const target = entityTargetOf(source, op.entity);
	if (op.kind === 'link') return link(ctx, target, { summary: `Race ${op.entity}`, ...psa.ticketFields });
	if (op.kind === 'link-existing') return linkExisting(ctx, target, op.ticket < 0 ? MISSING_TICKET_ID : tickets[op.ticket], { replace: op.replace });
	return unlink(ctx, target);
}

const overlaps = (a: CallLog<RaceOp>, b: CallLog<RaceOp>) => a.startedAt <= b.endedAt && b.startedAt <= a.endedAt;

/**
 * Unlink never removes a pending claim: an Unlink that found no row yet removed one removed a row made after its read;
 * with a Link of the entity running then and no Link Existing, that row was Link's claim.
 */
function unlinkRemovedClaim(log: Array<CallLog<RaceOp>>): string[] {
	const violations: string[] = [];
	for (const entry of log) {
		if (entry.op.kind !== 'unlink' || entry.outcome !== 'ok') continue;
		const result = entry.result as { removed: boolean; ticketId: number | null };
		if (!result.removed || result.ticketId !== null) continue;
		const same = log.filter((other) => other !== entry && other.op.entity === entry.op.entity && overlaps(other, entry));
		if (same.some((other) => other.op.kind === 'link') && !same.some((other) => other.op.kind === 'link-existing')) {
			violations.push(`worker ${entry.slot}'s Unlink of entity ${entry.op.entity} (t ${entry.startedAt}..${entry.endedAt}) found no link yet removed one: the pending claim of a Link running then`);
		}
	}
	return violations;
}

/** Unlinks that may have removed a linked row (each lets the next Link make a ticket of its own): done, or outcome unknown. */
function unlinksThatMayHaveRemoved(log: Array<CallLog<RaceOp>>, entity: number): number {
	return log.filter((entry) => {
		if (entry.op.kind !== 'unlink' || entry.op.entity !== entity) return false;
		if (entry.outcome === 'killed') return true;
		if (entry.outcome === 'error') return !isPsaError(entry.error, 'conflict');
		const result = entry.result as { removed: boolean; ticketId: number | null };
		return result.removed && result.ticketId !== null;
	}).length;
}

export const linkRacesFamily: Family<RaceSchedule> = {
	name: 'link-races',
	expectedFaults: worldFaults,
	arb(target) {
		return fc
			.record({ entities: fc.integer({ min: 1, max: 2 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
			.chain(({ entities, workerCount }) =>
				fc.record({
					entities: fc.constant(entities),
					workers: fc.array(workerArb(opArb(entities)), { minLength: workerCount, maxLength: workerCount }),
					faults: faultsArb(FAULT_TARGETS, target.faultClasses),
				}),
			);
	},
	async run(world: World, schedule, stats: SoakStats) {
		const source = freshSource('race', world);
		const psa = TARGETS[world.target.psa];
		const violations: string[] = [];
		world.sandbox.reset();
		const tickets = Array.from({ length: HAND_MADE_TICKETS }, (_, index) => world.sandbox.addTicket(`Made by hand ${index}`));
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', TIMING.maxRetryAfterMs);
		const { log } = await driveWorkers(world, schedule.workers, (ctx, op) => call(ctx, source, tickets, psa, op), stats, violations);
		violations.push(...unlinkRemovedClaim(log));
		for (const entry of log) {
			if (entry.op.kind === 'link-existing' && entry.op.ticket < 0 && entry.outcome === 'ok') violations.push(`Link Existing to ticket ${MISSING_TICKET_ID}, which the PSA does not have, succeeded`);
		}
		await settle(world, violations);

		const entities = [...new Set(log.map((entry) => entry.op.entity))];
		const repair = repairContext(world);
		for (const entity of entities) {
			try {
				await world.scheduler.drive(call(repair, source, tickets, psa, { kind: 'link', entity }), MAX_VIRTUAL_MS);
			} catch (error) {
				violations.push(`the re-fire of entity ${entity} failed: ${error instanceof Error ? error.message : String(error)}`);
			}
		}
		const records = world.sandbox.records();
		const linkRaces = { source, entities: entities.map((entity) => ({ externalId: entityTargetOf(source, entity).externalId, maxTickets: 1 + unlinksThatMayHaveRemoved(log, entity) })) };
		violations.push(...(await familyViolations(records, world.stores[0], repair.provider, { linkRaces })));
		stats.count('unlinks that removed a link', log.filter((entry) => entry.op.kind === 'unlink' && entry.outcome === 'ok' && (entry.result as { removed: boolean }).removed).length);
		fail(stats, `link-races ${world.target.psa} ${world.engine} ${source}`, violations);
	},
};
