// Request budgets over a rolling window (Autotask: 10,000 requests per rolling hour per integration), the hook the limiter asks before each send.

/**
 * What the limiter asks before it lets a request go, and tells once it went. The default counts this process's sends
 * (rollingBudget); a provider can plug one that reads the PSA's own count (Autotask's ThresholdInformation), and a
 * queue-mode deployment one that is shared between workers.
 */
export interface RequestBudget {
	/** The earliest time (ms, the limiter's clock) at which one more request may be sent; `now` or earlier: at once. */
	nextAllowedAt(now: number): number;
	/** A request is being sent now. */
	record(now: number): void;
}

export const HOUR_MS = 60 * 60 * 1000;

/** At most `limit` sends in any `windowMs` (one hour unless given), counted by this process. */
export function rollingBudget(limit: number, windowMs = HOUR_MS): RequestBudget {
	if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`budget limit must be a whole number >= 1, got ${limit}`);
	if (!(windowMs > 0)) throw new TypeError(`budget window must be > 0 ms, got ${windowMs}`);
	// Send times, oldest first, in a ring of `limit` slots: the oldest is the one that frees the next slot.
	const times = new Array<number>(limit);
	let start = 0;
	let count = 0;
	const expire = (now: number) => {
		while (count > 0 && times[start] <= now - windowMs) {
			start = (start + 1) % limit;
			count--;
		}
	};
	return {
		nextAllowedAt(now) {
			expire(now);
			return count < limit ? now : times[start] + windowMs;
		},
		record(now) {
			expire(now);
			if (count === limit) {
				// Sent although the budget said wait (a shared budget disagreed): the oldest is forgotten.
				start = (start + 1) % limit;
				count--;
			}
			times[(start + count) % limit] = now;
			count++;
		},
	};
}
