// The standalone sandbox: `npm run sandbox -- --port N` prints how to reach it, serves, and stops on SIGTERM and SIGINT.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

function startCli(args: string[]) {
	const child = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'test', 'sandbox', 'cli.ts'), ...args], {
		cwd: root,
		env: { ...process.env, NODE_OPTIONS: '' },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
	const waitFor = (pattern: RegExp, timeoutMs: number) =>
		new Promise<string>((resolve, reject) => {
			const timer = setTimeout(() => {
				clearInterval(poll);
				reject(new Error(`CLI did not print ${pattern} within ${timeoutMs} ms; output so far:\n${output}`));
			}, timeoutMs);
			const poll = setInterval(() => {
				if (pattern.test(output)) {
					clearInterval(poll);
					clearTimeout(timer);
					resolve(output);
				}
			}, 20);
		});
	return { child, exited, waitFor, output: () => output };
}

describe('sandbox CLI', () => {
	it.each(['SIGTERM', 'SIGINT'] as const)('prints base URL, site and demo credentials, serves, and stops on %s', async (signal) => {
		const port = await freePort();
		const cli = startCli(['--port', String(port), '--latency', '1', '--rate-limit', '100']);
		try {
			const output = await cli.waitFor(/Control/, 30000);
			expect(output).toContain(`ConnectWise sandbox listening on http://127.0.0.1:${port}`);
			expect(output).toContain(`Site           http://127.0.0.1:${port}`);
			expect(output).toContain(`API base URL   http://127.0.0.1:${port}/v4_6_release/apis/3.0`);
			expect(output).toMatch(/Company ID\s+sandbox/);
			expect(output).toMatch(/Public key\s+SandboxPublicKey01/);
			expect(output).toMatch(/Private key\s+SandboxPrivateKey01/);
			expect(output).toMatch(/Client ID\s+[0-9a-f-]{36}/);
			const info = await fetch(`http://127.0.0.1:${port}/login/companyinfo/sandbox`, { signal: AbortSignal.timeout(5000) });
			expect(await info.json()).toMatchObject({ Codebase: 'v4_6_release/' });
			cli.child.kill(signal);
			expect(await cli.exited).toBe(0);
			expect(cli.output()).toContain(`${signal}: stopping the sandbox`);
			await expect(fetch(`http://127.0.0.1:${port}/login/companyinfo/sandbox`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
		} finally {
			if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
		}
	});

	it('--psa autotask prints zone URL and API credentials, serves zone discovery, and stops on SIGTERM', async () => {
		const port = await freePort();
		const cli = startCli(['--psa', 'autotask', '--port', String(port), '--latency', '1', '--rate-limit', '100', '--thread-limit', '2']);
		try {
			const output = await cli.waitFor(/Control/, 30000);
			expect(output).toContain(`Autotask sandbox listening on http://127.0.0.1:${port}`);
			expect(output).toContain(`Zone URL          http://127.0.0.1:${port}/ATServicesRest/`);
			expect(output).toMatch(/Username\s+psabridge-api@sandbox\.example/);
			expect(output).toMatch(/Secret\s+\S+/);
			expect(output).toMatch(/Integration code\s+[A-Z0-9]+/);
			expect(output).toContain(`Control           http://127.0.0.1:${port}/__sandbox/`);
			const zone = await fetch(`http://127.0.0.1:${port}/atservicesrest/v1.0/zoneInformation?user=psabridge-api%40sandbox.example`, { signal: AbortSignal.timeout(5000) });
			expect(await zone.json()).toMatchObject({ url: `http://127.0.0.1:${port}/ATServicesRest/` });
			cli.child.kill('SIGTERM');
			expect(await cli.exited).toBe(0);
		} finally {
			if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
		}
	});

	it('--psa halopsa prints the tenant URL, authorisation URL, client ID and secret, issues tokens, and stops on SIGTERM', async () => {
		const port = await freePort();
		const cli = startCli(['--psa', 'halopsa', '--port', String(port)]);
		try {
			const output = await cli.waitFor(/Control/, 30000);
			expect(output).toContain(`HaloPSA sandbox listening on http://127.0.0.1:${port}`);
			expect(output).toContain(`Tenant (resource) URL  http://127.0.0.1:${port}/api`);
			expect(output).toContain(`Authorisation URL      http://127.0.0.1:${port}/auth`);
			const clientId = /Client ID\s+(\S+)/.exec(output)?.[1] ?? '';
			const clientSecret = /Client secret\s+(\S+)/.exec(output)?.[1] ?? '';
			const token = await fetch(`http://127.0.0.1:${port}/auth/token`, {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'all' }).toString(),
				signal: AbortSignal.timeout(5000),
			});
			expect(await token.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
			cli.child.kill('SIGTERM');
			expect(await cli.exited).toBe(0);
		} finally {
			if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
		}
	});

	it('refuses an unknown --psa and options of the other PSA', async () => {
		const unknown = startCli(['--psa', 'halo']);
		expect(await unknown.exited).toBe(2);
		expect(unknown.output()).toMatch(/--psa must be connectwise, autotask or halopsa/);
		const misplaced = startCli(['--thread-limit', '3']);
		expect(await misplaced.exited).toBe(2);
		expect(misplaced.output()).toMatch(/--thread-limit applies to --psa autotask only/);
	});

	it('refuses unknown options and bad values with a clear message and exit code 2', async () => {
		const unknown = startCli(['--prot', '8080']);
		expect(await unknown.exited).toBe(2);
		expect(unknown.output()).toMatch(/Unknown option --prot/);
		const bad = startCli(['--port', 'eighty']);
		expect(await bad.exited).toBe(2);
		expect(bad.output()).toMatch(/--port must be a whole number/);
	});
});
