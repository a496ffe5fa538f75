// This workflow's PSA callback: found again by its URL (and, where each callback has its own secret, by the one kept), created at the level the filters need, removed on deactivation.
import type { IDataObject } from 'n8n-workflow';
import type { PsaCallbackRegistration, PsaProvider } from '../../lib/providers/types';
import type { CallbackSecretKeeper } from '../../lib/services/callback-secrets';
import type { CallbackPlan } from '../../lib/services/trigger-filter';

export interface CallbackState {
	/** The registration's id, kept in the workflow's static data (node scope). */
	callbackId?: number;
}

/** Providers list a callback at the URL it was registered for, a secret they carry in the URL (a token) cut out. */
function ours(callbacks: PsaCallbackRegistration[], url: string): PsaCallbackRegistration[] {
	return callbacks.filter((callback) => callback.url === url);
}

function fits(callback: PsaCallbackRegistration, plan: CallbackPlan): boolean {
	return !callback.inactive && callback.level === plan.level && (plan.level === 'owner' || callback.objectId === plan.objectId);
}

/**
 * True when an active callback to this URL at the wanted level exists in the PSA (its id is then kept). A callback
 * removed or deactivated on the PSA side, or one left at another level by an earlier configuration, is not ours any more.
 */
/**
 * With a keeper (a PSA whose callbacks each have their own secret), a callback whose secret is not the one kept for
 * this trigger is not ours either: one registered before per-callback secrets, or by an activation that did not finish,
 * is replaced, as its callouts could not be verified.
 */
export async function callbackExists(provider: PsaProvider, url: string, plan: CallbackPlan, state: IDataObject, keeper?: CallbackSecretKeeper): Promise<boolean> {
	const match = ours(await provider.listCallbacks(), url).find((callback) => fits(callback, plan));
	if (!match || (keeper && (await keeper.keptCallbackId()) !== match.id)) {
		delete state.callbackId;
		return false;
	}
	state.callbackId = match.id;
	return true;
}

/** Replaces whatever this URL had (stale levels, deactivated entries) with one callback at the wanted level. */
/** The new callback's secret is kept before it counts as created; if it cannot be kept the callback is removed again. */
export async function createCallback(
	provider: PsaProvider,
	url: string,
	plan: CallbackPlan,
	description: string,
	state: IDataObject,
	keeper?: CallbackSecretKeeper,
): Promise<PsaCallbackRegistration> {
	for (const stale of ours(await provider.listCallbacks(), url)) await provider.removeCallback(stale.id);
	const created = await provider.registerCallback({ url, description, level: plan.level, objectId: plan.objectId, selfSuppressed: true });
	await keeper?.keepOrRemove(created);
	state.callbackId = created.id;
	const { secret: _secret, ...registration } = created;
	return registration;
}

/** Removes every callback to this URL (and the one remembered, wherever it points); gone already counts as removed. */
export async function deleteCallbacks(provider: PsaProvider, url: string | undefined, state: IDataObject, keeper?: CallbackSecretKeeper): Promise<number[]> {
	const ids = new Set<number>();
	if (typeof state.callbackId === 'number') ids.add(state.callbackId);
	if (url) for (const callback of ours(await provider.listCallbacks(), url)) ids.add(callback.id);
	for (const id of ids) await provider.removeCallback(id);
	await keeper?.forget();
	delete state.callbackId;
	return [...ids];
}
