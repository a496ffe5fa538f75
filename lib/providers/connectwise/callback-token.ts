// Each ConnectWise callback's own token: carried in the query of the URL ConnectWise posts to, made at registration, checked first on receipt.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PsaError, isPsaError } from '../errors';
import type { PsaCallbackRequest } from '../types';

/**
 * ConnectWise signs every callback of a site with one key and its payload names no registration, so the signature
 * cannot tell two triggers on one site apart. The URL can: ConnectWise posts to `url` exactly as registered, query
 * included, so each registration gets a token of its own there.
 */
export const CALLBACK_TOKEN_PARAM = 'psa_token';
/** 32 random bytes as base64url: 43 characters, URL-safe without escaping. */
const TOKEN_BYTES = 32;

export function newCallbackToken(): string {
	return randomBytes(TOKEN_BYTES).toString('base64url');
}

function splitUrl(url: string): { base: string; params: string[]; hash: string } {
	const hashAt = url.indexOf('#');
	const hash = hashAt >= 0 ? url.slice(hashAt) : '';
	const rest = hashAt >= 0 ? url.slice(0, hashAt) : url;
	const queryAt = rest.indexOf('?');
	if (queryAt < 0) return { base: rest, params: [], hash };
	return { base: rest.slice(0, queryAt), params: rest.slice(queryAt + 1).split('&').filter(Boolean), hash };
}

const isTokenParam = (param: string) => param === CALLBACK_TOKEN_PARAM || param.startsWith(`${CALLBACK_TOKEN_PARAM}=`);

/**
 * The URL with this package's token parameter removed and nothing else changed (string work, not URL re-serialisation),
 * so a listed registration compares equal to the address n8n gives the trigger, with or without a token.
 */
export function withoutCallbackToken(url: string): string {
	const { base, params, hash } = splitUrl(url);
	const kept = params.filter((param) => !isTokenParam(param));
	return `${base}${kept.length ? `?${kept.join('&')}` : ''}${hash}`;
}

/** The URL ConnectWise is to post to: the trigger's address with the token added (replacing any left in it). */
export function withCallbackToken(url: string, token: string): string {
	const { base, params, hash } = splitUrl(url);
	const kept = params.filter((param) => !isTokenParam(param));
	return `${base}?${[...kept, `${CALLBACK_TOKEN_PARAM}=${token}`].join('&')}${hash}`;
}

/** An error whose texts may quote the registered URL (ConnectWise echoes a refused url), with the token cut out. */
export function withoutTokenIn(error: unknown, token: string): unknown {
	if (!isPsaError(error)) return error;
	const scrub = (text: string | undefined) => (text === undefined ? undefined : text.split(token).join('[redacted]'));
	const details = { ...error.details };
	for (const name of ['providerMessage', 'hint', 'request'] as const) if (details[name] !== undefined) details[name] = scrub(details[name]);
	return new PsaError(error.kind, scrub(error.message) as string, details);
}

function tokenFailure(message: string, hint: string): PsaError {
	return new PsaError('authentication', message, { hint });
}

/** Hashed first, so the comparison takes the same time whatever the lengths. */
function sameToken(expected: string, given: string): boolean {
	const a = createHash('sha256').update(expected, 'utf8').digest();
	const b = createHash('sha256').update(given, 'utf8').digest();
	return timingSafeEqual(a, b);
}

/**
 * Refuses a callback that does not carry the receiving trigger's token: checked before the body is read or key_url
 * fetched, so a request without it costs nothing. The token never appears in the message.
 */
export function checkCallbackToken(request: PsaCallbackRequest): void {
	const expected = request.expected?.secret;
	if (!expected) {
		throw tokenFailure(
			'This trigger has no callback token in the state store, so no callback can be verified',
			'Deactivate and activate the workflow: activation registers the callback with a token of its own',
		);
	}
	const given = request.query?.[CALLBACK_TOKEN_PARAM];
	if (typeof given !== 'string' || !given) {
		throw tokenFailure('The callback was not sent to this trigger\'s registered address (no callback token)', 'Only callbacks ConnectWise sends to the address this trigger registered are accepted');
	}
	if (!sameToken(expected, given)) {
		throw tokenFailure('The callback carries another callback token than this trigger\'s', 'Only callbacks ConnectWise sends to the address this trigger registered are accepted');
	}
}
