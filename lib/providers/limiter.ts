// One adaptive request limiter per connection: how many requests are in flight (AIMD), how fast (a declared or learned rate), pauses after Retry-After, per-endpoint ceilings, an hourly or windowed budget; waiters served in order.
import { type RequestBudget, rollingBudget } from './limiter-budget';

export { rollingBudget, type RequestBudget } from './limiter-budget';

/** The limiter's time: `sleep` drives its wake-ups, so a test (or the fault suite's virtual time) can replace both. */
export interface LimiterClock {
	now(): number;
	sleep(ms: number): Promise<void>;
}

/** What a provider declares (the request-limit half of RequestLimits in definition.ts). */
export interface LimiterLimits {
	/** Ceiling for requests in flight on the connection; DEFAULT_CEILING when absent. */
	concurrency?: number;
	/** Ceiling for requests in flight per endpoint label (HttpRequest.endpoint). */
	concurrencyPerEndpoint?: number;
	/** Requests per second, never exceeded (a learned rate may be lower). */
	ratePerSecond?: number;
	/** Requests per rolling hour, counted by this process unless `budget` replaces the count. */
	hourlyBudget?: number;
	/** Requests per rolling window of another length (HaloPSA: about 500 per 3 minutes), counted like `hourlyBudget`. */
	windowBudget?: { limit: number; windowMs: number };
}

export interface LimiterOptions extends LimiterLimits {
	clock?: LimiterClock;
	/** Replaces the rolling count of `hourlyBudget` (e.g. one that reads the PSA's own count, or one shared by workers). */
	budget?: RequestBudget;
	/** Requests in flight before anything was learned. */
	initialConcurrency?: number;
}

/** The tuning constants; docs/providers.md and the commit that introduced them say why each has its value. */
export const LIMITER_TUNING = {
	/**
	 * Ceiling when the provider declares none: a PSA without published limits still gets a bound. n8n's HTTP Request
	 * node sends every item of an execution at once; at 64 a 1,000-alert burst was held below it (docs/providers.md).
	 */
	defaultCeiling: 256,
	/** Where a new connection starts (the former per-node default); slow start doubles it per round trip ... */
	initialConcurrency: 4,
	/**
	 * ... up to this limit, then grows by half of it per round trip (limited slow start, RFC 3742) until the first
	 * throttle or the ceiling: the first 429 of a rate-limited PSA comes back for every request then in flight, and
	 * doubling to 100+ before it made that one event 3% of a 1,000-alert run's requests (docs/providers.md).
	 */
	limitedSlowStartAbove: 16,
	minConcurrency: 1,
	/** Multiplicative decrease on a throttled answer (AWS SDK adaptive retry mode's beta). */
	throttleBackoff: 0.7,
	/** Multiplicative decrease when latency has grown (Netflix concurrency-limits' AIMD default). */
	latencyBackoff: 0.9,
	/** Latency counts as grown when its moving average exceeds the endpoint's baseline by this factor ... */
	latencyTolerance: 2,
	/** ... and by at least this much (a 1 ms loopback answer that takes 3 ms has not grown in any useful sense). */
	latencyMinExcessMs: 25,
	/** Samples an endpoint needs before its latency is judged. */
	latencyMinSamples: 5,
	/** On a throttle the send rate is capped at this share of the answers accepted in the last second ... */
	rateBackoff: 0.95,
	/** ... when at least this many were accepted (fewer say nothing about a per-second limit). */
	rateLearnMinAnswers: 10,
	/** A learned rate grows by this share per second without a throttle (probing for a raised limit) ... */
	rateProbePerSecond: 0.0002,
	/** ... and is forgotten after this long without a throttle. */
	rateMemoryMs: 10 * 60 * 1000,
	/** Sends are remembered this long, to count what was sent in the second before a throttled request. */
	sendMemoryMs: 5000,
	/** Longest single sleep of a deadline's wake-up: one nobody needs any more keeps a process alive at most this long. */
	maxWakeMs: 1000,
};

export type LimiterRefusalReason = 'deadline' | 'paused' | 'budget';

