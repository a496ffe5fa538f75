// Note: add a discussion / internal / resolution note to a ticket, optionally attributed to a mapped member, deduplicated by a key.
import { createHash } from 'node:crypto';
import { PsaError, isAnsweredByPsa, isOutcomeUnknown } from '../providers/errors';
import type { PsaNote, PsaNoteType } from '../providers/types';
import type { NoteReceipt } from '../store/types';
import { HeldClaim, writeUnderClaim } from './claim';
import { connectionOf, delay, type PsaServiceContext } from './context';
import { recordOwnChange } from './echo';
import { isMemberRefused, resolveAfterRefusal, resolveMember, type MemberIdentity, type ResolvedMember } from './member-map';
import { ticketIdOf, type TicketRef } from './ticket-ref';
import { requireKeyText, requireText } from './validation';

export interface AddNoteInput {
	ticket: TicketRef;
	text: string;
	type: PsaNoteType;
	/** The author as an external identity, resolved through the member map. */
	member?: MemberIdentity;
	/** The same key never posts a second note on this connection. */
	dedupeKey?: string;
	/**
	 * Without a dedupe key: derive one from the ticket, the note type and the text, so the same note on the same ticket is
	 * posted once (an AI agent that repeats a call). Named tickets by id and by link share the key: it uses the ticket id.
	 */
	dedupeByText?: boolean;
	/** A pending receipt not refreshed for this long is taken over (default: the provider's outcomeSettleMs). */
	staleAfterMs?: number;
	/** Flapping: after a note, repeats on the ticket (with the same quiet key) within this many minutes post nothing. */
	quietPeriodMinutes?: number;
	/** Separates quiet periods on one ticket (e.g. "fired-again" vs "resolved"); one period per ticket when empty. */
	quietKey?: string;
}

export interface AddNoteResult {
	ticketId: number;
	noteId: number | null;
	deduplicated: boolean;
	type: PsaNoteType;
	memberId?: number;
	dedupeKey?: string;
	/** True when a note whose response was lost was found on the ticket instead of posted again. */
	recovered?: boolean;
	/** True when the note was not posted because an earlier one on the ticket started a quiet period that still runs. */
	suppressed?: boolean;
	note?: PsaNote;
}

const NOTE_TYPES: PsaNoteType[] = ['discussion', 'internal', 'resolution'];
const WAIT_MS = 10_000;
/** A posted note adopted by another key with the same text is posted again at most this often. */
const MAX_POSTS = 3;
/** Notes read (newest first) when looking for the note of an abandoned attempt. */
const RECOVERY_NOTES = 1000;
/**
 * An abandoned attempt posted its note after it claimed the key; a note older than the claim by more than this (room for
 * the clock difference between n8n and the PSA) is an earlier note with the same text, not the one to adopt.
 */
const RECOVERY_CLOCK_MARGIN_MS = 2 * 60_000;
/**
 * Posts tried in one call while the PSA's application answers with an error and the ticket's notes prove none landed;
 * then the error is reported with the receipt released, so the next attempt posts at once.
 */
const ANSWERED_POST_ATTEMPTS = 3;
const ANSWERED_RETRY_PAUSE_MS = 1_000;

/** The key of a note by its content: the same text of the same type on the same ticket. */
export function textDedupeKey(ticketId: number, type: PsaNoteType, text: string): string {
	return `text:${ticketId}:${createHash('sha256').update(`${type}\n${text}`).digest('hex').slice(0, 32)}`;
}

/** One request per new note (plus one member lookup the first time an identity is seen); 0 for a repeated dedupe key. */
export async function addNote(ctx: PsaServiceContext, input: AddNoteInput): Promise<AddNoteResult> {
	const text = requireText(input.text, 'Note text', 100_000);
	if (!NOTE_TYPES.includes(input.type)) {
		throw new PsaError('invalid-input', `Note type "${input.type}" is not one of ${NOTE_TYPES.join(', ')}`, {
			hint: 'Choose Discussion, Internal or Resolution.',
		});
	}
	const givenKey = input.dedupeKey?.trim() ? requireKeyText(input.dedupeKey, 'Dedupe Key', 500) : undefined;
	const quietPeriodMs = quietPeriodOf(input);
	const ticketId = await ticketIdOf(ctx, input.ticket);
	const dedupeKey = givenKey ?? (input.dedupeByText ? textDedupeKey(ticketId, input.type, text) : undefined);
	const connectionId = await connectionOf(ctx);
	if (quietPeriodMs === undefined) return postOrDeduplicate(ctx, connectionId, ticketId, text, dedupeKey, input);

	// Flapping: the first note of a quiet period on this ticket (and quiet key) is posted, the repeats inside it are not.
	const action = `note.quiet:${ticketId}:${createHash('sha256').update(input.quietKey?.trim() ?? '').digest('hex').slice(0, 32)}`;
	if (!(await ctx.store.audit.recordOnce(connectionId, action, { ticketId }, ctx.now() - quietPeriodMs))) {
		return { ticketId, type: input.type, noteId: null, deduplicated: false, suppressed: true, ...(dedupeKey ? { dedupeKey } : {}) };
	}
	// The period starts with a note that is (or may be) on the ticket; otherwise the next repeat may post.
	const forgetQuiet = () => ctx.store.audit.prune(connectionId, action, ctx.now() + 1);
	try {
		const result = await postOrDeduplicate(ctx, connectionId, ticketId, text, dedupeKey, input);
		if (result.deduplicated) await forgetQuiet();
		return result;
	} catch (error) {
		if (!isOutcomeUnknown(error)) await forgetQuiet();
		throw error;
	}
}

