// Scenario 2: under the sandbox's rate limit at 50 ms latency: Automatic (the connection's limiter) against fixed Concurrency 4 and 16: throughput and 429s; and against the Autotask sandbox's thread limit (3 in flight per endpoint).
import './preload';
import { monitorEventLoopDelay } from 'node:perf_hooks';
// n8n-core's request helpers end in this service (a dependency of n8n-core): the baseline sends through it directly.
import { OutboundHttp } from '@n8n/backend-network';
import { Container } from '@n8n/di';
import type { IRun } from 'n8n-workflow';
import { generateFernetKey } from '../lib/crypto/fernet';
import { startPostgres, type RunningPostgres } from '../test/helpers/postgres';
import { BENCH_PG_STORE_CREDENTIAL, closeBench, startAutotaskBench, startBench, type AutotaskBenchFixture } from './engine';
import { alerts, naiveWorkflow, packageWorkflow, type NaiveBatching } from './workflows';
import { SMALL, fixed, log, ms, requestCounts, scaled, table, timed, runAlone, type Section, type TargetResult } from './common';

export const LATENCY_MS = 50;
/** Requests per second the sandbox accepts (429 with Retry-After: 1 above it). */
export const RATE_LIMIT = 100;
const NODES = ['PSA Link', 'PSA Note', 'PSA Status'];

export interface ConcurrencyResult {
	/** undefined: Automatic (the option not set). */
	concurrency?: number;
	items: number;
	wallMs: number;
	requests: number;
	served429: number;
	itemErrors: number;
	runError?: string;
}

function itemErrorsOf(run: IRun): number {
	let errors = 0;
	for (const name of NODES) {
		for (const nodeRun of run.data.resultData.runData[name] ?? []) {
			errors += (nodeRun.data?.main?.[0] ?? []).filter((item) => item.json.error !== undefined).length;
		}
	}
	return errors;
}

/** New alerts through the package's three nodes at the given Concurrency (undefined: Automatic) under a rate limit (0: none). */
export async function measure(concurrency: number | undefined, count: number, rateLimit = RATE_LIMIT): Promise<ConcurrencyResult> {
	const fx = await startBench({ latencyMs: LATENCY_MS, rateLimitPerSecond: rateLimit });
	try {
		const items = alerts(count, `c${concurrency ?? 'auto'}`, 'fired');
		// Errors are counted, not thrown: continueOnFail turns a 429 that reaches the user into an error item.
		const { result, ms: wallMs } = await timed(() => fx.engine.run(packageWorkflow(items, { concurrency, continueOnFail: true })));
		const counts = requestCounts(fx.sandbox);
		const itemErrors = itemErrorsOf(result.run);
		const done = fx.sandbox.db.tickets.filter((ticket) => ticket.status.name === 'In Progress').length;
		if (itemErrors === 0 && !result.error && done !== count) throw new Error(`concurrency ${concurrency}: ${done} of ${count} tickets In Progress`);
		log(`concurrency ${concurrency ?? 'automatic'}: ${count} items in ${wallMs.toFixed(0)} ms, ${counts.total} requests, ${counts.rateLimited} 429s, ${itemErrors} error items`);
		return { concurrency, items: count, wallMs, requests: counts.total, served429: counts.rateLimited, itemErrors, runError: result.error?.message };
	} finally {
		await fx.stop();
	}
}

/**
 * The HTTP Request workflow under a rate limit (0: none), with the node defaults (its first 429 stops the execution) or
 * with the nodes' Batching option set by hand; `done`: the alerts it took all the way (ticket In Progress).
 */
