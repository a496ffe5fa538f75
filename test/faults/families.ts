// Fault-suite families beyond Link / Note / Close: the shared driver (workers on the suite's world, kills, store failures),
// the one invariant checker read from the sandbox's records, and the seeded, shrinking runner that prints a replay.
import fc from 'fast-check';
import { linkKeyOf } from '../../lib/providers/link-key';
import type { PsaServiceContext } from '../../lib/services';
import type { PsaProvider } from '../../lib/providers/types';
import type { PsaStore } from '../../lib/store/types';
import { replayFromEnvironment, type PropertyRun } from './property';
import { isClearError, psaViolations, SANDBOX_FAULT_CLASS, SoakStats, type NamedSchedule, type Op, type Schedule } from './schedule';
import type { FaultClass, FaultPlan, FaultTarget, PsaName, PsaRecords, PsaTarget } from './targets';
import { HangError } from './virtual-time';
import { Killed, RunawayLoop, TIMING, WorkerRun, type KillPoint, type World } from './world';

export const MAX_VIRTUAL_MS = 2 * 60 * 60 * 1000;

/** One worker of a family's schedule: when it starts, its calls with the gaps before them, where it dies, which store calls fail. */
export interface FamilyWorker<Op> {
	startMs: number;
	ops: Array<{ op: Op; gapMs: number }>;
	kill?: KillPoint;
	storeFailures: number[];
}

/** What one call did, on the suite's clock: the checker reasons about overlaps from these. */
export interface CallLog<Op> {
	slot: number;
	op: Op;
	startedAt: number;
	endedAt: number;
	outcome: 'ok' | 'error' | 'killed';
	result?: unknown;
	error?: unknown;
}

export const workerArb = <Op>(opArb: fc.Arbitrary<Op>, maxOps = 5, maxGapMs = 2 * TIMING.settleMs): fc.Arbitrary<FamilyWorker<Op>> =>
	fc.record(
		{
			startMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: maxGapMs })),
			ops: fc.array(fc.record({ op: opArb, gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: maxGapMs })) }), { minLength: 1, maxLength: maxOps }),
			kill: fc.option(fc.record({ call: fc.integer({ min: 1, max: 30 }), after: fc.boolean() }), { nil: undefined, freq: 3 }),
			storeFailures: fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 2 }),
		},
		{ requiredKeys: ['startMs', 'ops', 'storeFailures'] },
	);

export const faultsArb = (targets: readonly FaultTarget[], classes: readonly FaultClass[], maxDelayMs = TIMING.maxCommitDelayMs, maxLength = 6): fc.Arbitrary<FaultPlan[]> =>
	fc.array(
		fc.record({
			target: fc.constantFrom<FaultTarget>(...targets),
			kind: fc.constantFrom<FaultClass>(...classes),
			ms: fc.integer({ min: 0, max: maxDelayMs }),
			times: fc.integer({ min: 1, max: 3 }),
		}),
		{ maxLength },
	);

let familyRun = 0;
/** A source name no other schedule uses: schedules share one store and one sandbox without meeting. */
/** The faults every family on the suite's world meets at its npm-test size (Autotask adds its thread limit). */
export const worldFaults = (psa: string): string[] => [
	'429 / 5xx',
	'commit later than the client waits',
	'response lost after commit',
	'request lost before the PSA',
	'worker killed between steps',
	'store unavailable mid-step',
	'same item delivered twice',
	...(psa === 'autotask' ? ['thread limit exceeded (Autotask)'] : []),
];

export const freshSource = (family: string, world: FamilyWorld): string => `${family}${++familyRun}-${world.target.psa}-${world.engine}`;

/**
 * Runs the workers on the world's virtual clock as runSchedule does: each call ends in success, a clear error, or the
 * worker's death; an unclear error, a runaway loop or a hang is a violation.
 */
