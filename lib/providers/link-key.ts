// The link key and the PSA-side reference made from it: the one definition the store, the providers and the trigger share.
import { createHash } from 'node:crypto';

/** Prefix of a reference that stands for a key too long for the PSA's field. */
export const HASHED_REFERENCE_PREFIX = 'psa-sha256:';

/**
 * The key of a link: `source:externalId`, never shortened. The source may not contain ":" for new links, so the key
 * names one (source, external id) pair.
 */
export function linkKeyOf(source: string, externalId: string): string {
	return `${source}:${externalId}`;
}

/**
 * What is written to the ticket's external-reference field for a link key: the key itself when it fits `maxLength`
 * (counted in UTF-16 code units, as ConnectWise and Autotask count), otherwise "psa-sha256:" + the SHA-256 hex of the
 * key. A key that itself starts with the prefix is always hashed, so a reference never names two keys.
 */
export function psaReferenceOf(linkKey: string, maxLength: number): string {
	if (linkKey.length <= maxLength && !linkKey.startsWith(HASHED_REFERENCE_PREFIX)) return linkKey;
	return HASHED_REFERENCE_PREFIX + createHash('sha256').update(linkKey, 'utf8').digest('hex');
}
