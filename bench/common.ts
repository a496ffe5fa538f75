// Shared helpers of the benchmark scripts: scale, timing, request counts, percentiles and markdown tables.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Sandbox } from '../test/sandbox';
import type { EngineRun } from '../test/engine/harness';

/** BENCH_SCALE=small runs every scenario with small sizes (development); anything else is the full benchmark. */
export const SMALL = process.env.BENCH_SCALE === 'small';

export function scaled(full: number, small: number): number {
	return SMALL ? small : full;
}

export interface Section {
	title: string;
	/** Markdown: tables and the notes that explain them. */
	markdown: string;
	targets: TargetResult[];
	/** Files the section's markdown shows (a chart), by path from the repository root; written with docs/benchmarks.md. */
	files?: Array<{ path: string; content: string }>;
}

export interface TargetResult {
	target: string;
	measured: string;
	met: boolean;
	/** Why it was missed, or what qualifies the result. */
	note?: string;
	/** Not measurable yet (a place kept for a later row): shown as "pending", not as missed. */
	pending?: boolean;
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
	const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
	return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function ms(value: number, digits = 0): string {
	return `${value.toFixed(digits)} ms`;
}

export function fixed(value: number, digits = 2): string {
	return value.toFixed(digits);
}

export function ratio(value: number): string {
	return `${value.toFixed(value >= 10 ? 1 : 2)}x`;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
	const start = process.hrtime.bigint();
	const result = await work();
	return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

export function percentile(sortedValues: number[], p: number): number {
	if (sortedValues.length === 0) return NaN;
	const index = Math.min(sortedValues.length - 1, Math.max(0, Math.ceil((p / 100) * sortedValues.length) - 1));
	return sortedValues[index];
}

export interface RequestCounts {
	total: number;
	/** 429s the sandbox served (each one was retried, or reached the user). */
	rateLimited: number;
	byEndpoint: Record<string, number>;
}

/** Requests by endpoint as table text ("POST /service/tickets: 3", one per line in a cell with '<br>'); 'none' when empty. */
export function endpointList(byEndpoint: Record<string, number>, separator = '<br>'): string {
	const entries = Object.entries(byEndpoint);
	return entries.length === 0 ? 'none' : entries.map(([endpoint, count]) => `${endpoint}: ${count}`).join(separator);
}

/** What the sandbox saw since its last reset, including the codebase lookup (a real request too). */
export function requestCounts(sandbox: Sandbox): RequestCounts {
	const byEndpoint = { ...sandbox.counters() };
	const total = byEndpoint.total ?? 0;
	delete byEndpoint.total;
	return { total, rateLimited: sandbox.requests.filter((entry) => entry.status === 429).length, byEndpoint };
}

/** Items that came out of a node as errors (continueOnFail), plus a run that stopped with an error. */
export function errorsOf(run: EngineRun, nodeNames: string[]): { itemErrors: number; runError?: string } {
	let itemErrors = 0;
	for (const name of nodeNames) itemErrors += run.output(name).filter((item) => item.json.error !== undefined).length;
	return { itemErrors, runError: run.error ? run.error.message : undefined };
}

/** Throws when a run failed where the benchmark expects success: a number from a failed run means nothing. */
export function assertRan(run: EngineRun, label: string, lastNode: string, expectedItems: number): void {
	if (run.error) throw new Error(`${label}: the workflow failed: ${run.error.message}`);
	const produced = run.output(lastNode).length;
	if (produced !== expectedItems) throw new Error(`${label}: ${lastNode} output ${produced} items, expected ${expectedItems}`);
}

export function log(message: string): void {
	console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Where a partial run (a scenario alone, BENCH_ONLY) writes its sections' files, so that the repository's stay one full run's. */
export const BENCH_SCRATCH = join(tmpdir(), 'psa-bench-files');

/** Writes sections' files under `root` (their paths are relative to the repository root). */
export function writeSectionFiles(files: NonNullable<Section['files']>, root: string): void {
	for (const file of files) {
		const target = join(root, file.path);
		mkdirSync(dirname(target), { recursive: true });
		writeFileSync(target, file.content);
		log(`wrote ${target}`);
	}
}

/**
 * Runs a scenario on its own when its file is the entry point (`npx tsx bench/<scenario>.ts`): prints its table and
 * targets; its files go to BENCH_SCRATCH.
 */
export function runAlone(entry: NodeJS.Module, run: () => Promise<Section>): void {
	if (require.main !== entry) return;
	run()
		.then((section) => {
			console.log(section.markdown);
			console.table(section.targets);
			writeSectionFiles(section.files ?? [], BENCH_SCRATCH);
		})
		.catch((error) => {
			console.error(error);
			process.exitCode = 1;
		});
}
