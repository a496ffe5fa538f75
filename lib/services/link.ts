// Link: one external entity (source + external id) to exactly one ticket — find-or-create, safe under retries and concurrent workers.
import { randomUUID } from 'node:crypto';
import { PsaError, isPsaError } from '../providers/errors';
import { linkKeyLabel, linkKeyOf } from '../providers/link-key';
import type { PsaTicket, PsaTicketCreate } from '../providers/types';
import type { LinkState, TicketLink } from '../store/types';
import { connectionOf, delay, type PsaServiceContext } from './context';
import { ownChangeRecord } from './echo';
import { applyClosedPolicy, type ClosedTicketPolicy } from './lifecycle';
import { isMemberRefused, resolveAfterRefusal, resolveMember, type MemberIdentity } from './member-map';
import { rememberTicket } from './ticket-state';
import { optionalId, requireId, requireKeyText, requireText } from './validation';

export interface LinkTarget {
	source: string;
	externalId: string;
}

/** The provider's create fields without the link key (the link service writes it), with the owner also as an identity. */
export interface TicketFields extends Omit<PsaTicketCreate, 'externalRef'> {
	/** The owner as an external identity, resolved through the member map. */
	owner?: MemberIdentity;
	/** The owner as a member id (wins over `owner`). */
	ownerId?: number;
}

export interface LinkOptions {
	/** How long to wait for another worker's in-flight create (default 10 s). */
	waitMs?: number;
	/**
	 * A pending claim not refreshed for this long is treated as abandoned and taken over (default: the provider's
	 * outcomeSettleMs). The holder refreshes it before every PSA step, so a live claim never ages this far; and a create
	 * the abandoned attempt sent has committed by then, so the taker's search by link key proves whether it exists.
	 */
	staleAfterMs?: number;
	/** What a linked ticket that was closed (or deleted, or merged) means for a new occurrence; default 'as-is'. */
	whenClosed?: ClosedTicketPolicy;
	/** For 'reopen-recent': a ticket closed less than this many hours ago is reopened, an older one replaced (default 24). */
	reopenWithinHours?: number;
}

export interface LinkResult {
	created: boolean;
	source: string;
	externalId: string;
	linkKey: string;
	ticketId: number;
	state: LinkState;
	ticketUrl: string;
	/** True when a create whose response was lost was found again by its link key instead of created twice. */
	recovered?: boolean;
	ticket?: PsaTicket;
	/** How often Link was called for the entity, this call included; first and last of them. */
	occurrences: number;
	firstSeenAt: string | null;
	lastSeenAt: string | null;
	/** True when this call reopened the closed ticket. */
	reopened: boolean;
	/** The ticket the entity was linked to before this one (after a new ticket replaced a closed one). */
	previousTicketId: number | null;
}

const DEFAULT_WAIT_MS = 10_000;

export { linkKeyOf };

/**
 * Checks and trims a target. New links refuse a ":" in the source: the link key is `source:externalId`, so ("a:b", "c")
 * and ("a", "b:c") would share one key on the ticket (and the trigger reads the source up to the first ":"). Reading and
 * removing still accept such a source, for links stored before this rule.
 */
function normaliseTarget(target: LinkTarget, options: { creating?: boolean } = {}): LinkTarget {
	const source = requireKeyText(target.source, 'Source', 100);
	if (options.creating && source.includes(':')) {
		throw new PsaError('invalid-input', `Source "${source}" contains ":"`, {
			field: 'source',
			hint: 'Use a short name such as "zabbix" or "pagerduty" for the source, without ":"; the external ID may contain ":".',
		});
	}
	return { source, externalId: requireKeyText(target.externalId, 'External ID', 1000) };
}

/**
 * A failure of a create or post after which the PSA may have created the record: anything but a refusal (a 4xx,
 * including a final 429). No answer, a 5xx, and a 2xx whose body could not be read (a changed model, a proxy's page)
 * all leave the record possibly made, so its claim is kept and the record looked for before any second attempt.
 */
export function isOutcomeUnknown(error: unknown): boolean {
	if (!isPsaError(error)) return true;
	if (error.details.outcomeUnknown === true) return true;
	if (error.details.refused === true) return false;
	const status = error.details.status;
	return !(typeof status === 'number' && status >= 400 && status < 500);
}

