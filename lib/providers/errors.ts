// The provider error taxonomy: every failure a provider reports is a PsaError of one of these kinds.

export type PsaErrorKind =
	| 'authentication'
	| 'permission'
	| 'not-found'
	| 'invalid-input'
	| 'conflict'
	| 'rate-limited'
	| 'unavailable'
	| 'version'
	| 'configuration';

export interface PsaErrorDetails {
	/** HTTP status, when the error came from a response. */
	status?: number;
	/** The provider's own error code (ConnectWise `code`). */
	providerCode?: string;
	/** The provider's message, as sent (never contains credentials). */
	providerMessage?: string;
	/** The field the provider blamed, e.g. "status/id". */
	field?: string;
	/** "GET /service/tickets/12" — never the full URL with query secrets. */
	request?: string;
	/** What the user can do about it. */
	hint?: string;
	retryAfterMs?: number;
	/**
	 * True when no reliable answer arrived for a request that may have been performed anyway (a POST whose
	 * response was lost or failed with 5xx): look the record up (e.g. by externalRef) before repeating it.
	 */
	outcomeUnknown?: boolean;
	/**
	 * True when the PSA refused the request before doing any of its work (validation, permission, a thread or rate
	 * limit), although its status code does not say so (Autotask answers most refusals with 500).
	 */
	refused?: boolean;
	/** Attempts made before giving up (retries included). */
	attempts?: number;
	/**
	 * True when the PSA's application itself answered (its own error body), not a gateway in front of it and not a lost
	 * connection: it has finished the request, so whatever it committed is visible now and a search proves absence.
	 */
	answered?: boolean;
}

export class PsaError extends Error {
	readonly kind: PsaErrorKind;
	readonly details: PsaErrorDetails;

	constructor(kind: PsaErrorKind, message: string, details: PsaErrorDetails = {}) {
		super(message);
		this.name = 'PsaError';
		this.kind = kind;
		this.details = details;
	}
}

export function isPsaError(error: unknown, kind?: PsaErrorKind): error is PsaError {
	return error instanceof PsaError && (kind === undefined || error.kind === kind);
}

/**
 * A failure of a create or post after which the PSA may have created the record: anything but a refusal (a 4xx,
 * including a final 429). No answer, a 5xx, and a 2xx whose body could not be read (a changed model, a proxy's page)
 * all leave the record possibly made, so its claim is kept and the record looked for before any second attempt.
 */
export function isOutcomeUnknown(error: unknown): boolean {
	if (!isPsaError(error)) return true;
	if (error.details.outcomeUnknown === true) return true;
	if (error.details.refused === true) return false;
	const status = error.details.status;
	return !(typeof status === 'number' && status >= 400 && status < 500);
}

/** A failure the PSA's application answered itself: the request is finished, so a search now tells whether it committed. */
export function isAnsweredByPsa(error: unknown): boolean {
	return isPsaError(error) && error.details.answered === true;
}
