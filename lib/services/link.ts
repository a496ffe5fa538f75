// Link: one external entity (source + external id) to exactly one ticket — find-or-create, safe under retries and concurrent workers.
import { PsaError, isAnsweredByPsa, isOutcomeUnknown, isPsaError } from '../providers/errors';
import { linkKeyLabel, linkKeyOf } from '../providers/link-key';
import type { PsaTicket, PsaTicketCreate, PsaTicketDetails } from '../providers/types';
import type { LinkState, TicketLink } from '../store/types';
import { HeldClaim, PollSchedule, writeUnderClaim } from './claim';
import { connectionOf, delay, type PsaServiceContext } from './context';
import { learnOwnIdentity, ownChangeRecord, recordOwnChange } from './echo';
import { applyClosedPolicy, type ClosedTicketPolicy } from './lifecycle';
import { linkedTicketId, normaliseTarget, storedLink, type LinkTarget } from './link-lookup';
import type { ClaimHeld, LinkResult } from './link-types';
import { isMemberRefused, resolveAfterRefusal, resolveMember, type MemberIdentity } from './member-map';
import { rememberTicket } from './ticket-state';
import {
	checkTicketDetails,
	resolveConfigurationItems,
	type CheckedDetails,
	type ConfigurationItemSpec,
	type MissingConfigurationItemPolicy,
	type ResolvedConfigurationItems,
	type TicketDetailsInput,
} from './ticket-fields';
import { optionalId, requireId, requireText } from './validation';

/** The basic create fields (the link service writes the link key), the owner also as an identity, and the details. */
export interface TicketFields extends Omit<PsaTicketCreate, 'externalRef' | keyof PsaTicketDetails | 'configurationItemIds'> {
	/** The owner as an external identity, resolved through the member map. */
	owner?: MemberIdentity;
	/** The owner as a member id (wins over `owner`). */
	ownerId?: number;
	/** Classification, team, source, site, scales, due date, custom fields: ids or names, checked before the create. */
	details?: TicketDetailsInput;
	/** Devices to put on a new ticket, found within its company; in the create where the PSA takes them, else attached once after. */
	configurationItems?: ConfigurationItemSpec[];
	/** A configuration item not found: create the ticket without it (said in the output) or fail before creating. Default 'continue'. */
	whenConfigurationItemMissing?: MissingConfigurationItemPolicy;
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
	/** Raise the linked ticket's priority once when the entity has occurred this often (this call included). */
	raisePriority?: { afterOccurrences: number; priorityId: number };
}

export { linkKeyOf, isOutcomeUnknown, linkedTicketId };

/**
 * Creates tried in one call while the PSA's application answers with an error and a search proves nothing was created;
 * then the error is reported with the claim released, so the next attempt creates at once.
 */
