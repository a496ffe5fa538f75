// A real n8n 2.30 for the end-to-end suite: installed once into a cache outside the clone, run with throwaway user folders.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { InstallProgress } from './install-progress';
import { BackgroundProcess, freePort, onCleanup, runChecked, runCommand, sleep, tail, waitFor, type RunResult } from './processes';

export const N8N_VERSION = '2.30.0';
// n8n's own xlsx dependency is a CDN tarball that is unreachable from here, and newer linkedom needs a package
// the registry lacks; these two overrides are what make 2.30.0 install (measured in ../shared/dev/n8n-facts.md).
export const N8N_OVERRIDES = { xlsx: '0.18.5', linkedom: '0.18.12' };
// A fixed key keeps credentials imported by one CLI call readable by the next call and the server.
export const E2E_ENCRYPTION_KEY = 'psa-bridge-e2e-encryption-key-not-secret';

const INSTALL_TIMEOUT_MS = 20 * 60_000;
const PROGRESS_EVERY_MS = 10_000;
// Measured on a 2-core machine (docs/getting-started.md); keep both in step.
const INSTALL_ESTIMATE = 'about 5 min and 3.1 GB';

export function e2eCacheRoot(): string {
	return process.env.PSA_E2E_CACHE || join(homedir(), '.cache', 'psa-bridge-e2e');
}

export interface N8nInstall {
	dir: string;
	/** n8n's bin script, run with this Node (24). */
	bin: string;
	version: string;
}

function installSpec(): string {
	return JSON.stringify({ n8n: N8N_VERSION, overrides: N8N_OVERRIDES, node: process.versions.node.split('.')[0] });
}

/**
 * n8n's sqlite3 dependency compiles from source here (its prebuilt download is unreachable), and node-gyp would
 * download Node's headers unless told where they are: point it at the running Node's own include folder.
 */
function nativeBuildEnv(): Record<string, string> {
	if (process.env.npm_config_nodedir) return {};
	const prefix = dirname(dirname(process.execPath));
	return existsSync(join(prefix, 'include', 'node', 'node.h')) ? { npm_config_nodedir: prefix } : {};
}

/**
 * Returns the cached n8n install, installing it first when the cache has no complete install (a marker file
 * is written only after `npm install` and `n8n --version` both succeeded, so an interrupted install is redone).
 */
export async function ensureN8n(log: (line: string) => void = () => {}): Promise<N8nInstall> {
	const dir = join(e2eCacheRoot(), `n8n-${N8N_VERSION}`);
	const marker = join(dir, '.psa-e2e-installed');
	const bin = join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
	if (existsSync(marker) && readFileSync(marker, 'utf8') === installSpec() && existsSync(bin)) {
		return { dir, bin, version: await n8nVersion(bin) };
	}
	mkdirSync(dir, { recursive: true });
	await withInstallLock(dir, log, async () => {
		if (existsSync(marker) && readFileSync(marker, 'utf8') === installSpec() && existsSync(bin)) return;
		rmSync(marker, { force: true });
		writeFileSync(
			join(dir, 'package.json'),
			JSON.stringify(
				{ name: 'psa-bridge-e2e-n8n', private: true, dependencies: { n8n: N8N_VERSION }, overrides: N8N_OVERRIDES },
				null,
				'\t',
			) + '\n',
		);
		log(`installing n8n ${N8N_VERSION} into ${dir}: first run only, ${INSTALL_ESTIMATE}; progress every ${PROGRESS_EVERY_MS / 1000} s`);
		const started = Date.now();
		const progress = new InstallProgress();
		const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
		const ticker = setInterval(() => log(`installing n8n, ${seconds()} s so far: ${progress.describe()}`), PROGRESS_EVERY_MS);
		try {
			// --loglevel=info makes npm name each fetch and install script, which is what the progress lines report.
			await runChecked('npm', ['install', '--no-audit', '--no-fund', '--loglevel=info'], {
				cwd: dir,
				timeoutMs: INSTALL_TIMEOUT_MS,
				env: { ...process.env, ...nativeBuildEnv(), npm_config_update_notifier: 'false' },
				onOutput: (chunk) => progress.write(chunk),
			});
		} finally {
			clearInterval(ticker);
		}
		log(`installed n8n in ${seconds()} s (${await diskUsage(dir)})`);
		const version = await n8nVersion(bin);
		if (version !== N8N_VERSION) throw new Error(`n8n --version printed ${version}, expected ${N8N_VERSION}`);
		writeFileSync(marker, installSpec());
	});
	return { dir, bin, version: await n8nVersion(bin) };
}

