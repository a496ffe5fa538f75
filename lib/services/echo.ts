// Echo suppression: a short-lived record, in the shared store, of the ticket changes this package made, so the trigger can ignore their callbacks.
import type { PsaCallbackEvent } from '../providers/types';
import { connectionOf, type PsaServiceContext } from './context';

export type OwnChangeKind = 'created' | 'status' | 'note';

export interface OwnChange {
	change: OwnChangeKind;
	/** For a status change: the status the ticket was moved to. */
	statusId?: number;
}

/** How long a recorded change counts as ours: callbacks normally arrive within seconds, but ConnectWise queues them under load. */
export const DEFAULT_ECHO_WINDOW_MS = 2 * 60 * 1000;
/** Records older than this are deleted (they only matter for the echo window). */
export const OWN_CHANGE_RETENTION_MS = 60 * 60 * 1000;
const OWN_CHANGE_PREFIX = 'own-change:ticket:';
const PRUNE_EVERY_MS = 10 * 60 * 1000;

// Pruning is housekeeping: once per connection per process per interval keeps it off the hot path.
const lastPruned = new Map<string, number>();

function actionFor(ticketId: number): string {
	return `${OWN_CHANGE_PREFIX}${ticketId}`;
}

/**
 * Records that this package is about to change (or just created) the ticket. Call it BEFORE the request that
 * changes the ticket: ConnectWise may deliver the callback before the response arrives. The store is shared by
 * every n8n process (main, webhook, workers), so the trigger sees the record wherever the webhook lands.
 */
export async function recordOwnChange(ctx: PsaServiceContext, ticketId: number, change: OwnChange): Promise<void> {
	const connectionId = await connectionOf(ctx);
	const detail: Record<string, unknown> = { change: change.change };
	if (change.statusId !== undefined) detail.statusId = change.statusId;
	await ctx.store.audit.record(connectionId, actionFor(ticketId), detail);
	const now = ctx.now();
	if (now - (lastPruned.get(connectionId) ?? 0) >= PRUNE_EVERY_MS) {
		lastPruned.set(connectionId, now);
		await ctx.store.audit.prune(connectionId, OWN_CHANGE_PREFIX, now - OWN_CHANGE_RETENTION_MS);
	}
}

export interface OwnChangeCheck {
	/** Default DEFAULT_ECHO_WINDOW_MS. */
	withinMs?: number;
	/** The callback event, so a status record only matches a ticket that is still in that status. */
	event?: Pick<PsaCallbackEvent, 'action' | 'ticket'>;
}

/**
 * True when the ticket was changed by this package within the window and the event is consistent with that change.
 * A status change recorded to status S does not explain an event whose ticket is in another status (someone moved
 * it since); a ticket creation only explains an 'added' event; a note explains any update inside the window.
 */
export async function isRecentOwnChange(ctx: PsaServiceContext, ticketId: number, check: OwnChangeCheck = {}): Promise<boolean> {
	const connectionId = await connectionOf(ctx);
	const withinMs = check.withinMs ?? DEFAULT_ECHO_WINDOW_MS;
	const records = await ctx.store.audit.findRecent(connectionId, actionFor(ticketId), ctx.now() - withinMs);
	const event = check.event;
	return records.some((record) => {
		const change = record.detail.change;
		if (!event) return true;
		if (event.action === 'added') return change === 'created';
		if (event.action === 'deleted') return false;
		if (change === 'status') {
			const statusId = record.detail.statusId;
			return typeof statusId !== 'number' || event.ticket === undefined || event.ticket.status.id === statusId;
		}
		// A note saves the ticket, which ConnectWise reports as an update; what else changed is not in the payload.
		return change === 'note';
	});
}
