// The provider-neutral request layer: the one place that decides whether and when a request is sent again (backoff, Retry-After, the retry budget).
import type { PsaError } from './errors';
import type { HttpRequest, HttpResponse, HttpTransport } from './http';

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
}

export interface SendOutcome {
	response: HttpResponse;
	attempts: number;
}

export class RequestSender {
	constructor(
		private readonly http: HttpTransport,
		readonly policy: RetryPolicy,
		readonly clock: RequestClock,
		private readonly classifier: ResponseClassifier = HTTP_CLASSIFIER,
	) {}

	/** Sends until an answer is final or the policy says stop; the last answer is returned whatever its status. */
	async send(request: Omit<HttpRequest, 'timeoutMs'>, options: SendOptions): Promise<SendOutcome> {
		const { policy, clock } = this;
		const started = clock.now();
		const requestTimeoutMs = Math.min(policy.requestTimeoutMs, options.timeoutMs ?? policy.requestTimeoutMs);
		for (let attempt = 1; ; attempt++) {
			const remaining = policy.budgetMs - (clock.now() - started);
			const timeoutMs = Math.max(1, Math.min(requestTimeoutMs, remaining > 0 ? remaining : requestTimeoutMs));
			let response: HttpResponse;
			try {
				response = await this.http({ ...request, timeoutMs });
			} catch (error) {
				const delay = this.backoff(attempt);
				if (!options.noRetry && options.idempotent && this.canRetry(attempt, started, delay)) {
					await clock.sleep(delay);
					continue;
				}
				throw options.noAnswer(error, attempt);
			}
			if (options.noRetry) return { response, attempts: attempt };
			if (this.classifier.throttled(response)) {
				// Refused before any work was done, so even a POST may be sent again.
				const delay = parseRetryAfter(response.headers['retry-after'], clock.now()) ?? this.backoff(attempt);
				if (this.canRetry(attempt, started, delay)) {
					await clock.sleep(delay);
					continue;
				}
				return { response, attempts: attempt };
			}
			if (this.classifier.transient(response) && options.idempotent) {
				const delay = this.backoff(attempt);
				if (this.canRetry(attempt, started, delay)) {
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

	private canRetry(attempt: number, started: number, delayMs: number): boolean {
		return attempt < this.policy.maxAttempts && this.clock.now() - started + delayMs <= this.policy.budgetMs;
	}

	/** Capped exponential backoff with full jitter. */
	private backoff(attempt: number): number {
		const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
		return Math.floor(this.clock.random() * ceiling);
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
