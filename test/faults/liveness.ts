// Time to a ticket under 5xx mixes: alerts fired by several workers against a PSA that fails a share of creates and searches, measured on virtual time.
import { PsaCache } from '../../lib/cache';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { createProvider } from '../../lib/providers/registry';
import type { RequestEvent } from '../../lib/providers/request-events';
import { link, type PsaServiceContext } from '../../lib/services';
import { TARGETS, psasFromEnvironment, type FaultPlan, type PsaName } from './targets';
import { MAX_WORKERS, TIMING, WorkerRun, startWorld, type World } from './world';

/** A share of the create and search requests that fail, and how. */
export interface LivenessMix {
	name: string;
	/** Probability per request, by fault; their sum is the share of failed requests. */
	faults: Array<{ p: number; plan: Omit<FaultPlan, 'target' | 'times'> }>;
}

export const LIVENESS_MIXES: LivenessMix[] = [
	{ name: "30% 500 (the PSA's own error, nothing committed)", faults: [{ p: 0.3, plan: { kind: '5xx', ms: 0 } }] },
	{
		name: '30% 500, half of them after the commit',
		faults: [
			{ p: 0.15, plan: { kind: '5xx', ms: 0 } },
			{ p: 0.15, plan: { kind: '5xx-after-commit', ms: 0 } },
		],
	},
	{
		name: "worst: 10% 500, 10% gateway 503 (half after the commit), 5% lost answers, 5% late commits",
		faults: [
			{ p: 0.1, plan: { kind: '5xx', ms: 0 } },
			{ p: 0.05, plan: { kind: '5xx', ms: 1 } },
			{ p: 0.05, plan: { kind: '5xx-after-commit', ms: 1 } },
			{ p: 0.05, plan: { kind: 'response-lost', ms: 0 } },
			{ p: 0.05, plan: { kind: 'late-commit', ms: TIMING.maxCommitDelayMs } },
		],
	},
];

export interface LivenessResult {
	psa: PsaName;
	mix: string;
	alerts: number;
	/** Seconds from an alert's first attempt to its ticket. */
	p50: number;
	p99: number;
	max: number;
	/** Alerts still without a ticket at the end. */
	withoutTicket: number;
	/** Tickets beyond one per alert, in the PSA's records. */
	duplicates: number;
	faultsMet: number;
	attempts: number;
	/** With LIVENESS_TRACE: failed attempts by error text (ids and numbers masked), faults met by kind, and more. */
	trace?: Record<string, number>;
}

/** How often an alert is sent again while it has no ticket (a monitoring tool's re-notification, n8n's Retry On Fail). */
export const RESEND_MS = 15_000;

/** Deterministic [0, 1) from a seed (mulberry32). */
function random(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const percentile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : Number.NaN);

/**
 * One attempt's context, with the provider's own settle window (the suite's compressed one would flatter the figures).
 * The worker's cache lives as long as the worker; the WorkerRun only as long as the attempt (it counts one schedule's
 * calls, and a worker that keeps retrying for twenty virtual minutes would pass that count and fail every call after).
 */
function contextOf(world: World, run: WorkerRun, cache: PsaCache, onRequestEvent?: (event: RequestEvent) => void): PsaServiceContext {
	const provider = createProvider(world.target.credentialType, world.sandbox.credentials, {
		http: run.transport(createFetchTransport()),
		cache,
		sleep: world.scheduler.sleep,
		now: world.scheduler.now,
		...(onRequestEvent ? { onRequestEvent } : {}),
	});
	// One store connection for every worker, as n8n opens one per process (nodes/shared/context.ts storeFor): the world's
	// four are four processes, and in one process a write of one waits synchronously (SQLite's busy timeout, 5 s of real
	// time) for a transaction of another that cannot finish meanwhile, then fails with "database is locked".
	return { provider, store: run.store(world.stores[0]), cache, now: world.scheduler.now, delay: world.scheduler.sleep };
}

