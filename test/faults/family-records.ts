// Fault families for records written once per dedupe key with a marker the PSA keeps (time entries, attachments): each key ends with exactly one record in the sandbox.
import fc from 'fast-check';
import { bufferContent } from '../../lib/providers/upload';
import { addAttachment, addTimeEntry, type PsaServiceContext } from '../../lib/services';
import { markerOf } from '../../lib/services/record-once';
import type { NoteReceiptRepository, PsaStore } from '../../lib/store/types';
import { driveWorkers, fail, faultsArb, freshSource, repairContext, settle, workerArb, worldFaults, MAX_VIRTUAL_MS, type Family, type FamilyWorker } from './families';
import { isClearError } from './schedule';
import type { FaultPlan, FaultTarget, PsaRecords, PsaTarget } from './targets';
import { MAX_WORKERS } from './world';

/** One write of key `key` (the same key always names the same ticket and content: a repeat is the same item again). */
export type RecordOp = { key: number };

export interface RecordSchedule {
	tickets: number;
	keys: number;
	workers: Array<FamilyWorker<RecordOp>>;
	faults: FaultPlan[];
}

/** What differs per kind of record: its fault routes, its write, its records in the sandbox and its receipts. */
interface RecordKind {
	name: string;
	faultTargets: FaultTarget[];
	write(ctx: PsaServiceContext, target: PsaTarget, ticketId: number, dedupeKey: string, key: number): Promise<unknown>;
	records(records: PsaRecords): Array<{ id: number; ticketId: number; markedBy: string }>;
	receipts(store: PsaStore): NoteReceiptRepository;
}

const TIME_ENTRIES: RecordKind = {
	name: 'time-entries',
	faultTargets: ['time-entry', 'time-entry', 'time-entry', 'time-entries-list'],
	write: (ctx, target, ticketId, dedupeKey, key) =>
		addTimeEntry(ctx, {
			ticket: { ticketId },
			member: { memberId: target.work.memberId },
			start: new Date(Date.parse('2026-06-01T08:00:00Z') + key * 3_600_000).toISOString(),
			durationMinutes: 12,
			notes: `Remediation run ${key}`,
			workRoleId: target.work.workRoleId,
			dedupeKey,
		}),
	records: (records) => records.timeEntries.map((entry) => ({ id: entry.id, ticketId: entry.ticketId, markedBy: entry.internalNotes })),
	receipts: (store) => store.timeEntryReceipts,
};

const ATTACHMENTS: RecordKind = {
	name: 'attachments',
	faultTargets: ['attachment', 'attachment', 'attachment', 'attachments-list'],
	write: (ctx, _target, ticketId, dedupeKey, key) =>
		addAttachment(ctx, {
			ticket: { ticketId },
			fileName: `run-${key}.log`,
			title: `Remediation log ${key}`,
			// A few chunks, not 3-byte aligned: the base64 body is built across chunk edges.
			content: bufferContent(Buffer.alloc(10_000 + key, `log line ${key}\n`), 4001),
			dedupeKey,
		}),
	records: (records) => records.attachments.map((attachment) => ({ id: attachment.id, ticketId: attachment.ticketId, markedBy: attachment.title })),
	receipts: (store) => store.attachmentReceipts,
};

