// PSA Trigger's catch-up: on activation and on a schedule, asks the PSA for tickets changed since the trigger's watermark and starts the runs the callbacks did not (n8n was down or unreachable).
import type { PsaCallbackEvent, PsaTicket, PsaTicketCondition } from '../providers/types';
import type { DamagedRowReporter } from '../store/errors';
import { connectionOf, type PsaServiceContext } from './context';
import { seenTicket, triggerScopeDigest } from './replay';
import { receiveEvent, itemOfEvent, type TriggerContext, type TriggerItem } from './trigger';
import { filteredOut, type TriggerSettings } from './trigger-filter';

export interface CatchUpOptions {
	/** Tickets read at most per catch-up (the adapter pages up to it); default 1000. */
	maxTickets?: number;
	/**
	 * A manual run's preview: reads the changes since the watermark (or, before the first catch-up, the last
	 * `lookBackMs`) and decides each as the catch-up would, but records nothing (no watermark, no change records), so
	 * the active workflow still gets them. Returns the newest `maxTickets` of them, oldest first.
	 */
	preview?: { lookBackMs: number };
}

export interface CatchUpResult {
	/** The runs to start, oldest change first. */
	items: TriggerItem[];
	/** Tickets the PSA reported changed since the watermark, and why each one that starts no run does not. */
	checked: number;
	skipped: Array<{ ticketId: number; reason: string }>;
	/** The watermark before and after (the PSA's change time of the newest ticket seen). */
	watermarkBefore: string | null;
	watermark: string;
	/** True when the PSA had more changed tickets than maxTickets: the next catch-up continues after the last ticket read. */
	truncated: boolean;
}

const DEFAULT_MAX_TICKETS = 1000;
const watermarkAction = (scope: { workflowId: string; nodeId: string }) => `trigger-watermark:${triggerScopeDigest(scope)}`;

/**
 * One catch-up. The first one (no watermark yet) only sets the watermark to now: nothing was missed before the trigger
 * existed. Later ones read the tickets changed at or after the watermark (1 search, paged by the adapter), oldest
 * change first, and pass each through the callback's own checks (filters, echo suppression judged at the change's
 * time, the ticket's state on its links); a change a callback already started a run for (or an earlier catch-up) is
 * skipped: each change is keyed by ticket and PSA change time in the store. The PSA reports each ticket's latest
 * state, so several changes of one ticket while n8n was down start one run, for the latest.
 */
