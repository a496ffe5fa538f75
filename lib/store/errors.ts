// The state store's errors: one class, a kind that says what the caller can do about it.

export type StoreErrorKind = 'key' | 'configuration' | 'conflict' | 'invalid-input' | 'migration' | 'unavailable' | 'damaged';

export class StoreError extends Error {
	readonly kind: StoreErrorKind;

	/** What to do, when it is more specific than the kind's usual advice. */
	readonly hint?: string;

	constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown; hint?: string }) {
		super(message, options?.cause === undefined ? undefined : { cause: options.cause });
		this.name = 'StoreError';
		this.kind = kind;
		if (options?.hint) this.hint = options.hint;
	}
}

export function isStoreError(error: unknown, kind?: StoreErrorKind): error is StoreError {
	return error instanceof StoreError && (kind === undefined || error.kind === kind);
}

/**
 * One stored row whose sealed value does not open (altered, or sealed under a key the store does not have). Such a row
 * is skipped and reported: it never hides the rows around it.
 */
export interface DamagedRow {
	/** The table, e.g. psa_member_map. */
	table: string;
	/** The row's key in words, e.g. 'id 42' or 'source "email", identity hash 1f2e3d4c5b6a7980'. */
	row: string;
	/** What is wrong with it. */
	problem: string;
	/** What to do about it. */
	action: string;
	/** All of the above as one sentence, for logs and errors. */
	message: string;
}

/** Receives the damaged rows a read skipped. */
export type DamagedRowReporter = (row: DamagedRow) => void;

export function damagedRow(table: string, row: string, cause: unknown, action: string): DamagedRow {
	const problem = sealedProblem(cause);
	return { table, row, problem, action, message: `The row ${row} of ${table} is damaged: ${problem}. ${action}` };
}

/** The Fernet failure in words: which of "altered / another key" it can be, never just "signature does not verify". */
function sealedProblem(cause: unknown): string {
	const kind = (cause as { problem?: unknown })?.problem;
	if (kind === 'signature') return 'its sealed value does not open with the store\'s keys (it was sealed under another key, or altered)';
	const detail = cause instanceof Error ? cause.message : String(cause);
	return `its sealed value is not a valid sealed token (${detail})`;
}
