// The progress lines `npm start` prints while n8n installs, from npm's --loglevel=info output.
import { InstallProgress } from './install-progress';

const REGISTRY = 'https://registry.npmjs.org';

describe('InstallProgress', () => {
	it('follows npm from resolving through downloading to install scripts, with how long each script runs', () => {
		let now = 0;
		const progress = new InstallProgress(() => now);
		expect(progress.describe()).toBe("resolving n8n's dependency tree (0 package manifests fetched)");

		// Lines arrive in chunks that split them.
		progress.write(`npm http fetch GET 200 ${REGISTRY}/n8n 85ms (cache miss)\nnpm http fetch GET 200 ${REGISTRY}/n8n-core 4`);
		progress.write(`0ms (cache miss)\nnpm info something else\n`);
		expect(progress.snapshot()).toMatchObject({ phase: 'resolving', manifests: 2, tarballs: 0 });

		progress.write(`npm http fetch GET 200 ${REGISTRY}/n8n/-/n8n-2.30.0.tgz 900ms (cache miss)\n`);
		progress.write(`npm http fetch GET 200 ${REGISTRY}/@n8n/db/-/db-1.0.0.tgz 30ms (cache hit)\n`);
		expect(progress.describe()).toBe('downloading and unpacking packages (2 so far)');

		progress.write('npm info run sqlite3@5.1.7 install node_modules/sqlite3 prebuild-install -r napi || node-gyp rebuild\n');
		progress.write('npm info run esbuild@0.25.0 postinstall node_modules/esbuild node install.js\n');
		now = 42_000;
		expect(progress.describe()).toBe(
			'running install scripts, native builds among them (0 done; now: sqlite3@5.1.7 for 42 s, esbuild@0.25.0 for 42 s)',
		);
		progress.write('npm info run esbuild@0.25.0 postinstall { code: 0, signal: null }\n');
		expect(progress.snapshot()).toMatchObject({ phase: 'building', running: ['sqlite3@5.1.7'], scriptsDone: 1 });
		progress.write('npm info run sqlite3@5.1.7 install { code: 0, signal: null }\n');
		expect(progress.describe()).toBe('running install scripts (2 done, 2 packages unpacked)');
	});
});