export async function measureNaive(count: number, rateLimit = RATE_LIMIT, batching?: NaiveBatching): Promise<{ wallMs: number; served429: number; requests: number; outcome: string; done: number }> {
	const fx = await startBench({ latencyMs: LATENCY_MS, rateLimitPerSecond: rateLimit });
	try {
		const { result, ms: wallMs } = await timed(() => fx.engine.run(naiveWorkflow(alerts(count, 'naive-rl', 'fired'), fx.sandbox.apiBaseUrl, { batching })));
		const counts = requestCounts(fx.sandbox);
		const failedNode = result.run.data.resultData.lastNodeExecuted;
		const outcome = result.error ? `failed in "${failedNode}": ${result.error.message.slice(0, 120)}` : 'completed';
		const done = fx.sandbox.db.tickets.filter((ticket) => ticket.status.name === 'In Progress').length;
		log(`naive workflow (rate limit ${rateLimit || 'none'}${batching ? `, batches of ${batching.batchSize} every ${batching.batchIntervalMs} ms` : ''}): ${outcome}; ${counts.rateLimited} 429s, ${done} of ${count} alerts done`);
		return { wallMs, served429: counts.rateLimited, requests: counts.total, outcome, done };
	} finally {
		await fx.stop();
	}
}

/** Sampling interval of the event-loop delay histogram. */
const LOOP_RESOLUTION_MS = 10;

/** Autotask's published limit: requests in flight per integration and entity endpoint; the sandbox enforces it. */
export const AUTOTASK_THREADS = 3;

interface AutotaskNodeTime {
	node: string;
	wallMs: number;
	/** Requests the sandbox logged while the node ran, per entity endpoint (thread-limit bucket). */
	byEndpoint: Record<string, number>;
	idealMs: number;
	/** From the node's start to its first request reaching the sandbox. */
	headMs: number;
	/**
	 * Steady state: the mean time between request arrivals on the busiest endpoint times 3, i.e. how long each of the
	 * 3 slots takes per request (the latency plus what the request costs beyond it, both ends and the slot hand-over).
	 */
	cycleMs: number;
	/** From the last request's arrival plus the latency to the node's end. */
	tailMs: number;
	/** The mean time a request of the busiest endpoint held one of the PSA's threads (the sandbox's own measure). */
	heldMs: number;
	/** The node's time if the PSA's threads were never idle: the busiest endpoint's held time / 3. */
	busyIdealMs: number;
}

interface AutotaskResult {
	store: 'sqlite' | 'postgres';
	/** Where the sandbox ran: in the engine's process (its event loop) or in its own, as a remote PSA. */
	where: 'in-process' | 'child';
	/** The engine process's event-loop delay during the run (mean and p99, ms): how late answers and hand-overs were served. */
	loopDelay: { mean: number; p99: number };
	items: number;
	wallMs: number;
	requests: number;
	byEndpoint: Record<string, number>;
	refusals: number;
	maxInFlight: Record<string, number>;
	itemErrors: number;
	runError?: string;
	idealMs: number;
	/** The ideal at the PSA's own time per request (its threads never idle): the sum of the nodes' busyIdealMs. */
	busyIdealMs: number;
	/** If the endpoints' requests overlapped (they do not within one execution: n8n runs one node after the other). */
	overlappedIdealMs: number;
	nodes: AutotaskNodeTime[];
}

/**
 * The ideal time at 3 requests in flight per endpoint: n8n runs the nodes one after another (each takes all items
 * before the next starts), so the ideal is the sum over the nodes of, per node, its busiest endpoint's requests in
 * rounds of 3, each round one latency: sum(max over endpoints of ceil(requests / 3)) x latency.
 */
export function autotaskIdealMs(byEndpoint: Record<string, number>, latencyMs: number, threads = AUTOTASK_THREADS): number {
	return Math.max(0, ...Object.values(byEndpoint).map((count) => Math.ceil(count / threads))) * latencyMs;
}

/**
 * New alerts through PSA Link -> PSA Note -> PSA Status (Automatic) against the Autotask sandbox's thread limit
 * (answered as 500, the harder form): the requests per endpoint, refusals and the most in flight, against the ideal.
 */
