// Puts next to the compiled code what n8n reads from beside it: node and credential icons, and each node's codex with the registered PSAs' names.
const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { src, dest, task, parallel } = require('gulp');

task('build:icons', function copyIcons() {
	return src(['nodes/**/*.{svg,png}', 'credentials/**/*.{svg,png}'], { base: '.', encoding: false }).pipe(dest('dist'));
});

// Runs after tsc: the aliases come from the compiled provider registry, the one list of PSAs.
task('build:codex', async function writeCodex() {
	const { shippedCodex } = require('./dist/nodes/shared/codex.js');
	const { n8n } = JSON.parse(readFileSync('package.json', 'utf8'));
	for (const nodeFile of n8n.nodes) {
		const target = nodeFile.replace(/\.js$/, '.json');
		const source = target.replace(/^dist\//, '');
		const codex = shippedCodex(JSON.parse(readFileSync(source, 'utf8')));
		mkdirSync(dirname(join(__dirname, target)), { recursive: true });
		writeFileSync(join(__dirname, target), `${JSON.stringify(codex, null, '\t')}\n`);
	}
});

task('build', parallel('build:icons', 'build:codex'));
