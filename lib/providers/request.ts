// The provider-neutral request layer: the one place that decides whether and when a request is sent again (backoff, Retry-After, the retry budget) and when it may go at all (the connection's limiter).
import { PsaError } from './errors';
import type { HttpRequest, HttpResponse, HttpTransport } from './http';
import { isLimiterRefusal, type AcquireOptions, type LimiterRefusal, type Permit } from './limiter';
import type { SenderEvent } from './request-events';

export interface RetryPolicy {
	/** Attempts in total, the first included. */
	maxAttempts: number;
	/** First backoff ceiling; doubles per attempt (full jitter picks a delay between 0 and the ceiling). */
	baseDelayMs: number;
	/** Largest backoff ceiling. */
	maxDelayMs: number;
	/** No retry starts when it would end later than this after the first attempt began. */
	budgetMs: number;
	/** Per-attempt timeout handed to the transport. */
	requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxAttempts: 5,
	baseDelayMs: 250,
	maxDelayMs: 8000,
	budgetMs: 30_000,
	requestTimeoutMs: 30_000,
};

/** How a provider reads its PSA's answers; the layer never looks at a status code itself. */
export interface ResponseClassifier {
	/** Refused before any work was done (rate limited): sent again, even a POST, after the delay it names. */
	throttled(response: HttpResponse): boolean;
	/**
	 * Of the throttled answers, those that refuse for too many requests in flight (a thread threshold) rather than too
	 * many per interval: the limiter then lowers its concurrency only and learns no send rate. None when absent.
	 */
	concurrencyLimited?(response: HttpResponse): boolean;
	/** The server failed: sent again only when repeating the request cannot do the work twice. */
	transient(response: HttpResponse): boolean;
}

/** HTTP's usual meaning: 429 is a refusal, 5xx a failure whose outcome is unknown. */
export const HTTP_CLASSIFIER: ResponseClassifier = {
	throttled: (response) => response.status === 429,
	transient: (response) => response.status >= 500,
};

export interface RequestClock {
	sleep(ms: number): Promise<void>;
	now(): number;
	/** Source of backoff jitter in [0, 1). */
	random(): number;
}

export interface SendOptions {
	/** False for a request whose repetition could do the work twice (a POST): only a throttled answer is resent. */
	idempotent: boolean;
	/** Send once, whatever happens. */
	noRetry?: boolean;
	/** A shorter per-attempt timeout than the policy's. */
	timeoutMs?: number;
	/** The error for a request that got no answer (the provider words it; `attempts` made so far). */
	noAnswer(error: unknown, attempts: number): PsaError;
	/** The endpoint label for the limiter's per-endpoint ceilings when the request carries none (HttpRequest.endpoint). */
	endpoint?: string;
	/** How events name the request ("GET /service/tickets/12"); the method and the URL's path when absent. */
	label?: string;
}

export interface SenderOptions {
	/**
	 * The connection's limiter (limiterFor in limiter.ts): every attempt waits for a slot before it is sent, and a
	 * throttled answer or Retry-After slows or pauses the whole connection. Without one, requests go at once.
	 */
	limiter?: SendLimiter;
	/** Told of each step (request-events.ts); the caller redacts. Errors it throws are ignored. */
	onEvent?: (event: SenderEvent) => void;
}

/** The limiter as the request layer uses it: the connection's RequestLimiter, or one wrapped with limits shared by workers. */
export interface SendLimiter {
	acquire(options?: AcquireOptions): Promise<Permit>;
}

export interface SendOutcome {
	response: HttpResponse;
	attempts: number;
}

export class RequestSender {
	private readonly limiter?: SendLimiter;
	private readonly onEvent?: (event: SenderEvent) => void;

	constructor(
		private readonly http: HttpTransport,
		readonly policy: RetryPolicy,
		readonly clock: RequestClock,
		private readonly classifier: ResponseClassifier = HTTP_CLASSIFIER,
		options: SenderOptions = {},
	) {
		this.limiter = options.limiter;
		this.onEvent = options.onEvent;
	}