/** A request the limiter did not let go before its deadline: it was never sent. */
export class LimiterRefusal extends Error {
	constructor(
		readonly reason: LimiterRefusalReason,
		message: string,
		/** Time spent queued. */
		readonly waitedMs: number,
		/** When the pause or budget would have let it go, if that is known. */
		readonly until?: number,
	) {
		super(message);
		this.name = 'LimiterRefusal';
	}
}

export function isLimiterRefusal(error: unknown): error is LimiterRefusal {
	return error instanceof LimiterRefusal;
}

export interface AcquireOptions {
	/** The endpoint label for per-endpoint ceilings; '' when absent. */
	endpoint?: string;
	/** Refused (never sent) when no slot is free by then; no deadline when absent. */
	deadline?: number;
	/** When the request was first asked for: waiters are served in this order, so a retry keeps its place. */
	since?: number;
}

/**
 * What a throttled answer refused: 'rate' (too many requests per interval: 429, a rate threshold) or 'concurrency' (too
 * many in flight: Autotask's thread threshold). Only a rate refusal teaches a send rate; a thread refusal says nothing
 * about requests per second (the threads may be held by requests the PSA still works on after their answer was lost),
 * and learning one from it cut the rate by 5% per refusal down to one request a second, for as long as refusals came.
 */
export type ThrottleCause = 'rate' | 'concurrency';

/** A slot held for one send; give it back with exactly one of its methods when the answer (or no answer) is in. */
export interface Permit {
	/**
	 * Answered, not throttled. `sample` false for an answer whose latency says nothing (a 5xx, no answer). True when
	 * the freed slot went at once to a request waiting for it.
	 */
	release(sample?: boolean): boolean;
	/** Answered with a refusal to do the work now (429, a thread or rate threshold); Retry-After pauses the connection. */
	throttled(retryAfterMs?: number, cause?: ThrottleCause): void;
}

interface Waiter {
	endpoint: string;
	since: number;
	seq: number;
	enqueuedAt: number;
	deadline: number;
	resolve(permit: Permit): void;
	reject(error: LimiterRefusal): void;
}

interface LatencyStats {
	base: number;
	average: number;
	samples: number;
}

const REAL_CLOCK: LimiterClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

class Slot implements Permit {
	private done = false;
	constructor(
		private readonly limiter: RequestLimiter,
		readonly endpoint: string,
		readonly seq: number,
		readonly grantedAt: number,
		readonly busyAtGrant: boolean,
	) {}
	release(sample = true): boolean {
		if (this.done) return false;
		this.done = true;
		return this.limiter.settle(this, sample ? 'ok' : 'failed') > 0;
	}
	throttled(retryAfterMs?: number, cause: ThrottleCause = 'rate'): void {
		if (this.done) return;
		this.done = true;
		this.limiter.settle(this, 'throttled', retryAfterMs, cause);
	}
}

export class RequestLimiter {
	private readonly clock: LimiterClock;
	private readonly customBudget?: RequestBudget;
	private ceiling = LIMITER_TUNING.defaultCeiling;
	private perEndpointCeiling = Infinity;
	private declaredRate = Infinity;
	private hourly?: { limit: number; budget: RequestBudget };
	private windowed?: { limit: number; windowMs: number; budget: RequestBudget };
	/** The adaptive concurrency limit (fractional; floor() requests may be in flight). */
	private limit: number;
	/** Slow start below this (doubling per round trip), additive increase above it. */
	private slowStartUntil = Infinity;
	private inFlight = 0;
	private readonly inFlightBy = new Map<string, number>();
	private readonly queue: Waiter[] = [];
	private pausedUntil = 0;
	private learned?: { rate: number; at: number };
	/** The second of sends the learned rate was counted from (grant times), while later refusals can still correct it. */
	private countedSecond?: { from: number; until: number };
	/** Rate spacing (GCRA, burst 2): the theoretical arrival time of the next send. */
	private nextSendAt = 0;
	/** Times of the sends of the last few seconds (oldest first, from `sendsHead`): what the PSA counted before a throttle. */
	private sends: number[] = [];
	private sendsHead = 0;
	/** Times of the answers of the last second that were not throttled (oldest first, from `answersHead`). */
	private answers: number[] = [];
	private answersHead = 0;
	private readonly latency = new Map<string, LatencyStats>();
	private nextSeq = 0;
	/** Signals from permits granted before the last decrease belong to that decrease: they do not decrease again. */
	private decreaseSeq = 0;
	private wakeAt = Infinity;

