// Runs the store's migrations with Kysely's Migrator, the same way on every engine, and names the one that failed.
import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { StoreMigration } from '../../migrations';
import { StoreError } from './errors';
import type { StoreDatabase } from './schema';

export const MIGRATION_TABLE = 'psa_migrations';
export const MIGRATION_LOCK_TABLE = 'psa_migration_lock';

export type MigrationList = Readonly<Record<string, StoreMigration>>;

/** Applies what is missing; returns the names it applied (none when another process got there first). */
export async function migrate(db: Kysely<StoreDatabase>, migrationList: MigrationList, extra: { migrationTableSchema?: string }): Promise<string[]> {
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