	/**
	 * Sends until an answer is final or the policy says stop; the last answer is returned whatever its status.
	 * Time queued in the limiter counts against the retry budget: nothing is sent later than `budgetMs` after the first
	 * attempt began. A first attempt that gets no slot by then fails with a 'rate-limited' PsaError that says nothing was
	 * sent (`refused`); a later attempt that gets none ends as if no retry had been allowed.
	 */
	async send(request: Omit<HttpRequest, 'timeoutMs'>, options: SendOptions): Promise<SendOutcome> {
		const { policy, clock } = this;
		const started = clock.now();
		const requestTimeoutMs = Math.min(policy.requestTimeoutMs, options.timeoutMs ?? policy.requestTimeoutMs);
		const endpoint = request.endpoint ?? options.endpoint;
		const label = options.label ?? `${request.method} ${pathOf(request.url)}`;
		let last: { response: HttpResponse } | { error: unknown } | undefined;
		for (let attempt = 1; ; attempt++) {
			let permit: Permit | undefined;
			if (this.limiter) {
				const asked = clock.now();
				try {
					permit = await this.limiter.acquire({ endpoint, deadline: started + policy.budgetMs, since: started });
				} catch (error) {
					if (!isLimiterRefusal(error)) throw error;
					this.emit({ kind: 'held', request: label, attempt, reason: error.message });
					if (last === undefined) throw notSent(request, error, clock.now());
					if ('error' in last) throw options.noAnswer(last.error, attempt - 1);
					return { response: last.response, attempts: attempt - 1 };
				}
				const waitedMs = clock.now() - asked;
				if (waitedMs > 0) this.emit({ kind: 'limiter-wait', request: label, attempt, waitedMs, ...(endpoint ? { endpoint } : {}) });
			}
			const remaining = policy.budgetMs - (clock.now() - started);
			const timeoutMs = Math.max(1, Math.min(requestTimeoutMs, remaining > 0 ? remaining : requestTimeoutMs));
			this.emit({ kind: 'attempt', request: label, attempt, ...(endpoint ? { endpoint } : {}) });
			const sentAt = clock.now();
			let response: HttpResponse;
			try {
				response = await this.http({ ...request, timeoutMs });
			} catch (error) {
				permit?.release(false);
				const delay = this.backoff(attempt);
				if (!options.noRetry && options.idempotent && this.canRetry(attempt, started, delay)) {
					last = { error };
					this.emit({ kind: 'retry', request: label, attempt, reason: 'no-answer', delayMs: delay, detail: errorText(error) });
					await clock.sleep(delay);
					continue;
				}
				throw options.noAnswer(error, attempt);
			}
			this.emit({ kind: 'answer', request: label, attempt, status: response.status, durationMs: clock.now() - sentAt });
			if (this.classifier.throttled(response)) {
				// Refused before any work was done, so even a POST may be sent again. Retry-After pauses the whole
				// connection (the limiter holds every request until then), not only this one.
				const retryAfter = parseRetryAfter(response.headers['retry-after'], clock.now());
				permit?.throttled(retryAfter, this.classifier.concurrencyLimited?.(response) ? 'concurrency' : 'rate');
				this.emit({ kind: 'throttled', request: label, attempt, status: response.status, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) });
				if (options.noRetry) return { response, attempts: attempt };
				const delay = retryAfter ?? this.backoff(attempt);
				if (this.canRetry(attempt, started, delay)) {
					last = { response };
					this.emit({ kind: 'retry', request: label, attempt, reason: 'throttled', delayMs: delay, status: response.status });
					// With a limiter, a Retry-After wait is the limiter's pause; the next acquire waits it out in order.
					if (!(this.limiter && retryAfter !== undefined)) await clock.sleep(delay);
					continue;
				}
				return { response, attempts: attempt };
			}
			const transient = this.classifier.transient(response);
			// The freed slot went to a waiting request: let it go out before this answer's caller carries on. Otherwise the
			// caller's own work (store writes, its next item) runs first and the slot sits granted but unsent; against a
			// thread limit that idle time is lost from every slot cycle (docs/benchmarks.md, table 2).
			if (permit?.release(!transient)) await letGrantedRequestGo();
			if (options.noRetry) return { response, attempts: attempt };
			if (transient && options.idempotent) {
				const delay = this.backoff(attempt);
				if (this.canRetry(attempt, started, delay)) {
					last = { response };
					this.emit({ kind: 'retry', request: label, attempt, reason: 'server-error', delayMs: delay, status: response.status });
					await clock.sleep(delay);
					continue;
				}
			}
			return { response, attempts: attempt };
		}
	}

	/**
	 * A create whose repetition is made safe by a search: after an unknown outcome the record is looked for, and the
	 * create is sent again only when the search finds nothing, within the policy's attempts.
	 */
	async createOnce<T>(create: () => Promise<T>, find: () => Promise<T | undefined>, outcomeUnknown: (error: unknown) => boolean): Promise<T> {
		for (let attempt = 1; ; attempt++) {
			try {
				return await create();
			} catch (error) {
				if (!outcomeUnknown(error)) throw error;
				const existing = await find();
				if (existing) return existing;
				if (attempt >= this.policy.maxAttempts) throw error;
				await this.clock.sleep(this.backoff(attempt));
			}
		}
	}

	/** A listener's failure never reaches the request. */
	private emit(event: SenderEvent): void {
		if (!this.onEvent) return;
		try {
			this.onEvent(event);
		} catch {
			// Logging must not change what happens to the request.
		}
	}

	private canRetry(attempt: number, started: number, delayMs: number): boolean {
		return attempt < this.policy.maxAttempts && this.clock.now() - started + delayMs <= this.policy.budgetMs;
	}

	/** Capped exponential backoff with full jitter. */
	private backoff(attempt: number): number {
		const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
		return Math.floor(this.clock.random() * ceiling);
	}
}

