// Scenario 4: link lookup and claim latency (p50 / p99) at 1k, 100k and 1M links on SQLite and PostgreSQL, and bytes per link.
import './preload';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { generateFernetKey } from '../lib/crypto/fernet';
import { openStore, DEFAULT_POSTGRES_SCHEMA } from '../lib/store';
import type { PsaStore } from '../lib/store/types';
import { startPostgres, type RunningPostgres } from '../test/helpers/postgres';
import { SMALL, fixed, log, percentile, scaled, table, runAlone, type Section, type TargetResult } from './common';

const CONNECTION = 'bench-connection';
const SOURCE = 'monitor';
const externalIdOf = (index: number) => `alert-${index.toString().padStart(8, '0')}`;

interface Latencies {
	engine: 'sqlite' | 'postgres';
	links: number;
	operation: string;
	p50: number;
	p99: number;
	max: number;
}

interface Size {
	engine: 'sqlite' | 'postgres';
	links: number;
	bytes: number;
	method: string;
}

/** A loader appends links [from, to) as fast as the engine allows: multi-row inserts inside transactions. */
type Loader = (from: number, to: number) => Promise<void>;

async function latencies(operation: (index: number) => Promise<unknown>, count: number): Promise<{ p50: number; p99: number; max: number }> {
	const samples: number[] = [];
	for (let index = 0; index < count; index++) {
		const start = process.hrtime.bigint();
		await operation(index);
		samples.push(Number(process.hrtime.bigint() - start) / 1e6);
	}
	samples.sort((a, b) => a - b);
	return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples[samples.length - 1] };
}

/** Random existing links looked up and new links claimed, through the repository the services use. */
async function measureAt(engine: 'sqlite' | 'postgres', store: PsaStore, links: number, operations: number, claimBase: number, extra?: (index: number) => unknown): Promise<Latencies[]> {
	const random = (index: number) => (Math.imul(index + 1, 2654435761) >>> 0) % links;
	// Warm the connection / statement paths before timing.
	for (let index = 0; index < 50; index++) await store.links.find(CONNECTION, SOURCE, externalIdOf(random(index + 7)));
	const rows: Latencies[] = [];
	const find = await latencies(async (index) => {
		const found = await store.links.find(CONNECTION, SOURCE, externalIdOf(random(index)));
		if (!found) throw new Error(`link ${random(index)} not found`);
	}, operations);
	rows.push({ engine, links, operation: 'find (existing link)', ...find });
	const miss = await latencies(async (index) => {
		if (await store.links.find(CONNECTION, SOURCE, `missing-${index}`)) throw new Error('found a link that does not exist');
	}, operations);
	rows.push({ engine, links, operation: 'find (no link)', ...miss });
	const claim = await latencies(async (index) => {
		const result = await store.links.claim(CONNECTION, SOURCE, `claim-${claimBase + index}`, `token-${index}`);
		if (!result.claimed) throw new Error('claim of a new link was refused');
	}, operations);
	rows.push({ engine, links, operation: engine === 'sqlite' ? 'claim (new link; durable: synchronous=FULL commit)' : 'claim (new link)', ...claim });
	if (extra) {
		const raw = await latencies(async (index) => extra(random(index)), operations);
		rows.push({ engine, links, operation: 'find, raw prepared statement (no Kysely; reference)', ...raw });
	}
	return rows;
}

/**
 * What writes cost: every ticket change writes one sealed audit row (its own commit, synchronous=NORMAL), and the raw
 * commit under NORMAL and under FULL, the level the store uses for claims only (a claim waits for the WAL sync).
 */
async function writeCosts(store: PsaStore, links: number, count: number): Promise<Latencies[]> {
	const rows: Latencies[] = [];
	const audit = await latencies((index) => store.audit.record(CONNECTION, 'bench.write', { ticketId: index }), count);
	rows.push({ engine: 'sqlite', links, operation: 'audit.record (one sealed insert, as each ticket change writes; NORMAL)', ...audit });
	for (const synchronous of ['FULL', 'NORMAL']) {
		const folder = mkdtempSync(join(tmpdir(), 'psa-bench-sync-'));
		const db = new Database(join(folder, 'sync.sqlite'));
		try {
			db.pragma('journal_mode = WAL');
			db.pragma(`synchronous = ${synchronous}`);
			db.exec('create table t (id integer primary key, detail text not null)');
			const insert = db.prepare('insert into t (detail) values (?)');
			const result = await latencies(async () => insert.run('x'.repeat(160)), count);
			rows.push({ engine: 'sqlite', links, operation: `raw autocommit insert, WAL, synchronous=${synchronous} (reference${synchronous === 'FULL' ? ': a claim commit' : ': every other commit'})`, ...result });
		} finally {
			db.close();
			rmSync(folder, { recursive: true, force: true });
		}
	}
	return rows;
}