const ANSWERED_CREATE_ATTEMPTS = 3;
const ANSWERED_RETRY_PAUSE_MS = 1_000;
/** How often a pending claim nobody refreshes is looked up in the PSA (per entity and process). */
const HELD_POLL_MS = 10_000;
const heldPolls = new PollSchedule();
export type { ClaimHeld, LinkResult, LinkTarget };

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
	const staleAfterMs = options.staleAfterMs ?? ctx.provider.outcomeSettleMs;
	const create = (claim: ClaimHeld) => createClaimed(ctx, connectionId, target, ticketInput, fields, { ...claim, staleAfterMs });
	const { source, externalId } = target;
	// Once another run's claim was seen, the looks that wait for it read (a count and a claim attempt would be two writes).
	let waiting = false;

	return writeUnderClaim<LinkResult, TicketLink>(
		ctx,
		{
			look: async (claimToken) => {
				let existing: TicketLink | undefined;
				if ((options.whenClosed ?? 'as-is') === 'as-is' && !waiting) {
					// The default policy returns a linked ticket whatever its state, so a known entity needs one statement: the
					// count, which returns the row. Otherwise the claim comes next, as it would after a find that found nothing;
					// a claim that loses reads back the row that beat it, so a new entity costs as many statements as before.
					const counted = await ctx.store.links.seenIfLinked(connectionId, source, externalId);
					if (counted) return { finished: await raiseOnOccurrences(ctx, connectionId, resultOf(ctx, counted), options.raisePriority) };
					const claim = await ctx.store.links.claim(connectionId, source, externalId, claimToken);
					if (claim.claimed) return { finished: await create({ claimToken, searchFirst: false, generation: 0 }) };
					existing = claim.link;
				} else {
					existing = await ctx.store.links.find(connectionId, source, externalId);
				}
				if (existing && existing.ticketId !== null && existing.state !== 'pending') {
					const decided = await applyClosedPolicy(ctx, connectionId, existing, { ...options, staleAfterMs }, {
						create,
						finish: async (row, extra) => raiseOnOccurrences(ctx, connectionId, await seenResult(ctx, connectionId, row, extra), options.raisePriority),
					});
					return decided === 'again' ? 'again' : { finished: decided };
				}
				if (!existing) {
					const claim = await ctx.store.links.claim(connectionId, source, externalId, claimToken);
					return claim.claimed ? { finished: await create({ claimToken, searchFirst: false, generation: 0 }) } : 'again';
				}
				// Someone else holds a pending claim: it is either creating the ticket right now, or its create has no answer
				// (the PSA may still commit it), or it died mid-way. A claim not refreshed for a while is checked in the PSA
				// at intervals, so a late commit is linked as soon as it is there rather than when the window ends.
				if (ctx.now() - existing.updatedAt.getTime() >= HELD_POLL_MS && existing.claimToken && heldPolls.due(ctx.store, `${connectionId}\n${source}\n${externalId}`, ctx.now(), HELD_POLL_MS)) {
					const adopted = await adoptCommitted(ctx, connectionId, existing, existing.claimToken, (ticket) => afterCreate(ctx, ticket, fields, ticketInput.companyId, undefined));
					if (adopted) return adopted;
				}
				waiting = true;
				return { heldSince: existing.updatedAt, held: existing };
			},
			takeOver: async (claimToken, existing) => {
				// Taken over in place: the row stays pending and marked, so whoever holds it searches before creating (the
				// abandoned attempt may have created the ticket), and nobody can claim it fresh in between.
				const takeover = await ctx.store.links.takeOver(connectionId, source, externalId, claimToken, staleAfterMs);
				if (!takeover.claimed) return undefined;
				return create({ claimToken, searchFirst: true, generation: takeover.row?.generation ?? existing.generation });
			},
			busy: (resolvedBy, waitedMs) =>
				new PsaError(
					'conflict',
					`Another run is creating the ticket for ${source} "${externalId}", or its create has no answer yet; not finished within ${Math.round(waitedMs / 1000)} s`,
					{
						hint: `Retry after ${resolvedBy}: by then the other run has finished, or its claim is taken over and the ticket it may have created is looked up by its link key before any new one is created.`,
					},
				),
		},
		{ staleAfterMs, waitMs: options.waitMs },
	);
}

/**
 * Looks for the ticket of another run's pending claim by its link key and, when the PSA has it, finishes that claim with
 * it (only while the claim is still the one seen). Undefined when the PSA has none yet or the search failed (the claim
 * then stays as it is); 'again' when the claim changed meanwhile.
 */
async function adoptCommitted(
	ctx: PsaServiceContext,
	connectionId: string,
	pending: TicketLink,
	claimToken: string,
	attach: (ticket: PsaTicket) => Promise<Partial<LinkResult>>,
): Promise<{ finished: LinkResult } | 'again' | undefined> {
	let ticket: PsaTicket | undefined;
	try {
		ticket = await ctx.provider.findTicketByExternalRef(linkKeyOf(pending.source, pending.externalId, pending.generation));
	} catch {
		return undefined;
	}
	if (!ticket) return undefined;
	// The run that created it may have died before attaching its configuration items; attaching is idempotent.
	const attached = await attach(ticket);
	const created = ownChangeRecord(ctx, connectionId, ticket.id, { change: 'created', recovered: true });
	if (!(await ctx.store.links.complete(connectionId, pending.source, pending.externalId, claimToken, ticket.id, created))) return 'again';
	rememberTicket(ctx.cache, connectionId, ticket);
	const seen = await ctx.store.links.seen(connectionId, pending.source, pending.externalId);
	const linked: TicketLink = seen && seen.ticketId === ticket.id ? seen : { ...pending, ticketId: ticket.id, state: 'linked' };
	return { finished: { ...resultOf(ctx, linked), created: true, recovered: true, ticket, ...attached } };
}