export async function driveWorkers<Op>(
	world: World,
	workers: Array<FamilyWorker<Op>>,
	call: (ctx: PsaServiceContext, op: Op, slot: number) => Promise<unknown>,
	stats: SoakStats,
	violations: string[],
): Promise<{ log: Array<CallLog<Op>>; contexts: PsaServiceContext[] }> {
	const log: Array<CallLog<Op>> = [];
	const runs = workers.map((plan) => new WorkerRun(world.scheduler, plan.kill, new Set(plan.storeFailures)));
	const contexts = workers.map((_, slot) => world.context(slot, runs[slot]));
	const trace = process.env.FAULT_TRACE ? (line: string) => console.log(`[t=${world.scheduler.now() % 10_000_000}] ${line}`) : undefined;
	const running = workers.map(async (plan, slot) => {
		await world.scheduler.sleep(plan.startMs);
		for (const { op, gapMs } of plan.ops) {
			if (gapMs) await world.scheduler.sleep(gapMs);
			stats.calls++;
			const entry: CallLog<Op> = { slot, op, startedAt: world.scheduler.now(), endedAt: 0, outcome: 'ok' };
			log.push(entry);
			trace?.(`worker ${slot} starts ${JSON.stringify(op)}`);
			try {
				entry.result = await call(contexts[slot], op, slot);
				entry.endedAt = world.scheduler.now();
				stats.succeeded++;
				trace?.(`worker ${slot} ok ${JSON.stringify(op)} ${JSON.stringify(entry.result)?.slice(0, 200)}`);
			} catch (error) {
				entry.endedAt = world.scheduler.now();
				entry.error = error;
				trace?.(`worker ${slot} failed ${JSON.stringify(op)}: ${String(error)}`);
				if (error instanceof Killed) {
					entry.outcome = 'killed';
					return;
				}
				entry.outcome = 'error';
				if (error instanceof RunawayLoop) {
					violations.push(`worker ${slot} ${JSON.stringify(op)}: ${error.message}`);
					return;
				}
				if (!isClearError(error)) violations.push(`worker ${slot} ${JSON.stringify(op)} failed unclearly: ${String(error)}`);
				else stats.failedClearly++;
			}
		}
	});
	try {
		await world.scheduler.drive(Promise.all(running), MAX_VIRTUAL_MS);
	} catch (error) {
		if (error instanceof HangError) violations.push(`a call hung: ${error.message}`);
		else throw error;
	}
	for (const fault of world.sandbox.faultsMet()) stats.count(SANDBOX_FAULT_CLASS[fault] ?? fault);
	for (const run of runs) {
		if (run.events.killed) stats.count('worker killed between steps');
		if (run.events.storeFailures) stats.count('store unavailable mid-step', run.events.storeFailures);
	}
	const ops = workers.flatMap((plan) => plan.ops.map(({ op }) => JSON.stringify(op)));
	if (ops.length > new Set(ops).size) stats.count('same item delivered twice', ops.length - new Set(ops).size);
	return { log, contexts };
}

/** The settle window passes with the PSA healthy: late commits land, stale claims may be taken over. */
export async function settle(world: World, violations: string[]): Promise<void> {
	world.sandbox.clearFaults();
	await world.scheduler.advance(TIMING.settleMs + 1000);
	if (world.sandbox.pendingLateCommits) violations.push(`${world.sandbox.pendingLateCommits} late commits still pending after the settle window`);
}

/** A healthy worker for the re-fire; with `cache`, one that remembers what a schedule's worker saw (a live process). */
export function repairContext(world: World, cache?: PsaServiceContext['cache']): PsaServiceContext {
	const ctx = world.context(0, new WorkerRun(world.scheduler, undefined, new Set()));
	return cache ? { ...ctx, cache } : ctx;
}