	constructor(options: LimiterOptions = {}) {
		this.clock = options.clock ?? REAL_CLOCK;
		this.customBudget = options.budget;
		this.declare(options);
		const initial = options.initialConcurrency ?? LIMITER_TUNING.initialConcurrency;
		if (!(initial >= 1)) throw new TypeError(`initialConcurrency must be >= 1, got ${initial}`);
		this.limit = Math.min(initial, this.ceiling);
	}

	/** Applies what the provider declares (again: a provider may be created with other limits later); learned state stays. */
	declare(limits: LimiterLimits): void {
		const positive = (name: string, value: number | undefined, whole: boolean) => {
			if (value === undefined) return undefined;
			if (!(value > 0) || (whole && !Number.isInteger(value))) throw new TypeError(`${name} must be a ${whole ? 'whole number' : 'number'} > 0, got ${value}`);
			return value;
		};
		this.ceiling = positive('concurrency', limits.concurrency, true) ?? LIMITER_TUNING.defaultCeiling;
		this.perEndpointCeiling = positive('concurrencyPerEndpoint', limits.concurrencyPerEndpoint, true) ?? Infinity;
		this.declaredRate = positive('ratePerSecond', limits.ratePerSecond, false) ?? Infinity;
		const hourly = positive('hourlyBudget', limits.hourlyBudget, true);
		if (hourly === undefined) this.hourly = undefined;
		else if (this.hourly?.limit !== hourly) this.hourly = { limit: hourly, budget: rollingBudget(hourly) };
		const windowed = limits.windowBudget;
		if (windowed === undefined) this.windowed = undefined;
		else {
			positive('windowBudget.limit', windowed.limit, true);
			positive('windowBudget.windowMs', windowed.windowMs, false);
			if (this.windowed?.limit !== windowed.limit || this.windowed.windowMs !== windowed.windowMs) {
				this.windowed = { ...windowed, budget: rollingBudget(windowed.limit, windowed.windowMs) };
			}
		}
		if (this.limit !== undefined) this.limit = Math.min(this.limit, this.ceiling);
		this.pump();
	}

	/** A slot for one send, in order of `since`; refused (LimiterRefusal) when none is free by the deadline. */
	acquire(options: AcquireOptions = {}): Promise<Permit> {
		const now = this.clock.now();
		const endpoint = options.endpoint ?? '';
		const deadline = options.deadline ?? Infinity;
		const since = options.since ?? now;
		if (this.queue.length === 0 && this.blockedUntil(now) <= now && this.hasRoom(endpoint)) {
			return Promise.resolve(this.grant(endpoint, now));
		}
		return new Promise<Permit>((resolve, reject) => {
			const waiter: Waiter = { endpoint, since, seq: this.nextSeq++, enqueuedAt: now, deadline, resolve, reject };
			// Ordered by `since`, then arrival; nearly always the end of the queue.
			let index = this.queue.length;
			while (index > 0 && this.queue[index - 1].since > since) index--;
			this.queue.splice(index, 0, waiter);
			this.pump();
		});
	}

	/** What the limiter currently allows and holds (for tests, the bench and diagnostics). */
	snapshot(): { limit: number; inFlight: number; queued: number; pausedUntil: number; ratePerSecond: number; inFlightBy: Record<string, number> } {
		const now = this.clock.now();
		return {
			limit: this.limit,
			inFlight: this.inFlight,
			queued: this.queue.length,
			pausedUntil: this.pausedUntil,
			ratePerSecond: this.rate(now),
			inFlightBy: Object.fromEntries(this.inFlightBy),
		};
	}

