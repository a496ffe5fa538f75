// PSA Trigger's handling of one callback: verify it, then the age limit, the ticket's state on its links, the filters, own-change recognition, the replay record and the link lookup, as one decision.
import type { PsaCache } from '../cache';
import { isPsaError } from '../providers/errors';
import { linkKeyOf } from '../providers/link-key';
import type { PsaCallbackEvent, PsaCallbackRequest, PsaProvider } from '../providers/types';
import type { DamagedRowReporter } from '../store/errors';
import type { PsaStore, TicketLink } from '../store/types';
import { verifyForTrigger } from './callback-secrets';
import { connectionOf, type PsaServiceContext } from './context';
import { eventUpdatedBy, isRecentOwnChange, learnOwnIdentity } from './echo';
import { acceptChangeOnce, acceptDeliveryOnce, deliveryBytes, lastUpdatedOf, newerChangeTaken, staleReason } from './replay';
import { forgetTicket } from './ticket-state';
import { filteredOut, type TriggerSettings } from './trigger-filter';

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

/** A callback as received, or a change the catch-up found in the PSA (no delivery to guard against replays). */
export type EventDelivery = DeliveryScope | (Omit<DeliveryScope, 'rawBody'> & { rawBody?: undefined });

/**
 * What the trigger needs around one callback; the store is opened only for an event that passes the checks needing none
 * (and, for a PSA that signs each callback with its own secret, to read this trigger's).
 */
export interface TriggerContext {
	provider: PsaProvider;
	cache: PsaCache;
	now(): number;
	store(): Promise<PsaStore>;
	/** Where remarks that decide nothing go (a damaged own-change record is left out of the decision). */
	warn(message: string): void;
}

/** One callback as received, and the trigger it was sent to. */
export interface TriggerDelivery extends DeliveryScope {
	headers: PsaCallbackRequest['headers'];
	/** The query parameters of the address it was sent to; may hold the callback's token, so never logged. */
	query?: PsaCallbackRequest['query'];
}

/** The run's one item: the event, the link that explains the ticket, and where to open it. */
export interface TriggerItem {
	action: PsaCallbackEvent['action'];
	type: string;
	ticketId: number;
	/** The ticket as plain JSON (what the item carries), or null when the payload had none. */
	ticket: Record<string, unknown> | null;
	link: EventLink | null;
	ticketUrl: string;
	updatedBy?: string;
	/** Only on a change the catch-up found in the PSA (PSA Catch-Up Trigger): it came by no callback. */
	via?: 'catch-up';
	/** Only when the settings ask for the raw entity. */
	entity?: Record<string, unknown>;
}

/**
 * emit: start a run with this item. ignore: acknowledge the delivery (a PSA only needs a 2xx) and start nothing.
 * refuse: answer with this status, for a callback that is not the PSA's (bad signature) or not readable.
 * `warning`: for the log, when the outcome deserves one.
 */
export type TriggerDecision =
	| { outcome: 'emit'; item: TriggerItem }
	| { outcome: 'ignore'; reason: string; warning?: string }
	| { outcome: 'refuse'; status: 400 | 401 | 413; message: string; warning?: string };

/**
 * Decides what one callback does. Failures that are neither a bad signature nor an unreadable payload (the PSA or
 * the store did not answer) are thrown, so the PSA sees an error and delivers again.
 */
export async function handleTriggerEvent(ctx: TriggerContext, delivery: TriggerDelivery, settings: TriggerSettings): Promise<TriggerDecision> {
	let event: PsaCallbackEvent;
	try {
		event = await verifyForTrigger(ctx, delivery, { rawBody: delivery.rawBody, headers: delivery.headers, ...(delivery.query ? { query: delivery.query } : {}) });
	} catch (error) {
		if (isPsaError(error, 'authentication')) {
			return { outcome: 'refuse', status: 401, message: 'The callback signature could not be verified', warning: `PSA Trigger refused a callback: ${error.message}` };
		}
		if (isPsaError(error, 'invalid-input')) {
			// Too large for any genuine callback: refused on its length alone, before anything read it.
			if (error.details.status === 413) return { outcome: 'refuse', status: 413, message: 'The callback body is too large', warning: `PSA Trigger refused a callback: ${error.message}` };
			return { outcome: 'refuse', status: 400, message: error.message };
		}
		throw error;
	}
	const now = ctx.now();
	const screened = screenEvent(ctx, event, settings, now);
	if (screened) return ignored(screened);
	const serviceContext: PsaServiceContext = { provider: ctx.provider, store: await ctx.store(), cache: ctx.cache, now: ctx.now };
	const onDamaged: DamagedRowReporter = (row) => ctx.warn(`PSA Trigger skipped a damaged own-change record for ticket ${event.id}: ${row.message}`);
	const verdict = await receiveEvent(serviceContext, event, {
		rules: settings,
		delivery,
		now,
		onDamaged,
		filteredOut: (candidate) => filteredOut(candidate, settings, ctx.provider.callbackLevels),
	});
	if (!verdict.accepted) return ignored(verdict);
	return { outcome: 'emit', item: itemOfEvent(event, verdict.link, ctx.provider, settings) };
}

function ignored(verdict: DroppedEvent): TriggerDecision {
	return { outcome: 'ignore', reason: verdict.reason, ...(verdict.warning ? { warning: verdict.warning } : {}) };
}