/** Find-or-create. Existing link: 0 requests. New link: 1 request (the create). */
export async function link(
	ctx: PsaServiceContext,
	targetInput: LinkTarget,
	fields: TicketFields,
	options: LinkOptions = {},
): Promise<LinkResult> {
	const target = normaliseTarget(targetInput, { creating: true });
	const ticketInput = validateFields(fields);
	const connectionId = await connectionOf(ctx);
	const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
	const staleAfterMs = options.staleAfterMs ?? ctx.provider.outcomeSettleMs;
	const deadline = ctx.now() + waitMs;
	let pollMs = 50;
	const create = (claim: ClaimHeld) => createClaimed(ctx, connectionId, target, ticketInput, fields, { ...claim, staleAfterMs });

	for (;;) {
		const existing = await ctx.store.links.find(connectionId, target.source, target.externalId);
		if (existing && existing.ticketId !== null && existing.state !== 'pending') {
			const decided = await applyClosedPolicy(ctx, connectionId, existing, { ...options, staleAfterMs }, {
				create,
				finish: (row, extra) => seenResult(ctx, connectionId, row, extra),
			});
			if (decided === 'again') continue;
			return decided;
		}
		if (!existing) {
			const claimToken = randomUUID();
			const claim = await ctx.store.links.claim(connectionId, target.source, target.externalId, claimToken);
			if (claim.claimed) return create({ claimToken, searchFirst: false, generation: 0 });
			continue;
		}
		// Someone else holds a pending claim: it is either creating the ticket right now or it died mid-way.
		const age = ctx.now() - existing.updatedAt.getTime();
		// Strictly older, as the store's own condition: at exactly the window the store refuses, and asking again at
		// once would spin.
		if (age > staleAfterMs) {
			// Taken over in place: the row stays pending and marked, so whoever holds it searches before creating (the
			// abandoned attempt may have created the ticket), and nobody can claim it fresh in between.
			const claimToken = randomUUID();
			const takeover = await ctx.store.links.takeOver(connectionId, target.source, target.externalId, claimToken, staleAfterMs);
			if (takeover.claimed) return create({ claimToken, searchFirst: true, generation: takeover.row?.generation ?? existing.generation });
			// Another run took it over first (or it changed): look again after the pause below.
		}
		if (ctx.now() >= deadline) {
			const resolvedBy = new Date(existing.updatedAt.getTime() + staleAfterMs).toISOString();
			throw new PsaError(
				'conflict',
				`Another run is creating the ticket for ${target.source} "${target.externalId}", or its create has no answer yet; not finished within ${Math.round(waitMs / 1000)} s`,
				{
					hint: `Retry after ${resolvedBy}: by then the other run has finished, or its claim is taken over and the ticket it may have created is looked up by its link key before any new one is created.`,
				},
			);
		}
		await delay(ctx, pollMs);
		pollMs = Math.min(pollMs * 2, 500);
	}
}

