// Limits a PSA counts per integration, not per process (Autotask's threads per endpoint, its hourly budget), held across every worker that shares them.
import { LimiterRefusal, type AcquireOptions, type LimiterClock, type Permit, type RequestLimiter, type ThrottleCause } from './limiter';
import type { RequestBudget } from './limiter-budget';
import type { SendLimiter } from './request';

/** A slot held across processes; give it back once the answer is in (a killed worker's slot frees itself when its lease ends). */
export interface SharedSlot {
	release(): void;
}

/**
 * What every worker of a deployment shares (the PostgreSQL state store in queue mode, see lib/services/shared-limits.ts).
 * Each call may fail when the shared place is unreachable; the caller then keeps to its own process's limits.
 */
export interface SharedRequestLimits {
	/** One of `capacity` slots named `key`, held at most `leaseMs`; undefined when none was free by `deadline` (the limiter's clock). */
	acquire(key: string, capacity: number, deadline: number, leaseMs: number): Promise<SharedSlot | undefined>;
	/** A rolling budget of `limit` requests per `windowMs` counted by every worker together. */
	budget(key: string, limit: number, windowMs: number): RequestBudget;
}

export interface SharedLimitsPlan {
	shared: SharedRequestLimits;
	/** Names the integration (connection id): slots and budgets are per integration and endpoint. */
	key: string;
	/** Requests in flight per endpoint across every worker (Autotask: 3). */
	perEndpoint?: number;
	/** Requests per rolling hour across every worker (Autotask: 10,000 per tenant). */
	hourly?: number;
	/** Requests per rolling window of another length across every worker (HaloPSA: about 500 per 3 minutes per tenant). */
	window?: { limit: number; windowMs: number };
	/** How long a slot is held at most: longer than any request may take. */
	leaseMs: number;
	clock: LimiterClock;
}

const HOUR_MS = 60 * 60 * 1000;

/** Wraps the connection's limiter so each permit also holds a shared slot of its endpoint and counts against the shared budget. */
export function withSharedLimits(local: RequestLimiter, plan: SharedLimitsPlan): SendLimiter {
	const hourly = plan.hourly ? plan.shared.budget(`${plan.key}|hour`, plan.hourly, HOUR_MS) : undefined;
	const windowed = plan.window ? plan.shared.budget(`${plan.key}|window-${plan.window.windowMs}`, plan.window.limit, plan.window.windowMs) : undefined;
	const budgets = [hourly, windowed].filter((budget): budget is RequestBudget => budget !== undefined);
	return {
		async acquire(options: AcquireOptions = {}): Promise<Permit> {
			const deadline = options.deadline ?? Infinity;
			const asked = plan.clock.now();
			for (const budget of budgets) {
				const allowedAt = budget.nextAllowedAt(asked);
				const which = budget === hourly ? 'hourly request budget' : 'request budget';
				if (allowedAt > deadline) throw new LimiterRefusal('budget', `the ${which} shared by every worker is spent until ${new Date(allowedAt).toISOString()}`, 0, allowedAt);
				if (allowedAt > plan.clock.now()) await plan.clock.sleep(allowedAt - plan.clock.now());
			}
			const permit = await local.acquire(options);
			let slot: SharedSlot | undefined;
			if (plan.perEndpoint) {
				try {
					slot = await plan.shared.acquire(`${plan.key}|${options.endpoint ?? ''}`, plan.perEndpoint, deadline, plan.leaseMs);
				} catch {
					// The shared place is unreachable: this process's own limits still hold, and a PSA refusal is retried.
					slot = { release: () => undefined };
				}
				// A slow shared place must not make the send late: nothing may go out after the deadline (the settle
				// window of docs/reliability.md counts on it), so a slot that came too late is given back unused.
				if (slot && plan.clock.now() > deadline) {
					slot.release();
					slot = undefined;
				}
				if (!slot) {
					permit.release(false);
					throw new LimiterRefusal('deadline', `every worker's ${plan.perEndpoint} slots for ${options.endpoint ?? 'the endpoint'} stayed busy`, plan.clock.now() - asked);
				}
			}
			for (const budget of budgets) budget.record(plan.clock.now());
			const held = slot;
			return {
				release(sample?: boolean) {
					held?.release();
					return permit.release(sample);
				},
				throttled(retryAfterMs?: number, cause?: ThrottleCause) {
					held?.release();
					permit.throttled(retryAfterMs, cause);
				},
			};
		},
	};
}
