// Builds the services' context from a node's credentials: provider over n8n's transport, one cache and one store per process.
import { createHash } from 'node:crypto';
import type { ICredentialDataDecryptedObject, IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';
import { PsaCache } from '../../lib/cache';
import { PsaError } from '../../lib/providers/errors';
import { createProvider } from '../../lib/providers/registry';
import type { PsaProvider } from '../../lib/providers/types';
import type { HttpTransport } from '../../lib/providers/http';
import type { PsaServiceContext } from '../../lib/services/context';
import { openStore } from '../../lib/store';
import type { PsaStore, StoreOptions } from '../../lib/store/types';
import { n8nTransport, PSA_CREDENTIAL_TYPE } from './transport';

export const STORE_CREDENTIAL_TYPE = 'psaStateStore';

/** One cache per process: boards, statuses, members and what is known of tickets survive across executions. */
export const sharedCache = new PsaCache();

// One store per configuration per process; concurrent first uses share the opening.
const stores = new Map<string, Promise<PsaStore>>();

/** The credential's fields as the provider expects them (endpoint versions as a path -> version map). */
export function providerSettingsOf(credentials: ICredentialDataDecryptedObject): Record<string, unknown> {
	const endpointVersions: Record<string, string> = {};
	const rows = (credentials.endpointVersions as { endpoint?: Array<{ path?: string; version?: string }> } | undefined)?.endpoint ?? [];
	for (const row of rows) {
		const path = row.path?.trim();
		const version = row.version?.trim();
		if (path && version) endpointVersions[path.startsWith('/') ? path : `/${path}`] = version;
	}
	const settings: Record<string, unknown> = { ...credentials, endpointVersions };
	if (typeof credentials.apiVersion !== 'string' || credentials.apiVersion.trim() === '') delete settings.apiVersion;
	return settings;
}

/** The ConnectWise credential's key fields: n8n applies them to each request, so the adapter never sees them missing. */
const REQUIRED_KEY_FIELDS: Array<[string, string]> = [
	['publicKey', 'Public Key'],
	['privateKey', 'Private Key'],
	['clientId', 'Client ID'],
];

/** Refuses, before any request, a credential whose keys are empty or hold a line break (a paste gone wrong). */
function checkKeyFields(credentials: ICredentialDataDecryptedObject): void {
	for (const [field, label] of REQUIRED_KEY_FIELDS) {
		const value = credentials[field];
		if (typeof value !== 'string' || value.trim() === '') {
			throw new PsaError('configuration', `The ConnectWise credential's ${label} is empty`, { hint: `Fill in ${label} in the credential` });
		}
		if (/[\u0000-\u001f\u007f]/.test(value)) {
			throw new PsaError('configuration', `The ConnectWise credential's ${label} contains a line break or another control character`, {
				hint: `Paste the ${label} into the credential again, as one line`,
			});
		}
	}
}

export function buildProvider(
	credentials: ICredentialDataDecryptedObject,
	http: HttpTransport,
	transportAuthenticates: boolean,
): PsaProvider {
	if (transportAuthenticates) checkKeyFields(credentials);
	return createProvider(PSA_CREDENTIAL_TYPE, { ...providerSettingsOf(credentials), transportAuthenticates }, { http, cache: sharedCache });
}

export async function providerFor(fns: IExecuteFunctions | ILoadOptionsFunctions): Promise<PsaProvider> {
	const credentials = await fns.getCredentials(PSA_CREDENTIAL_TYPE);
	return buildProvider(credentials, n8nTransport(fns), true);
}

function keysOf(credentials: ICredentialDataDecryptedObject): string[] {
	const current = typeof credentials.encryptionKey === 'string' ? credentials.encryptionKey.trim() : '';
	const previous =
		typeof credentials.previousKeys === 'string'
			? credentials.previousKeys
					.split(/[\s,]+/)
					.map((key) => key.trim())
					.filter(Boolean)
			: [];
	return current ? [current, ...previous] : previous;
}

/** Store options from the PSA State Store credential; undefined means the embedded SQLite default. */
export function storeOptionsOf(credentials: ICredentialDataDecryptedObject | undefined): StoreOptions | undefined {
	if (!credentials) return undefined;
	const keys = keysOf(credentials);
	if (credentials.engine === 'postgres') {
		const ssl = credentials.ssl === 'verify' ? true : credentials.ssl === 'noVerify' ? { rejectUnauthorized: false } : false;
		return {
			engine: 'postgres',
			host: String(credentials.host ?? 'localhost'),
			port: Number(credentials.port ?? 5432),
			database: String(credentials.database ?? ''),
			user: String(credentials.user ?? ''),
			password: typeof credentials.password === 'string' && credentials.password !== '' ? credentials.password : undefined,
			ssl,
			schema: typeof credentials.schema === 'string' && credentials.schema.trim() !== '' ? credentials.schema.trim() : undefined,
			keys,
		};
	}
	const filename = typeof credentials.filePath === 'string' && credentials.filePath.trim() !== '' ? credentials.filePath.trim() : undefined;
	return { engine: 'sqlite', ...(filename ? { filename } : {}), ...(keys.length > 0 ? { keys } : {}) };
}

export function storeFor(options: StoreOptions | undefined): Promise<PsaStore> {
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

export async function storeOfNode(fns: IExecuteFunctions): Promise<PsaStore> {
	const hasStoreCredential = fns.getNode().credentials?.[STORE_CREDENTIAL_TYPE] !== undefined;
	const credentials = hasStoreCredential ? await fns.getCredentials(STORE_CREDENTIAL_TYPE) : undefined;
	return storeFor(storeOptionsOf(credentials));
}

export async function serviceContextOf(fns: IExecuteFunctions): Promise<PsaServiceContext> {
	const [provider, store] = await Promise.all([providerFor(fns), storeOfNode(fns)]);
	return { provider, store, cache: sharedCache, now: Date.now };
}