async function measureAutotask(fx: AutotaskBenchFixture, count: number, storeLabel: 'sqlite' | 'postgres'): Promise<AutotaskResult> {
	const store = storeLabel === 'postgres' ? BENCH_PG_STORE_CREDENTIAL : undefined;
	try {
		// Warm-up on the same connection: zone, picklists and the store's migrations are looked up once and cached.
		const warm = await fx.engine.run(packageWorkflow(alerts(6, `at-warm-${storeLabel}-${fx.sandbox.where}`, 'fired'), { psa: 'autotask', store }));
		if (warm.error) throw new Error(`Autotask warm-up failed: ${warm.error.message}`);
		await fx.sandbox.resetLog();
		const where = fx.sandbox.where;
		const prefix = `at-${storeLabel}-${where}`;
		const items = alerts(count, prefix, 'fired');
		const delay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
		delay.enable();
		const { result, ms: wallMs } = await timed(() => fx.engine.run(packageWorkflow(items, { psa: 'autotask', store, continueOnFail: true })));
		delay.disable();
		// The histogram records each sampling interval whole (an idle loop reads the resolution): the delay is what lies beyond it.
		const loopDelay = { mean: Math.max(0, delay.mean / 1e6 - LOOP_RESOLUTION_MS), p99: Math.max(0, delay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS) };
		const itemErrors = itemErrorsOf(result.run);
		const snapshot = await fx.sandbox.snapshot();
		const done = snapshot.tickets.filter((ticket) => String(ticket.externalID ?? '').startsWith(`monitor:${prefix}-`) && ticket.status === 8).length;
		if (itemErrors === 0 && !result.error && done !== count) throw new Error(`Autotask (${storeLabel}, ${where}): ${done} of ${count} tickets In Progress`);
		const log_ = snapshot.requests;
		const byEndpoint: Record<string, number> = {};
		for (const entry of log_) if (entry.entity) byEndpoint[entry.entity] = (byEndpoint[entry.entity] ?? 0) + 1;
		// Each request belongs to the node that was running when the sandbox received it.
		const nodes: AutotaskNodeTime[] = NODES.map((node) => {
			const task = result.run.data.resultData.runData[node]?.[0];
			const start = task?.startTime ?? 0;
			const end = start + (task?.executionTime ?? 0);
			const own: Record<string, number> = {};
			const arrivals = new Map<string, number[]>();
			const held = new Map<string, number>();
			for (const entry of log_) {
				const at = Date.parse(entry.at);
				if (!entry.entity || at < start || at > end) continue;
				own[entry.entity] = (own[entry.entity] ?? 0) + 1;
				arrivals.set(entry.entity, [...(arrivals.get(entry.entity) ?? []), at]);
				held.set(entry.entity, (held.get(entry.entity) ?? 0) + (entry.heldMs ?? 0));
			}
			const [busiestEntity, busiestArrivals] = [...arrivals.entries()].reduce<[string | undefined, number[]]>((a, b) => (b[1].length > a[1].length ? b : a), [undefined, []]);
			const busiestHeld = busiestEntity ? (held.get(busiestEntity) ?? 0) : 0;
			const busiest = [...busiestArrivals].sort((a, b) => a - b);
			const first = busiest[0] ?? start;
			const last = busiest[busiest.length - 1] ?? start;
			const cycleMs = busiest.length > AUTOTASK_THREADS ? ((last - first) / (busiest.length - AUTOTASK_THREADS)) * AUTOTASK_THREADS : NaN;
			return {
				node,
				wallMs: end - start,
				byEndpoint: own,
				idealMs: autotaskIdealMs(own, LATENCY_MS),
				headMs: first - start,
				cycleMs,
				tailMs: end - (last + LATENCY_MS),
				heldMs: busiest.length > 0 ? busiestHeld / busiest.length : NaN,
				busyIdealMs: busiestHeld / AUTOTASK_THREADS,
			};
		});
		const attributed = nodes.reduce((sum, node) => sum + Object.values(node.byEndpoint).reduce((a, b) => a + b, 0), 0);
		const requests = log_.length;
		if (attributed !== requests) log(`Autotask (${storeLabel}): ${requests - attributed} requests outside the nodes' run times`);
		const maxInFlight = snapshot.maxInFlight;
		const idealMs = nodes.reduce((sum, node) => sum + node.idealMs, 0);
		const busyIdealMs = nodes.reduce((sum, node) => sum + node.busyIdealMs, 0);
		const outcome: AutotaskResult = {
			store: storeLabel,
			where,
			loopDelay,
			items: count,
			wallMs,
			requests,
			byEndpoint,
			refusals: snapshot.refusals,
			maxInFlight,
			itemErrors,
			runError: result.error?.message,
			idealMs,
			busyIdealMs,
			overlappedIdealMs: autotaskIdealMs(byEndpoint, LATENCY_MS),
			nodes,
		};
		log(
			`Autotask (${storeLabel} store, sandbox ${where}; event-loop delay mean ${fixed(loopDelay.mean, 1)} ms, p99 ${fixed(loopDelay.p99, 1)} ms): ${count} items in ${wallMs.toFixed(0)} ms (ideal ${idealMs.toFixed(0)} ms), requests ${JSON.stringify(byEndpoint)}, ${outcome.refusals} thread-limit refusals, most in flight ${JSON.stringify(maxInFlight)}, ${itemErrors} error items; per node ${nodes.map((node) => `${node.node} ${node.wallMs} ms (ideal ${node.idealMs})`).join(', ')}`,
		);
		return outcome;
	} finally {
		await fx.sandbox.resetLog();
	}
}

