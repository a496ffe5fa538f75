// Fernet (https://github.com/fernet/spec) over node:crypto: sealing of values at rest, key rings for rotation, keyed lookup hashes.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

const VERSION = 0x80;
const HEADER_LENGTH = 1 + 8 + 16;
const HMAC_LENGTH = 32;
const BLOCK_SIZE = 16;
const KEY_LENGTH = 32;
/** Same allowance as Python's cryptography.fernet (_MAX_CLOCK_SKEW). */
export const DEFAULT_MAX_CLOCK_SKEW_SECONDS = 60;

export type FernetTokenProblem =
	| 'base64'
	| 'truncated'
	| 'version'
	| 'block-size'
	| 'signature'
	| 'padding'
	| 'expired'
	| 'future';

/** Every Fernet failure; messages never contain key material or plaintext. */
export class FernetError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'FernetError';
	}
}

/** The key itself is unusable (wrong length, not base64). */
export class FernetKeyError extends FernetError {
	constructor(message: string) {
		super(message);
		this.name = 'FernetKeyError';
	}
}

/** The token cannot be opened; `problem` says which rule it broke. */
export class InvalidFernetTokenError extends FernetError {
	readonly problem: FernetTokenProblem;

	constructor(problem: FernetTokenProblem, message: string) {
		super(message);
		this.name = 'InvalidFernetTokenError';
		this.problem = problem;
	}
}

export interface FernetOptions {
	/** Milliseconds since the epoch; tokens carry whole seconds. */
	now?: () => number;
	/** Returns the 16-byte IV for the next token (tests make tokens deterministic with it). */
	iv?: () => Buffer;
	/** Reject tokens older than this; undefined means no expiry, which is right for data at rest. */
	ttlSeconds?: number;
	maxClockSkewSeconds?: number;
}

export interface DecryptOptions {
	ttlSeconds?: number;
}

