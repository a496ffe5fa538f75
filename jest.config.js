// Jest setup: ts-jest transpiles only (tsc type-checks in `npm run lint`), tests live in test/.
// Transpile-only is TypeScript's isolatedModules, set here on tsconfig.json's options (ts-jest deprecates its own
// isolatedModules option; tsc in `npm run lint` keeps checking without it).
const { compilerOptions } = require('./tsconfig.json');

// On an older Node.js, one line saying what is needed instead of failures deep inside n8n's packages.
if (!require('./scripts/check-node.js').check()) process.exit(1);

/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: { ...compilerOptions, isolatedModules: true } }],
	},
	testTimeout: 60000,
	maxWorkers: 2,
	globalSetup: '<rootDir>/test/setup/global-setup.ts',
	globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
};
