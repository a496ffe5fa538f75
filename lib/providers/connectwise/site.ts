// Site normalisation (https except loopback), the connection id, and codebase discovery through companyinfo.
import { createHash } from 'node:crypto';
import { PsaError } from '../errors';
import { isLoopbackHostname, refusedHostReason } from '../hosts';

export { isLoopbackHostname, refusedHostReason } from '../hosts';

export interface ConnectWiseSite {
	/** Host with a non-default port, lower-case, e.g. "api-na.myconnectwise.net" or "127.0.0.1:54321". */
	host: string;
	hostname: string;
	scheme: 'https' | 'http';
	/** "https://api-na.myconnectwise.net" */
	origin: string;
	isCloud: boolean;
	isLoopback: boolean;
}

const CLOUD_HOST = /^(?:api-)?[a-z]{2,}\.myconnectwise\.net$/;
const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/**
 * Accepts what a user types in the Site field ("na.example.com", "https://cw.example.com/v4_6_release/",
 * "http://127.0.0.1:5432") and returns the host the adapter talks to. https is required; an explicit
 * http:// is honoured only for loopback hosts (the local sandbox).
 */
export function normaliseSite(input: string): ConnectWiseSite {
	const raw = (input ?? '').trim();
	if (!raw) throw configuration('The ConnectWise site is empty', 'Enter the host, e.g. api-na.myconnectwise.net');
	let scheme: 'https' | 'http' | undefined;
	let rest = raw;
	const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
	if (schemeMatch) {
		const given = schemeMatch[1].toLowerCase();
		if (given !== 'https' && given !== 'http') {
			throw configuration(`The ConnectWise site '${raw}' uses the unsupported scheme '${given}'`, 'Use https://');
		}
		scheme = given;
		rest = raw.slice(schemeMatch[0].length);
	}
	const authority = rest.split(/[/?#\\]/, 1)[0].replace(/\.$/, '');
	if (authority.includes('@')) {
		throw configuration('The ConnectWise site must not contain a user name or password', 'Enter only the host, e.g. api-na.myconnectwise.net');
	}
	const hostPort = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(authority.toLowerCase());
	if (!hostPort || !(HOSTNAME.test(hostPort[1]) || IPV6.test(hostPort[1]))) {
		throw configuration(`The ConnectWise site '${raw}' is not a host name`, 'Enter the host, e.g. api-na.myconnectwise.net');
	}
	const hostname = hostPort[1];
	const refused = refusedHostReason(hostname);
	if (refused) {
		throw configuration(
			`The ConnectWise site '${raw}' is refused: ${refused}; no request was sent`,
			'Enter the host name of your ConnectWise site, e.g. api-na.myconnectwise.net or the on-premises server (private addresses such as 10.x, 172.16-31.x and 192.168.x are allowed)',
		);
	}
	const isLoopback = isLoopbackHostname(hostname);
	if (scheme === 'http' && !isLoopback) {
		throw configuration(
			`The ConnectWise site '${raw}' uses http://, which would send the API keys unencrypted`,
			'Use https:// (plain http is only accepted for a local sandbox on 127.0.0.1, ::1 or localhost)',
		);
	}
	const effectiveScheme = scheme ?? 'https';
	let port: string | undefined = hostPort[2];
	if (port !== undefined) {
		const portNumber = Number(port);
		if (portNumber < 1 || portNumber > 65535) throw configuration(`The port in the ConnectWise site '${raw}' is out of range`, 'Use a port between 1 and 65535, or leave it out for 443');
		port = String(portNumber);
		if ((effectiveScheme === 'https' && portNumber === 443) || (effectiveScheme === 'http' && portNumber === 80)) port = undefined;
	}
	const host = port ? `${hostname}:${port}` : hostname;
	return {
		host,
		hostname,
		scheme: effectiveScheme,
		origin: `${effectiveScheme}://${host}`,
		isCloud: CLOUD_HOST.test(hostname),
		isLoopback,
	};
}

/** The host of ConnectWise's web UI for the site: cloud API hosts (api-na...) serve the UI without the "api-" prefix. */
export function uiHost(site: ConnectWiseSite): string {
	return site.isCloud ? site.host.replace(/^api-/, '') : site.host;
}

/** Stable id for the site + company pair: scopes local state, holds no secret, survives key rotation. */
export function connectWiseConnectionId(site: ConnectWiseSite, companyId: string): string {
	const digest = createHash('sha256').update(`${site.host}\n${companyId.trim().toLowerCase()}`).digest('hex');
	return `connectwise:${digest.slice(0, 16)}`;
}

const CODEBASE = /^[A-Za-z0-9_.-]+\/$/;

/** Validates the Codebase value companyinfo returned; it becomes part of every URL, so nothing else is accepted. */
export function parseCodebase(value: unknown): string | undefined {
	if (typeof value !== 'string') return undefined;
	const trimmed = value.trim().replace(/^\/+/, '');
	if (!trimmed) return undefined;
	const withSlash = trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
	return CODEBASE.test(withSlash) && !withSlash.includes('..') ? withSlash : undefined;
}

function configuration(message: string, hint?: string): PsaError {
	return new PsaError('configuration', message, hint ? { hint } : {});
}