function quietPeriodOf(input: AddNoteInput): number | undefined {
	const minutes = input.quietPeriodMinutes;
	if (minutes === undefined || minutes === null || minutes === 0) return undefined;
	if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0) {
		throw new PsaError('invalid-input', `Quiet Period must be a number of minutes, 0 or more, got ${JSON.stringify(minutes)}`, {
			hint: 'Give the minutes after a note during which repeats post no note, e.g. 15; 0 turns it off.',
		});
	}
	return minutes * 60_000;
}

async function postOrDeduplicate(
	ctx: PsaServiceContext,
	connectionId: string,
	ticketId: number,
	text: string,
	dedupeKey: string | undefined,
	input: AddNoteInput,
): Promise<AddNoteResult> {
	const author: Author | undefined = input.member ? { identity: input.member, resolved: await resolveMember(ctx, input.member) } : undefined;
	const memberId = author?.resolved.memberId;
	const base = { ticketId, type: input.type, ...(memberId !== undefined ? { memberId } : {}) };

	if (!dedupeKey) {
		// Recorded first: the PSA's callback for the note may reach the trigger before the response reaches us.
		await recordOwnChange(ctx, ticketId, { change: 'note' });
		const posted = await postNote(ctx, { ticketId, text, type: input.type }, author, async () => undefined);
		return { ...base, ...memberOf(posted.memberId), noteId: posted.note.id, deduplicated: false, note: posted.note };
	}

	const staleAfterMs = input.staleAfterMs ?? ctx.provider.outcomeSettleMs;
	const claimedInput = { ...input, text, dedupeKey, author, staleAfterMs };
	return writeUnderClaim<AddNoteResult, NoteReceipt>(
		ctx,
		{
			look: async (claimToken) => {
				const { claimed, receipt } = await ctx.store.noteReceipts.claim(connectionId, dedupeKey, ticketId, claimToken);
				if (!claimed && receipt.state === 'posted') {
					return { finished: { ...base, ticketId: receipt.ticketId, noteId: receipt.noteId, deduplicated: true, dedupeKey } };
				}
				// The adoption window starts at the claim, however long the post and its retries took (see record-once.ts).
				if (claimed) return { finished: await postClaimed(ctx, connectionId, { ...claimedInput, ticketId, claimToken, searchFirst: false, claimedAt: receipt.createdAt }, base) };
				return { heldSince: receipt.updatedAt, held: receipt };
			},
			takeOver: async (claimToken, receipt) => {
				// Taken over in place and marked: the abandoned attempt may have posted the note, so its holder looks first,
				// and the receipt never disappears for another attempt to post blindly.
				const takeover = await ctx.store.noteReceipts.takeOver(connectionId, dedupeKey, claimToken, staleAfterMs);
				if (!takeover.claimed) return undefined;
				const claimedAt = takeover.row?.createdAt ?? receipt.createdAt;
				// The abandoned attempt posted (if at all) to the receipt's ticket, which may no longer be the entity's
				// ticket (a new ticket replaced it): look there, and post there, so the key keeps one note.
				const receiptTicketId = takeover.row?.ticketId ?? receipt.ticketId;
				return postClaimed(
					ctx,
					connectionId,
					{ ...claimedInput, ticketId: receiptTicketId, claimToken, searchFirst: true, claimedAt },
					{ ...base, ticketId: receiptTicketId },
				);
			},
			busy: (resolvedBy, waitedMs) =>
				new PsaError('conflict', `Another run is posting the note with dedupe key "${dedupeKey}", or its post has no answer yet; not finished within ${waitedMs / 1000} s`, {
					hint: `Retry after ${resolvedBy}; the same key never posts a second note.`,
				}),
		},
		{ staleAfterMs, waitMs: WAIT_MS },
	);
}

