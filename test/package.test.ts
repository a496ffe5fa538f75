// Checks package.json against n8n's community-package conventions, that every registered file has a source, what the packed tarball holds (files, size, each node's codex as n8n reads it), and that installed into n8n's nodes folder it brings no n8n-workflow of its own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerCredentialTypes, providerDefinitions } from '../lib/providers/registry';
import { installPackage, packInto, unexpectedPackedFiles, type InstallMode, type PackedPackage } from './e2e/package-install';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('package.json', () => {
	it('follows the community-package conventions', () => {
		expect(pkg.name).toBe('n8n-nodes-psa-bridge');
		expect(pkg.keywords).toContain('n8n-community-node-package');
		expect(pkg.license).toBe('MIT');
		expect(pkg.files).toEqual(['dist']);
		expect(pkg.engines.node).toBe('>=24');
		expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
		// Optional, so that npm never installs a copy of its own next to the package: the nodes must get n8n's (see below).
		expect(pkg.peerDependenciesMeta).toEqual({ 'n8n-workflow': { optional: true } });
		expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
	});

	it('names the runtime dependencies the design calls for', () => {
		expect(Object.keys(pkg.dependencies).sort()).toEqual(['@isaacs/ttlcache', 'better-sqlite3', 'kysely', 'pg']);
		expect(pkg.dependencies.kysely).toMatch(/0\.29/);
		expect(pkg.dependencies['better-sqlite3']).toMatch(/\^13/);
	});

	it('registers one credential per registered PSA provider, the state store credential and the eight nodes', () => {
		// Each registered credential file's class name; a provider's credential type is that class's `name`.
		const credentialTypes = (pkg.n8n.credentials as string[]).map((entry) => {
			const source = readFileSync(join(root, entry.replace(/^dist\//, '').replace(/\.js$/, '.ts')), 'utf8');
			return /^\s*name = '([^']+)';/m.exec(source)?.[1];
		});
		expect(credentialTypes.sort()).toEqual([...providerCredentialTypes(), 'psaStateStore'].sort());
		expect([...pkg.n8n.nodes].sort()).toEqual([
			'dist/nodes/PsaCatchUpTrigger/PsaCatchUpTrigger.node.js',
			'dist/nodes/PsaConnect/PsaConnect.node.js',
			'dist/nodes/PsaLink/PsaLink.node.js',
			'dist/nodes/PsaMemberMap/PsaMemberMap.node.js',
			'dist/nodes/PsaNote/PsaNote.node.js',
			'dist/nodes/PsaStatus/PsaStatus.node.js',
			'dist/nodes/PsaTicket/PsaTicket.node.js',
			'dist/nodes/PsaTrigger/PsaTrigger.node.js',
		]);
	});

	it('registers only built files whose TypeScript source exists', () => {
		const entries: string[] = [...pkg.n8n.credentials, ...pkg.n8n.nodes];
		for (const entry of entries) {
			expect(entry).toMatch(/^dist\/.+\.js$/);
			const source = join(root, entry.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
			expect(existsSync(source)).toBe(true);
		}
	});
});

/** The eight nodes' codex files as the package ships them: next to each compiled node (n8n reads `<node>.node.js` + "on"). */
const codexFiles = (pkg.n8n.nodes as string[]).map((entry) => entry.replace(/\.js$/, '.json'));

/** Budgets for the tarball in bytes, with room for the next provider: a guard against shipping what should not ship (tests, sources, maps), not a size target; docs/releases.md states the measured sizes. */
const PACKED_BUDGET = 500_000;
const UNPACKED_BUDGET = 2_500_000;

describe('the packed package', () => {
	let packDir = '';
	let packedPackage: PackedPackage;
	let packed: string[] = [];

	beforeAll(async () => {
		// npm runs prepack (the build) first: this is the tarball `npm publish` uploads and the installs below get.
		packDir = mkdtempSync(join(tmpdir(), 'psa-pack-'));
		packedPackage = await packInto(packDir);
		packed = packedPackage.files;
	}, 300_000);
	afterAll(() => rmSync(packDir, { recursive: true, force: true }));

	it('holds only dist/ (compiled code, declarations, codex, icons), README.md, LICENSE and package.json', () => {
		expect(unexpectedPackedFiles(packed)).toEqual([]);
		expect(packed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
		expect(packed.filter((path) => !path.startsWith('dist/')).sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
	});

	it('stays within its size budget', () => {
		expect({ size: packedPackage.size, unpackedSize: packedPackage.unpackedSize }).toEqual({
			size: expect.any(Number),
			unpackedSize: expect.any(Number),
		});
		expect(packedPackage.size).toBeLessThan(PACKED_BUDGET);
		expect(packedPackage.unpackedSize).toBeLessThan(UNPACKED_BUDGET);
	});

	it("holds every node's .node.json next to its compiled node", () => {
		for (const entry of pkg.n8n.nodes as string[]) expect(packed).toContain(entry);
		for (const file of codexFiles) expect(packed).toContain(file);
	});

	it("gives n8n's loader every registered PSA's name as an alias of each node, with categories and a docs link", () => {
		// n8n-core's PackageDirectoryLoader in a process of its own, as n8n loads a community package (not jest's module system).
		const userFolder = mkdtempSync(join(tmpdir(), 'psa-codex-'));
		try {
			const script = `
				const { PackageDirectoryLoader } = require('n8n-core');
				(async () => {
					const loader = new PackageDirectoryLoader(process.cwd());
					await loader.loadAll();
					const codex = Object.fromEntries(Object.entries(loader.nodeTypes).map(([name, { type }]) => [name, type.description.codex]));
					process.stdout.write(JSON.stringify(codex));
				})().catch((error) => { console.error(error); process.exit(1); });`;
			const env = { ...process.env, N8N_USER_FOLDER: userFolder, N8N_LOG_LEVEL: 'silent', NODE_ENV: 'production' };
			const run = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env, timeout: 120_000 });
			if (run.status !== 0) throw new Error(`loading the package failed: ${run.stderr}`);
			const codex = JSON.parse(run.stdout) as Record<string, { alias?: string[]; categories?: string[]; resources?: { primaryDocumentation?: Array<{ url: string }> } }>;
			const nodeTypes = (pkg.n8n.nodes as string[]).map((entry) => {
				const name = /([^/]+)\.node\.js$/.exec(entry)![1];
				return name.charAt(0).toLowerCase() + name.slice(1);
			});
			expect(Object.keys(codex).sort()).toEqual([...nodeTypes].sort());
			const psaNames = providerDefinitions().map((definition) => definition.displayName);
			expect(psaNames).toEqual(expect.arrayContaining(['ConnectWise', 'Autotask']));
			for (const name of nodeTypes) {
				expect({ name, alias: codex[name].alias }).toEqual({ name, alias: expect.arrayContaining([...psaNames, 'PSA']) });
				expect(codex[name].categories).toEqual(expect.arrayContaining(['Communication']));
				expect(codex[name].resources?.primaryDocumentation?.[0]?.url).toMatch(/^https:\/\/github\.com\/.+\/docs\/nodes\/psa-[a-z-]+\.md$/);
			}
		} finally {
			rmSync(userFolder, { recursive: true, force: true });
		}
	}, 180_000);

	it('names no PSA in the codex sources: the build adds the registered ones', () => {
		const psaNames = providerDefinitions().map((definition) => definition.displayName.toLowerCase());
		for (const file of codexFiles) {
			const source = JSON.parse(readFileSync(join(root, file.replace(/^dist\//, '')), 'utf8')) as { alias: string[] };
			expect(source.alias.filter((alias) => psaNames.includes(alias.toLowerCase()))).toEqual([]);
		}
	});

	describe.each<InstallMode>(['ui', 'manual'])("installed into n8n's nodes folder (%s install)", (mode) => {
		let userFolder = '';
		let installed = '';
		beforeAll(async () => {
			userFolder = mkdtempSync(join(tmpdir(), `psa-install-${mode}-`));
			installed = await installPackage(userFolder, packedPackage.tarball, mode);
		}, 300_000);
		afterAll(() => rmSync(userFolder, { recursive: true, force: true }));

		it('brings no n8n-workflow: the nodes load with the one n8n-workflow n8n itself has', () => {
			const nodesFolder = join(userFolder, '.n8n', 'nodes');
			expect(packageCopies(nodesFolder, 'n8n-workflow')).toEqual([]);
			// n8n's own copy, as n8n provides it: its loader appends n8n's module paths to NODE_PATH before it loads
			// community packages (n8n 2.30, load-nodes-and-credentials.js, init()). The repository's copy stands in for it.
			const n8nModules = join(userFolder, 'n8n', 'node_modules');
			mkdirSync(n8nModules, { recursive: true });
			symlinkSync(join(root, 'node_modules', 'n8n-workflow'), join(n8nModules, 'n8n-workflow'), 'dir');
			const script = `
				const path = require('node:path');
				const { createRequire } = require('node:module');
				const requireFromPackage = createRequire(path.join(process.argv[1], 'package.json'));
				const resolved = requireFromPackage.resolve('n8n-workflow');
				for (const node of ${JSON.stringify(pkg.n8n.nodes)}) require(path.join(process.argv[1], node));
				// Every n8n-workflow module the nodes loaded, by the package folder it came from.
				const roots = new Set(Object.keys(require.cache).filter((file) => file.includes('/n8n-workflow/')).map((file) => file.slice(0, file.lastIndexOf('/n8n-workflow/') + '/n8n-workflow'.length)));
				process.stdout.write(JSON.stringify({ resolved, roots: [...roots] }));`;
			const env = { ...process.env, NODE_PATH: n8nModules, N8N_USER_FOLDER: userFolder, N8N_LOG_LEVEL: 'silent' };
			const run = spawnSync(process.execPath, ['-e', script, installed], { cwd: tmpdir(), encoding: 'utf8', env, timeout: 120_000 });
			if (run.status !== 0) throw new Error(`loading the installed nodes failed: ${run.stderr}`);
			const { resolved, roots } = JSON.parse(run.stdout) as { resolved: string; roots: string[] };
			const n8nCopy = realpathSync(join(root, 'node_modules', 'n8n-workflow'));
			expect(realpathSync(resolved).startsWith(`${n8nCopy}/`)).toBe(true);
			expect(roots.map((folder) => realpathSync(folder))).toEqual([n8nCopy]);
		}, 120_000);

		it('holds no source map reference and no path of the machine that built it', () => {
			const offending = packageFiles(installed).filter((file) => {
				const text = readFileSync(file, 'utf8');
				return text.includes('sourceMappingURL') || text.includes(root);
			});
			expect(offending).toEqual([]);
		});
	});
});

/** Folders named `name` holding a package.json below `folder` (symbolic links are not followed). */
function packageCopies(folder: string, name: string): string[] {
	const found: string[] = [];
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			if (!entry.isDirectory()) continue;
			const path = join(dir, entry.name);
			if (entry.name === name && existsSync(join(path, 'package.json'))) found.push(path);
			walk(path);
		}
	};
	walk(folder);
	return found;
}

/** The package's own files (its node_modules left out). */
function packageFiles(folder: string): string[] {
	return readdirSync(folder, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => join(entry.parentPath, entry.name))
		.filter((file) => !file.slice(folder.length).includes('/node_modules/'));
}