	/** Called by a permit: one answer (or none) is in. Returns how many waiting requests were granted a slot. */
	settle(slot: Slot, outcome: 'ok' | 'failed' | 'throttled', retryAfterMs?: number, cause: ThrottleCause = 'rate'): number {
		const now = this.clock.now();
		this.inFlight--;
		const count = (this.inFlightBy.get(slot.endpoint) ?? 1) - 1;
		if (count === 0) this.inFlightBy.delete(slot.endpoint);
		else this.inFlightBy.set(slot.endpoint, count);
		if (outcome === 'throttled') this.onThrottle(slot, now, retryAfterMs, cause);
		else {
			this.answers.push(now);
			if (this.answers.length > 4096) this.acceptedLastSecond(now);
			if (outcome === 'ok') this.onAnswer(slot, now);
		}
		return this.pump();
	}

	private onThrottle(slot: Slot, now: number, retryAfterMs: number | undefined, cause: ThrottleCause): void {
		if (retryAfterMs !== undefined && retryAfterMs > 0) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
		if (slot.seq < this.decreaseSeq) {
			// A later refusal of the same event that was sent inside the counted second was counted as accepted: take it
			// back. Answers come back out of order, so the first refusal seen is not always the first one sent, and
			// counting those as accepted learned 99 for a limit of 100 (then a second 429 event and a second pause).
			const counted = this.countedSecond;
			if (cause === 'rate' && counted && this.learned && slot.grantedAt >= counted.from && slot.grantedAt < counted.until) {
				this.learned = { rate: Math.max(1, this.learned.rate - LIMITER_TUNING.rateBackoff), at: this.learned.at };
			}
			return;
		}
		this.decrease(LIMITER_TUNING.throttleBackoff);
		// Too many in flight: fewer in flight is the answer (above), not a slower pace.
		if (cause === 'concurrency') return;
		// The first throttled request of an event was refused for what was sent in the second before it, all of which the
		// PSA had accepted; answers counted on arrival miss the accepted ones still in flight, and so learned 88 for 100.
		// Only for a refusal that came back within the second: a late one says nothing about that second's count.
		const sentBefore = now - slot.grantedAt < 1000 ? this.sentInSecondBefore(slot.grantedAt) : 0;
		const accepted = Math.max(this.acceptedLastSecond(now), sentBefore);
		const current = this.rate(now);
		this.countedSecond = undefined;
		if (accepted >= LIMITER_TUNING.rateLearnMinAnswers) {
			this.learned = { rate: Math.min(current, accepted) * LIMITER_TUNING.rateBackoff, at: now };
			if (accepted === sentBefore && sentBefore < current) this.countedSecond = { from: slot.grantedAt - 1000, until: slot.grantedAt };
		} else if (this.learned) {
			this.learned = { rate: Math.max(1, current * LIMITER_TUNING.rateBackoff), at: now };
		}
	}

	private onAnswer(slot: Slot, now: number): void {
		const sample = now - slot.grantedAt;
		let stats = this.latency.get(slot.endpoint);
		if (!stats) {
			stats = { base: sample, average: sample, samples: 0 };
			this.latency.set(slot.endpoint, stats);
		}
		stats.samples++;
		// The baseline is the lowest latency seen, drifting up slowly so a PSA that became slower for good is the new normal.
		stats.base = sample < stats.base ? sample : stats.base + (sample - stats.base) * 0.01;
		stats.average += (sample - stats.average) * 0.2;
		const grown =
			stats.samples >= LIMITER_TUNING.latencyMinSamples &&
			stats.average > stats.base * LIMITER_TUNING.latencyTolerance &&
			stats.average - stats.base > LIMITER_TUNING.latencyMinExcessMs;
		// Slow start ends at the first throttle or at the ceiling, not at grown latency: while the limit doubles, the
		// answers also wait for this process's own work on the requests it just added (a busy n8n's event loop), and
		// taking that for the PSA's pressure left a burst at about 10 in flight, growing by one per round trip.
		if (grown && !this.inSlowStart()) {
			if (slot.seq >= this.decreaseSeq) this.decrease(LIMITER_TUNING.latencyBackoff);
			return;
		}
		// Only a limit that is being used grows (a quiet connection must not talk itself into a large one): half of it
		// in flight when the permit was granted or when it came back (counting itself), or someone waiting.
		if (!slot.busyAtGrant && (this.inFlight + 1) * 2 < this.limit && this.queue.length === 0) return;
		// Answers to requests sent before the last decrease do not undo it (TCP's fast recovery does the same).
		if (slot.seq < this.decreaseSeq) return;
		const above = LIMITER_TUNING.limitedSlowStartAbove;
		const step = !this.inSlowStart() ? 1 / this.limit : this.limit < above ? 1 : above / (2 * this.limit);
		this.limit = Math.min(this.ceiling, this.limit + step);
	}

