// Autotask settings, the zone (the tenant's API host) from zoneInformation or the credential's override, and the connection id.
import { createHash } from 'node:crypto';
import { PsaError } from '../errors';
import { isLoopbackHostname, refusedHostReason } from '../hosts';

export interface AutotaskSettings {
	/** The API-only user's user name (an email address). */
	username: string;
	secret: string;
	/** The API tracking identifier (ApiIntegrationCode header). */
	integrationCode: string;
	/** Zone URL override, e.g. "https://webservices2.autotask.net/ATServicesRest/"; looked up from the user name when empty. */
	zoneUrl?: string;
	/** True when the HttpTransport adds the three auth headers itself (n8n's httpRequestWithAuthentication). */
	transportAuthenticates?: boolean;
}

/** The pinned REST version: Autotask's only one until V2.0 was listed; never the list's newest. */
export const AUTOTASK_API_VERSION = 'V1.0';
/** Any zone answers zoneInformation; this is the one Autotask's documentation uses. */
export const ZONE_LOOKUP_ORIGIN = 'https://webservices.autotask.net';
export const ZONE_TTL_MS = 24 * 60 * 60 * 1000;

export interface AutotaskZone {
	/** "https://webservices5.autotask.net/ATServicesRest/" (always ends with "/", no version). */
	url: string;
	origin: string;
	host: string;
	/** The web UI, for ticket links, e.g. "https://ww5.autotask.net/". */
	webUrl: string;
	name: string;
}

/**
 * A zone URL as Autotask answers it or a user types it: https (http only on a loopback host, the local sandbox),
 * never a metadata or link-local host; a trailing "ATServicesRest/" is added when the user typed only the host.
 */
export function normaliseZoneUrl(input: string, what = 'The zone URL'): { url: string; origin: string; host: string } {
	const raw = String(input ?? '').trim();
	let url: URL;
	try {
		url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
	} catch {
		throw new PsaError('configuration', `${what} '${raw}' is not a URL`, { hint: 'Use e.g. https://webservices5.autotask.net/ATServicesRest/, or leave Zone URL empty to look it up' });
	}
	const refused = refusedHostReason(url.hostname);
	if (refused) throw new PsaError('configuration', `${what} is refused: ${refused}`, { hint: 'Use your Autotask zone, e.g. https://webservices5.autotask.net/ATServicesRest/' });
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
		throw new PsaError('configuration', `${what} must use https`, { hint: 'Autotask zones are https://webservicesN.autotask.net/ATServicesRest/' });
	}
	if (url.username || url.password || url.search || url.hash) {
		throw new PsaError('configuration', `${what} must not hold a user name, password, query or fragment`);
	}
	let path = url.pathname.replace(/\/+$/, '');
	path = path.replace(/\/v\d+\.\d+$/i, '');
	if (!/\/atservicesrest$/i.test(path)) path = `${path}/ATServicesRest`;
	return { url: `${url.origin}${path}/`, origin: url.origin, host: url.host.toLowerCase() };
}

/** The Autotask connection id: the API user names one tenant; no secret goes into it. */
export function autotaskConnectionId(username: string): string {
	const normalised = username.trim().toLowerCase();
	if (!normalised) throw new PsaError('configuration', "The Autotask credential's Username is empty", { hint: 'Fill in the API user\'s user name' });
	return `autotask:${createHash('sha256').update(normalised, 'utf8').digest('hex').slice(0, 16)}`;
}