/** The folder's size for the log, e.g. "3.1 GB" ("size unknown" when du is missing). */
async function diskUsage(dir: string): Promise<string> {
	const result = await runCommand('du', ['-sk', dir], { timeoutMs: 120_000 }).catch(() => undefined);
	const kb = Number(result?.stdout.split(/\s/)[0]);
	// Rounded up to a tenth, as `du -sh` shows it.
	return Number.isFinite(kb) && kb > 0 ? `${(Math.ceil((kb / 1024 / 1024) * 10) / 10).toFixed(1)} GB` : 'size unknown';
}

async function n8nVersion(bin: string): Promise<string> {
	const result = await runChecked(process.execPath, [bin, '--version'], {
		timeoutMs: 60_000,
		env: { ...process.env, N8N_DIAGNOSTICS_ENABLED: 'false', N8N_LOG_LEVEL: 'error' },
	});
	const match = /\d+\.\d+\.\d+/.exec(result.stdout);
	if (!match) throw new Error(`n8n --version printed no version: ${tail(result.stdout + result.stderr, 500)}`);
	return match[0];
}

// Two runs installing into the same cache at once would corrupt it; the lock is a directory (atomic mkdir)
// holding the owner's pid, taken over when that process is gone.
async function withInstallLock(dir: string, log: (line: string) => void, work: () => Promise<void>): Promise<void> {
	const lock = join(dir, '.install-lock');
	const started = Date.now();
	const deadline = started + INSTALL_TIMEOUT_MS;
	let reported = 0;
	for (;;) {
		try {
			mkdirSync(lock);
			writeFileSync(join(lock, 'pid'), String(process.pid));
			break;
		} catch {
			const owner = Number(readFileSafe(join(lock, 'pid')));
			if (!owner || !processAlive(owner)) {
				rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (Date.now() > deadline) throw new Error(`n8n install lock ${lock} held by pid ${owner} for too long`);
			// Another start or e2e run is installing n8n into the same cache: say so as often as the install's own progress.
			if (Date.now() - reported >= PROGRESS_EVERY_MS) {
				reported = Date.now();
				log(`waiting for another process (pid ${owner}) installing n8n into ${dir}, ${((Date.now() - started) / 1000).toFixed(0)} s so far`);
			}
			await sleep(2000);
		}
	}
	try {
		await work();
	} finally {
		rmSync(lock, { recursive: true, force: true });
	}
}

function readFileSafe(path: string): string {
	try {
		return readFileSync(path, 'utf8');
	} catch {
		return '';
	}
}

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** A throwaway N8N_USER_FOLDER (n8n keeps its data in `<folder>/.n8n`), removed by runCleanups unless PSA_E2E_KEEP=1. */
export function createUserFolder(label: string): string {
	const folder = mkdtempSync(join(tmpdir(), `psa-e2e-${label}-`));
	mkdirSync(join(folder, '.n8n'), { recursive: true });
	onCleanup(`remove ${folder}`, () => {
		if (process.env.PSA_E2E_KEEP === '1') console.log(`kept user folder ${folder}`);
		else rmSync(folder, { recursive: true, force: true });
	});
	return folder;
}

export interface N8nEnvOptions {
	userFolder: string;
	port?: number;
	runnersBrokerPort?: number;
	webhookUrl?: string;
	logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
	extra?: Record<string, string>;
}

/** The environment every n8n process of the suite runs with: loopback only, no telemetry, fixed encryption key. */
export function n8nEnv(options: N8nEnvOptions): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		TMPDIR: process.env.TMPDIR,
		LANG: 'C.UTF-8',
		TZ: 'UTC',
		GENERIC_TIMEZONE: 'UTC',
		N8N_USER_FOLDER: options.userFolder,
		N8N_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		EXTERNAL_FRONTEND_HOOKS_URLS: '',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_LOG_LEVEL: options.logLevel ?? 'warn',
		N8N_LOG_OUTPUT: 'console',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_REINSTALL_MISSING_PACKAGES: 'false',
		DB_TYPE: 'sqlite',
		DB_SQLITE_POOL_SIZE: '2',
		NODE_ENV: 'production',
		...(options.port ? { N8N_PORT: String(options.port) } : {}),
		...(options.runnersBrokerPort ? { N8N_RUNNERS_BROKER_PORT: String(options.runnersBrokerPort) } : {}),
		...(options.webhookUrl ? { WEBHOOK_URL: options.webhookUrl } : {}),
		...options.extra,
	};
	return env;
}

/** Runs one n8n CLI command (import:workflow, execute, ...) against a user folder; the result keeps stdout and stderr. */
export async function runN8nCli(
	install: N8nInstall,
	args: string[],
	options: Omit<N8nEnvOptions, 'port'> & { timeoutMs?: number },
): Promise<RunResult> {
	// The CLI starts a task-runner broker too; a port of its own keeps parallel commands and servers apart.
	const runnersBrokerPort = options.runnersBrokerPort ?? (await freePort());
	return runCommand(process.execPath, [install.bin, ...args], {
		cwd: options.userFolder,
		timeoutMs: options.timeoutMs ?? 180_000,
		env: n8nEnv({ ...options, runnersBrokerPort }),
	});
}

