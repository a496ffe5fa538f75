// Multi-process tests: 4 OS processes claim the same 1,000 links at once; several processes migrate a fresh store at once.
import { generateFernetKey } from '../../lib/crypto/fernet';
import { openStore } from '../../lib/store';
import { migrations } from '../../migrations';
import { ENGINES, EngineHome, startWorker } from './fixtures';

const PROCESSES = 4;
const IDS = 1000;

interface ClaimReport {
	token: string;
	claimed: string[];
	errors: string[];
	elapsedMs: number;
}

describe.each(ENGINES)('state store on %s, several processes', (engine) => {
	const home = new EngineHome(engine, 'concurrency');
	beforeAll(() => home.setUp());
	afterAll(() => home.tearDown());

	it(`${PROCESSES} processes claiming the same ${IDS} external ids create exactly ${IDS} links, each claimed once, with no error`, async () => {
		const location = home.newLocation();
		const keys = [generateFernetKey()];
		// Migrate first so the race measured is the claims' alone.
		await (await openStore(location.options(keys))).close();

		const workers = Array.from({ length: PROCESSES }, () =>
			startWorker({
				mode: 'claim',
				options: location.options(keys),
				connectionId: 'conn-race',
				source: 'alert',
				count: IDS,
				parallel: engine === 'postgres' ? 4 : 1,
			}),
		);
		await Promise.all(workers.map((worker) => worker.ready));
		const started = Date.now();
		workers.forEach((worker) => worker.go());
		const reports = (await Promise.all(workers.map((worker) => worker.result))) as ClaimReport[];
		const elapsedMs = Date.now() - started;

		const claimedBy = new Map<string, string[]>();
		for (const report of reports) {
			for (const id of report.claimed) claimedBy.set(id, [...(claimedBy.get(id) ?? []), report.token]);
		}
		const duplicates = [...claimedBy.values()].filter((tokens) => tokens.length > 1).length;
		const totalClaimed = reports.reduce((sum, report) => sum + report.claimed.length, 0);
		const errors = reports.flatMap((report) => report.errors);
		const rows = await location.query<{ external_id: string; claim_token: string; state: string }>(
			'select external_id, claim_token, state from psa_ticket_links where connection_id = ?',
			['conn-race'],
		);
		console.log(
			`[${engine}] ${PROCESSES} processes x ${IDS} claims: claimed per process ${reports.map((r) => r.claimed.length).join(' + ')} = ${totalClaimed}; ` +
				`links in table ${rows.length}; ids claimed twice ${duplicates}; errors ${errors.length}; ` +
				`elapsed ${elapsedMs} ms (per process ${reports.map((r) => r.elapsedMs).join(', ')} ms)`,
		);

		expect(errors).toEqual([]);
		expect(rows).toHaveLength(IDS);
		expect(new Set(rows.map((row) => row.external_id)).size).toBe(IDS);
		expect(totalClaimed).toBe(IDS);
		expect(duplicates).toBe(0);
		expect(claimedBy.size).toBe(IDS);
		// The row's claim token names the process that was told it won, for every id.
		for (const row of rows) {
			expect(row.state).toBe('pending');
			expect(claimedBy.get(row.external_id)).toEqual([row.claim_token]);
		}
	});

	it(`${PROCESSES} processes opening a fresh store at once apply each migration exactly once, without error`, async () => {
		const location = home.newLocation();
		// SQLite without keys also races the creation of the embedded key file.
		const options = engine === 'sqlite' ? location.options() : location.options([generateFernetKey()]);
		const workers = Array.from({ length: PROCESSES }, () => startWorker({ mode: 'open', options }));
		await Promise.all(workers.map((worker) => worker.ready));
		workers.forEach((worker) => worker.go());
		const reports = (await Promise.all(workers.map((worker) => worker.result))) as Array<{ ok: boolean; applied?: string[]; error?: string; elapsedMs?: number }>;
		console.log(`[${engine}] concurrent open: ${reports.map((r) => (r.ok ? `applied ${r.applied?.length} in ${r.elapsedMs} ms` : `error ${r.error}`)).join('; ')}`);

		expect(reports.filter((report) => !report.ok)).toEqual([]);
		const applied = reports.flatMap((report) => report.applied ?? []);
		expect(applied.sort()).toEqual(Object.keys(migrations));
		expect(await location.query('select name from psa_migrations')).toHaveLength(Object.keys(migrations).length);
		// Every process wrote through the same key: one store, one key, all four connections readable.
		const store = await openStore(options);
		try {
			expect(await store.connections.list()).toHaveLength(PROCESSES);
		} finally {
			await store.close();
		}
	});
});
