// Opens the state store: SQLite (default file, WAL, durable claims, cross-process migration lock) or PostgreSQL (schema, pool), migrations, keys.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { Pool } from 'pg';
import { migrations as defaultMigrations, type StoreMigration } from '../../migrations';
import { assertFernetKey, FernetError, FernetKeyError, FernetKeyring, generateFernetKey, InvalidFernetTokenError } from '../crypto/fernet';
import { StoreError, type DamagedRow } from './errors';
import {
	createAuditRepository,
	createConnectionRepository,
	createLinkRepository,
	createMemberMapRepository,
	createNoteReceiptRepository,
	createStatusMapRepository,
	createRequestLimitsRepository,
	damagedAuditRow,
	damagedMemberRow,
	type RepositoryContext,
} from './repositories';
import type { StoreDatabase } from './schema';
import type { PostgresStoreOptions, PsaStore, SqliteStoreOptions, StoreOptions } from './types';

export const MIGRATION_TABLE = 'psa_migrations';
export const MIGRATION_LOCK_TABLE = 'psa_migration_lock';
export const DEFAULT_POSTGRES_SCHEMA = 'psa_bridge';
const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** Another process may be migrating: wait this long for its write lock before giving up. */
const MIGRATION_LOCK_WAIT_MS = 60000;
const LOOKUP_KEY_ROW = 'lookup_key';
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Only for tests and upgrades: open with another migration list than the shipped one. */
export interface OpenStoreInternals {
	migrations?: Readonly<Record<string, StoreMigration>>;
	/** SQLite only: called before each statement runs, with its SQL and the connection's `synchronous` level (1 NORMAL, 2 FULL). */
	onStatement?: (sql: string, synchronous: number) => void;
}

/** Distinct statements kept prepared; the store's queries have a few dozen shapes, so this only bounds odd cases. */
const STATEMENT_CACHE_SIZE = 200;

/**
 * The better-sqlite3 database as Kysely's SQLite dialect sees it (prepare + close). Kysely asks for a new prepared
 * statement on every query, and preparing costs more than running a point lookup: statements are kept, keyed by their
 * SQL (Kysely binds every value as a parameter, so the SQL text is the query's shape). Pragmas are never kept: SQLite
 * applies some of them when they are prepared, not when they run again. With a tracer, every statement reports its SQL
 * and the connection's synchronous level when it runs, so tests can see which commits are durable.
 */
function sqliteDatabaseFor(raw: BetterSqlite3.Database, onStatement: OpenStoreInternals['onStatement']): SqliteDatabase {
	const statements = new Map<string, BetterSqlite3.Statement>();
	const prepared = (text: string): BetterSqlite3.Statement => {
		const kept = statements.get(text);
		// A statement still iterating (a stream) cannot run again: such a query gets a statement of its own.
		if (kept && !kept.busy) return kept;
		const statement = raw.prepare(text);
		if (!kept && !/^\s*pragma\b/i.test(text)) {
			if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
			statements.set(text, statement);
		}
		return statement;
	};
	const level = () => Number(raw.pragma('synchronous', { simple: true }));
	return {
		close: () => {
			statements.clear();
			raw.close();
		},
		prepare(text: string): SqliteStatement {
			const statement = prepared(text);
			if (!onStatement) return statement;
			return {
				reader: statement.reader,
				all(parameters) {
					onStatement(text, level());
					return statement.all(parameters);
				},
				run(parameters) {
					onStatement(text, level());
					return statement.run(parameters);
				},
				iterate(parameters) {
					onStatement(text, level());
					return statement.iterate(parameters);
				},
			};
		},
	};
}

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

export async function openStore(options: StoreOptions = { engine: 'sqlite' }, internals: OpenStoreInternals = {}): Promise<PsaStore> {
	if (!options || (options.engine !== 'sqlite' && options.engine !== 'postgres')) {
		throw new StoreError('configuration', 'The state store engine must be "sqlite" or "postgres"');
	}
	const migrationList = internals.migrations ?? defaultMigrations;
	return options.engine === 'sqlite' ? openSqlite(options, migrationList, internals) : openPostgres(options, migrationList);
}

