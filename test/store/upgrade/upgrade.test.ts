// Upgrading a store: one made by the first release opens under today's code, migrates and reads back; one a newer version migrated is refused untouched; a migration killed mid-way resumes. SQLite and PostgreSQL.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { migrations } from '../../../migrations';
import { isStoreError, openStore, type PsaStore } from '../../../lib/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres';
import { EngineHome, ENGINES, startWorker, StoreLocation, type Engine } from '../fixtures';
import {
	FIXTURE_PG_SCHEMA,
	FIXTURE_TEST_ONLY_KEY,
	fixtureAudit,
	fixtureConnections,
	fixtureLinks,
	fixtureMembers,
	fixtureReceipts,
	fixtureStatuses,
	minutes,
} from './first-release-data';
import { POSTGRES_FIXTURE, SQLITE_FIXTURE } from './make-fixture';

const FIRST_RELEASE_MIGRATIONS = ['001_connections', '002_ticket_links', '003_note_receipts', '004_member_map', '005_status_map', '006_audit_events'];
const LATER_MIGRATIONS = Object.keys(migrations).filter((name) => !FIRST_RELEASE_MIGRATIONS.includes(name));

/** A copy of the fixture to open: the SQLite file copied into the test's folder, or the dump restored into a database of its own. */
async function firstReleaseStore(home: EngineHome, cleanups: Array<() => Promise<void>>): Promise<StoreLocation> {
	if (home.engine === 'sqlite') {
		const filename = path.join(home.folder, `first-release-${cleanups.length}.sqlite`);
		fs.copyFileSync(SQLITE_FIXTURE, filename);
		fs.chmodSync(filename, 0o600);
		return new StoreLocation('sqlite', { filename });
	}
	const database: TestDatabase = await createTestDatabase('psa_upgrade');
	cleanups.push(() => database.drop());
	const client = new Client({ host: database.host, port: database.port, user: database.user, database: database.database });
	await client.connect();
	try {
		await client.query(fs.readFileSync(POSTGRES_FIXTURE, 'utf8'));
	} finally {
		await client.end();
	}
	return new StoreLocation('postgres', { host: database.host, port: database.port, user: database.user, database: database.database, schema: FIXTURE_PG_SCHEMA });
}

/** Everything stored, for "left untouched": the file's bytes (SQLite), or every table's columns, indexes and rows (PostgreSQL). */
async function snapshot(location: StoreLocation): Promise<string> {
	if (location.engine === 'sqlite') {
		const { filename } = location.where as { filename: string };
		const beside = [`${filename}-wal`, `${filename}-shm`, filename.replace(/\.sqlite$/, '.key')].filter((file) => fs.existsSync(file));
		return `${createHash('sha256').update(fs.readFileSync(filename)).digest('hex')} ${beside.join(',')}`;
	}
	const tables = await location.query<{ table_name: string }>(
		`select table_name from information_schema.tables where table_schema = '${FIXTURE_PG_SCHEMA}' order by table_name`,
	);
	const parts: unknown[] = [];
	for (const { table_name: table } of tables) {
		const columns = await location.query<{ column_name: string; data_type: string }>(
			`select column_name, data_type from information_schema.columns where table_schema = '${FIXTURE_PG_SCHEMA}' and table_name = '${table}' order by column_name`,
		);
		parts.push(table, columns);
		parts.push(await location.query(`select indexname, indexdef from pg_indexes where schemaname = '${FIXTURE_PG_SCHEMA}' and tablename = '${table}' order by indexname`));
		parts.push(await location.query(`select * from "${table}" order by ${columns.map((column) => `"${column.column_name}"`).join(', ')}`));
	}
	return JSON.stringify(parts);
}

/** Names in the store's migration table, read outside the store. */
async function recordedMigrations(location: StoreLocation): Promise<string[]> {
	return (await location.query<{ name: string }>('select name from psa_migrations order by name')).map((row) => row.name);
}