	/** Slow start lasts until the first decrease or until the limit reaches the ceiling. */
	private inSlowStart(): boolean {
		return this.limit < this.slowStartUntil && this.limit < this.ceiling;
	}

	private decrease(factor: number): void {
		this.limit = Math.max(LIMITER_TUNING.minConcurrency, this.limit * factor);
		this.slowStartUntil = this.limit;
		this.decreaseSeq = this.nextSeq;
	}

	/** Sends in the second before `at`; 0 when that second is no longer remembered. */
	private sentInSecondBefore(at: number): number {
		if (at - 1000 < this.clock.now() - LIMITER_TUNING.sendMemoryMs) return 0;
		let count = 0;
		for (let index = this.sends.length - 1; index >= this.sendsHead && this.sends[index] > at - 1000; index--) {
			if (this.sends[index] < at) count++;
		}
		return count;
	}

	private recordSend(now: number): void {
		this.sends.push(now);
		while (this.sendsHead < this.sends.length && this.sends[this.sendsHead] <= now - LIMITER_TUNING.sendMemoryMs) this.sendsHead++;
		if (this.sendsHead > 1024) {
			this.sends = this.sends.slice(this.sendsHead);
			this.sendsHead = 0;
		}
	}

	private acceptedLastSecond(now: number): number {
		while (this.answersHead < this.answers.length && this.answers[this.answersHead] <= now - 1000) this.answersHead++;
		if (this.answersHead > 1024) {
			this.answers = this.answers.slice(this.answersHead);
			this.answersHead = 0;
		}
		return this.answers.length - this.answersHead;
	}

	/** Requests per second allowed now: the declared rate, or the learned one when lower. */
	private rate(now: number): number {
		if (this.learned && now - this.learned.at > LIMITER_TUNING.rateMemoryMs) this.learned = undefined;
		if (!this.learned) return this.declaredRate;
		const probed = this.learned.rate * (1 + (LIMITER_TUNING.rateProbePerSecond * Math.max(0, now - this.learned.at)) / 1000);
		return Math.min(this.declaredRate, probed);
	}

	private hasRoom(endpoint: string): boolean {
		return this.inFlight < Math.floor(this.limit) && (this.inFlightBy.get(endpoint) ?? 0) < this.perEndpointCeiling;
	}

	/** The earliest time anything may be sent, whatever the slots: a pause, the rate's spacing, the budgets. */
	private blockedUntil(now: number): number {
		let until = this.pausedUntil;
		const rate = this.rate(now);
		if (rate !== Infinity) until = Math.max(until, this.nextSendAt - 1000 / rate);
		if (this.hourly) until = Math.max(until, this.hourly.budget.nextAllowedAt(now));
		if (this.windowed) until = Math.max(until, this.windowed.budget.nextAllowedAt(now));
		if (this.customBudget) until = Math.max(until, this.customBudget.nextAllowedAt(now));
		return until;
	}

	private grant(endpoint: string, now: number): Slot {
		const busy = (this.inFlight + 1) * 2 >= this.limit || this.queue.length > 0;
		this.inFlight++;
		this.inFlightBy.set(endpoint, (this.inFlightBy.get(endpoint) ?? 0) + 1);
		const rate = this.rate(now);
		if (rate !== Infinity) this.nextSendAt = Math.max(this.nextSendAt, now) + 1000 / rate;
		this.recordSend(now);
		this.hourly?.budget.record(now);
		this.windowed?.budget.record(now);
		this.customBudget?.record(now);
		return new Slot(this, endpoint, this.nextSeq++, now, busy);
	}

