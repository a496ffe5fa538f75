// Exactly-once writes of ticket records that carry a dedupe marker (time entries, attachments): a receipt per key, recovery by the marker the PSA keeps.
import { createHash } from 'node:crypto';
import { PsaError, isAnsweredByPsa, isOutcomeUnknown } from '../providers/errors';
import type { NoteReceipt, NoteReceiptRepository } from '../store/types';
import { HeldClaim, writeUnderClaim } from './claim';
import { delay, type PsaServiceContext } from './context';

/** A record as the recovery reads it: its id, and when the PSA says it was made. */
export interface MarkedRecord {
	id: number;
	createdAt?: string;
}

export interface RecordOnceSpec<R extends MarkedRecord> {
	/** "time entry", "attachment": how messages name the record. */
	what: string;
	receipts: NoteReceiptRepository;
	connectionId: string;
	ticketId: number;
	dedupeKey: string;
	staleAfterMs: number;
	/** One write of the record to the ticket, carrying `markerOf(dedupeKey)` where the PSA keeps it. */
	write(ticketId: number): Promise<R>;
	/** The ticket's records that carry this key's marker, any order. */
	findMarked(ticketId: number): Promise<R[]>;
	/** Called before each write (e.g. recording the change as the package's own for the trigger). */
	beforeWrite?(ticketId: number): Promise<void>;
}

export interface RecordOnceResult<R extends MarkedRecord> {
	ticketId: number;
	recordId: number | null;
	/** The key was done before: nothing was written. */
	deduplicated: boolean;
	/** The record of an earlier attempt whose answer was lost was found by its marker instead of written again. */
	recovered: boolean;
	record?: R;
}

/** A write the PSA answered with an error is tried this often (the marker search proving each time that none landed). */
const ANSWERED_WRITE_ATTEMPTS = 3;
const ANSWERED_RETRY_PAUSE_MS = 1_000;
const WAIT_MS = 10_000;
/**
 * An abandoned attempt wrote its record after it claimed the key; one older than the claim by more than this (room for
 * the clock difference between n8n and the PSA) is not adopted.
 */
const RECOVERY_CLOCK_MARGIN_MS = 2 * 60_000;
const MARKER_PATTERN = /\[psa:[0-9a-f]{16}\]/;

/** The short marker a key's record carries ("[psa:<16 hex>]"): the key's hash, so the key itself never reaches the PSA. */
export function markerOf(dedupeKey: string): string {
	return `[psa:${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 16)}]`;
}

/** True when the text carries exactly this marker. */
export function carriesMarker(text: string | undefined, marker: string): boolean {
	return typeof text === 'string' && text.includes(marker);
}

/** Text with the marker on a line of its own at the end (any marker already in the text removed). */
export function withMarker(text: string | undefined, marker: string): string {
	const plain = (text ?? '').replace(new RegExp(MARKER_PATTERN.source, 'g'), '').trimEnd();
	return plain ? `${plain}\n${marker}` : marker;
}

/**
 * Writes the key's record once across runs, workers and retries (the note receipts' protocol): a receipt claimed per
 * key; after a lost answer the record is looked for by its marker, and adopted only inside the claim's window and when
 * no other key's receipt names it.
 */
