// The SQLite engine: the default embedded file (WAL, 0600), a migration lock across processes, prepared-statement reuse and durable claim commits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { FernetKeyring } from '../../crypto/fernet';
import { keyringFrom, readLookupRow, readOrCreateKeyFile } from '../keys';
import { migrate, type MigrationList } from '../migrate';
import type { RepositoryContext } from '../repositories';
import type { StoreDatabase } from '../schema';
import type { SqliteStoreOptions } from '../types';
import type { OpenedEngine, OpenStoreInternals, StoreEngineAdapter } from './engine';
import { checkedStorePath, checkExistingStoreFile, defaultKeyFileFor, defaultStoreFile, fileFailure, sqliteFailure } from './sqlite-file';

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** Another process may be migrating: wait this long for its write lock before giving up. */
const MIGRATION_LOCK_WAIT_MS = 60000;
/** Distinct statements kept prepared; the store's queries have a few dozen shapes, so this only bounds odd cases. */
const STATEMENT_CACHE_SIZE = 200;

export const sqliteEngine: StoreEngineAdapter<SqliteStoreOptions> = {
	engine: 'sqlite',
	// One connection per process, and claims are serialised by SQLite's write lock: no advisory locks needed or offered.
	capabilities: { advisoryLocks: false, bytewiseText: true },
	open: openSqlite,
};

async function openSqlite(options: SqliteStoreOptions, migrationList: MigrationList, internals: OpenStoreInternals): Promise<OpenedEngine> {
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
		const location = filename;

		// Kysely's SQLite adapter takes no migration lock. BEGIN IMMEDIATE takes SQLite's write lock on this
		// connection, so a second process waits here (busy timeout) and then finds the migrations applied.
		raw.pragma(`busy_timeout = ${Math.max(busyTimeoutMs, MIGRATION_LOCK_WAIT_MS)}`);
		let applied: string[];
		try {
			await sql`begin immediate`.execute(db);
			try {
				applied = await migrate(db, migrationList, { location });
				await sql`commit`.execute(db);
			} catch (error) {
				await sql`rollback`.execute(db);
				throw error;
			}
		} finally {
			raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
		}

		let keyring: FernetKeyring | undefined = givenKeyring;
		if (!keyring) {
			const keyFile = path.resolve(options.keyFile ?? defaultKeyFileFor(filename));
			const sealedDataExists = (await readLookupRow(db)) !== undefined;
			keyring = keyringFrom([readOrCreateKeyFile(keyFile, sealedDataExists, location)]);
		}
		const opened = db;
		return {
			db: opened,
			keyring,
			clock: options.clock ?? Date.now,
			location,
			appliedMigrations: applied,
			durably: sqliteDurably(opened, raw),
			close: () => opened.destroy(),
			failure: (error) => sqliteFailure(filename, error),
		};
	} catch (error) {
		if (db) await db.destroy();
		else raw.close();
		throw sqliteFailure(filename, error);
	}
}

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

/**
 * Runs writes whose commits must survive an OS crash or power loss on the store's one SQLite connection, reserved (no
 * other query runs in between), with synchronous=FULL: the commit waits for the WAL to be synced, and in WAL mode that
 * sync also covers every earlier commit made under NORMAL. Back to NORMAL afterwards, also when a write fails.
 *
 * Group commit: the durable writes asked for in the same turn of the event loop (a node's items claiming their links
 * side by side) run in one transaction, each in its own savepoint, and share one sync. better-sqlite3 syncs on the
 * event loop's thread, so a sync per claim stalled every item in flight (a sixth of a 1,000-alert burst's CPU profile
 * at 50 ms latency). No write's result is given before the commit that holds it is synced; a write that fails is
 * rolled back to its savepoint alone and gets its own error; a failed commit fails every write of the group.
 */
function sqliteDurably(db: Kysely<StoreDatabase>, raw: BetterSqlite3.Database): RepositoryContext['durably'] {
	interface DurableWrite {
		write: (executor: Kysely<StoreDatabase>) => Promise<unknown>;
		resolve: (value: unknown) => void;
		reject: (error: unknown) => void;
	}
	let gathering: DurableWrite[] | undefined;
	// Each switch is compiled afresh: SQLite applies some pragmas when they are prepared, so a prepared pragma statement
	// run again does not reliably set the level. raw.exec compiles and runs it without the statement object and result
	// rows raw.pragma makes (a tenth of the cost). The connection is reserved, so nothing runs in between.
	const commitGroup = (group: DurableWrite[]) =>
		db.connection().execute(async (connection) => {
			const outcomes: Array<{ value: unknown } | { error: unknown }> = [];
			raw.exec('PRAGMA synchronous = FULL');
			if (group.length === 1) {
				// Alone: its statements commit (and sync) as they run, as before grouping; the transaction and savepoint
				// cost a lone claim about 2 ms more here (bench scratch runs, 600 sequential claims).
				try {
					group[0].resolve(await group[0].write(connection));
				} catch (error) {
					group[0].reject(error);
				} finally {
					raw.exec('PRAGMA synchronous = NORMAL');
				}
				return;
			}
			try {
				raw.exec('BEGIN IMMEDIATE');
				try {
					for (const entry of group) {
						raw.exec('SAVEPOINT psa_durable_write');
						try {
							outcomes.push({ value: await entry.write(connection) });
						} catch (error) {
							// SQLite undoes the whole transaction itself on some errors (disk full, I/O): the savepoint is gone
							// then, and the group fails with this write's own error, not "no such savepoint".
							if (!raw.inTransaction) throw error;
							raw.exec('ROLLBACK TO psa_durable_write');
							outcomes.push({ error });
						}
						raw.exec('RELEASE psa_durable_write');
					}
					raw.exec('COMMIT');
				} catch (error) {
					if (raw.inTransaction) raw.exec('ROLLBACK');
					throw error;
				}
			} finally {
				raw.exec('PRAGMA synchronous = NORMAL');
			}
			group.forEach((entry, index) => {
				const outcome = outcomes[index];
				if ('value' in outcome) entry.resolve(outcome.value);
				else entry.reject(outcome.error);
			});
		});
	return <T>(write: (executor: Kysely<StoreDatabase>) => Promise<T>) =>
		new Promise<T>((resolve, reject) => {
			const entry: DurableWrite = { write, resolve: resolve as (value: unknown) => void, reject };
			if (gathering) {
				gathering.push(entry);
				return;
			}
			const group = (gathering = [entry]);
			setImmediate(() => {
				gathering = undefined;
				commitGroup(group).catch((error: unknown) => {
					for (const member of group) member.reject(error);
				});
			});
		});
}
