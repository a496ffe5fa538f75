// Packs this package and installs the tarball into an n8n user folder the ways users do: n8n's UI install (--ignore-scripts) and by hand.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { onCleanup, runChecked } from './processes';

export const REPO_ROOT = join(__dirname, '..', '..');
export const PACKAGE_NAME: string = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).name;

const npmEnv = (): NodeJS.ProcessEnv => ({ ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' });

/** What `npm pack` reported: the tarball, the paths inside it (without the package/ prefix) and its sizes in bytes. */
export interface PackedPackage {
	tarball: string;
	files: string[];
	size: number;
	unpackedSize: number;
}

/**
 * What may ship: package.json, README.md, LICENSE, and the build of credentials/, nodes/, lib/ and migrations/ in dist/
 * (compiled JavaScript, type declarations, the nodes' codex JSON, icons). No tests, TypeScript sources, source maps
 * (they name the build machine's source paths), databases or keys. Returns the paths that break the rule.
 */
export function unexpectedPackedFiles(paths: string[]): string[] {
	const shipped = /^(package\.json|README\.md|LICENSE|dist\/(credentials|nodes|lib|migrations)\/.+\.(js|d\.ts|json|svg|png))$/;
	return paths.filter((path) => !shipped.test(path) || /\.(map|sqlite|key|tsbuildinfo)$/.test(path) || /(^|\/)test\//.test(path));
}

/** `npm pack` (its prepack script builds dist/) into `destination`; the caller removes the folder. */
export async function packInto(destination: string): Promise<PackedPackage> {
	const result = await runChecked('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', destination], {
		cwd: REPO_ROOT,
		timeoutMs: 300_000,
		env: npmEnv(),
	});
	// prepack's build prints to stdout before npm's JSON; the JSON is the last top-level array.
	const json = result.stdout.slice(result.stdout.lastIndexOf('\n[') + 1);
	const [entry] = JSON.parse(json.trim().startsWith('[') ? json : result.stdout) as Array<{
		filename: string;
		files: Array<{ path: string }>;
		size: number;
		unpackedSize: number;
	}>;
	const tarball = join(destination, entry.filename);
	if (!existsSync(tarball)) throw new Error(`npm pack reported ${entry.filename} but ${tarball} does not exist`);
	return { tarball, files: entry.files.map((f) => f.path), size: entry.size, unpackedSize: entry.unpackedSize };
}

/** `npm pack` into a temporary folder removed at cleanup; refuses a tarball without dist/ or with files that must not ship. */
export async function packPackage(): Promise<string> {
	const destination = mkdtempSync(join(tmpdir(), 'psa-e2e-pack-'));
	onCleanup(`remove ${destination}`, () => rmSync(destination, { recursive: true, force: true }));
	const { tarball, files } = await packInto(destination);
	if (!files.includes('package.json') || !files.some((p) => p.startsWith('dist/'))) {
		throw new Error(`the tarball lacks package.json or dist/: ${files.slice(0, 20).join(', ')}`);
	}
	const unexpected = unexpectedPackedFiles(files);
	if (unexpected.length > 0) throw new Error(`the tarball contains files that must not ship: ${unexpected.join(', ')}`);
	return tarball;
}

export type InstallMode = 'ui' | 'manual';

/**
 * Installs the tarball into `<userFolder>/.n8n/nodes`, where n8n 2.30 scans node_modules for community packages.
 * 'ui' repeats what n8n 2.30's Settings > Community Nodes install does (modules/community-packages service):
 * unpack into nodes/node_modules/<package>, drop dev/peer/optional dependencies from its package.json, then
 * `npm install --ignore-scripts=true --install-strategy=shallow ...` inside it, and record it in nodes/package.json.
 * 'manual' is the README's `cd ~/.n8n/nodes && npm install <package>`, install scripts allowed.
 */
export async function installPackage(userFolder: string, tarball: string, mode: InstallMode): Promise<string> {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	const manifest = join(nodesDir, 'package.json');
	if (!existsSync(manifest)) writeFileSync(manifest, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
	const installed = join(nodesDir, 'node_modules', PACKAGE_NAME);
	if (mode === 'ui') {
		rmSync(installed, { recursive: true, force: true });
		mkdirSync(installed, { recursive: true });
		await runChecked('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], { timeoutMs: 60_000 });
		const packageJsonPath = join(installed, 'package.json');
		const { devDependencies: _dev, peerDependencies: _peer, optionalDependencies: _optional, ...packageJson } = JSON.parse(
			readFileSync(packageJsonPath, 'utf8'),
		);
		writeFileSync(packageJsonPath, JSON.stringify(packageJson, null, 2));
		await runChecked(
			'npm',
			['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false', '--loglevel=error'],
			{ cwd: installed, timeoutMs: 300_000, env: npmEnv() },
		);
		const nodesManifest = JSON.parse(readFileSync(manifest, 'utf8'));
		nodesManifest.dependencies = { ...nodesManifest.dependencies, [PACKAGE_NAME]: packageJson.version };
		writeFileSync(manifest, JSON.stringify(nodesManifest, null, 2));
	} else {
		await runChecked('npm', ['install', tarball, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: nodesDir, timeoutMs: 300_000, env: npmEnv() });
	}
	if (!existsSync(join(installed, 'package.json'))) throw new Error(`${PACKAGE_NAME} is not in ${nodesDir}/node_modules after the install`);
	return installed;
}

export interface NativeCheck {
	/** The .node file that Node loaded for better-sqlite3. */
	binary: string;
	/** Whether a compiled build/ directory exists (it must not after a --ignore-scripts install). */
	compiled: boolean;
	sqliteVersion: string;
}

/**
 * Loads better-sqlite3 as the installed package resolves it, in a separate Node process (so the suite's own
 * copy cannot answer instead), opens an in-memory database and reports which native binary served it.
 */
export async function checkBetterSqlite(installedPackageDir: string): Promise<NativeCheck> {
	const script = `
		const { createRequire } = require('node:module');
		const path = require('node:path');
		const fs = require('node:fs');
		const requireFromPackage = createRequire(path.join(process.argv[1], 'package.json'));
		const entry = requireFromPackage.resolve('better-sqlite3');
		const Database = requireFromPackage('better-sqlite3');
		const db = new Database(':memory:');
		const { v } = db.prepare('select sqlite_version() as v').get();
		db.close();
		const binary = Object.keys(require.cache).find((k) => k.endsWith('.node') && k.includes('better-sqlite3'));
		const root = entry.slice(0, entry.lastIndexOf('better-sqlite3') + 'better-sqlite3'.length);
		console.log(JSON.stringify({ binary, compiled: fs.existsSync(path.join(root, 'build')), sqliteVersion: v }));
	`;
	const result = await runChecked(process.execPath, ['-e', script, installedPackageDir], { timeoutMs: 30_000, cwd: tmpdir() });
	const check = JSON.parse(result.stdout.trim().split('\n').pop()!) as NativeCheck;
	if (!check.binary) throw new Error('better-sqlite3 loaded no native binary that could be identified');
	return check;
}