function recordFamily(kind: RecordKind): Family<RecordSchedule> {
	return {
		name: kind.name,
		expectedFaults: worldFaults,
		arb(target) {
			return fc
				.record({ tickets: fc.integer({ min: 1, max: 2 }), keys: fc.integer({ min: 1, max: 3 }), workerCount: fc.integer({ min: 2, max: MAX_WORKERS }) })
				.chain(({ tickets, keys, workerCount }) =>
					fc.record({
						tickets: fc.constant(tickets),
						keys: fc.constant(keys),
						workers: fc.array(workerArb(fc.record({ key: fc.nat(keys - 1) })), { minLength: workerCount, maxLength: workerCount }),
						faults: faultsArb(kind.faultTargets, target.faultClasses),
					}),
				);
		},
		async run(world, schedule, stats) {
			const source = freshSource(kind.name, world);
			const violations: string[] = [];
			world.sandbox.reset();
			const tickets = Array.from({ length: schedule.tickets }, (_, index) => world.sandbox.addTicket(`${source} ticket ${index}`));
			const keyOf = (key: number) => `${source}:k${key}`;
			const ticketOf = (key: number) => tickets[key % tickets.length];
			const write = (ctx: PsaServiceContext, key: number) => kind.write(ctx, world.target, ticketOf(key), keyOf(key), key);
			for (const fault of schedule.faults) world.sandbox.inject(fault, 'drop', 5_000);

			const { log } = await driveWorkers(world, schedule.workers, (ctx, op) => write(ctx, op.key), stats, violations);
			await settle(world, violations);

			// The re-fire: each key written once more by a healthy worker after the settle window; it must end in one record.
			const used = [...new Set(schedule.workers.flatMap((worker) => worker.ops.map(({ op }) => op.key)))];
			const repair = repairContext(world);
			const finals = new Map<number, number | null>();
			for (const key of used) {
				try {
					const result = (await world.scheduler.drive(write(repair, key), MAX_VIRTUAL_MS)) as { ticketId: number; [id: string]: unknown };
					finals.set(key, recordIdOf(result));
				} catch (error) {
					violations.push(`key ${key}: the re-fire failed${isClearError(error) ? '' : ' unclearly'}: ${String(error)}`);
				}
			}
			const records = kind.records(world.sandbox.records());
			const connectionId = repair.provider.connection.connectionId;
			const owned = new Set<number>();
			for (const key of used) {
				const marker = markerOf(keyOf(key));
				const marked = records.filter((record) => record.markedBy.includes(marker));
				if (marked.length !== 1) violations.push(`key ${key}: ${marked.length} records carry its marker (ids ${marked.map((record) => record.id).join(', ')}); exactly one expected`);
				const record = marked[0];
				if (record && record.ticketId !== ticketOf(key)) violations.push(`key ${key}: its record ${record.id} is on ticket ${record.ticketId}, not ${ticketOf(key)}`);
				const receipt = await kind.receipts(world.stores[0]).find(connectionId, keyOf(key));
				if (receipt?.state !== 'posted' || (record && receipt.noteId !== record.id)) violations.push(`key ${key}: the receipt is ${JSON.stringify(receipt && { state: receipt.state, id: receipt.noteId })}, the PSA's record ${record?.id}`);
				if (receipt?.noteId != null) {
					if (owned.has(receipt.noteId)) violations.push(`key ${key}: record ${receipt.noteId} is owned by another key too`);
					owned.add(receipt.noteId);
				}
				const final = finals.get(key);
				if (record && final != null && final !== record.id) violations.push(`key ${key}: the re-fire answered record ${final}, the PSA holds ${record.id}`);
				// A call that answered with a record id named the key's one record.
				for (const entry of log.filter((call) => call.op.key === key && call.outcome === 'ok')) {
					const id = recordIdOf(entry.result as Record<string, unknown>);
					if (record && id != null && id !== record.id) violations.push(`key ${key}: a call at ${entry.startedAt} answered record ${id}, the PSA holds ${record.id}`);
				}
			}
			const strays = records.filter((record) => tickets.includes(record.ticketId) && !used.some((key) => record.markedBy.includes(markerOf(keyOf(key)))));
			if (strays.length) violations.push(`records no key wrote: ${strays.map((record) => record.id).join(', ')}`);
			stats.count(`${kind.name}: records recovered by marker`, log.filter((entry) => (entry.result as { recovered?: boolean } | undefined)?.recovered === true).length);
			fail(stats, `${kind.name} ${world.target.psa} ${world.engine} ${source}`, violations);
		},
	};
}

/** The record id a service result names (timeEntryId, attachmentId). */
function recordIdOf(result: Record<string, unknown> | undefined): number | null {
	const id = result?.timeEntryId ?? result?.attachmentId;
	return typeof id === 'number' ? id : null;
}

export const timeEntriesFamily = recordFamily(TIME_ENTRIES);
export const attachmentsFamily = recordFamily(ATTACHMENTS);
