// Scenario 1: requests per item and wall time, PSA Link -> Note -> Status against the HTTP Request workflow, at 0 and 50 ms latency.
import './preload';
import type { IRun } from 'n8n-workflow';
import { closeBench, loadBaseNodes, startBench, type BenchFixture } from './engine';
import { alerts, naiveWorkflow, packageWorkflow, type Alert } from './workflows';
import { SMALL, fixed, log, ms, ratio, requestCounts, scaled, table, timed, runAlone, type Section, type TargetResult } from './common';

type Flow = 'package' | 'package-c4' | 'naive-burst' | 'naive-sequential' | 'package-sequential';

const FLOW_LABEL: Record<Flow, string> = {
	package: 'PSA nodes, all items in one execution (Concurrency Automatic, the default)',
	'package-c4': 'PSA nodes, all items in one execution, Concurrency 4 (the former default, as Options > Concurrency)',
	'package-sequential': 'PSA nodes, one execution per alert',
	'naive-burst': 'HTTP Request workflow, all items in one execution (node defaults)',
	'naive-sequential': 'HTTP Request workflow, one execution per alert (one item at a time)',
};

export interface PassResult {
	flow: Flow;
	latencyMs: number;
	pass: 'new' | 'existing';
	items: number;
	requests: number;
	byEndpoint: Record<string, number>;
	wallMs: number;
}

function totalOutputItems(run: IRun, node: string): number {
	return (run.data.resultData.runData[node] ?? []).reduce((sum, nodeRun) => sum + (nodeRun.data?.main?.[0]?.length ?? 0), 0);
}

async function runFlow(fx: BenchFixture, flow: Flow, items: Alert[]): Promise<void> {
	const lastNode = flow.startsWith('package') ? 'PSA Status' : 'Set status';
	const build = (batch: Alert[]) =>
		flow.startsWith('package') ? packageWorkflow(batch, flow === 'package-c4' ? { concurrency: 4 } : {}) : naiveWorkflow(batch, fx.sandbox.apiBaseUrl);
	const batches = flow.endsWith('sequential') ? items.map((item) => [item]) : [items];
	for (const batch of batches) {
		const { run, error } = await fx.engine.run(build(batch));
		if (error) throw new Error(`${FLOW_LABEL[flow]}: the workflow failed: ${error.message}`);
		const produced = totalOutputItems(run, lastNode);
		if (produced !== batch.length) throw new Error(`${FLOW_LABEL[flow]}: ${lastNode} output ${produced} items, expected ${batch.length}`);
	}
}

/** Both passes of one flow at one latency on a fresh sandbox: new alerts, then the same alerts again (resolved). */
export async function measureFlow(flow: Flow, latencyMs: number, count: number): Promise<PassResult[]> {
	const fx = await startBench({ latencyMs });
	try {
		const prefix = `${flow}-${latencyMs}`;
		const results: PassResult[] = [];
		for (const pass of ['new', 'existing'] as const) {
			const items = alerts(count, prefix, pass === 'new' ? 'fired' : 'resolved');
			fx.sandbox.resetLog();
			const { ms: wallMs } = await timed(() => runFlow(fx, flow, items));
			const counts = requestCounts(fx.sandbox);
			results.push({ flow, latencyMs, pass, items: count, requests: counts.total, byEndpoint: counts.byEndpoint, wallMs });
			log(`${flow} ${latencyMs} ms ${pass}: ${count} items, ${counts.total} requests, ${wallMs.toFixed(0)} ms`);
		}
		// The benchmark only counts if the work was done: every ticket exists once, resolved, with both notes.
		const tickets = fx.sandbox.db.tickets.filter((ticket) => ticket.summary.startsWith(`[${prefix}-`));
		if (tickets.length !== count) throw new Error(`${flow}: ${tickets.length} tickets for ${count} alerts`);
		if (tickets.some((ticket) => ticket.status.name !== 'Resolved')) throw new Error(`${flow}: a ticket did not end Resolved`);
		const notes = fx.sandbox.db.notes.filter((note) => tickets.some((ticket) => ticket.id === note.ticketId));
		if (notes.length !== 2 * count) throw new Error(`${flow}: ${notes.length} notes for ${count} alerts`);
		return results;
	} finally {
		await fx.stop();
	}
}

const perItem = (result: PassResult) => result.requests / result.items;
const msPerItem = (result: PassResult) => result.wallMs / result.items;