async function createClaimed(
	ctx: PsaServiceContext,
	connectionId: string,
	target: LinkTarget,
	ticketInput: Omit<PsaTicketCreate, 'externalRef' | 'ownerId'>,
	fields: TicketFields,
	claim: ClaimHeld & { staleAfterMs: number },
): Promise<LinkResult> {
	const { claimToken, searchFirst } = claim;
	// Each generation (the entity's next ticket after a close) has its own key, so its search never finds an older ticket.
	const externalRef = linkKeyOf(target.source, target.externalId, claim.generation);
	const refreshClaim = () => ctx.store.links.refresh(connectionId, target.source, target.externalId, claimToken);
	let ticket: PsaTicket | undefined;
	let recovered = false;
	// Whether a ticket for this link may exist in the PSA: then the claim is never released on a failure (a release would
	// let the next attempt create without searching). True after a takeover until a search proves absence, and from
	// the moment a create is sent until the PSA refuses it.
	let mayExist = searchFirst;
	const create = async (ownerId: number | undefined): Promise<PsaTicket> => {
		mayExist = true;
		try {
			return await ctx.provider.createTicket({ ...ticketInput, ownerId, externalRef }, { retrySafe: false });
		} catch (error) {
			if (!isOutcomeUnknown(error)) mayExist = false;
			throw error;
		}
	};
	try {
		if (searchFirst) {
			try {
				ticket = await ctx.provider.findTicketByExternalRef(externalRef);
			} catch (error) {
				// Whether the abandoned attempt created the ticket is still unknown: keep the claim (pending, marked) so
				// that no attempt creates blindly; once stale, the next one takes it over and searches again.
				await refreshClaim();
				throw new UnresolvedCreate(searchFailed(error, 'The ticket for this entity may already exist (an earlier attempt was abandoned)'));
			}
			recovered = ticket !== undefined;
			mayExist = recovered;
		}
		if (!ticket) {
			if (searchFirst) await holdClaim(refreshClaim, target);
			// An owner id given as such wins; an identity goes through the member map.
			const ownerIdentity = fields.ownerId === undefined ? fields.owner : undefined;
			let owner = ownerIdentity ? await resolveMember(ctx, ownerIdentity) : undefined;
			let ownerId = fields.ownerId ?? owner?.memberId;
			// Refreshed before each PSA step: a claim stays fresh while its holder works, however slow the steps before were.
			// Without a member lookup nothing ran since the claim's insert (or the refresh above) set its time.
			if (ownerIdentity) await holdClaim(refreshClaim, target);
			try {
				try {
					ticket = await create(ownerId);
				} catch (error) {
					// A member deactivated since it was auto-mapped: a 400 created nothing, so create once more with the
					// member the identity resolves to now (a manual mapping is reported instead).
					if (!ownerIdentity || !owner || !isMemberRefused(error, 'owner')) throw error;
					owner = await resolveAfterRefusal(ctx, ownerIdentity, owner, error);
					ownerId = owner.memberId;
					await holdClaim(refreshClaim, target);
					ticket = await create(ownerId);
				}
			} catch (error) {
				if (!isOutcomeUnknown(error)) throw error;
				await refreshClaim();
				// The create may have committed before the response was lost: find it by its link key instead of creating twice.
				ticket = await findAfterLostResponse(ctx, externalRef, error);
				if (!ticket) {
					// Not found yet proves nothing: the PSA may still commit it. Keep the claim until the settle window
					// has passed; the attempt that takes it over then searches again before creating.
					throw new UnresolvedCreate(outcomeUnknown(ctx, target, error, claim.staleAfterMs));
				}
				recovered = true;
			}
		}
	} catch (error) {
		// Whether the ticket exists is unknown: keep the claim so nobody creates blindly; once stale, the next attempt searches first.
		if (error instanceof UnresolvedCreate) throw error.cause;
		if (!mayExist) await ctx.store.links.release(connectionId, target.source, target.externalId, claimToken);
		throw error;
	}

	// The ticket id is known only now; the trigger also recognises its 'added' callback by the link key on the ticket.
	// The record of the creation (for the trigger and the audit trail) is written in the same transaction as the link.
	const created = ownChangeRecord(ctx, connectionId, ticket.id, { change: 'created', recovered });
	const completed = await ctx.store.links.complete(connectionId, target.source, target.externalId, claimToken, ticket.id, created);
	if (!completed) {
		// Our claim was taken over as stale while we worked; whatever is stored now wins.
		const current = await ctx.store.links.find(connectionId, target.source, target.externalId);
		if (current && current.ticketId !== null && current.ticketId !== ticket.id) {
			await ctx.store.audit.record(connectionId, 'link.duplicate-ticket', { ticketId: ticket.id, keptTicketId: current.ticketId });
			return resultOf(ctx, current, false);
		}
		// Another run holds the claim now (it took it over): it finds this ticket by its reference and adopts it, so the
		// claim is left to it. Only a link that disappeared meanwhile is written again.
		if (!current) await ctx.store.links.set(connectionId, target.source, target.externalId, ticket.id);
	}
	rememberTicket(ctx.cache, connectionId, ticket);
	// Counting this call as an occurrence returns the row as it is now (one write, no read before it): the stored link
	// when it names this call's ticket, otherwise (the row moved on, or vanished) this call's ticket over what is stored.
	const seen = await ctx.store.links.seen(connectionId, target.source, target.externalId);
	const linked: TicketLink = seen && seen.ticketId === ticket.id ? seen : { ...(seen ?? placeholderLink(connectionId, target, ctx.now())), ticketId: ticket.id, state: 'linked' };
	return { ...resultOf(ctx, linked), created: true, ...(recovered ? { recovered: true } : {}), ticket };
}

/** A claim this run holds: its token, whether it must search before creating, and the generation it creates. */
export interface ClaimHeld {
	claimToken: string;
	searchFirst: boolean;
	generation: number;
}

function placeholderLink(connectionId: string, target: LinkTarget, now: number): TicketLink {
	const at = new Date(now);
	return {
		connectionId,
		...target,
		state: 'linked',
		ticketId: null,
		claimToken: null,
		createdAt: at,
		updatedAt: at,
		generation: 0,
		previousTicketId: null,
		occurrences: 0,
		firstSeenAt: null,
		lastSeenAt: null,
		ticketState: null,
		ticketStateAt: null,
		ticketClosedAt: null,
		reopening: false,
	};
}

