// Copies node and credential icons next to the compiled code, where n8n looks for them.
const { src, dest, task } = require('gulp');

task('build:icons', function copyIcons() {
	return src(['nodes/**/*.{svg,png}', 'credentials/**/*.{svg,png}'], { base: '.', encoding: false }).pipe(dest('dist'));
});