/** What a family expects of the PSA's records beyond the exactly-once invariants of its entities. */
export interface Expectations {
	/** Entities whose tickets psaViolations checks (one per generation, the store pointing at it); their source. */
	named?: NamedSchedule;
	/** False where the schedule sets open statuses itself: an open-to-open write is then a status set, not a second reopen. */
	openToOpenIsReopen?: boolean;
	/** Per entity (external id): the status its ticket must show now. */
	finalStatus?: Map<string, string>;
	/**
	 * Entities Link may legitimately have made several generation-0 tickets for (an unlink in between): their external
	 * id, the most Link-made tickets allowed, and the source.
	 */
	linkRaces?: { source: string; entities: Array<{ externalId: string; maxTickets: number }> };
	/** Member-map identities: the store's mapping of each checked against the PSA's members. */
	members?: { source: string; identities: Array<{ identity: string; manualMembers: number[] }> };
}

/**
 * The one invariant checker: everything is read from the PSA sandbox's records (the store only says which record it
 * points at). Ticket and note invariants come from psaViolations; statuses, links made by hand, and member mappings
 * are checked here against the same records.
 */
export async function familyViolations(records: PsaRecords, store: PsaStore, provider: PsaProvider, expect: Expectations): Promise<string[]> {
	const violations: string[] = [];
	const connectionId = provider.connection.connectionId;
	if (expect.named) violations.push(...(await psaViolations(records, store, provider, expect.named, { openToOpenIsReopen: expect.openToOpenIsReopen })));
	const existing = new Set(records.tickets.map((ticket) => ticket.id));
	if (expect.finalStatus) {
		const source = expect.named?.source ?? expect.linkRaces?.source ?? '';
		for (const [externalId, wanted] of expect.finalStatus) {
			const stored = await store.links.find(connectionId, source, externalId);
			const status = stored?.ticketId ? records.statusOf(stored.ticketId) : undefined;
			if (!status) violations.push(`${externalId}: no ticket in the PSA to check the status of (store: ${JSON.stringify(stored?.ticketId)})`);
			else if (status.name.toLowerCase() !== wanted.toLowerCase()) violations.push(`${externalId}: ticket ${stored?.ticketId} shows status "${status.name}", the last requested was "${wanted}"`);
		}
	}
	if (expect.linkRaces) {
		const { source } = expect.linkRaces;
		for (const { externalId, maxTickets } of expect.linkRaces.entities) {
			const reference = provider.externalReferenceOf(linkKeyOf(source, externalId, 0));
			const made = records.tickets.filter((ticket) => ticket.reference === reference);
			if (made.length > maxTickets) violations.push(`${externalId}: Link made ${made.length} tickets (ids ${made.map((ticket) => ticket.id).join(', ')}); at most ${maxTickets} allowed by the unlinks that ran`);
			const stored = await store.links.find(connectionId, source, externalId);
			if (stored?.ticketId != null && !existing.has(stored.ticketId)) violations.push(`${externalId}: linked to ticket ${stored.ticketId}, which the PSA does not have`);
			if (stored && stored.state !== 'pending' && stored.ticketId == null) violations.push(`${externalId}: a ${stored.state} link without a ticket`);
		}
	}
	if (expect.members) {
		const { source } = expect.members;
		const all = await store.memberMap.list(connectionId, { source, limit: 1000 });
		for (const { identity, manualMembers } of expect.members.identities) {
			const rows = all.filter((mapping) => mapping.identity === identity);
			if (rows.length > 1) violations.push(`${identity}: mapped ${rows.length} times (${rows.map((row) => row.memberId).join(', ')})`);
			const mapping = rows[0];
			if (!mapping) continue;
			const member = records.members.find((candidate) => candidate.id === mapping.memberId);
			if (!member) violations.push(`${identity}: mapped to member ${mapping.memberId}, whom the PSA does not have`);
			else if (mapping.kind === 'auto') {
				const matching = records.members.filter((candidate) => candidate.active && candidate.emails.includes(identity));
				if (matching.length !== 1 || matching[0].id !== member.id) violations.push(`${identity}: auto-mapped to ${member.identifier} (${member.id}), but the PSA's active members with that email are [${matching.map((candidate) => candidate.id).join(', ')}]`);
			} else if (!manualMembers.includes(member.id)) violations.push(`${identity}: manually mapped to ${member.identifier} (${member.id}), which no Set call asked for`);
			if (member && mapping.memberIdentifier !== member.identifier) violations.push(`${identity}: the mapping names ${mapping.memberIdentifier}, member ${member.id} is ${member.identifier}`);
		}
	}
	return violations;
}

