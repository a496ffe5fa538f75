// The Node.js version check of check-node.js (plain JavaScript, so that it also runs where TypeScript tooling does not) for the TypeScript scripts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { check } = require('./check-node.js') as { check(): boolean };

/** False, after printing one line saying which Node.js is needed and how to get it, when this one is too old. */
export function checkNodeVersion(): boolean {
	return check();
}
