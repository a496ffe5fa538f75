// Scenario 6, child process (run with --expose-gc): one attachment uploaded through the attachment service; prints RSS figures as JSON.
import './preload';
import { createReadStream, statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../lib/cache';
import { createFetchTransport } from '../lib/providers/fetch-transport';
import { createProvider } from '../lib/providers/registry';
import type { PsaUploadContent } from '../lib/providers/types';
import { bufferContent } from '../lib/providers/upload';
import { addAttachment } from '../lib/services/attachment';
import { openStore } from '../lib/store';

const MB = 1024 * 1024;

async function main(): Promise<void> {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error('run with node --expose-gc');
	const { credentialType, credentials, ticketId } = JSON.parse(process.env.BENCH_UPLOAD ?? '') as { credentialType: string; credentials: Record<string, unknown>; ticketId: number };
	const file = process.env.BENCH_FILE ?? '';
	// 'stream': the file read from disk in chunks (n8n's filesystem / S3 binary modes); 'buffer': the file already in memory (n8n's default mode).
	const mode = process.env.BENCH_MODE === 'buffer' ? 'buffer' : 'stream';
	const size = statSync(file).size;
	const folder = mkdtempSync(join(tmpdir(), 'psa-bench-upload-'));
	const store = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite') });
	const provider = createProvider(credentialType, credentials, { http: createFetchTransport({ timeoutMs: 120_000 }), cache: new PsaCache() });
	const ctx = { provider, store, cache: new PsaCache(), now: Date.now };
	const inMemory = mode === 'buffer' ? await import('node:fs/promises').then((fs) => fs.readFile(file)) : undefined;
	const content: PsaUploadContent = inMemory
		? bufferContent(inMemory)
		: {
				size,
				async *open() {
					for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
				},
			};
	// Warm-up: modules, store, the provider's lookups, a small upload.
	await addAttachment(ctx, { ticket: { ticketId }, fileName: 'warm.txt', content: bufferContent(Buffer.from('warm')), dedupeKey: `warm-${Date.now()}` });
	gc();
	gc();
	const before = process.memoryUsage();
	let peak = before.rss;
	const sampler = setInterval(() => {
		peak = Math.max(peak, process.memoryUsage().rss);
	}, 5);
	const start = Date.now();
	const result = await addAttachment(ctx, { ticket: { ticketId }, fileName: 'monitoring-export.bin', content, dedupeKey: `bench-${mode}-${Date.now()}` });
	const wallMs = Date.now() - start;
	clearInterval(sampler);
	peak = Math.max(peak, process.memoryUsage().rss);
	await store.close();
	rmSync(folder, { recursive: true, force: true });
	const report = { mode, size, wallMs, attachmentId: result.attachmentId, rssBeforeMb: before.rss / MB, rssPeakMb: peak / MB, growthMb: (peak - before.rss) / MB, ratio: (peak - before.rss) / size };
	process.stdout.write(`BENCH_UPLOAD ${JSON.stringify(report)}\n`);
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	process.exit(1);
});
