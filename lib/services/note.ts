// Note: add a discussion / internal / resolution note to a ticket, optionally attributed to a mapped member, deduplicated by a key.
import { randomUUID } from 'node:crypto';
import { PsaError } from '../providers/errors';
import type { PsaNote, PsaNoteType } from '../providers/types';
import { connectionOf, delay, type PsaServiceContext } from './context';
import { recordOwnChange } from './echo';
import { isOutcomeUnknown } from './link';
import { isMemberRefused, resolveAfterRefusal, resolveMember, type MemberIdentity, type ResolvedMember } from './member-map';
import { ticketIdOf, type TicketRef } from './ticket-ref';
import { requireText } from './validation';

export interface AddNoteInput {
	ticket: TicketRef;
	text: string;
	type: PsaNoteType;
	/** The author as an external identity, resolved through the member map. */
	member?: MemberIdentity;
	/** The same key never posts a second note on this connection. */
	dedupeKey?: string;
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
	note?: PsaNote;
}

const NOTE_TYPES: PsaNoteType[] = ['discussion', 'internal', 'resolution'];
const WAIT_MS = 10_000;
/** A pending receipt not refreshed for this long is abandoned; its holder refreshes it before each PSA request. */
const STALE_AFTER_MS = 120_000;
/** Notes read (newest first) when looking for the note of an abandoned attempt. */
const RECOVERY_NOTES = 1000;
/**
 * An abandoned attempt posted its note after it claimed the key; a note older than the claim by more than this (room for
 * the clock difference between n8n and the PSA) is an earlier note with the same text, not the one to adopt.
 */
const RECOVERY_CLOCK_MARGIN_MS = 5 * 60_000;

/** One request per new note (plus one member lookup the first time an identity is seen); 0 for a repeated dedupe key. */
export async function addNote(ctx: PsaServiceContext, input: AddNoteInput): Promise<AddNoteResult> {
	const text = requireText(input.text, 'Note text', 100_000);
	if (!NOTE_TYPES.includes(input.type)) {
		throw new PsaError('invalid-input', `Note type "${input.type}" is not one of ${NOTE_TYPES.join(', ')}`, {
			hint: 'Choose Discussion, Internal or Resolution.',
		});
	}
	const dedupeKey = input.dedupeKey?.trim() ? requireText(input.dedupeKey, 'Dedupe key', 500) : undefined;
	const ticketId = await ticketIdOf(ctx, input.ticket);
	const connectionId = await connectionOf(ctx);
	const author: Author | undefined = input.member ? { identity: input.member, resolved: await resolveMember(ctx, input.member) } : undefined;
	const memberId = author?.resolved.memberId;
	const base = { ticketId, type: input.type, ...(memberId !== undefined ? { memberId } : {}) };

	if (!dedupeKey) {
		// Recorded first: the PSA's callback for the note may reach the trigger before the response reaches us.
		await recordOwnChange(ctx, ticketId, { change: 'note' });
		const posted = await postNote(ctx, { ticketId, text, type: input.type }, author, async () => undefined);
		return { ...base, ...memberOf(posted.memberId), noteId: posted.note.id, deduplicated: false, note: posted.note };
	}

	const deadline = ctx.now() + WAIT_MS;
	let pollMs = 50;
	for (;;) {
		const claimToken = randomUUID();
		const { claimed, receipt } = await ctx.store.noteReceipts.claim(connectionId, dedupeKey, ticketId, claimToken);
		if (!claimed && receipt.state === 'posted') {
			return { ...base, ticketId: receipt.ticketId, noteId: receipt.noteId, deduplicated: true, dedupeKey };
		}
		if (claimed) {
			return postClaimed(ctx, connectionId, { ...input, text, dedupeKey, author, ticketId, claimToken, searchFirst: false }, base);
		}
		if (ctx.now() - receipt.updatedAt.getTime() >= STALE_AFTER_MS) {
			// Taken over in place and marked: the abandoned attempt may have posted the note, so its holder looks first,
			// and the receipt never disappears for another attempt to post blindly.
			const takeover = await ctx.store.noteReceipts.takeOver(connectionId, dedupeKey, claimToken, STALE_AFTER_MS);
			if (takeover.claimed) {
				return postClaimed(
				ctx,
				connectionId,
				{ ...input, text, dedupeKey, author, ticketId, claimToken, searchFirst: true, claimedAt: takeover.row?.createdAt ?? receipt.createdAt },
				base,
			);
			}
			continue;
		}
		if (ctx.now() >= deadline) {
			throw new PsaError('conflict', `Another run is posting the note with dedupe key "${dedupeKey}" and has not finished`, {
				hint: 'Retry later; the same key never posts a second note.',
			});
		}
		await delay(pollMs);
		pollMs = Math.min(pollMs * 2, 500);
	}
}

