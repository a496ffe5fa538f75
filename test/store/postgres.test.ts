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

	it("claim times follow the database server's clock, not a process clock that is ten minutes ahead", async () => {
		// Two workers on hosts whose clocks disagree compare each other's claim ages: with process clocks, the one ahead
		// would take over a live claim. The store measures the server's clock at open and stamps claims with it.
		const own = await createTestDatabase('psa_clock');
		const realNow = Date.now.bind(Date);
		const ahead = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 10 * 60_000);
		try {
			const store = await openStore({ ...options(), database: own.database });
			try {
				await store.links.claim('c', 'clock', 'e-1', 'token');
				const claimed = await store.links.find('c', 'clock', 'e-1');
				expect(Math.abs((claimed?.updatedAt.getTime() ?? 0) - realNow())).toBeLessThan(5_000);
				// A claim refreshed a moment ago is not stale to this worker, whatever its clock says.
				expect((await store.links.takeOver('c', 'clock', 'e-1', 'other', 60_000)).claimed).toBe(false);
			} finally {
				await store.close();
			}
		} finally {
			ahead.mockRestore();
			await own.drop();
		}
	});

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
			'psa_callback_secrets',
			'psa_connections',
			'psa_member_map',
			'psa_migration_lock',
			'psa_migrations',
			'psa_note_receipts',
			'psa_request_counts',
			'psa_request_slots',
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
		await expect(openStore(options({ schema: 'x"; drop table y; --' }))).rejects.toThrow(/Schema .* is not allowed/);
		await expect(openStore(options({ port: 0 }))).rejects.toThrow("The PSA State Store credential's Port must be a whole number between 1 and 65535");
		await expect(openStore(options({ host: '' }))).rejects.toThrow('The PostgreSQL host is required');
	});

	it('survives its pooled connections being terminated by the server (no unhandled pool error) and answers again', async () => {
		const store = await openStore(options({ poolSize: 3, schema: 'psa_terminated' }));
		const admin = new Client({ host: database.host, port: database.port, user: database.user, database: database.database });
		await admin.connect();
		try {
			// Several idle pooled connections, as a busy worker leaves them.
			await Promise.all([store.links.set('c', 'alert', 'pg-1', 1), store.links.find('c', 'alert', 'x'), store.connections.list()]);
			const terminated = await admin.query(
				'select pg_terminate_backend(pid) as done from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
			);
			expect(terminated.rowCount).toBeGreaterThan(0);
			// Wait (bounded) until the server has dropped them, so the pool's idle clients see the termination.
			const deadline = Date.now() + 10000;
			for (;;) {
				const left = await admin.query('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
				if (left.rows[0].n === 0) break;
				if (Date.now() > deadline) throw new Error(`the store's backends were still there after 10 s: ${left.rows[0].n}`);
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
			await new Promise((resolve) => setTimeout(resolve, 100));
			// Without an 'error' listener on the pool, the terminated idle clients crash the process before this line.
			expect((await store.links.find('c', 'alert', 'pg-1'))?.ticketId).toBe(1);
			await store.links.set('c', 'alert', 'pg-2', 2);
			expect((await store.links.find('c', 'alert', 'pg-2'))?.ticketId).toBe(2);
		} finally {
			await admin.end();
			await store.close();
		}
	});

	it('an unreachable server is an error within the connection timeout, not a hang, and does not print the password', async () => {
		const error = await openStore(options({ port: 1, password: 'pw-should-not-appear', connectionTimeoutMs: 2000 })).then(
			() => undefined,
			(caught: unknown) => caught,
		);
		expect(isStoreError(error, 'unavailable')).toBe(true);
		expect((error as Error).message).toMatch(
			/^Cannot reach the PSA State Store: PostgreSQL database "psa_pgspecific_[0-9a-f]+" \(schema "psa_bridge"\) on 127\.0\.0\.1:1: the server refused the connection \(is PostgreSQL running and listening on that host and port\?\)$/,
		);
		expect((error as Error).message).not.toContain('pw-should-not-appear');
	});
});
