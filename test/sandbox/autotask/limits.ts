// Autotask's limits (contract §10) and the sandbox's injectable faults: threads per endpoint, hourly threshold, rate limit, latency.

export type FaultMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
interface FaultMatch {
	method?: FaultMethod;
	/** Path after /V1.0 ('/Tickets/7865') or a route template ('/Tickets/{id}'), case-insensitive; or a RegExp on the path. */
	path?: string | RegExp;
	times?: number;
}

export type Fault = FaultMatch &
	(
		/**
		 * Answered with this status: 429 and 500 by Autotask itself ({"errors": [...]}), 502-504 by a gateway (an HTML
		 * page). With afterCommit the work was done first (a failure after the commit, or a gateway that gave up).
		 */
		| { kind: 'status'; status: 429 | 500 | 502 | 503 | 504; retryAfterSeconds?: number; afterCommit?: boolean }
		| { kind: 'drop' }
		| { kind: 'drop-after-commit' }
		/** Done and answered with its status, but the body is an HTML page (a proxy's answer), not JSON. */
		| { kind: 'garbled' }
		| { kind: 'latency'; ms: number }
		/** Committed `ms` later than received: 'hold' answers after the commit, 'drop' closes the connection at once. */
		| { kind: 'late-commit'; ms: number; respond?: 'hold' | 'drop' }
		/** Refused with the thread-threshold message, nothing done. */
		| { kind: 'thread-limit' }
	);

const KINDS = ['status', 'drop', 'drop-after-commit', 'garbled', 'latency', 'late-commit', 'thread-limit'];

export function validateFault(fault: Fault): Fault {
	if (!fault || typeof fault !== 'object' || !KINDS.includes(fault.kind)) throw new Error(`fault.kind must be one of ${KINDS.join(', ')}`);
	if (fault.kind === 'status' && ![429, 500, 502, 503, 504].includes(fault.status)) throw new Error('fault.status must be 429, 500, 502, 503 or 504');
	if ((fault.kind === 'latency' || fault.kind === 'late-commit') && !(Number.isFinite(fault.ms) && fault.ms >= 0)) throw new Error('fault.ms must be a number >= 0');
	if (fault.kind === 'late-commit' && fault.respond !== undefined && !['hold', 'drop'].includes(fault.respond)) throw new Error("fault.respond must be 'hold' or 'drop'");
	if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0)) throw new Error('fault.times must be a positive integer');
	if (fault.method !== undefined && !['GET', 'POST', 'PATCH', 'PUT', 'DELETE'].includes(fault.method)) throw new Error('fault.method must be GET, POST, PATCH, PUT or DELETE');
	return fault;
}

export class FaultList {
	private active: Array<{ fault: Fault; remaining: number }> = [];
	/**
	 * Chooses a fault for a request the sandbox starts to work on (past the thread limit) when no added fault matches it:
	 * a share of the requests failing at random. Cleared with the faults.
	 */
	roll?: (method: string, path: string, template: string | undefined) => Fault | undefined;

	add(fault: Fault): void {
		this.active.push({ fault: validateFault(fault), remaining: fault.times ?? 1 });
	}

	clear(): void {
		this.active = [];
		this.roll = undefined;
	}

	get size(): number {
		return this.active.length;
	}

	take(method: string, path: string, template: string | undefined): Fault | undefined {
		for (const entry of this.active) {
			const { fault } = entry;
			if (fault.method && fault.method !== method) continue;
			if (fault.path instanceof RegExp && !fault.path.test(path)) continue;
			if (typeof fault.path === 'string') {
				const wanted = fault.path.toLowerCase();
				if (wanted !== path.toLowerCase() && wanted !== template?.toLowerCase()) continue;
			}
			entry.remaining--;
			if (entry.remaining <= 0) this.active = this.active.filter((candidate) => candidate !== entry);
			return fault;
		}
		return this.roll?.(method, path, template);
	}
}

