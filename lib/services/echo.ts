// Echo suppression: the record, in the shared store, of each ticket change this package made; the trigger ignores their callbacks by it, and it is the change's audit event.
import type { PsaCallbackEvent, PsaTicket } from '../providers/types';
import type { DamagedRowReporter } from '../store/errors';
import { connectionOf, type PsaServiceContext } from './context';
import { knownTicket } from './ticket-state';

/** 'fields': PSA Ticket › Update or a configuration item attached; judged like a note (an update by our member). */
export type OwnChangeKind = 'created' | 'status' | 'note' | 'fields';

export interface OwnChange {
	change: OwnChangeKind;
	/** For a status change: the status the ticket was moved to. */
	statusId?: number;
	/** For a status change: the status it had before (audit detail; echo suppression does not use it). */
	previousStatusId?: number;
	/** For a creation: the ticket was found again by its link key after a lost response, not created by this call. */
	recovered?: boolean;
	/**
	 * The member the PSA records our changes as (the API member, as the PSA's events name it in updatedBy).
	 * Defaults to the identity last learned for the connection in this process (see learnOwnIdentity).
	 */
	by?: string;
}

/** An audit event as the store writes it: the action names the ticket, the detail says what changed and who made it. */
export interface OwnChangeRecord {
	action: string;
	detail: Record<string, unknown>;
}

/** How long a recorded change counts as ours: callbacks normally arrive within seconds, but PSAs queue them under load. */
export const DEFAULT_ECHO_WINDOW_MS = 2 * 60 * 1000;
const OWN_CHANGE_PREFIX = 'own-change:ticket:';
// The API member of a connection rarely changes; an hour bounds how long a rotated credential's old identity is used.
const OWN_IDENTITY_KEY = 'own-identity/';
const OWN_IDENTITY_TTL_MS = 60 * 60 * 1000;

function actionFor(ticketId: number): string {
	return `${OWN_CHANGE_PREFIX}${ticketId}`;
}

/**
 * The record of one ticket change, for callers that write it together with other state in one transaction (PSA Link
 * completes its claim and records the creation at once). One row per change serves both the trigger and the audit trail.
 */
export function ownChangeRecord(ctx: PsaServiceContext, connectionId: string, ticketId: number, change: OwnChange): OwnChangeRecord {
	const detail: Record<string, unknown> = { change: change.change };
	if (change.statusId !== undefined) detail.statusId = change.statusId;
	if (change.previousStatusId !== undefined) detail.previousStatusId = change.previousStatusId;
	if (change.recovered) detail.recovered = true;
	const by = normaliseIdentity(change.by) ?? ctx.cache.get<string>(connectionId, OWN_IDENTITY_KEY);
	if (by) detail.by = by;
	// The status the ticket had as far as we knew: a note record must not explain an event showing another status.
	const known = change.change === 'note' ? knownTicket(ctx.cache, connectionId, ticketId) : undefined;
	if (known) detail.knownStatusId = known.statusId;
	return { action: actionFor(ticketId), detail };
}

/**
 * Records that this package is about to change (or just created) the ticket. Call it BEFORE the request that
 * changes the ticket: the PSA may deliver the callback before the response arrives. The store is shared by
 * every n8n process (main, webhook, workers), so the trigger sees the record wherever the webhook lands. The record
 * is also the change's audit event (kept like every audit event, until the connection is forgotten); it is written
 * before the request, so a request the PSA refused leaves one too.
 */
export async function recordOwnChange(ctx: PsaServiceContext, ticketId: number, change: OwnChange): Promise<void> {
	const connectionId = await connectionOf(ctx);
	const { action, detail } = ownChangeRecord(ctx, connectionId, ticketId, change);
	await ctx.store.audit.record(connectionId, action, detail);
}

/**
 * Remembers (in this process) the member the PSA records this connection's API changes as, taken from the PSA's
 * answer to a change we made (or from an event certainly caused by us), so later records carry it.
 */
export function learnOwnIdentity(ctx: PsaServiceContext, connectionId: string, identity: string | undefined): void {
	const normalised = normaliseIdentity(identity);
	if (normalised) ctx.cache.set(connectionId, OWN_IDENTITY_KEY, normalised, OWN_IDENTITY_TTL_MS);
}

/**
 * After the PSA answered a change recorded with recordOwnChange: learns who the PSA says made it and, when the record
 * made before the request did not know that yet (first change in this process), records the change again with it.
 */
export async function confirmOwnChange(ctx: PsaServiceContext, ticketId: number, change: OwnChange, updatedBy: string | undefined): Promise<void> {
	const identity = normaliseIdentity(updatedBy);
	if (!identity) return;
	const connectionId = await connectionOf(ctx);
	const recordedAs = normaliseIdentity(change.by) ?? ctx.cache.get<string>(connectionId, OWN_IDENTITY_KEY);
	learnOwnIdentity(ctx, connectionId, identity);
	if (recordedAs !== identity) await recordOwnChange(ctx, ticketId, { ...change, by: identity });
}

function normaliseIdentity(identity: string | undefined): string | undefined {
	const trimmed = typeof identity === 'string' ? identity.trim().toLowerCase() : '';
	return trimmed === '' ? undefined : trimmed;
}

/** Who the PSA says made the change the event reports (the provider reads it from the payload; the ticket's last editor otherwise). */
export function eventUpdatedBy(event: Pick<PsaCallbackEvent, 'ticket' | 'updatedBy'>): string | undefined {
	return normaliseIdentity(event.updatedBy ?? event.ticket?.updatedBy);
}

