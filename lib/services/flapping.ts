// An alert's state changes (firing / resolved) kept as audit events, and flapping: N changes within T minutes hold the ticket until a quiet period Q.
import { createHash } from 'node:crypto';
import { PsaError } from '../providers/errors';
import type { AuditEvent } from '../store/types';
import { delay, type PsaServiceContext } from './context';

export type AlertState = 'firing' | 'resolved';
export const ALERT_STATES: readonly AlertState[] = ['firing', 'resolved'];

export interface FlappingRule {
	/** This many state changes (firing and resolved count alike) ... */
	changes: number;
	/** ... within this many minutes make the alert flapping. */
	withinMinutes: number;
	/** Normal handling resumes at the first event after this many minutes without a state change. */
	quietMinutes: number;
}

/** Where the alert stands after this event was counted. */
export interface AlertHistory {
	/** True when this event changed the state (the first event of an entity counts as a change). */
	changed: boolean;
	/** When the current state began (its change record): names the firing or recovery episode, the same for every worker. */
	episodeAt: number;
	/** When the change before the current state happened, if known. */
	previousChangeAt?: number;
}

export interface FlapVerdict {
	flapping: boolean;
	/** The flap episode's start (its declaration record), the same for every worker. */
	since?: number;
	/** True for the one event that declared the flap (its note is posted once, keyed by `since`). */
	declared?: boolean;
	/** True for the event that ended a flap after the quiet period. */
	ended?: boolean;
	/** Changes within the rule's window when the flap was declared, and the window. */
	changes?: number;
	withinMinutes?: number;
}

/** State records older than this are pruned; a flap window or quiet period longer than it is refused. */
export const HISTORY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** A short, stable name for an entity in action names (the source and id themselves stay in sealed details). */
export function entityHash(source: string, externalId: string): string {
	return createHash('sha256').update(`${source}\n${externalId}`).digest('hex').slice(0, 32);
}

const stateAction = (hash: string) => `alert.state:${hash}`;
const flapAction = (hash: string) => `alert.flap:${hash}`;
const flapEndAction = (hash: string) => `alert.flap-end:${hash}`;

export function checkFlappingRule(rule: FlappingRule | undefined): FlappingRule | undefined {
	if (!rule) return undefined;
	const whole = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
	if (!whole(rule.changes) || !whole(rule.withinMinutes) || !whole(rule.quietMinutes)) {
		throw new PsaError('invalid-input', `Flapping needs numbers of changes and minutes, 0 or more; got ${JSON.stringify(rule)}`, {
			hint: 'Set Flapping Changes (e.g. 5), Within (Minutes) (e.g. 10) and Quiet Period (Minutes) (e.g. 15), or set Flapping Changes to 0 to turn it off.',
		});
	}
	if (rule.changes === 0) return undefined;
	if (rule.changes < 2 || rule.withinMinutes <= 0) {
		throw new PsaError('invalid-input', `Flapping needs at least 2 changes within more than 0 minutes; got ${rule.changes} within ${rule.withinMinutes}`, {
			hint: 'An alert flaps when it changes state several times in a short time: e.g. 5 changes within 10 minutes.',
		});
	}
	const longest = Math.max(rule.withinMinutes, rule.quietMinutes) * 60_000;
	if (longest >= HISTORY_RETENTION_MS) {
		throw new PsaError('invalid-input', `Flapping windows are shorter than ${HISTORY_RETENTION_MS / 86_400_000} days (the state history kept)`, {
			hint: 'Use minutes or hours: e.g. 5 changes within 10 minutes, quiet for 15.',
		});
	}
	return rule;
}

/**
 * Counts the event in the entity's history: a state different from the last one recorded is a change, recorded once
 * however many workers see it (the store's record-once, keyed after the last change). Repeats of a state change nothing.
 */
