// Scenario 12: throughput against Concurrency and against the rate limit, the package beside the HTTP Request workflow (the concurrency scenario's measurements at more points), drawn as docs/images/bench-throughput.svg.
import './preload';
import { LATENCY_MS, measure, measureNaive, type ConcurrencyResult } from './concurrency';
import { lineChartSvg, type ChartSeries } from './chart';
import { SMALL, fixed, log, runAlone, scaled, table, type Section } from './common';
import { loadBaseNodes } from './engine';

export const CHART_PATH = 'docs/images/bench-throughput.svg';
const CONCURRENCIES: Array<number | undefined> = [1, 4, 16, 64, undefined];
const RATE_LIMITS = [50, 100, 200];
/**
 * The HTTP Request workflow set up by hand for a limit (Batching: a batch, then a 1000 ms pause on each node): a node
 * whose items fit in one batch ends within one latency, so all five HTTP Request nodes' batches can fall in one second;
 * a batch is 90% of the limit / 5. (At 45% the 100/s run stopped at a 429.)
 */
const BATCH_SHARE = 0.18;
const PACKAGE_COLOR = '#1f6fb4';
const NAIVE_COLOR = '#d9622b';
const NAIVE_BATCHED_COLOR = '#8a5a9e';
const IDEAL_COLOR = '#6b8e23';

const alertsPerSecond = (done: number, wallMs: number) => done / (wallMs / 1000);
const packageDone = (result: ConcurrencyResult) => (result.itemErrors === 0 && !result.runError ? result.items : 0);

