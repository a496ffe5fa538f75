// Redis for the scale test (n8n's queue): Debian's redis-server on a free loopback port in a temporary folder, installed when missing.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BackgroundProcess, freePort, onCleanup, runChecked, tail, waitFor } from '../e2e/processes';

export interface RunningRedis {
	host: string;
	port: number;
	dir: string;
	stop(): Promise<void>;
}

const REDIS_BIN = '/usr/bin/redis-server';

/**
 * Installs Debian's `redis-server` when it is missing. The package's postinst would start a system-wide Redis on
 * 6379; policy-rc.d answering 101 stops that, so nothing outside the test's own folder runs.
 */
async function ensureRedisServer(log: (line: string) => void): Promise<string> {
	if (existsSync(REDIS_BIN)) return REDIS_BIN;
	if (process.getuid?.() !== 0) {
		throw new Error(`${REDIS_BIN} is missing and this is not root: install the Debian package redis-server (apt-get install redis-server)`);
	}
	log('redis-server is missing: apt-get update && apt-get install redis-server (about 30 s)');
	const policy = '/usr/sbin/policy-rc.d';
	const hadPolicy = existsSync(policy);
	if (!hadPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
	try {
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
		await runChecked('apt-get', ['update', '-qq'], { timeoutMs: 300_000, env });
		await runChecked('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], { timeoutMs: 300_000, env });
	} finally {
		if (!hadPolicy) rmSync(policy, { force: true });
	}
	if (!existsSync(REDIS_BIN)) throw new Error(`apt-get installed redis-server but ${REDIS_BIN} does not exist`);
	return REDIS_BIN;
}

/** Answers true once Redis replies +PONG to a PING on the port. */
function ping(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = createConnection({ host: '127.0.0.1', port });
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(1000, () => done(false));
		socket.on('error', () => done(false));
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
	});
}

/** Starts a private Redis (no persistence, loopback only) and registers its stop with the harness's cleanups. */
export async function startRedis(log: (line: string) => void): Promise<RunningRedis> {
	const bin = await ensureRedisServer(log);
	const dir = mkdtempSync(join(tmpdir(), 'psa-scale-redis-'));
	const port = await freePort();
	// No RDB/AOF files and no protected-mode surprises: the queue only has to live as long as the test.
	const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''];
	const server = new BackgroundProcess(bin, args, { cwd: dir, env: { PATH: process.env.PATH }, logFile: join(dir, 'redis.log') });
	let stopped = false;
	const stop = async () => {
		if (stopped) return;
		stopped = true;
		await server.stop(5000);
		rmSync(dir, { recursive: true, force: true });
	};
	onCleanup(`stop Redis on 127.0.0.1:${port}`, stop);
	await waitFor(`Redis on 127.0.0.1:${port}`, 20_000, async () => {
		if (server.exitStatus) throw new Error(`redis-server exited (${JSON.stringify(server.exitStatus)}): ${tail(server.text, 1000)}`);
		return (await ping(port)) ? true : undefined;
	}, 100);
	return { host: '127.0.0.1', port, dir, stop };
}
