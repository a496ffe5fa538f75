// Test helper: a throwaway PostgreSQL server (Debian package `postgresql`) on a free loopback port, and a database per test file.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** Set by global setup: the server's URL, or why there is none. */
export const PG_URL_ENV = 'PSA_TEST_PG_URL';
export const PG_ERROR_ENV = 'PSA_TEST_PG_ERROR';

const INSTALL_HINT = 'install the Debian package `postgresql` (apt-get install postgresql; .ci/run does this)';
const START_TIMEOUT_MS = 30000;

export interface RunningPostgres {
	url: string;
	host: string;
	port: number;
	user: string;
	dataDir: string;
	stop(): Promise<void>;
}

export function findPostgresBin(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!fs.existsSync(root)) return undefined;
	const versions = fs
		.readdirSync(root)
		.filter((name) => fs.existsSync(path.join(root, name, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length > 0 ? path.join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address() as net.AddressInfo;
			server.close(() => resolve(address.port));
		});
	});
}

/** initdb refuses to run as root: as root, run the server as the `postgres` user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
	return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function runServerCommand(command: string, args: string[], timeoutMs: number): Promise<void> {
	const [file, argv] = asServerUser(command, args);
	try {
		await run(file, argv, { timeout: timeoutMs });
	} catch (error) {
		const failure = error as Error & { stderr?: string; stdout?: string };
		throw new Error(`${path.basename(command)} failed: ${failure.message}\n${failure.stderr ?? ''}${failure.stdout ?? ''}`.trim());
	}
}

async function waitForConnections(url: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	while (Date.now() < deadline) {
		const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
		try {
			await client.connect();
			await client.query('select 1');
			await client.end();
			return;
		} catch (error) {
			lastError = error;
			await client.end().catch(() => undefined);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}
	throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${(lastError as Error)?.message}`);
}

export async function startPostgres(): Promise<RunningPostgres> {
	const bin = findPostgresBin();
	if (!bin) throw new Error(`PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: ${INSTALL_HINT}`);
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-pg-'));
	if (process.getuid?.() === 0) {
		await run('chown', ['postgres:postgres', dataDir]);
	}
	const user = 'postgres';
	try {
		await runServerCommand(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', user, '-E', 'UTF8', '--no-sync'], START_TIMEOUT_MS);
		// Another process may take the free port between our check and the server's bind: try a few.
		let lastError: unknown;
		for (let attempt = 0; attempt < 3; attempt++) {
			const port = await freePort();
			try {
				await runServerCommand(
					path.join(bin, 'pg_ctl'),
					[
						'-D',
						dataDir,
						'-o',
						`-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
						'-l',
						path.join(dataDir, 'server.log'),
						'-w',
						'-t',
						String(START_TIMEOUT_MS / 1000),
						'start',
					],
					START_TIMEOUT_MS + 5000,
				);
				const url = `postgres://${user}@127.0.0.1:${port}/postgres`;
				await waitForConnections(url, START_TIMEOUT_MS);
				return {
					url,
					host: '127.0.0.1',
					port,
					user,
					dataDir,
					stop: () => stopPostgres(bin, dataDir),
				};
			} catch (error) {
				lastError = error;
				await runServerCommand(path.join(bin, 'pg_ctl'), ['-D', dataDir, 'stop', '-m', 'immediate', '-w', '-t', '10'], 15000).catch(() => undefined);
			}
		}
		const log = fs.existsSync(path.join(dataDir, 'server.log')) ? fs.readFileSync(path.join(dataDir, 'server.log'), 'utf8').slice(-2000) : '';
		throw new Error(`PostgreSQL did not start: ${(lastError as Error)?.message}\n${log}`);
	} catch (error) {
		fs.rmSync(dataDir, { recursive: true, force: true });
		throw error;
	}
}

async function stopPostgres(bin: string, dataDir: string): Promise<void> {
	try {
		await runServerCommand(path.join(bin, 'pg_ctl'), ['-D', dataDir, 'stop', '-m', 'fast', '-w', '-t', '30'], 35000);
	} finally {
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}

/** The server global setup started; fails with the reason (and how to fix it) when there is none. */
export function testPostgresUrl(): string {
	const url = process.env[PG_URL_ENV];
	if (url) return url;
	const reason = process.env[PG_ERROR_ENV];
	const why = reason ?? 'global setup did not start one (run the tests through jest with jest.config.js)';
	throw new Error(`No PostgreSQL server for the store tests: ${why}${why.includes(INSTALL_HINT) ? '' : `. The PostgreSQL suite needs the server binaries: ${INSTALL_HINT}`}`);
}

export interface TestDatabase {
	host: string;
	port: number;
	user: string;
	database: string;
	drop(): Promise<void>;
}

/** A fresh database on the shared test server, so test files can run in parallel without seeing each other's rows. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
	const url = new URL(testPostgresUrl());
	const database = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
	const admin = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 10000 });
	await admin.connect();
	try {
		await admin.query(`create database "${database}"`);
	} finally {
		await admin.end();
	}
	return {
		host: url.hostname,
		port: Number(url.port),
		user: decodeURIComponent(url.username),
		database,
		async drop() {
			const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 10000 });
			await client.connect();
			try {
				await client.query(`drop database if exists "${database}" with (force)`);
			} finally {
				await client.end();
			}
		},
	};
}