export async function writeRecordOnce<R extends MarkedRecord>(ctx: PsaServiceContext, spec: RecordOnceSpec<R>): Promise<RecordOnceResult<R>> {
	const { receipts, connectionId, dedupeKey, staleAfterMs } = spec;
	return writeUnderClaim<RecordOnceResult<R>, NoteReceipt>(
		ctx,
		{
			look: async (claimToken) => {
				const { claimed, receipt } = await receipts.claim(connectionId, dedupeKey, spec.ticketId, claimToken);
				if (!claimed && receipt.state === 'posted') {
					return { finished: { ticketId: receipt.ticketId, recordId: receipt.noteId, deduplicated: true, recovered: false } };
				}
				// The window for adopting a record after a lost answer starts at the claim, however long the write and its
				// retries took (measured from the search instead, a search late enough would miss the record and write again).
				if (claimed) return { finished: await writeClaimed(ctx, spec, { ticketId: spec.ticketId, claimToken, searchFirst: false, claimedAt: receipt.createdAt }) };
				return { heldSince: receipt.updatedAt, held: receipt };
			},
			takeOver: async (claimToken, receipt) => {
				const takeover = await receipts.takeOver(connectionId, dedupeKey, claimToken, staleAfterMs);
				if (!takeover.claimed) return undefined;
				// The abandoned attempt wrote (if at all) to the receipt's ticket: look there, and write there.
				const ticketId = takeover.row?.ticketId ?? receipt.ticketId;
				return writeClaimed(ctx, spec, { ticketId, claimToken, searchFirst: true, claimedAt: takeover.row?.createdAt ?? receipt.createdAt });
			},
			busy: (resolvedBy, waitedMs) =>
				new PsaError('conflict', `Another run is writing the ${spec.what} with dedupe key "${dedupeKey}", or its write has no answer yet; not finished within ${waitedMs / 1000} s`, {
					hint: `Retry after ${resolvedBy}; the same key never writes a second ${spec.what}.`,
				}),
		},
		{ staleAfterMs, waitMs: WAIT_MS },
	);
}

interface Attempt {
	ticketId: number;
	claimToken: string;
	searchFirst: boolean;
	claimedAt?: Date;
}

async function writeClaimed<R extends MarkedRecord>(ctx: PsaServiceContext, spec: RecordOnceSpec<R>, attempt: Attempt): Promise<RecordOnceResult<R>> {
	const { receipts, connectionId, dedupeKey } = spec;
	const claim = new HeldClaim(
		{
			refresh: () => receipts.refresh(connectionId, dedupeKey, attempt.claimToken),
			release: () => receipts.release(connectionId, dedupeKey, attempt.claimToken),
			expire: () => receipts.expire(connectionId, dedupeKey, attempt.claimToken, spec.staleAfterMs),
		},
		attempt.searchFirst,
		() => takenOver(spec),
	);
	const done = (record: R, recovered: boolean): RecordOnceResult<R> => ({ ticketId: attempt.ticketId, recordId: record.id, deduplicated: false, recovered, record });
	return claim.run(async () => {
		if (attempt.searchFirst) {
			// Taken over after the settle window: a record the abandoned attempt sent is on the ticket by now.
			claim.nothingInFlight();
			const adopted = await adoptMarked(ctx, spec, attempt, claim);
			if (adopted) return done(adopted, true);
			claim.provenAbsent();
			await claim.hold();
		}
		for (let answeredFailures = 0; ; ) {
			await spec.beforeWrite?.(attempt.ticketId);
			claim.mayHaveWritten();
			let record: R;
			try {
				record = await spec.write(attempt.ticketId);
			} catch (error) {
				// A refusal (4xx, or a check before sending) wrote nothing; anything else may have.
				if (!isOutcomeUnknown(error)) {
					claim.provenAbsent();
					throw error;
				}
				claim.mayHaveWritten();
				if (!isAnsweredByPsa(error)) {
					await claim.refresh();
					throw outcomeUnknown(ctx, spec, attempt, error);
				}
				// The PSA's application answered: its work is over, so the marker search tells now whether it landed.
				claim.nothingInFlight();
				const landed = await adoptMarked(ctx, spec, attempt, claim);
				if (landed) return done(landed, true);
				claim.provenAbsent();
				if (++answeredFailures >= ANSWERED_WRITE_ATTEMPTS) throw writeFailed(error, spec, answeredFailures);
				await delay(ctx, ANSWERED_RETRY_PAUSE_MS * answeredFailures);
				await claim.hold();
				continue;
			}
			const outcome = await receipts.markPosted(connectionId, dedupeKey, attempt.claimToken, record.id);
			if (outcome === 'posted') return done(record, false);
			// Taken over while this run was slow; the taker finds this record by its marker and adopts it.
			if (outcome === 'lost') throw takenOver(spec);
			// Another key's receipt names the record this write just made: only a marker collision could do that.
			claim.keep();
			throw new PsaError('conflict', `The ${spec.what} ${record.id} written for dedupe key "${dedupeKey}" is recorded for another key`, {
				hint: 'Give the write a different dedupe key; this one stays pending and is settled by the next attempt.',
			});
		}
	});
}

