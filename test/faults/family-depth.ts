// Fault family: ticket depth under faults: Link creating a classified ticket with a custom field and two devices (one attached after the create where the PSA cannot carry it), racing PSA Ticket's Update and Add Configuration Item.
import fc from 'fast-check';
import type { PsaServiceContext } from '../../lib/services';
import { link, type LinkResult } from '../../lib/services';
import { addConfigurationItem, updateTicket } from '../../lib/services/ticket';
import { driveWorkers, fail, faultsArb, familyViolations, freshSource, linkedEntities, repairContext, settle, workerArb, MAX_VIRTUAL_MS, type Family, type FamilyWorker, worldFaults } from './families';
import { entityTargetOf } from './schedule';
import type { FaultPlan, FaultTarget, PsaTarget } from './targets';
import { MAX_WORKERS } from './world';

export type DepthOp = { kind: 'link'; entity: number } | { kind: 'update'; entity: number; value: string } | { kind: 'add-device'; entity: number };

export interface DepthSchedule {
	entities: number;
	workers: Array<FamilyWorker<DepthOp>>;
	faults: FaultPlan[];
	/** The custom field value each entity's re-fire sets last: what its ticket must hold at the end. */
	finals: string[];
}

const VALUES = ['first', 'second', 'third'];
const FAULT_TARGETS: FaultTarget[] = ['create', 'create', 'attach', 'attach', 'device-lookup', 'patch', 'search', 'ticket-read', 'lookup'];

function opArb(entities: number): fc.Arbitrary<DepthOp> {
	const entity = fc.nat(entities - 1);
	return fc.oneof(
		{ weight: 4, arbitrary: fc.record({ kind: fc.constant('link' as const), entity }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('update' as const), entity, value: fc.constantFrom(...VALUES) }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('add-device' as const), entity }) },
	);
}

/** Link's call as a dispatcher's workflow makes it: classified, a custom field, the first device by serial number, the second by id. */
function linkFields(psa: PsaTarget) {
	const { depth } = psa;
	return {
		summary: 'RMM: disk failing',
		companyId: psa.ticketFields.companyId,
		boardId: depth.boardId,
		details: { type: depth.typeName, ...(depth.subtypeName ? { subtype: depth.subtypeName } : {}), customFields: { [depth.textField]: 'initial' } },
		configurationItems: [
			{ by: 'serialNumber' as const, value: depth.deviceSerial },
			{ by: 'id' as const, value: String(depth.secondDeviceId) },
		],
	};
}

function call(ctx: PsaServiceContext, source: string, psa: PsaTarget, op: DepthOp): Promise<unknown> {
	const target = entityTargetOf(source, op.entity);
	if (op.kind === 'link') return link(ctx, target, linkFields(psa));
	if (op.kind === 'update') return updateTicket(ctx, { link: target }, { customFields: { [psa.depth.textField]: op.value } });
	return addConfigurationItem(ctx, { link: target }, { by: 'id', value: String(psa.depth.secondDeviceId) });
}

export const depthFamily: Family<DepthSchedule> = {
	name: 'depth',
	expectedFaults: worldFaults,
	arb(target) {
		return fc
			.record({ entities: fc.integer({ min: 1, max: 2 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
			.chain(({ entities, workerCount }) =>
				fc.record({
					entities: fc.constant(entities),
					workers: fc.array(workerArb(opArb(entities)), { minLength: workerCount, maxLength: workerCount }),
					faults: faultsArb(FAULT_TARGETS, target.faultClasses),
					finals: fc.array(fc.constantFrom(...VALUES), { minLength: entities, maxLength: entities }),
				}),
			);
	},
	async run(world, schedule, stats) {
		const source = freshSource('depth', world);
		const psa = world.target;
		const violations: string[] = [];
		world.sandbox.reset();
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', 2_000);
		const { log, contexts } = await driveWorkers(world, schedule.workers, (ctx, op) => call(ctx, source, psa, op), stats, violations);
		const linkResults: unknown[] = log.filter((entry) => entry.op.kind === 'link' && entry.outcome === 'ok').map((entry) => entry.result);
		await settle(world, violations);

		// The re-fire: each alert fires again, then its workflow sets the final value and makes sure of the second device,
		// by a worker that remembers what it saw (a live process).
		const repair = repairContext(world, contexts[0]?.cache);
		for (let entity = 0; entity < schedule.entities; entity++) {
			try {
				linkResults.push(await world.scheduler.drive(call(repair, source, psa, { kind: 'link', entity }), MAX_VIRTUAL_MS));
				await world.scheduler.drive(call(repair, source, psa, { kind: 'update', entity, value: schedule.finals[entity] }), MAX_VIRTUAL_MS);
				await world.scheduler.drive(call(repair, source, psa, { kind: 'add-device', entity }), MAX_VIRTUAL_MS);
			} catch (error) {
				violations.push(`the re-fire of entity ${entity} failed: ${error instanceof Error ? error.message : String(error)}`);
			}
		}
		const named = linkedEntities(schedule.entities, source, psa.psa);
		const records = world.sandbox.records();
		violations.push(...(await familyViolations(records, world.stores[0], repair.provider, { named })));
		// Checked in the PSA's records: each ticket holds both devices once each (the first attached by its create or, where
		// the create cannot carry it, under the link's claim, whoever finished the link), and the value asked for last.
		const connectionId = repair.provider.connection.connectionId;
		for (let entity = 0; entity < schedule.entities; entity++) {
			const { externalId } = entityTargetOf(source, entity);
			const stored = await world.stores[0].links.find(connectionId, source, externalId);
			if (!stored?.ticketId) {
				violations.push(`entity ${entity}: no linked ticket after the re-fire`);
				continue;
			}
			const devices = records.ticketDevices(stored.ticketId);
			if (new Set(devices).size !== devices.length) violations.push(`entity ${entity}: ticket ${stored.ticketId} holds a device twice: [${devices.join(', ')}]`);
			// The second device is also added by PSA Ticket (the re-fire's last step): it must be there. The first is Link's
			// alone: its attach may fail after the create (the ticket exists either way), and then a Link call must have
			// said so in its output (configurationItems.notAttached) — never missing in silence.
			if (!devices.includes(psa.depth.secondDeviceId)) violations.push(`entity ${entity}: ticket ${stored.ticketId} lacks device ${psa.depth.secondDeviceId}: [${devices.join(', ')}]`);
			if (!devices.includes(psa.depth.deviceId)) {
				const reported = linkResults.some((result) => (result as LinkResult | undefined)?.ticketId === stored.ticketId && (result as LinkResult).configurationItems?.notAttached.some((entry) => entry.value === String(psa.depth.deviceId) || entry.value === psa.depth.deviceSerial));
				if (reported) stats.count('depth: device attach failed and was reported');
				else violations.push(`entity ${entity}: ticket ${stored.ticketId} lacks device ${psa.depth.deviceId} and no Link call reported it: [${devices.join(', ')}]`);
			}
			const value = records.ticketCustomFields(stored.ticketId)[psa.depth.textField];
			if (value !== schedule.finals[entity]) violations.push(`entity ${entity}: ticket ${stored.ticketId} holds "${String(value)}" in ${psa.depth.textField}, the last asked for was "${schedule.finals[entity]}"`);
		}
		stats.count('depth: tickets checked', schedule.entities);
		fail(stats, `depth ${psa.psa} ${world.engine} ${source}`, violations);
	},
};
