// Checks package.json against n8n's community-package conventions, that every registered file has a source, and that the packed package carries each node's codex as n8n reads it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerCredentialTypes, providerDefinitions } from '../lib/providers/registry';

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
		expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
	});

	it('names the runtime dependencies the design calls for', () => {
		expect(Object.keys(pkg.dependencies).sort()).toEqual(['@isaacs/ttlcache', 'better-sqlite3', 'kysely', 'pg']);
		expect(pkg.dependencies.kysely).toMatch(/0\.29/);
		expect(pkg.dependencies['better-sqlite3']).toMatch(/\^13/);
	});

	it('registers one credential per registered PSA provider, the state store credential and the seven nodes', () => {
		// Each registered credential file's class name; a provider's credential type is that class's `name`.
		const credentialTypes = (pkg.n8n.credentials as string[]).map((entry) => {
			const source = readFileSync(join(root, entry.replace(/^dist\//, '').replace(/\.js$/, '.ts')), 'utf8');
			return /^\s*name = '([^']+)';/m.exec(source)?.[1];
		});
		expect(credentialTypes.sort()).toEqual([...providerCredentialTypes(), 'psaStateStore'].sort());
		expect([...pkg.n8n.nodes].sort()).toEqual([
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

/** The seven nodes' codex files as the package ships them: next to each compiled node (n8n reads `<node>.node.js` + "on"). */
const codexFiles = (pkg.n8n.nodes as string[]).map((entry) => entry.replace(/\.js$/, '.json'));

describe('the packed package', () => {
	let packed: string[] = [];

	beforeAll(() => {
		// npm runs prepack (the build) first, so this is the file list `npm publish` and the e2e install get.
		const pack = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
		if (pack.status !== 0) throw new Error(`npm pack --dry-run failed: ${pack.stderr}`);
		// The build's own output comes first on stdout; the report is the JSON array after it.
		const report = pack.stdout.slice(pack.stdout.search(/^\[$/m));
		packed = (JSON.parse(report) as Array<{ files: Array<{ path: string }> }>)[0].files.map((file) => file.path);
	}, 300_000);

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
});
