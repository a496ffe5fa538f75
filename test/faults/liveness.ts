// Time to a ticket under 5xx mixes: alerts fired by several workers against a PSA that fails a share of creates and searches, measured on virtual time.
import { PsaCache } from '../../lib/cache';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { createProvider } from '../../lib/providers/registry';
import { link, type PsaServiceContext } from '../../lib/services';
import { TARGETS, type FaultPlan, type PsaName } from './targets';
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

/** A worker's context with the provider's own settle window (the suite's compressed one would flatter the figures). */
function contextOf(world: World, slot: number, run: WorkerRun): PsaServiceContext {
	const cache = new PsaCache();
	const provider = createProvider(world.target.credentialType, world.sandbox.credentials, {
		http: run.transport(createFetchTransport()),
		cache,
		sleep: world.scheduler.sleep,
		now: world.scheduler.now,
	});
	return { provider, store: run.store(world.stores[slot]), cache, now: world.scheduler.now, delay: world.scheduler.sleep };
}

export async function measureLiveness(psa: PsaName, mix: LivenessMix, alerts: number, seed: number): Promise<LivenessResult> {
	const world = await startWorld('sqlite', TARGETS[psa]);
	const draw = random(seed);
	const ttt: number[] = [];
	let withoutTicket = 0;
	let attempts = 0;
	try {
		const contexts = Array.from({ length: MAX_WORKERS }, (_, slot) => contextOf(world, slot, new WorkerRun(world.scheduler, undefined, new Set())));
		const settleMs = contexts[0].provider.outcomeSettleMs;
		// An alert never given up on within this: the window, plus room for several resends.
		const giveUpMs = settleMs * 3 + 10 * RESEND_MS;
		const injectFor = (target: 'create' | 'search') => {
			let roll = draw();
			for (const { p, plan } of mix.faults) {
				if (roll < p) {
					// A late commit's connection is closed at once: the client has no answer while the PSA still works.
					world.sandbox.inject({ ...plan, target, times: 1 }, 'drop', TIMING.maxRetryAfterMs);
					return;
				}
				roll -= p;
			}
		};
		const one = async (alert: number) => {
			const ctx = contexts[alert % MAX_WORKERS];
			await world.scheduler.sleep(Math.floor(draw() * 60_000));
			const first = world.scheduler.now();
			for (;;) {
				attempts++;
				injectFor('create');
				injectFor('search');
				try {
					await link(ctx, { source: 'liveness', externalId: `alert-${alert}` }, { summary: `Alert ${alert}`, ...world.target.ticketFields });
					ttt.push((world.scheduler.now() - first) / 1000);
					return;
				} catch {
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
	void (async () => {
		for (const psa of ['connectwise', 'autotask'] as PsaName[]) {
			for (const mix of LIVENESS_MIXES) console.log(describeLiveness(await measureLiveness(psa, mix, alerts, seed)));
		}
	})().catch((error: unknown) => {
		console.error(error);
		process.exitCode = 1;
	});
}
