// What the request layer reports as it works (attempts, answers, retries, throttle pauses, limiter waits), PSA-neutral and with secrets redacted, for n8n's log.

/** Why a request is sent again. */
export type RetryReason = 'no-answer' | 'throttled' | 'server-error';

/** One step of one request, as RequestSender sees it: no provider or connection yet (the client adds them). */
export type SenderEvent =
	/** An attempt is about to go out. */
	| { kind: 'attempt'; request: string; attempt: number; endpoint?: string }
	/** The attempt was answered (any status) after `durationMs`. */
	| { kind: 'answer'; request: string; attempt: number; status: number; durationMs: number }
	/** The attempt will be sent again after `delayMs`; `detail` says what went wrong (a status or the transport's error). */
	| { kind: 'retry'; request: string; attempt: number; reason: RetryReason; delayMs: number; status?: number; detail?: string }
	/** The PSA refused to do the work now; with Retry-After the whole connection pauses that long. */
	| { kind: 'throttled'; request: string; attempt: number; status: number; retryAfterMs?: number }
	/** The attempt waited `waitedMs` in the connection's limiter before it could go. */
	| { kind: 'limiter-wait'; request: string; attempt: number; waitedMs: number; endpoint?: string }
	/** The limiter held the attempt past the retry budget: it was never sent. */
	| { kind: 'held'; request: string; attempt: number; reason: string };

export type RequestEventKind = SenderEvent['kind'];

/** A SenderEvent with the provider key and connection id (neither holds a secret). */
export type RequestEvent = SenderEvent & { provider: string; connectionId: string };

/** The log level each event deserves: what slows or repeats a request is a warning, the rest detail. */
export function requestEventLevel(event: Pick<RequestEvent, 'kind'>): 'debug' | 'warn' {
	return event.kind === 'retry' || event.kind === 'throttled' || event.kind === 'held' ? 'warn' : 'debug';
}

/** One line for a log: "PSA request connectwise GET /service/tickets/12 attempt 2: retry in 412 ms (server-error, status 503)". */
export function describeRequestEvent(event: RequestEvent): string {
	const head = `PSA request ${event.provider} ${event.request} attempt ${event.attempt}`;
	switch (event.kind) {
		case 'attempt':
			return `${head}: sending`;
		case 'answer':
			return `${head}: answered ${event.status} in ${event.durationMs} ms`;
		case 'retry':
			return `${head}: retry in ${event.delayMs} ms (${event.reason}${event.status !== undefined ? `, status ${event.status}` : ''}${event.detail ? `, ${event.detail}` : ''})`;
		case 'throttled':
			return `${head}: throttled (${event.status})${event.retryAfterMs !== undefined ? `, Retry-After ${event.retryAfterMs} ms pauses the connection` : ''}`;
		case 'limiter-wait':
			return `${head}: waited ${event.waitedMs} ms for a request slot`;
		case 'held':
			return `${head}: not sent, ${event.reason}`;
	}
}

/**
 * The one place an event loses its secrets: every text field passes through the client's redaction before the event
 * leaves the provider. Numbers carry nothing secret.
 */
export function redactedEvent(event: RequestEvent, redact: (text: string) => string): RequestEvent {
	const copy: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(event)) copy[name] = typeof value === 'string' ? redact(value) : value;
	return copy as RequestEvent;
}