async function benchSqlite(sizes: number[], operations: number): Promise<{ latencies: Latencies[]; sizes: Size[] }> {
	const folder = mkdtempSync(join(tmpdir(), 'psa-bench-store-'));
	const filename = join(folder, 'state.sqlite');
	const store = await openStore({ engine: 'sqlite', filename, keys: [generateFernetKey()] });
	const raw = new Database(filename);
	raw.pragma('journal_mode = WAL');
	const results: Latencies[] = [];
	const sizeRows: Size[] = [];
	try {
		await store.connections.touch(CONNECTION, 'connectwise', 'bench');
		const batch = 500;
		const statement = raw.prepare(
			`insert into psa_ticket_links (connection_id, source, external_id, state, ticket_id, claim_token, created_at, updated_at) values ${Array.from({ length: batch }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
		);
		const load: Loader = async (from, to) => {
			const now = Date.now();
			const insertAll = raw.transaction(() => {
				for (let start = from; start < to; start += batch) {
					const values: unknown[] = [];
					for (let index = start; index < start + batch; index++) values.push(CONNECTION, SOURCE, externalIdOf(index), 'linked', 100000 + index, null, now, now);
					statement.run(values);
				}
			});
			insertAll();
		};
		const findRaw = raw.prepare('select * from psa_ticket_links where connection_id = ? and source = ? and external_id = ?');
		let loaded = 0;
		let claimed = 0;
		for (const links of sizes) {
			const { ms: loadMs } = await timedMs(() => load(loaded, links));
			loaded = links;
			claimed += operations;
			raw.pragma('wal_checkpoint(TRUNCATE)');
			log(`sqlite: ${links} links loaded (${loadMs.toFixed(0)} ms)`);
			results.push(...(await measureAt('sqlite', store, links, operations, links, (index) => findRaw.get(CONNECTION, SOURCE, externalIdOf(index)))));
			if (links === sizes[0]) results.push(...(await writeCosts(store, links, Math.min(operations, 500))));
			raw.pragma('wal_checkpoint(TRUNCATE)');
			const { pageSize, pages } = { pageSize: raw.pragma('page_size', { simple: true }) as number, pages: raw.pragma('page_count', { simple: true }) as number };
			let bytes = pageSize * pages;
			let method = 'page_count x page_size (whole file)';
			try {
				// dbstat counts the pages of the links table and its indexes only.
				const row = raw
					.prepare("select sum(pgsize) as bytes from dbstat where name = 'psa_ticket_links' or tbl_name = 'psa_ticket_links' or name like 'sqlite_autoindex_psa_ticket_links%' or name = 'psa_ticket_links_ticket'")
					.get() as { bytes: number | null };
				if (row.bytes) {
					bytes = row.bytes;
					method = 'dbstat (links table and its indexes)';
				}
			} catch {
				// dbstat not compiled in: the whole file (the other tables are a few pages).
			}
			sizeRows.push({ engine: 'sqlite', links: links + claimed, bytes, method });
			log(`sqlite: file ${statSync(filename).size} bytes at ${links} links`);
		}
	} finally {
		raw.close();
		await store.close();
		rmSync(folder, { recursive: true, force: true });
	}
	return { latencies: results, sizes: sizeRows };
}

async function benchPostgres(sizes: number[], operations: number): Promise<{ latencies: Latencies[]; sizes: Size[] } | { skipped: string }> {
	let server: RunningPostgres;
	try {
		server = await startPostgres();
	} catch (error) {
		return { skipped: (error as Error).message.split('\n')[0] };
	}
	const results: Latencies[] = [];
	const sizeRows: Size[] = [];
	const client = new Client({ connectionString: server.url });
	let store: PsaStore | undefined;
	try {
		store = await openStore({ engine: 'postgres', host: server.host, port: server.port, database: 'postgres', user: server.user, keys: [generateFernetKey()] });
		await client.connect();
		await store.connections.touch(CONNECTION, 'connectwise', 'bench');
		const table = `"${DEFAULT_POSTGRES_SCHEMA}".psa_ticket_links`;
		const batch = 10000;
		const load: Loader = async (from, to) => {
			const now = Date.now();
			await client.query('begin');
			for (let start = from; start < to; start += batch) {
				const ids: string[] = [];
				const tickets: number[] = [];
				for (let index = start; index < Math.min(start + batch, to); index++) {
					ids.push(externalIdOf(index));
					tickets.push(100000 + index);
				}
				// One statement per 10,000 rows: arrays unnested server-side.
				await client.query(
					`insert into ${table} (connection_id, source, external_id, state, ticket_id, claim_token, created_at, updated_at)
					 select $1, $2, e, 'linked', t, null, $3, $3 from unnest($4::text[], $5::bigint[]) as u(e, t)`,
					[CONNECTION, SOURCE, now, ids, tickets],
				);
			}
			await client.query('commit');
			// The state a store reaches as links accumulate over months: autovacuum has visited the rows (visibility map,
			// hint bits) and the checkpointer has written them out. Measured right after a bulk load instead, the lookups
			// would share the two cores with the autovacuum and checkpoint the load itself triggers.
			await client.query(`vacuum (analyze) ${table}`);
			await client.query('checkpoint');
		};
		let loaded = 0;
		let claimed = 0;
		for (const links of sizes) {
			const { ms: loadMs } = await timedMs(() => load(loaded, links));
			loaded = links;
			claimed += operations;
			log(`postgres: ${links} links loaded (${loadMs.toFixed(0)} ms)`);
			results.push(...(await measureAt('postgres', store, links, operations, links)));
			const { rows } = await client.query<{ bytes: string }>(`select pg_total_relation_size('${table}') as bytes`);
			sizeRows.push({ engine: 'postgres', links: links + claimed, bytes: Number(rows[0].bytes), method: 'pg_total_relation_size (table, indexes, TOAST)' });
		}
	} finally {
		await client.end().catch(() => undefined);
		await store?.close();
		await server.stop();
	}
	return { latencies: results, sizes: sizeRows };
}

async function timedMs(work: () => Promise<void>): Promise<{ ms: number }> {
	const start = process.hrtime.bigint();
	await work();
	return { ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

export async function run(): Promise<Section> {
	const sizes = SMALL ? [1000, 10000] : [1000, 100000, 1000000];
	const operations = scaled(2000, 300);
	const sqlite = await benchSqlite(sizes, operations);
	const postgres = await benchPostgres(sizes, operations);
	const all = [...sqlite.latencies, ...('latencies' in postgres ? postgres.latencies : [])];
	const rows = all.map((row) => [row.engine, row.links.toLocaleString('en-US'), row.operation, `${fixed(row.p50, 3)} ms`, `${fixed(row.p99, 3)} ms`, `${fixed(row.max, 3)} ms`]);
	const sizeRows = [...sqlite.sizes, ...('sizes' in postgres ? postgres.sizes : [])].map((size) => [
		size.engine,
		size.links.toLocaleString('en-US'),
		`${(size.bytes / 1024 / 1024).toFixed(1)} MiB`,
		fixed(size.bytes / size.links, 0),
		size.method,
	]);
	const largest = sizes[sizes.length - 1];
	const targets: TargetResult[] = [];
	for (const engine of ['sqlite', 'postgres'] as const) {
		const row = all.find((candidate) => candidate.engine === engine && candidate.links === largest && candidate.operation === 'find (existing link)');
		if (!row) {
			targets.push({ target: `p99 link lookup < 1 ms at ${largest.toLocaleString('en-US')} links (${engine})`, measured: `not measured: ${'skipped' in postgres ? postgres.skipped : 'no result'}`, met: false });
			continue;
		}
		targets.push({ target: `p99 link lookup < 1 ms at ${largest.toLocaleString('en-US')} links (${engine})`, measured: `p50 ${fixed(row.p50, 3)} ms, p99 ${fixed(row.p99, 3)} ms`, met: row.p99 < 1 });
	}
	const markdown = [
		`${SMALL ? 'BENCH_SCALE=small. ' : ''}Links bulk-loaded with multi-row inserts inside transactions (SQLite: 500 rows per statement; PostgreSQL: 10,000 rows per statement via \`unnest\`, then \`VACUUM (ANALYZE)\` and \`CHECKPOINT\`, the state autovacuum and the checkpointer keep a store in as links accumulate), then ${operations.toLocaleString('en-US')} individual calls each, timed one by one through the store's repository (\`store.links.find\` / \`store.links.claim\`, as the services call them). One connection id; keys spread over the whole range. SQLite: the default file store (WAL). PostgreSQL: a local server (fsync off, as the test server runs), reached over loopback TCP.`,
		'skipped' in postgres ? `PostgreSQL: skipped — ${postgres.skipped}` : '',
		'',
		table(['engine', 'links', 'operation', 'p50', 'p99', 'max'], rows),
		'',
		'Bytes per link (the row count includes the links claimed during the measurement):',
		'',
		table(['engine', 'links', 'size', 'bytes per link', 'measured by'], sizeRows),
	].join('\n');
	return { title: '4. Store: lookup and claim latency, bytes per link', markdown, targets };
}

runAlone(module, run);
