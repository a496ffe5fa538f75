// Not a scenario: samples every allocation (also the collected ones) of one execution of N alerts through PSA Link + PSA Note, by allocating function.
import './preload';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeBench, startBench } from './engine';
import { alerts, packageWorkflow } from './workflows';
import { log } from './common';

/** The repository's root, wherever it is checked out; profile URLs spell it as a path or as a file:// URL. */
const REPO = join(__dirname, '..') + '/';
const REPO_URL = pathToFileURL(REPO).href;

interface SamplingNode {
	callFrame: { functionName: string; url: string; lineNumber: number };
	selfSize: number;
	children: SamplingNode[];
}

async function main(): Promise<void> {
	const count = Number(process.env.PROFILE_ITEMS ?? 1000);
	const fx = await startBench({ latencyMs: 0 });
	const session = new Session();
	session.connect();
	try {
		await fx.engine.run(packageWorkflow(alerts(100, 'warm', 'fired'), { withStatus: false }));
		// PROFILE_HEAP_MB=<n>: what occupies the heap (live or not yet collected) when the heap first holds n MB during the
		// execution, i.e. who allocated what makes the RSS peak; else every allocation of the execution, collected ones too.
		const heapMark = process.env.PROFILE_HEAP_MB ? Number(process.env.PROFILE_HEAP_MB) * 1024 * 1024 : undefined;
		const collected = heapMark === undefined;
		await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: collected, includeObjectsCollectedByMinorGC: collected });
		let marked: Promise<{ profile: { head: SamplingNode } }> | undefined;
		const watcher = heapMark
			? setInterval(() => {
					if (!marked && process.memoryUsage().heapUsed >= heapMark) marked = session.post('HeapProfiler.stopSampling') as unknown as Promise<{ profile: { head: SamplingNode } }>;
				}, 20)
			: undefined;
		const run = await fx.engine.run(packageWorkflow(alerts(count, 'alloc', 'fired'), { withStatus: false }));
		clearInterval(watcher);
		if (run.error) throw run.error;
		if (heapMark && !marked) throw new Error(`the heap never held ${process.env.PROFILE_HEAP_MB} MB during the execution`);
		const { profile } = await (marked ?? (session.post('HeapProfiler.stopSampling') as unknown as Promise<{ profile: { head: SamplingNode } }>));
		const byOwner = new Map<string, number>();
		let total = 0;
		// Each allocation goes to the innermost frame of the package, the sandbox or a library (by package name).
		const ownerOf = (url: string): string | undefined => {
			const inRepo = url.startsWith(REPO) ? url.slice(REPO.length) : url.startsWith(REPO_URL) ? url.slice(REPO_URL.length) : undefined;
			if (inRepo?.startsWith('lib/') || inRepo?.startsWith('nodes/')) return `package ${inRepo}`;
			if (inRepo?.startsWith('test/')) return 'sandbox (test/)';
			const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
			return module ? `module ${module}` : undefined;
		};
		// PROFILE_FRAMES=<regexp of an owner>: also where in that owner (function:line of its innermost frame, and the package frame above it).
		const framesOf = process.env.PROFILE_FRAMES ? new RegExp(process.env.PROFILE_FRAMES) : undefined;
		const byFrame = new Map<string, number>();
		const walk = (node: SamplingNode, owner: string, frame: string, caller: string) => {
			const own = ownerOf(node.callFrame.url);
			const here = own ?? owner;
			const hereFrame = own ? `${node.callFrame.functionName || '(anonymous)'}:${node.callFrame.lineNumber}` : frame;
			const hereCaller = own && own.startsWith('package') ? `${own.slice(8)} ${hereFrame}` : caller;
			if (node.selfSize > 0) {
				byOwner.set(here, (byOwner.get(here) ?? 0) + node.selfSize);
				total += node.selfSize;
				if (framesOf?.test(here)) byFrame.set(`${here} ${hereFrame} <- ${hereCaller}`, (byFrame.get(`${here} ${hereFrame} <- ${hereCaller}`) ?? 0) + node.selfSize);
			}
			for (const child of node.children) walk(child, here, hereFrame, hereCaller);
		};
		walk(profile.head, 'node internals / other', '', '');
		log(`allocated during the execution of ${count} items: ${(total / 1024 / 1024).toFixed(1)} MB (${(total / count / 1024).toFixed(1)} KB per item)`);
		for (const [owner, bytes] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
			log(`  ${(bytes / count / 1024).toFixed(2).padStart(7)} KB/item ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${owner}`);
		}
		for (const [frame, bytes] of [...byFrame].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
			log(`  ${(bytes / count / 1024).toFixed(2).padStart(7)} KB/item  ${frame}`);
		}
	} finally {
		session.disconnect();
		await fx.stop();
		await closeBench();
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
