// Callback verification: the trigger's own URL token first, then key_url only on the configured site and key path, fetched anonymously, HMAC-SHA256 keyed by SHA-256(signing_key), constant-time compare.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { PsaError } from '../errors';
import { bodyShapeProblem, checkCallbackBody, rawBytesOf, type CallbackBodyLimits } from '../callback-body';
import { checkCallbackToken } from './callback-token';
import { headerOf } from '../values';
import { PsaCallbackEvent, PsaCallbackRequest, PsaEventAction } from '../types';
import { ConnectWiseClient, isObject } from './client';
import { readTicket } from './read';
import { ConnectWiseSite, isLoopbackHostname, refusedHostReason } from './site';

export const SIGNATURE_HEADER = 'x-content-signature';
export const SIGNING_KEY_TTL_MS = 60 * 60 * 1000;
/** A mismatch refetches the key (it may have been rotated), but not more often than this, so forged floods do not hammer ConnectWise. */
export const SIGNING_KEY_REFETCH_MS = 10 * 1000;
/** The key answer is small and ConnectWise answers it at once; a slow one is not worth holding the webhook for. */
export const SIGNING_KEY_TIMEOUT_MS = 5 * 1000;
/** A key_url whose fetch failed is not asked again for this long. */
export const SIGNING_KEY_FAILURE_TTL_MS = 60 * 1000;
/**
 * After any key fetch failed, no key_url that is not already cached is fetched for this long: forged callbacks with
 * ever-new key URLs cost the site at most one request per interval. Genuine callbacks whose key is cached are unaffected.
 */
export const SIGNING_KEY_FAILURE_BACKOFF_MS = SIGNING_KEY_REFETCH_MS;
const KEY_FAILED_PREFIX = 'callback-key-failed:';
const KEY_BACKOFF = 'callback-key-backoff';

interface CachedKey {
	signingKey: string;
	fetchedAt: number;
}

export function signatureFor(rawBody: Buffer, signingKey: string): string {
	const key = createHash('sha256').update(signingKey, 'utf8').digest();
	return createHmac('sha256', key).update(rawBody).digest('base64');
}

function forged(message: string): PsaError {
	return new PsaError('authentication', message, { hint: 'Only ConnectWise callbacks signed with the key from your ConnectWise site are accepted' });
}

/**
 * A callback key path: ConnectWise serves signing keys under a path naming both the callback and the key (e.g.
 * /v4_6_release/apis/3.0/system/callbackkey/{id}; the sandbox: /callback-keys/{id}). Anything else on the site (an
 * API resource, a page) is never fetched on behalf of an unverified request.
 */
export function isCallbackKeyPath(pathname: string): boolean {
	const path = pathname.toLowerCase();
	return path.includes('callback') && path.includes('key') && !path.includes('%') && path.length <= 300;
}

/** key_url must point at a callback key path on the configured site over https (plain http only for a loopback site, i.e. the sandbox). */
export function checkKeyUrl(value: unknown, site: ConnectWiseSite): string {
	if (typeof value !== 'string' || !value) throw forged('The callback has no Metadata.key_url to verify its signature with');
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw forged('The callback\'s Metadata.key_url is not a URL');
	}
	const httpAllowed = site.scheme === 'http' && site.isLoopback && isLoopbackHostname(url.hostname);
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && httpAllowed)) {
		throw forged(`The callback's key_url uses ${url.protocol.replace(':', '')}, not https`);
	}
	// The site itself passed this check; checked again so no later change to the host comparison can open the way.
	const refused = refusedHostReason(url.hostname);
	if (refused) throw forged(`The callback's key_url is refused: ${refused}`);
	if (url.host.toLowerCase() !== site.host || url.username || url.password) {
		throw forged(`The callback's key_url is on ${url.host}, not on the configured site ${site.host}`);
	}
	if (url.search || url.hash || !isCallbackKeyPath(url.pathname)) {
		throw forged('The callback\'s key_url is not a ConnectWise callback key address');
	}
	return url.toString();
}

function readSigningKey(body: unknown): string {
	if (isObject(body)) {
		for (const name of ['signing_key', 'signingKey', 'SigningKey']) {
			const value = body[name];
			if (typeof value === 'string' && value) return value;
		}
	}
	throw forged('The answer from key_url has no signing_key');
}

function sameSignature(expected: string, given: string): boolean {
	const a = Buffer.from(expected, 'utf8');
	const b = Buffer.from(given, 'utf8');
	if (a.length !== b.length) {
		timingSafeEqual(a, a);
		return false;
	}
	return timingSafeEqual(a, b);
}

const ACTIONS: Record<string, PsaEventAction> = { added: 'added', add: 'added', created: 'added', updated: 'updated', update: 'updated', deleted: 'deleted', delete: 'deleted' };

/**
 * ConnectWise's body is the ticket (as a JSON string in Entity) plus a dozen fields, a few KB; a megabyte leaves room
 * for long descriptions and custom fields. Nesting counts the envelope only: Entity is a string until verified.
 */
export const CALLBACK_LIMITS: CallbackBodyLimits = { maxBytes: 1024 * 1024, maxDepth: 16, maxMembers: 5000 };

/**
 * The receiving trigger's token comes first: the site's signature holds for every callback on the site, so only the
 * token tells a callback sent to this trigger from one replayed here from another's; a request without it costs no
 * parsing and no key fetch. The key to verify with is named in the body, so the body must be parsed before the signature
 * can be checked: it is bounded first (size, then a flat pass over nesting and value count), so nothing hostile reaches
 * JSON.parse.
 */
