// Scenario 2: the nodes' Concurrency option (1 / 4 / 8 / 16) at 50 ms latency with the sandbox's rate limit on: throughput and 429s.
import './preload';
import type { IRun } from 'n8n-workflow';
import { closeBench, startBench } from './engine';
import { alerts, naiveWorkflow, packageWorkflow } from './workflows';
import { SMALL, fixed, log, ms, requestCounts, scaled, table, timed, runAlone, type Section, type TargetResult } from './common';

export const LATENCY_MS = 50;
/** Requests per second the sandbox accepts (429 with Retry-After: 1 above it). */
export const RATE_LIMIT = 100;
const NODES = ['PSA Link', 'PSA Note', 'PSA Status'];

interface ConcurrencyResult {
	concurrency: number;
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

async function measure(concurrency: number, count: number): Promise<ConcurrencyResult> {
	const fx = await startBench({ latencyMs: LATENCY_MS, rateLimitPerSecond: RATE_LIMIT });
	try {
		const items = alerts(count, `c${concurrency}`, 'fired');
		// Errors are counted, not thrown: continueOnFail turns a 429 that reaches the user into an error item.
		const { result, ms: wallMs } = await timed(() => fx.engine.run(packageWorkflow(items, { concurrency, continueOnFail: true })));
		const counts = requestCounts(fx.sandbox);
		const itemErrors = itemErrorsOf(result.run);
		const done = fx.sandbox.db.tickets.filter((ticket) => ticket.status.name === 'In Progress').length;
		if (itemErrors === 0 && !result.error && done !== count) throw new Error(`concurrency ${concurrency}: ${done} of ${count} tickets In Progress`);
		log(`concurrency ${concurrency}: ${count} items in ${wallMs.toFixed(0)} ms, ${counts.total} requests, ${counts.rateLimited} 429s, ${itemErrors} error items`);
		return { concurrency, items: count, wallMs, requests: counts.total, served429: counts.rateLimited, itemErrors, runError: result.error?.message };
	} finally {
		await fx.stop();
	}
}

/** The HTTP Request workflow with the node defaults under the same rate limit: its first 429 stops the execution. */
async function measureNaive(count: number): Promise<{ wallMs: number; served429: number; requests: number; outcome: string }> {
	const fx = await startBench({ latencyMs: LATENCY_MS, rateLimitPerSecond: RATE_LIMIT });
	try {
		const { result, ms: wallMs } = await timed(() => fx.engine.run(naiveWorkflow(alerts(count, 'naive-rl', 'fired'), fx.sandbox.apiBaseUrl)));
		const counts = requestCounts(fx.sandbox);
		const failedNode = result.run.data.resultData.lastNodeExecuted;
		const outcome = result.error ? `failed in "${failedNode}": ${result.error.message.slice(0, 120)}` : 'completed';
		log(`naive burst under the rate limit: ${outcome}; ${counts.rateLimited} 429s`);
		return { wallMs, served429: counts.rateLimited, requests: counts.total, outcome };
	} finally {
		await fx.stop();
	}
}

export async function run(): Promise<Section> {
	const count = scaled(300, 24);
	// Warm-up (module loading, store migrations) outside the measurements.
	await measure(4, scaled(20, 4));
	const results: ConcurrencyResult[] = [];
	for (const concurrency of [1, 4, 8, 16]) results.push(await measure(concurrency, count));
	const naive = await measureNaive(count);
	await closeBench();

	const rows = results.map((result) => [
		result.concurrency,
		result.items,
		ms(result.wallMs),
		fixed(result.items / (result.wallMs / 1000), 1),
		fixed(result.requests / (result.wallMs / 1000), 1),
		result.requests,
		result.served429,
		result.itemErrors + (result.runError ? 1 : 0),
	]);
	const reached = results.reduce((sum, result) => sum + result.itemErrors + (result.runError ? 1 : 0), 0);
	const best = results.reduce((a, b) => (b.items / b.wallMs > a.items / a.wallMs ? b : a));
	const targets: TargetResult[] = [
		{
			target: 'No 429 reaches the user at Concurrency 1 / 4 / 8 / 16 under the rate limit',
			measured: `${results.reduce((sum, result) => sum + result.served429, 0)} 429s served and retried; ${reached} errors in the outputs`,
			met: reached === 0,
		},
	];
	const markdown = [
		`${SMALL ? 'BENCH_SCALE=small. ' : ''}${count} new alerts through PSA Link → PSA Note → PSA Status in one execution, sandbox latency ${LATENCY_MS} ms, rate limit ${RATE_LIMIT} requests/s (above it: 429 with \`Retry-After: 1\`). Every node has "On Error: Continue", so a 429 that was not absorbed would show as an error item.`,
		'',
		table(['Concurrency', 'items', 'wall time', 'items/s', 'requests/s', 'requests', '429s served (retried)', 'errors reaching the user'], rows),
		'',
		`Best throughput: Concurrency ${best.concurrency} (${fixed(best.items / (best.wallMs / 1000), 1)} items/s). At ${LATENCY_MS} ms one worker makes at most ${1000 / LATENCY_MS} requests/s, so the limit of ${RATE_LIMIT}/s is reached from about Concurrency ${Math.ceil(RATE_LIMIT / (1000 / LATENCY_MS))}; above it every 429 costs its worker the full \`Retry-After\` second.`,
		'',
		`The HTTP Request workflow (node defaults) with the same ${count} alerts under the same limit: **${naive.outcome}** after ${ms(naive.wallMs)}; the sandbox served ${naive.served429} 429s out of ${naive.requests} requests. The HTTP Request node sends every item at once and does not retry a 429 unless "Retry On Fail" or batching is set up by hand.`,
	].join('\n');
	return { title: '2. Concurrency under a rate limit', markdown, targets };
}

runAlone(module, run);
