// The link service on a real SQLite store and the sandbox: concurrent workers and abandoned claims still give one ticket.
import { join } from 'node:path';
import { PsaError } from '../../lib/providers/errors';
import { link, linkExisting, linkKeyOf, type PsaServiceContext } from '../../lib/services';
import { openStore } from '../../lib/store';
import { useServiceFixture } from '../helpers/services';

const fixture = useServiceFixture('psa-link-service-');

it('five workers (separate caches, one store) linking the same entity at once create one ticket', async () => {
	fixture.sandbox.setLatency(30);
	try {
		const results = await Promise.all(
			Array.from({ length: 5 }, () => link(fixture.context(), { source: 'race', externalId: 'r1' }, { summary: 'race', companyId: 250, boardId: 1 })),
		);
		expect(new Set(results.map((result) => result.ticketId)).size).toBe(1);
		expect(results.filter((result) => result.created)).toHaveLength(1);
		expect(fixture.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'race:r1')).toHaveLength(1);
	} finally {
		fixture.sandbox.setLatency(0);
	}
});

it('an abandoned claim is taken over after it goes stale and the ticket it created is adopted, not duplicated', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	// A worker claimed, created the ticket, and died before completing.
	await fixture.store.links.claim(connectionId, 'crash', 'c1', 'dead-worker');
	const orphan = await ctx.provider.createTicket({ summary: 'orphan', companyId: 250, externalRef: linkKeyOf('crash', 'c1') });
	const result = await link(ctx, { source: 'crash', externalId: 'c1' }, { summary: 'orphan', companyId: 250 }, { staleAfterMs: 0 });
	expect(result).toMatchObject({ created: true, recovered: true, ticketId: orphan.id });
	expect(fixture.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'crash:c1')).toHaveLength(1);
});

/** A store and contexts on one fake clock (the store's and the service's), for claims that age without waiting. */
async function clocked(name: string) {
	const clock = { t: Date.now() };
	const own = await openStore({ engine: 'sqlite', filename: join(fixture.folder, `${name}.sqlite`), clock: () => clock.t });
	const make = (now: () => number = () => clock.t): PsaServiceContext => fixture.context({ store: own, now });
	return { clock, store: own, make };
}

const ticketsWithRef = (ref: string) => fixture.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === ref);

it('a takeover whose search fails keeps the claim (marked search-first), so the next attempt adopts the orphan instead of creating a second ticket', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	await fixture.store.links.claim(connectionId, 'crash', 'c2', 'dead-worker');
	const orphan = await ctx.provider.createTicket({ summary: 'orphan', companyId: 250, externalRef: linkKeyOf('crash', 'c2') });
	const realFind = ctx.provider.findTicketByExternalRef.bind(ctx.provider);
	let failures = 1;
	ctx.provider.findTicketByExternalRef = async (ref: string) => {
		if (failures-- > 0) throw new PsaError('unavailable', 'ConnectWise failed (503)', { status: 503 });
		return realFind(ref);
	};
	await expect(link(ctx, { source: 'crash', externalId: 'c2' }, { summary: 'orphan', companyId: 250 }, { staleAfterMs: 0 })).rejects.toThrow(/503/);
	expect(await fixture.store.links.find(connectionId, 'crash', 'c2')).toMatchObject({ state: 'pending', searchFirst: true });
	const second = await link(ctx, { source: 'crash', externalId: 'c2' }, { summary: 'orphan', companyId: 250 }, { staleAfterMs: 0 });
	expect(second).toMatchObject({ created: true, recovered: true, ticketId: orphan.id });
	expect(ticketsWithRef('crash:c2')).toHaveLength(1);
});

