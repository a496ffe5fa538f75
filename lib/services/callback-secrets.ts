// Each PSA Trigger's own callback secret: kept sealed in the state store when the callback is registered, read back (briefly cached) to verify its callouts.
import type { PsaCache } from '../cache';
import { isPsaError } from '../providers/errors';
import type { PsaCallbackEvent, PsaCallbackRegistration, PsaCallbackRequest, PsaProvider } from '../providers/types';
import { isStoreError } from '../store/errors';
import type { CallbackSecret, PsaStore } from '../store/types';
import { connectionOf } from './context';

/** The trigger a callback belongs to: its workflow and node. */
export interface TriggerScope {
	workflowId: string;
	nodeId: string;
}

/** A verification reads the store at most this often per trigger and process... */
export const CALLBACK_SECRET_TTL_MS = 60 * 1000;
/**
 * ...unless a callout fails with a secret read this long ago: a re-activation in another process may have replaced
 * it, so it is read once more. Forged floods cost at most one read per interval.
 */
export const CALLBACK_SECRET_REFETCH_MS = 5 * 1000;

const cacheKeyOf = (scope: TriggerScope) => `callback-secret:${scope.workflowId}\u0000${scope.nodeId}`;

interface CachedSecret {
	entry: CallbackSecret | null;
	loadedAt: number;
}

/** Keeps, finds and forgets one trigger's callback and secret (registration side: activation and deactivation). */
export class CallbackSecretKeeper {
	constructor(
		private readonly ctx: { provider: PsaProvider; store: PsaStore; cache: PsaCache; now(): number },
		private readonly scope: TriggerScope,
	) {}

	private async connectionId(): Promise<string> {
		return connectionOf(this.ctx);
	}

	/** Stores the registration's secret (if the PSA made one); nothing to keep otherwise. */
	async keep(registration: PsaCallbackRegistration): Promise<void> {
		if (!registration.secret) return;
		const connectionId = await this.connectionId();
		await this.ctx.store.callbackSecrets.set({
			connectionId,
			...this.scope,
			callbackId: registration.id,
			callbackGuid: registration.guid ?? null,
			secret: registration.secret,
		});
		this.ctx.cache.delete(connectionId, cacheKeyOf(this.scope));
	}

	/** As keep; a callback whose secret cannot be kept could never be verified, so it is removed from the PSA again. */
	async keepOrRemove(registration: PsaCallbackRegistration): Promise<void> {
		try {
			await this.keep(registration);
		} catch (error) {
			await this.ctx.provider.removeCallback(registration.id).catch(() => undefined);
			throw error;
		}
	}

	/** The callback whose secret is kept; a row that no longer opens (store key changed) counts as none, so it is replaced. */
	async keptCallbackId(): Promise<number | undefined> {
		try {
			return (await this.ctx.store.callbackSecrets.get(await this.connectionId(), this.scope.workflowId, this.scope.nodeId))?.callbackId;
		} catch (error) {
			if (isStoreError(error, 'damaged')) return undefined;
			throw error;
		}
	}

	async forget(): Promise<void> {
		const connectionId = await this.connectionId();
		await this.ctx.store.callbackSecrets.remove(connectionId, this.scope.workflowId, this.scope.nodeId);
		this.ctx.cache.delete(connectionId, cacheKeyOf(this.scope));
	}
}

interface VerifyContext {
	provider: PsaProvider;
	cache: PsaCache;
	now(): number;
	store(): Promise<PsaStore>;
}

async function keptSecret(ctx: VerifyContext, scope: TriggerScope, fresh: boolean): Promise<CachedSecret> {
	const connectionId = ctx.provider.connection.connectionId;
	const key = cacheKeyOf(scope);
	if (fresh) ctx.cache.delete(connectionId, key);
	return ctx.cache.getOrLoad<CachedSecret>(
		connectionId,
		key,
		async () => {
			const store = await ctx.store();
			let entry: CallbackSecret | null;
			try {
				entry = (await store.callbackSecrets.get(connectionId, scope.workflowId, scope.nodeId)) ?? null;
			} catch (error) {
				// A secret that no longer opens verifies nothing: the callout is refused, as without one.
				if (!isStoreError(error, 'damaged')) throw error;
				entry = null;
			}
			return { entry, loadedAt: ctx.now() };
		},
		CALLBACK_SECRET_TTL_MS,
	);
}

function expectedOf(entry: CallbackSecret | null): Pick<PsaCallbackRequest, 'expected'> {
	return entry ? { expected: { id: entry.callbackId, secret: entry.secret, ...(entry.callbackGuid ? { guid: entry.callbackGuid } : {}) } } : {};
}

/**
 * Verifies a callout against the trigger it reached. A provider whose callbacks each have their own secret is handed
 * this trigger's, so a callout registered for another trigger (same credential) does not verify here.
 */
export async function verifyForTrigger(ctx: VerifyContext, scope: TriggerScope, request: PsaCallbackRequest): Promise<PsaCallbackEvent> {
	if (!ctx.provider.callbackSecrets) return ctx.provider.verifyCallback(request);
	const kept = await keptSecret(ctx, scope, false);
	try {
		return await ctx.provider.verifyCallback({ ...request, ...expectedOf(kept.entry) });
	} catch (error) {
		if (!isPsaError(error, 'authentication') || ctx.now() - kept.loadedAt < CALLBACK_SECRET_REFETCH_MS) throw error;
		const again = await keptSecret(ctx, scope, true);
		return ctx.provider.verifyCallback({ ...request, ...expectedOf(again.entry) });
	}
}
