// Scenario 5, child process (run with --expose-gc): one execution of many items through PSA Link + PSA Note (or the HTTP Request workflow doing the same); prints RSS figures as JSON.
import './preload';
import { benchEngine, closeBench, type SandboxAddress } from './engine';
import { NAIVE_PACED_BATCH, alerts, naiveWorkflow, packageWorkflow } from './workflows';

const MB = 1024 * 1024;

async function main(): Promise<void> {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error('run with node --expose-gc');
	const sandbox = JSON.parse(process.env.BENCH_SANDBOX ?? '') as SandboxAddress;
	const count = Number(process.env.BENCH_ITEMS);
	// BENCH_CONCURRENCY=n: the nodes' Concurrency option set to n (absent: Automatic), to compare items in flight.
	const concurrency = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
	// BENCH_FLOW=naive: the HTTP Request workflow doing the same work (search, create, note), its sends paced by its
	// Batching option (all 10,000 at once would be 10,000 sockets).
	const naive = process.env.BENCH_FLOW === 'naive';
	const workflowOf = (items: ReturnType<typeof alerts>) =>
		naive
			? naiveWorkflow(items, sandbox.apiBaseUrl ?? '', { withStatus: false, batching: NAIVE_PACED_BATCH })
			: packageWorkflow(items, { withStatus: false, concurrency });
	const engine = benchEngine(sandbox);
	// Warm-up: modules, store, caches, JIT — the steady state a running n8n is in.
	const warm = await engine.run(workflowOf(alerts(200, 'warm', 'fired')));
	if (warm.error) throw warm.error;
	gc();
	gc();
	const before = process.memoryUsage();
	let peak = before.rss;
	let atPeak = before;
	const sampler = setInterval(() => {
		const usage = process.memoryUsage();
		if (usage.rss > peak) {
			peak = usage.rss;
			atPeak = usage;
		}
	}, 20);
	// BENCH_PROBE_LIVE=1 (diagnosis only, it changes the peak): a full GC every 2 s during the execution, to tell the live
	// set while items are in flight from garbage not yet collected.
	const live: number[] = [];
	const prober = process.env.BENCH_PROBE_LIVE
		? setInterval(() => {
				gc();
				live.push(process.memoryUsage().heapUsed / MB);
			}, 2000)
		: undefined;
	const start = Date.now();
	let run: Awaited<ReturnType<typeof engine.run>> | undefined = await engine.run(workflowOf(alerts(count, 'mem', 'fired')));
	const wallMs = Date.now() - start;
	clearInterval(sampler);
	if (prober) {
		clearInterval(prober);
		process.stderr.write(`live heap during the execution (MB, after a full GC every 2 s): ${live.map((value) => value.toFixed(0)).join(' ')}\n`);
	}
	if (run.error) throw run.error;
	const produced = run.output(naive ? 'Add note' : 'PSA Note').length;
	gc();
	const held = process.memoryUsage();
	peak = Math.max(peak, held.rss);
	run = undefined;
	gc();
	gc();
	const released = process.memoryUsage();
	await closeBench();
	const report = {
		items: count,
		produced,
		wallMs,
		rssBeforeMb: before.rss / MB,
		rssPeakMb: peak / MB,
		rssAfterHeldMb: held.rss / MB,
		rssAfterReleasedMb: released.rss / MB,
		heapBeforeMb: before.heapUsed / MB,
		heapAfterHeldMb: held.heapUsed / MB,
		heapAfterReleasedMb: released.heapUsed / MB,
		maxRssMb: process.resourceUsage().maxRSS / 1024,
		heapTotalBeforeMb: before.heapTotal / MB,
		atPeakMb: { heapUsed: atPeak.heapUsed / MB, heapTotal: atPeak.heapTotal / MB, external: atPeak.external / MB, arrayBuffers: atPeak.arrayBuffers / MB },
		heapTotalAfterReleasedMb: released.heapTotal / MB,
		externalAfterReleasedMb: released.external / MB,
	};
	process.stdout.write(`BENCH_MEMORY ${JSON.stringify(report)}\n`);
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
