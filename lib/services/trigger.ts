// PSA Trigger's rules for a verified event: the age limit, the ticket's state on its links, own-change recognition, the replay record and the link lookup.
import { linkKeyOf } from '../providers/link-key';
import type { PsaCallbackEvent } from '../providers/types';
import type { DamagedRowReporter } from '../store/errors';
import type { TicketLink } from '../store/types';
import { connectionOf, type PsaServiceContext } from './context';
import { eventUpdatedBy, isRecentOwnChange, learnOwnIdentity } from './echo';
import { acceptDeliveryOnce, deliveryBytes, staleReason } from './replay';
import { forgetTicket } from './ticket-state';

export interface TriggerRules {
	/** Callbacks whose ticket was saved longer ago than this are replays (0: no limit). */
	maxEventAgeMs: number;
	ignoreOwnChanges: boolean;
	echoWindowMs: number;
	linkedOnly: boolean;
}

/** The link that explains the ticket, as the trigger's item shows it. */
export interface EventLink {
	source: string;
	externalId: string;
	state: TicketLink['state'];
}

/** `warning`: why the event was dropped, for the log, when a drop deserves one. */
export interface DroppedEvent {
	accepted: false;
	reason: string;
	warning?: string;
}

export type EventVerdict = { accepted: true; link: EventLink | null } | DroppedEvent;

export interface DeliveryScope {
	workflowId: string;
	nodeId: string;
	/** The exact bytes received: a repeated delivery is recognised by them. */
	rawBody: Buffer;
}

/**
 * Checked before the store is opened: a replayed old payload is refused on its age alone. A verified event is also
 * fresher news of the ticket than what PSA Status remembered in this process, so that memory is dropped.
 */
export function screenEvent(ctx: Pick<PsaServiceContext, 'provider' | 'cache'>, event: PsaCallbackEvent, rules: TriggerRules, now: number): DroppedEvent | undefined {
	forgetTicket(ctx.cache, ctx.provider.connection.connectionId, event.id);
	const stale = staleReason(event, now, rules.maxEventAgeMs);
	if (!stale) return undefined;
	return { accepted: false, reason: 'stale', warning: `PSA Trigger ignored a replayed or late callback for ticket ${event.id}: ${stale}` };
}

/**
 * Decides whether a verified, fresh event starts a run. Whatever the filters say, the links first learn what became
 * of their ticket: PSA Link's closed-ticket policy then needs no read. `filteredOut` applies the node's filters.
 */
export async function receiveEvent(
	ctx: PsaServiceContext,
	event: PsaCallbackEvent,
	options: { rules: TriggerRules; delivery: DeliveryScope; now: number; filteredOut(event: PsaCallbackEvent): string | undefined; onDamaged: DamagedRowReporter },
): Promise<EventVerdict> {
	const { rules, delivery, now } = options;
	const connectionId = await connectionOf(ctx);
	await recordTicketState(ctx, connectionId, event);
	const filtered = options.filteredOut(event);
	if (filtered) return { accepted: false, reason: filtered };
	if (rules.ignoreOwnChanges && (await isOwnChange(ctx, connectionId, event, rules.echoWindowMs, options.onDamaged))) {
		return { accepted: false, reason: 'own change' };
	}
	const scope = { workflowId: delivery.workflowId, nodeId: delivery.nodeId };
	if (!(await acceptDeliveryOnce(ctx.store, connectionId, scope, deliveryBytes(event, delivery.rawBody), now))) {
		return { accepted: false, reason: 'duplicate delivery', warning: `PSA Trigger ignored a repeated delivery for ticket ${event.id}` };
	}
	const link = linkOf(await ctx.store.links.findByTicket(connectionId, event.id));
	if (rules.linkedOnly && !link) return { accepted: false, reason: 'ticket is not linked' };
	return { accepted: true, link };
}

/** The live link first, a closed one otherwise. */
function linkOf(links: TicketLink[]): EventLink | null {
	const link = links.find((candidate) => candidate.state === 'linked') ?? links[0];
	return link ? { source: link.source, externalId: link.externalId, state: link.state } : null;
}

/**
 * A ticket PSA Link created carries the PSA-side reference of its link key, and its link row exists from before the
 * create: pending until the create's answer arrives (the callback may come first), then linked to this ticket.
 */
async function createdByPsaLink(ctx: PsaServiceContext, connectionId: string, event: PsaCallbackEvent): Promise<boolean> {
	const reference = event.externalReference;
	if (!reference) return false;
	const candidates = [
		...(await ctx.store.links.findByTicket(connectionId, event.id)),
		...(await ctx.store.links.list(connectionId, { state: 'pending', limit: 1000 })),
	];
	return candidates.some(
		(link) => (link.ticketId === null || link.ticketId === event.id) && ctx.provider.externalReferenceOf(linkKeyOf(link.source, link.externalId, link.generation)) === reference,
	);
}

async function isOwnChange(ctx: PsaServiceContext, connectionId: string, event: PsaCallbackEvent, echoWindowMs: number, onDamaged: DamagedRowReporter): Promise<boolean> {
	if (event.action === 'added' && (await createdByPsaLink(ctx, connectionId, event))) {
		// Certainly ours, so whoever the PSA says created it is the member our changes are made as.
		learnOwnIdentity(ctx, connectionId, eventUpdatedBy(event));
		return true;
	}
	return isRecentOwnChange(ctx, event.id, { withinMs: echoWindowMs, event, onDamaged });
}

/** Records the ticket's state (open, closed, deleted) on its links, from a verified event. */
async function recordTicketState(ctx: PsaServiceContext, connectionId: string, event: PsaCallbackEvent): Promise<void> {
	// Ordered by the PSA's own change time: a redelivered older event never overwrites a newer state.
	const changedAt = event.updatedAt ? Date.parse(event.updatedAt) : Number.NaN;
	const asOf = Number.isNaN(changedAt) ? {} : { asOf: changedAt };
	if (event.action === 'deleted') {
		await ctx.store.links.setTicketState(connectionId, event.id, 'deleted', asOf);
		return;
	}
	if (!event.ticket) return;
	const closedAt = event.ticket.closedAt ? Date.parse(event.ticket.closedAt) : Number.NaN;
	const gone = event.ticket.mergedIntoTicketId !== undefined;
	const state = gone ? 'deleted' : event.ticket.closed ? 'closed' : 'open';
	await ctx.store.links.setTicketState(connectionId, event.id, state, { ...asOf, ...(Number.isNaN(closedAt) ? {} : { closedAt }) });
}
