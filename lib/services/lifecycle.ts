// An alert's life after its first ticket: what a new occurrence means when the linked ticket was closed, deleted or merged.
import { randomUUID } from 'node:crypto';
import { PsaError, isPsaError } from '../providers/errors';
import type { PsaTicket } from '../providers/types';
import type { TicketLink, TicketState } from '../store/types';
import { DEFAULT_CLAIM_WAIT_MS, waitForClaimHolder } from './claim';
import type { PsaServiceContext } from './context';
import type { ClaimHeld, LinkResult } from './link-types';
import { reopenTicket } from './status';
import { rememberTicket } from './ticket-state';

/**
 * as-is: return the linked ticket whatever became of it (0 requests). reopen: reopen a closed ticket.
 * reopen-recent: reopen one closed less than N hours ago, else start a new ticket. new: always start a new ticket.
 * A deleted or merged ticket is never reopened: the policies other than as-is start a new ticket for it.
 */
export type ClosedTicketPolicy = 'as-is' | 'reopen' | 'reopen-recent' | 'new';
export const CLOSED_TICKET_POLICIES: readonly ClosedTicketPolicy[] = ['as-is', 'reopen', 'reopen-recent', 'new'];

/** An "open" learned from PSA Trigger is trusted this long; after that (a callback may have been missed) it is read again. */
const OPEN_STATE_TRUSTED_MS = 24 * 60 * 60 * 1000;
const DEFAULT_REOPEN_WITHIN_HOURS = 24;

export interface PolicyOptions {
	whenClosed?: ClosedTicketPolicy;
	reopenWithinHours?: number;
	staleAfterMs: number;
	waitMs?: number;
}

export interface PolicySteps {
	/** Creates the entity's ticket under a claim this run holds (the link service's find-or-create). */
	create(claim: ClaimHeld): Promise<LinkResult>;
	/** The result for a link, counting this call as one occurrence. */
	finish(link: TicketLink, extra?: Partial<LinkResult>): Promise<LinkResult>;
}

interface KnownState {
	state: TicketState;
	closedAt?: number;
	ticket?: PsaTicket;
}

/**
 * Decides for a linked entity: its ticket as is, reopened, or a new ticket (the next generation of the link). 'again'
 * when another run changed the link meanwhile: the caller looks again. Requests: 0 for as-is and for an open state
 * PSA Trigger reported; otherwise 1 read; a reopen adds a fresh read and the PATCH, a new ticket its POST.
 */
export async function applyClosedPolicy(
	ctx: PsaServiceContext,
	connectionId: string,
	link: TicketLink,
	options: PolicyOptions,
	steps: PolicySteps,
): Promise<LinkResult | 'again'> {
	const policy = options.whenClosed ?? 'as-is';
	if (!CLOSED_TICKET_POLICIES.includes(policy)) {
		throw new PsaError('invalid-input', `"${String(policy)}" is not a policy for a closed ticket (${CLOSED_TICKET_POLICIES.join(', ')})`, {
			hint: 'Choose what a new occurrence does when the linked ticket is closed: Return It As Is, Reopen It, Reopen If Closed Recently, or Always Create a New Ticket.',
		});
	}
	if (policy === 'as-is') return steps.finish(link);
	const hours = options.reopenWithinHours ?? DEFAULT_REOPEN_WITHIN_HOURS;
	if (!(typeof hours === 'number' && Number.isFinite(hours) && hours >= 0)) {
		throw new PsaError('invalid-input', `Reopen Within (hours) must be a number of hours, 0 or more, got ${JSON.stringify(hours)}`, {
			hint: 'Give the number of hours within which a closed ticket is reopened, e.g. 24.',
		});
	}
	const ticketId = link.ticketId as number;
	const known = await knownState(ctx, connectionId, link);
	if (known.state === 'open') return steps.finish(link, known.ticket ? { ticket: known.ticket } : {});
	const recent = ctx.now() - (known.closedAt ?? ctx.now()) < hours * 3_600_000;
	if (known.state === 'closed' && (policy === 'reopen' || (policy === 'reopen-recent' && recent))) {
		return reopenLinked(ctx, connectionId, link, options, steps);
	}
	if (known.state === 'closed' && !known.ticket) {
		// A "closed" PSA Trigger reported is checked before a new ticket replaces it: a reopen whose callback was lost,
		// or a redelivered old event, must not give an open ticket a twin.
		const current = await readState(ctx, connectionId, ticketId);
		if (current.state === 'open') return steps.finish(link, current.ticket ? { ticket: current.ticket } : {});
	}
	// A new ticket: the link moves on to its next generation, atomically, so two runs seeing this re-fire make one.
	const claimToken = randomUUID();
	const moved = await ctx.store.links.relink(connectionId, link.source, link.externalId, ticketId, claimToken);
	if (!moved.claimed || !moved.row) return 'again';
	const result = await steps.create({ claimToken, searchFirst: false, generation: moved.row.generation });
	await ctx.store.audit.record(connectionId, 'link.next-ticket', { previousTicketId: ticketId, ticketId: result.ticketId, previousState: known.state });
	return result;
}

