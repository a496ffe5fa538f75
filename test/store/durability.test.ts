// SQLite durability model: the connection runs synchronous=NORMAL, and only the claim commits (and the trigger's delivery guard) run with FULL.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore } from '../../lib/store';
import type { PsaStore } from '../../lib/store/types';

const NORMAL = 1;
const FULL = 2;

describe('SQLite store: which commits are synced', () => {
	let folder: string;
	let store: PsaStore;
	let seen: Array<{ sql: string; level: number }>;
	let failNext: RegExp | undefined;

	beforeEach(async () => {
		folder = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-durability-'));
		seen = [];
		failNext = undefined;
		store = await openStore(
			{ engine: 'sqlite', filename: path.join(folder, 'state.sqlite') },
			{
				onStatement: (sql, level) => {
					seen.push({ sql, level });
					if (failNext && failNext.test(sql)) {
						failNext = undefined;
						throw new Error('disk trouble');
					}
				},
			},
		);
		seen = [];
	});
	afterEach(async () => {
		await store.close();
		fs.rmSync(folder, { recursive: true, force: true });
	});

	/** The statements run, as "<synchronous level> <verb> <first table>". */
	const statements = () =>
		seen.map((entry) => {
				const table = /"(psa_\w+)"/.exec(entry.sql)?.[1];
				return `${entry.level} ${entry.sql.split(' ')[0].toLowerCase()}${table ? ` ${table}` : ''}`;
			});

	it('claims are committed with FULL; lookups, completes, audit rows and markPosted with NORMAL', async () => {
		await store.links.find('c', 'alert', 'a-1');
		const claim = await store.links.claim('c', 'alert', 'a-1', 'token');
		expect(claim.claimed).toBe(true);
		await store.links.complete('c', 'alert', 'a-1', 'token', 7, { action: 'own-change:ticket:7', detail: { change: 'created' } });
		await store.audit.record('c', 'own-change:ticket:7', { change: 'status', statusId: 2 });
		const receipt = await store.noteReceipts.claim('c', 'key-1', 7, 'token');
		expect(receipt.claimed).toBe(true);
		await store.noteReceipts.markPosted('c', 'key-1', 'token', 99);
		expect(await store.audit.recordOnce('c', 'delivery:abc', {}, 0)).toBe(true);

		expect(statements()).toEqual([
			`${NORMAL} select psa_ticket_links`,
			`${FULL} insert psa_ticket_links`,
			`${FULL} select psa_ticket_links`,
			`${NORMAL} begin`,
			`${NORMAL} update psa_ticket_links`,
			`${NORMAL} insert psa_audit_events`,
			`${NORMAL} commit`,
			`${NORMAL} insert psa_audit_events`,
			`${FULL} insert psa_note_receipts`,
			`${FULL} select psa_note_receipts`,
			`${NORMAL} update psa_note_receipts`,
			`${FULL} insert psa_audit_events`,
			`${FULL} select psa_audit_events`,
		]);
		// The stored rows are what the calls said.
		expect(await store.links.find('c', 'alert', 'a-1')).toMatchObject({ state: 'linked', ticketId: 7 });
		expect((await store.audit.findRecent('c', 'own-change:ticket:7', 0)).map((event) => event.detail)).toEqual([
			{ change: 'status', statusId: 2 },
			{ change: 'created' },
		]);
	});

	it('claims asked for together share one durable commit; one that fails is rolled back alone, the others are stored', async () => {
		failNext = /^insert into "psa_ticket_links"/;
		const outcomes = await Promise.allSettled(['g-1', 'g-2', 'g-3'].map((id) => store.links.claim('c', 'alert', id, 'token')));
		expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
		expect(statements()).toEqual([`${FULL} insert psa_ticket_links`, `${FULL} insert psa_ticket_links`, `${FULL} select psa_ticket_links`, `${FULL} insert psa_ticket_links`, `${FULL} select psa_ticket_links`]);
		expect(await store.links.find('c', 'alert', 'g-1')).toBeUndefined();
		expect(await store.links.find('c', 'alert', 'g-2')).toMatchObject({ state: 'pending' });
		expect(await store.links.find('c', 'alert', 'g-3')).toMatchObject({ state: 'pending' });
		seen = [];
		await store.links.set('c', 'alert', 'g-4', 5);
		expect(statements().every((line) => line.startsWith(`${NORMAL} `))).toBe(true);
	});

	it('a claim whose write fails leaves the connection at NORMAL and nothing stored', async () => {
		failNext = /^insert into "psa_ticket_links"/;
		await expect(store.links.claim('c', 'alert', 'a-2', 'token')).rejects.toThrow('disk trouble');
		seen = [];
		await store.links.set('c', 'alert', 'a-3', 5);
		expect(statements().every((line) => line.startsWith(`${NORMAL} `))).toBe(true);
		expect(statements().length).toBeGreaterThan(0);
		expect(await store.links.find('c', 'alert', 'a-2')).toBeUndefined();
		// And the next claim is durable again.
		seen = [];
		expect((await store.links.claim('c', 'alert', 'a-2', 'token')).claimed).toBe(true);
		expect(statements()[0]).toBe(`${FULL} insert psa_ticket_links`);
	});
});