	private refusalFor(waiter: Waiter, now: number, blockedUntil: number): LimiterRefusal {
		const waited = now - waiter.enqueuedAt;
		const until = blockedUntil > now ? blockedUntil : undefined;
		if (until !== undefined && until === this.pausedUntil) {
			return new LimiterRefusal('paused', `the PSA asked for a pause until ${new Date(until).toISOString()} (Retry-After), later than the request's retry budget allows`, waited, until);
		}
		if (until !== undefined && until - now > 1000) {
			return new LimiterRefusal('budget', `the connection's request budget is spent until ${new Date(until).toISOString()}`, waited, until);
		}
		return new LimiterRefusal(
			'deadline',
			`no request slot was free within the retry budget (waited ${Math.round(waited)} ms; ${this.inFlight} in flight, ${this.queue.length} queued, limit ${Math.floor(this.limit)})`,
			waited,
		);
	}

	/** Grants what may go now, refuses what cannot go by its deadline, and sets a wake-up for the rest; returns the grants. */
	private pump(): number {
		if (this.queue.length === 0) return 0;
		let granted = 0;
		const now = this.clock.now();
		let blocked = this.blockedUntil(now);
		// First whoever cannot go by its deadline (it is never sent), then grants in order.
		for (let index = 0; index < this.queue.length; ) {
			const waiter = this.queue[index];
			if (waiter.deadline <= now || blocked > waiter.deadline) {
				this.queue.splice(index, 1);
				waiter.reject(this.refusalFor(waiter, now, blocked));
			} else index++;
		}
		for (let index = 0; index < this.queue.length && blocked <= now && this.inFlight < Math.floor(this.limit); ) {
			const waiter = this.queue[index];
			// Blocked only by its own endpoint's ceiling: later waiters for other endpoints may pass (FIFO per endpoint).
			if ((this.inFlightBy.get(waiter.endpoint) ?? 0) >= this.perEndpointCeiling) {
				index++;
				continue;
			}
			this.queue.splice(index, 1);
			waiter.resolve(this.grant(waiter.endpoint, now));
			granted++;
			blocked = this.blockedUntil(now);
		}
		if (this.queue.length === 0) return granted;
		let deadline = Infinity;
		for (const waiter of this.queue) if (waiter.deadline < deadline) deadline = waiter.deadline;
		// A pause or the rate's spacing ends at a known time: one sleep. A deadline is a guard that a free slot usually
		// makes unnecessary, so its wake-up comes in short sleeps (a stale one keeps the process alive no longer than that).
		if (blocked > now && blocked <= deadline) this.wakeUpAt(blocked, now, Infinity);
		else this.wakeUpAt(deadline, now, LIMITER_TUNING.maxWakeMs);
		return granted;
	}

	private wakeUpAt(at: number, now: number, longestSleep: number): void {
		if (at === Infinity || (this.wakeAt <= at && this.wakeAt > now)) return;
		this.wakeAt = at;
		const delay = Math.max(0, Math.min(at - now, longestSleep));
		void this.clock.sleep(delay).then(() => {
			if (this.wakeAt === at) this.wakeAt = Infinity;
			this.pump();
		});
	}
}

// One limiter per connection per process, per clock: nodes make a new provider per execution, so the limiter cannot live in it.
let registry = new WeakMap<object, Map<string, RequestLimiter>>();

/**
 * The limiter of a connection, shared by every provider, node and trigger of this process that uses it. Providers
 * built on another clock (tests, the fault suite's virtual time) get their own: the clock's `sleep` is part of the key.
 */
export function limiterFor(connectionId: string, limits: LimiterLimits = {}, clock: LimiterClock = REAL_CLOCK): RequestLimiter {
	let limiters = registry.get(clock.sleep);
	if (!limiters) {
		limiters = new Map();
		registry.set(clock.sleep, limiters);
	}
	const existing = limiters.get(connectionId);
	if (existing) {
		existing.declare(limits);
		return existing;
	}
	const limiter = new RequestLimiter({ ...limits, clock });
	limiters.set(connectionId, limiter);
	return limiter;
}

/** Forgets every limiter (tests and benchmarks that want a connection to start from nothing). */
export function resetLimiters(): void {
	registry = new WeakMap();
}