export async function run(): Promise<Section> {
	const perConcurrency = scaled(150, 24);
	const perLimit = scaled(150, 30);
	const realNodes = loadBaseNodes().real;
	// Warm-up (module loading, store migrations, the HTTP Request node's first run) outside the measurements.
	await measure(4, scaled(20, 4), 0);
	await measureNaive(scaled(20, 4), 0);

	const byConcurrency: ConcurrencyResult[] = [];
	for (const concurrency of CONCURRENCIES) byConcurrency.push(await measure(concurrency, perConcurrency, 0));
	const naiveBurst = await measureNaive(perConcurrency, 0);

	const byLimit: Array<{ limit: number; automatic: ConcurrencyResult; naive: Awaited<ReturnType<typeof measureNaive>>; batched?: Awaited<ReturnType<typeof measureNaive>> }> = [];
	for (const limit of RATE_LIMITS) {
		const automatic = await measure(undefined, perLimit, limit);
		const naive = await measureNaive(perLimit, limit);
		// The stand-in nodes (bench/naive-nodes.ts) have no Batching option: no hand-paced row without n8n's own node.
		const batched = realNodes ? await measureNaive(perLimit, limit, { batchSize: Math.floor(limit * BATCH_SHARE), batchIntervalMs: 1000 }) : undefined;
		byLimit.push({ limit, automatic, naive, batched });
	}

	const concurrencyLabel = (concurrency: number | undefined) => (concurrency === undefined ? 'Automatic' : String(concurrency));
	const naiveBurstRate = alertsPerSecond(naiveBurst.done, naiveBurst.wallMs);
	// Where a run of the HTTP Request workflow stopped (its first 429 reached it): marked on the chart.
	const stoppedAt = (runs: Array<{ outcome: string } | undefined>) => Object.fromEntries(runs.flatMap((naive, index) => (naive && naive.outcome !== 'completed' ? [[index, 'stopped by a 429']] : [])));
	const limitSeries: ChartSeries[] = [
		{ name: 'PSA nodes, Concurrency Automatic', values: byLimit.map((point) => alertsPerSecond(packageDone(point.automatic), point.automatic.wallMs)), color: PACKAGE_COLOR },
		{
			name: 'HTTP Request workflow, node defaults',
			values: byLimit.map((point) => alertsPerSecond(point.naive.done, point.naive.wallMs)),
			color: NAIVE_COLOR,
			remarks: stoppedAt(byLimit.map((point) => point.naive)),
		},
		...(realNodes
			? [{ name: `HTTP Request workflow, Batching ${BATCH_SHARE * 100}% of the limit per 1000 ms`, values: byLimit.map((point) => (point.batched ? alertsPerSecond(point.batched.done, point.batched.wallMs) : null)), color: NAIVE_BATCHED_COLOR, remarks: stoppedAt(byLimit.map((point) => point.batched)) }]
			: []),
		{ name: 'PSA nodes ideal: the limit / 3 requests per alert', values: RATE_LIMITS.map((limit) => limit / 3), color: IDEAL_COLOR, dashed: true, reference: true },
	];
	const svg = lineChartSvg(
		[
			{
				title: `New alerts/s against Concurrency (no rate limit)`,
				xLabel: `Concurrency (PSA nodes' option; ${perConcurrency} alerts, ${LATENCY_MS} ms latency)`,
				yLabel: 'alerts per second (ticket In Progress)',
				categories: CONCURRENCIES.map(concurrencyLabel),
				series: [
					{ name: 'PSA nodes (Link → Note → Status)', values: byConcurrency.map((result) => alertsPerSecond(packageDone(result), result.wallMs)), color: PACKAGE_COLOR },
					{ name: 'HTTP Request workflow (every item at once; no such option)', values: CONCURRENCIES.map(() => naiveBurstRate), color: NAIVE_COLOR, dashed: true, reference: true },
				],
			},
			{
				title: 'New alerts/s against the rate limit',
				xLabel: `sandbox rate limit, requests/s (${perLimit} alerts, ${LATENCY_MS} ms latency)`,
				yLabel: 'alerts per second (ticket In Progress)',
				categories: RATE_LIMITS.map(String),
				series: limitSeries,
			},
		],
		`npm run bench (bench/throughput.ts), ${new Date().toISOString().slice(0, 10)}${SMALL ? ', BENCH_SCALE=small' : ''}: ConnectWise sandbox; an alert counts once its ticket is In Progress.`,
	);
	log(`throughput chart: ${byConcurrency.length + byLimit.length * 3 + 1} points`);

	const rows = [
		...byConcurrency.map((result) => [`PSA nodes, Concurrency ${concurrencyLabel(result.concurrency)}`, 'none', result.items, `${fixed(result.wallMs, 0)} ms`, fixed(alertsPerSecond(packageDone(result), result.wallMs), 1), result.served429, 'completed']),
		['HTTP Request workflow, node defaults', 'none', perConcurrency, `${fixed(naiveBurst.wallMs, 0)} ms`, fixed(naiveBurstRate, 1), naiveBurst.served429, naiveBurst.outcome],
		...byLimit.flatMap((point) => [
			['PSA nodes, Concurrency Automatic', `${point.limit}/s`, perLimit, `${fixed(point.automatic.wallMs, 0)} ms`, fixed(alertsPerSecond(packageDone(point.automatic), point.automatic.wallMs), 1), point.automatic.served429, point.automatic.itemErrors || point.automatic.runError ? `${point.automatic.itemErrors} error items` : 'completed'],
			['HTTP Request workflow, node defaults', `${point.limit}/s`, perLimit, `${fixed(point.naive.wallMs, 0)} ms`, fixed(alertsPerSecond(point.naive.done, point.naive.wallMs), 1), point.naive.served429, point.naive.outcome],
			...(point.batched
				? [[`HTTP Request workflow, Batching ${Math.floor(point.limit * BATCH_SHARE)} per 1000 ms`, `${point.limit}/s`, perLimit, `${fixed(point.batched.wallMs, 0)} ms`, fixed(alertsPerSecond(point.batched.done, point.batched.wallMs), 1), point.batched.served429, point.batched.outcome]]
				: []),
		]),
	];
	return {
		title: '12. Throughput chart',
		markdown: [
			`![New alerts per second against Concurrency and against the rate limit, the PSA nodes beside the HTTP Request workflow](images/bench-throughput.svg)`,
			'',
			`${SMALL ? 'BENCH_SCALE=small. ' : ''}The concurrency scenario's measurements (bench/concurrency.ts: new alerts through PSA Link → PSA Note → PSA Status in one execution, sandbox latency ${LATENCY_MS} ms; the HTTP Request workflow of table 1) at more points, with fewer alerts per point (${perConcurrency === perLimit ? perConcurrency : `${perConcurrency} against Concurrency, ${perLimit} against the limit`}) so that Concurrency 1 fits in the run; an alert counts once its ticket is In Progress, so a run that stopped counts what it finished. The HTTP Request node has no concurrency setting: it sends every item of a node at once (its Batching option only spaces the sends), so it is one line in the left panel. Under a limit it stops at its first 429 with its defaults; the Batching row is that workflow set up by hand: batches of ${BATCH_SHARE * 100}% of the limit with a 1000 ms pause after each (a node whose items fit in one batch ends within one latency, so the five HTTP Request nodes' batches can all fall in one second; with 45% of the limit per batch a run stopped at a 429).${realNodes ? '' : ' The Batching rows are left out: n8n-nodes-base was not found, and the stand-in HTTP Request node has no Batching option.'}`,
			'',
			table(['flow', 'rate limit', 'alerts', 'wall time', 'alerts/s', '429s served', 'outcome'], rows),
		].join('\n'),
		targets: [],
		files: [{ path: CHART_PATH, content: svg }],
	};
}

runAlone(module, run);
