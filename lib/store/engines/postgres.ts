// The PostgreSQL engine: a pool whose connections live in the store's schema (created if absent), Kysely's migration lock, and the server's clock.
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { StoreError } from '../errors';
import { keyringFrom } from '../keys';
import { migrate, type MigrationList } from '../migrate';
import type { StoreDatabase } from '../schema';
import type { PostgresStoreOptions } from '../types';
import type { OpenedEngine, StoreEngineAdapter } from './engine';
import { serverClock } from './postgres-clock';

export const DEFAULT_POSTGRES_SCHEMA = 'psa_bridge';
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const postgresEngine: StoreEngineAdapter<PostgresStoreOptions> = {
	engine: 'postgres',
	// Several processes share one server: a check-then-insert that no unique key covers needs a lock they all see.
	capabilities: { advisoryLocks: true, bytewiseText: false },
	open: openPostgres,
};

async function openPostgres(options: PostgresStoreOptions, migrationList: MigrationList): Promise<OpenedEngine> {
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
		const applied = await migrate(db, migrationList, { migrationTableSchema: schema, location });
		const clock = options.clock ? { now: options.clock, stop: () => undefined } : await serverClock(db);
		return {
			db,
			keyring,
			clock: clock.now,
			location,
			appliedMigrations: applied,
			// Every PostgreSQL commit is already durable (synchronous_commit is the server's business).
			durably: (write) => write(db),
			close: async () => {
				clock.stop();
				await db.destroy();
			},
			failure: (error) => error,
		};
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
