// Scenario 5: RSS growth of one execution of 10,000 items through PSA Link + PSA Note, measured in a child process (--expose-gc).
import './preload';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { AUTOMATIC_CONCURRENCY } from '../nodes/shared/router';
import { startSandbox } from '../test/sandbox';
import { SMALL, fixed, log, ms, scaled, table, runAlone, type Section, type TargetResult } from './common';

const TIMEOUT_MS = 6 * 60 * 1000;

interface MemoryReport {
	items: number;
	produced: number;
	wallMs: number;
	rssBeforeMb: number;
	rssPeakMb: number;
	rssAfterHeldMb: number;
	rssAfterReleasedMb: number;
	heapBeforeMb: number;
	heapAfterHeldMb: number;
	heapAfterReleasedMb: number;
	maxRssMb: number;
	heapTotalBeforeMb: number;
	atPeakMb: { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
	heapTotalAfterReleasedMb: number;
	externalAfterReleasedMb: number;
}

function runChild(env: NodeJS.ProcessEnv): Promise<MemoryReport> {
	return new Promise((resolve, reject) => {
		// The sandbox stays in this process so its tickets and request log do not count against the engine's memory.
		const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(__dirname, 'memory-child.ts')], {
			cwd: join(__dirname, '..'),
			env: { ...process.env, ...env },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`memory child did not finish within ${TIMEOUT_MS / 1000} s`));
		}, TIMEOUT_MS);
		child.on('error', reject);
		child.on('exit', (code) => {
			clearTimeout(timer);
			const line = stdout.split('\n').find((candidate) => candidate.startsWith('BENCH_MEMORY '));
			if (code !== 0 || !line) {
				reject(new Error(`memory child exited with ${code}: ${stderr.slice(-2000)}`));
				return;
			}
			if (stderr.trim()) log(`memory child: ${stderr.trim()}`);
			resolve(JSON.parse(line.slice('BENCH_MEMORY '.length)) as MemoryReport);
		});
	});
}

export async function run(): Promise<Section> {
	const count = scaled(10000, 500);
	const sandbox = await startSandbox({ port: 0, recordResponses: false });
	let report: MemoryReport;
	try {
		report = await runChild({ BENCH_SANDBOX: JSON.stringify({ site: sandbox.site, credentials: sandbox.credentials }), BENCH_ITEMS: String(count) });
		const tickets = sandbox.db.tickets.filter((ticket) => ticket.summary.startsWith('[mem-')).length;
		if (report.produced !== count || tickets !== count) throw new Error(`memory run: ${report.produced} outputs, ${tickets} tickets for ${count} items`);
	} finally {
		await sandbox.stop();
	}
	log(`memory: ${count} items, RSS ${report.rssBeforeMb.toFixed(0)} -> peak ${report.rssPeakMb.toFixed(0)} MB`);
	const growth = report.rssPeakMb - report.rssBeforeMb;
	const mb = (value: number) => `${fixed(value, 1)} MB`;
	const rows = [
		['RSS before (after warm-up and GC)', mb(report.rssBeforeMb)],
		['RSS peak during the execution (sampled every 20 ms)', mb(report.rssPeakMb)],
		['RSS after, execution data still held (as n8n holds it until saved), after GC', mb(report.rssAfterHeldMb)],
		['RSS after the execution data is released, after GC', mb(report.rssAfterReleasedMb)],
		['JS heap used: before / held / released', `${mb(report.heapBeforeMb)} / ${mb(report.heapAfterHeldMb)} / ${mb(report.heapAfterReleasedMb)}`],
		['JS heap retained per item while the execution data is held', `${fixed(((report.heapAfterHeldMb - report.heapBeforeMb) * 1024) / count, 1)} KB`],
		['At the RSS peak: heap used / heap committed / external', `${mb(report.atPeakMb.heapUsed)} / ${mb(report.atPeakMb.heapTotal)} / ${mb(report.atPeakMb.external)}`],
		['Heap committed: before / after release and GC', `${mb(report.heapTotalBeforeMb)} / ${mb(report.heapTotalAfterReleasedMb)}`],
		['Peak RSS growth', mb(growth)],
		['Wall time', ms(report.wallMs)],
	];
	const targets: TargetResult[] = [
		{ target: `RSS growth < 150 MB for ${count.toLocaleString('en-US')} items through Link + Note in one execution`, measured: `${mb(growth)} (peak − before)`, met: growth < 150 },
	];
	// The nodes' default since issue #19 is Automatic (up to AUTOMATIC_CONCURRENCY items in flight); BENCH_CONCURRENCY sets the option instead.
	const concurrencyLabel = process.env.BENCH_CONCURRENCY ? `Concurrency ${process.env.BENCH_CONCURRENCY}` : `Concurrency Automatic: up to ${AUTOMATIC_CONCURRENCY} items in flight`;
	const markdown = [
		`${SMALL ? 'BENCH_SCALE=small. ' : ''}${count.toLocaleString('en-US')} new alerts through PSA Link → PSA Note (${concurrencyLabel}) in one execution, 0 ms latency, in a child process started with \`--expose-gc\`; the sandbox runs in the parent process so its data does not count. Growth is measured from the RSS after a 200-item warm-up and a full GC.`,
		'',
		table(['measure', 'value'], rows),
	].join('\n');
	return { title: '5. Memory', markdown, targets };
}

runAlone(module, run);
