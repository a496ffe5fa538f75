// Makes the upgrade fixture once: checks the first release's store code out of git, writes first-release-data.ts's rows with it to an SQLite file and to PostgreSQL, and dumps PostgreSQL to SQL. Run: npx tsx test/store/upgrade/make-fixture.ts
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { findPostgresBin, startPostgres } from '../../helpers/postgres';
import { FIRST_RELEASE_COMMIT, FIXTURE_PG_SCHEMA } from './first-release-data';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const FIXTURES = join(__dirname, 'fixtures');
export const SQLITE_FIXTURE = join(FIXTURES, 'first-release.db');
export const POSTGRES_FIXTURE = join(FIXTURES, 'first-release.pg.sql');

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
	const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000, ...options });
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}`);
	return result.stdout;
}

/** The first release's lib/ and migrations/ in a folder of their own, with today's node_modules (the same kysely 0.29.9, better-sqlite3 13.2.0 and pg 8 as its lock file). */
function checkOutFirstRelease(): string {
	const folder = mkdtempSync(join(tmpdir(), 'psa-first-release-'));
	const archive = join(folder, 'source.tar');
	run('git', ['archive', '--format=tar', '-o', archive, FIRST_RELEASE_COMMIT, 'lib', 'migrations'], { cwd: REPO_ROOT });
	run('tar', ['-xf', archive, '-C', folder]);
	rmSync(archive);
	symlinkSync(join(REPO_ROOT, 'node_modules'), join(folder, 'node_modules'), 'dir');
	copyFileSync(join(__dirname, 'first-release-data.ts'), join(folder, 'first-release-data.ts'));
	writeFileSync(join(folder, 'seed.ts'), SEED_PROGRAM);
	return folder;
}

/** Runs in the checked-out folder: the first release's openStore and repositories, nothing of today's code. */
const SEED_PROGRAM = `
import { openStore } from './lib/store';
import * as data from './first-release-data';

async function main() {
	let now = data.FIXTURE_EPOCH_MS;
	const at = (minute: number) => { now = data.minutes(minute); };
	const options = { ...JSON.parse(process.argv[2]), keys: [data.FIXTURE_TEST_ONLY_KEY], clock: () => now };
	const store = await openStore(options);
	try {
		for (const c of data.fixtureConnections) { at(c.minute); await store.connections.touch(c.connectionId, c.provider, c.label); }
		for (const l of data.fixtureLinks) {
			at(l.minute);
			if (l.how === 'set') { await store.links.set(l.connectionId, l.source, l.externalId, l.ticketId!); continue; }
			await store.links.claim(l.connectionId, l.source, l.externalId, l.claimToken);
			if (l.how === 'claimed') continue;
			await store.links.complete(l.connectionId, l.source, l.externalId, l.claimToken, l.ticketId!);
			if (l.how === 'closed') await store.links.setState(l.connectionId, l.source, l.externalId, 'closed');
		}
		for (const r of data.fixtureReceipts) {
			at(r.minute);
			await store.noteReceipts.claim(r.connectionId, r.dedupeKey, r.ticketId, r.claimToken);
			if (r.noteId !== null) await store.noteReceipts.markPosted(r.connectionId, r.dedupeKey, r.claimToken, r.noteId);
		}
		for (const m of data.fixtureMembers) {
			at(m.minute);
			await store.memberMap.set({ connectionId: m.connectionId, source: m.source, identity: m.identity, memberId: m.memberId, memberIdentifier: m.memberIdentifier, kind: m.kind });
		}
		for (const s of data.fixtureStatuses) {
			at(s.minute);
			await store.statusMap.set({ connectionId: s.connectionId, boardId: s.boardId, externalState: s.externalState, statusId: s.statusId, statusName: s.statusName });
		}
		for (const a of data.fixtureAudit) { at(a.minute); await store.audit.record(a.connectionId, a.action, a.detail); }
		process.stdout.write(JSON.stringify({ applied: store.appliedMigrations }) + '\\n');
	} finally {
		await store.close();
	}
}
main().catch((error) => { console.error(error); process.exit(1); });
`;

function seed(folder: string, options: Record<string, unknown>): void {
	const env = { ...process.env };
	delete env.NODE_OPTIONS;
	const output = run(process.execPath, ['--import', 'tsx', join(folder, 'seed.ts'), JSON.stringify(options)], { cwd: folder, env });
	console.log(`seeded ${String(options.engine)}: ${output.trim()}`);
}

/**
 * pg_dump's plain SQL with INSERTs (no COPY: the test restores it through the pg driver), the store's schema only.
 * psql-only lines (\restrict, \unrestrict) and settings an older server would refuse are dropped, so any PostgreSQL
 * the tests start can read it; everything else is pg_dump's own text.
 */
function dumpPostgres(host: string, port: number, database: string): string {
	const bin = findPostgresBin();
	if (!bin) throw new Error('pg_dump not found: install the Debian package postgresql');
	const dump = run(join(bin, 'pg_dump'), ['--no-owner', '--no-privileges', '--inserts', `--schema=${FIXTURE_PG_SCHEMA}`, '-h', host, '-p', String(port), '-U', 'postgres', database]);
	return dump
		.split('\n')
		.filter((line) => !/^\\(un)?restrict\b/.test(line) && !/^SET transaction_timeout\b/.test(line))
		.join('\n');
}

async function main(): Promise<void> {
	mkdirSync(FIXTURES, { recursive: true });
	const folder = checkOutFirstRelease();
	const server = await startPostgres();
	try {
		for (const file of [SQLITE_FIXTURE, `${SQLITE_FIXTURE}-wal`, `${SQLITE_FIXTURE}-shm`]) rmSync(file, { force: true });
		seed(folder, { engine: 'sqlite', filename: SQLITE_FIXTURE });
		if (existsSync(`${SQLITE_FIXTURE}-wal`)) throw new Error('the SQLite fixture still has a WAL file: the store was not closed');

		const admin = new Client({ connectionString: server.url });
		await admin.connect();
		await admin.query('create database fixture');
		await admin.end();
		seed(folder, { engine: 'postgres', host: server.host, port: server.port, user: server.user, database: 'fixture', schema: FIXTURE_PG_SCHEMA });
		writeFileSync(POSTGRES_FIXTURE, dumpPostgres(server.host, server.port, 'fixture'));
		console.log(`wrote ${SQLITE_FIXTURE} (${readFileSync(SQLITE_FIXTURE).length} bytes) and ${POSTGRES_FIXTURE}`);
	} finally {
		await server.stop();
		rmSync(folder, { recursive: true, force: true });
	}
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
