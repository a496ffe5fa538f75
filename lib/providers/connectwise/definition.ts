// ConnectWise as the registry sees it: its declared data (declaration.ts), its credential and how the credential's fields are read.
import { PsaError } from '../errors';
import type { PsaProviderDefinition } from '../definition';
import { CONNECTWISE_DECLARATION } from './declaration';
import { ConnectWiseProvider, type ConnectWiseSettings } from './index';
import { connectWiseConnectionId, normaliseSite } from './site';

function text(credentials: Record<string, unknown>, ...names: string[]): string {
	for (const name of names) {
		const value = credentials[name];
		if (typeof value === 'string' && value.trim()) return value.trim();
		if (typeof value === 'number') return String(value);
	}
	return '';
}

/** The credential's key fields: n8n applies them to each request, so the adapter never sees them missing. */
const REQUIRED_KEY_FIELDS: Array<[string, string]> = [
	['publicKey', 'Public Key'],
	['privateKey', 'Private Key'],
	['clientId', 'Client ID'],
];

/** Refuses, before any request, a credential whose keys are empty or hold a line break (a paste gone wrong). */
function checkKeyFields(credentials: Record<string, unknown>): void {
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

/** The credential's Endpoint Versions rows (n8n fixedCollection { endpoint: [{ path, version }] }) as a path -> version map. */
function endpointRows(value: unknown): unknown {
	const rows = (value as { endpoint?: unknown } | undefined)?.endpoint;
	if (!Array.isArray(rows)) return value;
	const versions: Record<string, string> = {};
	for (const row of rows as Array<{ path?: string; version?: string }>) {
		const path = row.path?.trim();
		const version = row.version?.trim();
		if (path && version) versions[path.startsWith('/') ? path : `/${path}`] = version;
	}
	return versions;
}

/**
 * Endpoint versions as a credential may hold them: an object, a JSON object string, "path=version" lines,
 * or n8n fixedCollection values ({ values: [{ path, version }] } or [{ path, version }]).
 */
export function parseEndpointVersionsSetting(value: unknown): Record<string, string> | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value === 'string') return parseEndpointVersionsText(value);
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

function parseEndpointVersionsText(value: string): Record<string, string> | undefined {
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

export function connectWiseSettingsFromCredentials(credentials: Record<string, unknown>): ConnectWiseSettings {
	return {
		site: text(credentials, 'site', 'host', 'url'),
		companyId: text(credentials, 'companyId', 'company'),
		publicKey: text(credentials, 'publicKey'),
		privateKey: text(credentials, 'privateKey'),
		clientId: text(credentials, 'clientId'),
		apiVersion: text(credentials, 'apiVersion') || undefined,
		endpointVersions: parseEndpointVersionsSetting(endpointRows(credentials.endpointVersions)),
		transportAuthenticates: credentials.transportAuthenticates === true,
	};
}

export const connectWiseDefinition: PsaProviderDefinition = {
	...CONNECTWISE_DECLARATION,
	credentialType: 'connectWisePsaApi',
	settingsOf(credentials, transportAuthenticates) {
		if (transportAuthenticates) checkKeyFields(credentials);
		const settings = connectWiseSettingsFromCredentials(credentials);
		return { ...settings, transportAuthenticates: settings.transportAuthenticates || transportAuthenticates };
	},
	create(settings, deps) {
		return new ConnectWiseProvider(settings as unknown as ConnectWiseSettings, deps, this);
	},
	connectionId(credentials) {
		const companyId = text(credentials, 'companyId', 'company');
		if (!companyId) throw new PsaError('configuration', "The ConnectWise credential's Company ID is empty");
		return connectWiseConnectionId(normaliseSite(text(credentials, 'site', 'host', 'url')), companyId);
	},
};