/** n8n's HTTP path alone against the same thread limit: what any node sending through n8n's helper can reach. */
interface HttpAloneResult {
	requests: number;
	wallMs: number;
	idealMs: number;
	/** Mean time the sandbox held a thread per request. */
	heldMs: number;
	/** Mean time of one request as the client saw it. */
	clientMs: number;
	refusals: number;
}

/**
 * The baseline for table 2's Autotask rows: the same number of requests as the package's run, sent through n8n's
 * outbound HTTP service (where n8n's request helpers end: axios, new agents and a new connection per request), 3 in
 * flight, nothing else in the process (no engine, no package, no store). Each is a read of one ticket (POST
 * Tickets/query, counted against the Tickets endpoint's threads), so the ideal is requests / 3 x the latency.
 */
async function measureHttpAlone(fx: AutotaskBenchFixture, requests: number): Promise<HttpAloneResult> {
	const http = Container.get(OutboundHttp).requests();
	const zone = fx.credentials.zoneUrl.replace(/\/$/, '');
	const headers = { ApiIntegrationCode: fx.credentials.integrationCode, UserName: fx.credentials.username, Secret: fx.credentials.secret, 'Content-Type': 'application/json' };
	// A refusal is answered, counted by the sandbox and reported; it must not end the scenario.
	const send = () => http.request({ method: 'POST', url: `${zone}/V1.0/Tickets/query`, headers, body: { filter: [{ op: 'eq', field: 'id', value: 1 }] }, json: true, ignoreHttpStatusErrors: true });
	// Warm-up: the code paths compiled and the connection guard set up, outside the measurement.
	for (let i = 0; i < 6; i++) await send();
	await fx.sandbox.resetLog();
	let started = 0;
	let clientTotal = 0;
	const { ms: wallMs } = await timed(() =>
		Promise.all(
			Array.from({ length: AUTOTASK_THREADS }, async () => {
				while (started < requests) {
					started++;
					const at = performance.now();
					await send();
					clientTotal += performance.now() - at;
				}
			}),
		),
	);
	const snapshot = await fx.sandbox.snapshot();
	await fx.sandbox.resetLog();
	const held = snapshot.requests.reduce((sum, entry) => sum + (entry.heldMs ?? 0), 0);
	const result = { requests, wallMs, idealMs: autotaskIdealMs({ Tickets: requests }, LATENCY_MS), heldMs: held / Math.max(1, snapshot.requests.length), clientMs: clientTotal / requests, refusals: snapshot.refusals };
	log(`Autotask baseline, n8n's HTTP path alone: ${requests} requests 3 at a time in ${wallMs.toFixed(0)} ms (ideal ${result.idealMs} ms), ${result.refusals} refusals`);
	return result;
}