async function postClaimed(
	ctx: PsaServiceContext,
	connectionId: string,
	input: PostInput,
	base: { ticketId: number; type: PsaNoteType; memberId?: number },
): Promise<AddNoteResult> {
	// A note for this key may exist once a post was sent, or an abandoned attempt's may have been: from then on a failure
	// keeps the receipt pending, so nothing posts again without looking first.
	const claim = new HeldClaim(
		{
			refresh: () => ctx.store.noteReceipts.refresh(connectionId, input.dedupeKey, input.claimToken),
			release: () => ctx.store.noteReceipts.release(connectionId, input.dedupeKey, input.claimToken),
			expire: () => ctx.store.noteReceipts.expire(connectionId, input.dedupeKey, input.claimToken, input.staleAfterMs),
		},
		input.searchFirst,
		() => takenOver(input.dedupeKey),
	);
	const done = (note: PsaNote, memberId: number | undefined, recovered: boolean): AddNoteResult => ({
		...base,
		...memberOf(memberId),
		noteId: note.id,
		deduplicated: false,
		dedupeKey: input.dedupeKey,
		...(recovered ? { recovered: true } : {}),
		note,
	});
	return claim.run(async () => {
		if (input.searchFirst) {
			// An abandoned attempt may have posted it. The receipt was taken over only after the settle window, so a
			// note it sent is on the ticket by now: not finding one proves it absent (and should the read fail, nothing
			// of this run's is in flight, so the next attempt may look again at once).
			claim.nothingInFlight();
			const adopted = await adoptUnowned(ctx, connectionId, input, claim);
			if (adopted) return done(adopted, input.author?.resolved.memberId, true);
			claim.provenAbsent();
			await claim.hold();
		}
		let answeredFailures = 0;
		for (let attempt = 1; ; attempt++) {
			await recordOwnChange(ctx, input.ticketId, { change: 'note' });
			let posted: { note: PsaNote; memberId?: number };
			claim.mayHaveWritten();
			try {
				posted = await postNote(ctx, { ticketId: input.ticketId, text: input.text, type: input.type }, input.author, () => claim.hold());
			} catch (error) {
				// A refusal (4xx) posted nothing; anything else may have, and the receipt stays pending until the settle window.
				if (!isOutcomeUnknown(error)) {
					claim.provenAbsent();
					throw error;
				}
				claim.mayHaveWritten();
				if (!isAnsweredByPsa(error)) {
					await claim.refresh();
					throw noteOutcomeUnknown(ctx, input, error);
				}
				// The PSA's application answered: the post is over, so the ticket's notes show now whether it landed.
				claim.nothingInFlight();
				const landed = await adoptUnowned(ctx, connectionId, input, claim);
				if (landed) return done(landed, input.author?.resolved.memberId, true);
				claim.provenAbsent();
				if (++answeredFailures >= ANSWERED_POST_ATTEMPTS) throw postFailed(error, input.dedupeKey, answeredFailures);
				await delay(ctx, ANSWERED_RETRY_PAUSE_MS * answeredFailures);
				await claim.hold();
				continue;
			}
			const outcome = await ctx.store.noteReceipts.markPosted(connectionId, input.dedupeKey, input.claimToken, posted.note.id);
			if (outcome === 'posted') return done(posted.note, posted.memberId, false);
			// Taken over while this run was slow; the taker finds this note unowned on the ticket and adopts it.
			if (outcome === 'lost') throw takenOver(input.dedupeKey);
			// Another key's recovery adopted this note (same text, same ticket): this key's note is still to be had.
			const other = await adoptUnowned(ctx, connectionId, input, claim);
			if (other) return done(other, posted.memberId, true);
			if (attempt >= MAX_POSTS) {
				throw new PsaError('conflict', `The note with dedupe key "${input.dedupeKey}" was posted ${attempt} times and each was claimed by another key with the same text`, {
					hint: 'Give notes with the same text on the same ticket distinct dedupe keys only when both notes are wanted; retry later.',
				});
			}
			await claim.hold();
		}
	});
}

interface PostInput {
	text: string;
	type: PsaNoteType;
	dedupeKey: string;
	author?: Author;
	ticketId: number;
	claimToken: string;
	searchFirst: boolean;
	/** When the receipt was first claimed: a note of an abandoned attempt was posted after this. */
	claimedAt?: Date;
	staleAfterMs: number;
}

/**
 * Adopts a note on the ticket with the same text, posted inside the receipt's window and owned by no other key (the
 * store refuses a note another receipt names, atomically). Undefined when there is none.
 */
