// Scenario 3: the package's own time per item at 0 ms: wall time minus the time the same requests take as raw fetch calls.
import './preload';
import type { Sandbox } from '../test/sandbox';
import { closeBench, startBench } from './engine';
import { alerts, packageWorkflow } from './workflows';
import { SMALL, fixed, log, ms, scaled, table, timed, type Section, type TargetResult } from './common';

interface LoggedRequest {
	method: string;
	url: string;
	headers: Record<string, string>;
	body?: string;
}

/** The requests the sandbox saw, ready to send again (the Authorization header is redacted in the log: rebuild it). */
function capture(sandbox: Sandbox): LoggedRequest[] {
	const { companyId, publicKey, privateKey } = sandbox.credentials;
	const authorization = `Basic ${Buffer.from(`${companyId}+${publicKey}:${privateKey}`).toString('base64')}`;
	return sandbox.requests.map((entry) => {
		const query = new URLSearchParams(entry.query).toString();
		const isApi = !entry.path.startsWith('/login/') && !entry.path.startsWith('/callback-keys/');
		const url = `${isApi ? sandbox.apiBaseUrl : sandbox.url}${entry.path}${query ? `?${query}` : ''}`;
		const headers: Record<string, string> = {};
		for (const name of ['accept', 'clientid', 'content-type']) if (entry.headers[name]) headers[name] = entry.headers[name];
		if (isApi) headers.authorization = authorization;
		return { method: entry.method, url, headers, body: entry.body === undefined ? undefined : JSON.stringify(entry.body) };
	});
}

/** Sends the requests one after another with fetch: what the sandbox and the loopback HTTP cost, without n8n or the package. */
async function replay(requests: LoggedRequest[]): Promise<number> {
	const { ms: elapsed } = await timed(async () => {
		for (const request of requests) {
			const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
			await response.arrayBuffer();
			if (response.status >= 400) throw new Error(`replay: ${request.method} ${request.url} answered ${response.status}`);
		}
	});
	return elapsed;
}

export interface OverheadResult {
	pass: string;
	items: number;
	requests: number;
	wallMs: number;
	replayMs: number;
}

export async function run(): Promise<Section> {
	const count = scaled(1000, 50);
	const fx = await startBench({ latencyMs: 0 });
	const results: OverheadResult[] = [];
	try {
		// Warm-up: module loading, store migrations, JIT.
		await fx.engine.run(packageWorkflow(alerts(scaled(100, 10), 'warm', 'fired'), { concurrency: 1 }));
		await fx.engine.run(packageWorkflow(alerts(scaled(100, 10), 'warm', 'resolved'), { concurrency: 1 }));
		for (const [pass, event] of [
			['new alerts', 'fired'],
			['same alerts again', 'resolved'],
		] as const) {
			fx.sandbox.resetLog();
			// Concurrency 1: items run one after another, so the wall time is the sum of the per-item work.
			const { result, ms: wallMs } = await timed(() => fx.engine.run(packageWorkflow(alerts(count, 'ovh', event), { concurrency: 1 })));
			if (result.error) throw new Error(`overhead run failed: ${result.error.message}`);
			const requests = capture(fx.sandbox);
			const replayMs = await replay(requests);
			results.push({ pass, items: count, requests: requests.length, wallMs, replayMs });
			log(`overhead ${pass}: ${wallMs.toFixed(0)} ms wall, ${replayMs.toFixed(0)} ms replay of ${requests.length} requests`);
		}
	} finally {
		await fx.stop();
		await closeBench();
	}
	const overhead = (result: OverheadResult) => (result.wallMs - result.replayMs) / result.items;
	const rows = results.map((result) => [
		result.pass,
		result.items,
		result.requests,
		ms(result.wallMs),
		ms(result.replayMs),
		ms(result.wallMs / result.items, 3),
		ms(result.replayMs / result.items, 3),
		ms(overhead(result), 3),
	]);
	const worst = Math.max(...results.map(overhead));
	const targets: TargetResult[] = [
		{
			target: 'Package overhead <= 1 ms per item (Link + Note + Status, 0 ms latency)',
			measured: results.map((result) => `${result.pass}: ${fixed(overhead(result), 3)} ms`).join('; '),
			met: worst <= 1,
		},
	];
	const markdown = [
		`${SMALL ? 'BENCH_SCALE=small. ' : ''}${count} alerts through PSA Link → PSA Note → PSA Status at Concurrency 1 and 0 ms latency, in one execution. The sandbox's time is measured by sending the exact requests it logged again, one after another, with \`fetch\` (same method, URL, query, body and headers). Overhead = (wall time − replay time) / items: n8n's engine (expressions, parameters, its HTTP helper) plus the package (services, store, cache).`,
		'',
		table(['pass', 'items', 'requests', 'wall time', 'replay (sandbox + HTTP)', 'wall / item', 'replay / item', 'overhead / item'], rows),
	].join('\n');
	return { title: '3. Overhead per item', markdown, targets };
}

if (require.main === module) {
	run()
		.then((section) => {
			console.log(section.markdown);
			console.table(section.targets);
		})
		.catch((error) => {
			console.error(error);
			process.exitCode = 1;
		});
}
