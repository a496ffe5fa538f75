// The SQLite store's file: default locations in the n8n user folder, path checks before anything is created, and failures that name the file and the next step.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StoreError } from '../errors';

/** `${N8N_USER_FOLDER or home}/.n8n/psa-bridge`, where n8n keeps its own data. */
export function defaultStoreFolder(env: NodeJS.ProcessEnv = process.env): string {
	const userFolder = env.N8N_USER_FOLDER && env.N8N_USER_FOLDER.trim() !== '' ? env.N8N_USER_FOLDER : os.homedir();
	return path.join(userFolder, '.n8n', 'psa-bridge');
}

export function defaultStoreFile(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(defaultStoreFolder(env), 'state.sqlite');
}

/** state.sqlite -> state.key, in the same folder. */
export function defaultKeyFileFor(databaseFile: string): string {
	const parsed = path.parse(databaseFile);
	return path.join(parsed.dir, `${parsed.name}.key`);
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * A store path as given in the credential: absolute, without control characters. Relative paths are refused rather
 * than resolved: they would depend on the folder n8n happened to start in, and `../..` could point anywhere.
 */
export function checkedStorePath(value: string, what: string): string {
	if (typeof value !== 'string') throw new StoreError('configuration', `The PSA State Store ${what} must be text`);
	const trimmed = value.trim();
	if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
		throw new StoreError('configuration', `The PSA State Store ${what} ${JSON.stringify(trimmed)} contains control characters; enter a plain absolute path`);
	}
	if (!path.isAbsolute(trimmed)) {
		throw new StoreError(
			'configuration',
			`The PSA State Store ${what} '${trimmed}' is relative; enter an absolute path (e.g. ${defaultStoreFile()}), or leave File Path empty for the default file in the n8n user folder`,
		);
	}
	return path.resolve(trimmed);
}

/** Refuses, without changing it, an existing path that is a folder or a file that is not an SQLite database. */
export function checkExistingStoreFile(filename: string): void {
	let stat: fs.Stats;
	try {
		stat = fs.statSync(filename);
	} catch {
		return;
	}
	if (stat.isDirectory()) {
		throw new StoreError(
			'configuration',
			`The PSA State Store file ${filename} is a folder, not a database file; set File Path to a file inside it (e.g. ${path.join(filename, 'state.sqlite')})`,
		);
	}
	if (!stat.isFile()) throw new StoreError('configuration', `The PSA State Store file ${filename} is not a regular file; set File Path to a database file`);
	if (stat.size === 0) return;
	const header = Buffer.alloc(SQLITE_HEADER.length);
	let read = 0;
	try {
		const descriptor = fs.openSync(filename, 'r');
		try {
			read = fs.readSync(descriptor, header, 0, header.length, 0);
		} finally {
			fs.closeSync(descriptor);
		}
	} catch (error) {
		throw fileFailure(filename, 'cannot be read', error);
	}
	if (read < header.length || !header.equals(SQLITE_HEADER)) {
		throw new StoreError(
			'configuration',
			`The PSA State Store file ${filename} is not an SQLite database (it holds other data), so it was left unchanged; set File Path to the store's database, or to a file that does not exist yet`,
		);
	}
}

export function fileFailure(filename: string, what: string, error: unknown): StoreError {
	const failure = error as NodeJS.ErrnoException;
	const reason =
		failure.code === 'EACCES' || failure.code === 'EPERM'
			? 'permission denied; give the user n8n runs as access to it, or choose another File Path'
			: failure.code === 'ENOTDIR'
				? 'a part of the path is a file, not a folder; choose another File Path'
				: failure.code === 'EROFS'
					? 'the file system is read-only; choose another File Path'
					: `${failure.code ?? failure.message}; check the File Path`;
	return new StoreError('configuration', `The PSA State Store file ${filename} ${what}: ${reason}`, { cause: error });
}

/** SQLite's own errors while opening name no file and no next step: say which file and what to do. */
export function sqliteFailure(filename: string, error: unknown): unknown {
	const code = (error as { code?: unknown })?.code;
	if (error instanceof StoreError || typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
	if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
		return new StoreError(
			'configuration',
			`The PSA State Store file ${filename} is not a usable SQLite database (${(error as Error).message}); restore it from a backup, or set File Path to a file that does not exist yet`,
			{ cause: error },
		);
	}
	if (code.startsWith('SQLITE_BUSY')) {
		return new StoreError('unavailable', `The PSA State Store file ${filename} is locked by another process; retry, or check for a stuck n8n process`, { cause: error });
	}
	return new StoreError('configuration', `The PSA State Store file ${filename} cannot be used (${(error as Error).message}); check the file and its folder's permissions`, {
		cause: error,
	});
}