export interface LimitState {
	latencyMs: number;
	rateLimitPerSecond: number;
	threadLimit: number;
	threadLimitStatus: 429 | 500;
	hourlyThreshold: number;
}

const HOUR_MS = 60 * 60 * 1000;

export class Limits {
	threadLimitRefusals = 0;
	private inFlight = new Map<string, number>();
	private maxSeen = new Map<string, number>();
	private lastSecond: number[] = [];
	private lastHour: number[] = [];

	constructor(
		private readonly clock: { now(): number },
		readonly state: LimitState,
	) {}

	set(name: 'latencyMs' | 'rateLimitPerSecond' | 'threadLimit' | 'hourlyThreshold', value: number): void {
		const integer = name !== 'latencyMs';
		if (!(Number.isFinite(value) && value >= 0 && (!integer || Number.isInteger(value)))) throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} >= 0 (0 = off)`);
		this.state[name] = value;
		if (name === 'rateLimitPerSecond') this.lastSecond = [];
	}

	threadBody() {
		return { errors: [`Thread Threshold Exceeded — The Autotask API thread threshold of ${this.state.threadLimit} threads has been exceeded.`] };
	}

	/** Takes one of the (integration code + endpoint) threads for the whole request, latency included. */
	acquireThread(key: string, entity: string): { ok: boolean; release: () => void } {
		const current = this.inFlight.get(key) ?? 0;
		if (this.state.threadLimit > 0 && current >= this.state.threadLimit) {
			this.threadLimitRefusals++;
			return { ok: false, release: () => undefined };
		}
		this.inFlight.set(key, current + 1);
		this.maxSeen.set(entity, Math.max(this.maxSeen.get(entity) ?? 0, current + 1));
		let released = false;
		return {
			ok: true,
			release: () => {
				if (released) return;
				released = true;
				const left = (this.inFlight.get(key) ?? 1) - 1;
				if (left <= 0) this.inFlight.delete(key);
				else this.inFlight.set(key, left);
			},
		};
	}

	maxConcurrentSeen(entity?: string): number {
		if (entity !== undefined) {
			const key = [...this.maxSeen.keys()].find((candidate) => candidate.toLowerCase() === entity.toLowerCase());
			return key === undefined ? 0 : (this.maxSeen.get(key) ?? 0);
		}
		return Math.max(0, ...this.maxSeen.values());
	}

	resetObservations(): void {
		this.maxSeen.clear();
		this.threadLimitRefusals = 0;
	}

	/** The sandbox's per-second limit, then the hourly threshold; an admitted request counts toward the hour. */
	admit(): { kind: 'rate-limit' | 'threshold'; message: string; headers: Record<string, string> } | undefined {
		const now = this.clock.now();
		if (this.state.rateLimitPerSecond > 0) {
			this.lastSecond = this.lastSecond.filter((time) => now - time < 1000);
			if (this.lastSecond.length >= this.state.rateLimitPerSecond) {
				return { kind: 'rate-limit', message: `Rate limit of ${this.state.rateLimitPerSecond} requests per second exceeded.`, headers: { 'retry-after': '1' } };
			}
			this.lastSecond.push(now);
		}
		this.lastHour = this.lastHour.filter((time) => now - time < HOUR_MS);
		if (this.state.hourlyThreshold > 0 && this.lastHour.length >= this.state.hourlyThreshold) {
			return {
				kind: 'threshold',
				message: `Request threshold exceeded: ${this.state.hourlyThreshold} requests per 60 minutes for this database. Requests are refused until usage drops.`,
				headers: {},
			};
		}
		this.lastHour.push(now);
		return undefined;
	}

	thresholdInformation() {
		const now = this.clock.now();
		return {
			externalRequestThreshold: this.state.hourlyThreshold,
			requestThresholdTimeframe: 60,
			currentTimeframeRequestCount: this.lastHour.filter((time) => now - time < HOUR_MS).length,
		};
	}
}