/** The run's item for an accepted event (a callback's, or a change the catch-up found). */
export function itemOfEvent(event: PsaCallbackEvent, link: EventLink | null, provider: PsaProvider, settings: TriggerSettings): TriggerItem {
	return {
		action: event.action,
		type: event.type,
		ticketId: event.id,
		ticket: event.ticket ? (JSON.parse(JSON.stringify(event.ticket)) as Record<string, unknown>) : null,
		link: link ? { ...link } : null,
		ticketUrl: provider.ticketUrl(event.id),
		...(event.updatedBy !== undefined ? { updatedBy: event.updatedBy } : {}),
		...(settings.includeEntity ? { entity: event.entity } : {}),
	};
}

/**
 * Checked before the store is opened: a replayed old payload is refused on its age alone. A verified event is also
 * fresher news of the ticket than what PSA Status remembered in this process, so that memory is dropped.
 */
function screenEvent(ctx: Pick<TriggerContext, 'provider' | 'cache'>, event: PsaCallbackEvent, rules: TriggerRules, now: number): DroppedEvent | undefined {
	forgetTicket(ctx.cache, ctx.provider.connection.connectionId, event.id);
	const stale = staleReason(event, now, rules.maxEventAgeMs);
	if (!stale) return undefined;
	return { accepted: false, reason: 'stale', warning: `PSA Trigger ignored a replayed or late callback for ticket ${event.id}: ${stale}` };
}

/**
 * Decides whether a verified, fresh event starts a run. Whatever the filters say, the links first learn what became
 * of their ticket: PSA Link's closed-ticket policy then needs no read. `filteredOut` applies the trigger's filters.
 */
export async function receiveEvent(
	ctx: PsaServiceContext,
	event: PsaCallbackEvent,
	options: {
		rules: TriggerRules;
		/** The callback as received; absent for a change the catch-up found in the PSA (no delivery to guard against replays). */
		delivery: EventDelivery;
		now: number;
		filteredOut(event: PsaCallbackEvent): string | undefined;
		onDamaged: DamagedRowReporter;
		/** Decide without writing anything (a manual run's preview): no ticket state, no delivery or change record. */
		preview?: boolean;
	},
): Promise<EventVerdict> {
	const { rules, delivery, now } = options;
	const connectionId = await connectionOf(ctx);
	if (!options.preview) await recordTicketState(ctx, connectionId, event);
	const filtered = options.filteredOut(event);
	if (filtered) return { accepted: false, reason: filtered };
	// A change found late is compared with the package's changes around its own time, not around now.
	const asOf = delivery.rawBody === undefined ? lastUpdatedOf(event) : undefined;
	if (rules.ignoreOwnChanges && (await isOwnChange(ctx, connectionId, event, rules.echoWindowMs, options.onDamaged, asOf))) {
		return { accepted: false, reason: 'own change' };
	}
	if (!options.preview) {
		const repeated = await repeatedChange(ctx, connectionId, event, delivery, now);
		if (repeated) return repeated;
	}
	const link = linkOf(await ctx.store.links.findByTicket(connectionId, event.id));
	if (rules.linkedOnly && !link) return { accepted: false, reason: 'ticket is not linked' };
	return { accepted: true, link };
}

/** A delivery seen before, or a change the workflow already ran for (by callback or catch-up); records this one otherwise. */
async function repeatedChange(ctx: PsaServiceContext, connectionId: string, event: PsaCallbackEvent, delivery: EventDelivery, now: number): Promise<DroppedEvent | undefined> {
	const scope = { workflowId: delivery.workflowId, nodeId: delivery.nodeId };
	if (delivery.rawBody !== undefined && !(await acceptDeliveryOnce(ctx.store, connectionId, scope, deliveryBytes(event, delivery.rawBody), now))) {
		return { accepted: false, reason: 'duplicate delivery', warning: `PSA Trigger ignored a repeated delivery for ticket ${event.id}` };
	}
	// The callback and the catch-up may both see one change: whichever comes second starts nothing.
	if (!(await acceptChangeOnce(ctx.store, connectionId, scope, event, now, delivery.rawBody === undefined ? 'catch-up' : 'callback'))) {
		return { accepted: false, reason: 'change already seen' };
	}
	if (await newerChangeTaken(ctx.store, connectionId, scope, event)) {
		return { accepted: false, reason: 'a newer change of the ticket already ran', warning: `PSA Trigger ignored a late callback for ticket ${event.id}: a newer change of it already ran the workflow` };
	}
	return undefined;
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

async function isOwnChange(
	ctx: PsaServiceContext,
	connectionId: string,
	event: PsaCallbackEvent,
	echoWindowMs: number,
	onDamaged: DamagedRowReporter,
	asOf: number | undefined,
): Promise<boolean> {
	if (event.action === 'added' && (await createdByPsaLink(ctx, connectionId, event))) {
		// Certainly ours, so whoever the PSA says created it is the member our changes are made as.
		learnOwnIdentity(ctx, connectionId, eventUpdatedBy(event));
		return true;
	}
	// Late (catch-up): records up to a window after the change count too, since the change may be the echo of a write
	// whose record was made just before it.
	const window = asOf === undefined ? { withinMs: echoWindowMs } : { withinMs: 2 * echoWindowMs, asOf: asOf + echoWindowMs };
	return isRecentOwnChange(ctx, event.id, { ...window, event, onDamaged });
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
