// An alert event (firing / resolved) through the whole lifecycle: held in a maintenance window, flapping, find-or-create with the count written to the ticket, recovery that closes only what no person touched.
import { randomUUID } from 'node:crypto';
import { PsaError } from '../providers/errors';
import type { PsaTicket } from '../providers/types';
import type { TicketLink } from '../store/types';
import { DEFAULT_CLAIM_WAIT_MS, waitForClaimHolder } from './claim';
import { connectionOf, type PsaServiceContext } from './context';
import { recordOwnChange, touchedByPerson, type TouchedVerdict } from './echo';
import { ALERT_STATES, checkFlappingRule, countEvent, entityHash, flapVerdict, type AlertState, type FlappingRule, type FlapVerdict } from './flapping';
import { link, type LinkOptions, type LinkResult, type TicketFields } from './link';
import { normaliseTarget, type LinkTarget } from './link-lookup';
import { addNote } from './note';
import { closeTicket } from './status';
import { checkTicketDetails } from './ticket-fields';
import { rememberTicket } from './ticket-state';
import { holdAlert, releaseWindow, windowsFor, type WindowRelease } from './windows';

/** What a recovery does with the ticket: close it unless a person changed it since the package did (else a note), note only, or nothing. */
export type RecoveryPolicy = 'close-if-untouched' | 'note' | 'nothing';
export const RECOVERY_POLICIES: readonly RecoveryPolicy[] = ['close-if-untouched', 'note', 'nothing'];

/** Where the occurrence count is written on the ticket at each repeat: nowhere, as a summary suffix, or in a custom field. */
export type OccurrenceTarget = { to: 'none' } | { to: 'summary' } | { to: 'custom-field'; field: string };

export interface AlertEventOptions extends Pick<LinkOptions, 'whenClosed' | 'reopenWithinHours' | 'waitMs' | 'staleAfterMs' | 'raisePriority'> {
	onRecovery?: RecoveryPolicy;
	/** The note a recovery adds when it does not close; default "Alert recovered at <time of the recovery>". */
	recoveredNote?: string;
	flapping?: FlappingRule;
	occurrences?: OccurrenceTarget;
}

export interface AlertEventInput {
	target: LinkTarget;
	state: AlertState;
	/** The ticket to create while firing (as PSA Link > Link takes it); its company also selects maintenance windows. */
	fields: TicketFields;
}

/**
 * What the event did. linked: the ticket found or created (link has it). held: recorded in a maintenance window, no
 * ticket. flapping: the alert flaps, its ticket left as it is. closed / noted: the recovery closed the ticket, or noted
 * it because a person changed it (or the policy says note). none: a recovery with no open ticket, or the policy 'nothing'.
 */
export interface AlertEventResult {
	action: 'linked' | 'held' | 'flapping' | 'closed' | 'noted' | 'none';
	source: string;
	externalId: string;
	state: AlertState;
	ticketId: number | null;
	link?: LinkResult;
	/** In a window: which, until when, and how often this alert was held in it. */
	held?: { windowId: string; name: string; endsAt: string; heldEvents: number };
	flapping?: FlapVerdict;
	recovery?: { decision: 'close' | 'note' | 'nothing'; reason: string; deduplicated: boolean; noteId?: number | null };
	/** Windows this event found ended and released first. */
	releasedWindows?: WindowRelease[];
	/** The count written to the ticket, or why it was not. */
	occurrencesWritten?: { to: 'summary' | 'custom-field'; occurrences: number } | { error: string };
	/** Why nothing happened, when nothing did. */
	reason?: string;
}

/** The summary suffix fits ConnectWise's 100 characters, the shortest summary among the PSAs. */
const SUMMARY_WITH_COUNT_MAX = 100;

