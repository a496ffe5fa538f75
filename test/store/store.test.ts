// The state store suite, run on SQLite and on a real PostgreSQL: migrations, every repository operation, sealing, keys.
import * as fs from 'node:fs';
import type { Kysely } from 'kysely';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { isStoreError, openStore, type PsaStore } from '../../lib/store';
import { migrations } from '../../migrations';
import { ENGINES, EngineHome, type StoreLocation } from './fixtures';

const ALL_MIGRATIONS = Object.keys(migrations);

describe.each(ENGINES)('state store on %s', (engine) => {
	const home = new EngineHome(engine, 'store');
	const opened: PsaStore[] = [];
	let now = Date.parse('2026-01-01T00:00:00Z');
	const clock = () => now;

	beforeAll(() => home.setUp());
	afterEach(async () => {
		await Promise.all(opened.splice(0).map((store) => store.close()));
	});
	afterAll(() => home.tearDown());

	async function open(location: StoreLocation, keys: string[], extra: Record<string, unknown> = {}, internals = {}): Promise<PsaStore> {
		const store = await openStore(location.options(keys, { clock, ...extra }), internals);
		opened.push(store);
		return store;
	}

	async function fresh(): Promise<{ store: PsaStore; location: StoreLocation; keys: string[] }> {
		const location = home.newLocation();
		const keys = [generateFernetKey()];
		return { store: await open(location, keys), location, keys };
	}

	describe('migrations', () => {
		it('run on open, and opening again applies nothing and keeps the data', async () => {
			const { store, location, keys } = await fresh();
			expect(store.engine).toBe(engine);
			expect(store.appliedMigrations).toEqual(ALL_MIGRATIONS);
			await store.links.set('c', 'alert', 'a-1', 7);
			await store.close();

			const again = await open(location, keys);
			expect(again.appliedMigrations).toEqual([]);
			expect((await again.links.find('c', 'alert', 'a-1'))?.ticketId).toBe(7);
			const recorded = await location.query<{ name: string }>('select name from psa_migrations order by name');
			expect(recorded.map((row) => row.name)).toEqual(ALL_MIGRATIONS);
		});

		it('a migration added later applies cleanly to a populated store', async () => {
			const location = home.newLocation();
			const keys = [generateFernetKey()];
			const firstFive = Object.fromEntries(Object.entries(migrations).slice(0, 5));
			const old = await open(location, keys, {}, { migrations: firstFive });
			expect(old.appliedMigrations).toEqual(ALL_MIGRATIONS.slice(0, 5));
			await old.connections.touch('c', 'connectwise', 'prod');
			await old.links.set('c', 'alert', 'a-1', 11);
			await old.memberMap.set({ connectionId: 'c', source: 'email', identity: 'ann@example.com', memberId: 3, memberIdentifier: 'ann', kind: 'manual' });
			await old.statusMap.set({ connectionId: 'c', boardId: 1, externalState: 'resolved', statusId: 9, statusName: 'Closed' });
			await old.noteReceipts.claim('c', 'k-1', 11, 'tok');
			await old.close();

			// The shipped migrations after the first five, plus a later one that changes a populated table.
			const seventh = {
				// eslint-disable-next-line @typescript-eslint/no-explicit-any
				async up(db: Kysely<any>) {
					await db.schema.alterTable('psa_ticket_links').addColumn('note', 'text', (col) => col.notNull().defaultTo('none')).execute();
				},
			};
			const upgraded = await open(location, keys, {}, { migrations: { ...migrations, '999_test_link_note': seventh } });
			expect(upgraded.appliedMigrations).toEqual([...ALL_MIGRATIONS.slice(5), '999_test_link_note']);
			expect((await upgraded.links.find('c', 'alert', 'a-1'))?.ticketId).toBe(11);
			expect((await upgraded.memberMap.get('c', 'email', 'ann@example.com'))?.memberId).toBe(3);
			expect((await upgraded.statusMap.get('c', 1, 'resolved'))?.statusId).toBe(9);
			expect((await upgraded.noteReceipts.find('c', 'k-1'))?.state).toBe('pending');
			await upgraded.audit.record('c', 'upgraded', { to: 7 });
			expect(await location.query('select note from psa_ticket_links')).toEqual([{ note: 'none' }]);
			const [summary] = await upgraded.connections.list();
			expect(summary).toMatchObject({ connectionId: 'c', links: 1, memberMappings: 1, noteReceipts: 1, statusMappings: 1 });
		});

		it('a failing migration is reported with its name and leaves the store usable at the previous version', async () => {
			const { store, location, keys } = await fresh();
			await store.links.set('c', 'alert', 'a-1', 5);
			await store.close();
			const broken = {
				// eslint-disable-next-line @typescript-eslint/no-explicit-any
				async up(db: Kysely<any>) {
					await db.schema.createTable('psa_ticket_links').addColumn('x', 'text').execute();
				},
			};
			await expect(openStore(location.options(keys), { migrations: { ...migrations, '999_broken': broken } })).rejects.toThrow(
				/could not be migrated \(migration 999_broken\)/,
			);
			const reopened = await open(location, keys);
			expect(reopened.appliedMigrations).toEqual([]);
			expect((await reopened.links.find('c', 'alert', 'a-1'))?.ticketId).toBe(5);
		});
	});

	describe('ticket links', () => {
		it('claim inserts a pending link once; a second claim gets the existing row and no error', async () => {
			const { store } = await fresh();
			const first = await store.links.claim('c', 'alert', 'a-1', 'token-1');
			expect(first.claimed).toBe(true);
			expect(first.link).toMatchObject({ connectionId: 'c', source: 'alert', externalId: 'a-1', state: 'pending', ticketId: null, claimToken: 'token-1' });
			expect(first.link.createdAt.getTime()).toBe(now);

			const second = await store.links.claim('c', 'alert', 'a-1', 'token-2');
			expect(second.claimed).toBe(false);
			expect(second.link.claimToken).toBe('token-1');
			// The same external id under another connection or source is a different link.
			expect((await store.links.claim('other', 'alert', 'a-1', 'token-3')).claimed).toBe(true);
			expect((await store.links.claim('c', 'incident', 'a-1', 'token-4')).claimed).toBe(true);
		});

		it('complete only succeeds for the claim token that still holds the claim', async () => {
			const { store } = await fresh();
			await store.links.claim('c', 'alert', 'a-1', 'token-1');
			expect(await store.links.complete('c', 'alert', 'a-1', 'token-2', 100)).toBe(false);
			now += 1000;
			expect(await store.links.complete('c', 'alert', 'a-1', 'token-1', 100)).toBe(true);
			const link = await store.links.find('c', 'alert', 'a-1');
			expect(link).toMatchObject({ state: 'linked', ticketId: 100, claimToken: null });
			expect(link!.updatedAt.getTime()).toBe(now);
			expect(await store.links.complete('c', 'alert', 'a-1', 'token-1', 101)).toBe(false);
			expect((await store.links.claim('c', 'alert', 'a-1', 'token-3')).link.ticketId).toBe(100);
		});

		it('seenIfLinked counts an occurrence only of a row with a ticket, and returns it; pending or missing rows are left as they are', async () => {
			const { store } = await fresh();
			expect(await store.links.seenIfLinked('c', 'alert', 'none')).toBeUndefined();
			await store.links.claim('c', 'alert', 'a-1', 'token-1');
			expect(await store.links.seenIfLinked('c', 'alert', 'a-1')).toBeUndefined();
			expect(await store.links.find('c', 'alert', 'a-1')).toMatchObject({ state: 'pending', occurrences: 0, firstSeenAt: null });
			await store.links.complete('c', 'alert', 'a-1', 'token-1', 100);
			now += 1000;
			expect(await store.links.seenIfLinked('c', 'alert', 'a-1')).toMatchObject({ state: 'linked', ticketId: 100, occurrences: 1, lastSeenAt: new Date(now) });
			expect(await store.links.setState('c', 'alert', 'a-1', 'closed')).toBe(true);
			expect(await store.links.seenIfLinked('c', 'alert', 'a-1')).toMatchObject({ state: 'closed', ticketId: 100, occurrences: 2 });
			expect(await store.links.seen('c', 'alert', 'a-1')).toMatchObject({ occurrences: 3 });
			// The same external id under another connection is another row.
			expect(await store.links.seenIfLinked('other', 'alert', 'a-1')).toBeUndefined();
		});

		it('releaseStale frees only a pending claim older than the age; release only for its token', async () => {
			const { store } = await fresh();
			await store.links.claim('c', 'alert', 'a-1', 'token-1');
			now += 30_000;
			expect(await store.links.releaseStale('c', 'alert', 'a-1', 60_000)).toBe(false);
			now += 31_000;
			expect(await store.links.releaseStale('c', 'alert', 'a-1', 60_000)).toBe(true);
			expect(await store.links.complete('c', 'alert', 'a-1', 'token-1', 5)).toBe(false);
			expect((await store.links.claim('c', 'alert', 'a-1', 'token-2')).claimed).toBe(true);

			expect(await store.links.release('c', 'alert', 'a-1', 'token-1')).toBe(false);
			expect(await store.links.release('c', 'alert', 'a-1', 'token-2')).toBe(true);
			expect(await store.links.find('c', 'alert', 'a-1')).toBeUndefined();

			await store.links.set('c', 'alert', 'a-2', 9);
			now += 10 * 60_000;
			expect(await store.links.releaseStale('c', 'alert', 'a-2', 0)).toBe(false);
			expect((await store.links.find('c', 'alert', 'a-2'))?.state).toBe('linked');
		});

		it('takeOver moves a stale claim to a new holder in place, marked search-first; refresh keeps a claim alive', async () => {
			const { store } = await fresh();
			await store.links.claim('c', 'alert', 'a-1', 'dead');
			now += 30_000;
			expect(await store.links.refresh('c', 'alert', 'a-1', 'dead')).toBe(true);
			now += 50_000;
			// 50 s since the refresh: not stale for a 60 s window, although the claim is 80 s old.
			expect(await store.links.takeOver('c', 'alert', 'a-1', 'new', 60_000)).toMatchObject({ claimed: false, row: { claimToken: 'dead', searchFirst: false } });
			now += 11_000;
			const taken = await store.links.takeOver('c', 'alert', 'a-1', 'new', 60_000);
			expect(taken).toMatchObject({ claimed: true, row: { state: 'pending', searchFirst: true } });
			expect(taken.row!.updatedAt.getTime()).toBe(now);
			expect(await store.links.find('c', 'alert', 'a-1')).toMatchObject({ state: 'pending', searchFirst: true });
			// The old holder lost it; a second taker at the same moment does not get it; a fresh claim does not either.
			expect(await store.links.refresh('c', 'alert', 'a-1', 'dead')).toBe(false);
			expect(await store.links.complete('c', 'alert', 'a-1', 'dead', 5)).toBe(false);
			expect((await store.links.takeOver('c', 'alert', 'a-1', 'other', 60_000)).claimed).toBe(false);
			expect((await store.links.claim('c', 'alert', 'a-1', 'fresh')).claimed).toBe(false);
			// Still flagged after it goes stale again and is taken over once more; the holder's own token completes it.
			now += 61_000;
			expect((await store.links.takeOver('c', 'alert', 'a-1', 'third', 60_000)).claimed).toBe(true);
			expect(await store.links.refresh('c', 'alert', 'a-1', 'new')).toBe(false);
			expect(await store.links.refresh('c', 'alert', 'a-1', 'third')).toBe(true);
			expect(await store.links.complete('c', 'alert', 'a-1', 'third', 6)).toBe(true);
			expect(await store.links.find('c', 'alert', 'a-1')).toMatchObject({ state: 'linked', ticketId: 6, claimToken: null, searchFirst: false });
			// Linked rows and missing rows are never taken over.
			now += 10 * 60_000;
			expect(await store.links.takeOver('c', 'alert', 'a-1', 'late', 0)).toMatchObject({ claimed: false, row: { state: 'linked', ticketId: 6 } });
			expect(await store.links.takeOver('c', 'alert', 'nope', 'late', 0)).toEqual({ claimed: false, row: undefined });
			await expect(store.links.takeOver('c', 'alert', 'a-1', 'late', -1)).rejects.toThrow('olderThanMs must be a non-negative number');
			// A taken-over claim is released with the holder's token, too.
			await store.links.claim('c', 'alert', 'a-2', 'dead');
			now += 1;
			expect((await store.links.takeOver('c', 'alert', 'a-2', 'mine', 0)).claimed).toBe(true);
			expect(await store.links.release('c', 'alert', 'a-2', 'mine')).toBe(true);
		});

		it('set links directly, is idempotent, replaces a closed link, and refuses a live one unless replace', async () => {
			const { store } = await fresh();
			expect(await store.links.set('c', 'alert', 'a-1', 10)).toMatchObject({ state: 'linked', ticketId: 10 });
			expect(await store.links.set('c', 'alert', 'a-1', 10)).toMatchObject({ state: 'linked', ticketId: 10 });

			const refused = store.links.set('c', 'alert', 'a-1', 11);
			await expect(refused).rejects.toThrow(/alert\/a-1 is already linked: it is linked to ticket 10/);
			await expect(store.links.set('c', 'alert', 'a-1', 11)).rejects.toMatchObject({ kind: 'conflict' });
			expect((await store.links.find('c', 'alert', 'a-1'))?.ticketId).toBe(10);

			expect(await store.links.setState('c', 'alert', 'a-1', 'closed')).toBe(true);
			expect(await store.links.set('c', 'alert', 'a-1', 12)).toMatchObject({ state: 'linked', ticketId: 12 });

			await store.links.claim('c', 'alert', 'a-2', 'token');
			await expect(store.links.set('c', 'alert', 'a-2', 13)).rejects.toThrow(/a ticket is being created for it right now/);
			expect(await store.links.set('c', 'alert', 'a-2', 13, { replace: true })).toMatchObject({ state: 'linked', ticketId: 13, claimToken: null });
			expect(await store.links.complete('c', 'alert', 'a-2', 'token', 14)).toBe(false);
		});

		it('findByTicket, setState, remove, list with filters and paging, count', async () => {
			const { store } = await fresh();
			await store.links.set('c', 'alert', 'a-1', 50);
			now += 1;
			await store.links.set('c', 'incident', 'i-1', 50);
			now += 1;
			await store.links.set('c', 'alert', 'a-2', 51);
			now += 1;
			await store.links.claim('c', 'alert', 'a-3', 'tok');
			await store.links.set('other', 'alert', 'a-9', 50);

			expect((await store.links.findByTicket('c', 50)).map((link) => link.externalId)).toEqual(['a-1', 'i-1']);
			expect(await store.links.count('c')).toBe(4);
			expect((await store.links.list('c')).map((link) => link.externalId)).toEqual(['a-1', 'i-1', 'a-2', 'a-3']);
			expect((await store.links.list('c', { source: 'alert' })).map((link) => link.externalId)).toEqual(['a-1', 'a-2', 'a-3']);
			expect((await store.links.list('c', { state: 'pending' })).map((link) => link.externalId)).toEqual(['a-3']);
			expect((await store.links.list('c', { limit: 2, offset: 1 })).map((link) => link.externalId)).toEqual(['i-1', 'a-2']);
			expect((await store.links.list('c', { offset: 3 })).map((link) => link.externalId)).toEqual(['a-3']);

			expect(await store.links.setState('c', 'alert', 'a-1', 'closed')).toBe(true);
			expect((await store.links.find('c', 'alert', 'a-1'))?.state).toBe('closed');
			expect(await store.links.setState('c', 'alert', 'a-1', 'linked')).toBe(true);
			// A pending claim has no ticket yet: it is finished by complete(), not by a state change.
			expect(await store.links.setState('c', 'alert', 'a-3', 'linked')).toBe(false);
			await expect(store.links.setState('c', 'alert', 'a-1', 'pending')).rejects.toThrow(/not "pending"/);

			expect(await store.links.remove('c', 'alert', 'a-1')).toBe(true);
			expect(await store.links.remove('c', 'alert', 'a-1')).toBe(false);
			// A pending claim is never removed: the next attempt must find it and search before it creates.
			expect(await store.links.remove('c', 'alert', 'a-3')).toBe(false);
			expect(await store.links.count('c')).toBe(3);
			expect(await store.links.count('other')).toBe(1);
		});

		it('rejects bad input with a clear error and writes nothing', async () => {
			const { store } = await fresh();
			await expect(store.links.claim('c', 'alert', '', 'tok')).rejects.toThrow('externalId must be a non-empty string');
			await expect(store.links.set('c', 'alert', 'a-1', 1.5)).rejects.toThrow('ticketId must be an integer');
			await expect(store.links.list('c', { limit: -1 })).rejects.toThrow('limit must be a non-negative integer');
			expect(await store.links.count('c')).toBe(0);
		});
	});

	describe('receipts of time entries and attachments', () => {
		it('keep keys and record ids apart from notes and from each other, with the same claim protocol', async () => {
			const { store } = await fresh();
			// The same key text and the same record id in each kind: three receipts, none owning another's record.
			for (const receipts of [store.noteReceipts, store.timeEntryReceipts, store.attachmentReceipts]) {
				expect((await receipts.claim('c', 'alert-9', 77, 'tok')).claimed).toBe(true);
				expect(await receipts.markPosted('c', 'alert-9', 'tok', 500)).toBe('posted');
			}
			expect(await store.timeEntryReceipts.find('c', 'alert-9')).toMatchObject({ dedupeKey: 'alert-9', state: 'posted', noteId: 500 });
			// Within a kind a record belongs to one key.
			await store.timeEntryReceipts.claim('c', 'alert-10', 77, 'tok-2');
			expect(await store.timeEntryReceipts.markPosted('c', 'alert-10', 'tok-2', 500)).toBe('owned');
			expect(await store.attachmentReceipts.find('c', 'alert-10')).toBeUndefined();
			now += 20_000;
			const taken = await store.timeEntryReceipts.takeOver('c', 'alert-10', 'tok-3', 10_000);
			expect(taken).toMatchObject({ claimed: true, row: { dedupeKey: 'alert-10', searchFirst: true } });
			expect(await store.timeEntryReceipts.markPosted('c', 'alert-10', 'tok-3', 501)).toBe('posted');
			expect(await store.noteReceipts.find('c', 'alert-10')).toBeUndefined();
		});
	});

	describe('note receipts', () => {
		it('claim once per dedupe key, markPosted with the holding token, release, releaseStale, find', async () => {
			const { store } = await fresh();
			const first = await store.noteReceipts.claim('c', 'alert-1:resolved', 77, 'tok-1');
			expect(first).toMatchObject({ claimed: true, receipt: { state: 'pending', ticketId: 77, noteId: null, claimToken: 'tok-1' } });
			const second = await store.noteReceipts.claim('c', 'alert-1:resolved', 77, 'tok-2');
			expect(second.claimed).toBe(false);
			expect(second.receipt.claimToken).toBe('tok-1');

			expect(await store.noteReceipts.markPosted('c', 'alert-1:resolved', 'tok-2', 900)).toBe('lost');
			expect(await store.noteReceipts.markPosted('c', 'alert-1:resolved', 'tok-1', 900)).toBe('posted');
			expect(await store.noteReceipts.find('c', 'alert-1:resolved')).toMatchObject({ state: 'posted', noteId: 900, claimToken: null });
			expect(await store.noteReceipts.release('c', 'alert-1:resolved', 'tok-1')).toBe(false);
			expect((await store.noteReceipts.claim('c', 'alert-1:resolved', 77, 'tok-3')).claimed).toBe(false);

			await store.noteReceipts.claim('c', 'k-2', 78, 'tok-4');
			expect(await store.noteReceipts.release('c', 'k-2', 'wrong')).toBe(false);
			expect(await store.noteReceipts.release('c', 'k-2', 'tok-4')).toBe(true);
			expect(await store.noteReceipts.find('c', 'k-2')).toBeUndefined();

			await store.noteReceipts.claim('c', 'k-3', 79, 'tok-5');
			now += 5_000;
			expect(await store.noteReceipts.releaseStale('c', 'k-3', 10_000)).toBe(false);
			now += 6_000;
			expect(await store.noteReceipts.releaseStale('c', 'k-3', 10_000)).toBe(true);
			expect((await store.noteReceipts.claim('c', 'k-3', 79, 'tok-6')).claimed).toBe(true);
			expect(await store.noteReceipts.find('other', 'k-3')).toBeUndefined();
		});

		it('takeOver keeps a stale receipt in place, marked search-first, for one new holder; refresh keeps it alive', async () => {
			const { store } = await fresh();
			await store.noteReceipts.claim('c', 'k-1', 80, 'dead');
			const createdAt = now;
			now += 10_000;
			expect(await store.noteReceipts.refresh('c', 'k-1', 'dead')).toBe(true);
			now += 5_000;
			expect((await store.noteReceipts.takeOver('c', 'k-1', 'new', 10_000)).claimed).toBe(false);
			now += 6_000;
			const taken = await store.noteReceipts.takeOver('c', 'k-1', 'new', 10_000);
			expect(taken).toMatchObject({ claimed: true, row: { state: 'pending', ticketId: 80, searchFirst: true } });
			// The receipt keeps its creation time: the search looks at notes posted since then.
			expect(taken.row!.createdAt.getTime()).toBe(createdAt);
			expect((await store.noteReceipts.takeOver('c', 'k-1', 'other', 10_000)).claimed).toBe(false);
			expect((await store.noteReceipts.claim('c', 'k-1', 80, 'fresh')).claimed).toBe(false);
			expect(await store.noteReceipts.markPosted('c', 'k-1', 'dead', 1)).toBe('lost');
			expect(await store.noteReceipts.refresh('c', 'k-1', 'new')).toBe(true);
			expect(await store.noteReceipts.markPosted('c', 'k-1', 'new', 901)).toBe('posted');
			expect(await store.noteReceipts.find('c', 'k-1')).toMatchObject({ state: 'posted', noteId: 901, searchFirst: false });
			now += 60_000;
			expect((await store.noteReceipts.takeOver('c', 'k-1', 'late', 0)).claimed).toBe(false);
		});

		it('a note belongs to one key: markPosted answers "owned" for a note another receipt names, per connection', async () => {
			const { store } = await fresh();
			await store.noteReceipts.claim('c', 'k-a', 80, 'a');
			await store.noteReceipts.claim('c', 'k-b', 80, 'b');
			await store.noteReceipts.claim('other', 'k-c', 80, 'c');
			expect(await store.noteReceipts.markPosted('c', 'k-a', 'a', 500)).toBe('posted');
			expect(await store.noteReceipts.markPosted('c', 'k-b', 'b', 500)).toBe('owned');
			expect(await store.noteReceipts.find('c', 'k-b')).toMatchObject({ state: 'pending', noteId: null, claimToken: 'b' });
			expect(await store.noteReceipts.markPosted('c', 'k-b', 'b', 501)).toBe('posted');
			expect(await store.noteReceipts.markPosted('other', 'k-c', 'c', 500)).toBe('posted');
		});

		it('migration 007 gives a note shared by two receipts to the earliest; the other goes back to abandoned pending', async () => {
			const location = home.newLocation();
			const keys = [generateFernetKey()];
			const beforeOwner = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '007'));
			const old = await open(location, keys, {}, { migrations: beforeOwner });
			await old.noteReceipts.claim('c', 'k-first', 80, 'a');
			now += 1000;
			await old.noteReceipts.claim('c', 'k-second', 80, 'b');
			await old.noteReceipts.claim('c', 'k-own', 80, 'c');
			expect(await old.noteReceipts.markPosted('c', 'k-first', 'a', 700)).toBe('posted');
			expect(await old.noteReceipts.markPosted('c', 'k-second', 'b', 700)).toBe('posted');
			expect(await old.noteReceipts.markPosted('c', 'k-own', 'c', 701)).toBe('posted');
			await old.close();

			const upgraded = await open(location, keys);
			expect(upgraded.appliedMigrations).toContain('007_note_receipt_owner');
			expect(await upgraded.noteReceipts.find('c', 'k-first')).toMatchObject({ state: 'posted', noteId: 700 });
			expect(await upgraded.noteReceipts.find('c', 'k-own')).toMatchObject({ state: 'posted', noteId: 701 });
			expect(await upgraded.noteReceipts.find('c', 'k-second')).toMatchObject({ state: 'pending', noteId: null, claimToken: null });
			// Abandoned: the next attempt takes it over (and searches before posting).
			now += 60_000;
			expect((await upgraded.noteReceipts.takeOver('c', 'k-second', 'next', 30_000)).claimed).toBe(true);
		});
	});

	describe('member map', () => {
		it('stores the identity sealed, finds it by keyed hash, and never prints it in the table', async () => {
			const { store, location } = await fresh();
			const identity = 'Jane.Doe@example.com';
			const stored = await store.memberMap.set({ connectionId: 'c', source: 'email', identity, memberId: 42, memberIdentifier: 'jdoe', kind: 'manual' });
			expect(stored).toMatchObject({ identity, memberId: 42, memberIdentifier: 'jdoe', kind: 'manual' });
			expect(await store.memberMap.get('c', 'email', identity)).toMatchObject({ identity, memberId: 42 });
			expect(await store.memberMap.get('c', 'email', 'jane.doe@example.com')).toBeUndefined();
			expect(await store.memberMap.get('c', 'slack', identity)).toBeUndefined();
			expect(await store.memberMap.get('other', 'email', identity)).toBeUndefined();

			const rows = await location.query<Record<string, unknown>>('select * from psa_member_map');
			expect(rows).toHaveLength(1);
			const raw = JSON.stringify(rows);
			expect(raw).not.toContain(identity);
			expect(raw.toLowerCase()).not.toContain('jane');
			expect(String(rows[0].identity_sealed)).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/);
			expect(String(rows[0].identity_hash)).toMatch(/^[0-9a-f]{64}$/);
		});

		it('an automatic match never replaces a manual mapping; manual replaces anything; remove, list, count', async () => {
			const { store } = await fresh();
			await store.memberMap.set({ connectionId: 'c', source: 'email', identity: 'a@x.io', memberId: 1, memberIdentifier: 'alice', kind: 'auto' });
			expect(await store.memberMap.set({ connectionId: 'c', source: 'email', identity: 'a@x.io', memberId: 2, memberIdentifier: 'alice2', kind: 'auto' })).toMatchObject({ memberId: 2, kind: 'auto' });
			expect(await store.memberMap.set({ connectionId: 'c', source: 'email', identity: 'a@x.io', memberId: 3, memberIdentifier: 'al', kind: 'manual' })).toMatchObject({ memberId: 3, kind: 'manual' });
			now += 1000;
			const kept = await store.memberMap.set({ connectionId: 'c', source: 'email', identity: 'a@x.io', memberId: 4, memberIdentifier: 'other', kind: 'auto' });
			expect(kept).toMatchObject({ memberId: 3, memberIdentifier: 'al', kind: 'manual' });
			expect(kept.updatedAt.getTime()).toBe(now - 1000);
			expect(await store.memberMap.set({ connectionId: 'c', source: 'email', identity: 'a@x.io', memberId: 5, memberIdentifier: 'al5', kind: 'manual' })).toMatchObject({ memberId: 5 });

			await store.memberMap.set({ connectionId: 'c', source: 'slack', identity: 'U123', memberId: 6, memberIdentifier: 'bob', kind: 'auto' });
			await store.memberMap.set({ connectionId: 'other', source: 'slack', identity: 'U999', memberId: 7, memberIdentifier: 'eve', kind: 'auto' });
			expect((await store.memberMap.list('c')).map((m) => m.identity)).toEqual(['a@x.io', 'U123']);
			expect((await store.memberMap.list('c', { kind: 'auto' })).map((m) => m.identity)).toEqual(['U123']);
			expect((await store.memberMap.list('c', { source: 'email' })).map((m) => m.memberIdentifier)).toEqual(['al5']);
			expect(await store.memberMap.count('c')).toBe(2);
			expect(await store.memberMap.remove('c', 'slack', 'U123')).toBe(true);
			expect(await store.memberMap.remove('c', 'slack', 'U123')).toBe(false);
			expect(await store.memberMap.count('c')).toBe(1);
			await expect(
				store.memberMap.set({ connectionId: 'c', source: 'email', identity: 'b@x.io', memberId: 1, memberIdentifier: 'b', kind: 'guess' as 'auto' }),
			).rejects.toThrow('kind must be "manual" or "auto"');
			expect(await store.memberMap.count('c')).toBe(1);
		});
	});

	describe('member map: removeByMember', () => {
		it('deletes the mappings to one member (only the automatic ones when asked), on this connection only', async () => {
			const { store } = await fresh();
			const map = (source: string, identity: string, memberId: number, kind: 'auto' | 'manual', connectionId = 'c') =>
				store.memberMap.set({ connectionId, source, identity, memberId, memberIdentifier: `m${memberId}`, kind });
			await map('email', 'gone@example.com', 7, 'auto');
			await map('slack', 'U-GONE', 7, 'auto');
			await map('teams', 'gone-teams', 7, 'manual');
			await map('email', 'stays@example.com', 8, 'auto');
			await map('email', 'gone@example.com', 7, 'auto', 'other');

			expect(await store.memberMap.removeByMember('c', 7, 'auto')).toBe(2);
			expect(await store.memberMap.get('c', 'email', 'gone@example.com')).toBeUndefined();
			expect(await store.memberMap.get('c', 'slack', 'U-GONE')).toBeUndefined();
			expect(await store.memberMap.get('c', 'teams', 'gone-teams')).toMatchObject({ memberId: 7, kind: 'manual' });
			expect(await store.memberMap.get('c', 'email', 'stays@example.com')).toMatchObject({ memberId: 8 });
			expect(await store.memberMap.get('other', 'email', 'gone@example.com')).toMatchObject({ memberId: 7 });
			expect(await store.memberMap.removeByMember('c', 7)).toBe(1);
			expect(await store.memberMap.count('c')).toBe(1);
			await expect(store.memberMap.removeByMember('c', 7.5)).rejects.toThrow('memberId must be an integer');
			await expect(store.memberMap.removeByMember('c', 7, 'robot' as 'auto')).rejects.toThrow('kind must be "manual" or "auto"');
		});
	});

	describe('status map', () => {
		it('set (upsert), get, list per board, remove', async () => {
			const { store } = await fresh();
			await store.statusMap.set({ connectionId: 'c', boardId: 1, externalState: 'resolved', statusId: 10, statusName: 'Resolved' });
			await store.statusMap.set({ connectionId: 'c', boardId: 1, externalState: 'open', statusId: 11, statusName: 'New' });
			await store.statusMap.set({ connectionId: 'c', boardId: 2, externalState: 'resolved', statusId: 20, statusName: 'Done' });
			expect(await store.statusMap.set({ connectionId: 'c', boardId: 1, externalState: 'resolved', statusId: 12, statusName: 'Closed' })).toMatchObject({
				statusId: 12,
				statusName: 'Closed',
			});
			expect(await store.statusMap.get('c', 1, 'resolved')).toMatchObject({ boardId: 1, statusId: 12 });
			expect(await store.statusMap.get('c', 3, 'resolved')).toBeUndefined();
			expect((await store.statusMap.list('c', 1)).map((m) => m.externalState)).toEqual(['open', 'resolved']);
			expect(await store.statusMap.list('c')).toHaveLength(3);
			expect(await store.statusMap.remove('c', 1, 'open')).toBe(true);
			expect(await store.statusMap.remove('c', 1, 'open')).toBe(false);
			expect(await store.statusMap.list('c')).toHaveLength(2);
		});
	});

	describe('connections and audit', () => {
		it('touch records a connection once, list counts its rows, forget deletes only its rows and returns counts', async () => {
			const { store, location } = await fresh();
			await store.connections.touch('prod', 'connectwise', 'Production');
			now += 5000;
			await store.connections.touch('prod', 'connectwise', 'Production (renamed)');
			await store.connections.touch('sandbox', 'connectwise', 'Sandbox');
			for (const id of ['prod', 'sandbox']) {
				await store.links.set(id, 'alert', 'a-1', 1);
				await store.memberMap.set({ connectionId: id, source: 'email', identity: 'x@y.z', memberId: 1, memberIdentifier: 'x', kind: 'auto' });
				await store.noteReceipts.claim(id, 'k', 1, 't');
				await store.statusMap.set({ connectionId: id, boardId: 1, externalState: 'open', statusId: 1, statusName: 'New' });
				await store.audit.record(id, 'linked', { ticketId: 1 });
			}
			await store.links.set('prod', 'alert', 'a-2', 2);

			const list = await store.connections.list();
			expect(list).toHaveLength(2);
			expect(list[0]).toMatchObject({ connectionId: 'prod', label: 'Production (renamed)', links: 2, memberMappings: 1, noteReceipts: 1, statusMappings: 1 });
			expect(list[0].lastSeenAt.getTime() - list[0].createdAt.getTime()).toBe(5000);
			expect(list[1]).toMatchObject({ connectionId: 'sandbox', links: 1 });

			expect(await store.connections.forget('prod')).toEqual({ links: 2, memberMappings: 1, noteReceipts: 1, statusMappings: 1, auditEvents: 1 });
			expect((await store.connections.list()).map((c) => c.connectionId)).toEqual(['sandbox']);
			for (const table of ['psa_ticket_links', 'psa_member_map', 'psa_note_receipts', 'psa_status_map', 'psa_audit_events', 'psa_connections']) {
				expect(await location.query(`select * from ${table} where connection_id = ?`, ['prod'])).toHaveLength(0);
				expect((await location.query(`select * from ${table} where connection_id = ?`, ['sandbox'])).length).toBeGreaterThan(0);
			}
			expect(await store.connections.forget('prod')).toEqual({ links: 0, memberMappings: 0, noteReceipts: 0, statusMappings: 0, auditEvents: 0 });
		});

		it('audit details are sealed at rest and listed newest first', async () => {
			const { store, location } = await fresh();
			await store.audit.record('c', 'link.created', { ticketId: 5, requester: 'secret-person@example.com' });
			now += 10;
			await store.audit.record('c', 'note.posted', { noteId: 8 });
			const events = await store.audit.list('c');
			expect(events.map((e) => e.action)).toEqual(['note.posted', 'link.created']);
			expect(events[1].detail).toEqual({ ticketId: 5, requester: 'secret-person@example.com' });
			expect(await store.audit.list('c', { limit: 1, offset: 1 })).toHaveLength(1);
			const raw = JSON.stringify(await location.query('select * from psa_audit_events'));
			expect(raw).not.toContain('secret-person');
			await expect(store.audit.record('c', 'x', [] as unknown as Record<string, unknown>)).rejects.toThrow('An audit detail must be an object');
		});

		it('a prefix finds and prunes exactly the actions that start with it: case, wildcards and the next character kept apart', async () => {
			const { store, location } = await fresh();
			const actions = ['change:ab:1:5', 'change:ab:1:', 'change:ab:1;', 'change:ab:10:5', 'CHANGE:AB:1:6', 'change:ab_1:7', 'change:ab%1:8', 'change:ab:1:\u00e9', 'other:change:ab:1:9', 'tilde~x', 'tilde~'];
			for (const action of actions) {
				await store.audit.record('c', action, {});
				now += 1;
			}
			await store.audit.record('c2', 'change:ab:1:5', {});
			const found = async (prefix: string) => (await store.audit.findByPrefix('c', prefix, 0)).map((event) => event.action).sort();
			expect(await found('change:ab:1:')).toEqual(['change:ab:1:', 'change:ab:1:5', 'change:ab:1:\u00e9']);
			expect(await found('change:ab_1:')).toEqual(['change:ab_1:7']);
			expect(await found('change:ab%1:')).toEqual(['change:ab%1:8']);
			expect(await found('tilde~')).toEqual(['tilde~', 'tilde~x']);
			expect(await found('change:ab:1:\u00e9')).toEqual(['change:ab:1:\u00e9']);
			expect((await store.audit.findByPrefix('c', 'change:ab:', 0, { limit: 2 })).map((event) => event.action)).toEqual(['change:ab:1:\u00e9', 'change:ab:10:5']);
			expect(await store.audit.prune('c', 'change:ab:1:', now + 1)).toBe(3);
			expect((await location.query<{ action: string }>('select action from psa_audit_events order by id')).map((row) => row.action)).toEqual([
				'change:ab:1;',
				'change:ab:10:5',
				'CHANGE:AB:1:6',
				'change:ab_1:7',
				'change:ab%1:8',
				'other:change:ab:1:9',
				'tilde~x',
				'tilde~',
				'change:ab:1:5',
			]);
		});
	});

	describe('callback secrets', () => {
		it('one per connection, workflow and node: sealed at rest, replaced by a new registration, removed only for the callback named', async () => {
			const { store, location } = await fresh();
			await store.callbackSecrets.set({ connectionId: 'c', workflowId: 'w', nodeId: 'n', callbackId: 7, callbackGuid: 'G-7', secret: 'first-webhook-secret' });
			expect(await store.callbackSecrets.get('c', 'w', 'n')).toMatchObject({ callbackId: 7, callbackGuid: 'G-7', secret: 'first-webhook-secret' });
			expect(await store.callbackSecrets.get('c', 'w', 'other')).toBeUndefined();
			expect(await store.callbackSecrets.get('other', 'w', 'n')).toBeUndefined();
			await store.callbackSecrets.set({ connectionId: 'c', workflowId: 'w', nodeId: 'n', callbackId: 8, callbackGuid: null, secret: 'second-webhook-secret' });
			expect(await store.callbackSecrets.get('c', 'w', 'n')).toMatchObject({ callbackId: 8, callbackGuid: null, secret: 'second-webhook-secret' });
			const raw = JSON.stringify(await location.query('select * from psa_callback_secrets'));
			expect(raw).not.toContain('webhook-secret');
			expect(await store.callbackSecrets.remove('c', 'w', 'n', 7)).toBe(false);
			expect(await store.callbackSecrets.remove('c', 'w', 'n', 8)).toBe(true);
			expect(await store.callbackSecrets.get('c', 'w', 'n')).toBeUndefined();
			await store.connections.touch('c', 'autotask', 'label');
			await store.callbackSecrets.set({ connectionId: 'c', workflowId: 'w', nodeId: 'n', callbackId: 9, callbackGuid: null, secret: 'third-webhook-secret' });
			await store.connections.forget('c');
			expect(await store.callbackSecrets.get('c', 'w', 'n')).toBeUndefined();
		});
	});

	describe('keys', () => {
		it('rotation: [new, old] reads data sealed with old; resealAll moves everything to new; then new alone works and old alone fails', async () => {
			const location = home.newLocation();
			const oldKey = generateFernetKey();
			const newKey = generateFernetKey();
			const first = await open(location, [oldKey]);
			await first.memberMap.set({ connectionId: 'c', source: 'email', identity: 'r@x.io', memberId: 1, memberIdentifier: 'r', kind: 'manual' });
			await first.audit.record('c', 'a', { n: 1 });
			await first.callbackSecrets.set({ connectionId: 'c', workflowId: 'w', nodeId: 'n', callbackId: 7, callbackGuid: null, secret: 'webhook-secret-1' });
			await first.close();

			const rotated = await open(location, [newKey, oldKey]);
			expect((await rotated.memberMap.get('c', 'email', 'r@x.io'))?.memberId).toBe(1);
			expect((await rotated.audit.list('c'))[0].detail).toEqual({ n: 1 });
			// Opening already moved the lookup key row; the rest moves with resealAll.
			expect(await rotated.resealAll()).toEqual({ memberMappings: 1, auditEvents: 1, callbackSecrets: 1, meta: 0, damaged: [] });
			expect(await rotated.resealAll()).toEqual({ memberMappings: 0, auditEvents: 0, callbackSecrets: 0, meta: 0, damaged: [] });
			await rotated.close();

			const newOnly = await open(location, [newKey]);
			expect((await newOnly.memberMap.get('c', 'email', 'r@x.io'))?.identity).toBe('r@x.io');
			expect((await newOnly.audit.list('c'))[0].detail).toEqual({ n: 1 });
			expect((await newOnly.callbackSecrets.get('c', 'w', 'n'))?.secret).toBe('webhook-secret-1');
			await newOnly.close();
			await expect(openStore(location.options([oldKey]))).rejects.toThrow(/encryption key does not match/);
		});

		it('a wrong key is a clear error that names the store, never the key, and leaves the data untouched', async () => {
			const { store, location, keys } = await fresh();
			await store.memberMap.set({ connectionId: 'c', source: 'email', identity: 'w@x.io', memberId: 1, memberIdentifier: 'w', kind: 'manual' });
			await store.close();
			const before = JSON.stringify(await location.query('select * from psa_member_map')) + JSON.stringify(await location.query('select * from psa_store_meta'));

			const wrongKey = generateFernetKey();
			const error = await openStore(location.options([wrongKey])).then(
				() => undefined,
				(caught: unknown) => caught,
			);
			expect(isStoreError(error, 'key')).toBe(true);
			const message = (error as Error).message;
			expect(message).toContain('The PSA State Store encryption key does not match the data in');
			expect(message).toContain('use the key it was created with (previous keys go in "Previous Keys")');
			expect(message).toContain(engine === 'sqlite' ? 'state-' : 'PostgreSQL database');
			expect(message).not.toContain(wrongKey);
			expect(message).not.toContain(keys[0]);
			const after = JSON.stringify(await location.query('select * from psa_member_map')) + JSON.stringify(await location.query('select * from psa_store_meta'));
			expect(after).toBe(before);
			expect((await (await open(location, keys)).memberMap.get('c', 'email', 'w@x.io'))?.memberId).toBe(1);
		});

		it('a malformed key is refused before anything is created, without echoing it', async () => {
			const location = home.newLocation();
			const badKey = 'not-a-real-key-but-secret-looking-1234567890';
			const error = await openStore(location.options([badKey])).then(
				() => undefined,
				(caught: unknown) => caught,
			);
			expect(isStoreError(error, 'key')).toBe(true);
			expect((error as Error).message).toMatch(/encryption key is not usable: A Fernet key must decode to 32 bytes/);
			expect((error as Error).message).not.toContain(badKey);
			const created = async () =>
				location.engine === 'sqlite'
					? fs.existsSync((location.where as { filename: string }).filename)
					: (await location.query('select schema_name from information_schema.schemata where schema_name = ?', [(location.where as { schema: string }).schema])).length > 0;
			expect(await created()).toBe(false);
			// The same location with a usable key is created: the check above looks at the right place.
			await (await openStore(location.options([generateFernetKey()]))).close();
			expect(await created()).toBe(true);
		});
	});
});
