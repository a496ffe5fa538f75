// Checks package.json against n8n's community-package conventions and that every registered file has a source.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { providerCredentialTypes } from '../lib/providers/registry';

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

	it('registers one credential per registered PSA provider, the state store credential and the six nodes', () => {
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