const label = (result: ConcurrencyResult) => (result.concurrency === undefined ? 'Automatic (default)' : String(result.concurrency));
const useful = (result: ConcurrencyResult) => (result.requests - result.served429) / (result.wallMs / 1000);
const errorsOf = (result: ConcurrencyResult) => result.itemErrors + (result.runError ? 1 : 0);

export async function run(): Promise<Section> {
	const count = scaled(300, 24);
	// The target's row: more items, so that learning the limit (its first 429 and Retry-After pause) is a small part of the run.
	const automaticCount = scaled(1000, 60);
	// Warm-up (module loading, store migrations) outside the measurements.
	await measure(4, scaled(20, 4));
	const results: ConcurrencyResult[] = [];
	results.push(await measure(undefined, automaticCount));
	for (const concurrency of [4, 16]) results.push(await measure(concurrency, count));
	const naive = await measureNaive(count);
	// Autotask: the default setup (embedded SQLite store, this process's limiter) and the queue-mode setup (PostgreSQL
	// store: each request also holds one of the 3 slots leased in the store, shared by every worker).
	// One sandbox for both: the package keys an Autotask connection (its limiter, its cached zone) by the API user, so a
	// second sandbox with the same user in this process would be sent to the first one's zone.
	const autotaskCount = scaled(300, 30);
	let postgres: RunningPostgres | undefined;
	let postgresSkipped: string | undefined;
	try {
		postgres = await startPostgres();
	} catch (error) {
		postgresSkipped = (error as Error).message.split('\n')[0];
	}
	const pg = postgres ? { host: postgres.host, port: postgres.port, user: postgres.user, database: 'postgres', schema: 'psa_bench_autotask', encryptionKey: generateFernetKey() } : undefined;
	const autotask: AutotaskResult[] = [];
	let httpAlone: HttpAloneResult | undefined;
	try {
		// First with the sandbox in its own process, as a remote PSA (the target's row), then in the engine's process as the other rows of this file run it.
		for (const child of [true, false]) {
			const autotaskFx = await startAutotaskBench({ latencyMs: LATENCY_MS, threadLimit: AUTOTASK_THREADS, threadLimitStatus: 500, postgres: pg, child });
			try {
				autotask.push(await measureAutotask(autotaskFx, autotaskCount, 'sqlite'));
				if (child) httpAlone = await measureHttpAlone(autotaskFx, autotask[autotask.length - 1].requests);
				if (pg) autotask.push(await measureAutotask(autotaskFx, autotaskCount, 'postgres'));
			} finally {
				await autotaskFx.stop();
			}
		}
	} finally {
		await closeBench();
		await postgres?.stop();
	}

	const rows = results.map((result) => [
		label(result),
		result.items,
		ms(result.wallMs),
		fixed(result.items / (result.wallMs / 1000), 1),
		fixed(useful(result), 1),
		result.requests,
		result.served429,
		`${fixed((100 * result.served429) / result.requests, 1)}%`,
		errorsOf(result),
	]);
	const automatic = results[0];
	const share429 = automatic.served429 / automatic.requests;
	const reached = results.reduce((sum, result) => sum + errorsOf(result), 0);
	const best = results.reduce((a, b) => (useful(b) > useful(a) ? b : a));
	const targets: TargetResult[] = [
		{
			target: `Under the ${RATE_LIMIT} requests/s limit at ${LATENCY_MS} ms (Automatic): >= 90 useful requests/s, 0 errors reaching the user, 429s < 2% of requests`,
			measured: `${fixed(useful(automatic), 1)} useful requests/s (${automatic.requests - automatic.served429} answered, not 429, in ${ms(automatic.wallMs)}; ${automatic.items} alerts); ${errorsOf(automatic)} errors reaching the user; 429s ${automatic.served429} of ${automatic.requests} (${fixed(100 * share429, 2)}%)`,
			met: useful(automatic) >= 90 && errorsOf(automatic) === 0 && share429 < 0.02,
		},
		autotaskTarget(autotask, httpAlone),
		{
			target: 'No 429 reaches the user under the rate limit (Automatic, Concurrency 4 and 16)',
			measured: `${results.reduce((sum, result) => sum + result.served429, 0)} 429s served and retried; ${reached} errors in the outputs`,
			met: reached === 0,
		},
	];
	const markdown = [
		`${SMALL ? 'BENCH_SCALE=small. ' : ''}New alerts through PSA Link → PSA Note → PSA Status in one execution, sandbox latency ${LATENCY_MS} ms, rate limit ${RATE_LIMIT} requests/s over any sliding second (above it: 429 with \`Retry-After: 1\`). Automatic: ${automaticCount} alerts; fixed Concurrency 4 (the former default) and 16: ${count}. Every node has "On Error: Continue", so a 429 that was not absorbed would show as an error item. Useful requests/s: answers that were not 429, per second of wall time (n8n's own time between nodes included).`,
		'',
		table(['Concurrency', 'items', 'wall time', 'items/s', 'useful requests/s', 'requests', '429s served (retried)', '429 share', 'errors reaching the user'], rows),
		'',
		`Best useful throughput: ${label(best)} (${fixed(useful(best), 1)} requests/s). With Automatic the connection's limiter starts at 4 requests in flight, doubles per round trip up to 16 and then grows by 8 per round trip (limited slow start) until the first 429; that 429 cuts the limit to 0.7x, pauses the connection for the Retry-After second, and caps the rate at 95% of what was sent in the second before the first refused request, after which it probes upward by 0.02% per second. Fixed Concurrency 16 keeps sending into the limit: every 429 pauses the connection for its Retry-After.`,
		'',
		`The HTTP Request workflow (node defaults) with ${count} alerts under the same limit: **${naive.outcome}** after ${ms(naive.wallMs)}; the sandbox served ${naive.served429} 429s out of ${naive.requests} requests. The HTTP Request node sends every item at once and does not retry a 429 unless "Retry On Fail" or batching is set up by hand.`,
		'',
		autotaskMarkdown(autotask, httpAlone, postgresSkipped),
	].join('\n');
	return { title: '2. Concurrency under a rate limit', markdown, targets };
}