/** A family: its random schedules for one PSA, and how one schedule runs and is checked (throws with its violations). */
export interface Family<S, W extends FamilyWorld = World> {
	readonly name: string;
	/** The fault classes (as SoakStats counts them) a run at npm-test size must have met. */
	readonly expectedFaults: (psa: PsaName) => string[];
	/** False for a real-time family: a shrink step costs seconds, so a failure is reported as found (its seed and path replay it). */
	readonly shrink?: boolean;
	arb(target: PsaTarget): fc.Arbitrary<S>;
	run(world: W, schedule: S, stats: SoakStats): Promise<void>;
}

/** What every family's world has: the PSA it runs on and the store's engine (the virtual world, or a family's own). */
export interface FamilyWorld {
	target: PsaTarget;
	engine: string;
}

/** A schedule's violations, recorded in the figures and thrown so fast-check shrinks the schedule. */
export function fail(stats: SoakStats, label: string, violations: string[]): void {
	stats.schedules++;
	if (!violations.length) return;
	stats.violations.push(...violations.map((violation) => `[${label}] ${violation}`));
	throw new Error(`${violations.length} violation(s):\n${violations.join('\n')}`);
}

/**
 * Entities a family links (once each, under `policy`) in the form psaViolations and callOp know: one ticket per
 * entity and generation, the store pointing at it.
 */
export function linkedEntities(entities: number, source: string, psa: NamedSchedule['psa'], policy: Schedule['policy'] = 'as-is'): NamedSchedule {
	const ops = Array.from({ length: entities }, (_, entity) => ({ op: { kind: 'link', entity } as Op, gapMs: 0 }));
	return { schedule: { entities, keys: 1, faults: [], policy, workers: [{ startMs: 0, storeFailures: [], ops }] }, source, psa };
}

export function familyReplayCommand(family: string, psa: string, engine: string, seed: number, path: string | undefined): string {
	return `FAULT_FAMILY=${family} FAULT_PSA=${psa} FAULT_ENGINE=${engine} FAULT_SEED=${seed}${path ? ` FAULT_PATH=${path}` : ''} npm test -- test/faults/families.test.ts`;
}

/** Runs `numRuns` schedules of a family; rejects with the shrunk schedule, the seed, the path and the replay command. */
export async function checkFamily<S, W extends FamilyWorld>(family: Family<S, W>, world: W, run: PropertyRun, stats = new SoakStats()): Promise<SoakStats> {
	const seed = run.seed ?? Date.now() ^ (Math.random() * 0x7fffffff);
	const psa = world.target.psa;
	if (process.env.FAULT_PRINT_SEED) console.log(`  ${family.name} ${psa} ${world.engine}: fast-check seed ${seed}`);
	const details = await fc.check(
		fc.asyncProperty(family.arb(world.target), async (schedule) => {
			await family.run(world, schedule, stats);
		}),
		{ numRuns: run.numRuns, seed, ...(run.path ? { path: run.path } : {}), endOnFailure: family.shrink === false, verbose: 0 },
	);
	if (details.failed) {
		const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
		throw new Error(
			[
				`${family.name} violated on ${psa} (${world.engine}) after ${details.numRuns} schedule(s): seed ${details.seed}, path ${details.counterexamplePath ?? ''}`,
				`replay: ${familyReplayCommand(family.name, psa, world.engine, details.seed, details.counterexamplePath ?? undefined)}`,
				`shrunk schedule: ${JSON.stringify(details.counterexample?.[0])}`,
				cause,
			].join('\n'),
		);
	}
	return stats;
}

export { replayFromEnvironment };
export type { Schedule };