it('a worker arriving while an abandoned claim is being taken over never creates without searching', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	await fixture.store.links.claim(connectionId, 'crash', 'c3', 'dead-worker');
	const orphan = await ctx.provider.createTicket({ summary: 'orphan', companyId: 250, externalRef: linkKeyOf('crash', 'c3') });
	// Right after the first worker frees or takes over the abandoned claim, a second worker runs the whole link.
	let late: Promise<unknown> | undefined;
	const lateWorker = () => {
		late ??= link(fixture.context(), { source: 'crash', externalId: 'c3' }, { summary: 'orphan', companyId: 250 }, { waitMs: 300 }).then(
			(result) => result,
			(error: unknown) => error,
		);
		return late;
	};
	const hooked = Object.create(fixture.store.links) as typeof fixture.store.links;
	hooked.releaseStale = async (...args) => {
		const released = await fixture.store.links.releaseStale(...args);
		await lateWorker();
		return released;
	};
	hooked.takeOver = async (...args) => {
		const taken = await fixture.store.links.takeOver(...args);
		await lateWorker();
		return taken;
	};
	const first = await link({ ...ctx, store: { ...fixture.store, links: hooked } }, { source: 'crash', externalId: 'c3' }, { summary: 'orphan', companyId: 250 }, { staleAfterMs: 0 });
	expect(first).toMatchObject({ recovered: true, ticketId: orphan.id });
	// The late worker found the claim held and waited for it (a conflict after its 300 ms), or returned the adopted ticket.
	expect(ticketsWithRef('crash:c3')).toHaveLength(1);
	const lateOutcome = await late;
	if (lateOutcome instanceof PsaError) expect(lateOutcome.kind).toBe('conflict');
	else expect(lateOutcome).toMatchObject({ ticketId: orphan.id });
});

it('the claim is refreshed before the create, so a slow member lookup does not let another worker take it over and create a second ticket', async () => {
	const { clock, store: own, make } = await clocked('heartbeat');
	try {
		const a = make();
		const realLookup = a.provider.findMembersByEmail.bind(a.provider);
		a.provider.findMembersByEmail = async (email: string) => {
			clock.t += 100_000; // the lookup took 100 s (retries and timeouts)
			return realLookup(email);
		};
		const realCreate = a.provider.createTicket.bind(a.provider);
		let other: unknown;
		a.provider.createTicket = async (...args) => {
			clock.t += 50_000; // 150 s after the claim, 50 s after the last refresh
			const started = Date.now();
			other = await link(make(() => clock.t + (Date.now() - started)), { source: 'slow', externalId: 's1' }, { summary: 'slow', companyId: 250 }, { waitMs: 300 }).then(
				(result) => result,
				(error: unknown) => error,
			);
			return realCreate(...args);
		};
		const result = await link(a, { source: 'slow', externalId: 's1' }, { summary: 'slow', companyId: 250, owner: { source: 'email', identity: 'john.smith@acme.example' } });
		expect(result).toMatchObject({ created: true });
		expect(other).toBeInstanceOf(PsaError);
		expect(other).toMatchObject({ kind: 'conflict' });
		expect(ticketsWithRef('slow:s1')).toHaveLength(1);
		expect(await own.links.find(a.provider.connection.connectionId, 'slow', 's1')).toMatchObject({ state: 'linked', ticketId: result.ticketId });
	} finally {
		await own.close();
	}
});

it('a long link key is kept whole; the PSA-side reference is its hash, within 100 UTF-16 code units, and names one key', () => {
	const { provider } = fixture.context();
	const key = linkKeyOf('monitor', 'x'.repeat(200));
	expect(key).toBe(`monitor:${'x'.repeat(200)}`);
	const reference = provider.externalReferenceOf(key);
	expect(reference).toMatch(/^psa-sha256:[0-9a-f]{64}$/);
	expect(provider.externalReferenceOf(linkKeyOf('monitor', 'x'.repeat(200)))).toBe(reference);
	expect(provider.externalReferenceOf(linkKeyOf('monitor', 'x'.repeat(201)))).not.toBe(reference);
	// 46 emoji are 92 code points but 92 + 8 = 100 UTF-16 units with the source: still fits; one more does not.
	expect(provider.externalReferenceOf(linkKeyOf('monitor', '\u{1F525}'.repeat(46)))).toBe(`monitor:${'\u{1F525}'.repeat(46)}`);
	expect(provider.externalReferenceOf(linkKeyOf('monitor', '\u{1F525}'.repeat(47)))).toMatch(/^psa-sha256:/);
	// A key that looks like a hashed reference is hashed itself, so it cannot pose as another key's reference.
	expect(provider.externalReferenceOf(reference)).not.toBe(reference);
});

