// Replay protection for verified callbacks: too-old entities are refused, and each delivery is accepted once, recorded in the shared store.
import { createHash } from 'node:crypto';
import type { PsaCallbackEvent } from '../providers/types';
import type { PsaStore } from '../store/types';

/**
 * How long a delivery's record is kept. It must outlast the age limit (replays of entities inside it are caught by
 * the record) and cover deletes, whose payload may carry no timestamp at all.
 */
export const DELIVERY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** A clock ahead of ours by up to this much is skew, not a replay. */
export const FUTURE_SKEW_MS = 5 * 60 * 1000;
const DELIVERY_PREFIX = 'callback-delivery:';
/** One record per ticket change a workflow's triggers started a run for, whichever path saw it (callback or catch-up). */
const CHANGE_PREFIX = 'trigger-change:';
const PRUNE_EVERY_MS = 10 * 60 * 1000;
const lastPruned = new Map<string, number>();
const lastPrunedChanges = new Map<string, number>();

/** When the entity was last saved in the PSA, if the payload says. */
export function lastUpdatedOf(event: Pick<PsaCallbackEvent, 'updatedAt'>): number | undefined {
	const time = typeof event.updatedAt === 'string' ? Date.parse(event.updatedAt) : Number.NaN;
	return Number.isFinite(time) ? time : undefined;
}

/** Why the event is too old to be a fresh delivery, or undefined. A signed payload can be replayed forever: its age is the only clock in it. */
export function staleReason(event: Pick<PsaCallbackEvent, 'updatedAt'>, now: number, maxAgeMs: number): string | undefined {
	if (maxAgeMs <= 0) return undefined;
	const updated = lastUpdatedOf(event);
	if (updated === undefined) return undefined;
	if (now - updated > maxAgeMs) return `the ticket change is ${Math.round((now - updated) / 1000)} s old (limit ${Math.round(maxAgeMs / 1000)} s)`;
	return undefined;
}

/** The bytes a delivery is recognised by: the provider's normalised form when it gives one, else the bytes received. */
export function deliveryBytes(event: Pick<PsaCallbackEvent, 'deliveryKey'>, rawBody: Buffer): Buffer {
	return event.deliveryKey !== undefined ? Buffer.from(event.deliveryKey, 'utf8') : rawBody;
}

/**
 * Records the delivery and says whether it is the first time it was seen by this trigger node. The record lives in
 * the state store, not in process memory: in queue mode n8n runs several webhook processes behind a load balancer,
 * and a replay can land on another one than the original.
 */
export async function acceptDeliveryOnce(
	store: PsaStore,
	connectionId: string,
	scope: { workflowId: string; nodeId: string },
	rawBody: Buffer,
	now: number,
): Promise<boolean> {
	const digest = createHash('sha256').update(`${scope.workflowId}\u0000${scope.nodeId}\u0000`).update(rawBody).digest('hex');
	const accepted = await store.audit.recordOnce(connectionId, `${DELIVERY_PREFIX}${digest}`, { workflowId: scope.workflowId }, now - DELIVERY_RETENTION_MS);
	if (now - (lastPruned.get(connectionId) ?? 0) >= PRUNE_EVERY_MS) {
		lastPruned.set(connectionId, now);
		await store.audit.prune(connectionId, DELIVERY_PREFIX, now - DELIVERY_RETENTION_MS);
	}
	return accepted;
}

/** The trigger node's name in action names: its workflow and node, hashed. */
export function triggerScopeDigest(scope: { workflowId: string; nodeId: string }): string {
	return createHash('sha256').update(`${scope.workflowId}\u0000${scope.nodeId}`).digest('hex').slice(0, 32);
}

/**
 * The change records' scope: the workflow, not the trigger node. A workflow's PSA Trigger (callbacks) and its PSA
 * Catch-Up Trigger (polling) are two nodes that start the same workflow: a change both see must run it once.
 */
function changeScopeDigest(workflowId: string): string {
	return createHash('sha256').update(`workflow\u0000${workflowId}`).digest('hex').slice(0, 32);
}

/**
 * Records the ticket change (ticket id and the PSA's change time, to the second: PSAs stamp a callback to the second)
 * for the workflow; false when it was recorded before, by a callback or by the catch-up. A change without a time
 * (a delete) is always new here; the delivery record guards its repeats.
 */
export async function acceptChangeOnce(
	store: PsaStore,
	connectionId: string,
	scope: { workflowId: string },
	event: Pick<PsaCallbackEvent, 'id' | 'updatedAt' | 'action'>,
	now: number,
	via: 'callback' | 'catch-up' = 'callback',
): Promise<boolean> {
	const changedAt = lastUpdatedOf(event);
	if (changedAt === undefined) return true;
	const action = `${CHANGE_PREFIX}${changeScopeDigest(scope.workflowId)}:${event.id}:${Math.floor(changedAt / 1000)}`;
	const since = now - DELIVERY_RETENTION_MS;
	let accepted = await store.audit.recordOnce(connectionId, action, { action: event.action, via }, since);
	// Two distinct callbacks in one second (two changes) both run; only what the catch-up emitted stops a callback.
	if (!accepted && via === 'callback') accepted = !(await store.audit.findRecent(connectionId, action, since)).some((record) => record.detail.via === 'catch-up');
	if (now - (lastPrunedChanges.get(connectionId) ?? 0) >= PRUNE_EVERY_MS) {
		lastPrunedChanges.set(connectionId, now);
		await store.audit.prune(connectionId, CHANGE_PREFIX, since);
	}
	return accepted;
}

/**
 * Whether the workflow's triggers already took a change of the ticket from a later second than this event's: a late
 * callback of an older change (n8n was down, the PSA resent it) then carries an older state of the ticket than a run
 * already had, and starting it would run the workflow out of order. Checked after the change is recorded, so of two
 * changes racing, the older one sees the newer whenever the newer was recorded first.
 */
export async function newerChangeTaken(store: PsaStore, connectionId: string, scope: { workflowId: string }, event: Pick<PsaCallbackEvent, 'id' | 'updatedAt'>): Promise<boolean> {
	const changedAt = lastUpdatedOf(event);
	if (changedAt === undefined) return false;
	const prefix = `${CHANGE_PREFIX}${changeScopeDigest(scope.workflowId)}:${event.id}:`;
	const second = Math.floor(changedAt / 1000);
	const recorded = await store.audit.findByPrefix(connectionId, prefix, 0, { limit: 1000 });
	return recorded.some((record) => Number(record.action.slice(prefix.length)) > second);
}

/** Whether the workflow's triggers already started a run for any change of the ticket (the catch-up tells an add from an update by it). */
export async function seenTicket(store: PsaStore, connectionId: string, scope: { workflowId: string }, ticketId: number): Promise<boolean> {
	return (await store.audit.findByPrefix(connectionId, `${CHANGE_PREFIX}${changeScopeDigest(scope.workflowId)}:${ticketId}:`, 0, { limit: 1 })).length > 0;
}