/**
 * Two turns of the event loop, so that the request granted the freed slot gets going before the caller of the answer
 * that freed it carries on: in the first the granted send's chain of promises runs up to its connection, in the second
 * the I/O callbacks run (a connection that opened at once, as to a PSA on the local network, takes the request's bytes
 * then; a TLS handshake or a shared slot taken from the store still takes longer). Measured against the Autotask
 * sandbox's thread limit: one turn cut the idle time per slot cycle by about 2 ms, the second by about 1 ms more, a
 * third by nothing.
 */
async function letGrantedRequestGo(): Promise<void> {
	for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A request the limiter held past its retry budget: never sent, a definite outcome (callers may release claims). */
function notSent(request: Omit<HttpRequest, 'timeoutMs'>, refusal: LimiterRefusal, now: number): PsaError {
	const label = `${request.method} ${request.endpoint ?? pathOf(request.url)}`;
	return new PsaError('rate-limited', `Nothing was sent for ${label}: ${refusal.message}`, {
		request: label,
		attempts: 0,
		refused: true,
		...(refusal.until !== undefined ? { retryAfterMs: Math.max(0, refusal.until - now) } : {}),
		hint: 'The connection is at the PSA\'s limit. Nothing was sent, so the item can be retried as it is; run fewer workflows on this connection at once, or set the node\'s Concurrency option lower',
	});
}

function errorText(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	return error.name === 'TimeoutError' || error.name === 'AbortError' ? 'the request timed out' : error.message;
}

function pathOf(url: string): string {
	try {
		return new URL(url).pathname;
	} catch {
		return url.split('?')[0];
	}
}

/** Retry-After as delay seconds or an HTTP-date, in milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
	if (value === undefined) return undefined;
	const trimmed = value.trim();
	if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
	const time = Date.parse(trimmed);
	return Number.isNaN(time) ? undefined : Math.max(0, time - now);
}
