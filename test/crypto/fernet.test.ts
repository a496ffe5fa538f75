// Fernet: the spec's vector, interoperability with the npm `fernet` package and Python's cryptography, every invalid token class.
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import * as fernetNpm from 'fernet';
import {
	Fernet,
	FernetError,
	FernetKeyError,
	FernetKeyring,
	generateFernetKey,
	InvalidFernetTokenError,
	keyedHash,
	type FernetTokenProblem,
} from '../../lib/crypto/fernet';

// From https://github.com/fernet/spec (generate.json / verify.json).
const SPEC_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const SPEC_NOW = Date.parse('1985-10-26T01:20:00-07:00');
const SPEC_IV = Buffer.from(Array.from({ length: 16 }, (_, i) => i));
const SPEC_TOKEN = 'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==';

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
const unb64 = (token: string) => Buffer.from(token.replace(/=+$/, ''), 'base64url');

/** Builds a token by hand, signed with the right key, so a test can break exactly one rule and nothing else. */
function forge(key: string, parts: { version?: number; timestampSeconds?: number; iv?: Buffer; plaintextPadded?: Buffer; ciphertext?: Buffer }): string {
	const bytes = unb64(key);
	const iv = parts.iv ?? randomBytes(16);
	let ciphertext = parts.ciphertext;
	if (!ciphertext) {
		const cipher = createCipheriv('aes-128-cbc', bytes.subarray(16), iv);
		cipher.setAutoPadding(false);
		ciphertext = Buffer.concat([cipher.update(parts.plaintextPadded ?? Buffer.from('0123456789abcdef')), cipher.final()]);
	}
	const header = Buffer.alloc(25);
	header[0] = parts.version ?? 0x80;
	header.writeBigUInt64BE(BigInt(parts.timestampSeconds ?? Math.floor(Date.now() / 1000)), 1);
	iv.copy(header, 9);
	const body = Buffer.concat([header, ciphertext]);
	return b64(Buffer.concat([body, createHmac('sha256', bytes.subarray(0, 16)).update(body).digest()]));
}

function rejection(fn: () => unknown): InvalidFernetTokenError {
	try {
		fn();
	} catch (error) {
		if (error instanceof InvalidFernetTokenError) return error;
		throw error;
	}
	throw new Error('expected the token to be rejected');
}