export interface OwnChangeCheck {
	/** Default DEFAULT_ECHO_WINDOW_MS. */
	withinMs?: number;
	/** The callback event, so a status record only matches a ticket that is still in that status. */
	event?: Pick<PsaCallbackEvent, 'action' | 'ticket'> & Partial<Pick<PsaCallbackEvent, 'updatedBy'>>;
	/** Receives own-change records that could not be read (damaged); they are left out of the decision. */
	onDamaged?: DamagedRowReporter;
	/** The window runs back from this time (the PSA's change time, for a change found late by the catch-up) instead of now. */
	asOf?: number;
}

/**
 * True when the ticket was changed by this package within the window and the event is consistent with that change.
 * - Who: when the event says who made the change (updatedBy) and the records say who we make changes as, it must be
 *   that member: a technician's change right after ours is never taken for ours.
 * - What: a ticket creation only explains an 'added' event; a status change recorded to status S does not explain an
 *   event whose ticket is in another status (someone moved it since); a note explains an update made by our member,
 *   and, when who made it is unknown, only an update that leaves the ticket in the status we last recorded or knew.
 */
export async function isRecentOwnChange(ctx: PsaServiceContext, ticketId: number, check: OwnChangeCheck = {}): Promise<boolean> {
	const connectionId = await connectionOf(ctx);
	const withinMs = check.withinMs ?? DEFAULT_ECHO_WINDOW_MS;
	const records = await ctx.store.audit.findRecent(connectionId, actionFor(ticketId), (check.asOf ?? ctx.now()) - withinMs, check.onDamaged);
	const event = check.event;
	if (!event) return records.length > 0;
	const details = records.map((record) => record.detail);
	const updatedBy = eventUpdatedBy(event);
	// Records made before the PSA first told this process who we are carry no identity; the others say it.
	const ourMembers = new Set(details.map((detail) => detail.by).filter((by): by is string => typeof by === 'string'));
	const whoKnown = updatedBy !== undefined && ourMembers.size > 0;
	if (whoKnown && !ourMembers.has(updatedBy)) return false;
	const lastKnownStatus = lastKnownStatusOf(details);
	return details.some((detail) => {
		const change = detail.change;
		if (event.action === 'added') return change === 'created';
		if (event.action === 'deleted') return false;
		if (change === 'status') {
			const statusId = detail.statusId;
			return typeof statusId !== 'number' || event.ticket === undefined || event.ticket.status.id === statusId;
		}
		if (change !== 'note' && change !== 'fields') return false;
		// A note (or a field change) saves the ticket, which the PSA reports as an update; what else changed is not in the payload.
		if (whoKnown) return true;
		return lastKnownStatus === undefined || event.ticket === undefined || event.ticket.status.id === lastKnownStatus;
	});
}

/** The newest status we set or knew for the ticket among the records (newest first). */
function lastKnownStatusOf(details: Array<Record<string, unknown>>): number | undefined {
	for (const detail of details) {
		if (detail.change === 'status' && typeof detail.statusId === 'number') return detail.statusId;
		if (detail.change === 'note' && typeof detail.knownStatusId === 'number') return detail.knownStatusId;
	}
	return undefined;
}

/**
 * Where the PSA does not say who changed a ticket, a change this long after the package's last recorded one is a
 * person's: room for the PSA committing our own request after we recorded it, and for clocks a little apart.
 */
export const TOUCH_MARGIN_MS = 10_000;

/** The answer to "did a person change the ticket since this package's last change?", with the reason (shown in outputs). */
export interface TouchedVerdict {
	touched: boolean;
	reason: string;
}

/**
 * Whether a person changed the ticket since this package last did, judged from the ticket as just read (its last
 * editor and edit time) against the package's own-change records (recordOwnChange): the last editor is a member the
 * package changes tickets as, or, where the PSA does not say who, the last edit is no later than the package's last
 * change plus `marginMs` (TOUCH_MARGIN_MS by default). A note, a status or a time entry by a technician
 * makes the technician the last editor in both PSAs. Unknown counts as touched: leaving a ticket open is the safe side.
 */
export async function touchedByPerson(
	ctx: PsaServiceContext,
	ticket: Pick<PsaTicket, 'id' | 'updatedAt' | 'updatedBy'>,
	options: { marginMs?: number; onDamaged?: DamagedRowReporter } = {},
): Promise<TouchedVerdict> {
	const connectionId = await connectionOf(ctx);
	const records = await ctx.store.audit.findRecent(connectionId, actionFor(ticket.id), 0, options.onDamaged);
	if (records.length === 0) return { touched: true, reason: 'this package has no recorded change of the ticket (linked, not created by it)' };
	const ours = new Set(records.map((record) => record.detail.by).filter((by): by is string => typeof by === 'string'));
	const learned = ctx.cache.get<string>(connectionId, OWN_IDENTITY_KEY);
	if (learned) ours.add(learned);
	const lastEditor = normaliseIdentity(ticket.updatedBy);
	if (lastEditor !== undefined && ours.size > 0) {
		return ours.has(lastEditor)
			? { touched: false, reason: `last changed by ${lastEditor}, the member this package works as` }
			: { touched: true, reason: `last changed by ${lastEditor}, not by this package` };
	}
	const editedAt = ticket.updatedAt ? Date.parse(ticket.updatedAt) : Number.NaN;
	if (Number.isNaN(editedAt)) return { touched: true, reason: 'the PSA says neither who nor when the ticket was last changed' };
	const ourLast = records[0].at.getTime();
	const margin = options.marginMs ?? TOUCH_MARGIN_MS;
	return editedAt > ourLast + margin
		? { touched: true, reason: `changed at ${new Date(editedAt).toISOString()}, after this package's last change (${records[0].at.toISOString()})` }
		: { touched: false, reason: `not changed since this package's last change (${records[0].at.toISOString()})` };
}