const endpoints = (counts: Record<string, number>) =>
	Object.entries(counts)
		.map(([entity, value]) => `${entity} ${value}`)
		.join(', ');
const autotaskErrors = (result: AutotaskResult) => result.itemErrors + (result.runError ? 1 : 0);
/** Achieved share of the ideal: ideal time / wall time (1 = at 3 requests in flight per endpoint all the time). */
const share = (result: AutotaskResult) => result.idealMs / result.wallMs;
/** The share of the time the PSA's threads of the running node's endpoint were busy: busy ideal / wall time. */
const busyShare = (result: AutotaskResult) => result.busyIdealMs / result.wallMs;

/** The mean thread-held time of the nodes' busiest endpoints, weighted by their requests. */
const meanHeld = (result: AutotaskResult) => {
	const counted = result.nodes.map((node) => ({ held: node.busyIdealMs * AUTOTASK_THREADS, count: Math.max(0, ...Object.values(node.byEndpoint)) }));
	return counted.reduce((sum, node) => sum + node.held, 0) / Math.max(1, counted.reduce((sum, node) => sum + node.count, 0));
};

const autotaskLabel = (result: AutotaskResult) => `${result.store === 'sqlite' ? 'embedded store' : 'PostgreSQL store'}, sandbox ${result.where === 'child' ? 'in its own process' : 'in the engine\'s process'}`;

