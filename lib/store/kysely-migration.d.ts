// Types for the `kysely/migration` subpath: tsconfig resolves modules the node10 way, which ignores package exports.
declare module 'kysely/migration' {
	export * from 'kysely/dist/migration/index';
}
