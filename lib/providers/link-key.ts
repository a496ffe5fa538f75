// The link key and the PSA-side reference made from it: the one definition the store, the providers and the trigger share.
import { createHash } from 'node:crypto';

/** Prefix of a reference that stands for a key too long for the PSA's field. */
export const HASHED_REFERENCE_PREFIX = 'psa-sha256:';

/** The shortest digest a reference keeps (128 bits); a field with less room than prefix + this cannot hold a hashed key. */
const MIN_DIGEST_HEX = 32;

/** Separates a later generation's number from the entity; a control character, which sources and ids may not hold. */
const GENERATION_SEPARATOR = '\u001e';

/**
 * The key of a link: `source:externalId`, never shortened. The source may not contain ":" for new links, so the key
 * names one (source, external id) pair. A later ticket for the same entity (a new ticket after the first was closed)
 * is its own generation with its own key, so a search by key never finds the closed ticket instead.
 */
export function linkKeyOf(source: string, externalId: string, generation = 0): string {
	return generation > 0 ? `${source}:${externalId}${GENERATION_SEPARATOR}${generation}` : `${source}:${externalId}`;
}

/** A link key as people read it: a later generation shows as `source:externalId#2`. */
export function linkKeyLabel(linkKey: string): string {
	return linkKey.replace(GENERATION_SEPARATOR, '#');
}

/**
 * What is written to the ticket's external-reference field for a link key: the key itself when it fits `maxLength`
 * (counted in UTF-16 code units, as ConnectWise and Autotask count), otherwise "psa-sha256:" + the SHA-256 hex of the
 * key. A key that starts with the prefix, or holds a control character (a later generation), is always hashed, so a
 * reference never names two keys and no PSA field is asked to store a control character.
 */
export function psaReferenceOf(linkKey: string, maxLength: number): string {
	if (linkKey.length <= maxLength && !linkKey.startsWith(HASHED_REFERENCE_PREFIX) && !/[\u0000-\u001f\u007f]/.test(linkKey)) return linkKey;
	const digest = createHash('sha256').update(linkKey, 'utf8').digest('hex');
	// A field shorter than the full form (Autotask's externalID holds 50) keeps the digest's first characters: 39 hex
	// digits are 156 bits, far beyond any collision among one tenant's links.
	const room = maxLength - HASHED_REFERENCE_PREFIX.length;
	if (room < MIN_DIGEST_HEX) throw new RangeError(`A PSA reference field of ${maxLength} characters cannot hold a hashed link key (at least ${HASHED_REFERENCE_PREFIX.length + MIN_DIGEST_HEX})`);
	return HASHED_REFERENCE_PREFIX + digest.slice(0, Math.min(digest.length, room));
}
