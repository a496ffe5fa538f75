// Random schedules of Link / Note / Status calls from several workers under injected faults, and the invariants checked
// against the PSA sandbox's own records: one checker for every PSA, the PSA's differences in its target (targets.ts).
import fc from 'fast-check';
import { isPsaError } from '../../lib/providers/errors';
import { linkKeyOf } from '../../lib/providers/link-key';
import { addNote, closeTicket, link, reopenTicket, type PsaServiceContext } from '../../lib/services';
import type { ClosedTicketPolicy } from '../../lib/services/lifecycle';
import { isStoreError } from '../../lib/store';
import type { PsaProvider } from '../../lib/providers/types';
import type { PsaStore } from '../../lib/store/types';
import { TARGETS, type FaultClass, type FaultPlan, type FaultTarget, type PsaName, type PsaRecords, type PsaTarget } from './targets';
import { HangError } from './virtual-time';
import { Killed, MAX_WORKERS, RunawayLoop, TIMING, WorkerRun, type KillPoint, type World } from './world';

export type Op = { kind: 'link'; entity: number } | { kind: 'note'; key: number } | { kind: 'status'; entity: number; close: boolean };

export interface WorkerPlan {
	startMs: number;
	ops: Array<{ op: Op; gapMs: number }>;
	kill?: KillPoint;
	storeFailures: number[];
}

export type { FaultClass, FaultPlan, FaultTarget } from './targets';

export interface Schedule {
	entities: number;
	keys: number;
	workers: WorkerPlan[];
	faults: FaultPlan[];
	/** PSA Link's When the Linked Ticket Is Closed for every link call of the schedule (status calls close tickets). */
	policy?: ClosedTicketPolicy;
}

/** reopen-recent's window in the suite: schedules span minutes, so both of its branches are met. */
const REOPEN_WITHIN_HOURS = 0.02;

/** Keys share texts two by two, so recovery meets identical notes of other keys on the same ticket. */
export const entityOfKey = (schedule: Schedule, key: number): number => key % schedule.entities;
export const textOfKey = (key: number): string => `Alert fired again (${key % 2 === 0 ? 'disk' : 'cpu'})`;

const opArb = (entities: number, keys: number): fc.Arbitrary<Op> =>
	fc.oneof(
		{ weight: 4, arbitrary: fc.record({ kind: fc.constant('link' as const), entity: fc.nat(entities - 1) }) },
		{ weight: 4, arbitrary: fc.record({ kind: fc.constant('note' as const), key: fc.nat(keys - 1) }) },
		{ weight: 1, arbitrary: fc.record({ kind: fc.constant('status' as const), entity: fc.nat(entities - 1), close: fc.constant(true) }) },
	);

const workerArb = (entities: number, keys: number): fc.Arbitrary<WorkerPlan> =>
	fc.record(
		{
			startMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * TIMING.settleMs })),
			ops: fc.array(fc.record({ op: opArb(entities, keys), gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * TIMING.settleMs })) }), {
				minLength: 1,
				maxLength: 5,
			}),
			kill: fc.option(fc.record({ call: fc.integer({ min: 1, max: 30 }), after: fc.boolean() }), { nil: undefined, freq: 3 }),
			storeFailures: fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 2 }),
		},
		{ requiredKeys: ['startMs', 'ops', 'storeFailures'] },
	);

const faultArb = (classes: readonly FaultClass[]): fc.Arbitrary<FaultPlan> =>
	fc.record({
		target: fc.constantFrom<FaultTarget>('create', 'create', 'note', 'note', 'search', 'notes-list', 'patch', 'ticket-read', 'lookup'),
		kind: fc.constantFrom<FaultClass>(...classes),
		ms: fc.integer({ min: 0, max: TIMING.maxCommitDelayMs }),
		times: fc.integer({ min: 1, max: 3 }),
	});

