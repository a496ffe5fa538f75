// The state store's errors: one class, a kind that says what the caller can do about it.

export type StoreErrorKind = 'key' | 'configuration' | 'conflict' | 'invalid-input' | 'migration' | 'unavailable';

export class StoreError extends Error {
	readonly kind: StoreErrorKind;

	constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'StoreError';
		this.kind = kind;
	}
}

export function isStoreError(error: unknown, kind?: StoreErrorKind): error is StoreError {
	return error instanceof StoreError && (kind === undefined || error.kind === kind);
}