const URLSAFE_BASE64 = /^[A-Za-z0-9_-]*={0,2}$/;
const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeKey(key: string | Buffer): Buffer {
	if (Buffer.isBuffer(key)) {
		if (key.length !== KEY_LENGTH) {
			throw new FernetKeyError(`A Fernet key must be ${KEY_LENGTH} bytes; got ${key.length} bytes`);
		}
		return Buffer.from(key);
	}
	if (typeof key !== 'string' || key.trim() === '') {
		throw new FernetKeyError('A Fernet key is required (32 bytes in URL-safe base64, 44 characters)');
	}
	const text = key.trim();
	// Standard base64 is accepted too: keys are often pasted from `openssl rand -base64 32`.
	if (!URLSAFE_BASE64.test(text) && !STANDARD_BASE64.test(text)) {
		throw new FernetKeyError('A Fernet key must be URL-safe base64 (44 characters); this one contains other characters');
	}
	const bytes = Buffer.from(text.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
	if (bytes.length !== KEY_LENGTH) {
		throw new FernetKeyError(`A Fernet key must decode to ${KEY_LENGTH} bytes (44 base64 characters); this one decodes to ${bytes.length} bytes`);
	}
	return bytes;
}

/** Checks a key without keeping it; throws FernetKeyError with a message that does not include the key. */
export function assertFernetKey(key: string): void {
	decodeKey(key);
}

/** A new random key, URL-safe base64 with padding (the format Python's Fernet.generate_key() returns). */
export function generateFernetKey(): string {
	return toUrlsafeBase64(randomBytes(KEY_LENGTH));
}

/** URL-safe alphabet with '=' padding, as the spec's tokens and Python's implementation use. */
function toUrlsafeBase64(bytes: Buffer): string {
	// Node's base64url leaves the padding out; the same characters with it put back (no pass over the text per symbol).
	return bytes.toString('base64url') + PADDING[bytes.length % 3];
}

const PADDING = ['', '==', '='];

/**
 * IVs come from a pool of CSPRNG bytes, each 16 bytes handed out once: one randomBytes call per 256 tokens instead of
 * one per token (the call, not the bytes, is what costs). Same source and unpredictability as randomBytes(16).
 */
const IV_POOL_BYTES = 16 * 256;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

function randomIv(): Buffer {
	if (ivOffset + 16 > ivPool.length) {
		ivPool = randomBytes(IV_POOL_BYTES);
		ivOffset = 0;
	}
	const iv = ivPool.subarray(ivOffset, ivOffset + 16);
	ivOffset += 16;
	return iv;
}

function decodeToken(token: string): Buffer {
	if (typeof token !== 'string' || token.length === 0) {
		throw new InvalidFernetTokenError('base64', 'Fernet token is empty');
	}
	if (!URLSAFE_BASE64.test(token)) {
		throw new InvalidFernetTokenError('base64', 'Fernet token is not URL-safe base64');
	}
	const unpadded = token.replace(/=+$/, '');
	if (unpadded.length % 4 === 1 || (token.length !== unpadded.length && token.length % 4 !== 0)) {
		throw new InvalidFernetTokenError('base64', 'Fernet token has an impossible base64 length or padding');
	}
	const bytes = Buffer.from(unpadded, 'base64url');
	// Reject non-canonical encodings (stray bits in the last character): the same bytes must encode back.
	if (bytes.toString('base64url') !== unpadded) {
		throw new InvalidFernetTokenError('base64', 'Fernet token is not canonical base64');
	}
	return bytes;
}

/** One Fernet key. Most callers want FernetKeyring, which adds rotation. */
export class Fernet {
	// Key objects made once: handing raw bytes to every cipher/HMAC re-imports the key each call (~4x slower per seal).
	readonly #signingKey: KeyObject;
	readonly #encryptionKey: KeyObject;
	readonly #now: () => number;
	readonly #iv: () => Buffer;
	readonly #ttlSeconds: number | undefined;
	readonly #maxClockSkewSeconds: number;

	constructor(key: string | Buffer, options: FernetOptions = {}) {
		const bytes = decodeKey(key);
		this.#signingKey = createSecretKey(bytes.subarray(0, 16));
		this.#encryptionKey = createSecretKey(bytes.subarray(16, 32));
		this.#now = options.now ?? Date.now;
		this.#iv = options.iv ?? randomIv;
		this.#ttlSeconds = options.ttlSeconds;
		this.#maxClockSkewSeconds = options.maxClockSkewSeconds ?? DEFAULT_MAX_CLOCK_SKEW_SECONDS;
	}

	encrypt(plaintext: string | Buffer): string {
		const iv = this.#iv();
		if (!Buffer.isBuffer(iv) || iv.length !== 16) {
			throw new FernetError('The IV source must return 16 bytes');
		}
		const header = Buffer.alloc(HEADER_LENGTH);
		header[0] = VERSION;
		header.writeBigUInt64BE(BigInt(Math.floor(this.#now() / 1000)), 1);
		iv.copy(header, 9);
		const cipher = createCipheriv('aes-128-cbc', this.#encryptionKey, iv);
		const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
		const encrypted = cipher.update(data);
		const last = cipher.final();
		// The HMAC covers header + ciphertext, fed in pieces; the token is put together once.
		const hmac = createHmac('sha256', this.#signingKey).update(header).update(encrypted).update(last).digest();
		return toUrlsafeBase64(Buffer.concat([header, encrypted, last, hmac]));
	}

	/** Seconds since the epoch at which the token was made, after checking it belongs to this key. */
	extractTimestamp(token: string): number {
		return this.#verify(token).timestamp;
	}

	decrypt(token: string, options: DecryptOptions = {}): Buffer {
		const { bytes, timestamp } = this.#verify(token);
		const nowSeconds = Math.floor(this.#now() / 1000);
		const ttl = options.ttlSeconds ?? this.#ttlSeconds;
		if (ttl !== undefined && timestamp + ttl < nowSeconds) {
			throw new InvalidFernetTokenError('expired', `Fernet token expired: made ${nowSeconds - timestamp} s ago, TTL is ${ttl} s`);
		}
		if (timestamp > nowSeconds + this.#maxClockSkewSeconds) {
			throw new InvalidFernetTokenError(
				'future',
				`Fernet token timestamp is ${timestamp - nowSeconds} s in the future (more than the ${this.#maxClockSkewSeconds} s clock skew allowed)`,
			);
		}
		const iv = bytes.subarray(9, HEADER_LENGTH);
		const ciphertext = bytes.subarray(HEADER_LENGTH, bytes.length - HMAC_LENGTH);
		const decipher = createDecipheriv('aes-128-cbc', this.#encryptionKey, iv);
		decipher.setAutoPadding(false);
		const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
		return unpad(padded);
	}

	decryptText(token: string, options: DecryptOptions = {}): string {
		return this.decrypt(token, options).toString('utf8');
	}

	#verify(token: string): { bytes: Buffer; timestamp: number } {
		const bytes = decodeToken(token);
		if (bytes.length < HEADER_LENGTH + BLOCK_SIZE + HMAC_LENGTH) {
			throw new InvalidFernetTokenError('truncated', `Fernet token is truncated: ${bytes.length} bytes, at least ${HEADER_LENGTH + BLOCK_SIZE + HMAC_LENGTH} needed`);
		}
		if (bytes[0] !== VERSION) {
			throw new InvalidFernetTokenError('version', `Fernet token has version byte 0x${bytes[0].toString(16).padStart(2, '0')}, expected 0x80`);
		}
		const ciphertextLength = bytes.length - HEADER_LENGTH - HMAC_LENGTH;
		if (ciphertextLength % BLOCK_SIZE !== 0) {
			throw new InvalidFernetTokenError('block-size', `Fernet token ciphertext is ${ciphertextLength} bytes, not a multiple of the ${BLOCK_SIZE}-byte AES block`);
		}
		const signed = bytes.subarray(0, bytes.length - HMAC_LENGTH);
		const expected = createHmac('sha256', this.#signingKey).update(signed).digest();
		if (!timingSafeEqual(expected, bytes.subarray(bytes.length - HMAC_LENGTH))) {
			throw new InvalidFernetTokenError('signature', 'Fernet token signature does not verify: the token was altered or sealed with another key');
		}
		const timestamp = bytes.readBigUInt64BE(1);
		return { bytes, timestamp: Number(timestamp) };
	}
}

function unpad(padded: Buffer): Buffer {
	const count = padded.length > 0 ? padded[padded.length - 1] : 0;
	let valid = count >= 1 && count <= BLOCK_SIZE && count <= padded.length;
	for (let i = 1; valid && i <= count; i++) {
		if (padded[padded.length - i] !== count) valid = false;
	}
	if (!valid) {
		throw new InvalidFernetTokenError('padding', 'Fernet token plaintext has invalid PKCS7 padding');
	}
	return padded.subarray(0, padded.length - count);
}

/**
 * Several keys, as in Python's MultiFernet: the first seals, any of them opens. Rotation = put the new key first,
 * keep the old ones after it until every token was resealed.
 */
export class FernetKeyring {
	readonly #keys: Fernet[];

	constructor(keys: ReadonlyArray<string | Buffer>, options: FernetOptions = {}) {
		if (!Array.isArray(keys) || keys.length === 0) {
			throw new FernetKeyError('At least one Fernet key is required');
		}
		this.#keys = keys.map((key, index) => {
			try {
				return new Fernet(key, options);
			} catch (error) {
				if (error instanceof FernetKeyError && keys.length > 1) {
					throw new FernetKeyError(`Key ${index + 1} of ${keys.length}: ${error.message}`);
				}
				throw error;
			}
		});
	}

	get size(): number {
		return this.#keys.length;
	}

	seal(plaintext: string | Buffer): string {
		return this.#keys[0].encrypt(plaintext);
	}

	open(token: string, options: DecryptOptions = {}): string {
		return this.openBytes(token, options).toString('utf8');
	}

	openBytes(token: string, options: DecryptOptions = {}): Buffer {
		return this.#openWithIndex(token, options).plaintext;
	}

	/** Which key (0 = the current one) opens the token; throws like open(). */
	keyIndexOf(token: string): number {
		return this.#openWithIndex(token, {}).index;
	}

	/** Opens with any key and seals again with the first; keeps the plaintext, refreshes the timestamp. */
	reseal(token: string): string {
		return this.seal(this.openBytes(token));
	}

	#openWithIndex(token: string, options: DecryptOptions): { plaintext: Buffer; index: number } {
		let signatureError: InvalidFernetTokenError | undefined;
		for (let index = 0; index < this.#keys.length; index++) {
			try {
				return { plaintext: this.#keys[index].decrypt(token, options), index };
			} catch (error) {
				// Only a signature mismatch means "try the next key"; any other fault is the token's, whatever the key.
				if (error instanceof InvalidFernetTokenError && error.problem === 'signature') {
					signatureError = error;
					continue;
				}
				throw error;
			}
		}
		if (this.#keys.length > 1) {
			throw new InvalidFernetTokenError('signature', `Fernet token signature does not verify with any of the ${this.#keys.length} keys: the token was altered or sealed with another key`);
		}
		throw signatureError as InvalidFernetTokenError;
	}
}

/**
 * HMAC-SHA256 over length-prefixed parts, hex. Length prefixes keep ("ab","c") and ("a","bc") apart.
 * The key must be dedicated to hashing (see docs/state-store.md: the store keeps a random lookup key sealed in its meta table).
 */
export function keyedHash(key: Buffer, ...parts: string[]): string {
	if (!Buffer.isBuffer(key) || key.length < 16) {
		throw new FernetKeyError('A lookup-hash key must be at least 16 bytes');
	}
	const hmac = createHmac('sha256', key);
	for (const part of parts) {
		const bytes = Buffer.from(part, 'utf8');
		const length = Buffer.alloc(4);
		length.writeUInt32BE(bytes.length);
		hmac.update(length).update(bytes);
	}
	return hmac.digest('hex');
}
