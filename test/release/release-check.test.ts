// scripts/check-release.js, which the publish job runs before npm publish: the tag, package.json's version and a dated CHANGELOG.md section must agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkRelease } = require('../../scripts/check-release.js') as { checkRelease: (tag: string, version: string, changelog: string) => string };

const root = join(__dirname, '..', '..');
const dated = (version: string) => `# Changelog\n\n## [Unreleased]\n\n## [${version}] - 2027-01-15\n### Added\n- Something.\n`;

describe('release check', () => {
	it('passes a tag that matches the version and a dated section; a pre-release goes to the "next" dist-tag', () => {
		expect(checkRelease('v1.2.3', '1.2.3', dated('1.2.3'))).toBe('latest');
		expect(checkRelease('v1.3.0-rc.1', '1.3.0-rc.1', dated('1.3.0-rc.1'))).toBe('next');
	});

	it('refuses a tag that is not v<version>, naming what to change', () => {
		expect(() => checkRelease('v1.2.4', '1.2.3', dated('1.2.3'))).toThrow('The tag v1.2.4 does not match package.json\'s version 1.2.3: set "version" to 1.2.4');
		expect(() => checkRelease('1.2.3', '1.2.3', dated('1.2.3'))).toThrow('The tag "1.2.3" is not a version tag: tag the release commit v<version>, e.g. v1.2.3');
		expect(() => checkRelease('', '1.2.3', dated('1.2.3'))).toThrow('is not a version tag');
	});

	it('refuses a version without a CHANGELOG.md section, or with one not yet dated', () => {
		expect(() => checkRelease('v1.2.3', '1.2.3', dated('1.2.2'))).toThrow('CHANGELOG.md has no section for 1.2.3: add "## [1.2.3] - YYYY-MM-DD"');
		expect(() => checkRelease('v1.2.3', '1.2.3', '## [1.2.3] - Unreleased\n')).toThrow('CHANGELOG.md\'s section for 1.2.3 is dated "Unreleased": replace it with the release date');
		// "1.2.3" must not be matched by a section for 1x2x3 (the dots are literal).
		expect(() => checkRelease('v1.2.3', '1.2.3', dated('1x2x3'))).toThrow('has no section for 1.2.3');
	});

	it("this repository's package.json version has a CHANGELOG.md section", () => {
		const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
		const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
		expect(changelog).toMatch(new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - `, 'm'));
	});
});