export async function catchUp(ctx: TriggerContext, scope: { workflowId: string; nodeId: string }, settings: TriggerSettings, options: CatchUpOptions = {}): Promise<CatchUpResult> {
	const serviceContext: PsaServiceContext = { provider: ctx.provider, store: await ctx.store(), cache: ctx.cache, now: ctx.now };
	const connectionId = await connectionOf(serviceContext);
	const store = serviceContext.store;
	const [last] = await store.audit.findRecent(connectionId, watermarkAction(scope), 0);
	const before = typeof last?.detail.at === 'string' ? last.detail.at : null;
	if (before === null && !options.preview) {
		const at = new Date(ctx.now()).toISOString();
		await store.audit.record(connectionId, watermarkAction(scope), { at });
		return { items: [], checked: 0, skipped: [], watermarkBefore: null, watermark: at, truncated: false };
	}
	// A pass the limit cut short continues after the last ticket id it read, from the same watermark.
	const cursor = options.preview ? {} : passCursor(last?.detail);
	const limit = options.maxTickets ?? DEFAULT_MAX_TICKETS;
	const start = before === null ? ctx.now() - (options.preview as { lookBackMs: number }).lookBackMs : Date.parse(before);
	// At or after: a change in the watermark's own second may have come after the last catch-up read; the change keys skip repeats.
	// From the watermark's whole second: PSAs stamp changes to the second (ConnectWise), so a change in the same second as
	// an n8n-timed watermark carries an earlier-looking time.
	const from = new Date(Math.floor(start / 1000) * 1000).toISOString();
	const conditions: PsaTicketCondition[] = [{ field: 'updatedAt', operator: 'gte', value: from }];
	if (cursor.afterId !== undefined) conditions.push({ field: 'id', operator: 'gt', value: cursor.afterId });
	// Both PSAs answer in ticket id order. A preview shows the newest tickets; the catch-up reads them all, a page at a time.
	const tickets = await ctx.provider.searchTickets({ where: { match: 'all', conditions }, limit, ...(options.preview ? { newestFirst: true } : {}) });
	const changed = tickets.filter((ticket) => changeTime(ticket) !== undefined).sort((a, b) => (changeTime(a) as number) - (changeTime(b) as number) || a.id - b.id);
	const onDamaged: DamagedRowReporter = (row) => ctx.warn(`PSA Trigger's catch-up skipped a damaged own-change record: ${row.message}`);
	const items: TriggerItem[] = [];
	const skipped: CatchUpResult['skipped'] = [];
	let newest = Math.max(start, cursor.newest ?? start);
	for (const ticket of changed) {
		const event = await eventOf(serviceContext, connectionId, scope, ticket, Date.parse(from));
		const verdict = await receiveEvent(serviceContext, event, {
			rules: settings,
			delivery: scope,
			now: ctx.now(),
			onDamaged,
			filteredOut: (candidate) => filteredOut(candidate, settings, ctx.provider.callbackLevels),
			...(options.preview ? { preview: true } : {}),
		});
		if (verdict.accepted) items.push({ ...itemOfEvent(event, verdict.link, ctx.provider, settings), via: 'catch-up' });
		else skipped.push({ ticketId: ticket.id, reason: verdict.reason });
		newest = Math.max(newest, changeTime(ticket) as number);
	}
	const truncated = tickets.length >= limit;
	if (options.preview) return { items, checked: changed.length, skipped, watermarkBefore: before, watermark: before ?? from, truncated };
	const lastId = tickets.reduce((highest, ticket) => Math.max(highest, ticket.id), cursor.afterId ?? 0);
	// Cut short: the tickets after the last id read may hold changes older than those read, so the watermark stays
	// until a pass reads to the end; then it moves to the newest change the whole pass saw.
	const next = truncated ? { at: before as string, afterId: lastId, newest } : { at: new Date(newest).toISOString() };
	if (truncated) ctx.warn(`PSA Trigger's catch-up read ${tickets.length} changed tickets, its limit; the next catch-up continues after ticket ${lastId}`);
	if (next.at !== before || truncated || cursor.afterId !== undefined) {
		await store.audit.record(connectionId, watermarkAction(scope), next);
		await store.audit.prune(connectionId, watermarkAction(scope), (last as { at: Date }).at.getTime() + 1);
	}
	return { items, checked: changed.length, skipped, watermarkBefore: before, watermark: next.at, truncated };
}

/** Where a pass the limit cut short stopped (ticket id) and the newest change it had seen. */
function passCursor(detail: Record<string, unknown> | undefined): { afterId?: number; newest?: number } {
	const afterId = detail?.afterId;
	const newest = detail?.newest;
	return {
		...(typeof afterId === 'number' && Number.isSafeInteger(afterId) ? { afterId } : {}),
		...(typeof newest === 'number' && Number.isFinite(newest) ? { newest } : {}),
	};
}

function changeTime(ticket: PsaTicket): number | undefined {
	const time = ticket.updatedAt ? Date.parse(ticket.updatedAt) : Number.NaN;
	return Number.isNaN(time) ? undefined : time;
}

/**
 * The ticket as the event a callback would have brought: 'added' when it was created after the watermark and the
 * workflow's triggers never started a run for it, else 'updated'.
 */
async function eventOf(ctx: PsaServiceContext, connectionId: string, scope: { workflowId: string }, ticket: PsaTicket, watermark: number): Promise<PsaCallbackEvent> {
	const createdAt = ticket.createdAt ? Date.parse(ticket.createdAt) : Number.NaN;
	const added = !Number.isNaN(createdAt) && createdAt >= watermark && !(await seenTicket(ctx.store, connectionId, scope, ticket.id));
	return {
		action: added ? 'added' : 'updated',
		type: 'ticket',
		id: ticket.id,
		...(ticket.updatedAt ? { updatedAt: ticket.updatedAt } : {}),
		...(ticket.updatedBy ? { updatedBy: ticket.updatedBy } : {}),
		...(ticket.externalRef ? { externalReference: ticket.externalRef } : {}),
		ticket,
		entity: {},
	};
}