export async function measureLiveness(psa: PsaName, mix: LivenessMix, alerts: number, seed: number): Promise<LivenessResult> {
	const world = await startWorld('sqlite', TARGETS[psa]);
	const draw = random(seed);
	const ttt: number[] = [];
	let withoutTicket = 0;
	let attempts = 0;
	const tracing = Boolean(process.env.LIVENESS_TRACE);
	const trace: Record<string, number> = {};
	const count = (key: string) => {
		trace[key] = (trace[key] ?? 0) + 1;
	};
	const realStart = performance.now();
	try {
		let injected = 0;
		// Rolled per create and search request the PSA starts to work on, so the mix is a share of those requests. Faults
		// injected per attempt instead (times: 1, waiting for the next such request) piled up: an attempt that sent
		// nothing (another run's claim pending, nothing sent within the retry budget) and a request refused by Autotask's
		// thread limit left theirs queued, and the share of failed requests grew towards all of them.
		// A late commit's connection is closed at once: the client has no answer while the PSA still works.
		world.sandbox.rollFaults(
			(target) => {
				if (target !== 'create' && target !== 'search') return undefined;
				let roll = draw();
				for (const { p, plan } of mix.faults) {
					if (roll < p) {
						injected++;
						return plan;
					}
					roll -= p;
				}
				return undefined;
			},
			'drop',
			TIMING.maxRetryAfterMs,
		);
		// Requests held by the limiter, and how long sends waited for it, in the histogram.
		const onEvent = (event: RequestEvent) => {
			if (event.kind === 'held') count(`limiter held: ${event.request} ${event.reason.replace(/\d+/g, '#')}`);
			else if (event.kind === 'limiter-wait') count(`limiter wait: ${event.request} ${event.waitedMs >= 10_000 ? '>= 10 s' : event.waitedMs >= 1000 ? '1-10 s' : '< 1 s'}`);
			else if (event.kind === 'throttled') count(`throttled: ${event.request} ${event.status}`);
		};
		const caches = Array.from({ length: MAX_WORKERS }, () => new PsaCache());
		const attemptContext = (slot: number) => contextOf(world, new WorkerRun(world.scheduler, undefined, new Set()), caches[slot], tracing ? onEvent : undefined);
		const settleMs = attemptContext(0).provider.outcomeSettleMs;
		// An alert never given up on within this: the window, plus room for several resends.
		const giveUpMs = settleMs * 3 + 10 * RESEND_MS;
		const one = async (alert: number) => {
			await world.scheduler.sleep(Math.floor(draw() * 60_000));
			const first = world.scheduler.now();
			for (;;) {
				attempts++;
				const ctx = attemptContext(alert % MAX_WORKERS);
				try {
					await link(ctx, { source: 'liveness', externalId: `alert-${alert}` }, { summary: `Alert ${alert}`, ...world.target.ticketFields });
					ttt.push((world.scheduler.now() - first) / 1000);
					return;
				} catch (error) {
					if (tracing) count(`error: ${String((error as Error)?.message ?? error).replace(/alert-\d+|\d+/g, '#').slice(0, 160)}`);
					if (world.scheduler.now() - first > giveUpMs) {
						withoutTicket++;
						// Counted in the percentiles as never: an alert left without a ticket is the worst outcome, not a missing one.
						ttt.push(Number.POSITIVE_INFINITY);
						return;
					}
					await world.scheduler.sleep(RESEND_MS);
				}
			}
		};
		await world.scheduler.drive(
			Promise.all(Array.from({ length: alerts }, (_, alert) => one(alert))),
			60_000 + giveUpMs * 2,
		);
		// Late commits still scheduled land before the PSA's records are counted.
		await world.scheduler.advance(TIMING.maxCommitDelayMs + 1);
		const references = world.sandbox.records().tickets.map((ticket) => ticket.reference).filter((reference) => reference?.startsWith('liveness'));
		const sorted = [...ttt].sort((a, b) => a - b);
		if (tracing) {
			trace['faults rolled'] = injected;
			for (const fault of world.sandbox.faultsMet()) count(`fault met: ${fault}`);
			trace['real seconds'] = Math.round((performance.now() - realStart) / 1000);
		}
		return {
			psa,
			mix: mix.name,
			alerts,
			p50: percentile(sorted, 0.5),
			p99: percentile(sorted, 0.99),
			max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
			withoutTicket,
			duplicates: references.length - new Set(references).size,
			faultsMet: world.sandbox.faultsMet().length,
			attempts,
			...(tracing ? { trace } : {}),
		};
	} finally {
		world.sandbox.clearFaults();
		await world.close();
	}
}

/** One line per PSA and mix, as docs/reliability.md quotes them. */
export function describeLiveness(result: LivenessResult): string {
	const s = (value: number) => (Number.isNaN(value) ? '-' : value === Number.POSITIVE_INFINITY ? 'never' : `${value.toFixed(1)} s`);
	return `${result.psa}, ${result.mix}: ${result.alerts} alerts, time to ticket p50 ${s(result.p50)}, p99 ${s(result.p99)}, max ${s(result.max)}; without a ticket ${result.withoutTicket}; duplicate tickets ${result.duplicates}; ${result.attempts} attempts, ${result.faultsMet} faults met`;
}

if (require.main === module) {
	const alerts = Number(process.env.LIVENESS_ALERTS ?? 500);
	const seed = Number(process.env.LIVENESS_SEED ?? 25);
	// FAULT_PSA runs one PSA, LIVENESS_MIX one mix (its index), LIVENESS_TRACE adds each run's histogram.
	const mixes = process.env.LIVENESS_MIX ? [LIVENESS_MIXES[Number(process.env.LIVENESS_MIX)]] : LIVENESS_MIXES;
	if (mixes.some((mix) => !mix)) throw new Error(`LIVENESS_MIX must be 0 to ${LIVENESS_MIXES.length - 1}`);
	void (async () => {
		for (const psa of psasFromEnvironment()) {
			for (const mix of mixes) {
				const result = await measureLiveness(psa, mix, alerts, seed);
				console.log(describeLiveness(result));
				if (result.trace) for (const [key, value] of Object.entries(result.trace).sort((a, b) => b[1] - a[1])) console.log(`  ${value}\t${key}`);
			}
		}
	})().catch((error: unknown) => {
		console.error(error);
		process.exitCode = 1;
	});
}