export async function handleAlertEvent(ctx: PsaServiceContext, input: AlertEventInput, options: AlertEventOptions = {}): Promise<AlertEventResult> {
	const target = normaliseTarget(input.target, { creating: true });
	const state = input.state;
	if (!ALERT_STATES.includes(state)) {
		throw new PsaError('invalid-input', `Alert state "${String(state)}" is not "firing" or "resolved"`, {
			hint: 'Map the monitoring tool\'s states: e.g. PROBLEM / trigger / alerting -> firing, OK / resolve / recovered -> resolved.',
		});
	}
	const onRecovery = options.onRecovery ?? 'close-if-untouched';
	if (!RECOVERY_POLICIES.includes(onRecovery)) throw new PsaError('invalid-input', `"${String(onRecovery)}" is not a recovery policy (${RECOVERY_POLICIES.join(', ')})`);
	const flapping = checkFlappingRule(options.flapping);
	const connectionId = await connectionOf(ctx);
	const base = { source: target.source, externalId: target.externalId, state };

	const windows = await windowsFor(ctx, target, input.fields.companyId);
	const releasedWindows: WindowRelease[] = [];
	// Lazily, besides the scheduled release: an ended window's held alerts get their tickets before this event counts.
	for (const ended of windows.ended) releasedWindows.push(await releaseWindow(ctx, connectionId, ended));
	const released = releasedWindows.length ? { releasedWindows } : {};
	if (windows.active) {
		const heldEvents = await holdAlert(ctx, windows.active, {
			target,
			state,
			fields: input.fields,
			options: { whenClosed: options.whenClosed, reopenWithinHours: options.reopenWithinHours },
		});
		const window = windows.active;
		return { ...base, ...released, action: 'held', ticketId: null, held: { windowId: window.id, name: window.name, endsAt: window.endsAt, heldEvents } };
	}

	const hash = entityHash(target.source, target.externalId);
	const counted = await countEvent(ctx, connectionId, hash, state);
	const flap = await flapVerdict(ctx, connectionId, hash, flapping, counted);
	if (flap.flapping) return { ...base, ...released, ...(await flappingResult(ctx, connectionId, target, flap)) };
	const handled = state === 'firing' ? await fire(ctx, connectionId, target, input.fields, options) : await recover(ctx, connectionId, target, counted.episodeAt, onRecovery, options);
	return { ...base, ...released, ...handled, ...(flap.ended ? { flapping: flap } : {}) };
}

type Handled = Omit<AlertEventResult, 'source' | 'externalId' | 'state'>;

/** Flapping: the ticket is neither opened nor closed; its note ("flapping: 7 changes in 10 min") is posted once per flap, by whichever flapping event first can. */
async function flappingResult(ctx: PsaServiceContext, connectionId: string, target: LinkTarget, flap: FlapVerdict): Promise<Handled> {
	const linked = await ctx.store.links.find(connectionId, target.source, target.externalId);
	const ticketId = linked && linked.state === 'linked' ? linked.ticketId : null;
	if (ticketId !== null && flap.since !== undefined) {
		// Every flapping event, not only the one that declared the flap: that run may have died or failed before its note
		// (or the ticket was closed then). Keyed by the flap's start: once posted, the others post nothing more (a store read).
		await addNote(ctx, {
			ticket: { ticketId },
			type: 'internal',
			text: `flapping: ${flap.changes ?? '?'} changes in ${flap.withinMinutes ?? '?'} min; the ticket is left as it is until the alert is quiet`,
			dedupeKey: `alert-flapping:${entityHash(target.source, target.externalId)}:${flap.since}`,
		});
	}
	return { action: 'flapping', ticketId, flapping: flap };
}

async function fire(ctx: PsaServiceContext, connectionId: string, target: LinkTarget, fields: TicketFields, options: AlertEventOptions): Promise<Handled> {
	const result = await link(ctx, target, fields, options);
	const occurrences = options.occurrences ?? { to: 'none' };
	if (occurrences.to === 'none' || result.created) return { action: 'linked', ticketId: result.ticketId, link: result };
	let written: AlertEventResult['occurrencesWritten'];
	try {
		written = await writeOccurrences(ctx, connectionId, target, fields, result, occurrences);
	} catch (error) {
		written = { error: error instanceof Error ? error.message : String(error) };
	}
	return { action: 'linked', ticketId: result.ticketId, link: result, occurrencesWritten: written };
}

/**
 * Writes the count on the ticket (1 PATCH). Runs of the same entity may finish in any order: after its write each run
 * reads the count again and writes once more while the store holds a higher one, so the last write is the highest count.
 */
