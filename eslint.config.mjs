// Lint: n8n's community-node rules on nodes and credentials, typescript-eslint's recommended set everywhere.
import tseslint from 'typescript-eslint';
import jsoncParser from 'jsonc-eslint-parser';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.js', '*.mjs'] },
	...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
	{ files: ['package.json'], languageOptions: { parser: jsoncParser } },
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'],
		...n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport,
		rules: {
			...n8nCommunityNodesPlugin.configs.recommendedWithoutN8nCloudSupport.rules,
			// This package is for self-hosted n8n and needs runtime dependencies (better-sqlite3, pg,
			// kysely, @isaacs/ttlcache) for its state store; n8n Cloud does not allow them, so the rule is off.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		files: ['**/*.ts'],
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
		},
	},
	{
		// The module graph stays acyclic: with a cycle, one top-level constant read during loading is undefined.
		// Type-only imports count too, so shared types live in modules of their own.
		files: ['lib/**/*.ts', 'nodes/**/*.ts', 'credentials/**/*.ts', 'migrations/**/*.ts'],
		plugins: { 'import-x': importX },
		settings: {
			'import-x/extensions': ['.ts', '.js'],
			'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
			'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
		},
		rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
	},
);
