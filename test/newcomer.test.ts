// What a newcomer on the wrong Node.js meets: `npm install` stops at once (engine-strict), later commands print one line.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const NEEDED_MAJOR = Number(/\d+/.exec(pkg.engines.node)![0]);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { check } = require('../scripts/check-node.js') as { check(version?: string): boolean };

function captureStderr(work: () => boolean): { result: boolean; stderr: string } {
	const write = process.stderr.write;
	let stderr = '';
	process.stderr.write = ((chunk: string) => {
		stderr += chunk;
		return true;
	}) as typeof process.stderr.write;
	try {
		return { result: work(), stderr };
	} finally {
		process.stderr.write = write;
	}
}

describe('the Node.js version check', () => {
	it.each(['20.20.2', '22.23.5'])('on Node %s prints one line naming the version needed and how to get it', (version) => {
		const { result, stderr } = captureStderr(() => check(version));
		expect(result).toBe(false);
		expect(stderr.trimEnd().split('\n')).toHaveLength(1);
		expect(stderr).toContain(`needs Node.js ${NEEDED_MAJOR} or newer, but this is Node.js v${version}`);
		expect(stderr).toContain('nvm install');
		expect(stderr).toContain('https://nodejs.org/');
	});

	it(`passes silently on Node ${NEEDED_MAJOR} and later`, () => {
		expect(captureStderr(() => check(`${NEEDED_MAJOR}.0.0`))).toEqual({ result: true, stderr: '' });
		expect(captureStderr(() => check())).toEqual({ result: true, stderr: '' });
	});

	it('.nvmrc names the major version of package.json engines, and .npmrc makes npm enforce engines', () => {
		expect(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()).toBe(String(NEEDED_MAJOR));
		expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
	});
});

// The machine's own older Node (Debian's /usr/bin/node here) runs npm the way a newcomer would, on a copy of the manifest.
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => {
	if (!existsSync(candidate)) return false;
	const major = Number(spawnSync(candidate, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim());
	return major > 0 && major < NEEDED_MAJOR;
});
const NPM_CLI = ['/usr/lib/node_modules/npm/bin/npm-cli.js', '/usr/local/lib/node_modules/npm/bin/npm-cli.js'].find((candidate) => existsSync(candidate));

(OLD_NODE && NPM_CLI ? describe : describe.skip)(`npm install on an older Node.js (${OLD_NODE ?? 'none found'})`, () => {
	it('stops within seconds, before anything is downloaded or built, naming the Node.js version required', () => {
		const dir = mkdtempSync(join(tmpdir(), 'psa-newcomer-'));
		try {
			for (const file of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(ROOT, file), join(dir, file));
			const started = Date.now();
			const run = spawnSync(OLD_NODE!, [NPM_CLI!, 'install', '--no-audit', '--no-fund'], {
				cwd: dir,
				encoding: 'utf8',
				timeout: 60_000,
				// A newcomer's shell: none of the npm_config_* variables that `npm test` exported to this process.
				env: {
					...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
					PATH: `${join(OLD_NODE!, '..')}:${process.env.PATH}`,
					npm_config_update_notifier: 'false',
				},
			});
			const seconds = (Date.now() - started) / 1000;
			expect(run.status).not.toBe(0);
			expect(run.stderr).toContain('EBADENGINE');
			expect(run.stderr).toContain(`Required: {"node":"${pkg.engines.node}"}`);
			expect(existsSync(join(dir, 'node_modules'))).toBe(false);
			expect(seconds).toBeLessThan(30);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