/** The result for a link, counting this call as one occurrence of the entity (one store write). */
async function seenResult(ctx: PsaServiceContext, connectionId: string, link: TicketLink, extra: Partial<LinkResult> = {}): Promise<LinkResult> {
	const seen = (await ctx.store.links.seen(connectionId, link.source, link.externalId)) ?? link;
	// The row may have moved on meanwhile (another run's next generation); this call's ticket is the one it decided on.
	return { ...resultOf(ctx, { ...seen, ticketId: link.ticketId, state: link.state, generation: link.generation, previousTicketId: link.previousTicketId }), ...extra };
}

class UnresolvedCreate extends Error {
	constructor(readonly cause: unknown) {
		super('create outcome unknown');
	}
}

/** Refreshes the claim before a create; when another run has taken it over meanwhile, creating now could duplicate its ticket. */
async function holdClaim(refreshClaim: () => Promise<boolean>, target: LinkTarget): Promise<void> {
	if (await refreshClaim()) return;
	throw new UnresolvedCreate(
		new PsaError('conflict', `Another run took over creating the ticket for ${target.source} "${target.externalId}" while this one was slow`, {
			hint: 'Retry: the link is returned once the other run has finished.',
		}),
	);
}

/** The error for a create whose outcome is unknown and whose ticket a search did not find (yet). */
function outcomeUnknown(ctx: PsaServiceContext, target: LinkTarget, error: unknown, staleAfterMs: number): unknown {
	if (!isPsaError(error)) return error;
	const resolvedBy = new Date(ctx.now() + staleAfterMs).toISOString();
	return new PsaError(
		error.kind,
		`${error.message}. The ticket for ${target.source} "${target.externalId}" may still be created: the link stays pending until ${resolvedBy}`,
		{
			...error.details,
			outcomeUnknown: true,
			hint: `Retry after ${resolvedBy}: the next attempt then looks the ticket up by its link key and creates one only if the PSA has none. Earlier attempts wait for this one and report it.`,
		},
	);
}

function searchFailed(error: unknown, what: string): unknown {
	if (!isPsaError(error)) return error;
	return new PsaError(error.kind, `${what}, and looking it up by its link key failed: ${error.message}`, {
		...error.details,
		hint: 'Retry later: the next attempt looks the ticket up by its link key again before creating one.',
	});
}

async function findAfterLostResponse(ctx: PsaServiceContext, externalRef: string, original: unknown): Promise<PsaTicket | undefined> {
	try {
		return await ctx.provider.findTicketByExternalRef(externalRef);
	} catch {
		throw new UnresolvedCreate(
			isPsaError(original)
				? new PsaError(original.kind, `${original.message}; the ticket may have been created`, {
						...original.details,
						hint: 'Retry later: the next attempt looks the ticket up by its link key before creating one.',
					})
				: original,
		);
	}
}

function validateFields(fields: TicketFields): Omit<PsaTicketCreate, 'externalRef' | 'ownerId'> {
	// The provider cuts the summary to the PSA's limit and keeps the full text in the description.
	return {
		summary: requireText(fields.summary, 'Summary', 10_000),
		description: typeof fields.description === 'string' && fields.description.trim() !== '' ? fields.description : undefined,
		companyId: requireId(fields.companyId, 'Company ID'),
		boardId: optionalId(fields.boardId, 'Board ID'),
		statusId: optionalId(fields.statusId, 'Status ID'),
		priorityId: optionalId(fields.priorityId, 'Priority ID'),
		contactId: optionalId(fields.contactId, 'Contact ID'),
	};
}

function resultOf(ctx: PsaServiceContext, stored: TicketLink, created = false): LinkResult {
	const ticketId = stored.ticketId as number;
	return {
		created,
		source: stored.source,
		externalId: stored.externalId,
		linkKey: linkKeyLabel(linkKeyOf(stored.source, stored.externalId, stored.generation)),
		ticketId,
		state: stored.state,
		ticketUrl: stored.ticketId !== null ? ctx.provider.ticketUrl(ticketId) : '',
		occurrences: stored.occurrences,
		firstSeenAt: stored.firstSeenAt?.toISOString() ?? null,
		lastSeenAt: stored.lastSeenAt?.toISOString() ?? null,
		reopened: false,
		previousTicketId: stored.previousTicketId,
	};
}