async function createClaimed(
	ctx: PsaServiceContext,
	connectionId: string,
	target: LinkTarget,
	ticketInput: Omit<PsaTicketCreate, 'externalRef' | 'ownerId'>,
	fields: TicketFields,
	held: ClaimHeld & { staleAfterMs: number },
): Promise<LinkResult> {
	const { claimToken, searchFirst } = held;
	// Each generation (the entity's next ticket after a close) has its own key, so its search never finds an older ticket.
	const externalRef = linkKeyOf(target.source, target.externalId, held.generation);
	// A ticket for this link may exist after a takeover until a search proves absence, and from the moment a create is
	// sent until the PSA refuses it: meanwhile a failure keeps the claim pending.
	const claim = new HeldClaim(
		{
			refresh: () => ctx.store.links.refresh(connectionId, target.source, target.externalId, claimToken),
			release: () => ctx.store.links.release(connectionId, target.source, target.externalId, claimToken),
			expire: () => ctx.store.links.expire(connectionId, target.source, target.externalId, claimToken, held.staleAfterMs),
		},
		searchFirst,
		() =>
			new PsaError('conflict', `Another run took over creating the ticket for ${target.source} "${target.externalId}" while this one was slow`, {
				hint: 'Retry: the link is returned once the other run has finished.',
			}),
	);
	// Details and devices are checked (against cached lookups) only when a ticket is to be created: a known link costs nothing.
	let prepared: Prepared | undefined;
	const prepare = async (): Promise<Prepared> => (prepared ??= await prepareCreate(ctx, fields, ticketInput));
	const create = async (ownerId: number | undefined): Promise<PsaTicket> => {
		const looksUp = prepared === undefined && (fields.details !== undefined || (fields.configurationItems ?? []).length > 0);
		const { checked, devices } = await prepare();
		const onCreate = devices.items.slice(0, ctx.provider.ticketCapabilities.configurationItemsOnCreate).map((item) => item.id);
		// The lookups may have taken a while: refreshed so the claim is fresh when the create goes out.
		if (looksUp) await claim.hold();
		claim.mayHaveWritten();
		try {
			return await ctx.provider.createTicket(
				{ ...ticketInput, ...checked.details, ...(onCreate.length ? { configurationItemIds: onCreate } : {}), ownerId, externalRef },
				{ retrySafe: false },
			);
		} catch (error) {
			if (!isOutcomeUnknown(error)) claim.provenAbsent();
			throw error;
		}
	};
	let recovered = false;
	let attachedResult: Partial<LinkResult> = {};
	const ticket = await claim.run(async (): Promise<PsaTicket> => {
		const obtained = await obtain();
		// Still under the claim: a run that dies before attaching leaves the link pending, and whoever takes it over finds
		// the ticket by its link key and attaches (idempotently) what is missing. A finished link never attaches again.
		// A claim taken over meanwhile is left to the taker, which attaches; this run only completes as before.
		if (needsAfterCreate(fields) && (await claim.refresh())) attachedResult = await afterCreate(ctx, obtained, fields, ticketInput.companyId, prepared, !recovered);
		return obtained;
	});
	async function obtain(): Promise<PsaTicket> {
		if (searchFirst) {
			let found: PsaTicket | undefined;
			try {
				found = await ctx.provider.findTicketByExternalRef(externalRef);
			} catch (error) {
				// Whether the abandoned attempt created the ticket is still unknown: keep the claim (pending, marked) so
				// that no attempt creates blindly. Its create settled before the takeover and this run sent none, so the
				// next attempt may take it over and search again at once.
				claim.nothingInFlight();
				throw searchFailed(error, 'The ticket for this entity may already exist (an earlier attempt was abandoned)');
			}
			if (found) {
				recovered = true;
				return found;
			}
			claim.provenAbsent();
			await claim.hold();
		}
		// An owner id given as such wins; an identity goes through the member map.
		const ownerIdentity = fields.ownerId === undefined ? fields.owner : undefined;
		let owner = ownerIdentity ? await resolveMember(ctx, ownerIdentity) : undefined;
		let ownerId = fields.ownerId ?? owner?.memberId;
		// Refreshed before each PSA step: a claim stays fresh while its holder works, however slow the steps before were.
		// Without a member lookup nothing ran since the claim's insert (or the refresh above) set its time.
		if (ownerIdentity) await claim.hold();
		for (let attempt = 1; ; attempt++) {
			try {
				try {
					return await create(ownerId);
				} catch (error) {
					// A member deactivated since it was auto-mapped: a 400 created nothing, so create once more with the
					// member the identity resolves to now (a manual mapping is reported instead).
					if (!ownerIdentity || !owner || !isMemberRefused(error, 'owner')) throw error;
					owner = await resolveAfterRefusal(ctx, ownerIdentity, owner, error);
					ownerId = owner.memberId;
					await claim.hold();
					return await create(ownerId);
				}
			} catch (error) {
				if (!isOutcomeUnknown(error)) throw error;
				// Whatever failed, a ticket may now exist: the claim stays pending unless the search below settles it.
				claim.mayHaveWritten();
				await claim.refresh();
				// The create may have committed before the response was lost: find it by its link key instead of creating twice.
				// An answered create has settled: should the search fail, the next attempt may search again at once.
				if (isAnsweredByPsa(error)) claim.nothingInFlight();
				const found = await findAfterLostResponse(ctx, externalRef, error);
				if (found) {
					recovered = true;
					return found;
				}
				// Not found yet proves nothing when the answer was lost (the PSA may still commit it): keep the claim until
				// the settle window has passed; the attempt that takes it over then searches again before creating.
				if (!isAnsweredByPsa(error)) throw outcomeUnknown(ctx, target, error, held.staleAfterMs);
				// The PSA's application answered: it finished the request, so the search proves the create did not commit.
				claim.provenAbsent();
				if (attempt >= ANSWERED_CREATE_ATTEMPTS) throw createFailed(error, target, attempt);
				await delay(ctx, ANSWERED_RETRY_PAUSE_MS * attempt);
				await claim.hold();
			}
		}
	}

	// The ticket id is known only now; the trigger also recognises its 'added' callback by the link key on the ticket.
	// The record of the creation (for the trigger and the audit trail) is written in the same transaction as the link.
	// The PSA names the member who created it: the member this package's changes are made as (for echo and "touched" checks).
	if (!recovered) learnOwnIdentity(ctx, connectionId, ticket.updatedBy);
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
	return { ...resultOf(ctx, linked), created: true, ...(recovered ? { recovered: true } : {}), ticket, ...attachedResult };
}

