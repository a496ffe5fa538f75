// Child processes for the end-to-end suite: bounded runs, background servers, and a cleanup that kills every process group left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';

type Cleanup = () => Promise<void> | void;

const cleanups: Array<{ label: string; run: Cleanup }> = [];
const liveGroups = new Set<number>();
let handlersInstalled = false;

/** Registers work for `runCleanups` (last registered runs first), e.g. stopping a server or removing a folder. */
export function onCleanup(label: string, run: Cleanup): void {
	installExitHandlers();
	cleanups.push({ label, run });
}

/** Runs every registered cleanup once, newest first; a failing cleanup is reported and does not stop the others. */
export async function runCleanups(): Promise<void> {
	while (cleanups.length > 0) {
		const { label, run } = cleanups.pop()!;
		try {
			await run();
		} catch (error) {
			console.error(`cleanup "${label}" failed: ${(error as Error).message}`);
		}
	}
	killLiveGroups('SIGKILL');
}

/** A suite's entry point: runs it, then every cleanup, and exits with its code (1 on a crash). */
export function runSuite(main: () => Promise<number>): void {
	main()
		.then(async (code) => {
			await runCleanups();
			process.exit(code);
		})
		.catch(async (error: unknown) => {
			console.error(error);
			await runCleanups();
			process.exit(1);
		});
}

// A process group is killed as a whole: n8n starts its own task runner and npm starts shells.
function killGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// already gone
	}
}

function killLiveGroups(signal: NodeJS.Signals): void {
	for (const pid of liveGroups) killGroup(pid, signal);
}

// Even when the runner dies on an exception or a signal, no n8n, npm or chromium may outlive it.
function installExitHandlers(): void {
	if (handlersInstalled) return;
	handlersInstalled = true;
	process.on('exit', () => killLiveGroups('SIGKILL'));
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.once(signal, () => {
			console.error(`received ${signal}: cleaning up`);
			void runCleanups().finally(() => process.exit(130));
		});
	}
}

export interface RunResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	timedOut: boolean;
}

export interface RunOptions {
	cwd?: string;
	env?: NodeJS.ProcessEnv;
	timeoutMs: number;
	input?: string;
	/** Called with each chunk of stdout and stderr as it arrives (for progress reports). */
	onOutput?: (chunk: string) => void;
}

/** Runs a command to completion in its own process group; on timeout the whole group is killed and `timedOut` is set. */
export function runCommand(command: string, args: string[], options: RunOptions): Promise<RunResult> {
	installExitHandlers();
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {
			cwd: options.cwd,
			env: options.env ?? process.env,
			detached: true,
			stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
		});
		if (child.pid === undefined) {
			reject(new Error(`could not start ${command}`));
			return;
		}
		const pid = child.pid;
		liveGroups.add(pid);
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		child.stdout!.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
			options.onOutput?.(chunk.toString());
		});
		child.stderr!.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
			options.onOutput?.(chunk.toString());
		});
		if (options.input !== undefined) child.stdin!.end(options.input);
		const timer = setTimeout(() => {
			timedOut = true;
			killGroup(pid, 'SIGTERM');
			setTimeout(() => killGroup(pid, 'SIGKILL'), 5000).unref();
		}, options.timeoutMs);
		child.on('error', (error) => {
			clearTimeout(timer);
			liveGroups.delete(pid);
			reject(error);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			// Grandchildren (n8n's task runner) may survive their parent: end the group.
			killGroup(pid, 'SIGKILL');
			liveGroups.delete(pid);
			resolve({ code, signal, stdout, stderr, timedOut });
		});
	});
}

/** Like runCommand, but throws with the tail of the output when the command fails or times out. */
export async function runChecked(command: string, args: string[], options: RunOptions): Promise<RunResult> {
	const result = await runCommand(command, args, options);
	if (result.timedOut || result.code !== 0) {
		const why = result.timedOut ? `timed out after ${options.timeoutMs} ms` : `exited with ${result.code ?? result.signal}`;
		throw new Error(`${command} ${args.join(' ')} ${why}\n${tail(result.stdout + '\n' + result.stderr, 3000)}`);
	}
	return result;
}

export function tail(text: string, chars: number): string {
	return text.length <= chars ? text : '…' + text.slice(-chars);
}

/** A long-running process (a server) in its own group, its output teed to a log file and kept in memory. */
export class BackgroundProcess {
	private readonly child: ChildProcess;
	private readonly log: WriteStream;
	private output = '';
	private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
	private readonly exitPromise: Promise<void>;

	constructor(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv; logFile: string }) {
		installExitHandlers();
		this.log = createWriteStream(options.logFile);
		this.child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
		if (this.child.pid === undefined) throw new Error(`could not start ${command}`);
		liveGroups.add(this.child.pid);
		const collect = (chunk: Buffer) => {
			this.output = (this.output + chunk.toString()).slice(-200_000);
			this.log.write(chunk);
		};
		this.child.stdout!.on('data', collect);
		this.child.stderr!.on('data', collect);
		this.exitPromise = new Promise((resolve) => {
			this.child.on('close', (code, signal) => {
				this.exited = { code, signal };
				this.log.end();
				resolve();
			});
		});
	}

	get pid(): number {
		return this.child.pid!;
	}

	get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
		return this.exited;
	}

	get text(): string {
		return this.output;
	}

	/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the main process has exited. */
	async stop(graceMs = 15000): Promise<void> {
		const pid = this.child.pid!;
		if (!this.exited) {
			killGroup(pid, 'SIGTERM');
			const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
			await this.exitPromise;
			clearTimeout(timer);
		}
		killGroup(pid, 'SIGKILL');
		liveGroups.delete(pid);
	}
}

/** A TCP port that was free on the loopback interface a moment ago. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs` with `what` and the last error. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			const value = await probe();
			if (value !== undefined) return value;
			lastError = undefined;
		} catch (error) {
			lastError = error;
		}
		if (Date.now() > deadline) {
			const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
		}
		await sleep(intervalMs);
	}
}
