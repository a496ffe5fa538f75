// SQLite specifics: default location under the n8n user folder, file modes, WAL, the embedded key file and the busy timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { defaultStoreFile, isStoreError, openStore } from '../../lib/store';

describe('state store on SQLite: files and the embedded key', () => {
	let userFolder: string;
	const savedUserFolder = process.env.N8N_USER_FOLDER;

	beforeEach(() => {
		userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-n8n-user-'));
		process.env.N8N_USER_FOLDER = userFolder;
	});
	afterEach(() => {
		if (savedUserFolder === undefined) delete process.env.N8N_USER_FOLDER;
		else process.env.N8N_USER_FOLDER = savedUserFolder;
		fs.rmSync(userFolder, { recursive: true, force: true });
	});

	const mode = (file: string) => fs.statSync(file).mode & 0o777;

	it('defaults to <N8N_USER_FOLDER>/.n8n/psa-bridge/state.sqlite with a state.key beside it, both 0600, in WAL mode', async () => {
		const folder = path.join(userFolder, '.n8n', 'psa-bridge');
		expect(defaultStoreFile()).toBe(path.join(folder, 'state.sqlite'));
		const store = await openStore();
		try {
			expect(store.engine).toBe('sqlite');
			expect(store.location).toBe(path.join(folder, 'state.sqlite'));
			await store.links.set('c', 'alert', 'a-1', 1);
		} finally {
			await store.close();
		}
		expect(mode(path.join(folder, 'state.sqlite'))).toBe(0o600);
		expect(mode(path.join(folder, 'state.key'))).toBe(0o600);
		expect(mode(folder)).toBe(0o700);
		expect(fs.readFileSync(path.join(folder, 'state.key'), 'utf8')).toMatch(/^[A-Za-z0-9_-]{43}=\n$/);
		const raw = new BetterSqlite3(path.join(folder, 'state.sqlite'), { readonly: true });
		try {
			expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
		} finally {
			raw.close();
		}
	});

	it('falls back to the home folder when N8N_USER_FOLDER is not set', () => {
		delete process.env.N8N_USER_FOLDER;
		expect(defaultStoreFile()).toBe(path.join(os.homedir(), '.n8n', 'psa-bridge', 'state.sqlite'));
	});

	it('reuses the key file on the next open and reads the sealed data back', async () => {
		const first = await openStore();
		await first.memberMap.set({ connectionId: 'c', source: 'email', identity: 'k@x.io', memberId: 2, memberIdentifier: 'k', kind: 'manual' });
		await first.close();
		const keyFile = path.join(userFolder, '.n8n', 'psa-bridge', 'state.key');
		const key = fs.readFileSync(keyFile, 'utf8');
		const second = await openStore();
		try {
			expect((await second.memberMap.get('c', 'email', 'k@x.io'))?.memberId).toBe(2);
		} finally {
			await second.close();
		}
		expect(fs.readFileSync(keyFile, 'utf8')).toBe(key);
		// The same key given explicitly (as the credential would) opens it too.
		const explicit = await openStore({ engine: 'sqlite', keys: [key.trim()] });
		await explicit.close();
	});

	it('a missing key file for a store with sealed data is a clear error and no new key is made', async () => {
		const store = await openStore();
		await store.memberMap.set({ connectionId: 'c', source: 'email', identity: 'm@x.io', memberId: 2, memberIdentifier: 'm', kind: 'manual' });
		await store.close();
		const keyFile = path.join(userFolder, '.n8n', 'psa-bridge', 'state.key');
		fs.rmSync(keyFile);
		const error = await openStore().then(
			() => undefined,
			(caught: unknown) => caught,
		);
		expect(isStoreError(error, 'key')).toBe(true);
		expect((error as Error).message).toContain(`The PSA State Store key file ${keyFile} is missing`);
		expect(fs.existsSync(keyFile)).toBe(false);
	});

	it('a damaged key file is a clear error that does not print its content', async () => {
		await (await openStore()).close();
		const keyFile = path.join(userFolder, '.n8n', 'psa-bridge', 'state.key');
		fs.writeFileSync(keyFile, 'damaged-key-content-xyz\n');
		const error = await openStore().then(
			() => undefined,
			(caught: unknown) => caught,
		);
		expect((error as Error).message).toContain(`The PSA State Store key file ${keyFile} does not hold a valid key`);
		expect((error as Error).message).not.toContain('damaged-key-content');
	});

	it('a store made with the key file refuses another key, naming the file', async () => {
		await (await openStore()).close();
		const file = path.join(userFolder, '.n8n', 'psa-bridge', 'state.sqlite');
		await expect(openStore({ engine: 'sqlite', keys: [generateFernetKey()] })).rejects.toThrow(
			`The PSA State Store encryption key does not match the data in ${file}; use the key it was created with (previous keys go in "Previous Keys")`,
		);
	});

	it('a custom file gets its own key file (<name>.key) and folder', async () => {
		const file = path.join(userFolder, 'elsewhere', 'deep', 'links.db');
		const store = await openStore({ engine: 'sqlite', filename: file });
		await store.close();
		expect(mode(file)).toBe(0o600);
		expect(mode(path.join(userFolder, 'elsewhere', 'deep', 'links.key'))).toBe(0o600);
		expect(fs.existsSync(path.join(userFolder, '.n8n'))).toBe(false);
	});

	describe('busy timeout: a write waits for another process holding the write lock', () => {
		const children: ChildProcess[] = [];
		afterEach(() => {
			for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
		});

		/** Another process takes SQLite's write lock on the file, says "locked", and commits after holdMs. */
		function holdWriteLock(file: string, holdMs: number): Promise<ChildProcess> {
			const script = `
				const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
				const db = new Database(${JSON.stringify(file)});
				db.exec('begin immediate');
				process.stdout.write('locked\\n');
				setTimeout(() => { db.exec('commit'); db.close(); process.exit(0); }, ${holdMs});
			`;
			const env = { ...process.env };
			delete env.NODE_OPTIONS;
			const child = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
			children.push(child);
			return new Promise((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error('the lock holder did not start within 10 s')), 10000);
				let stderr = '';
				child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
				child.stdout?.on('data', (chunk: Buffer) => {
					if (!chunk.toString().includes('locked')) return;
					clearTimeout(timer);
					resolve(child);
				});
				child.on('exit', (code) => {
					clearTimeout(timer);
					reject(new Error(`the lock holder exited (${code}) before locking: ${stderr}`));
				});
			});
		}

		it('with the default timeout, a write made while another process holds the lock waits and then succeeds', async () => {
			const file = path.join(userFolder, 'busy.sqlite');
			const store = await openStore({ engine: 'sqlite', filename: file });
			try {
				const holdMs = 800;
				await holdWriteLock(file, holdMs);
				const started = Date.now();
				await store.links.set('c', 'alert', 'busy-1', 7);
				const waited = Date.now() - started;
				// Without a busy timeout SQLite answers SQLITE_BUSY at once; here the write went through after the lock was released.
				expect(waited).toBeGreaterThanOrEqual(holdMs - 300);
				expect(await store.links.find('c', 'alert', 'busy-1')).toMatchObject({ ticketId: 7 });
			} finally {
				await store.close();
			}
		});

		it('gives up after busyTimeoutMs with an error when the lock is held longer', async () => {
			const file = path.join(userFolder, 'busy-short.sqlite');
			const store = await openStore({ engine: 'sqlite', filename: file, busyTimeoutMs: 400 });
			try {
				await holdWriteLock(file, 30000);
				const started = Date.now();
				await expect(store.links.set('c', 'alert', 'busy-2', 8)).rejects.toThrow(/busy|locked/i);
				expect(Date.now() - started).toBeGreaterThanOrEqual(300);
			} finally {
				await store.close();
			}
		});
	});
});