function keyringFrom(keys: string[]): FernetKeyring {
	const usable = keys.map((key) => (typeof key === 'string' ? key.trim() : key)).filter((key) => key !== '');
	if (usable.length === 0) throw new StoreError('key', 'The PSA State Store needs an encryption key');
	try {
		return new FernetKeyring(usable);
	} catch (error) {
		if (error instanceof FernetKeyError) throw new StoreError('key', `The PSA State Store encryption key is not usable: ${error.message}`);
		throw error;
	}
}

async function openSqlite(
	options: SqliteStoreOptions,
	migrationList: Readonly<Record<string, StoreMigration>>,
	internals: OpenStoreInternals,
): Promise<PsaStore> {
	const filename = options.filename !== undefined && options.filename.trim() !== '' ? checkedStorePath(options.filename, 'file path') : defaultStoreFile();
	if (options.keyFile !== undefined) checkedStorePath(options.keyFile, 'key file path');
	const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
	const explicitKeys = options.keys?.filter((key) => typeof key === 'string' && key.trim() !== '') ?? [];
	// Validate given keys before touching the disk: bad input changes nothing.
	const givenKeyring = explicitKeys.length > 0 ? keyringFrom(explicitKeys) : undefined;
	// A file that is not a database (or a folder) is refused before SQLite opens it: SQLite would add -wal and -shm files next to it.
	checkExistingStoreFile(filename);

	try {
		fs.mkdirSync(path.dirname(filename), { recursive: true, mode: 0o700 });
		// Create the file ourselves so it starts as 0600; SQLite gives -wal and -shm the database file's mode.
		fs.closeSync(fs.openSync(filename, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_RDWR, 0o600));
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fileFailure(filename, 'cannot be created', error);
	}

	let raw: BetterSqlite3.Database;
	try {
		raw = new BetterSqlite3(filename, { timeout: busyTimeoutMs });
	} catch (error) {
		throw fileFailure(filename, 'cannot be opened', error);
	}
	let db: Kysely<StoreDatabase> | undefined;
	try {
		raw.pragma('journal_mode = WAL');
		// NORMAL in WAL mode: a commit is not synced to disk; the WAL is synced at checkpoints. This never corrupts the
		// database, and a process crash loses nothing; an OS crash or power loss can lose the last commits. The commits
		// exactly-once depends on (claims) switch to FULL for themselves (see durably below and docs/state-store.md).
		raw.pragma('synchronous = NORMAL');
		raw.pragma('foreign_keys = ON');
		db = new Kysely<StoreDatabase>({ dialect: new SqliteDialect({ database: sqliteDatabaseFor(raw, internals.onStatement) }) });

		// Kysely's SQLite adapter takes no migration lock. BEGIN IMMEDIATE takes SQLite's write lock on this
		// connection, so a second process waits here (busy timeout) and then finds the migrations applied.
		raw.pragma(`busy_timeout = ${Math.max(busyTimeoutMs, MIGRATION_LOCK_WAIT_MS)}`);
		let applied: string[];
		try {
			await sql`begin immediate`.execute(db);
			try {
				applied = await migrate(db, migrationList, {});
				await sql`commit`.execute(db);
			} catch (error) {
				await sql`rollback`.execute(db);
				throw error;
			}
		} finally {
			raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
		}

		const location = filename;
		let keyring = givenKeyring;
		if (!keyring) {
			const keyFile = path.resolve(options.keyFile ?? defaultKeyFileFor(filename));
			const sealedDataExists = (await readLookupRow(db)) !== undefined;
			keyring = keyringFrom([readOrCreateKeyFile(keyFile, sealedDataExists, location)]);
		}
		return await assemble(db, keyring, options.clock ?? Date.now, 'sqlite', location, applied, sqliteDurably(db, raw));
	} catch (error) {
		if (db) await db.destroy();
		else raw.close();
		throw sqliteFailure(filename, error);
	}
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * A store path as given in the credential: absolute, without control characters. Relative paths are refused rather
 * than resolved: they would depend on the folder n8n happened to start in, and `../..` could point anywhere.
 */
function checkedStorePath(value: string, what: string): string {
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
function checkExistingStoreFile(filename: string): void {
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

function fileFailure(filename: string, what: string, error: unknown): StoreError {
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
function sqliteFailure(filename: string, error: unknown): unknown {
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

/**
 * Reads the embedded key file, or creates it when the store holds no sealed data yet. Creation is atomic: the key is
 * written to a private temporary file and hard-linked into place, which fails if another process got there first
 * (then its key is read), so two processes never end up with different keys and nobody reads a half-written file.
 */
function readOrCreateKeyFile(keyFile: string, sealedDataExists: boolean, location: string): string {
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

async function openPostgres(options: PostgresStoreOptions, migrationList: Readonly<Record<string, StoreMigration>>): Promise<PsaStore> {
	const schema = options.schema && options.schema.trim() !== '' ? options.schema.trim() : DEFAULT_POSTGRES_SCHEMA;
	if (!SCHEMA_NAME.test(schema)) {
		throw new StoreError('configuration', `The PostgreSQL schema name "${schema}" is not allowed: use letters, digits and underscores (at most 63)`);
	}
	for (const field of ['host', 'database', 'user'] as const) {
		if (typeof options[field] !== 'string' || options[field].trim() === '') {
			throw new StoreError('configuration', `The PostgreSQL ${field} is required`);
		}
	}
	if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
		throw new StoreError('configuration', 'The PostgreSQL port must be an integer between 1 and 65535');
	}
	if (!Array.isArray(options.keys) || options.keys.filter((key) => typeof key === 'string' && key.trim() !== '').length === 0) {
		throw new StoreError('key', 'The PSA State Store on PostgreSQL needs an encryption key: set "Encryption Key" in the PSA State Store credential');
	}
	const keyring = keyringFrom(options.keys);
	const location = `PostgreSQL database "${options.database}" (schema "${schema}") on ${options.host}:${options.port}`;

	const pool = new Pool({
		host: options.host,
		port: options.port,
		database: options.database,
		user: options.user,
		password: options.password,
		ssl: options.ssl,
		max: options.poolSize ?? 10,
		connectionTimeoutMillis: options.connectionTimeoutMs ?? 10000,
		// Every pooled connection resolves unqualified names in the store's schema (validated above, so quoting is safe).
		options: `-c search_path="${schema}"`,
	});
	// An idle pooled connection that dies (server restart, pg_terminate_backend, a network drop) is reported as an
	// 'error' event on the pool; unheard, Node turns it into an uncaught exception and n8n exits. The pool has already
	// dropped that client, and the next query opens a new connection (or fails with its own, reported error).
	pool.on('error', () => undefined);
	const db = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
	try {
		try {
			await ensureSchema(db, schema);
		} catch (error) {
			throw new StoreError('unavailable', `Cannot reach the PSA State Store: ${location}: ${postgresReason(error)}`, { cause: error });
		}
		const applied = await migrate(db, migrationList, { migrationTableSchema: schema });
		if (options.clock) return await assemble(db, keyring, options.clock, 'postgres', location, applied, (write) => write(db));
		const clock = await serverClock(db);
		const store = await assemble(db, keyring, clock.now, 'postgres', location, applied, (write) => write(db));
		const close = store.close.bind(store);
		return Object.assign(store, {
			close: async () => {
				clock.stop();
				await close();
			},
		});
	} catch (error) {
		await db.destroy();
		throw error;
	}
}

/**
 * Why PostgreSQL could not be reached, in words. Raw codes (ECONNREFUSED, ETIMEDOUT...) are kept out of the message:
 * n8n replaces a node error message containing one with a generic sentence that no longer names the state store.
 */
function postgresReason(error: unknown): string {
	const failure = error as Error & { code?: string };
	switch (failure.code) {
		case 'ECONNREFUSED':
			return 'the server refused the connection (is PostgreSQL running and listening on that host and port?)';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'the host name does not resolve (check Host)';
		case 'ETIMEDOUT':
		case 'ECONNRESET':
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return 'the server could not be reached over the network (check Host, Port and firewalls)';
		case '28P01':
		case '28000':
			return 'the server refused the user or password (check User and Password)';
		case '3D000':
			return 'the database does not exist (check Database)';
		default:
			break;
	}
	if (/timeout/i.test(failure.message ?? '')) return 'the connection timed out (check Host, Port and firewalls)';
	return failure.message || failure.code || 'connection failed';
}

async function ensureSchema(db: Kysely<StoreDatabase>, schema: string): Promise<void> {
	const exists = async () =>
		(await sql<{ n: number }>`select 1 as n from information_schema.schemata where schema_name = ${schema}`.execute(db)).rows.length > 0;
	if (await exists()) return;
	try {
		await db.schema.createSchema(schema).ifNotExists().execute();
	} catch (error) {
		// Two processes creating it at once: IF NOT EXISTS can still fail with a unique violation on PostgreSQL.
		if (!(await exists())) throw error;
	}
}

async function migrate(
	db: Kysely<StoreDatabase>,
	migrationList: Readonly<Record<string, StoreMigration>>,
	extra: { migrationTableSchema?: string },
): Promise<string[]> {
	const migrator = new Migrator({
		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		db: db as Kysely<any>,
		provider: { getMigrations: async () => migrationList as Record<string, Migration> },
		migrationTableName: MIGRATION_TABLE,
		migrationLockTableName: MIGRATION_LOCK_TABLE,
		...extra,
	});
	const { error, results } = await migrator.migrateToLatest();
	if (error) {
		const failed = results?.find((result) => result.status === 'Error')?.migrationName;
		const reason = error instanceof Error ? error.message : String(error);
		throw new StoreError('migration', `The PSA State Store could not be migrated${failed ? ` (migration ${failed})` : ''}: ${reason}`, { cause: error });
	}
	return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

async function readLookupRow(db: Kysely<StoreDatabase>): Promise<string | undefined> {
	const row = await db.selectFrom('psa_store_meta').select('value').where('name', '=', LOOKUP_KEY_ROW).executeTakeFirst();
	return row?.value;
}

/**
 * The lookup-hash key is random, made once per store and kept sealed in the meta table. Sealing keys can rotate
 * without changing it (so hashes stay valid), and opening it proves the given keys belong to this store.
 */
async function loadLookupKey(db: Kysely<StoreDatabase>, keyring: FernetKeyring, clock: () => number, location: string): Promise<Buffer> {
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

async function assemble(
	db: Kysely<StoreDatabase>,
	keyring: FernetKeyring,
	clock: () => number,
	engine: 'sqlite' | 'postgres',
	location: string,
	appliedMigrations: string[],
	durably: RepositoryContext['durably'],
): Promise<PsaStore> {
	const lookupKey = await loadLookupKey(db, keyring, clock, location);
	const context: RepositoryContext = { db, keyring, lookupKey, clock, durably, capabilities: { advisoryLocks: engine === 'postgres' } };
	let closed = false;
	return {
		engine,
		location,
		appliedMigrations: Object.freeze([...appliedMigrations]),
		connections: createConnectionRepository(context),
		links: createLinkRepository(context),
		noteReceipts: createNoteReceiptRepository(context),
		memberMap: createMemberMapRepository(context),
		statusMap: createStatusMapRepository(context),
		audit: createAuditRepository(context),
		requestLimits: createRequestLimitsRepository(context),
		async resealAll() {
			return resealAll(db, keyring, clock);
		},
		async close() {
			if (closed) return;
			closed = true;
			await db.destroy();
		},
	};
}

/**
 * Runs writes whose commits must survive an OS crash or power loss on the store's one SQLite connection, reserved (no
 * other query runs in between), with synchronous=FULL: each commit waits for the WAL to be synced, and in WAL mode that
 * sync also covers every earlier commit made under NORMAL. Back to NORMAL afterwards, also when the write fails.
 */
function sqliteDurably(db: Kysely<StoreDatabase>, raw: BetterSqlite3.Database): RepositoryContext['durably'] {
	// Each switch is compiled afresh: SQLite applies some pragmas when they are prepared, so a prepared pragma statement
	// run again does not reliably set the level. raw.exec compiles and runs it without the statement object and result
	// rows raw.pragma makes (a tenth of the cost). The connection is reserved, so nothing runs in between.
	return (write) =>
		db.connection().execute(async (connection) => {
			raw.exec('PRAGMA synchronous = FULL');
			try {
				return await write(connection);
			} finally {
				raw.exec('PRAGMA synchronous = NORMAL');
			}
		});
}

async function resealAll(db: Kysely<StoreDatabase>, keyring: FernetKeyring, clock: () => number) {
	const counts = { memberMappings: 0, auditEvents: 0, meta: 0, damaged: [] as DamagedRow[] };
	/** True when under an older key; a token no key opens is reported and skipped, so one damaged row stops nothing. */
	const staleOr = (token: string, report: (error: unknown) => DamagedRow) => {
		try {
			return keyring.keyIndexOf(token) > 0;
		} catch (error) {
			if (!(error instanceof FernetError)) throw error;
			counts.damaged.push(report(error));
			return false;
		}
	};
	const stale = (token: string) => keyring.keyIndexOf(token) > 0;

	for (const row of await db.selectFrom('psa_store_meta').select(['name', 'value']).where('name', '=', LOOKUP_KEY_ROW).execute()) {
		if (!stale(row.value)) continue;
		const result = await db
			.updateTable('psa_store_meta')
			.set({ value: keyring.reseal(row.value), updated_at: clock() })
			.where('name', '=', row.name)
			.where('value', '=', row.value)
			.executeTakeFirst();
		counts.meta += Number(result.numUpdatedRows);
	}
	for (const row of await db.selectFrom('psa_member_map').select(['connection_id', 'source', 'identity_hash', 'identity_sealed', 'member_identifier']).execute()) {
		if (!staleOr(row.identity_sealed, (error) => damagedMemberRow(row, error))) continue;
		// Compare-and-set on the old token: a row rewritten meanwhile is already under the current key.
		const result = await db
			.updateTable('psa_member_map')
			.set({ identity_sealed: keyring.reseal(row.identity_sealed) })
			.where('connection_id', '=', row.connection_id)
			.where('source', '=', row.source)
			.where('identity_hash', '=', row.identity_hash)
			.where('identity_sealed', '=', row.identity_sealed)
			.executeTakeFirst();
		counts.memberMappings += Number(result.numUpdatedRows);
	}
	for (const row of await db.selectFrom('psa_audit_events').select(['id', 'action', 'detail_sealed']).execute()) {
		if (!staleOr(row.detail_sealed, (error) => damagedAuditRow(row, error))) continue;
		const result = await db
			.updateTable('psa_audit_events')
			.set({ detail_sealed: keyring.reseal(row.detail_sealed) })
			.where('id', '=', row.id)
			.where('detail_sealed', '=', row.detail_sealed)
			.executeTakeFirst();
		counts.auditEvents += Number(result.numUpdatedRows);
	}
	return counts;
}

/** How often the PostgreSQL store measures its server's clock again (a VM resumed, NTP stepped the clock). */
const CLOCK_SYNC_MS = 60_000;

/**
 * Claim times on PostgreSQL follow the database server's clock, not this process's: workers on several hosts compare
 * one another's claim ages, and a host whose clock is minutes ahead would take over a live claim (two tickets). The
 * offset is measured at open and every minute after (half the round trip as the error).
 */
async function serverClock(db: Kysely<StoreDatabase>): Promise<{ now: () => number; stop(): void }> {
	let offset = 0;
	const measure = async () => {
		const before = Date.now();
		const { rows } = await sql<{ now: number | string }>`select extract(epoch from clock_timestamp()) * 1000 as now`.execute(db);
		const after = Date.now();
		offset = Math.round(Number(rows[0].now) - (before + after) / 2);
	};
	await measure();
	const timer = setInterval(() => void measure().catch(() => undefined), CLOCK_SYNC_MS);
	timer.unref();
	return { now: () => Date.now() + offset, stop: () => clearInterval(timer) };
}

