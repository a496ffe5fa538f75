// What the repositories share: their context (database, keys, clock, durable writes, engine capabilities) and small helpers for rows and arguments.
import { type Compilable, type Kysely, type QueryResult } from 'kysely';
import { type FernetKeyring } from '../../crypto/fernet';
import { StoreError } from '../errors';
import type { StoreDatabase } from '../schema';
import type { ListPage } from '../types';

export interface RepositoryContext {
	db: Kysely<StoreDatabase>;
	keyring: FernetKeyring;
	lookupKey: Buffer;
	clock: () => number;
	/**
	 * Runs writes whose commits must be on disk when they return (claims: a claim lost in a power failure after the PSA
	 * create would let a retry create twice). SQLite: synchronous=FULL for these commits only; PostgreSQL: as is.
	 */
	durably<T>(write: (executor: Kysely<StoreDatabase>) => Promise<T>): Promise<T>;
	/** What the engine offers that a repository may rely on (the engine itself is never tested for). */
	capabilities: StoreCapabilities;
}

export interface StoreCapabilities {
	/** Transaction-scoped advisory locks (PostgreSQL): serialise a check and an insert that no unique key covers. */
	advisoryLocks: boolean;
	/**
	 * Text compares byte by byte (SQLite's BINARY collation), so the strings with a prefix are one key range an index can
	 * seek. A linguistic collation (PostgreSQL's default) may order punctuation otherwise: there a prefix is only a LIKE.
	 */
	bytewiseText: boolean;
}

/**
 * A query built and compiled once, for the hot paths: Kysely compiles with marker values in place of the arguments,
 * and each call runs the compiled SQL with the arguments in the markers' places (values that are part of the query,
 * such as a state name, stay as compiled). Saves building and compiling the query on every call.
 */
export function precompiled<R>(arity: number, build: (...markers: string[]) => Compilable<R>) {
	const markers = Array.from({ length: arity }, (_, index) => `\u0000psa-argument-${index}`);
	const compiled = build(...markers).compile();
	const slots = compiled.parameters.map((parameter) => markers.indexOf(parameter as string));
	return (executor: Kysely<StoreDatabase>, ...args: unknown[]): Promise<QueryResult<R>> =>
		executor.executeQuery<R>({
			...compiled,
			parameters: slots.map((slot, index) => (slot >= 0 ? args[slot] : compiled.parameters[index])),
		});
}

/** SQLite needs a LIMIT for an OFFSET; both engines accept this as "no limit". */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;
/** A claim that vanishes between insert and read (released by someone else) is retried this many times. */
export const CLAIM_ATTEMPTS = 5;
/**
 * A claim taken over from an abandoned attempt stores the new holder's token behind this prefix, so the row itself says
 * that the abandoned attempt may have created the record and a search must come before a create, whoever holds it.
 */
export const TAKEOVER_PREFIX = 'takeover:';

/** The stored tokens that mean "held by this caller": its token as given, or as marked by a takeover. */
export function heldBy(claimToken: string): string[] {
	return [claimToken, `${TAKEOVER_PREFIX}${claimToken}`];
}

export function isTakenOver(claimToken: string | null): boolean {
	return claimToken !== null && claimToken.startsWith(TAKEOVER_PREFIX);
}

export function requireAge(olderThanMs: unknown): number {
	if (typeof olderThanMs !== 'number' || !Number.isFinite(olderThanMs) || olderThanMs < 0) {
		throw new StoreError('invalid-input', 'olderThanMs must be a non-negative number');
	}
	return olderThanMs;
}

/** SQLite's and PostgreSQL's answer to a write that breaks a unique index. */
export function isUniqueViolation(error: unknown): boolean {
	const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
	return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || (typeof message === 'string' && /UNIQUE constraint failed/.test(message));
}

export function toNumber(value: number | string | bigint): number {
	return typeof value === 'number' ? value : Number(value);
}

export function toNullableNumber(value: number | string | bigint | null): number | null {
	return value === null ? null : toNumber(value);
}

export function changed(result: { numInsertedOrUpdatedRows?: bigint; numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined): number {
	if (!result) return 0;
	return Number(result.numInsertedOrUpdatedRows ?? result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}

export function requireText(name: string, value: unknown): string {
	if (typeof value !== 'string' || value === '') {
		throw new StoreError('invalid-input', `${name} must be a non-empty string`);
	}
	return value;
}

export function requireId(name: string, value: unknown): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
		throw new StoreError('invalid-input', `${name} must be an integer; got ${typeof value === 'number' ? value : typeof value}`);
	}
	return value;
}

/** How many rows a connection has in a table. */
export async function countOf(db: Kysely<StoreDatabase>, table: 'psa_ticket_links' | 'psa_member_map', connectionId: string): Promise<number> {
	const row = await db
		.selectFrom(table)
		.select((eb) => eb.fn.countAll().as('n'))
		.where('connection_id', '=', connectionId)
		.executeTakeFirstOrThrow();
	return toNumber(row.n as number | string);
}

export function applyPage<T extends { limit(n: number): T; offset(n: number): T }>(query: T, page: ListPage | undefined): T {
	const limit = page?.limit;
	const offset = page?.offset;
	if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new StoreError('invalid-input', 'limit must be a non-negative integer');
	if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) throw new StoreError('invalid-input', 'offset must be a non-negative integer');
	let result = query;
	if (limit !== undefined || offset !== undefined) result = result.limit(limit ?? NO_LIMIT);
	if (offset !== undefined) result = result.offset(offset);
	return result;
}

export function toNullableDate(value: number | string | null | undefined): Date | null {
	return value === null || value === undefined ? null : new Date(toNumber(value));
}
