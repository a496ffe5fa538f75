// Fault family: PSA Member Map resolve (email auto-match), set and remove racing on the same identities under faults.
import fc from 'fast-check';
import { isClearError, type SoakStats } from './schedule';
import { removeMember, resolveMember, setMember, type PsaServiceContext, type ResolvedMember } from '../../lib/services';
import { driveWorkers, fail, faultsArb, familyViolations, freshSource, repairContext, settle, workerArb, MAX_VIRTUAL_MS, type CallLog, type Family, type FamilyWorker } from './families';
import type { FaultPlan, FaultTarget, PsaTarget } from './targets';
import { MAX_WORKERS, type World } from './world';

/**
 * One active member has the first email on both PSAs (typed twice, in two cases: one identity); the others have an
 * inactive member, an active and an inactive one (ConnectWise), a second email field (Autotask), or no member; the last
 * is a chat id, which only a manual mapping resolves.
 */
const IDENTITIES = ['john.smith@acme.example', 'John.Smith@ACME.example', 'bruce@acme.example', 'jane.doe@acme.example', 'oldtech@acme.example', 'u-4711'];
const normalised = (identity: string) => (identity.includes('@') ? identity.toLowerCase() : identity);

export type MemberOp = { kind: 'resolve'; identity: number } | { kind: 'set'; identity: number; member: string } | { kind: 'remove'; identity: number };

export interface MemberSchedule {
	identities: number;
	workers: Array<FamilyWorker<MemberOp>>;
	faults: FaultPlan[];
}

const FAULT_TARGETS: FaultTarget[] = ['members'];

function opArb(target: PsaTarget, identities: number): fc.Arbitrary<MemberOp> {
	const identity = fc.nat(identities - 1);
	return fc.oneof(
		{ weight: 4, arbitrary: fc.record({ kind: fc.constant('resolve' as const), identity }) },
		{ weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), identity, member: fc.constantFrom(...target.memberIdentifiers) }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), identity }) },
	);
}

function call(ctx: PsaServiceContext, source: string, op: MemberOp): Promise<unknown> {
	const identity = IDENTITIES[op.identity];
	if (op.kind === 'resolve') return resolveMember(ctx, { source, identity });
	if (op.kind === 'set') return setMember(ctx, { source, identity, member: { identifier: op.member } });
	return removeMember(ctx, { source, identity });
}

/**
 * An auto-mapping never overrides a manual one: after a Set succeeded, a resolve that began later answers 'auto' only
 * when a Remove of that identity could have run in between (it had not ended before the Set began).
 */
function autoOverManual(log: Array<CallLog<MemberOp>>): string[] {
	const violations: string[] = [];
	const sameIdentity = (a: MemberOp, b: MemberOp) => normalised(IDENTITIES[a.identity]) === normalised(IDENTITIES[b.identity]);
	for (const set of log.filter((entry) => entry.op.kind === 'set' && entry.outcome === 'ok')) {
		for (const resolved of log.filter((entry) => entry.op.kind === 'resolve' && entry.outcome === 'ok' && sameIdentity(entry.op, set.op) && entry.startedAt > set.endedAt)) {
			if ((resolved.result as ResolvedMember).kind !== 'auto') continue;
			const removed = log.some((entry) => entry.op.kind === 'remove' && sameIdentity(entry.op, set.op) && entry.endedAt >= set.startedAt && entry.startedAt <= resolved.endedAt);
			if (!removed) violations.push(`${IDENTITIES[set.op.identity]}: resolved as auto-mapped (member ${(resolved.result as ResolvedMember).memberId}) at ${resolved.startedAt} after a manual Set ended at ${set.endedAt}, with no Remove in between`);
		}
	}
	return violations;
}

export const memberMapFamily: Family<MemberSchedule> = {
	name: 'member-map',
	expectedFaults: (psa) => ['429 / 5xx', 'request lost before the PSA', 'worker killed between steps', 'store unavailable mid-step', 'same item delivered twice', ...(psa === 'autotask' ? ['thread limit exceeded (Autotask)'] : [])],
	arb(target) {
		return fc
			.record({ identities: fc.integer({ min: 1, max: IDENTITIES.length }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
			.chain(({ identities, workerCount }) =>
				fc.record({
					identities: fc.constant(identities),
					workers: fc.array(workerArb(opArb(target, identities), 5, 10_000), { minLength: workerCount, maxLength: workerCount }),
					faults: faultsArb(FAULT_TARGETS, target.faultClasses, 5_000),
				}),
			);
	},
	async run(world: World, schedule, stats: SoakStats) {
		const source = freshSource('mm', world);
		const violations: string[] = [];
		world.sandbox.reset();
		for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', 5_000);
		const { log } = await driveWorkers(world, schedule.workers, (ctx, op) => call(ctx, source, op), stats, violations);
		violations.push(...autoOverManual(log));
		await settle(world, violations);

		const records = world.sandbox.records();
		const used = [...new Set(schedule.workers.flatMap((worker) => worker.ops.map(({ op }) => normalised(IDENTITIES[op.identity]))))];
		// The re-fire: each identity resolved once more, healthy. It answers when a mapping exists or one active member has the email.
		const repair = repairContext(world);
		for (const identity of used) {
			const stored = await world.stores[0].memberMap.get(repair.provider.connection.connectionId, source, identity);
			const matching = records.members.filter((member) => member.active && member.emails.includes(identity));
			try {
				const resolved = await world.scheduler.drive(resolveMember(repair, { source, identity }), MAX_VIRTUAL_MS);
				if (stored && resolved.memberId !== stored.memberId) violations.push(`${identity}: resolved to ${resolved.memberId}, the map holds ${stored.memberId}`);
				if (!stored && (matching.length !== 1 || resolved.memberId !== matching[0].id)) violations.push(`${identity}: resolved to ${resolved.memberId} without a mapping; the PSA's active members with it: [${matching.map((member) => member.id).join(', ')}]`);
			} catch (error) {
				if (!isClearError(error)) violations.push(`${identity}: the re-fire failed unclearly: ${String(error)}`);
				else if (stored || matching.length === 1) violations.push(`${identity}: the re-fire failed although it should resolve: ${String(error)}`);
			}
		}
		const idOf = (identifier: string) => records.members.find((member) => member.identifier === identifier)?.id ?? -1;
		const identities = used.map((identity) => ({
			identity,
			manualMembers: log.flatMap((entry) => (entry.op.kind === 'set' && normalised(IDENTITIES[entry.op.identity]) === identity ? [idOf(entry.op.member)] : [])),
		}));
		violations.push(...(await familyViolations(records, world.stores[0], repair.provider, { members: { source, identities } })));
		fail(stats, `member-map ${world.target.psa} ${world.engine} ${source}`, violations);
	},
};
