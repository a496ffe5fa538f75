// Scenario 3: the package's own time per item at 0 ms: wall time minus the time the same requests take as raw fetch calls.
import './preload';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../lib/cache';
import { createFetchTransport } from '../lib/providers/fetch-transport';
import type { HttpTransport } from '../lib/providers/http';
import { RequestLimiter } from '../lib/providers/limiter';
import { createProvider } from '../lib/providers/registry';
import type { PsaServiceContext } from '../lib/services/context';
import { link } from '../lib/services/link';
import { addNote } from '../lib/services/note';
import { setStatus } from '../lib/services/status';
import { openStore } from '../lib/store';
import type { PsaStore } from '../lib/store/types';
import { startSandbox, type Sandbox } from '../test/sandbox';
import { closeBench, startBench } from './engine';
import { alerts, packageWorkflow } from './workflows';
import { SMALL, fixed, log, ms, scaled, table, timed, runAlone, type Section, type TargetResult } from './common';

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

/** Wraps every repository method of the store so the time spent in it is summed per "repository.method". */
function timedStore(store: PsaStore, spent: Map<string, number>): PsaStore {
	const wrap = <T extends object>(name: string, repository: T): T =>
		new Proxy(repository, {
			get(target, property, receiver) {
				const value = Reflect.get(target, property, receiver);
				if (typeof value !== 'function') return value;
				return async (...args: unknown[]) => {
					const start = process.hrtime.bigint();
					try {
						return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
					} finally {
						const key = `${name}.${String(property)}`;
						spent.set(key, (spent.get(key) ?? 0) + Number(process.hrtime.bigint() - start) / 1e6);
					}
				};
			},
		});
	return {
		engine: store.engine,
		connections: wrap('connections', store.connections),
		links: wrap('links', store.links),
		noteReceipts: wrap('noteReceipts', store.noteReceipts),
		memberMap: wrap('memberMap', store.memberMap),
		statusMap: wrap('statusMap', store.statusMap),
		audit: wrap('audit', store.audit),
		close: () => store.close(),
	} as PsaStore;
}

export interface LibraryResult {
	pass: string;
	items: number;
	requests: number;
	wallMs: number;
	httpMs: number;
	storeMs: Map<string, number>;
}

/** The same work through lib/ only (services over a fetch transport): the package's own cost without n8n around it. */
export async function measureLibrary(count: number): Promise<LibraryResult[]> {
	const sandbox = await startSandbox({ port: 0, recordResponses: false });
	const folder = mkdtempSync(join(tmpdir(), 'psa-bench-lib-'));
	const rawStore = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite') });
	const results: LibraryResult[] = [];
	try {
		const storeMs = new Map<string, number>();
		let httpMs = 0;
		const fetchTransport = createFetchTransport();
		const http: HttpTransport = async (request) => {
			const start = process.hrtime.bigint();
			try {
				return await fetchTransport(request);
			} finally {
				httpMs += Number(process.hrtime.bigint() - start) / 1e6;
			}
		};
		const cache = new PsaCache();
		const provider = createProvider('connectWisePsaApi', { ...sandbox.credentials, site: sandbox.site, apiVersion: '2025.8' }, { http, cache });
		const ctx: PsaServiceContext = { provider, store: timedStore(rawStore, storeMs), cache, now: Date.now };
		const work = async (items: ReturnType<typeof alerts>) => {
			for (const alert of items) {
				const target = { source: 'monitor', externalId: alert.alertId };
				await link(ctx, target, { summary: alert.summary, companyId: 250, boardId: 1 });
				await addNote(ctx, { ticket: { link: target }, text: alert.text, type: 'internal' });
				await setStatus(ctx, { link: target }, { by: 'name', name: alert.status });
			}
		};
		await work(alerts(scaled(100, 10), 'warm', 'fired'));
		await work(alerts(scaled(100, 10), 'warm', 'resolved'));
		for (const [pass, event] of [
			['new alerts', 'fired'],
			['same alerts again', 'resolved'],
		] as const) {
			sandbox.resetLog();
			storeMs.clear();
			httpMs = 0;
			const { ms: wallMs } = await timed(() => work(alerts(count, 'lib', event)));
			results.push({ pass, items: count, requests: sandbox.counters().total ?? 0, wallMs, httpMs, storeMs: new Map(storeMs) });
			log(`library ${pass}: ${wallMs.toFixed(0)} ms wall, ${httpMs.toFixed(0)} ms in HTTP`);
		}
	} finally {
		await rawStore.close();
		await sandbox.stop();
		rmSync(folder, { recursive: true, force: true });
	}
	return results;
}

