// Store test fixtures: a fresh store location per test on either engine, raw SQL access to check what is stored, worker processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import type { StoreOptions } from '../../lib/store';

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: Engine[] = ['sqlite', 'postgres'];
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** One engine's home for a test file: a temp folder (SQLite) or a database of its own (PostgreSQL). */
export class EngineHome {
	readonly engine: Engine;
	#folder: string | undefined;
	#database: TestDatabase | undefined;
	#prefix: string;

	constructor(engine: Engine, prefix: string) {
		this.engine = engine;
		this.#prefix = prefix;
	}

	async setUp(): Promise<void> {
		if (this.engine === 'sqlite') this.#folder = fs.mkdtempSync(path.join(os.tmpdir(), `psa-store-${this.#prefix}-`));
		else this.#database = await createTestDatabase(`psa_${this.#prefix}`);
	}

	async tearDown(): Promise<void> {
		if (this.#folder) fs.rmSync(this.#folder, { recursive: true, force: true });
		if (this.#database) await this.#database.drop();
	}

	get folder(): string {
		if (!this.#folder) throw new Error('SQLite home not set up');
		return this.#folder;
	}

	/** A new, empty store location (file or schema) on this engine. */
	newLocation(): StoreLocation {
		const suffix = randomBytes(4).toString('hex');
		if (this.engine === 'sqlite') return new StoreLocation('sqlite', { filename: path.join(this.folder, `state-${suffix}.sqlite`) });
		const database = this.#database;
		if (!database) throw new Error('PostgreSQL home not set up');
		return new StoreLocation('postgres', {
			host: database.host,
			port: database.port,
			user: database.user,
			database: database.database,
			schema: `s_${suffix}`,
		});
	}
}

interface SqliteWhere {
	filename: string;
}
interface PostgresWhere {
	host: string;
	port: number;
	user: string;
	database: string;
	schema: string;
}

export class StoreLocation {
	constructor(
		readonly engine: Engine,
		readonly where: SqliteWhere | PostgresWhere,
	) {}

	options(keys?: string[], extra: Record<string, unknown> = {}): StoreOptions {
		if (this.engine === 'sqlite') return { engine: 'sqlite', ...(this.where as SqliteWhere), ...(keys ? { keys } : {}), ...extra } as StoreOptions;
		return { engine: 'postgres', ...(this.where as PostgresWhere), keys: keys ?? [], ...extra } as StoreOptions;
	}

	/** Runs SQL outside the store (to look at what is really stored). */
	async query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
		if (this.engine === 'sqlite') {
			const db = new BetterSqlite3((this.where as SqliteWhere).filename, { timeout: 5000 });
			try {
				const statement = db.prepare(text);
				if (statement.reader) return statement.all(...params) as T[];
				statement.run(...params);
				return [];
			} finally {
				db.close();
			}
		}
		const where = this.where as PostgresWhere;
		const client = new Client({ host: where.host, port: where.port, user: where.user, database: where.database, connectionTimeoutMillis: 10000 });
		await client.connect();
		try {
			await client.query(`set search_path = "${where.schema}"`);
			// pg numbers its placeholders $1..$n; the tests write "?" as for SQLite.
			let index = 0;
			const converted = text.replace(/\?/g, () => `$${++index}`);
			return (await client.query(converted, params)).rows as T[];
		} finally {
			await client.end();
		}
	}
}

export interface WorkerHandle {
	child: ChildProcess;
	ready: Promise<unknown>;
	/** The worker's answer, once it is given (the worker may still run). */
	answer: Promise<unknown>;
	/** The answer, once the worker has exited. */
	result: Promise<unknown>;
	/** Resolves with the exit code when the worker has exited. */
	exited: Promise<number | null>;
	go(): void;
}

const WORKER = path.join(__dirname, 'workers', 'store-worker.ts');
const WORKER_TIMEOUT_MS = 120000;

/**
 * Starts test/store/workers/store-worker.ts in its own Node process (tsx transpiles it). It prints one JSON line when
 * ready, waits for "go" on stdin, does its job and prints one JSON result line. Every worker is killed at its deadline.
 */
export function startWorker(job: Record<string, unknown>): WorkerHandle {
	const env = { ...process.env };
	delete env.NODE_OPTIONS;
	const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(job)], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const lines = readline.createInterface({ input: child.stdout! });
	const messages: unknown[] = [];
	const waiters: Array<(value: unknown) => void> = [];
	lines.on('line', (line) => {
		let message: unknown;
		try {
			message = JSON.parse(line);
		} catch {
			return;
		}
		const waiter = waiters.shift();
		if (waiter) waiter(message);
		else messages.push(message);
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
	const exited = new Promise<number | null>((resolve) =>
		child.on('exit', (code) => {
			clearTimeout(timer);
			resolve(code);
		}),
	);
	const next = () =>
		new Promise<unknown>((resolve, reject) => {
			const queued = messages.shift();
			if (queued !== undefined) return resolve(queued);
			waiters.push(resolve);
			void exited.then((code) => reject(new Error(`worker exited (code ${code}) before answering:\n${stderr}`)));
		});
	const ready = next();
	const answer = ready.then(() => next());
	const result = answer.then(async (message) => {
		await exited;
		return message;
	});
	return { child, ready, answer, result, exited, go: () => child.stdin?.end('go\n') };
}
