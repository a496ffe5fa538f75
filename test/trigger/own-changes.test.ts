// The audit queries the trigger relies on (recent events, record-once, prune), on SQLite and a real PostgreSQL, two stores sharing one database.
import { generateFernetKey } from '../../lib/crypto/fernet';
import { isStoreError, openStore, type PsaStore } from '../../lib/store';
import { ENGINES, EngineHome } from '../store/fixtures';

describe.each(ENGINES)('audit queries for echo and replay on %s', (engine) => {
	const home = new EngineHome(engine, 'ownchg');
	const opened: PsaStore[] = [];
	let now = Date.parse('2026-03-01T12:00:00Z');
	const clock = () => now;

	beforeAll(() => home.setUp());
	afterAll(async () => {
		await Promise.all(opened.splice(0).map((store) => store.close()));
		await home.tearDown();
	});

	/** Two stores over the same database, as two n8n processes would open it. */
	async function twoProcesses(): Promise<[PsaStore, PsaStore]> {
		const location = home.newLocation();
		const keys = [generateFernetKey()];
		const first = await openStore(location.options(keys, { clock }));
		const second = await openStore(location.options(keys, { clock }));
		opened.push(first, second);
		return [first, second];
	}

	it('findRecent returns only the exact action inside the window, newest first, from either process', async () => {
		const [a, b] = await twoProcesses();
		const start = now;
		await a.audit.record('c1', 'own-change:ticket:7', { change: 'status', statusId: 3 });
		now += 1000;
		await b.audit.record('c1', 'own-change:ticket:7', { change: 'note' });
		await b.audit.record('c1', 'own-change:ticket:70', { change: 'note' });
		await b.audit.record('c2', 'own-change:ticket:7', { change: 'note' });
		const recent = await a.audit.findRecent('c1', 'own-change:ticket:7', start);
		expect(recent.map((event) => event.detail)).toEqual([{ change: 'note' }, { change: 'status', statusId: 3 }]);
		expect(await b.audit.findRecent('c1', 'own-change:ticket:7', start + 1)).toHaveLength(1);
		expect(await b.audit.findRecent('c1', 'own-change:ticket:7', now + 1)).toEqual([]);
	});

	it('recordOnce: 20 concurrent calls from two processes record exactly one; after the window a new one is recorded', async () => {
		const [a, b] = await twoProcesses();
		const since = now - 60_000;
		const results = await Promise.all(
			Array.from({ length: 20 }, (_, index) => (index % 2 ? a : b).audit.recordOnce('c1', 'delivery:abc', { n: index }, since)),
		);
		expect(results.filter(Boolean)).toHaveLength(1);
		expect(await a.audit.findRecent('c1', 'delivery:abc', since)).toHaveLength(1);
		// Another action or connection is independent.
		expect(await b.audit.recordOnce('c1', 'delivery:abd', {}, since)).toBe(true);
		expect(await b.audit.recordOnce('c2', 'delivery:abc', {}, since)).toBe(true);
		// A window that starts after the first record lets the key be recorded again.
		now += 120_000;
		expect(await a.audit.recordOnce('c1', 'delivery:abc', {}, now - 60_000)).toBe(true);
		expect(await a.audit.recordOnce('c1', 'delivery:abc', {}, now - 60_000)).toBe(false);
	});

	it('prune deletes only old events under the prefix (LIKE wildcards in the prefix are literal)', async () => {
		const [a, b] = await twoProcesses();
		const old = now;
		await a.audit.record('c1', 'own-change:ticket:1', {});
		await a.audit.record('c1', 'own_change:ticket:1', {});
		await a.audit.record('c1', 'link.created', { ticketId: 1 });
		await a.audit.record('c2', 'own-change:ticket:1', {});
		now += 10_000;
		await a.audit.record('c1', 'own-change:ticket:2', {});
		expect(await b.audit.prune('c1', 'own-change:', old + 1)).toBe(1);
		const left = (await a.audit.list('c1')).map((event) => event.action).sort();
		expect(left).toEqual(['link.created', 'own-change:ticket:2', 'own_change:ticket:1']);
		expect(await b.audit.prune('c1', 'own_%', now + 1)).toBe(0);
		expect(await a.audit.list('c2')).toHaveLength(1);
	});

	it('bad input is a clear error and changes nothing', async () => {
		const [a] = await twoProcesses();
		for (const attempt of [
			() => a.audit.findRecent('c1', '', 0),
			() => a.audit.findRecent('c1', 'x', Number.NaN),
			() => a.audit.recordOnce('c1', 'x', null as never, 0),
			() => a.audit.prune('c1', '', 0),
		]) {
			const error = await attempt().catch((caught: unknown) => caught);
			expect(isStoreError(error) && error.kind === 'invalid-input').toBe(true);
		}
		expect(await a.audit.list('c1')).toEqual([]);
	});
});