async function postClaimed(
	ctx: PsaServiceContext,
	connectionId: string,
	input: { text: string; type: PsaNoteType; dedupeKey: string; author?: Author; ticketId: number; claimToken: string; searchFirst: boolean; claimedAt?: Date },
	base: { ticketId: number; type: PsaNoteType; memberId?: number },
): Promise<AddNoteResult> {
	const refreshReceipt = () => ctx.store.noteReceipts.refresh(connectionId, input.dedupeKey, input.claimToken);
	let note: PsaNote | undefined;
	let memberId = input.author?.resolved.memberId;
	let recovered = false;
	let keepReceipt = false;
	const holdReceipt = async () => {
		if (await refreshReceipt()) return;
		keepReceipt = true;
		throw new PsaError('conflict', `Another run took over posting the note with dedupe key "${input.dedupeKey}" while this one was slow`, {
			hint: 'Retry: the same key never posts a second note.',
		});
	};
	try {
		if (input.searchFirst) {
			// An abandoned attempt may have posted it: the same text on the same ticket counts as posted.
			let recent: PsaNote[];
			try {
				// Newest first: on a busy ticket the note sits among the latest, not the oldest.
				recent = await ctx.provider.listNotes(input.ticketId, { newestFirst: true, limit: RECOVERY_NOTES });
			} catch (error) {
				// Still unknown whether the note exists: keep the receipt (pending, marked) so no attempt posts blindly.
				keepReceipt = true;
				await refreshReceipt();
				if (!(error instanceof PsaError)) throw error;
				throw new PsaError(
					error.kind,
					`The note with dedupe key "${input.dedupeKey}" may already be on ticket ${input.ticketId} (an earlier attempt was abandoned), and reading the ticket's notes failed: ${error.message}`,
					{ ...error.details, hint: 'Retry later: the next attempt reads the notes again before posting; the same key never posts a second note.' },
				);
			}
			const since = (input.claimedAt?.getTime() ?? 0) - RECOVERY_CLOCK_MARGIN_MS;
			note = recent.find((candidate) => candidate.text === input.text && postedSince(candidate, since));
			recovered = note !== undefined;
		}
		if (!note) {
			// A fresh claim's insert has just set its time; after a search (takeover) it is refreshed and checked first.
			if (input.searchFirst) await holdReceipt();
			await recordOwnChange(ctx, input.ticketId, { change: 'note' });
			const posted = await postNote(ctx, { ticketId: input.ticketId, text: input.text, type: input.type }, input.author, holdReceipt);
			note = posted.note;
			memberId = posted.memberId;
		}
	} catch (error) {
		// When no response arrived the note may exist: keep the receipt pending so it is not posted blindly again;
		// once stale, the next attempt takes it over and checks the ticket's notes first.
		if (!keepReceipt && !isOutcomeUnknown(error)) await ctx.store.noteReceipts.release(connectionId, input.dedupeKey, input.claimToken);
		throw error;
	}
	await ctx.store.noteReceipts.markPosted(connectionId, input.dedupeKey, input.claimToken, note.id);
	return { ...base, ...memberOf(memberId), noteId: note.id, deduplicated: false, dedupeKey: input.dedupeKey, ...(recovered ? { recovered: true } : {}), note };
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

/** A note without a readable creation time counts as recent: adopting it is safer than posting a duplicate. */
function postedSince(note: PsaNote, sinceMs: number): boolean {
	const created = note.createdAt ? Date.parse(note.createdAt) : Number.NaN;
	return Number.isNaN(created) || created >= sinceMs;
}