export async function countEvent(ctx: PsaServiceContext, connectionId: string, hash: string, state: AlertState): Promise<AlertHistory & { history: AuditEvent[] }> {
	const action = stateAction(hash);
	const since = ctx.now() - HISTORY_RETENTION_MS;
	let history = await ctx.store.audit.findRecent(connectionId, action, since);
	const last = history[0];
	let changed = false;
	if (last?.detail.state !== state) {
		// A change in the same millisecond as the last one (a burst, one event right after another's): it is recorded a
		// millisecond later, so its record falls after the last change it is keyed after and the history keeps its order.
		const lastAt = last ? last.at.getTime() : Number.NEGATIVE_INFINITY;
		if (lastAt >= ctx.now()) await delay(ctx, lastAt + 1 - ctx.now());
		// Keyed after the last change: two workers seeing this transition record it once; the one that did not sees it below.
		changed = await ctx.store.audit.recordOnce(connectionId, action, { state }, last ? last.at.getTime() + 1 : since);
		history = await ctx.store.audit.findRecent(connectionId, action, since);
		// Old history is of no use to any rule: pruned as the entity changes (one delete per change).
		if (changed) await ctx.store.audit.prune(connectionId, action, since);
	}
	const current = history[0];
	return { changed, episodeAt: current ? current.at.getTime() : ctx.now(), previousChangeAt: history[1]?.at.getTime(), history };
}

/**
 * Flapping, decided on the history just counted. A flap is declared once (record-once after the last flap's end) when
 * `changes` state changes fall within `withinMinutes`; it lasts until an event comes `quietMinutes` after the last change
 * before it, which ends it (once) and is handled normally.
 */
export async function flapVerdict(
	ctx: PsaServiceContext,
	connectionId: string,
	hash: string,
	rule: FlappingRule | undefined,
	counted: AlertHistory & { history: AuditEvent[] },
): Promise<FlapVerdict> {
	if (!rule) return { flapping: false };
	const now = ctx.now();
	const since = now - HISTORY_RETENTION_MS;
	const [declaration] = await ctx.store.audit.findRecent(connectionId, flapAction(hash), since);
	const [end] = await ctx.store.audit.findRecent(connectionId, flapEndAction(hash), since);
	const active = declaration !== undefined && (end === undefined || end.at.getTime() < declaration.at.getTime());
	if (active) {
		// Quiet since the change before this event (or since the current state began, when this event changed nothing).
		const lastChange = counted.changed ? counted.previousChangeAt : counted.episodeAt;
		if (lastChange !== undefined && now - lastChange < rule.quietMinutes * 60_000) {
			return { flapping: true, since: declaration.at.getTime(), ...declarationDetail(declaration) };
		}
		await ctx.store.audit.recordOnce(connectionId, flapEndAction(hash), { since: declaration.at.getTime() }, declaration.at.getTime() + 1);
		return { flapping: false, ended: true, since: declaration.at.getTime() };
	}
	const windowStart = now - rule.withinMinutes * 60_000;
	// Changes since the last flap ended only: the changes that made the last flap do not start the next one.
	const floor = end ? end.at.getTime() : Number.NEGATIVE_INFINITY;
	const changes = counted.history.filter((record) => record.at.getTime() >= windowStart && record.at.getTime() >= floor).length;
	if (changes < rule.changes) return { flapping: false };
	const declared = await ctx.store.audit.recordOnce(connectionId, flapAction(hash), { changes, withinMinutes: rule.withinMinutes }, end ? end.at.getTime() + 1 : since);
	const [current] = await ctx.store.audit.findRecent(connectionId, flapAction(hash), since);
	return { flapping: true, declared, since: current ? current.at.getTime() : now, ...(current ? declarationDetail(current) : { changes, withinMinutes: rule.withinMinutes }) };
}

function declarationDetail(record: AuditEvent): { changes?: number; withinMinutes?: number } {
	const { changes, withinMinutes } = record.detail;
	return {
		...(typeof changes === 'number' ? { changes } : {}),
		...(typeof withinMinutes === 'number' ? { withinMinutes } : {}),
	};
}
