// How the runtime turns a provider's definition and deps into what its client runs on: the retry policy, the clocks, and the connection's limiter (local, or shared by every worker).
import { createHash } from 'node:crypto';
import type { ProviderDeclaration, ProviderDeps, RequestLimits } from './definition';
import { limiterFor, type LimiterClock } from './limiter';
import type { RequestClock, RetryPolicy, SendLimiter } from './request';
import { withSharedLimits, type SharedRequestLimits } from './shared-limits';
import { definedOnly } from './values';

/** A shared slot outlives its request's timeout by this much before another worker may take it. */
const SLOT_LEASE_MARGIN_MS = 5000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The declared retry policy, with what the deps override (tests, benchmarks). */
export function retryPolicyOf(declaration: Pick<ProviderDeclaration, 'limits'>, deps: Pick<ProviderDeps, 'retry'>): RetryPolicy {
	return { ...declaration.limits.retry, ...definedOnly(deps.retry ?? {}) };
}

/** The deps' clocks, real ones where a test brings none. */
export function clockOf(deps: Pick<ProviderDeps, 'sleep' | 'now' | 'random'>): RequestClock {
	return { sleep: deps.sleep ?? defaultSleep, now: deps.now ?? Date.now, random: deps.random ?? Math.random };
}

export interface LimiterPlan {
	/** The provider key: names the shared slots, so two PSAs never share them. */
	providerKey: string;
	limits: RequestLimits;
	retry: RetryPolicy;
	connectionId: string;
	clock: LimiterClock;
	/** Where every worker shares the limits the PSA counts per integration (ProviderDeps.sharedLimits). */
	sharedLimits?: SharedRequestLimits;
	/** What the PSA counts those limits by (Autotask: the integration code, as it counts threads); the connection id when absent. */
	sharedIdentity?: string;
}

/**
 * The connection's limiter, held to the declared limits; with a shared place and per-integration limits declared
 * (per-endpoint concurrency, an hourly or windowed budget), every worker keeps to them together.
 */
export function providerLimiter(plan: LimiterPlan): SendLimiter {
	const { retry: _retry, ...limits } = plan.limits;
	// One limiter per connection, shared by every provider, node and trigger of this process.
	const local = limiterFor(plan.connectionId, limits, plan.clock);
	if (!plan.sharedLimits || (limits.concurrencyPerEndpoint === undefined && limits.hourlyBudget === undefined && limits.windowBudget === undefined)) return local;
	const identity = plan.sharedIdentity || plan.connectionId;
	return withSharedLimits(local, {
		shared: plan.sharedLimits,
		key: `${plan.providerKey}-integration:${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`,
		perEndpoint: limits.concurrencyPerEndpoint,
		hourly: limits.hourlyBudget,
		window: limits.windowBudget,
		leaseMs: plan.retry.requestTimeoutMs + SLOT_LEASE_MARGIN_MS,
		clock: plan.clock,
	});
}