async function writeOccurrences(
	ctx: PsaServiceContext,
	connectionId: string,
	target: LinkTarget,
	fields: TicketFields,
	result: LinkResult,
	occurrences: Exclude<OccurrenceTarget, { to: 'none' }>,
): Promise<{ to: 'summary' | 'custom-field'; occurrences: number }> {
	let count = result.occurrences;
	for (let attempt = 0; attempt < 3; attempt++) {
		const changes =
			occurrences.to === 'summary'
				? { summary: summaryWithCount(fields.summary, count) }
				: { customFields: (await checkTicketDetails(ctx, { customFields: { [occurrences.field]: count } }, { companyId: fields.companyId })).details.customFields };
		await recordOwnChange(ctx, result.ticketId, { change: 'fields' });
		const ticket: PsaTicket = await ctx.provider.updateTicket(result.ticketId, changes);
		rememberTicket(ctx.cache, connectionId, ticket);
		const now = await ctx.store.links.find(connectionId, target.source, target.externalId);
		if (!now || now.ticketId !== result.ticketId || now.occurrences <= count) break;
		count = now.occurrences;
	}
	return { to: occurrences.to, occurrences: count };
}

/** "Disk full on web01 (7 occurrences)", the summary cut so the count always shows. */
export function summaryWithCount(summary: string, count: number): string {
	const suffix = ` (${count} occurrences)`;
	const room = SUMMARY_WITH_COUNT_MAX - suffix.length;
	const oneLine = summary.replace(/\s+/g, ' ').trim();
	return `${oneLine.length > room ? `${oneLine.slice(0, room - 1)}…` : oneLine}${suffix}`;
}

const recoveryAction = (hash: string, ticketId: number, episodeAt: number) => `alert.recovery:${hash}:${ticketId}:${episodeAt}`;

/**
 * A recovery, once per recovery episode however many runs see it: the decision (close, or note because a person
 * touched the ticket) is made by one run under the link's reopen claim and recorded before it is carried out; a run
 * that takes over after a crash carries out the recorded decision (closing is idempotent, the note is keyed).
 */
async function recover(ctx: PsaServiceContext, connectionId: string, target: LinkTarget, episodeAt: number, policy: RecoveryPolicy, options: AlertEventOptions): Promise<Handled> {
	const found = await linkedOrWait(ctx, connectionId, target, options.waitMs);
	if (!found || found.ticketId === null || found.state !== 'linked') return { action: 'none', ticketId: found?.ticketId ?? null, reason: 'no open ticket is linked to this alert' };
	if (policy === 'nothing') return { action: 'none', ticketId: found.ticketId, recovery: { decision: 'nothing', reason: 'On Recovery is Do Nothing', deduplicated: false } };
	const ticketId = found.ticketId;
	const hash = entityHash(target.source, target.externalId);
	const decisionAction = recoveryAction(hash, ticketId, episodeAt);
	const staleAfterMs = options.staleAfterMs ?? ctx.provider.outcomeSettleMs;
	const deadline = ctx.now() + (options.waitMs ?? DEFAULT_CLAIM_WAIT_MS);
	for (;;) {
		const token = randomUUID();
		if (await ctx.store.links.claimReopen(connectionId, target.source, target.externalId, ticketId, token, staleAfterMs)) {
			try {
				return await decideAndCarryOut(ctx, connectionId, { target, ticketId, hash, episodeAt, decisionAction, policy, options });
			} finally {
				await ctx.store.links.finishReopen(connectionId, target.source, target.externalId, token, false);
			}
		}
		if (ctx.now() >= deadline) {
			throw new PsaError('conflict', `Another run is handling ticket ${ticketId} of ${target.source} "${target.externalId}" and has not finished`, {
				hint: 'Retry in a moment: the recovery is then carried out once (the other run\'s decision, if it made one).',
			});
		}
		await waitForClaimHolder(ctx, Math.max(0, deadline - ctx.now()), async () => {
			const current = await ctx.store.links.find(connectionId, target.source, target.externalId);
			return current && current.reopening ? undefined : true;
		}, () => new PsaError('conflict', `Another run is handling ticket ${ticketId} and has not finished`, { hint: 'Retry in a moment.' }));
	}
}