const httpAloneShare = (baseline: HttpAloneResult) => baseline.idealMs / baseline.wallMs;

function autotaskTarget(results: AutotaskResult[], baseline: HttpAloneResult | undefined): TargetResult {
	// The target's row: the default setup (embedded store) against the sandbox in its own process, as a remote PSA is.
	const result = results.find((candidate) => candidate.store === 'sqlite' && candidate.where === 'child') ?? results[0];
	const met = result.refusals === 0 && autotaskErrors(result) === 0 && share(result) >= 0.9;
	const others = results
		.filter((other) => other !== result)
		.map((other) => `${autotaskLabel(other)}: ${fixed(100 * share(other), 0)}% of its ideal, ${other.refusals} refusals`)
		.join('; ');
	const refusals = results.reduce((sum, other) => sum + other.refusals, 0);
	const errors = results.reduce((sum, other) => sum + autotaskErrors(other), 0);
	return {
		target: 'Against the Autotask sandbox with its thread limit: 0 thread-limit errors, throughput within 10% of 3 concurrent requests per endpoint',
		measured: `${result.items} new alerts at ${LATENCY_MS} ms (${autotaskLabel(result)}, Automatic): ${ms(result.wallMs)} against an ideal of ${ms(result.idealMs)} = ${fixed(100 * share(result), 1)}% of the ideal throughput (${fixed(result.items / (result.wallMs / 1000), 1)} alerts/s, ideal ${fixed(result.items / (result.idealMs / 1000), 1)}); the PSA's ${AUTOTASK_THREADS} threads were busy ${fixed(100 * busyShare(result), 1)}% of the time (each request held one ${fixed(meanHeld(result), 1)} ms on average, against the ${LATENCY_MS} ms latency); ${result.refusals} thread-limit refusals, ${autotaskErrors(result)} errors reaching the user, at most ${Math.max(...Object.values(result.maxInFlight))} requests in flight per endpoint. ${baseline ? `n8n's HTTP path alone (the same ${baseline.requests} requests through n8n's outbound HTTP service, 3 in flight, nothing else in the process): ${fixed(100 * httpAloneShare(baseline), 1)}% of its ideal. ` : ''}${others}; ${refusals} refusals and ${errors} errors in all ${results.length} rows`,
		met,
	};
}

