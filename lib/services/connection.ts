// Connection: test the PSA connection, check the API member's permissions, list and forget the connections in the store.
import { PsaError } from '../providers/errors';
import { definitionOfProvider } from '../providers/registry';
import type { PsaPermissionCheck } from '../providers/types';
import type { ConnectionSummary, PsaStore } from '../store/types';
import { connectionOf, forgetRecordedConnection, type PsaServiceContext } from './context';

export interface ConnectionTestResult {
	ok: true;
	connectionId: string;
	provider: string;
	label: string;
	site: string;
	company: string;
	authenticated: true;
	serverVersion: string;
	/** Where the tenant's API lives (a path prefix or a zone URL, as the PSA has it). */
	apiLocation: string;
	/** apiLocation again under the older names the provider's definition lists (apiLocationAliases). */
	[alias: string]: unknown;
	isCloud: boolean;
	pinnedApiVersion: string;
	currentApiVersion: string | null;
	/** True when the server's newest API version is newer than the pinned one. */
	versionBehind: boolean;
	latencyMs: number;
	/** The PSA's request budget and what the tenant used of it, when the PSA reports one. */
	requestBudget?: { limit: number; used: number; windowMinutes: number };
}

/** Proves the credential works: authentication, where the API lives, server and API versions, latency. */
export async function testConnection(ctx: PsaServiceContext): Promise<ConnectionTestResult> {
	const info = await ctx.provider.info();
	const connectionId = await connectionOf(ctx);
	const { provider, label, site, company } = ctx.provider.connection;
	return {
		ok: true,
		connectionId,
		provider,
		label,
		site,
		company,
		authenticated: true,
		serverVersion: info.serverVersion,
		apiLocation: info.apiLocation,
		...apiLocationAliases(provider, info.apiLocation),
		isCloud: info.isCloud,
		pinnedApiVersion: info.pinnedApiVersion,
		currentApiVersion: info.currentApiVersion ?? null,
		versionBehind: info.currentApiVersion !== undefined && compareVersions(info.currentApiVersion, info.pinnedApiVersion) > 0,
		latencyMs: info.latencyMs,
		...(info.requestBudget ? { requestBudget: info.requestBudget } : {}),
	};
}

function apiLocationAliases(provider: string, apiLocation: string): Record<string, string> {
	const aliases = definitionOfProvider(provider)?.apiLocationAliases ?? [];
	return Object.fromEntries(aliases.map((alias) => [alias, apiLocation]));
}

/** Compares dotted versions numerically; a leading "V" (as in "V1.0") is ignored. */
export function compareVersions(a: string, b: string): number {
	const pa = a.replace(/^v/i, '').split('.').map(Number);
	const pb = b.replace(/^v/i, '').split('.').map(Number);
	for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
		const diff = (pa[i] || 0) - (pb[i] || 0);
		if (diff !== 0) return diff;
	}
	return 0;
}

/** One entry per endpoint the package uses, allowed or not. */
export async function checkPermissions(ctx: PsaServiceContext): Promise<PsaPermissionCheck[]> {
	return ctx.provider.checkPermissions();
}

/** Every connection the store knows, with its state counts (0 requests). */
export async function listConnections(store: PsaStore): Promise<ConnectionSummary[]> {
	return store.connections.list();
}

/** Deletes all local state of a connection (links, receipts, maps, audit). The PSA is not touched. */
export async function forgetConnection(
	ctx: PsaServiceContext,
	input: { confirm: boolean; connectionId?: string },
): Promise<{ connectionId: string; forgotten: true; deleted: Awaited<ReturnType<PsaStore['connections']['forget']>> }> {
	const connectionId = input.connectionId?.trim() || ctx.provider.connection.connectionId;
	if (input.confirm !== true) {
		throw new PsaError('invalid-input', `Forgetting connection ${connectionId} was not confirmed; nothing was deleted`, {
			hint: 'Turn on "Confirm" to delete this connection\'s links, note receipts, member and status maps from the state store.',
		});
	}
	const deleted = await ctx.store.connections.forget(connectionId);
	forgetRecordedConnection(ctx.store, connectionId);
	ctx.cache.invalidate(connectionId);
	return { connectionId, forgotten: true, deleted };
}