/** The oldest record on the ticket with this key's marker, made inside the claim's window and owned by no other key. */
async function adoptMarked<R extends MarkedRecord>(ctx: PsaServiceContext, spec: RecordOnceSpec<R>, attempt: Attempt, claim: HeldClaim): Promise<R | undefined> {
	let marked: R[];
	try {
		marked = await spec.findMarked(attempt.ticketId);
	} catch (error) {
		// Still unknown whether the record exists: keep the receipt pending and marked, so no attempt writes blindly.
		claim.keep();
		await claim.refresh();
		if (!(error instanceof PsaError)) throw error;
		throw new PsaError(
			error.kind,
			`The ${spec.what} with dedupe key "${spec.dedupeKey}" may already be on ticket ${attempt.ticketId}, and reading the ticket's ${spec.what}s failed: ${error.message}`,
			{ ...error.details, hint: `Retry later: the next attempt looks again before writing; the same key never writes a second ${spec.what}.` },
		);
	}
	const since = (attempt.claimedAt?.getTime() ?? ctx.now()) - RECOVERY_CLOCK_MARGIN_MS;
	for (const candidate of [...marked].sort((a, b) => a.id - b.id)) {
		const created = candidate.createdAt ? Date.parse(candidate.createdAt) : Number.NaN;
		// Without a readable time the record counts as recent: adopting it is safer than writing a duplicate.
		if (!Number.isNaN(created) && created < since) continue;
		const outcome = await spec.receipts.markPosted(spec.connectionId, spec.dedupeKey, attempt.claimToken, candidate.id);
		if (outcome === 'posted') return candidate;
		if (outcome === 'lost') {
			claim.keep();
			throw takenOver(spec);
		}
	}
	return undefined;
}

function takenOver(spec: { what: string; dedupeKey: string }): PsaError {
	return new PsaError('conflict', `Another run took over writing the ${spec.what} with dedupe key "${spec.dedupeKey}" while this one was slow`, {
		hint: `Retry: the same key never writes a second ${spec.what}.`,
	});
}

function writeFailed(error: unknown, spec: { what: string; dedupeKey: string }, attempts: number): unknown {
	if (!(error instanceof PsaError)) return error;
	return new PsaError(error.kind, `${error.message}. The PSA answered ${attempts} write(s) of the ${spec.what} with dedupe key "${spec.dedupeKey}" with an error and none is on the ticket`, {
		...error.details,
		outcomeUnknown: false,
		refused: true,
		hint: `Retry: nothing was written, and the next attempt writes the ${spec.what} at once.`,
	});
}

function outcomeUnknown(ctx: PsaServiceContext, spec: { what: string; dedupeKey: string; staleAfterMs: number }, attempt: Attempt, error: unknown): unknown {
	if (!(error instanceof PsaError)) return error;
	const resolvedBy = new Date(ctx.now() + spec.staleAfterMs).toISOString();
	return new PsaError(
		error.kind,
		`${error.message}. The ${spec.what} with dedupe key "${spec.dedupeKey}" may still be written to ticket ${attempt.ticketId}: its receipt stays pending until ${resolvedBy}`,
		{
			...error.details,
			outcomeUnknown: true,
			hint: `Retry after ${resolvedBy}: the next attempt then looks for the ${spec.what} by its marker and writes it only if it is not there.`,
		},
	);
}
