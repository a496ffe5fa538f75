// Before a publish: the pushed tag must be v<package.json version> and CHANGELOG.md must date that version's section; prints the npm dist-tag.
// Plain CommonJS and Node built-ins only: the publish job runs it before `npm ci`.
'use strict';

var fs = require('fs');
var path = require('path');

var root = path.join(__dirname, '..');

/**
 * Checks one release. `tag` is the pushed git tag (v1.2.3 or v1.2.3-rc.1), `version` package.json's version,
 * `changelog` CHANGELOG.md's text. Returns the npm dist-tag: "latest", or "next" for a pre-release.
 * Throws an Error that says what to fix.
 */
function checkRelease(tag, version, changelog) {
	if (!/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(tag || '')) {
		throw new Error('The tag "' + tag + '" is not a version tag: tag the release commit v<version>, e.g. v' + version);
	}
	if (tag !== 'v' + version) {
		throw new Error('The tag ' + tag + ' does not match package.json\'s version ' + version + ': set "version" to ' + tag.slice(1) + ' in package.json (and in package-lock.json) or tag v' + version);
	}
	var escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	var heading = new RegExp('^## \\[' + escaped + '\\] - (.+)$', 'm').exec(changelog);
	if (!heading) {
		throw new Error('CHANGELOG.md has no section for ' + version + ': add "## [' + version + '] - YYYY-MM-DD" with what changed');
	}
	if (!/^\d{4}-\d{2}-\d{2}$/.test(heading[1].trim())) {
		throw new Error('CHANGELOG.md\'s section for ' + version + ' is dated "' + heading[1].trim() + '": replace it with the release date (YYYY-MM-DD)');
	}
	return version.indexOf('-') === -1 ? 'latest' : 'next';
}

module.exports = { checkRelease: checkRelease };

if (require.main === module) {
	try {
		var pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
		var changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
		process.stdout.write(checkRelease(process.argv[2], pkg.version, changelog) + '\n');
	} catch (error) {
		process.stderr.write(error.message + '\n');
		process.exit(1);
	}
}