it('a source containing ":" is refused before anything is written, so two entities can never share a link key', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	// ("a:b", "c") and ("a", "b:c") would both be "a:b:c" on the ticket, and recovery could adopt the other's ticket.
	const ticketsBefore = fixture.sandbox.db.tickets.length;
	const refused = await link(ctx, { source: 'zabbix:prod', externalId: '42' }, { summary: 'colon', companyId: 250 }).then(
		() => undefined,
		(caught: unknown) => caught as PsaError,
	);
	expect(refused).toBeInstanceOf(PsaError);
	expect(refused?.kind).toBe('invalid-input');
	expect(refused?.message).toBe('Source "zabbix:prod" contains ":"');
	expect(refused?.details).toMatchObject({ field: 'source', hint: expect.stringMatching(/short name such as "zabbix"/) });
	await expect(linkExisting(ctx, { source: 'zabbix:prod', externalId: '42' }, 1001)).rejects.toThrow('Source "zabbix:prod" contains ":"');
	expect(fixture.sandbox.db.tickets.length).toBe(ticketsBefore);
	expect(await fixture.store.links.find(connectionId, 'zabbix:prod', '42')).toBeUndefined();
	// A ":" in the external id is fine: the source ends at the first ":".
	const ok = await link(ctx, { source: 'zabbix', externalId: 'prod:42' }, { summary: 'colon in id', companyId: 250 });
	expect(ok).toMatchObject({ created: true, linkKey: 'zabbix:prod:42' });
});

/** A store of its own whose statements are listed as "<verb> <first table>" as they run (SQLite's statement tracer). */
async function tracedStore(name: string) {
	const statements: string[] = [];
	const store = await openStore(
		{ engine: 'sqlite', filename: join(fixture.folder, `${name}.sqlite`) },
		{ onStatement: (sql) => statements.push(`${sql.split(' ')[0].toLowerCase()} ${/"(psa_\w+)"/.exec(sql)?.[1] ?? ''}`.trim()) },
	);
	return { store, statements };
}

it('a known entity costs one store statement (its occurrence counted, the row returned); a new one looks with the count and then claims, without a find', async () => {
	const { store: own, statements } = await tracedStore('statements');
	try {
		const ctx = fixture.context({ store: own });
		const target = { source: 'counted', externalId: 'k1' };
		statements.length = 0;
		const first = await link(ctx, target, { summary: 'counted', companyId: 250, boardId: 1 });
		expect(first).toMatchObject({ created: true, occurrences: 1 });
		// The claim is an insert that reads its row back; the rest completes the link with its audit record and counts.
		expect(statements.filter((statement) => statement.endsWith('psa_ticket_links'))).toEqual([
			'update psa_ticket_links',
			'insert psa_ticket_links',
			'select psa_ticket_links',
			'update psa_ticket_links',
			'update psa_ticket_links',
		]);
		statements.length = 0;
		const again = await link(ctx, target, { summary: 'counted', companyId: 250, boardId: 1 });
		expect(again).toMatchObject({ created: false, ticketId: first.ticketId, occurrences: 2 });
		expect(statements).toEqual(['update psa_ticket_links']);
		// Another policy for a closed ticket reads the row first: what happens depends on the ticket's state.
		statements.length = 0;
		const reopening = await link(ctx, target, { summary: 'counted', companyId: 250, boardId: 1 }, { whenClosed: 'reopen' });
		expect(reopening).toMatchObject({ created: false, ticketId: first.ticketId, occurrences: 3 });
		expect(statements[0]).toBe('select psa_ticket_links');
		expect(ticketsWithRef('counted:k1')).toHaveLength(1);
	} finally {
		await own.close();
	}
});

it('while another run holds the claim, the looks that wait for it read the row: no count and no claim attempt per poll', async () => {
	const { store: own, statements } = await tracedStore('waiting');
	try {
		const ctx = fixture.context({ store: own });
		const connectionId = ctx.provider.connection.connectionId;
		await own.links.claim(connectionId, 'held', 'h1', 'other-run');
		statements.length = 0;
		await expect(link(ctx, { source: 'held', externalId: 'h1' }, { summary: 'held', companyId: 250 }, { waitMs: 400, staleAfterMs: 60_000 })).rejects.toThrow(/Another run is creating the ticket/);
		const linkStatements = statements.filter((statement) => statement.endsWith('psa_ticket_links'));
		// The first look: the count (no row with a ticket) and the claim that loses and reads back the holder's row.
		expect(linkStatements.slice(0, 3)).toEqual(['update psa_ticket_links', 'insert psa_ticket_links', 'select psa_ticket_links']);
		const waits = linkStatements.slice(3);
		expect(waits.length).toBeGreaterThan(0);
		expect(new Set(waits)).toEqual(new Set(['select psa_ticket_links']));
		expect(await own.links.find(connectionId, 'held', 'h1')).toMatchObject({ state: 'pending', claimToken: 'other-run', occurrences: 0 });
	} finally {
		await own.close();
	}
});
