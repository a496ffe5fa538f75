// Not a scenario: the overhead scenario's library part only (link, addNote, setStatus through lib/, no n8n), for `node --cpu-prof`
// and for comparing two checkouts: prints the package overhead per item (wall - HTTP) and the store's share, per round.
import './preload';
import { measureLibrary, type LibraryResult } from './overhead';
import { log } from './common';
import BetterSqlite3 from 'better-sqlite3';

/** PROFILE_SQL=1: time every SQLite statement run, summed by its SQL text (pragmas included). */
const sqlTime = new Map<string, { count: number; ms: number }>();
if (process.env.PROFILE_SQL) {
	const probe = new BetterSqlite3(':memory:');
	const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<'run' | 'all', (...args: unknown[]) => unknown>;
	const databaseProto = Object.getPrototypeOf(probe) as Record<'pragma', (...args: unknown[]) => unknown>;
	probe.close();
	const timedCall = (original: (...args: unknown[]) => unknown, key: (self: unknown, args: unknown[]) => string) =>
		function (this: unknown, ...args: unknown[]) {
			const start = process.hrtime.bigint();
			try {
				return original.apply(this, args);
			} finally {
				const text = key(this, args);
				const entry = sqlTime.get(text) ?? { count: 0, ms: 0 };
				entry.count++;
				entry.ms += Number(process.hrtime.bigint() - start) / 1e6;
				sqlTime.set(text, entry);
			}
		};
	for (const method of ['run', 'all'] as const) proto[method] = timedCall(proto[method], (self) => (self as { source: string }).source);
	databaseProto.pragma = timedCall(databaseProto.pragma, (_self, args) => `pragma ${String(args[0])}`);
}

async function main(): Promise<void> {
	const count = Number(process.env.PROFILE_ITEMS ?? 1000);
	const rounds = Number(process.env.PROFILE_ROUNDS ?? 1);
	const per = (result: LibraryResult) => {
		const store = [...result.storeMs.values()].reduce((a, b) => a + b, 0) / result.items;
		return `${((result.wallMs - result.httpMs) / result.items).toFixed(3)} ms (store ${store.toFixed(3)})`;
	};
	for (let round = 0; round < rounds; round++) {
		const [fresh, known] = await measureLibrary(count);
		log(`LIBRARY new ${per(fresh)}; known ${per(known)}`);
		if (process.env.PROFILE_SQL) {
			const items = 2 * count;
			for (const [text, entry] of [...sqlTime].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16)) {
				log(`  ${((entry.ms / entry.count) * 1000).toFixed(1).padStart(6)} us x ${(entry.count / items).toFixed(2)}/item: ${text.slice(0, 110)}`);
			}
			log(`  total SQLite (both passes and the warm-up): ${([...sqlTime.values()].reduce((sum, entry) => sum + entry.ms, 0) / items).toFixed(3)} ms/item`);
			sqlTime.clear();
		}
		if (process.env.PROFILE_METHODS) {
			for (const result of [fresh, known]) {
				for (const [key, value] of [...result.storeMs].sort()) log(`  ${result.pass} ${key} ${(value / result.items).toFixed(3)} ms`);
			}
		}
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