/** What the connection limiter costs per request (acquire + release, uncongested), in microseconds. */
async function limiterCost(): Promise<number> {
	const limiter = new RequestLimiter();
	const rounds = 100_000;
	const start = process.hrtime.bigint();
	for (let i = 0; i < rounds; i++) (await limiter.acquire({ endpoint: '/service/tickets' })).release();
	return Number(process.hrtime.bigint() - start) / 1e3 / rounds;
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
	const library = await measureLibrary(count);
	const overhead = (result: OverheadResult) => (result.wallMs - result.replayMs) / result.items;
	const libraryOverhead = (result: LibraryResult) => (result.wallMs - result.httpMs) / result.items;
	const storePerItem = (result: LibraryResult) => [...result.storeMs.values()].reduce((a, b) => a + b, 0) / result.items;
	const libraryRows = library.map((result) => [
		result.pass,
		result.items,
		result.requests,
		ms(result.wallMs / result.items, 3),
		ms(result.httpMs / result.items, 3),
		ms(libraryOverhead(result), 3),
		ms(storePerItem(result), 3),
		ms(libraryOverhead(result) - storePerItem(result), 3),
	]);
	const storeRows = [...new Set(library.flatMap((result) => [...result.storeMs.keys()]))].sort().map((key) => [
		key,
		...library.map((result) => ms((result.storeMs.get(key) ?? 0) / result.items, 3)),
	]);
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
	const limiterUs = await limiterCost();
	const worstTotal = Math.max(...results.map(overhead));
	const targets: TargetResult[] = [
		{
			target: 'Package overhead per item (no n8n; Link + Note + Status, 0 ms latency): <= 1 ms for new alerts, <= 0.5 ms for known ones',
			measured: `${library.map((result) => `${result.pass}: ${fixed(libraryOverhead(result), 3)} ms (store ${fixed(storePerItem(result), 3)} ms)`).join('; ')}; the connection limiter: ${fixed(limiterUs, 2)} us per request`,
			met: libraryOverhead(library[0]) <= 1 && libraryOverhead(library[1]) <= 0.5,
		},
		{
			target: 'Overhead <= 1 ms per item through n8n\'s engine (n8n + package; stricter reading of the target)',
			measured: results.map((result) => `${result.pass}: ${fixed(overhead(result), 3)} ms`).join('; '),
			met: worstTotal <= 1,
		},
	];
	const markdown = [
		`${SMALL ? 'BENCH_SCALE=small. ' : ''}${count} alerts through PSA Link → PSA Note → PSA Status at Concurrency 1 and 0 ms latency, in one execution. The sandbox's time is measured by sending the exact requests it logged again, one after another, with \`fetch\` (same method, URL, query, body and headers). Overhead = (wall time − replay time) / items: n8n's engine (expressions, parameters, its HTTP helper) plus the package (services, store, cache).`,
		'',
		table(['pass', 'items', 'requests', 'wall time', 'replay (sandbox + HTTP)', 'wall / item', 'replay / item', 'overhead / item'], rows),
		'',
		'The package alone: the same alerts through lib/ (link, addNote, setStatus) over the fetch transport, no n8n. Overhead = wall time − time inside the HTTP transport (sandbox + fetch); the store time is summed over every repository call. The connection limiter (every request acquires and releases a slot) is part of "the rest"; measured alone it costs ' + `${fixed(limiterUs, 2)} us per request (acquire + release, uncongested).`,
		'',
		table(['pass', 'items', 'requests', 'wall / item', 'HTTP / item', 'package overhead / item', 'of which store', 'of which the rest (services, provider, cache)'], libraryRows),
		'',
		'Store time per item by repository method:',
		'',
		table(['method', ...library.map((result) => result.pass)], storeRows),
	].join('\n');
	return { title: '3. Overhead per item', markdown, targets };
}

runAlone(module, run);