interface RecoveryScope {
	target: LinkTarget;
	ticketId: number;
	hash: string;
	episodeAt: number;
	decisionAction: string;
	policy: RecoveryPolicy;
	options: AlertEventOptions;
}

async function decideAndCarryOut(ctx: PsaServiceContext, connectionId: string, scope: RecoveryScope): Promise<Handled> {
	const { ticketId, decisionAction } = scope;
	const [recorded] = await ctx.store.audit.findRecent(connectionId, decisionAction, 0);
	let decision: 'close' | 'note';
	let reason: string;
	let deduplicated = false;
	if (recorded) {
		decision = recorded.detail.decision === 'close' ? 'close' : 'note';
		reason = String(recorded.detail.reason ?? '');
		deduplicated = recorded.detail.done === true;
		if (deduplicated) return { action: decision === 'close' ? 'closed' : 'noted', ticketId, recovery: { decision, reason, deduplicated } };
	} else {
		const ticket = await ctx.provider.getTicket(ticketId);
		rememberTicket(ctx.cache, connectionId, ticket);
		if (ticket.closed) {
			await ctx.store.audit.record(connectionId, decisionAction, { decision: 'close', reason: 'the ticket was closed already', done: true });
			return { action: 'none', ticketId, reason: 'the ticket was closed already' };
		}
		const verdict: TouchedVerdict = scope.policy === 'note' ? { touched: true, reason: 'On Recovery is Add a Note' } : await touchedByPerson(ctx, ticket);
		decision = verdict.touched ? 'note' : 'close';
		reason = verdict.reason;
		// Recorded before it is carried out: a run taking over after a crash carries out this decision, not a new one
		// (after our own note, the ticket's last editor would be us, and a new decision would close it).
		if (!(await ctx.store.audit.recordOnce(connectionId, decisionAction, { decision, reason }, 0))) {
			// A run that took the claim over from this slow one decided first: its decision is carried out.
			const [first] = await ctx.store.audit.findRecent(connectionId, decisionAction, 0);
			decision = first?.detail.decision === 'close' ? 'close' : 'note';
			reason = String(first?.detail.reason ?? reason);
		}
	}
	let noteId: number | null | undefined;
	if (decision === 'close') {
		await closeTicket(ctx, { ticketId });
		await ctx.store.links.setTicketState(connectionId, ticketId, 'closed', { closedAt: ctx.now() });
	} else {
		// The same text from every run of this recovery (the episode's time, not the run's): a run that takes over after a
		// post whose answer was lost finds that note in the PSA by its text instead of posting a second one.
		const text = scope.options.recoveredNote?.trim() || `Alert recovered at ${new Date(scope.episodeAt).toISOString()}; the ticket stays open (${reason}).`;
		const note = await addNote(ctx, { ticket: { ticketId }, type: 'internal', text, dedupeKey: `alert-recovered:${scope.hash}:${ticketId}:${scope.episodeAt}` });
		noteId = note.noteId;
		deduplicated = note.deduplicated;
	}
	await ctx.store.audit.record(connectionId, decisionAction, { decision, reason, done: true });
	return { action: decision === 'close' ? 'closed' : 'noted', ticketId, recovery: { decision, reason, deduplicated, ...(noteId !== undefined ? { noteId } : {}) } };
}

/** The entity's link; a pending one (its ticket being created right now) is waited for, so the recovery is not lost. */
async function linkedOrWait(ctx: PsaServiceContext, connectionId: string, target: LinkTarget, waitMs: number | undefined): Promise<TicketLink | undefined> {
	const found = await ctx.store.links.find(connectionId, target.source, target.externalId);
	if (!found || found.state !== 'pending') return found;
	return waitForClaimHolder(
		ctx,
		waitMs ?? DEFAULT_CLAIM_WAIT_MS,
		async () => {
			const current = await ctx.store.links.find(connectionId, target.source, target.externalId);
			return current && current.state === 'pending' ? undefined : (current ?? null);
		},
		() =>
			new PsaError('conflict', `The ticket for ${target.source} "${target.externalId}" is still being created`, {
				hint: 'Retry the recovery in a moment: it closes (or notes) the ticket once it exists.',
			}),
	).then((current) => current ?? undefined);
}
