// Maps an n8n credential type to its provider: a second PSA adds an entry here and a folder beside connectwise/.
import { PsaError } from './errors';
import { PsaProvider } from './types';
import { ConnectWiseProvider, ConnectWiseSettings, ProviderDeps } from './connectwise';
import { connectWiseConnectionId, normaliseSite } from './connectwise/site';

export type { ProviderDeps } from './connectwise';

interface ProviderEntry {
	create(credentials: Record<string, unknown>, deps: ProviderDeps): PsaProvider;
	connectionId(credentials: Record<string, unknown>): string;
}

function text(credentials: Record<string, unknown>, ...names: string[]): string {
	for (const name of names) {
		const value = credentials[name];
		if (typeof value === 'string' && value.trim()) return value.trim();
		if (typeof value === 'number') return String(value);
	}
	return '';
}

/**
 * Endpoint versions as a credential may hold them: an object, a JSON object string, "path=version" lines,
 * or n8n fixedCollection values ({ values: [{ path, version }] } or [{ path, version }]).
 */
export function parseEndpointVersionsSetting(value: unknown): Record<string, string> | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value === 'string') {
		const trimmed = value.trim();
		if (!trimmed) return undefined;
		if (trimmed.startsWith('{')) {
			try {
				return parseEndpointVersionsSetting(JSON.parse(trimmed));
			} catch (error) {
				if (error instanceof PsaError) throw error;
				throw new PsaError('configuration', "Endpoint Versions is not valid JSON", { hint: 'Use e.g. {"/service/tickets": "2023.1"}' });
			}
		}
		const result: Record<string, string> = {};
		for (const line of trimmed.split(/[\n,;]+/).map((entry) => entry.trim()).filter(Boolean)) {
			const match = /^(\S+)\s*[=:]\s*(\S+)$/.exec(line);
			if (!match) throw new PsaError('configuration', `Endpoint Versions: cannot read '${line}'`, { hint: 'Use lines like /service/tickets=2023.1' });
			result[match[1]] = match[2];
		}
		return result;
	}
	const rows = Array.isArray(value) ? value : typeof value === 'object' && Array.isArray((value as { values?: unknown }).values) ? (value as { values: unknown[] }).values : undefined;
	if (rows) {
		const result: Record<string, string> = {};
		for (const row of rows) {
			if (typeof row !== 'object' || row === null) continue;
			const { path, endpoint, version } = row as Record<string, unknown>;
			const key = typeof path === 'string' ? path : typeof endpoint === 'string' ? endpoint : '';
			if (key.trim() && typeof version === 'string' && version.trim()) result[key.trim()] = version.trim();
		}
		return result;
	}
	if (typeof value === 'object') {
		return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, version]) => [key, String(version)]));
	}
	throw new PsaError('configuration', 'Endpoint Versions has an unexpected form');
}

export function connectWiseSettingsFromCredentials(credentials: Record<string, unknown>): ConnectWiseSettings {
	return {
		site: text(credentials, 'site', 'host', 'url'),
		companyId: text(credentials, 'companyId', 'company'),
		publicKey: text(credentials, 'publicKey'),
		privateKey: text(credentials, 'privateKey'),
		clientId: text(credentials, 'clientId'),
		apiVersion: text(credentials, 'apiVersion') || undefined,
		endpointVersions: parseEndpointVersionsSetting(credentials.endpointVersions),
		transportAuthenticates: credentials.transportAuthenticates === true,
	};
}

const PROVIDERS: Record<string, ProviderEntry> = {
	connectWisePsaApi: {
		create: (credentials, deps) => new ConnectWiseProvider(connectWiseSettingsFromCredentials(credentials), deps),
		connectionId: (credentials) => {
			const companyId = text(credentials, 'companyId', 'company');
			if (!companyId) throw new PsaError('configuration', "The ConnectWise credential's Company ID is empty");
			return connectWiseConnectionId(normaliseSite(text(credentials, 'site', 'host', 'url')), companyId);
		},
	},
};

function entryFor(credentialType: string): ProviderEntry {
	const entry = Object.prototype.hasOwnProperty.call(PROVIDERS, credentialType) ? PROVIDERS[credentialType] : undefined;
	if (!entry) {
		throw new PsaError('configuration', `No PSA provider for credential type '${credentialType}'`, {
			hint: `Use one of: ${Object.keys(PROVIDERS).join(', ')}`,
		});
	}
	return entry;
}

export function isProviderCredentialType(credentialType: string): boolean {
	return Object.prototype.hasOwnProperty.call(PROVIDERS, credentialType);
}

export function providerCredentialTypes(): string[] {
	return Object.keys(PROVIDERS);
}

export function createProvider(credentialType: string, credentials: Record<string, unknown>, deps: ProviderDeps): PsaProvider {
	return entryFor(credentialType).create(credentials, deps);
}

/** Stable id for the PSA tenant the credentials reach (provider + site + company); no secret goes into it. */
export function connectionIdFor(credentialType: string, credentials: Record<string, unknown>): string {
	return entryFor(credentialType).connectionId(credentials);
}
