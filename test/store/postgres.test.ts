// PostgreSQL specifics: the configured schema holds every table (migration tables included), keys are required, bad settings are refused.
import { generateFernetKey } from '../../lib/crypto/fernet';
import { isStoreError, openStore, type PostgresStoreOptions } from '../../lib/store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { Client } from 'pg';

describe('state store on PostgreSQL: schema and settings', () => {
	let database: TestDatabase;
	beforeAll(async () => {
		database = await createTestDatabase('psa_pgspecific');
	});
	afterAll(() => database?.drop());

	const options = (extra: Partial<PostgresStoreOptions> = {}): PostgresStoreOptions => ({
		engine: 'postgres',
		host: database.host,
		port: database.port,
		user: database.user,
		database: database.database,
		keys: [generateFernetKey()],
		...extra,
	});

	async function tablesBySchema(): Promise<Array<{ table_schema: string; table_name: string }>> {
		const client = new Client({ host: database.host, port: database.port, user: database.user, database: database.database });
		await client.connect();
		try {
			const result = await client.query(
				"select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2",
			);
			return result.rows;
		} finally {
			await client.end();
		}
	}

	it('creates the configured schema and keeps every table, migration bookkeeping included, inside it', async () => {
		const store = await openStore(options({ schema: 'psa_custom' }));
		try {
			expect(store.location).toBe(`PostgreSQL database "${database.database}" (schema "psa_custom") on ${database.host}:${database.port}`);
		} finally {
			await store.close();
		}
		const tables = await tablesBySchema();
		expect(tables.filter((t) => t.table_schema !== 'psa_custom')).toEqual([]);
		expect(tables.map((t) => t.table_name).sort()).toEqual([
			'psa_audit_events',
			'psa_connections',
			'psa_member_map',
			'psa_migration_lock',
			'psa_migrations',
			'psa_note_receipts',
			'psa_status_map',
			'psa_store_meta',
			'psa_ticket_links',
		]);
	});

	it('uses the psa_bridge schema by default; two schemas in one database are separate stores', async () => {
		const keys = [generateFernetKey()];
		const a = await openStore(options({ keys }));
		const b = await openStore(options({ keys, schema: 'psa_other' }));
		try {
			await a.links.set('c', 'alert', 'a-1', 1);
			expect(await b.links.find('c', 'alert', 'a-1')).toBeUndefined();
			expect(a.location).toContain('(schema "psa_bridge")');
		} finally {
			await a.close();
			await b.close();
		}
	});

	it('requires keys explicitly, and refuses unsafe schema names and bad ports before connecting', async () => {
		const missing = await openStore(options({ keys: [] })).then(
			() => undefined,
			(caught: unknown) => caught,
		);
		expect(isStoreError(missing, 'key')).toBe(true);
		expect((missing as Error).message).toContain('The PSA State Store on PostgreSQL needs an encryption key');
		await expect(openStore(options({ schema: 'x"; drop table y; --' }))).rejects.toThrow(/schema name .* is not allowed/);
		await expect(openStore(options({ port: 0 }))).rejects.toThrow('The PostgreSQL port must be an integer between 1 and 65535');
		await expect(openStore(options({ host: '' }))).rejects.toThrow('The PostgreSQL host is required');
	});

	it('an unreachable server is an error within the connection timeout, not a hang, and does not print the password', async () => {
		const error = await openStore(options({ port: 1, password: 'pw-should-not-appear', connectionTimeoutMs: 2000 })).then(
			() => undefined,
			(caught: unknown) => caught,
		);
		expect(isStoreError(error, 'unavailable')).toBe(true);
		expect((error as Error).message).toMatch(/^Cannot open the PSA State Store in PostgreSQL database "psa_pgspecific_[0-9a-f]+" \(schema "psa_bridge"\) on 127\.0\.0\.1:1: /);
		expect((error as Error).message).not.toContain('pw-should-not-appear');
	});
});