export async function verifyCallback(client: ConnectWiseClient, request: PsaCallbackRequest): Promise<PsaCallbackEvent> {
	checkCallbackToken(request);
	const raw = rawBytesOf(request);
	const signature = headerOf(request.headers, SIGNATURE_HEADER);
	if (!signature) throw forged(`The callback has no ${SIGNATURE_HEADER} header`);
	checkCallbackBody(raw, CALLBACK_LIMITS, 'ConnectWise', forged);
	let payload: unknown;
	try {
		payload = JSON.parse(raw.toString('utf8'));
	} catch {
		throw new PsaError('invalid-input', 'The callback body is not JSON');
	}
	if (!isObject(payload)) throw new PsaError('invalid-input', 'The callback body is not a JSON object');
	const metadata = isObject(payload.Metadata) ? payload.Metadata : isObject(payload.metadata) ? payload.metadata : {};
	const keyUrl = checkKeyUrl(metadata.key_url ?? metadata.keyUrl, client.config.site);

	const { cache, connectionId, now } = client.config;
	const cacheKey = `callback-key:${keyUrl}`;
	// Failure times are checked against the client's clock too, as fetchedAt is: the cache TTL only bounds memory.
	const failedWithin = (key: string, windowMs: number): boolean => {
		const failedAt = cache.get<number>(connectionId, key);
		return failedAt !== undefined && now() - failedAt < windowMs;
	};
	const loadKey = async (): Promise<CachedKey> => {
		if (failedWithin(`${KEY_FAILED_PREFIX}${keyUrl}`, SIGNING_KEY_FAILURE_TTL_MS) || failedWithin(KEY_BACKOFF, SIGNING_KEY_FAILURE_BACKOFF_MS)) {
			throw forged('The signing key was not fetched: a key fetch failed moments ago');
		}
		try {
			return { signingKey: readSigningKey(await client.getCallbackKey(keyUrl, SIGNING_KEY_TIMEOUT_MS)), fetchedAt: now() };
		} catch (error) {
			cache.set(connectionId, `${KEY_FAILED_PREFIX}${keyUrl}`, now(), SIGNING_KEY_FAILURE_TTL_MS);
			cache.set(connectionId, KEY_BACKOFF, now(), SIGNING_KEY_FAILURE_BACKOFF_MS);
			// Whatever went wrong (not found, site down, not JSON), the request is unverified: 401, never a 5xx.
			const reason = error instanceof Error ? error.message : String(error);
			throw forged(`The signing key could not be fetched from key_url: ${reason}`);
		}
	};
	let key = await cache.getOrLoad(connectionId, cacheKey, loadKey, SIGNING_KEY_TTL_MS);
	if (!sameSignature(signatureFor(raw, key.signingKey), signature)) {
		// The key may have been rotated since it was cached: fetch it once more before calling the request forged.
		if (now() - key.fetchedAt < SIGNING_KEY_REFETCH_MS) throw forged('The callback signature does not match its body');
		cache.invalidate(connectionId, cacheKey);
		key = await cache.getOrLoad(connectionId, cacheKey, loadKey, SIGNING_KEY_TTL_MS);
		if (!sameSignature(signatureFor(raw, key.signingKey), signature)) throw forged('The callback signature does not match its body');
	}
	return readEvent(payload);
}

/** A ticket nests a few levels (_info, custom fields); the limit on values is the body's. */
const ENTITY_LIMITS: CallbackBodyLimits = { ...CALLBACK_LIMITS, maxDepth: 32, maxMembers: 100_000 };

export function readEvent(payload: Record<string, unknown>): PsaCallbackEvent {
	const action = ACTIONS[String(payload.Action ?? payload.action ?? '').toLowerCase()] ?? 'updated';
	const type = String(payload.Type ?? payload.type ?? '').toLowerCase();
	const rawEntity = payload.Entity ?? payload.entity;
	let entity: Record<string, unknown> = {};
	// Verified by now; still measured, as Include Raw Entity hands it to n8n, whose serialisation recurses.
	if (typeof rawEntity === 'string' && rawEntity.trim() && !bodyShapeProblem(Buffer.from(rawEntity, 'utf8'), ENTITY_LIMITS)) {
		try {
			const parsed: unknown = JSON.parse(rawEntity);
			if (isObject(parsed)) entity = parsed;
		} catch {
			entity = {};
		}
	} else if (isObject(rawEntity)) {
		entity = rawEntity;
	}
	const idValue = payload.ID ?? payload.Id ?? payload.id ?? entity.id;
	const id = typeof idValue === 'number' ? idValue : Number(idValue);
	if (!Number.isInteger(id)) throw new PsaError('invalid-input', 'The callback has no record ID');
	const event: PsaCallbackEvent = { action, type, id, entity };
	if (type === 'ticket' && Object.keys(entity).length) {
		try {
			event.ticket = readTicket(entity, 'callback Entity');
		} catch {
			// A partial entity (e.g. on delete) still yields an event; the ticket is just not attached.
		}
	}
	// The PSA-neutral fields: ConnectWise keeps who and when in the entity's _info, the link key's reference in externalXRef.
	const info = isObject(entity._info) ? entity._info : {};
	if (typeof info.lastUpdated === 'string') event.updatedAt = info.lastUpdated;
	const updatedBy = typeof info.updatedBy === 'string' ? info.updatedBy : event.ticket?.updatedBy;
	if (typeof updatedBy === 'string') event.updatedBy = updatedBy;
	if (event.ticket?.externalRef) event.externalReference = event.ticket.externalRef;
	return event;
}