/** The ticket's state: from PSA Trigger's callbacks when they told, else read (1 request; 404 means deleted). */
async function knownState(ctx: PsaServiceContext, connectionId: string, link: TicketLink): Promise<KnownState> {
	const ticketId = link.ticketId as number;
	const learnedAt = link.ticketStateAt?.getTime() ?? 0;
	if (link.ticketState === 'closed' || link.ticketState === 'deleted') return { state: link.ticketState, closedAt: link.ticketClosedAt?.getTime() };
	if (link.ticketState === 'open' && ctx.now() - learnedAt < OPEN_STATE_TRUSTED_MS) return { state: 'open' };
	return readState(ctx, connectionId, ticketId);
}

/** The ticket's state as the PSA says now (1 request; 404 means deleted, a merged ticket counts as deleted). */
async function readState(ctx: PsaServiceContext, connectionId: string, ticketId: number): Promise<KnownState> {
	let ticket: PsaTicket;
	try {
		ticket = await ctx.provider.getTicket(ticketId);
	} catch (error) {
		if (!isPsaError(error, 'not-found')) throw error;
		// Deleted in the PSA: that does not change back, so it is worth remembering.
		await ctx.store.links.setTicketState(connectionId, ticketId, 'deleted');
		return { state: 'deleted' };
	}
	rememberTicket(ctx.cache, connectionId, ticket);
	// Merged into another ticket: closed for good, never reopened.
	if (ticket.mergedIntoTicketId !== undefined) return { state: 'deleted', ticket };
	if (!ticket.closed) return { state: 'open', ticket };
	const closedAt = ticket.closedAt ? Date.parse(ticket.closedAt) : Number.NaN;
	return { state: 'closed', ticket, ...(Number.isNaN(closedAt) ? {} : { closedAt }) };
}

/** Reopens the linked ticket once, however many runs see the re-fire: the store's reopen claim picks one. */
async function reopenLinked(ctx: PsaServiceContext, connectionId: string, link: TicketLink, options: PolicyOptions, steps: PolicySteps): Promise<LinkResult> {
	const ticketId = link.ticketId as number;
	const claimToken = randomUUID();
	if (await ctx.store.links.claimReopen(connectionId, link.source, link.externalId, ticketId, claimToken, options.staleAfterMs)) {
		let reopened = false;
		try {
			// Read afresh: another run, or a technician, may have reopened it since; then nothing is patched, whatever
			// open status it is in. The status change then uses this read (no second one).
			const current = await readState(ctx, connectionId, ticketId);
			if (current.state === 'closed') reopened = (await reopenTicket(ctx, { ticketId })).changed;
		} finally {
			await ctx.store.links.finishReopen(connectionId, link.source, link.externalId, claimToken, reopened);
		}
		return steps.finish(link, { reopened });
	}
	// Another run is reopening it: its answer is this call's too.
	const settled = await waitForClaimHolder(
		ctx,
		options.waitMs ?? DEFAULT_CLAIM_WAIT_MS,
		async () => {
			const current = await ctx.store.links.find(connectionId, link.source, link.externalId);
			if (!current || !current.reopening || current.ticketId !== ticketId) return current && current.ticketId === ticketId ? current : link;
			return undefined;
		},
		() =>
			new PsaError('conflict', `Another run is reopening ticket ${ticketId} for ${link.source} "${link.externalId}" and has not finished`, {
				hint: 'Retry in a moment: the ticket is returned once the other run has reopened it.',
			}),
	);
	return steps.finish(settled);
}