/** Every row the first release wrote, read back through today's repositories. */
async function expectFirstReleaseRows(store: PsaStore): Promise<void> {
	const summaries = await store.connections.list();
	expect(summaries.map(({ connectionId, provider, label, createdAt, links, memberMappings, noteReceipts, statusMappings }) => ({ connectionId, provider, label, createdAt, links, memberMappings, noteReceipts, statusMappings }))).toEqual(
		fixtureConnections.map((connection) => ({
			connectionId: connection.connectionId,
			provider: connection.provider,
			label: connection.label,
			createdAt: new Date(minutes(connection.minute)),
			links: fixtureLinks.filter((link) => link.connectionId === connection.connectionId).length,
			memberMappings: fixtureMembers.filter((member) => member.connectionId === connection.connectionId).length,
			noteReceipts: fixtureReceipts.filter((receipt) => receipt.connectionId === connection.connectionId).length,
			statusMappings: fixtureStatuses.filter((status) => status.connectionId === connection.connectionId).length,
		})),
	);

	for (const link of fixtureLinks) {
		const stored = await store.links.find(link.connectionId, link.source, link.externalId);
		expect({ link: link.externalId, stored }).toEqual({
			link: link.externalId,
			stored: expect.objectContaining({
				state: link.how === 'claimed' ? 'pending' : link.how === 'closed' ? 'closed' : 'linked',
				ticketId: link.ticketId,
				claimToken: link.how === 'claimed' ? link.claimToken : null,
				createdAt: new Date(minutes(link.minute)),
				// Migration 008's defaults for a link made before it.
				generation: 0,
				previousTicketId: null,
				occurrences: 0,
				ticketState: null,
				reopening: false,
			}),
		});
	}

	// Migration 007: a note belongs to one key; of two receipts naming note 502, the earlier keeps it and the later goes
	// back to an abandoned pending receipt, so its next attempt takes it over and posts its own note.
	const laterOfShared = 'incident-7:comment:1-retry';
	for (const receipt of fixtureReceipts) {
		const stored = await store.noteReceipts.find(receipt.connectionId, receipt.dedupeKey);
		const expected =
			receipt.dedupeKey === laterOfShared
				? { state: 'pending', noteId: null, claimToken: null }
				: receipt.noteId === null
					? { state: 'pending', noteId: null, claimToken: receipt.claimToken }
					: { state: 'posted', noteId: receipt.noteId, claimToken: null };
		expect({ key: receipt.dedupeKey, stored }).toEqual({
			key: receipt.dedupeKey,
			stored: expect.objectContaining({ ...expected, ticketId: receipt.ticketId, createdAt: new Date(minutes(receipt.minute)) }),
		});
	}

	// Identities are sealed with the fixture's key and found by the keyed hash under the store's sealed lookup key.
	for (const member of fixtureMembers) {
		expect(await store.memberMap.get(member.connectionId, member.source, member.identity)).toEqual({
			connectionId: member.connectionId,
			source: member.source,
			identity: member.identity,
			memberId: member.memberId,
			memberIdentifier: member.memberIdentifier,
			kind: member.kind,
			updatedAt: new Date(minutes(member.minute)),
		});
	}
	const damaged: unknown[] = [];
	const listed = await store.memberMap.list('cw-acme', { onDamaged: (row) => damaged.push(row) });
	expect(listed.map((mapping) => mapping.identity).sort()).toEqual(fixtureMembers.filter((m) => m.connectionId === 'cw-acme').map((m) => m.identity).sort());
	expect(damaged).toEqual([]);

	for (const status of fixtureStatuses) {
		expect(await store.statusMap.get(status.connectionId, status.boardId, status.externalState)).toEqual({
			connectionId: status.connectionId,
			boardId: status.boardId,
			externalState: status.externalState,
			statusId: status.statusId,
			statusName: status.statusName,
			updatedAt: new Date(minutes(status.minute)),
		});
	}

	const events = await store.audit.list('cw-acme', {}, (row) => damaged.push(row));
	expect([...events].sort((a, b) => a.at.getTime() - b.at.getTime())).toEqual(
		fixtureAudit.map((event) => ({ connectionId: event.connectionId, action: event.action, detail: event.detail, at: new Date(minutes(event.minute)) })),
	);
	expect(damaged).toEqual([]);
}