function autotaskMarkdown(results: AutotaskResult[], baseline: HttpAloneResult | undefined, postgresSkipped?: string): string {
	const rows = results.map((result) => [
		result.where === 'child' ? 'own process' : 'engine\'s process',
		result.store === 'sqlite' ? 'embedded SQLite (this process\'s limiter)' : 'PostgreSQL (+ slots leased in the store)',
		result.items,
		ms(result.wallMs),
		ms(result.idealMs),
		`${fixed(100 * share(result), 1)}%`,
		`${fixed(100 * busyShare(result), 1)}%`,
		fixed(result.items / (result.wallMs / 1000), 1),
		endpoints(result.byEndpoint),
		result.refusals,
		endpoints(result.maxInFlight),
		autotaskErrors(result),
		`${fixed(result.loopDelay.mean, 1)} / ${fixed(result.loopDelay.p99, 1)} ms`,
	]);
	const perNode = results.flatMap((result) =>
		result.nodes.map((node) => [
			`${result.store}, ${result.where === 'child' ? 'own process' : 'engine\'s process'}`,
			node.node,
			endpoints(node.byEndpoint),
			ms(node.wallMs),
			ms(node.idealMs),
			ms(node.wallMs - node.idealMs),
			ms(node.headMs),
			ms(node.cycleMs, 1),
			ms(node.cycleMs - LATENCY_MS, 1),
			ms(node.heldMs, 1),
			ms(node.cycleMs - node.heldMs, 1),
			ms(node.tailMs),
		]),
	);
	return [
		`**Against the Autotask sandbox's thread limit.** New alerts through the same three nodes (Automatic) on an Autotask credential, sandbox latency ${LATENCY_MS} ms, thread limit ${AUTOTASK_THREADS} requests in flight per integration and entity endpoint, a request over it answered 500 "Thread Threshold Exceeded" (the harder of Autotask's two answers; the package retries it). Each new alert is 3 requests: PSA Link's create (POST Tickets), PSA Note's post (POST Tickets/{id}/Notes, the TicketNotes endpoint), PSA Status's PATCH Tickets; zone and picklists were looked up in a warm-up on the same connection. The sandbox runs in its own process (as a remote PSA: its CPU is not the n8n process's; the target's row) and, for comparison, in the engine's process as the other scenarios of this file run theirs. **PSA threads busy**: the sandbox measures how long each request holds one of its endpoint's threads (from admission to the answer written); the sum over each node's busiest endpoint, divided by ${AUTOTASK_THREADS}, is the time the node would take if the PSA's threads were never idle, and its share of the wall time is how busy the package kept them (the ideal below assumes the PSA answers in exactly the latency). **Ideal**: n8n runs the nodes one after another, each with all its items, so per node the busiest endpoint's requests go ${AUTOTASK_THREADS} at a time, one latency per round: ideal = sum over nodes of max over endpoints of ceil(requests / ${AUTOTASK_THREADS}) x ${LATENCY_MS} ms (requests are attributed to the node running when the sandbox received them). If the endpoints' requests could overlap (several executions at once) the floor would be the busiest endpoint alone: ${ms(results[0]?.overlappedIdealMs ?? NaN)}. The event-loop delay is the engine process's (perf_hooks.monitorEventLoopDelay over the run): how late, on average and at the 99th percentile, a ready callback (an answer, a slot handed over) ran.`,
		'',
		table(['Sandbox', 'State store', 'items', 'wall time', 'ideal', 'achieved', 'PSA threads busy', 'alerts/s', 'requests per endpoint', 'thread-limit refusals', 'most in flight per endpoint', 'errors reaching the user', 'event-loop delay mean / p99'], rows),
		'',
		...(baseline
			? [
					`**Baseline: n8n's HTTP path alone.** The same ${baseline.requests} requests sent straight through n8n's outbound HTTP service (\`@n8n/backend-network\`, where n8n's request helpers end: axios, new agents and a new connection per request), ${AUTOTASK_THREADS} in flight, against the same sandbox in its own process, with nothing else in the engine's process: no workflow, no package, no store. Each is a read of one ticket (POST Tickets/query, the Tickets endpoint's threads). It took ${ms(baseline.wallMs)} against an ideal of ${ms(baseline.idealMs)}: **${fixed(100 * httpAloneShare(baseline), 1)}% of the ideal**; a request took ${fixed(baseline.clientMs, 1)} ms as the client saw it, of which the sandbox held its thread ${fixed(baseline.heldMs, 1)} ms; ${baseline.refusals} refusals. It leaves out the helpers' own steps before that service (the credential applied, n8n-core's request plumbing), which every node pays on top, and the engine's work between nodes: it is the most a node sending through n8n's helper can reach on this machine.`,
					'',
				]
			: []),
		`Where the time goes, per node (from the sandbox's arrival times): the node's start to its first request; the slot cycle, i.e. ${AUTOTASK_THREADS} x the mean time between arrivals on the node's endpoint in steady state (the ${LATENCY_MS} ms latency plus what each request costs beyond it: the client's send and parse, the sandbox's handling, handing the slot to the next request); the last answer to the node's end.`,
		'',
		table(['store, sandbox', 'node', 'requests per endpoint', 'wall time', 'ideal', 'excess', 'to the first request', 'slot cycle', 'beyond the latency', 'PSA thread held per request', 'slot cycle beyond the PSA\'s time', 'last answer to the end'], perNode),
		...(postgresSkipped ? ['', `PostgreSQL row skipped: ${postgresSkipped}`] : []),
	].join('\n');
}

runAlone(module, run);
