// One damaged sealed value (altered, or sealed under a foreign key) affects its own row only, on both engines: lists, resealAll and the echo check skip and name it.
import { generateFernetKey, FernetKeyring } from '../../lib/crypto/fernet';
import { openStore, isStoreError, type DamagedRow, type PsaStore } from '../../lib/store';
import { ENGINES, EngineHome, type StoreLocation } from '../store/fixtures';

const KEY = generateFernetKey();
const FOREIGN = new FernetKeyring([generateFernetKey()]);
const C = 'connectwise:damaged';

/** Flips one character in the middle of a token: still base64, the signature no longer verifies. */
function altered(token: string): string {
	const at = Math.floor(token.length / 2);
	return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
}

describe.each(ENGINES)('damaged rows on %s', (engine) => {
	const home = new EngineHome(engine, 'damaged');
	let location: StoreLocation;
	let store: PsaStore;

	beforeAll(() => home.setUp());
	afterAll(() => home.tearDown());
	beforeEach(async () => {
		location = home.newLocation();
		store = await openStore(location.options([KEY]));
		for (const [identity, memberId] of [
			['alice@acme.example', 1],
			['bob@acme.example', 2],
			['carol@acme.example', 3],
		] as const) {
			await store.memberMap.set({ connectionId: C, source: 'email', identity, memberId, memberIdentifier: `m${memberId}`, kind: 'manual' });
		}
		await store.audit.record(C, 'own-change:ticket:7', { change: 'status', statusId: 5 });
		await store.audit.record(C, 'own-change:ticket:7', { change: 'note' });
	});
	afterEach(() => store.close());

	async function damageMember(memberId: number, how: 'altered' | 'foreign'): Promise<void> {
		const [row] = await location.query<{ identity_sealed: string }>('select identity_sealed from psa_member_map where member_id = ?', [memberId]);
		const value = how === 'altered' ? altered(row.identity_sealed) : FOREIGN.seal('bob@acme.example');
		await location.query('update psa_member_map set identity_sealed = ? where member_id = ?', [value, memberId]);
	}

	it.each(['altered', 'foreign'] as const)('a %s member-map identity: list returns the other two and reports that row; get names table and row', async (how) => {
		await damageMember(2, how);
		const damaged: DamagedRow[] = [];
		const listed = await store.memberMap.list(C, { onDamaged: (row) => damaged.push(row) });
		expect(listed.map((mapping) => mapping.identity)).toEqual(['alice@acme.example', 'carol@acme.example']);
		expect(damaged).toHaveLength(1);
		expect(damaged[0]).toMatchObject({ table: 'psa_member_map', row: expect.stringMatching(/^source "email", identity hash [0-9a-f]{16} \(member "m2"\)$/) });
		expect(damaged[0].problem).toBe("its sealed value does not open with the store's keys (it was sealed under another key, or altered)");
		expect(damaged[0].action).toMatch(/^Set the mapping again \(PSA Member Map > Set\) or remove it/);
		expect(damaged[0].message).not.toMatch(/Fernet|does not verify/);

		const error = await store.memberMap.get(C, 'email', 'bob@acme.example').catch((caught: unknown) => caught);
		expect(isStoreError(error, 'damaged')).toBe(true);
		expect((error as Error).message).toBe(damaged[0].message);
		expect((await store.memberMap.get(C, 'email', 'alice@acme.example'))?.memberId).toBe(1);
		// Setting the mapping again repairs the row.
		await store.memberMap.set({ connectionId: C, source: 'email', identity: 'bob@acme.example', memberId: 2, memberIdentifier: 'm2', kind: 'manual' });
		expect(await store.memberMap.list(C)).toHaveLength(3);
	});

	it('an altered audit row (an own-change record): findRecent and list return the others and report it by id', async () => {
		const rows = await location.query<{ id: number | string; detail_sealed: string }>('select id, detail_sealed from psa_audit_events order by id');
		await location.query('update psa_audit_events set detail_sealed = ? where id = ?', [altered(rows[0].detail_sealed), rows[0].id]);
		const damaged: DamagedRow[] = [];
		const recent = await store.audit.findRecent(C, 'own-change:ticket:7', 0, (row) => damaged.push(row));
		expect(recent.map((event) => event.detail)).toEqual([{ change: 'note' }]);
		expect(damaged.map((row) => [row.table, row.row])).toEqual([['psa_audit_events', `id ${String(rows[0].id)} (own-change:ticket:7)`]]);
		expect(damaged[0].action).toContain(`delete the row (id ${String(rows[0].id)}) from psa_audit_events`);
		const listedDamage: DamagedRow[] = [];
		expect(await store.audit.list(C, {}, (row) => listedDamage.push(row))).toHaveLength(1);
		expect(listedDamage).toHaveLength(1);
	});

	it('resealAll after a rotation moves the intact rows, skips the damaged ones and names them', async () => {
		await damageMember(3, 'foreign');
		const [audit] = await location.query<{ id: number | string; detail_sealed: string }>('select id, detail_sealed from psa_audit_events order by id limit 1');
		await location.query('update psa_audit_events set detail_sealed = ? where id = ?', [altered(audit.detail_sealed), audit.id]);
		await store.close();
		store = await openStore(location.options([generateFernetKey(), KEY]));
		const result = await store.resealAll();
		expect(result).toMatchObject({ memberMappings: 2, auditEvents: 1 });
		expect(result.damaged.map((row) => row.table).sort()).toEqual(['psa_audit_events', 'psa_member_map']);
		expect(result.damaged.find((row) => row.table === 'psa_member_map')?.row).toContain('(member "m3")');
		expect((await store.resealAll()).memberMappings).toBe(0);
	});
});
