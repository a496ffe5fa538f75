// Builds the services' context from a node's credentials: provider over n8n's transport, one cache and one store per process.
import { createHash } from 'node:crypto';
import type { ICredentialDataDecryptedObject, IExecuteFunctions, IHookFunctions, ILoadOptionsFunctions, IPollFunctions, ITriggerFunctions, IWebhookFunctions, Logger } from 'n8n-workflow';
import { PsaCache } from '../../lib/cache';
import { createProvider, defaultProvider, isProviderCredentialType } from '../../lib/providers/registry';
import type { PsaProvider } from '../../lib/providers/types';
import type { HttpTransport } from '../../lib/providers/http';
import { describeRequestEvent, requestEventLevel, type RequestEvent } from '../../lib/providers/request-events';
import type { SharedRequestLimits } from '../../lib/providers/shared-limits';
import { storeRequestLimits } from '../../lib/services/shared-limits';
import type { PsaServiceContext } from '../../lib/services/context';
import { openStore, StoreError } from '../../lib/store';
import { storeOptionsFromCredential } from '../../lib/store/options';
import type { PsaStore, StoreOptions } from '../../lib/store/types';
import { AUTHENTICATION_PARAMETER, STORE_CREDENTIAL_TYPE } from './credentials';
import { n8nTransport } from './transport';

/** One cache per process: boards, statuses, members and what is known of tickets survive across executions. */
export const sharedCache = new PsaCache();

// One store per configuration per process; concurrent first uses share the opening.
const stores = new Map<string, Promise<PsaStore>>();

type NodeFunctions = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions | ITriggerFunctions | IPollFunctions;

/** The credential type of the PSA the node's Authentication picks (the default provider when the parameter is absent). */
export function psaCredentialTypeOf(fns: NodeFunctions): string {
	const chosen = fns.getNode().parameters?.[AUTHENTICATION_PARAMETER];
	return typeof chosen === 'string' && isProviderCredentialType(chosen) ? chosen : defaultProvider().credentialType;
}

/** A provider from a credential's fields; `transportAuthenticates` when n8n applies the credential to each request. */
export function buildProvider(
	credentialType: string,
	credentials: ICredentialDataDecryptedObject,
	http: HttpTransport,
	transportAuthenticates: boolean,
	sharedLimits?: SharedRequestLimits,
	onRequestEvent?: (event: RequestEvent) => void,
): PsaProvider {
	return createProvider(
		credentialType,
		credentials,
		{ http, cache: sharedCache, ...(sharedLimits ? { sharedLimits } : {}), ...(onRequestEvent ? { onRequestEvent } : {}) },
		transportAuthenticates,
	);
}

export async function providerFor(fns: NodeFunctions, store?: PsaStore): Promise<PsaProvider> {
	const credentialType = psaCredentialTypeOf(fns);
	const credentials = await fns.getCredentials(credentialType);
	return buildProvider(credentialType, credentials, n8nTransport(fns, credentialType, credentials), true, store ? sharedLimitsOf(store) : undefined, requestLogOf(fns));
}

/**
 * The request layer's events in n8n's log (docs/observability.md): attempts, answers and limiter waits at debug (seen
 * with N8N_LOG_LEVEL=debug), retries, throttle pauses and held requests at warn. The provider has redacted them.
 */
export function requestLogOf(fns: NodeFunctions): ((event: RequestEvent) => void) | undefined {
	const logger = (fns as { logger?: Logger }).logger;
	if (!logger) return undefined;
	const node = fns.getNode().name;
	return (event) => logger[requestEventLevel(event)](describeRequestEvent(event), { node, ...event });
}

const sharedLimits = new WeakMap<PsaStore, SharedRequestLimits>();

/**
 * Limits a PSA counts per integration are shared through a PostgreSQL store: queue mode's workers all use one (the
 * embedded SQLite file serves one process, whose own limiter already holds them).
 */
function sharedLimitsOf(store: PsaStore): SharedRequestLimits | undefined {
	if (store.engine !== 'postgres') return undefined;
	let limits = sharedLimits.get(store);
	if (!limits) {
		limits = storeRequestLimits(store.requestLimits);
		sharedLimits.set(store, limits);
	}
	return limits;
}

/**
 * Store options from the PSA State Store credential; undefined means the embedded SQLite default. Every field is
 * checked first (type, length, a connection URL in Host...): a bad one is refused by its label, never replaced.
 */
export function storeOptionsOf(credentials: ICredentialDataDecryptedObject | undefined): StoreOptions | undefined {
	return storeOptionsFromCredential(credentials);
}

/**
 * In n8n's queue mode every main, webhook and worker process would open its own embedded SQLite file (in its own user
 * folder), so links and note receipts would not be shared and exactly-once would not hold across processes.
 */
function refusedInQueueMode(options: StoreOptions | undefined): StoreError | undefined {
	if (process.env.EXECUTIONS_MODE !== 'queue') return undefined;
	if (options && (options.engine === 'postgres' || options.filename)) return undefined;
	return new StoreError(
		'configuration',
		'n8n runs in queue mode (EXECUTIONS_MODE=queue), where each process would keep its own embedded SQLite state store and links would not be shared. Select a PSA State Store credential that points at PostgreSQL (the same database for every process) in the node.',
	);
}

export function storeFor(options: StoreOptions | undefined): Promise<PsaStore> {
	const refused = refusedInQueueMode(options);
	if (refused) return Promise.reject(refused);
	// Hashed so the map key never holds the keys or password in clear.
	const key = createHash('sha256').update(JSON.stringify(options ?? { engine: 'default' })).digest('hex');
	let store = stores.get(key);
	if (!store) {
		store = openStore(options);
		stores.set(key, store);
		// A failed open is not cached: fixing the credential must not need a restart.
		store.catch(() => stores.delete(key));
	}
	return store;
}

/** Closes every store this process opened (tests and the demo; n8n keeps them for its lifetime). */
export async function closeAllStores(): Promise<void> {
	const open = [...stores.values()];
	stores.clear();
	await Promise.all(open.map(async (store) => (await store.catch(() => undefined))?.close()));
}

export async function storeOfNode(fns: IExecuteFunctions | IWebhookFunctions | IHookFunctions | ITriggerFunctions | IPollFunctions): Promise<PsaStore> {
	const hasStoreCredential = fns.getNode().credentials?.[STORE_CREDENTIAL_TYPE] !== undefined;
	const credentials = hasStoreCredential ? await fns.getCredentials(STORE_CREDENTIAL_TYPE) : undefined;
	return storeFor(storeOptionsOf(credentials));
}

export async function serviceContextOf(fns: IExecuteFunctions): Promise<PsaServiceContext> {
	const store = await storeOfNode(fns);
	return { provider: await providerFor(fns, store), store, cache: sharedCache, now: Date.now };
}