describe('state store on SQLite: audit ids', () => {
	it('an audit id is never handed out twice, also after the newest row was pruned (record-once decides by the lowest id)', async () => {
		const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-audit-ids-'));
		const filename = path.join(folder, 'state.sqlite');
		const store = await openStore({ engine: 'sqlite', filename });
		try {
			await store.audit.record('c', 'note.quiet:1:k', {});
			const ids = () => {
				const db = new BetterSqlite3(filename, { readonly: true });
				try {
					return (db.prepare('select id from psa_audit_events order by id').all() as Array<{ id: number }>).map((row) => row.id);
				} finally {
					db.close();
				}
			};
			const [first] = ids();
			expect(await store.audit.prune('c', 'note.quiet:1:', Date.now() + 1000)).toBe(1);
			expect(await store.audit.recordOnce('c', 'note.quiet:1:k', {}, 0)).toBe(true);
			expect(ids()).toEqual([first + 1]);
		} finally {
			await store.close();
			fs.rmSync(folder, { recursive: true, force: true });
		}
	});
});

describe('state store on SQLite: audit prefix lookups', () => {
	it('find and prune by action prefix seek the (connection, action, at) index to the prefix range instead of reading every event of the connection', async () => {
		const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-audit-plan-'));
		const filename = path.join(folder, 'state.sqlite');
		const run: string[] = [];
		const store = await openStore({ engine: 'sqlite', filename }, { onStatement: (sql) => run.push(sql) });
		try {
			await store.audit.record('c', 'change:ab:1:5', {});
			run.length = 0;
			await store.audit.findByPrefix('c', 'change:ab:1:', 0, { limit: 1 });
			await store.audit.prune('c', 'change:ab:1:', 0);
			const prefixed = run.filter((sql) => /\blike\b/.test(sql));
			expect(prefixed).toHaveLength(2);
			const db = new BetterSqlite3(filename, { readonly: true });
			try {
				for (const sql of prefixed) {
					const parameters = (sql.match(/\?/g) ?? []).map(() => 'x');
					const plan = (db.prepare(`explain query plan ${sql}`).all(...parameters) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
					expect(plan).toMatch(/USING INDEX psa_audit_events_action \(connection_id=\? AND action>\? AND action<\?\)/);
				}
			} finally {
				db.close();
			}
		} finally {
			await store.close();
			fs.rmSync(folder, { recursive: true, force: true });
		}
	});
});
