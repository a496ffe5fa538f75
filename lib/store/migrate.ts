// Runs the store's migrations with Kysely's Migrator, the same way on every engine, names the one that failed, and refuses a store a newer version migrated.
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { StoreMigration } from '../../migrations';
import { StoreError } from './errors';
import type { StoreDatabase } from './schema';

export const MIGRATION_TABLE = 'psa_migrations';
export const MIGRATION_LOCK_TABLE = 'psa_migration_lock';

export type MigrationList = Readonly<Record<string, StoreMigration>>;

export interface MigrateOptions {
	/** PostgreSQL: the schema holding the migration tables. */
	migrationTableSchema?: string;
	/** Where the store lives, for the error messages (never a password). */
	location: string;
}

/** Applies what is missing; returns the names it applied (none when another process got there first). */
export async function migrate(db: Kysely<StoreDatabase>, migrationList: MigrationList, options: MigrateOptions): Promise<string[]> {
	const { location, migrationTableSchema } = options;
	await refuseNewerStore(db, migrationList, location, migrationTableSchema);
	const migrator = new Migrator({
		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		db: db as Kysely<any>,
		provider: { getMigrations: async () => migrationList as Record<string, Migration> },
		migrationTableName: MIGRATION_TABLE,
		migrationLockTableName: MIGRATION_LOCK_TABLE,
		...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
	});
	const { error, results } = await migrator.migrateToLatest();
	if (error) {
		const failed = results?.find((result) => result.status === 'Error')?.migrationName;
		const reason = error instanceof Error ? error.message : String(error);
		throw new StoreError('migration', `The PSA State Store could not be migrated${failed ? ` (migration ${failed})` : ''}: ${reason}`, { cause: error });
	}
	return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * A store holding migrations this version does not have was migrated by a newer version of the package: its tables
 * may hold what this code would misread or overwrite. It is refused before anything is written (Kysely's own check
 * would name no version and no next step). Migrations only move forward, so the fix is the newer package.
 */
async function refuseNewerStore(db: Kysely<StoreDatabase>, migrationList: MigrationList, location: string, schema: string | undefined): Promise<void> {
	const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
	if (!tables.some((table) => table.name === MIGRATION_TABLE && (schema === undefined || table.schema === schema))) return;
	const table = sql.table(schema === undefined ? MIGRATION_TABLE : `${schema}.${MIGRATION_TABLE}`);
	const applied = (await sql<{ name: string }>`select name from ${table} order by name`.execute(db)).rows.map((row) => row.name);
	const unknown = applied.filter((name) => !Object.hasOwn(migrationList, name));
	if (unknown.length === 0) return;
	const known = Object.keys(migrationList);
	throw new StoreError(
		'migration',
		`The PSA State Store ${location} was migrated by a newer version of n8n-nodes-psa-bridge: it holds migration${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, which this version (migrations up to ${known[known.length - 1]}) does not have. It was left unchanged.`,
		{
			hint: 'Install the version of n8n-nodes-psa-bridge that last opened this store, or a newer one (a store is never migrated back), or point the PSA State Store credential at another store',
		},
	);
}
