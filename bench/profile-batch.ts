// Not a scenario: runs N new alerts, then the same again, through PSA Link -> Note -> Status in one execution at 0 ms (Concurrency 4), for `node --cpu-prof`.
import './preload';
import { closeBench, startBench } from './engine';
import { alerts, packageWorkflow } from './workflows';
import { log, timed } from './common';
import BetterSqlite3 from 'better-sqlite3';
import { Fernet } from '../lib/crypto/fernet';

/** PROFILE_SQL=1 also counts Fernet encryptions and decryptions (sealing at rest). */
const fernetCalls = { encrypt: 0, decrypt: 0 };
if (process.env.PROFILE_SQL) {
	for (const method of ['encrypt', 'decrypt'] as const) {
		const original = Fernet.prototype[method] as (...args: unknown[]) => unknown;
		(Fernet.prototype as unknown as Record<string, unknown>)[method] = function (this: Fernet, ...args: unknown[]) {
			fernetCalls[method]++;
			return original.apply(this, args);
		};
	}
}

/** PROFILE_SQL=1: time every SQLite statement run, summed by its SQL text (what the store costs inside the engine run). */
const sqlTime = new Map<string, { count: number; ms: number }>();
if (process.env.PROFILE_SQL) {
	const probe = new BetterSqlite3(':memory:');
	const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<'run' | 'all', (...args: unknown[]) => unknown>;
	probe.close();
	for (const method of ['run', 'all'] as const) {
		const original = proto[method];
		proto[method] = function (this: { source: string }, ...args: unknown[]) {
			const start = process.hrtime.bigint();
			try {
				return original.apply(this, args);
			} finally {
				const entry = sqlTime.get(this.source) ?? { count: 0, ms: 0 };
				entry.count++;
				entry.ms += Number(process.hrtime.bigint() - start) / 1e6;
				sqlTime.set(this.source, entry);
			}
		};
	}
}

async function main(): Promise<void> {
	const count = Number(process.env.PROFILE_ITEMS ?? 300);
	const fx = await startBench({ latencyMs: 0 });
	try {
		await fx.engine.run(packageWorkflow(alerts(20, 'warm', 'fired')));
		for (const event of ['fired', 'resolved'] as const) {
			const { result, ms } = await timed(() => fx.engine.run(packageWorkflow(alerts(count, 'prof', event))));
			if (result.error) throw result.error;
			log(`${event}: ${count} items in ${ms.toFixed(0)} ms (${(ms / count).toFixed(2)} ms/item)`);
			if (process.env.PROFILE_SQL) {
				for (const [text, entry] of [...sqlTime].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
					log(`  ${(entry.ms / count).toFixed(3)} ms/item, ${entry.count} runs: ${text.slice(0, 90)}`);
				}
				log(`  Fernet: ${fernetCalls.encrypt} encryptions, ${fernetCalls.decrypt} decryptions`);
				fernetCalls.encrypt = 0;
				fernetCalls.decrypt = 0;
				log(`  total SQLite: ${([...sqlTime.values()].reduce((sum, entry) => sum + entry.ms, 0) / count).toFixed(3)} ms/item`);
				sqlTime.clear();
			}
		}
	} finally {
		await fx.stop();
		await closeBench();
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
