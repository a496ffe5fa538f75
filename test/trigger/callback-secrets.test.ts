// The trigger's callback secrets without a PSA: verification reads this trigger's secret (cached, re-read once after a failure), and a secret that cannot be kept removes its callback.
import { PsaCache } from '../../lib/cache';
import { PsaError } from '../../lib/providers/errors';
import type { PsaCallbackRequest, PsaProvider } from '../../lib/providers/types';
import { CALLBACK_SECRET_REFETCH_MS, CallbackSecretKeeper, verifyForTrigger } from '../../lib/services/callback-secrets';
import { StoreError } from '../../lib/store/errors';
import type { CallbackSecret, PsaStore } from '../../lib/store/types';

const scope = { workflowId: 'w1', nodeId: 'n1' };
const request: PsaCallbackRequest = { rawBody: Buffer.from('{}'), headers: {} };

function world(options: { callbackSecrets: boolean; accept: (request: PsaCallbackRequest) => boolean }) {
	let now = 1_000_000;
	const rows = new Map<string, CallbackSecret>();
	const calls = { gets: 0, removed: [] as number[], seen: [] as PsaCallbackRequest[] };
	let failSet: Error | undefined;
	const store = {
		callbackSecrets: {
			async set(entry: Omit<CallbackSecret, 'updatedAt'>) {
				if (failSet) throw failSet;
				rows.set(`${entry.workflowId}/${entry.nodeId}`, { ...entry, updatedAt: new Date(now) });
			},
			async get(_connection: string, workflowId: string, nodeId: string) {
				calls.gets++;
				const row = rows.get(`${workflowId}/${nodeId}`);
				if (row?.secret === 'damaged') throw new StoreError('damaged', 'The row workflow "w1", node "n1" of psa_callback_secrets is damaged');
				return row;
			},
			async remove(_connection: string, workflowId: string, nodeId: string) {
				return rows.delete(`${workflowId}/${nodeId}`);
			},
		},
		connections: { touch: async () => undefined },
	} as unknown as PsaStore;
	const provider = {
		connection: { connectionId: 'autotask:x', provider: 'autotask', label: 'x' },
		callbackSecrets: options.callbackSecrets,
		async verifyCallback(given: PsaCallbackRequest) {
			calls.seen.push(given);
			if (!options.accept(given)) throw new PsaError('authentication', 'The webhook callout signature does not match');
			return { action: 'updated', type: 'ticket', id: 1, entity: {} };
		},
		async removeCallback(id: number) {
			calls.removed.push(id);
		},
	} as unknown as PsaProvider;
	const cache = new PsaCache({ now: () => now });
	const ctx = { provider, cache, now: () => now, store: async () => store };
	return {
		ctx,
		calls,
		keeper: new CallbackSecretKeeper({ provider, store, cache, now: () => now }, scope),
		advance: (ms: number) => (now += ms),
		failSet: (error: Error) => (failSet = error),
		rows,
	};
}

it('a PSA whose own key signs callbacks is asked as before, with nothing read from the store', async () => {
	const w = world({ callbackSecrets: false, accept: () => true });
	await verifyForTrigger(w.ctx, scope, request);
	expect(w.calls.gets).toBe(0);
	expect(w.calls.seen[0].expected).toBeUndefined();
});

it("verifies with this trigger's secret and Guid; reads the store once, and once more only after a failure with a secret read 5 s ago", async () => {
	const w = world({ callbackSecrets: true, accept: (given) => given.expected?.secret === 'current' });
	await w.keeper.keep({ id: 7, url: 'u', description: 'd', level: 'owner', objectId: 0, inactive: false, guid: 'G-7', secret: 'first' });
	await expect(verifyForTrigger(w.ctx, scope, request)).rejects.toMatchObject({ kind: 'authentication' });
	expect(w.calls.seen[0].expected).toEqual({ id: 7, guid: 'G-7', secret: 'first' });
	expect(w.calls.gets).toBe(1);
	// Re-activated in another process: the store now holds another secret.
	w.rows.set('w1/n1', { ...(w.rows.get('w1/n1') as CallbackSecret), callbackId: 8, secret: 'current' });
	await expect(verifyForTrigger(w.ctx, scope, request)).rejects.toMatchObject({ kind: 'authentication' });
	expect(w.calls.gets).toBe(1);
	w.advance(CALLBACK_SECRET_REFETCH_MS);
	await expect(verifyForTrigger(w.ctx, scope, request)).resolves.toMatchObject({ id: 1 });
	expect(w.calls.gets).toBe(2);
	await verifyForTrigger(w.ctx, scope, request);
	expect(w.calls.gets).toBe(2);
});

it('no secret, or one that no longer opens: the provider is asked without one (and refuses)', async () => {
	const w = world({ callbackSecrets: true, accept: (given) => given.expected !== undefined });
	await expect(verifyForTrigger(w.ctx, scope, request)).rejects.toMatchObject({ kind: 'authentication' });
	w.rows.set('w1/n1', { connectionId: 'autotask:x', ...scope, callbackId: 7, callbackGuid: null, secret: 'damaged', updatedAt: new Date() });
	w.advance(CALLBACK_SECRET_REFETCH_MS);
	await expect(verifyForTrigger(w.ctx, scope, request)).rejects.toMatchObject({ kind: 'authentication' });
	expect(w.calls.seen.every((given) => given.expected === undefined)).toBe(true);
	expect(await w.keeper.keptCallbackId()).toBeUndefined();
});

it('a secret the store cannot keep removes its callback again, and the error is raised', async () => {
	const w = world({ callbackSecrets: true, accept: () => true });
	w.failSet(new StoreError('unavailable', 'Cannot reach the PSA State Store'));
	await expect(w.keeper.keepOrRemove({ id: 9, url: 'u', description: 'd', level: 'owner', objectId: 0, inactive: false, secret: 's' })).rejects.toThrow(/Cannot reach/);
	expect(w.calls.removed).toEqual([9]);
});
