// One n8n worker process of the multi-process fault suite: opens the shared store, waits for "go", runs its calls on real time.
import { PsaCache } from '../../lib/cache';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { createProvider } from '../../lib/providers/registry';
import { openStore } from '../../lib/store';
import type { StoreOptions } from '../../lib/store/types';
import { callOp, isClearError, type NamedSchedule } from './schedule';

export interface ProcessJob {
	store: StoreOptions;
	credentialType: string;
	credentials: Record<string, unknown>;
	named: NamedSchedule;
	slot: number;
	requestTimeoutMs: number;
	settleMs: number;
}

function say(message: unknown): void {
	process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
	const job = JSON.parse(process.argv[2]) as ProcessJob;
	const store = await openStore(job.store);
	const cache = new PsaCache();
	const provider = createProvider(job.credentialType, job.credentials, {
		http: createFetchTransport(),
		cache,
		retry: { requestTimeoutMs: job.requestTimeoutMs, budgetMs: job.requestTimeoutMs },
		outcomeSettleMs: job.settleMs,
	});
	const ctx = { provider, store, cache, now: Date.now };
	say({ ready: true });
	await new Promise<void>((resolve) => {
		process.stdin.once('data', () => resolve());
		process.stdin.once('end', () => resolve());
	});
	const plan = job.named.schedule.workers[job.slot];
	await new Promise((resolve) => setTimeout(resolve, plan.startMs));
	for (const { op, gapMs } of plan.ops) {
		if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
		try {
			await callOp(ctx, job.named, op);
			say({ op, ok: true });
		} catch (error) {
			say({ op, ok: false, clear: isClearError(error), error: String(error) });
		}
	}
	await store.close();
	say({ done: true });
}

main().catch((error: unknown) => {
	say({ crashed: String(error) });
	process.exit(1);
});