export async function run(): Promise<Section> {
	const base = loadBaseNodes();
	const full = scaled(1000, 40);
	// One item at a time at 50 ms costs ~250 ms per alert; fewer alerts keep the whole benchmark within 15 minutes.
	const sequentialSlow = scaled(150, 10);
	// One execution per alert is not one of the scenarios: fewer alerts keep the run within budget.
	const sequentialFast = scaled(300, 40);
	const plan: Array<[Flow, number, number]> = [
		['package', 0, full],
		['naive-burst', 0, full],
		['package-sequential', 0, sequentialFast],
		['naive-sequential', 0, sequentialFast],
		['package', 50, full],
		['package-c4', 50, full],
		['naive-burst', 50, full],
		['package-sequential', 50, sequentialSlow],
		['naive-sequential', 50, sequentialSlow],
	];
	// Warm-up outside the measurements: module loading, store migrations, JIT.
	await measureFlow('package', 0, scaled(50, 5));
	await measureFlow('naive-burst', 0, scaled(50, 5));
	const results: PassResult[] = [];
	for (const [flow, latency, count] of plan) results.push(...(await measureFlow(flow, latency, count)));
	await closeBench();

	const find = (flow: Flow, latency: number, pass: 'new' | 'existing') =>
		results.find((result) => result.flow === flow && result.latencyMs === latency && result.pass === pass) as PassResult;
	const rows = results.map((result) => [
		FLOW_LABEL[result.flow],
		`${result.latencyMs} ms`,
		result.pass === 'new' ? 'new alerts' : 'same alerts again',
		result.items,
		result.requests,
		fixed(perItem(result)),
		ms(result.wallMs),
		ms(msPerItem(result), 2),
	]);
	const endpointRows = (['package', 'naive-burst'] as Flow[]).flatMap((flow) =>
		(['new', 'existing'] as const).map((pass) => {
			const result = find(flow, 0, pass);
			return [FLOW_LABEL[flow], pass, Object.entries(result.byEndpoint).map(([endpoint, count]) => `${endpoint}: ${count}`).join('<br>')];
		}),
	);

	const ratios: Array<Array<string | number>> = [];
	for (const latency of [0, 50]) {
		for (const pass of ['new', 'existing'] as const) {
			const ours = find('package', latency, pass);
			const oursSeq = find('package-sequential', latency, pass);
			const burst = find('naive-burst', latency, pass);
			const sequential = find('naive-sequential', latency, pass);
			ratios.push([
				`${latency} ms`,
				pass === 'new' ? 'new alerts' : 'same alerts again',
				ratio(perItem(sequential) / perItem(ours)),
				ratio(msPerItem(sequential) / msPerItem(ours)),
				ratio(msPerItem(burst) / msPerItem(ours)),
				ratio(msPerItem(sequential) / msPerItem(oursSeq)),
			]);
		}
	}

	// Targets.
	const targets: TargetResult[] = [];
	const n = full;
	const ours0New = find('package', 0, 'new');
	const ours0Existing = find('package', 0, 'existing');
	// New: create + note + PATCH per alert, + the board's statuses once, + the codebase lookup once per connection.
	const expectedNew = 3 * n + 1 + 1;
	const expectedExisting = 2 * n;
	const minimumMet = [0, 50].every(
		(latency) => find('package', latency, 'new').requests === expectedNew && find('package', latency, 'existing').requests === expectedExisting,
	);
	targets.push({
		target: 'Requests per item at the minimum (existing link 0, new link 1, note 1, status 1, + 1 per board per cache TTL)',
		measured: `new alerts: ${ours0New.requests} for ${n} (expected ${expectedNew} = 3/alert + 1 board statuses + 1 codebase lookup); same alerts again: ${ours0Existing.requests} (expected ${expectedExisting} = note + status)`,
		met: minimumMet,
	});
	const naiveNew = find('naive-burst', 0, 'new');
	const naiveExisting = find('naive-burst', 0, 'existing');
	const combined = (naiveNew.requests + naiveExisting.requests) / (ours0New.requests + ours0Existing.requests);
	targets.push({
		target: '>= 2.5x fewer requests than the naive workflow',
		measured: `new ${ratio(naiveNew.requests / ours0New.requests)}, again ${ratio(naiveExisting.requests / ours0Existing.requests)}, both passes ${ratio(combined)}`,
		met: combined >= 2.5,
		note:
			combined >= 2.5
				? undefined
				: 'Unreachable by construction at the issue\'s own minima: a new alert needs create + note + status (3) where the naive flow makes 5 (5/3 = 1.67x); a known alert whose status changes needs note + status (2) where it makes 4 (4/2 = 2x); both passes 9/5 = 1.8x. An unchanged status does not help either: PSA Status confirms a remembered status with one GET before answering changed:false, so that a change made by a person in the PSA is never skipped (note + GET = 2).',
	});
	const ours50 = (pass: 'new' | 'existing') => msPerItem(find('package', 50, pass));
	const seq50 = (pass: 'new' | 'existing') => msPerItem(find('naive-sequential', 50, pass));
	const speedup = (seq50('new') + seq50('existing')) / (ours50('new') + ours50('existing'));
	const c450 = (pass: 'new' | 'existing') => msPerItem(find('package-c4', 50, pass));
	const speedupC4 = (seq50('new') + seq50('existing')) / (c450('new') + c450('existing'));
	targets.push({
		target: '>= 8x faster at 50 ms than the HTTP Request workflow one item at a time (no rate limit)',
		measured: `new ${ratio(seq50('new') / ours50('new'))}, again ${ratio(seq50('existing') / ours50('existing'))}, both passes ${ratio(speedup)} (PSA nodes at Automatic, the default); at the former default Concurrency 4: both passes ${ratio(speedupC4)}`,
		met: speedup >= 8,
	});
	const burst = (pass: 'new' | 'existing') => msPerItem(find('naive-burst', 50, pass));
	const burstNew = burst('new') / ours50('new');
	const burstBoth = (burst('new') + burst('existing')) / (ours50('new') + ours50('existing'));
	targets.push({
		target: 'Faster at 50 ms than the HTTP Request workflow with its defaults for 1,000 new alerts (ratio >= 1x; no rate limit)',
		measured: `new alerts ${ratio(burstNew)}, same alerts again ${ratio(burst('existing') / ours50('existing'))}, both passes ${ratio(burstBoth)} (above 1x the PSA nodes were faster; at the former Concurrency 4: new ${ratio(burst('new') / c450('new'))})`,
		met: burstNew >= 1,
		note: 'Without a rate limit the HTTP Request node sends all items of an execution at once; see the Concurrency section for what a rate-limited PSA does to it.',
	});

	const markdown = [
		`Naive workflow nodes: **${base.origin}**${base.real ? ' — the real HTTP Request (typeVersion 4.2) and If (2.2) nodes run in the same engine' : ' — n8n-nodes-base was not found on this machine, so bench/naive-nodes.ts stands in for HTTP Request and If: it makes its calls the way HTTP Request v4 does (every item of an execution started at once, awaited together, Basic auth added by the node)'}.`,
		'',
		'The naive workflow: Search ticket (GET /service/tickets, `conditions=summary like "%[alert]%" and closedFlag = false`) → If found → else Create ticket (POST) → Add note (POST .../notes) → Get board statuses (GET /service/boards/1/statuses) → Set status (PATCH, the status found by name). Same Basic credential, `clientId` and versioned `Accept` headers as the package; the codebase is typed into the URL.',
		'The package workflow: PSA Link (Link) → PSA Note (Add, by link) → PSA Status (Set by name, by link). Pass 1: new alerts, status "In Progress"; pass 2: the same alerts again, resolved (note + status "Resolved").',
		`${SMALL ? 'BENCH_SCALE=small. ' : ''}"One execution per alert" is what a webhook-triggered workflow does (one alert per execution); at 50 ms it runs ${sequentialSlow} alerts instead of ${full} to stay within the time budget (and ${sequentialFast} at 0 ms), so compare per-item figures.`,
		'',
		table(['flow', 'latency', 'pass', 'items', 'requests', 'requests/item', 'wall time', 'time/item'], rows),
		'',
		'Ratios (naive / package; above 1x the package is better):',
		'',
		table(['latency', 'pass', 'requests: naive one-at-a-time / package', 'time: naive one-at-a-time / package batch', 'time: naive burst / package batch', 'time: naive / package, both one execution per alert'], ratios),
		'',
		'At 50 ms with the PSA nodes at the former default Concurrency 4 (time: naive one item at a time / package batch): ' +
			(['new', 'existing'] as const)
				.map((pass) => `${pass === 'new' ? 'new alerts' : 'same alerts again'} ${ratio(msPerItem(find('naive-sequential', 50, pass)) / msPerItem(find('package-c4', 50, pass)))}`)
				.join(', ') +
			'.',
		'',
		'Requests by endpoint at 0 ms:',
		'',
		table(['flow', 'pass', 'requests'], endpointRows),
	].join('\n');
	return { title: '1. Requests and wall time against the HTTP Request workflow', markdown, targets };
}

runAlone(module, run);
