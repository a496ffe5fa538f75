// The HaloPSA credential's fields as the provider reads them: the resource and authorisation URLs (the latter derived when empty), the OAuth client, scope and tenant, the action type for notes; and the connection id.
import { createHash } from 'node:crypto';
import type { SettingSpec } from '../../setting-checks';
import { PsaError } from '../errors';
import { isLoopbackHostname, refusedHostReason } from '../hosts';
import { checkPsaSettings } from '../settings';

export const HALO_SETTINGS: readonly SettingSpec[] = [
	{ name: 'resourceUrl', label: 'Resource Server URL', maxLength: 2048, host: 'url' },
	{ name: 'authUrl', label: 'Authorisation Server URL', maxLength: 2048, host: 'url' },
	{ name: 'clientId', label: 'Client ID', maxLength: 256 },
	{ name: 'clientSecret', label: 'Client Secret', maxLength: 512, secret: true },
	{ name: 'scope', label: 'Scope', maxLength: 512 },
	{ name: 'tenant', label: 'Tenant', maxLength: 256 },
	{ name: 'noteActionType', label: 'Note Action Type', maxLength: 256 },
];

export interface HaloSettings {
	/** The API root, e.g. https://acme.halopsa.com/api (no trailing slash). */
	resourceUrl: string;
	/** The authorisation server, e.g. https://acme.halopsa.com/auth (no trailing slash); its /token issues tokens. */
	authUrl: string;
	clientId: string;
	clientSecret: string;
	scope: string;
	/** Sent as `tenant` with the token request; hosted tenants that share an authorisation server need it. */
	tenant?: string;
	/** The action type (outcome) notes are posted with, by name; Halo's default for the ticket type when absent. */
	noteActionType?: string;
}

function text(credentials: Record<string, unknown>, name: string): string {
	const value = credentials[name];
	return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

/** An https URL (http only on this machine, for the sandbox), never a metadata host; without a trailing slash. */
function serverUrl(value: string, label: string): URL {
	let url: URL;
	try {
		url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`);
	} catch {
		throw new PsaError('configuration', `The HaloPSA credential's ${label} is not a URL`, { hint: 'Use the address shown in Halo under Configuration > Integrations > Halo API, e.g. https://acme.halopsa.com/api' });
	}
	const refused = refusedHostReason(url.hostname);
	if (refused) throw new PsaError('configuration', `The HaloPSA credential's ${label} is refused: ${refused}`, { hint: 'Use your Halo tenant\'s address' });
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
		throw new PsaError('configuration', `The HaloPSA credential's ${label} must use https`, { hint: 'Use https://<tenant>.halopsa.com/api' });
	}
	url.search = '';
	url.hash = '';
	url.pathname = url.pathname.replace(/\/+$/, '');
	return url;
}

/** The resource server: a bare tenant address gets Halo's /api path. */
export function resourceUrlOf(value: string): string {
	const url = serverUrl(value, 'Resource Server URL');
	if (url.pathname === '' || url.pathname === '/') url.pathname = '/api';
	return url.toString().replace(/\/+$/, '');
}

/** The authorisation server: the credential's, else the resource server's origin with /auth (Halo's layout, hosted and on-premises). */
export function authUrlOf(value: string, resourceUrl: string): string {
	if (value) return serverUrl(value, 'Authorisation Server URL').toString().replace(/\/+$/, '');
	const resource = new URL(resourceUrl);
	return `${resource.origin}${resource.pathname.replace(/\/api$/i, '')}/auth`;
}

export function checkHaloSettings(credentials: Record<string, unknown>): void {
	checkPsaSettings('HaloPSA', HALO_SETTINGS, credentials);
}

export function haloSettingsFromCredentials(credentials: Record<string, unknown>): HaloSettings {
	const resource = text(credentials, 'resourceUrl');
	if (!resource) throw new PsaError('configuration', "The HaloPSA credential's Resource Server URL is empty", { hint: 'Fill in e.g. https://acme.halopsa.com/api' });
	const resourceUrl = resourceUrlOf(resource);
	const tenant = text(credentials, 'tenant');
	const noteActionType = text(credentials, 'noteActionType');
	return {
		resourceUrl,
		authUrl: authUrlOf(text(credentials, 'authUrl'), resourceUrl),
		clientId: text(credentials, 'clientId'),
		clientSecret: text(credentials, 'clientSecret'),
		scope: text(credentials, 'scope') || 'all',
		...(tenant ? { tenant } : {}),
		...(noteActionType ? { noteActionType } : {}),
	};
}

/** Stable id for the tenant and API application the credential reaches (resource host + client id); no secret goes into it. */
export function haloConnectionId(resourceUrl: string, clientId: string): string {
	const host = new URL(resourceUrl).host.toLowerCase();
	return `halopsa:${createHash('sha256').update(`${host}\n${clientId.trim().toLowerCase()}`).digest('hex').slice(0, 16)}`;
}
