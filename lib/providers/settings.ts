// The PSA credentials' fields as specs (label, type, length limit, secret or not), checked before a provider is built or any request is sent.
import { checkSettings, type SettingSpec } from '../setting-checks';
import { PsaError } from './errors';

/**
 * ConnectWise's keys are 16 characters and its client ID a GUID; 256 leaves room for what an on-premises server or a
 * later format may use while still refusing a paste gone wrong long before it reaches a request header.
 */
export const CONNECTWISE_SETTINGS: readonly SettingSpec[] = [
	{ name: 'site', label: 'Site', maxLength: 2048, host: 'url' },
	{ name: 'companyId', label: 'Company ID', maxLength: 256 },
	{ name: 'publicKey', label: 'Public Key', maxLength: 256 },
	{ name: 'privateKey', label: 'Private Key', maxLength: 256, secret: true },
	{ name: 'clientId', label: 'Client ID', maxLength: 256 },
	{ name: 'apiVersion', label: 'API Version', maxLength: 32 },
];

/**
 * The Autotask API user's user name is an email address (at most 254 characters); its secret and the tracking
 * identifier are far shorter than 256 in practice.
 */
export const AUTOTASK_SETTINGS: readonly SettingSpec[] = [
	{ name: 'username', label: 'Username', maxLength: 254 },
	{ name: 'secret', label: 'Secret', maxLength: 256, secret: true },
	{ name: 'integrationCode', label: 'Integration Code', maxLength: 256, secret: true },
	{ name: 'zoneUrl', label: 'Zone URL', maxLength: 2048, host: 'url' },
];

/** Only so that Endpoint Versions holding the private key is refused like any other field would be. */
const SECRET_OF_ROW: SettingSpec = { name: 'privateKey', label: 'Private Key', secret: true };

/** Endpoint Versions rows: each path and version is checked like a field of its own. */
const ENDPOINT_ROW: readonly SettingSpec[] = [
	{ name: 'path', label: 'Endpoint Versions > Path', maxLength: 512 },
	{ name: 'version', label: 'Endpoint Versions > Version', maxLength: 32 },
	SECRET_OF_ROW,
];
const MAX_ENDPOINT_ROWS = 200;

/** Throws the first problem as a configuration PsaError; nothing has been sent when it does. */
export function checkPsaSettings(owner: string, specs: readonly SettingSpec[], credentials: Record<string, unknown>): void {
	const problem = checkSettings(owner, credentials, specs);
	if (problem) throw new PsaError('configuration', problem.message, { hint: problem.hint });
}

/** The ConnectWise fields, Endpoint Versions included (a fixedCollection, or text / an object from older credentials). */
export function checkConnectWiseSettings(credentials: Record<string, unknown>): void {
	checkPsaSettings('ConnectWise', CONNECTWISE_SETTINGS, credentials);
	const versions = credentials.endpointVersions;
	if (versions === undefined || versions === null || versions === '') return;
	if (typeof versions === 'string') {
		checkPsaSettings('ConnectWise', [{ name: 'endpointVersions', label: 'Endpoint Versions', maxLength: 20_000, multiline: true }, SECRET_OF_ROW], credentials);
		return;
	}
	if (typeof versions !== 'object') {
		throw new PsaError('configuration', "The ConnectWise credential's Endpoint Versions must be a list of endpoints and versions", {
			hint: 'Add rows with Add Endpoint Version in the credential',
		});
	}
	const holder = versions as { endpoint?: unknown; values?: unknown };
	// An object that is not a fixedCollection is an older credential's { path: version } map.
	const rows = Array.isArray(versions)
		? versions
		: Array.isArray(holder.endpoint)
			? holder.endpoint
			: Array.isArray(holder.values)
				? holder.values
				: Object.entries(versions).map(([path, version]) => ({ path, version }));
	if (rows.length > MAX_ENDPOINT_ROWS) {
		throw new PsaError('configuration', `The ConnectWise credential's Endpoint Versions has more than ${MAX_ENDPOINT_ROWS} rows`, { hint: 'Pin only the endpoints that need another version' });
	}
	for (const row of rows) {
		if (typeof row === 'object' && row !== null) checkPsaSettings('ConnectWise', ENDPOINT_ROW, { ...(row as Record<string, unknown>), privateKey: credentials.privateKey });
	}
}

export function checkAutotaskSettings(credentials: Record<string, unknown>): void {
	checkPsaSettings('Autotask', AUTOTASK_SETTINGS, credentials);
}
