// What every service works with: one provider connection, the state store, the shared cache and a clock.
import type { PsaCache } from '../cache';
import type { PsaProvider } from '../providers/types';
import type { PsaStore } from '../store/types';

export interface PsaServiceContext {
	provider: PsaProvider;
	store: PsaStore;
	cache: PsaCache;
	now(): number;
	/** Waits between polls of another run's claim; a timer when absent (tests run on virtual time through it). */
	delay?(ms: number): Promise<void>;
}

// Recording a connection is one write; doing it once per process per store keeps the hot paths free of it.
const recordedConnections = new WeakMap<PsaStore, Set<string>>();

/** The connection id that scopes all local state; records the connection in the store on first use. */
export async function connectionOf(ctx: PsaServiceContext): Promise<string> {
	const { connectionId, provider, label } = ctx.provider.connection;
	let recorded = recordedConnections.get(ctx.store);
	if (!recorded) {
		recorded = new Set();
		recordedConnections.set(ctx.store, recorded);
	}
	if (!recorded.has(connectionId)) {
		await ctx.store.connections.touch(connectionId, provider, label);
		recorded.add(connectionId);
	}
	return connectionId;
}

/** Forgets that a connection was recorded (after Forget Connection deleted it). */
export function forgetRecordedConnection(store: PsaStore, connectionId: string): void {
	recordedConnections.get(store)?.delete(connectionId);
}

/** Waits `ms` on the context's clock (a timer unless the context brings its own delay). */
export function delay(ctx: PsaServiceContext, ms: number): Promise<void> {
	if (ctx.delay) return ctx.delay(ms);
	return new Promise((resolve) => setTimeout(resolve, ms));
}
