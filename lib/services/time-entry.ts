// Time entries: work logged on a ticket for a member (by member map, email or id), exactly once per dedupe key; listed per ticket.
import { PsaError } from '../providers/errors';
import type { PsaBillable, PsaTimeEntry } from '../providers/types';
import { checkTimeEntry } from '../providers/work';
import { connectionOf, type PsaServiceContext } from './context';
import { recordOwnChange } from './echo';
import { resolveMember, type MemberIdentity } from './member-map';
import { carriesMarker, markerOf, withMarker, writeRecordOnce } from './record-once';
import { ticketIdOf, type TicketRef } from './ticket-ref';
import { requireId, requireKeyText } from './validation';

export interface AddTimeEntryInput {
	ticket: TicketRef;
	/** Who did the work: an external identity resolved through the member map (an email matches by itself), or the PSA member id. */
	member: MemberIdentity | { memberId: number };
	/** ISO 8601 (or a Date): when the work started. */
	start: string | Date;
	/** When it ended; or `durationMinutes`. */
	end?: string | Date;
	durationMinutes?: number;
	notes?: string;
	internalNotes?: string;
	billable?: PsaBillable;
	workTypeId?: number;
	workRoleId?: number;
	/** The same key never logs a second entry; default: derived from the ticket, member, start and duration. */
	dedupeKey?: string;
	/** A pending receipt not refreshed for this long is taken over (default: the provider's outcomeSettleMs). */
	staleAfterMs?: number;
}

export interface AddTimeEntryResult {
	ticketId: number;
	timeEntryId: number | null;
	memberId: number;
	hours: number;
	dedupeKey: string;
	deduplicated: boolean;
	/** An entry whose answer was lost was found on the ticket by its marker instead of logged again. */
	recovered?: boolean;
	timeEntry?: PsaTimeEntry;
}

/** Entries read (newest first) when looking for the entry of an abandoned attempt. */
const RECOVERY_ENTRIES = 1000;

/** One POST per new entry (plus one member lookup the first time an identity is seen); 0 for a repeated dedupe key. */
export async function addTimeEntry(ctx: PsaServiceContext, input: AddTimeEntryInput): Promise<AddTimeEntryResult> {
	const { start, end } = periodOf(input);
	const capabilities = ctx.provider.workCapabilities;
	const ticketId = await ticketIdOf(ctx, input.ticket);
	const memberId = 'memberId' in (input.member ?? {}) ? requireId((input.member as { memberId: number }).memberId, 'Member ID') : (await resolveMember(ctx, memberIdentityOf(input.member))).memberId;
	const entry = {
		ticketId,
		memberId,
		start,
		end,
		notes: input.notes?.trim() || undefined,
		internalNotes: input.internalNotes?.trim() || undefined,
		billable: input.billable,
		workTypeId: input.workTypeId || undefined,
		workRoleId: input.workRoleId || undefined,
	};
	// Checked before the receipt is claimed: a refusal here leaves nothing behind.
	const checked = checkTimeEntry(entry, capabilities, (what) => what);
	const dedupeKey = input.dedupeKey?.trim()
		? requireKeyText(input.dedupeKey, 'Dedupe Key', 500)
		: `time:${ticketId}:${memberId}:${checked.start.toISOString()}:${Math.round((checked.end.getTime() - checked.start.getTime()) / 60_000)}`;
	const marker = markerOf(dedupeKey);
	const connectionId = await connectionOf(ctx);
	const result = await writeRecordOnce<PsaTimeEntry>(ctx, {
		what: 'time entry',
		receipts: ctx.store.timeEntryReceipts,
		connectionId,
		ticketId,
		dedupeKey,
		staleAfterMs: input.staleAfterMs ?? ctx.provider.outcomeSettleMs,
		// The marker goes into the internal notes: kept by both PSAs, never shown to the customer.
		write: (target) => ctx.provider.addTimeEntry({ ...entry, ticketId: target, internalNotes: withMarker(entry.internalNotes, marker) }),
		findMarked: async (target) =>
			(await ctx.provider.listTimeEntries(target, { newestFirst: true, limit: RECOVERY_ENTRIES })).filter((candidate) => carriesMarker(candidate.internalNotes, marker)),
		beforeWrite: (target) => recordOwnChange(ctx, target, { change: 'fields' }),
	});
	return {
		ticketId: result.ticketId,
		timeEntryId: result.recordId,
		memberId,
		hours: checked.hours,
		dedupeKey,
		deduplicated: result.deduplicated,
		...(result.recovered ? { recovered: true } : {}),
		...(result.record ? { timeEntry: result.record } : {}),
	};
}

export async function listTimeEntries(ctx: PsaServiceContext, ticket: TicketRef, options: { limit?: number; newestFirst?: boolean } = {}): Promise<PsaTimeEntry[]> {
	const ticketId = await ticketIdOf(ctx, ticket);
	return ctx.provider.listTimeEntries(ticketId, options);
}

/** Start and end as ISO text; the end from a duration when only that is given. */
function periodOf(input: AddTimeEntryInput): { start: string; end: string } {
	const start = timeOf(input.start, 'Start');
	if (input.end !== undefined && input.end !== null && input.end !== '') {
		if (input.durationMinutes) {
			throw new PsaError('invalid-input', 'Give the End or the Duration of a time entry, not both', { hint: 'Clear one of them.', refused: true });
		}
		return { start, end: timeOf(input.end, 'End') };
	}
	const minutes = input.durationMinutes;
	if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes <= 0) {
		throw new PsaError('invalid-input', `A time entry needs an End or a Duration in minutes above 0, got ${JSON.stringify(minutes)}`, { hint: 'Give the minutes worked, e.g. 12.', refused: true });
	}
	return { start, end: new Date(Date.parse(start) + Math.round(minutes * 60_000)).toISOString() };
}

function timeOf(value: unknown, what: string): string {
	const time = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : typeof value === 'number' ? value : Number.NaN;
	if (!Number.isFinite(time)) {
		throw new PsaError('invalid-input', `${what} must be a date and time (ISO 8601, e.g. 2026-01-15T10:00:00Z), got ${JSON.stringify(value)}`, { hint: `Give the ${what.toLowerCase()} as {{ $now.toISO() }} or an ISO text.`, refused: true });
	}
	return new Date(time).toISOString();
}

function memberIdentityOf(member: unknown): MemberIdentity {
	const identity = member as Partial<MemberIdentity> | undefined;
	if (!identity || typeof identity.identity !== 'string' || !identity.identity.trim()) {
		throw new PsaError('invalid-input', 'A time entry needs the member who did the work', { hint: 'Give an email, an identity mapped with PSA Member Map, or the member id.', refused: true });
	}
	return { source: identity.source?.trim() || 'email', identity: identity.identity };
}
