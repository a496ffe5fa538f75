// What a database engine adapter gives the store: its name and capabilities (declared, never detected), and an open that hands back a migrated, keyed database.
import type { Kysely } from 'kysely';
import type { FernetKeyring } from '../../crypto/fernet';
import type { MigrationList } from '../migrate';
import type { RepositoryContext, StoreCapabilities } from '../repositories';
import type { StoreDatabase } from '../schema';
import type { StoreOptions } from '../types';

/** Only for tests and upgrades: open with another migration list than the shipped one. */
export interface OpenStoreInternals {
	migrations?: MigrationList;
	/** SQLite only: called before each statement runs, with its SQL and the connection's `synchronous` level (1 NORMAL, 2 FULL). */
	onStatement?: (sql: string, synchronous: number) => void;
}

/** A database the adapter opened, migrated and found the keys for; the store is assembled on top of it. */
export interface OpenedEngine {
	db: Kysely<StoreDatabase>;
	keyring: FernetKeyring;
	clock: () => number;
	/** Where the data lives, for messages (never a password). */
	location: string;
	appliedMigrations: string[];
	durably: RepositoryContext['durably'];
	/** Releases what the open holds (connections, timers). */
	close(): Promise<void>;
	/** The error to report for a failure after the open (the engine's own errors may name no file or next step). */
	failure(error: unknown): unknown;
}

/** One per engine, like a Kysely dialect: the rest of the store reads `engine` and `capabilities` from here only. */
export interface StoreEngineAdapter<Options extends StoreOptions = StoreOptions> {
	readonly engine: Options['engine'];
	readonly capabilities: StoreCapabilities;
	open(options: Options, migrations: MigrationList, internals: OpenStoreInternals): Promise<OpenedEngine>;
}