/** Same as runN8nCli, but throws with the output's tail when the command fails. */
export async function runN8nCliChecked(
	install: N8nInstall,
	args: string[],
	options: Omit<N8nEnvOptions, 'port'> & { timeoutMs?: number },
): Promise<RunResult> {
	const result = await runN8nCli(install, args, options);
	if (result.timedOut || result.code !== 0) {
		const why = result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`;
		throw new Error(`n8n ${args.join(' ')} ${why}\n${tail(result.stdout + '\n' + result.stderr, 4000)}`);
	}
	return result;
}

export interface N8nServer {
	url: string;
	port: number;
	userFolder: string;
	process: BackgroundProcess;
	logFile: string;
	stop(): Promise<void>;
}

/**
 * Starts `n8n start` on a free loopback port and resolves once the REST API answers (the editor is served
 * by then); stops it on runCleanups too. Fails early, with n8n's output, when the process exits while starting.
 */
export async function startN8nServer(
	install: N8nInstall,
	options: Omit<N8nEnvOptions, 'port' | 'webhookUrl'> & { port?: number; startTimeoutMs?: number; withWebhookUrl?: boolean },
): Promise<N8nServer> {
	const port = options.port ?? (await freePort());
	const url = `http://127.0.0.1:${port}`;
	const logFile = join(options.userFolder, 'n8n-server.log');
	const env = n8nEnv({
		...options,
		port,
		runnersBrokerPort: options.runnersBrokerPort ?? (await freePort()),
		webhookUrl: options.withWebhookUrl === false ? undefined : `${url}/`,
		logLevel: options.logLevel ?? 'info',
	});
	const child = new BackgroundProcess(process.execPath, [install.bin, 'start'], { cwd: options.userFolder, env, logFile });
	let stopped = false;
	const stop = async () => {
		if (stopped) return;
		stopped = true;
		await child.stop();
	};
	onCleanup(`stop n8n on ${url}`, stop);
	try {
		await waitFor(`n8n at ${url}`, options.startTimeoutMs ?? 180_000, async () => {
			if (child.exitStatus) {
				throw new Error(`n8n exited (${JSON.stringify(child.exitStatus)}) while starting:\n${tail(child.text, 4000)}`);
			}
			const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
			if (!health.ok) return undefined;
			// While starting, n8n answers every path with 200 "n8n is starting up"; the settings JSON means it is ready.
			const settings = await fetch(`${url}/rest/settings`, { signal: AbortSignal.timeout(5000) });
			if (!settings.ok || !(settings.headers.get('content-type') ?? '').includes('application/json')) return undefined;
			const body = (await settings.json()) as { data?: { userManagement?: unknown } };
			return body.data?.userManagement ? true : undefined;
		}, 500);
	} catch (error) {
		await stop();
		if (child.exitStatus && !(error as Error).message.includes('n8n exited')) {
			throw new Error(`${(error as Error).message}\n${tail(child.text, 4000)}`);
		}
		throw error;
	}
	return { url, port, userFolder: options.userFolder, process: child, logFile, stop };
}

export const OWNER = {
	email: 'owner@psa-bridge.test',
	password: 'PsaBridge-e2e-1',
	firstName: 'Olivia',
	lastName: 'Owner',
};

/** A REST client for n8n's internal API with the session cookie of a logged-in user. */
export class N8nRest {
	private cookie = '';
	// n8n binds the session to a browser id sent as a header; any stable value works for a script.
	private readonly browserId = 'psa-bridge-e2e-browser';

	constructor(readonly baseUrl: string) {}

	async request<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				'content-type': 'application/json',
				'browser-id': this.browserId,
				...(this.cookie ? { cookie: this.cookie } : {}),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(timeoutMs),
		});
		const setCookie = response.headers.getSetCookie();
		const auth = setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
		if (auth) this.cookie = auth;
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${tail(text, 1000)}`);
		let parsed: unknown;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			throw new Error(`${method} ${path} answered ${response.status} with a body that is not JSON: ${tail(text, 300)}`);
		}
		return (parsed && typeof parsed === 'object' && 'data' in parsed ? (parsed as { data: unknown }).data : parsed) as T;
	}

	/** Creates the instance owner (only possible once per user folder). */
	async setupOwner(owner = OWNER): Promise<void> {
		await this.request('POST', '/rest/owner/setup', owner);
	}

	async login(owner = OWNER): Promise<void> {
		await this.request('POST', '/rest/login', { emailOrLdapLoginId: owner.email, password: owner.password });
	}
}
