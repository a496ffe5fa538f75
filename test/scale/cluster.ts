// n8n 2.30 in queue mode for the scale test: one main, one webhook process and workers, sharing Redis, PostgreSQL and one encryption key.
import { join } from 'node:path';

import { createUserFolder, n8nEnv, startN8nServer, type N8nInstall, type N8nServer } from '../e2e/n8n';
import { installPackage } from '../e2e/package-install';
import { BackgroundProcess, freePort, onCleanup, tail, waitFor } from '../e2e/processes';

export interface QueueBackends {
	redis: { host: string; port: number };
	/** n8n's own database (not the package's store). */
	postgres: { host: string; port: number; user: string; database: string };
}

/**
 * What every process of the cluster shares. Each process has its own user folder, as separate machines or containers
 * would, so nothing works only because the processes happen to share a disk.
 */
export function queueEnv(backends: QueueBackends, webhookUrl: string): Record<string, string> {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: backends.redis.host,
		QUEUE_BULL_REDIS_PORT: String(backends.redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: backends.postgres.host,
		DB_POSTGRESDB_PORT: String(backends.postgres.port),
		DB_POSTGRESDB_DATABASE: backends.postgres.database,
		DB_POSTGRESDB_USER: backends.postgres.user,
		DB_POSTGRESDB_PASSWORD: '',
		// Production webhooks (alerts, PSA callbacks) go to the webhook process only, as in n8n's scaling guide.
		WEBHOOK_URL: webhookUrl,
		N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
		// A killed worker's executions stay "running" in the database until main's queue recovery finds their job gone;
		// its default period is 180 minutes. One minute lets the sender read their outcome within the test.
		N8N_EXECUTIONS_QUEUE_RECOVERY_INTERVAL: '1',
		// Every execution's data is kept: the sender reads each outcome from the executions API.
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
	};
}

export type Role = 'main' | 'webhook' | `worker-${string}`;

/** A user folder with the packed package installed the way n8n's UI does (`<folder>/.n8n/nodes/node_modules`). */
export async function prepareFolder(role: Role, tarball: string): Promise<string> {
	const folder = createUserFolder(`scale-${role}`);
	await installPackage(folder, tarball, 'ui');
	return folder;
}

export interface N8nProcess {
	role: Role;
	userFolder: string;
	logFile: string;
	process: BackgroundProcess;
	/** n8n's log so far (kept in memory, last 200 kB; the file has all of it). */
	readonly text: string;
	stop(): Promise<void>;
	/** SIGKILL to the whole process group (n8n and its task runner), as when a machine or container dies. */
	kill(): void;
}

interface StartOptions {
	install: N8nInstall;
	role: Role;
	userFolder: string;
	env: Record<string, string>;
	port?: number;
	readyText: string;
	timeoutMs?: number;
}

/** Starts `n8n webhook` or `n8n worker` and resolves once its log says it is ready. */
async function startBackground(options: StartOptions): Promise<N8nProcess> {
	const command = options.role === 'webhook' ? ['webhook'] : ['worker', '--concurrency=10'];
	const logFile = join(options.userFolder, `n8n-${options.role}-${Date.now()}.log`);
	const env = n8nEnv({
		userFolder: options.userFolder,
		port: options.port,
		runnersBrokerPort: await freePort(),
		// Info level: workers log "Worker started execution X" and "finished", which says what a killed worker was doing.
		logLevel: 'info',
		extra: options.env,
	});
	const child = new BackgroundProcess(process.execPath, [options.install.bin, ...command], { cwd: options.userFolder, env, logFile });
	let stopped = false;
	const stop = async () => {
		if (stopped) return;
		stopped = true;
		await child.stop();
	};
	onCleanup(`stop n8n ${options.role} (pid ${child.pid})`, stop);
	try {
		await waitFor(`n8n ${options.role} to be ready`, options.timeoutMs ?? 180_000, async () => {
			if (child.exitStatus) throw new Error(`n8n ${options.role} exited (${JSON.stringify(child.exitStatus)}) while starting:\n${tail(child.text, 4000)}`);
			return child.text.includes(options.readyText) ? true : undefined;
		}, 250);
	} catch (error) {
		await stop();
		throw new Error(`${(error as Error).message}\n${tail(child.text, 3000)}`);
	}
	return {
		role: options.role,
		userFolder: options.userFolder,
		logFile,
		process: child,
		get text() {
			return child.text;
		},
		stop,
		kill() {
			try {
				process.kill(-child.pid, 'SIGKILL');
			} catch {
				// already gone
			}
		},
	};
}

export async function startMain(install: N8nInstall, userFolder: string, env: Record<string, string>): Promise<N8nServer> {
	// startN8nServer would point WEBHOOK_URL at main; queueEnv's (the webhook process) comes in through `extra`.
	return startN8nServer(install, { userFolder, extra: env, withWebhookUrl: false, startTimeoutMs: 240_000 });
}

export async function startWebhook(install: N8nInstall, userFolder: string, env: Record<string, string>, port: number): Promise<N8nProcess> {
	return startBackground({ install, role: 'webhook', userFolder, env, port, readyText: 'Webhook listener waiting for requests' });
}

export async function startWorker(install: N8nInstall, role: `worker-${string}`, userFolder: string, env: Record<string, string>): Promise<N8nProcess> {
	return startBackground({ install, role, userFolder, env, readyText: 'n8n worker is now ready' });
}

/** Execution ids a worker's log shows as started and not finished: what it was doing when it died. */
export function unfinishedExecutions(log: string): string[] {
	const started = new Set([...log.matchAll(/Worker started execution (\d+)/g)].map((match) => match[1]));
	for (const match of log.matchAll(/Worker finished execution (\d+)/g)) started.delete(match[1]);
	return [...started];
}

/** Executions a worker's log shows as started. */
export function startedExecutions(log: string): string[] {
	return [...log.matchAll(/Worker started execution (\d+)/g)].map((match) => match[1]);
}