/** Links an entity to a ticket that already exists (1 request: the ticket is read to prove it exists). */
export async function linkExisting(
	ctx: PsaServiceContext,
	targetInput: LinkTarget,
	ticketIdInput: number,
	options: { replace?: boolean } = {},
): Promise<LinkResult> {
	const target = normaliseTarget(targetInput, { creating: true });
	const ticketId = requireId(ticketIdInput, 'Ticket ID');
	const connectionId = await connectionOf(ctx);
	const existing = await ctx.store.links.find(connectionId, target.source, target.externalId);
	if (existing && existing.ticketId !== null && existing.ticketId !== ticketId && existing.state !== 'closed' && !options.replace) {
		throw new PsaError(
			'conflict',
			`${target.source} "${target.externalId}" is already linked to ticket ${existing.ticketId}`,
			{ hint: 'Turn on "Replace Existing Link" to link it to the other ticket, or Unlink it first.' },
		);
	}
	const ticket = await ctx.provider.getTicket(ticketId);
	const stored = await ctx.store.links.set(connectionId, target.source, target.externalId, ticket.id, {
		replace: options.replace || existing?.state === 'closed',
	});
	rememberTicket(ctx.cache, connectionId, ticket);
	await ctx.store.audit.record(connectionId, 'link.set', { ticketId: ticket.id });
	return { ...resultOf(ctx, stored, false), ticket };
}

/** The stored link (0 requests), with the ticket read from the PSA when asked (1 request). */
export async function getLink(ctx: PsaServiceContext, targetInput: LinkTarget, options: { fetchTicket?: boolean } = {}): Promise<LinkResult> {
	const target = normaliseTarget(targetInput);
	const connectionId = await connectionOf(ctx);
	const stored = await storedLink(ctx, target);
	const result = resultOf(ctx, stored, false);
	if (options.fetchTicket) {
		result.ticket = await ctx.provider.getTicket(result.ticketId);
		rememberTicket(ctx.cache, connectionId, result.ticket);
	}
	return result;
}

/** The ticket id a target is linked to (0 requests); a clear error when it is not linked. */
export async function linkedTicketId(ctx: PsaServiceContext, targetInput: LinkTarget): Promise<number> {
	// Note and Status resolve their ticket through this on every item: the stored link's id, without building a result.
	return (await storedLink(ctx, normaliseTarget(targetInput))).ticketId as number;
}

/** The stored link with a ticket, or the not-found error getLink reports. */
async function storedLink(ctx: PsaServiceContext, target: LinkTarget): Promise<TicketLink> {
	const connectionId = await connectionOf(ctx);
	const stored = await ctx.store.links.find(connectionId, target.source, target.externalId);
	if (!stored || stored.ticketId === null) {
		throw new PsaError('not-found', `${target.source} "${target.externalId}" is not linked to a ticket`, {
			hint:
				stored?.state === 'pending'
					? 'A ticket is being created for it right now; try again in a moment.'
					: 'Check the source and external ID, or create the link with PSA Link > Link.',
		});
	}
	return stored;
}

/** Removes the link only; the ticket stays in the PSA. */
export async function unlink(ctx: PsaServiceContext, targetInput: LinkTarget): Promise<{ source: string; externalId: string; removed: boolean; ticketId: number | null }> {
	const target = normaliseTarget(targetInput);
	const connectionId = await connectionOf(ctx);
	const stored = await ctx.store.links.find(connectionId, target.source, target.externalId);
	if (stored?.state === 'pending') {
		// The pending row is what makes the next attempt search before it creates; removing it could give the entity a
		// second ticket.
		throw new PsaError('conflict', `A ticket is being created for ${target.source} "${target.externalId}" (or its create has no answer yet); it cannot be unlinked now`, {
			hint: `Unlink it once PSA Link > Link has returned its ticket (at the latest after ${Math.round(ctx.provider.outcomeSettleMs / 1000)} s).`,
		});
	}
	const removed = await ctx.store.links.remove(connectionId, target.source, target.externalId);
	if (removed) await ctx.store.audit.record(connectionId, 'link.remove', { ticketId: stored?.ticketId ?? null });
	return { ...target, removed, ticketId: stored?.ticketId ?? null };
}

export async function listLinks(
	ctx: PsaServiceContext,
	filter: { source?: string; state?: LinkState; limit?: number; offset?: number } = {},
): Promise<Array<Omit<LinkResult, 'created' | 'reopened'> & { createdAt: string; updatedAt: string; ticketState: string | null }>> {
	const connectionId = await connectionOf(ctx);
	const source = filter.source?.trim() ? filter.source.trim() : undefined;
	const links = await ctx.store.links.list(connectionId, { ...filter, source });
	return links.map((stored) => {
		const { created: _created, reopened: _reopened, ...result } = resultOf(ctx, stored);
		return {
			...result,
			ticketUrl: stored.ticketId !== null ? result.ticketUrl : '',
			ticketState: stored.ticketState,
			createdAt: stored.createdAt.toISOString(),
			updatedAt: stored.updatedAt.toISOString(),
		};
	});
}
