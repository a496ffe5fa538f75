// Stops with one line when this Node.js is older than package.json's engines (n8n 2.x and this package need Node 24).
// `npm install` itself is stopped earlier by engine-strict in .npmrc (before anything is downloaded); this check is for
// the commands run afterwards (npm start, npm test, npm run demo, npm run test:e2e), e.g. from a shell on another Node.
// Plain CommonJS and Node built-ins only, so that it runs on any Node.js a newcomer may have.
'use strict';

var fs = require('fs');
var path = require('path');

function required() {
	var engines = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).engines || {};
	var match = /(\d+)/.exec(engines.node || '');
	return match ? Number(match[1]) : 0;
}

/** True when `version` (default: this Node.js) is new enough; otherwise writes one line to stderr and returns false. */
function check(version) {
	var actual = version || process.versions.node;
	var need = required();
	var have = Number(actual.split('.')[0]);
	if (have >= need) return true;
	process.stderr.write(
		'PSA Bridge needs Node.js ' + need + ' or newer, but this is Node.js v' + actual + ' (' + process.execPath + '): ' +
			'run `nvm install` here (it reads .nvmrc) or get Node.js ' + need + ' from https://nodejs.org/en/download, then run the command again.\n',
	);
	return false;
}

module.exports = { check: check };

if (require.main === module && !check()) process.exit(1);