describe('Fernet over node:crypto', () => {
	it('reproduces the spec vector and opens it', () => {
		const fernet = new Fernet(SPEC_KEY, { now: () => SPEC_NOW, iv: () => SPEC_IV });
		expect(fernet.encrypt('hello')).toBe(SPEC_TOKEN);
		expect(fernet.decryptText(SPEC_TOKEN)).toBe('hello');
		expect(fernet.decryptText(SPEC_TOKEN, { ttlSeconds: 60 })).toBe('hello');
		expect(fernet.extractTimestamp(SPEC_TOKEN)).toBe(SPEC_NOW / 1000);
	});

	it('round-trips text, unicode, empty and binary data; fresh IVs make tokens differ', () => {
		const fernet = new Fernet(generateFernetKey());
		for (const text of ['', 'a', 'x'.repeat(16), 'Grüße, 世界 🚀', 'line\nbreak']) {
			expect(fernet.decryptText(fernet.encrypt(text))).toBe(text);
		}
		const binary = randomBytes(1000);
		expect(fernet.decrypt(fernet.encrypt(binary)).equals(binary)).toBe(true);
		expect(fernet.encrypt('same')).not.toBe(fernet.encrypt('same'));
		// Data at rest has no TTL by default: a token made ten years ago still opens.
		const tenYearsAgo = new Fernet(SPEC_KEY, { now: () => Date.now() - 10 * 365 * 86400_000 });
		expect(new Fernet(SPEC_KEY).decryptText(tenYearsAgo.encrypt('old'))).toBe('old');
	});

	describe('interoperability with the npm fernet package', () => {
		const key = generateFernetKey();

		it('opens tokens the npm package makes', () => {
			const secret = new fernetNpm.Secret(key);
			for (const message of ['hello', '', 'Grüße 🚀', 'y'.repeat(100)]) {
				const token = new fernetNpm.Token({ secret, ttl: 0 }).encode(message);
				expect(new Fernet(key).decryptText(token)).toBe(message);
			}
			const fixed = new fernetNpm.Token({ secret: new fernetNpm.Secret(SPEC_KEY), time: new Date(SPEC_NOW), iv: [...SPEC_IV] }).encode('hello');
			expect(fixed).toBe(SPEC_TOKEN);
		});

		it('makes tokens the npm package opens', () => {
			const secret = new fernetNpm.Secret(key);
			for (const message of ['hello', 'Grüße 🚀', 'z'.repeat(33)]) {
				const token = new Fernet(key).encrypt(message);
				expect(new fernetNpm.Token({ secret, token, ttl: 0 }).decode()).toBe(message);
			}
		});
	});

	describe('rejects every invalid token class with its own clear error', () => {
		const key = generateFernetKey();
		const fernet = new Fernet(key);
		const good = fernet.encrypt('secret payload');
		const cases: Array<[FernetTokenProblem, string, () => string, RegExp]> = [
			['version', 'bad version byte', () => forge(key, { version: 0x81 }), /version byte 0x81, expected 0x80/],
			[
				'signature',
				'tampered HMAC',
				() => {
					const bytes = unb64(good);
					bytes[bytes.length - 1] ^= 0x01;
					return b64(bytes);
				},
				/signature does not verify/,
			],
			[
				'signature',
				'tampered ciphertext',
				() => {
					const bytes = unb64(good);
					bytes[30] ^= 0x01;
					return b64(bytes);
				},
				/signature does not verify/,
			],
			['signature', 'wrong key', () => new Fernet(generateFernetKey()).encrypt('secret payload'), /altered or sealed with another key/],
			['padding', 'bad padding', () => forge(key, { plaintextPadded: Buffer.from('0123456789abcde\x05') }), /invalid PKCS7 padding/],
			['padding', 'zero padding byte', () => forge(key, { plaintextPadded: Buffer.from('0123456789abcde\x00') }), /invalid PKCS7 padding/],
			['block-size', 'wrong block size', () => forge(key, { ciphertext: randomBytes(17) }), /not a multiple of the 16-byte AES block/],
			['truncated', 'truncated', () => b64(unb64(good).subarray(0, 40)), /truncated: 40 bytes/],
			['truncated', 'no ciphertext', () => forge(key, { ciphertext: Buffer.alloc(0) }), /truncated/],
			['base64', 'bad base64 characters', () => good.slice(0, 10) + '!' + good.slice(11), /not URL-safe base64/],
			['base64', 'standard (not URL-safe) alphabet', () => good.replace(/^gA/, '+/'), /not URL-safe base64/],
			[
				'base64',
				'impossible length',
				() => {
					let text = good.replace(/=+$/, '');
					while (text.length % 4 !== 1) text += 'A';
					return text;
				},
				/impossible base64 length/,
			],
			[
				'base64',
				'non-canonical final character (unused bits set)',
				() => {
					// 73 bytes end in a 1-byte group: its last character carries 4 unused bits, which a canonical encoder leaves 0.
					const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
					expect(unb64(good)).toHaveLength(73);
					const unpadded = good.replace(/=+$/, '');
					const last = unpadded[unpadded.length - 1];
					return `${unpadded.slice(0, -1)}${alphabet[alphabet.indexOf(last) + 1]}==`;
				},
				/not canonical base64/,
			],
			['base64', 'empty', () => '', /empty/],
		];

		it.each(cases)('%s: %s', (problem, _name, makeToken, message) => {
			const error = rejection(() => fernet.decrypt(makeToken()));
			expect(error.problem).toBe(problem);
			expect(error.message).toMatch(message);
			expect(error).toBeInstanceOf(FernetError);
			expect(error.message).not.toContain(key);
		});

		it('expired TTL (only when a TTL is asked for)', () => {
			let now = Date.parse('2026-03-01T00:00:00Z');
			const clocked = new Fernet(key, { now: () => now });
			const token = clocked.encrypt('x');
			now += 120_000;
			const error = rejection(() => clocked.decrypt(token, { ttlSeconds: 60 }));
			expect(error.problem).toBe('expired');
			expect(error.message).toBe('Fernet token expired: made 120 s ago, TTL is 60 s');
			expect(clocked.decryptText(token, { ttlSeconds: 120 })).toBe('x');
			expect(clocked.decryptText(token)).toBe('x');
			expect(rejection(() => new Fernet(key, { now: () => now, ttlSeconds: 30 }).decrypt(token)).problem).toBe('expired');
		});

		it('timestamp too far in the future (more than 60 s of clock skew)', () => {
			const now = Date.parse('2026-03-01T00:00:00Z');
			const reader = new Fernet(key, { now: () => now });
			const slightlyAhead = new Fernet(key, { now: () => now + 59_000 }).encrypt('ok');
			expect(reader.decryptText(slightlyAhead)).toBe('ok');
			const farAhead = new Fernet(key, { now: () => now + 3_600_000 }).encrypt('no');
			const error = rejection(() => reader.decrypt(farAhead));
			expect(error.problem).toBe('future');
			expect(error.message).toBe('Fernet token timestamp is 3600 s in the future (more than the 60 s clock skew allowed)');
		});

		it('a forged token that breaks no rule opens, proving the cases above fail for their own reason', () => {
			expect(fernet.decryptText(forge(key, { plaintextPadded: Buffer.from('0123456789abcd\x02\x02') }))).toBe('0123456789abcd');
		});
	});

	describe('keys', () => {
		it('refuses unusable keys without printing them', () => {
			for (const bad of ['', 'short', 'a'.repeat(44), '!!!!' + generateFernetKey().slice(4), generateFernetKey().slice(0, 40)]) {
				let caught: unknown;
				try {
					new Fernet(bad);
				} catch (error) {
					caught = error;
				}
				expect(caught).toBeInstanceOf(FernetKeyError);
				if (bad.length > 4) expect((caught as Error).message).not.toContain(bad);
			}
			// Standard base64 of the same 32 bytes is the same key.
			const urlsafe = generateFernetKey();
			const standard = unb64(urlsafe).toString('base64');
			expect(new Fernet(standard).decryptText(new Fernet(urlsafe).encrypt('same'))).toBe('same');
		});

		it('keyring: seals with the first key, opens with any, reseal moves a token to the first key', () => {
			const oldKey = generateFernetKey();
			const newKey = generateFernetKey();
			const oldToken = new FernetKeyring([oldKey]).seal('rotate me');
			const ring = new FernetKeyring([newKey, oldKey]);
			expect(ring.open(oldToken)).toBe('rotate me');
			expect(ring.keyIndexOf(oldToken)).toBe(1);
			const resealed = ring.reseal(oldToken);
			expect(ring.keyIndexOf(resealed)).toBe(0);
			expect(new FernetKeyring([newKey]).open(resealed)).toBe('rotate me');
			expect(new FernetKeyring([newKey]).open(ring.seal('fresh'))).toBe('fresh');
			const error = rejection(() => new FernetKeyring([generateFernetKey(), generateFernetKey()]).open(oldToken));
			expect(error.message).toBe('Fernet token signature does not verify with any of the 2 keys: the token was altered or sealed with another key');
			// A structural fault is reported as such, not as "no key fits".
			expect(rejection(() => ring.open(oldToken.slice(0, 20))).problem).toBe('truncated');
			expect(() => new FernetKeyring([])).toThrow('At least one Fernet key is required');
			expect(() => new FernetKeyring([newKey, 'nope'])).toThrow(/^Key 2 of 2: /);
		});

		it('keyed hash: deterministic per key, separates parts, differs between keys', () => {
			const key = randomBytes(32);
			expect(keyedHash(key, 'email', 'a@b.c')).toBe(keyedHash(key, 'email', 'a@b.c'));
			expect(keyedHash(key, 'email', 'a@b.c')).toMatch(/^[0-9a-f]{64}$/);
			expect(keyedHash(key, 'ab', 'c')).not.toBe(keyedHash(key, 'a', 'bc'));
			expect(keyedHash(randomBytes(32), 'email', 'a@b.c')).not.toBe(keyedHash(key, 'email', 'a@b.c'));
			expect(() => keyedHash(Buffer.alloc(4), 'x')).toThrow('A lookup-hash key must be at least 16 bytes');
		});
	});

	describe("independent check against Python's cryptography.fernet", () => {
		const probe = spawnSync('python3', ['-c', 'import cryptography, cryptography.fernet; print(cryptography.__version__)'], { encoding: 'utf8', timeout: 20000 });
		const available = probe.status === 0;
		const reason = probe.error ? `python3 could not run (${probe.error.message})` : `python3 has no cryptography module (${(probe.stderr || '').trim().split('\n').pop()})`;

		const python = (script: string, input: object): { stdout: string; stderr: string; status: number | null } => {
			const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', timeout: 20000 });
			return { stdout: result.stdout.trim(), stderr: result.stderr, status: result.status };
		};

		it('runs both ways when python3 has cryptography, and says why not otherwise', () => {
			if (!available) {
				console.log(`Python cross-check NOT run: ${reason}`);
				// Not a silent pass: this branch is taken only when the reason is real (no python3, or no module).
				expect(reason).toMatch(/could not run|No module named|ModuleNotFoundError/);
				return;
			}
			console.log(`Python cross-check ran against cryptography ${probe.stdout.trim()}`);
			const key = generateFernetKey();
			const messages = ['hello', '', 'Grüße 🚀', 'p'.repeat(100)];

			// Python seals, we open.
			const sealed = python(
				'import json,sys; from cryptography.fernet import Fernet\nd=json.load(sys.stdin); f=Fernet(d["key"].encode())\nprint(json.dumps([f.encrypt(m.encode()).decode() for m in d["messages"]]))',
				{ key, messages },
			);
			expect(sealed.stderr).toBe('');
			const tokens = JSON.parse(sealed.stdout) as string[];
			expect(tokens.map((token) => new Fernet(key).decryptText(token))).toEqual(messages);

			// We seal, Python opens (with a TTL, so Python also checks our timestamp).
			const ours = messages.map((message) => new Fernet(key).encrypt(message));
			const opened = python(
				'import json,sys; from cryptography.fernet import Fernet\nd=json.load(sys.stdin); f=Fernet(d["key"].encode())\nprint(json.dumps([f.decrypt(t.encode(), ttl=60).decode() for t in d["tokens"]]))',
				{ key, tokens: ours },
			);
			expect(opened.stderr).toBe('');
			expect(JSON.parse(opened.stdout)).toEqual(messages);

			// Python rejects what we reject (the forged bad-padding and bad-version tokens).
			const forged = [forge(key, { plaintextPadded: Buffer.from('0123456789abcde\x05') }), forge(key, { version: 0x81 })];
			const verdicts = python(
				'import json,sys; from cryptography.fernet import Fernet, InvalidToken\nd=json.load(sys.stdin); f=Fernet(d["key"].encode())\nout=[]\nfor t in d["tokens"]:\n  try:\n    f.decrypt(t.encode()); out.append("accepted")\n  except InvalidToken:\n    out.append("rejected")\nprint(json.dumps(out))',
				{ key, tokens: forged },
			);
			expect(JSON.parse(verdicts.stdout)).toEqual(['rejected', 'rejected']);
		});
	});
});