/** Whether a create has work after it: devices to attach, or names resolved to report. */
function needsAfterCreate(fields: TicketFields): boolean {
	return (fields.configurationItems ?? []).length > 0 || fields.details !== undefined;
}

interface Prepared {
	checked: CheckedDetails;
	devices: ResolvedConfigurationItems;
}

async function prepareCreate(ctx: PsaServiceContext, fields: TicketFields, ticketInput: Omit<PsaTicketCreate, 'externalRef' | 'ownerId'>): Promise<Prepared> {
	const checked = await checkTicketDetails(ctx, fields.details, { boardId: ticketInput.boardId, companyId: ticketInput.companyId, creating: true });
	const devices = await resolveConfigurationItems(ctx, fields.configurationItems ?? [], ticketInput.companyId, fields.whenConfigurationItemMissing ?? 'continue');
	return { checked, devices };
}

/**
 * Attaches the configuration items the create request could not carry. Attaching is idempotent (an attached item is no
 * error), so a run that takes over a claim may repeat it safely; a failure leaves the ticket as created and says which
 * item was not attached, since the ticket exists either way.
 */
async function afterCreate(
	ctx: PsaServiceContext,
	ticket: PsaTicket,
	fields: TicketFields,
	companyId: number,
	prepared: Prepared | undefined,
	createdNow = false,
): Promise<Partial<LinkResult>> {
	const specs = fields.configurationItems ?? [];
	if (specs.length === 0 && !prepared?.checked.resolved.length) return {};
	let devices: ResolvedConfigurationItems;
	try {
		devices = prepared?.devices ?? (await resolveConfigurationItems(ctx, specs, companyId, 'continue'));
	} catch (error) {
		return { configurationItems: { attached: [], notAttached: specs.map((spec) => ({ by: spec.by, value: String(spec.value), reason: errorText(error) })) } };
	}
	const notAttached = [...devices.missing];
	const attached: number[] = [];
	const onTicket = new Set(ticket.configurationItemIds ?? []);
	const onCreate = ctx.provider.ticketCapabilities.configurationItemsOnCreate;
	for (const [index, item] of devices.items.entries()) {
		if (index < onCreate && onTicket.has(item.id)) {
			attached.push(item.id);
			continue;
		}
		try {
			// A ticket this call created holds only what its create carried: no need to look before each attach. A ticket
			// found again (a lost answer, a takeover) may hold what a dead run attached, so the provider looks first.
			await ctx.provider.attachConfigurationItem(ticket.id, item.id, createdNow ? { attached: [...onTicket, ...attached] } : undefined);
			attached.push(item.id);
		} catch (error) {
			notAttached.push({ by: 'id', value: String(item.id), reason: errorText(error) });
		}
	}
	const resolved = prepared?.checked.resolved ?? [];
	return {
		...(specs.length ? { configurationItems: { attached, notAttached } } : {}),
		...(resolved.length ? { resolved } : {}),
	};
}