/** Random schedules for one PSA: the same shape for every PSA, its own fault classes. */
export function scheduleArbFor(target: PsaTarget): fc.Arbitrary<Schedule> {
	return fc
		.record({ entities: fc.integer({ min: 1, max: 3 }), keys: fc.integer({ min: 1, max: 4 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
		.chain(({ entities, keys, workerCount }) =>
			fc.record({
				entities: fc.constant(entities),
				keys: fc.constant(keys),
				workers: fc.array(workerArb(entities, keys), { minLength: workerCount, maxLength: workerCount }),
				faults: fc.array(faultArb(target.faultClasses), { maxLength: 6 }),
				policy: fc.constantFrom<ClosedTicketPolicy>('as-is', 'reopen', 'reopen-recent', 'new'),
			}),
		);
}

/** Figures over many schedules: what ran, what was injected, what broke. */
export class SoakStats {
	schedules = 0;
	calls = 0;
	succeeded = 0;
	failedClearly = 0;
	faultsByClass: Record<string, number> = {};
	violations: string[] = [];

	count(name: string, by = 1): void {
		this.faultsByClass[name] = (this.faultsByClass[name] ?? 0) + by;
	}

	merge(other: SoakStats): void {
		this.schedules += other.schedules;
		this.calls += other.calls;
		this.succeeded += other.succeeded;
		this.failedClearly += other.failedClearly;
		for (const [name, count] of Object.entries(other.faultsByClass)) this.count(name, count);
		this.violations.push(...other.violations);
	}
}

export const SANDBOX_FAULT_CLASS: Record<string, string> = {
	drop: 'request lost before the PSA',
	'drop-after-commit': 'response lost after commit',
	garbled: 'answer after commit that is not the record',
	'late-commit': 'commit later than the client waits',
	status: '429 / 5xx',
	'thread-limit': 'thread limit exceeded (Autotask)',
};

/** An error a user can act on: the package's own error kinds with a message, not a crash. */
export function isClearError(error: unknown): boolean {
	if (isPsaError(error) || isStoreError(error)) return typeof error.message === 'string' && error.message.length > 10;
	return false;
}

let scheduleCounter = 0;

/** A schedule under its own source name, so schedules sharing a store and a sandbox never meet; and the PSA it runs on. */
export interface NamedSchedule {
	schedule: Schedule;
	source: string;
	psa: PsaName;
}

/**
 * Entity 1's id differs from entity 0's only in case: a PSA that compares case-insensitively must still keep them apart.
 * Entity 2's key is longer than Autotask's 50-character externalID, so there its reference is the hashed form.
 */
const externalIdOf = (entity: number): string => (entity === 1 ? 'ALERT-0' : entity === 2 ? `alert-2-${'x'.repeat(40)}` : `alert-${entity}`);
const targetOf = (source: string, entity: number) => ({ source, externalId: externalIdOf(entity) });
/** An entity of a schedule as PSA Link names it (the families address the same entities). */
export const entityTargetOf = targetOf;
const keyNameOf = (source: string, key: number) => `${source}:note-${key}`;

/** One call of a schedule, as PSA Link > Link, PSA Note > Add (by link, keyed) and PSA Status > Close / Reopen make it. */
export async function callOp(ctx: PsaServiceContext, { schedule, source, psa }: NamedSchedule, op: Op): Promise<void> {
	if (op.kind === 'link') {
		const options = { whenClosed: schedule.policy ?? 'as-is', reopenWithinHours: REOPEN_WITHIN_HOURS };
		await link(ctx, targetOf(source, op.entity), { summary: `Alert ${op.entity}`, ...TARGETS[psa].ticketFields }, options);
	}
	else if (op.kind === 'note') {
		const entity = entityOfKey(schedule, op.key);
		await addNote(ctx, { ticket: { link: targetOf(source, entity) }, text: textOfKey(op.key), type: 'internal', dedupeKey: keyNameOf(source, op.key) });
	} else if (op.close) await closeTicket(ctx, { link: targetOf(source, op.entity) });
	else await reopenTicket(ctx, { link: targetOf(source, op.entity) });
}

function usedBy(schedule: Schedule): { entities: number[]; keys: number[] } {
	const ops = schedule.workers.flatMap((plan) => plan.ops.map(({ op }) => op));
	const keys = [...new Set(ops.flatMap((op) => (op.kind === 'note' ? [op.key] : [])))];
	const entities = [...new Set([...ops.flatMap((op) => (op.kind === 'note' ? [] : [op.entity])), ...keys.map((key) => entityOfKey(schedule, key))])];
	return { entities, keys };
}

/** The monitoring tool's re-fire once the dust has settled: every entity's link, then every key's note, once each. */
export async function refire(ctx: PsaServiceContext, named: NamedSchedule): Promise<void> {
	const { entities, keys } = usedBy(named.schedule);
	for (const entity of entities) await callOp(ctx, named, { kind: 'link', entity });
	for (const key of keys) await callOp(ctx, named, { kind: 'note', key });
}

/**
 * The invariants, read from the PSA's records: one ticket per entity (and the store pointing at it), each key's note on
 * the PSA with its text and ticket, no note owned by two keys, and per ticket and text as many notes as keys.
 */
export async function psaViolations(
	records: PsaRecords,
	store: PsaStore,
	provider: PsaProvider,
	{ schedule, source }: NamedSchedule,
	options: { openToOpenIsReopen?: boolean } = {},
): Promise<string[]> {
	const violations: string[] = [];
	const { entities, keys } = usedBy(schedule);
	const connectionId = provider.connection.connectionId;
	const ticketsOfEntity = new Map<number, Set<number>>();
	for (const entity of entities) {
		const stored = await store.links.find(connectionId, source, externalIdOf(entity));
		const current = stored?.generation ?? 0;
		const mine = new Set<number>();
		ticketsOfEntity.set(entity, mine);
		// Each generation (the entity's first ticket, then each new one after a close) has exactly one ticket; none beyond.
		for (let generation = 0; generation <= current + 2; generation++) {
			const reference = provider.externalReferenceOf(linkKeyOf(source, externalIdOf(entity), generation));
			const tickets = records.tickets.filter((ticket) => ticket.reference === reference);
			tickets.forEach((ticket) => mine.add(ticket.id));
			const expected = generation <= current ? 1 : 0;
			if (tickets.length !== expected) violations.push(`entity ${entity} generation ${generation} (current ${current}) has ${tickets.length} tickets in the PSA (ids ${tickets.map((ticket) => ticket.id).join(', ')})`);
			if (generation === current && tickets.length === 1 && stored?.ticketId !== tickets[0].id) violations.push(`entity ${entity}: the store points at ticket ${stored?.ticketId}, the PSA's generation ${current} is ${tickets[0].id}`);
		}
	}
	const ownerOfNote = new Map<number, number>();
	const groups = new Map<string, number>();
	for (const key of keys) {
		const receipt = await store.noteReceipts.find(connectionId, keyNameOf(source, key));
		const note = records.notes.find((candidate) => candidate.id === receipt?.noteId);
		if (!receipt || receipt.state !== 'posted' || !note) {
			violations.push(`key ${key}: receipt ${JSON.stringify(receipt?.state)} names note ${receipt?.noteId}, which the PSA does not have`);
			continue;
		}
		if (note.ticketId !== receipt.ticketId || note.text !== textOfKey(key)) violations.push(`key ${key}: its note ${note.id} is on ticket ${note.ticketId} with other text`);
		if (!ticketsOfEntity.get(entityOfKey(schedule, key))?.has(note.ticketId)) violations.push(`key ${key}: its note ${note.id} is on ticket ${note.ticketId}, not one of its entity's`);
		const owner = ownerOfNote.get(note.id);
		if (owner !== undefined) violations.push(`note ${note.id} is owned by keys ${owner} and ${key}`);
		ownerOfNote.set(note.id, key);
		const group = `${receipt.ticketId}|${textOfKey(key)}`;
		groups.set(group, (groups.get(group) ?? 0) + 1);
	}
	// Per ticket and text, as many notes as keys: none posted twice, none adopted from another key.
	for (const [group, count] of groups) {
		const [ticketId, text] = group.split('|');
		const notes = records.notes.filter((note) => String(note.ticketId) === ticketId && note.text === text).length;
		if (notes !== count) violations.push(`ticket ${ticketId} has ${notes} notes "${text}" for ${count} dedupe keys`);
	}
	// One reopen per re-fire: a status write to an open status on a ticket that is already open is a second reopen,
	// unless it repeats a reopen whose answer was lost (the client sends the write again when no answer came).
	// Where the schedule also sets open statuses (the status family), an open-to-open write is a status set, not a reopen:
	// that family counts reopens itself.
	const redundant = new Map<number, number>();
	for (const change of options.openToOpenIsReopen === false ? [] : records.statusChanges) {
		if (!change.toClosed && !change.fromClosed) redundant.set(change.ticketId, (redundant.get(change.ticketId) ?? 0) + 1);
	}
	for (const [ticketId, count] of redundant) {
		const lostAnswers = records.lostStatusAnswers(ticketId);
		if (count > lostAnswers) violations.push(`ticket ${ticketId} was reopened ${count} time(s) while already open (${lostAnswers} status write answer(s) lost)`);
	}
	return violations;
}

/**
 * Runs one schedule, then lets the settle window pass with faults off, repeats every entity's link and every key's note
 * once (as a monitoring tool re-fires), and checks the PSA's records. Throws with the violations (fast-check shrinks it).
 */
export async function runSchedule(world: World, schedule: Schedule, stats: SoakStats): Promise<void> {
	const run = ++scheduleCounter;
	const psa = world.target.psa;
	const source = `s${run}-${psa}-${world.engine}`;
	world.sandbox.reset();
	for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', TIMING.maxRetryAfterMs);

	const named: NamedSchedule = { schedule, source, psa };
	const call = (ctx: PsaServiceContext, op: Op) => callOp(ctx, named, op);

	const violations: string[] = [];
	// FAULT_TRACE=1 prints every call's outcome and the PSA's request log: for reading a replayed failure.
	const trace = process.env.FAULT_TRACE ? (line: string) => console.log(`[t=${world.scheduler.now() % 10_000_000}] ${line}`) : undefined;
	const runs = schedule.workers.map((plan) => new WorkerRun(world.scheduler, plan.kill, new Set(plan.storeFailures)));
	const workers = schedule.workers.map(async (plan, slot) => {
		const ctx = world.context(slot, runs[slot]);
		await world.scheduler.sleep(plan.startMs);
		for (const { op, gapMs } of plan.ops) {
			if (gapMs) await world.scheduler.sleep(gapMs);
			stats.calls++;
			try {
				trace?.(`worker ${slot} starts ${JSON.stringify(op)}`);
				await call(ctx, op);
				trace?.(`worker ${slot} ok ${JSON.stringify(op)}`);
				stats.succeeded++;
			} catch (error) {
				trace?.(`worker ${slot} failed ${JSON.stringify(op)}: ${String(error)}`);
				if (error instanceof Killed) return;
				if (error instanceof RunawayLoop) {
					violations.push(`worker ${slot} ${JSON.stringify(op)}: ${error.message}`);
					return;
				}
				if (!isClearError(error)) violations.push(`worker ${slot} ${JSON.stringify(op)} failed unclearly: ${String(error)}`);
				else stats.failedClearly++;
			}
		}
	});
	const maxVirtualMs = 2 * 60 * 60 * 1000;
	try {
		await world.scheduler.drive(Promise.all(workers), maxVirtualMs);
	} catch (error) {
		if (error instanceof HangError) violations.push(`a call hung: ${error.message}`);
		else throw error;
	}

	for (const fault of world.sandbox.faultsMet()) stats.count(SANDBOX_FAULT_CLASS[fault] ?? fault);
	for (const workerRun of runs) {
		if (workerRun.events.killed) stats.count('worker killed between steps');
		if (workerRun.events.storeFailures) stats.count('store unavailable mid-step', workerRun.events.storeFailures);
	}
	const duplicates = schedule.workers.flatMap((plan) => plan.ops).length - new Set(schedule.workers.flatMap((plan) => plan.ops.map(({ op }) => JSON.stringify(op)))).size;
	if (duplicates) stats.count('same item delivered twice', duplicates);

	// The re-fire: after the settle window, with the PSA healthy, each entity and each key once more. All must succeed.
	world.sandbox.clearFaults();
	await world.scheduler.advance(TIMING.settleMs + 1000);
	if (world.sandbox.pendingLateCommits) violations.push(`${world.sandbox.pendingLateCommits} late commits still pending after the settle window`);
	const repair = world.context(0, new WorkerRun(world.scheduler, undefined, new Set()));
	try {
		await world.scheduler.drive(refire(repair, named), maxVirtualMs);
	} catch (error) {
		violations.push(`the re-fire after the settle window failed: ${error instanceof Error ? error.message : String(error)}`);
	}
	const records = world.sandbox.records();
	violations.push(...(await psaViolations(records, world.stores[0], repair.provider, named)));
	// Not faults: how often the closed-ticket policies acted, so a run shows that it met them.
	stats.count('lifecycle: closed ticket reopened', records.statusChanges.filter((change) => change.reopened).length);
	const firstTickets = new Set(usedBy(schedule).entities.map((entity) => repair.provider.externalReferenceOf(linkKeyOf(source, externalIdOf(entity)))));
	stats.count('lifecycle: new ticket after a close', records.tickets.filter((ticket) => ticket.reference !== null && !firstTickets.has(ticket.reference)).length);

	stats.schedules++;
	if (trace) for (const line of world.sandbox.traceLines()) trace(line);
	if (violations.length) {
		stats.violations.push(...violations.map((violation) => `[${psa} ${world.engine} schedule ${run}] ${violation}`));
		throw new Error(`${violations.length} violation(s):\n${violations.join('\n')}`);
	}
}