describe.each<Engine>(ENGINES)('a store made by the first release (%s)', (engine) => {
	const home = new EngineHome(engine, 'upgrade');
	const cleanups: Array<() => Promise<void>> = [];
	beforeAll(() => home.setUp());
	afterAll(async () => {
		for (const cleanup of cleanups.splice(0)) await cleanup();
		await home.tearDown();
	});
	const keys = [FIXTURE_TEST_ONLY_KEY];

	it('opens under the current code, applies the later migrations once, and every link, receipt, mapping and sealed value reads back', async () => {
		const location = await firstReleaseStore(home, cleanups);
		expect(await recordedMigrations(location)).toEqual(FIRST_RELEASE_MIGRATIONS);

		const store = await openStore(location.options(keys));
		try {
			expect(store.appliedMigrations).toEqual(LATER_MIGRATIONS);
			await expectFirstReleaseRows(store);

			// The store works on: a create the old version left in flight is taken over (and searched for first), a
			// callback secret (migration 010) is sealed and read back, and nothing needs re-sealing.
			const inFlight = fixtureLinks.find((link) => link.how === 'claimed')!;
			const takeOver = await store.links.takeOver(inFlight.connectionId, inFlight.source, inFlight.externalId, 'after-upgrade', 0);
			expect(takeOver).toEqual({ claimed: true, row: expect.objectContaining({ state: 'pending', ticketId: null, searchFirst: true }) });
			expect(await store.links.complete(inFlight.connectionId, inFlight.source, inFlight.externalId, 'after-upgrade', 1004)).toBe(true);
			await store.callbackSecrets.set({ connectionId: 'cw-acme', workflowId: 'wf-1', nodeId: 'node-1', callbackId: 77, callbackGuid: null, secret: 'signing-secret' });
			expect(await store.callbackSecrets.get('cw-acme', 'wf-1', 'node-1')).toEqual(expect.objectContaining({ callbackId: 77, secret: 'signing-secret' }));
			expect(await store.resealAll()).toEqual({ memberMappings: 0, auditEvents: 0, callbackSecrets: 0, meta: 0, damaged: [] });

			// Migration 013: on SQLite an audit row writes itself and one index (the action's); on both, new rows number on
			// from the largest id the old version wrote (AUTOINCREMENT kept: record-once relies on ids never coming back).
			if (engine === 'sqlite') {
				const indexes = await location.query<{ name: string }>("select name from sqlite_master where type = 'index' and tbl_name = 'psa_audit_events' and sql is not null");
				expect(indexes.map((index) => index.name)).toEqual(['psa_audit_events_action']);
				const [table] = await location.query<{ sql: string }>("select sql from sqlite_master where type = 'table' and name = 'psa_audit_events'");
				expect(table.sql).toMatch(/autoincrement/i);
			}
			const [{ largest }] = await location.query<{ largest: number | string }>('select max(id) as largest from psa_audit_events');
			await store.audit.record('cw-acme', 'after-upgrade', { n: 1 });
			const [added] = await location.query<{ id: number | string }>("select id from psa_audit_events where action = 'after-upgrade'");
			expect(Number(added.id)).toBeGreaterThan(Number(largest));
		} finally {
			await store.close();
		}

		const again = await openStore(location.options(keys));
		try {
			expect(again.appliedMigrations).toEqual([]);
			expect(await recordedMigrations(location)).toEqual(Object.keys(migrations));
			expect((await again.links.find('cw-acme', 'alertmanager', 'DiskFull/web-2'))?.ticketId).toBe(1004);
		} finally {
			await again.close();
		}
	});

	it('refuses a store a newer version migrated, with an error that says what to do, and leaves it untouched', async () => {
		const location = await firstReleaseStore(home, cleanups);
		// A newer package: every migration of today's, and one more.
		const newer = {
			...migrations,
			// eslint-disable-next-line @typescript-eslint/no-explicit-any
			'011_newer_feature': { up: async (db: any) => db.schema.createTable('psa_newer_feature').addColumn('id', 'integer').execute() },
		};
		await (await openStore(location.options(keys), { migrations: newer })).close();
		const before = await snapshot(location);

		const refusal = await openStore(location.options(keys)).then(
			(store) => store.close().then(() => undefined),
			(error: unknown) => error,
		);
		expect(isStoreError(refusal, 'migration')).toBe(true);
		expect((refusal as Error).message).toBe(
			`The PSA State Store ${location.engine === 'sqlite' ? (location.where as { filename: string }).filename : `PostgreSQL database "${(location.where as { database: string }).database}" (schema "${FIXTURE_PG_SCHEMA}") on ${(location.where as { host: string }).host}:${(location.where as { port: number }).port}`} was migrated by a newer version of n8n-nodes-psa-bridge: it holds migration 011_newer_feature, which this version (migrations up to ${LATER_MIGRATIONS[LATER_MIGRATIONS.length - 1]}) does not have. It was left unchanged.`,
		);
		expect((refusal as { hint?: string }).hint).toBe(
			'Install the version of n8n-nodes-psa-bridge that last opened this store, or a newer one (a store is never migrated back), or point the PSA State Store credential at another store',
		);
		expect(await snapshot(location)).toBe(before);

		if (engine === 'sqlite') {
			// Without keys in the options the SQLite store would read (or make) its key file: the refusal comes first.
			const keyFile = (location.where as { filename: string }).filename.replace(/\.sqlite$/, '.key');
			await expect(openStore(location.options())).rejects.toThrow('was migrated by a newer version of n8n-nodes-psa-bridge');
			expect(fs.existsSync(keyFile)).toBe(false);
			expect(await snapshot(location)).toBe(before);
		}
	});

	it('a migration killed mid-way leaves the store as the first release left it, and the next open resumes', async () => {
		const location = await firstReleaseStore(home, cleanups);
		const worker = startWorker({ mode: 'hang-in-migration', hangAfter: '008_link_lifecycle', options: location.options(keys) });
		await worker.ready;
		worker.go();
		expect(await worker.answer).toEqual({ migrated: '008_link_lifecycle' });
		worker.child.kill('SIGKILL');
		expect(await worker.exited).toBeNull();

		// The migrations run in one transaction: 007 and 008 ran, and none of it was kept.
		expect(await recordedMigrations(location)).toEqual(FIRST_RELEASE_MIGRATIONS);
		const linkColumns =
			engine === 'sqlite'
				? (await location.query<{ name: string }>("select name from pragma_table_info('psa_ticket_links')")).map((row) => row.name)
				: (await location.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = '${FIXTURE_PG_SCHEMA}' and table_name = 'psa_ticket_links'`)).map((row) => row.column_name);
		expect(linkColumns).not.toContain('generation');

		const store = await openStore(location.options(keys));
		try {
			expect(store.appliedMigrations).toEqual(LATER_MIGRATIONS);
			await expectFirstReleaseRows(store);
		} finally {
			await store.close();
		}
	});
});