async function adoptUnowned(ctx: PsaServiceContext, connectionId: string, input: PostInput, claim: HeldClaim): Promise<PsaNote | undefined> {
	let recent: PsaNote[];
	try {
		// Newest first: on a busy ticket the note sits among the latest, not the oldest.
		recent = await ctx.provider.listNotes(input.ticketId, { newestFirst: true, limit: RECOVERY_NOTES });
	} catch (error) {
		// Still unknown whether the note exists: keep the receipt (pending, marked) so no attempt posts blindly.
		claim.keep();
		await claim.refresh();
		if (!(error instanceof PsaError)) throw error;
		throw new PsaError(
			error.kind,
			`The note with dedupe key "${input.dedupeKey}" may already be on ticket ${input.ticketId}${input.searchFirst ? ' (an earlier attempt was abandoned)' : ''}, and reading the ticket's notes failed: ${error.message}`,
			{ ...error.details, hint: 'Retry later: the next attempt reads the notes again before posting; the same key never posts a second note.' },
		);
	}
	const since = (input.claimedAt?.getTime() ?? ctx.now()) - RECOVERY_CLOCK_MARGIN_MS;
	// Oldest first: every key's window runs from its claim to now, so the oldest note in this key's window is the one
	// no key that claimed later could use; taking it leaves the newer notes to those keys (newest first, a key could take
	// a later key's note and leave its own outside that key's window: two keys, three notes).
	for (const candidate of [...recent].reverse()) {
		if (comparable(candidate.text) !== comparable(input.text) || !postedSince(candidate, since)) continue;
		const outcome = await ctx.store.noteReceipts.markPosted(connectionId, input.dedupeKey, input.claimToken, candidate.id);
		if (outcome === 'posted') return candidate;
		if (outcome === 'lost') {
			claim.keep();
			throw takenOver(input.dedupeKey);
		}
	}
	return undefined;
}

/** The error after posts the PSA answered with an error each time, the ticket's notes proving after each that none landed. */
function postFailed(error: unknown, dedupeKey: string, attempts: number): unknown {
	if (!(error instanceof PsaError)) return error;
	return new PsaError(error.kind, `${error.message}. The PSA answered ${attempts} post(s) of the note with dedupe key "${dedupeKey}" with an error and none is on the ticket`, {
		...error.details,
		outcomeUnknown: false,
		refused: true,
		hint: 'Retry: nothing was posted, and the next attempt posts the note at once.',
	});
}

function takenOver(dedupeKey: string): PsaError {
	return new PsaError('conflict', `Another run took over posting the note with dedupe key "${dedupeKey}" while this one was slow`, {
		hint: 'Retry: the same key never posts a second note.',
	});
}

function noteOutcomeUnknown(ctx: PsaServiceContext, input: PostInput, error: unknown): unknown {
	if (!(error instanceof PsaError)) return error;
	const resolvedBy = new Date(ctx.now() + input.staleAfterMs).toISOString();
	return new PsaError(
		error.kind,
		`${error.message}. The note with dedupe key "${input.dedupeKey}" may still be posted to ticket ${input.ticketId}: its receipt stays pending until ${resolvedBy}`,
		{
			...error.details,
			outcomeUnknown: true,
			hint: `Retry after ${resolvedBy}: the next attempt then looks for the note on the ticket and posts it only if it is not there.`,
		},
	);
}

/** The author as given (an identity) and as resolved through the member map. */
interface Author {
	identity: MemberIdentity;
	resolved: ResolvedMember;
}

function memberOf(memberId: number | undefined): { memberId?: number } {
	return memberId !== undefined ? { memberId } : {};
}

/**
 * Posts the note. When the PSA refuses the author resolved from the member map (deactivated since it was mapped), the
 * automatic mapping is dropped and the note is posted once more with the member the identity resolves to now.
 */
async function postNote(
	ctx: PsaServiceContext,
	fields: { ticketId: number; text: string; type: PsaNoteType },
	author: Author | undefined,
	beforeRetry: () => Promise<void>,
): Promise<{ note: PsaNote; memberId?: number }> {
	const memberId = author?.resolved.memberId;
	try {
		return { note: await ctx.provider.addNote({ ...fields, memberId }), memberId };
	} catch (error) {
		// A 400 is a definite answer: nothing was posted, so posting again cannot duplicate the note.
		if (!author || !isMemberRefused(error, 'member')) throw error;
		const again = await resolveAfterRefusal(ctx, author.identity, author.resolved, error);
		await beforeRetry();
		return { note: await ctx.provider.addNote({ ...fields, memberId: again.memberId }), memberId: again.memberId };
	}
}

/** Note text as the PSA may hand it back: line endings and surrounding whitespace normalised. */
function comparable(text: string): string {
	return text.replace(/\r\n?/g, '\n').trim();
}

/** A note without a readable creation time counts as recent: adopting it is safer than posting a duplicate. */
function postedSince(note: PsaNote, sinceMs: number): boolean {
	const created = note.createdAt ? Date.parse(note.createdAt) : Number.NaN;
	return Number.isNaN(created) || created >= sinceMs;
}