function errorText(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/**
 * The occurrence rule: once the entity has occurred `afterOccurrences` times, the ticket's priority is set once. Setting
 * a priority is idempotent, so two runs crossing the threshold together may both send it; it is recorded once, after
 * the PSA took it, and never sent again for this ticket (a person may lower it afterwards).
 */
async function raiseOnOccurrences(ctx: PsaServiceContext, connectionId: string, result: LinkResult, rule: LinkOptions['raisePriority']): Promise<LinkResult> {
	if (!rule || result.state === 'closed' || result.occurrences < rule.afterOccurrences) return result;
	const action = `link.priority-raised:${result.ticketId}`;
	if ((await ctx.store.audit.findRecent(connectionId, action, 0)).length > 0) return result;
	try {
		await recordOwnChange(ctx, result.ticketId, { change: 'fields' });
		const ticket = await ctx.provider.updateTicket(result.ticketId, { priorityId: rule.priorityId });
		rememberTicket(ctx.cache, connectionId, ticket);
	} catch (error) {
		return { ...result, priorityRaiseError: errorText(error) };
	}
	await ctx.store.audit.recordOnce(connectionId, action, { priorityId: rule.priorityId, occurrences: result.occurrences }, 0);
	return { ...result, priorityRaised: { priorityId: rule.priorityId, occurrences: result.occurrences } };
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

/** The error after creates the PSA answered with an error each time, a search proving after each that none was made. */
function createFailed(error: unknown, target: LinkTarget, attempts: number): unknown {
	if (!isPsaError(error)) return error;
	return new PsaError(error.kind, `${error.message}. The PSA answered ${attempts} create(s) of the ticket for ${target.source} "${target.externalId}" with an error and created none (looked up by its link key after each)`, {
		...error.details,
		outcomeUnknown: false,
		refused: true,
		hint: 'Retry: nothing was created, and the next attempt creates the ticket at once.',
	});
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
		throw isPsaError(original)
			? new PsaError(original.kind, `${original.message}; the ticket may have been created`, {
					...original.details,
					hint: 'Retry later: the next attempt looks the ticket up by its link key before creating one.',
				})
			: original;
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
	// Removed only as read: a claim inserted since (a Link that started meanwhile) stays, and so does a link moved on.
	const removed = stored ? await ctx.store.links.remove(connectionId, target.source, target.externalId, stored.ticketId ?? undefined) : false;
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
