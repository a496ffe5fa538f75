// The store's keys: the Fernet keyring from the credential, the embedded key file, and the lookup-hash key sealed in the meta table.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Kysely } from 'kysely';
import { assertFernetKey, FernetError, FernetKeyError, FernetKeyring, generateFernetKey, InvalidFernetTokenError } from '../crypto/fernet';
import { StoreError } from './errors';
import type { StoreDatabase } from './schema';

export const LOOKUP_KEY_ROW = 'lookup_key';

export function keyringFrom(keys: string[]): FernetKeyring {
	const usable = keys.map((key) => (typeof key === 'string' ? key.trim() : key)).filter((key) => key !== '');
	if (usable.length === 0) throw new StoreError('key', 'The PSA State Store needs an encryption key');
	try {
		return new FernetKeyring(usable);
	} catch (error) {
		if (error instanceof FernetKeyError) throw new StoreError('key', `The PSA State Store encryption key is not usable: ${error.message}`);
		throw error;
	}
}

/**
 * Reads the embedded key file, or creates it when the store holds no sealed data yet. Creation is atomic: the key is
 * written to a private temporary file and hard-linked into place, which fails if another process got there first
 * (then its key is read), so two processes never end up with different keys and nobody reads a half-written file.
 */
export function readOrCreateKeyFile(keyFile: string, sealedDataExists: boolean, location: string): string {
	const read = (): string | undefined => {
		try {
			return fs.readFileSync(keyFile, 'utf8').trim();
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
			throw new StoreError('key', `Cannot read the PSA State Store key file ${keyFile}: ${(error as Error).message}`);
		}
	};
	const validated = (key: string): string => {
		try {
			assertFernetKey(key);
		} catch {
			throw new StoreError('key', `The PSA State Store key file ${keyFile} does not hold a valid key (32 bytes, URL-safe base64); restore it from a backup`);
		}
		return key;
	};

	const existing = read();
	if (existing !== undefined) return validated(existing);
	if (sealedDataExists) {
		throw new StoreError(
			'key',
			`The PSA State Store key file ${keyFile} is missing, but ${location} holds data sealed with it; restore the key file, or give its key in the PSA State Store credential`,
		);
	}
	fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
	const temporary = `${keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
	const descriptor = fs.openSync(temporary, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
	try {
		fs.writeSync(descriptor, `${generateFernetKey()}\n`);
		fs.fsyncSync(descriptor);
	} finally {
		fs.closeSync(descriptor);
	}
	try {
		fs.linkSync(temporary, keyFile);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
	} finally {
		fs.rmSync(temporary, { force: true });
	}
	const created = read();
	if (created === undefined) throw new StoreError('key', `The PSA State Store key file ${keyFile} vanished right after it was created`);
	return validated(created);
}

export async function readLookupRow(db: Kysely<StoreDatabase>): Promise<string | undefined> {
	const row = await db.selectFrom('psa_store_meta').select('value').where('name', '=', LOOKUP_KEY_ROW).executeTakeFirst();
	return row?.value;
}

/**
 * The lookup-hash key is random, made once per store and kept sealed in the meta table. Sealing keys can rotate
 * without changing it (so hashes stay valid), and opening it proves the given keys belong to this store.
 */
export async function loadLookupKey(db: Kysely<StoreDatabase>, keyring: FernetKeyring, clock: () => number, location: string): Promise<Buffer> {
	let sealed = await readLookupRow(db);
	if (sealed === undefined) {
		await db
			.insertInto('psa_store_meta')
			.values({ name: LOOKUP_KEY_ROW, value: keyring.seal(randomBytes(32)), updated_at: clock() })
			.onConflict((oc) => oc.column('name').doNothing())
			.execute();
		sealed = await readLookupRow(db);
		if (sealed === undefined) throw new StoreError('key', `The PSA State Store in ${location} lost its key row while opening; try again`);
	}
	let index: number;
	let lookupKey: Buffer;
	try {
		index = keyring.keyIndexOf(sealed);
		lookupKey = keyring.openBytes(sealed);
	} catch (error) {
		if (error instanceof InvalidFernetTokenError && error.problem === 'signature') {
			throw new StoreError(
				'key',
				`The PSA State Store encryption key does not match the data in ${location}; use the key it was created with (previous keys go in "Previous Keys")`,
			);
		}
		if (error instanceof FernetError) throw new StoreError('key', `The PSA State Store key row in ${location} is damaged (${error.message})`);
		throw error;
	}
	if (index > 0) {
		// Opened with a previous key: move the row to the current key now, so the old key can be dropped sooner.
		await db
			.updateTable('psa_store_meta')
			.set({ value: keyring.seal(lookupKey), updated_at: clock() })
			.where('name', '=', LOOKUP_KEY_ROW)
			.where('value', '=', sealed)
			.execute();
	}
	return lookupKey;
}
