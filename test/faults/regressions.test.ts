// One deterministic test per fault class of docs/reliability.md, on real time against the sandbox and a real SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../../lib/cache';
import { isPsaError } from '../../lib/providers/errors';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import type { HttpTransport } from '../../lib/providers/http';
import { linkKeyOf } from '../../lib/providers/link-key';
import { createProvider } from '../../lib/providers/registry';
import { addNote, closeTicket, connectionOf, link, unlink, type PsaServiceContext } from '../../lib/services';
import { openStore } from '../../lib/store';
import type { PsaStore } from '../../lib/store/types';
import { startSandbox, type Sandbox } from '../sandbox';

/** The client gives up on a request after this long; the sandbox commits the slow create later. */
const CLIENT_TIMEOUT_MS = 600;
const LATE_COMMIT_MS = 1000;
/** Longer than the late commit: the test's PSA never commits later than this after the last claim refresh. */
const SETTLE_MS = 1500;

let sandbox: Sandbox;
let store: PsaStore;
let folder: string;

beforeAll(async () => {
	folder = mkdtempSync(join(tmpdir(), 'psa-fault-regressions-'));
	sandbox = await startSandbox({ port: 0, recordResponses: false });
	store = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite') });
});

afterAll(async () => {
	await store?.close();
	await sandbox?.stop();
	rmSync(folder, { recursive: true, force: true });
});

beforeEach(() => {
	sandbox.clearFaults();
	sandbox.resetLog();
});

/** One n8n worker's view: its own provider and cache, the shared store, a client timeout shorter than the PSA's slowest commit. */
function worker(http: HttpTransport = createFetchTransport()): PsaServiceContext {
	const cache = new PsaCache();
	const provider = createProvider(
		'connectWisePsaApi',
		{ ...sandbox.credentials, site: sandbox.site },
		{ http, cache, retry: { requestTimeoutMs: CLIENT_TIMEOUT_MS, budgetMs: CLIENT_TIMEOUT_MS }, outcomeSettleMs: SETTLE_MS },
	);
	return { provider, store, cache, now: Date.now };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ticketsFor = (source: string, externalId: string) => sandbox.db.tickets.filter((ticket) => ticket.externalXRef === linkKeyOf(source, externalId));
const failureOf = (promise: Promise<unknown>) =>
	promise.then(
		() => {
			throw new Error('expected a failure');
		},
		(error: unknown) => error,
	);

it('slow commit: a create committed after the client gave up is found after the settle window, never created twice', async () => {
	sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'late-commit', ms: LATE_COMMIT_MS });
	const fields = { summary: 'Slow commit', companyId: 250 };

	const first = await failureOf(link(worker(), { source: 'slow', externalId: 'c-1' }, fields));
	expect(isPsaError(first) && first.details.outcomeUnknown).toBe(true);
	expect((first as Error).message).toMatch(/may still be created: the link stays pending until \d{4}-/);
	expect(ticketsFor('slow', 'c-1')).toHaveLength(0);
	// A retry at once (n8n's Retry On Fail) waits for the pending claim and says why; it creates nothing.
	const retried = await failureOf(link(worker(), { source: 'slow', externalId: 'c-1' }, fields, { waitMs: 200 }));
	expect(retried).toMatchObject({ kind: 'conflict', message: expect.stringMatching(/or its create has no answer yet/) });

	await sleep(SETTLE_MS + 100);
	expect(sandbox.pendingLateCommits).toBe(0);
	expect(ticketsFor('slow', 'c-1')).toHaveLength(1);
	const settled = await link(worker(), { source: 'slow', externalId: 'c-1' }, fields);
	expect(settled).toMatchObject({ created: true, recovered: true, ticketId: ticketsFor('slow', 'c-1')[0].id });
	expect(ticketsFor('slow', 'c-1')).toHaveLength(1);
	expect((await link(worker(), { source: 'slow', externalId: 'c-1' }, fields)).ticketId).toBe(settled.ticketId);
});

it('slow commit that never lands (the PSA dropped it): after the settle window the search proves absence and one ticket is created', async () => {
	sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop' });
	const fields = { summary: 'Lost request', companyId: 250 };
	const first = await failureOf(link(worker(), { source: 'slow', externalId: 'c-2' }, fields));
	expect(isPsaError(first) && first.details.outcomeUnknown).toBe(true);
	await sleep(SETTLE_MS + 100);
	const settled = await link(worker(), { source: 'slow', externalId: 'c-2' }, fields);
	expect(settled).toMatchObject({ created: true });
	expect(settled.recovered).toBeUndefined();
	expect(ticketsFor('slow', 'c-2')).toHaveLength(1);
});

it('response lost after commit: the search right after finds the ticket; one request more, no second ticket', async () => {
	sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit' });
	const result = await link(worker(), { source: 'lost', externalId: 'r-1' }, { summary: 'Lost response', companyId: 250 });
	expect(result).toMatchObject({ created: true, recovered: true });
	expect(ticketsFor('lost', 'r-1')).toHaveLength(1);
	expect(sandbox.counters()).toMatchObject({ 'POST /service/tickets': 1, 'GET /service/tickets': 1 });
});

it("note recovery never adopts another key's note: A's post answered 503, B posts the same text, A's retry posts its own", async () => {
	const ctx = worker();
	const { ticketId } = await link(ctx, { source: 'notes', externalId: 'n-1' }, { summary: 'Note owner', companyId: 250 });
	const onTicket = () => sandbox.db.notes.filter((note) => note.ticketId === ticketId && note.text === 'Disk full again');
	sandbox.addFault({ method: 'POST', path: '/service/tickets/{parentId}/notes', kind: 'status', status: 503 });
	const a = await failureOf(addNote(ctx, { ticket: { ticketId }, text: 'Disk full again', type: 'internal', dedupeKey: 'key-a' }));
	expect(isPsaError(a) && a.details.outcomeUnknown).toBe(true);
	const b = await addNote(worker(), { ticket: { ticketId }, text: 'Disk full again', type: 'internal', dedupeKey: 'key-b' });
	expect(onTicket()).toHaveLength(1);

	await sleep(SETTLE_MS + 100);
	const retried = await addNote(worker(), { ticket: { ticketId }, text: 'Disk full again', type: 'internal', dedupeKey: 'key-a' });
	expect(retried.recovered).toBeUndefined();
	expect(retried.noteId).not.toBe(b.noteId);
	expect(onTicket()).toHaveLength(2);
	const connectionId = ctx.provider.connection.connectionId;
	const receipts = await Promise.all(['key-a', 'key-b'].map((key) => store.noteReceipts.find(connectionId, key)));
	expect(new Set(receipts.map((receipt) => receipt?.noteId)).size).toBe(2);
});

it('a note whose post committed late is adopted by the retry after the settle window, not posted again', async () => {
	const ctx = worker();
	const { ticketId } = await link(ctx, { source: 'notes', externalId: 'n-2' }, { summary: 'Late note', companyId: 250 });
	sandbox.addFault({ method: 'POST', path: '/service/tickets/{parentId}/notes', kind: 'late-commit', ms: LATE_COMMIT_MS });
	const input = { ticket: { ticketId }, text: 'Backup failed', type: 'internal' as const, dedupeKey: 'late-1' };
	const first = await failureOf(addNote(ctx, input));
	expect((first as Error).message).toMatch(/may still be posted to ticket \d+: its receipt stays pending until/);
	await sleep(SETTLE_MS + 100);
	const settled = await addNote(worker(), input);
	expect(settled).toMatchObject({ recovered: true });
	expect(sandbox.db.notes.filter((note) => note.ticketId === ticketId && note.text === 'Backup failed')).toHaveLength(1);
});

it('a 429 on the create is retried after Retry-After (nothing was done), and creates exactly one ticket', async () => {
	sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 429, retryAfterSeconds: 0 });
	const result = await link(worker(), { source: 'busy', externalId: 'b-1' }, { summary: 'Rate limited', companyId: 250 });
	expect(result.created).toBe(true);
	expect(ticketsFor('busy', 'b-1')).toHaveLength(1);
	expect(sandbox.counters()['POST /service/tickets']).toBe(2);
});

/** A transport whose first matching 2xx answer lacks a field, as a changed model or a proxy's page would. */
function stripping(method: string, path: RegExp, field: string): HttpTransport {
	const inner = createFetchTransport();
	let done = false;
	return async (request) => {
		const response = await inner(request);
		if (!done && request.method === method && path.test(new URL(request.url).pathname) && response.status < 300 && response.body && typeof response.body === 'object') {
			done = true;
			const body = { ...(response.body as Record<string, unknown>) };
			delete body[field];
			return { ...response, body };
		}
		return response;
	};
}

it('a case-insensitive PSA search never adopts another entity\'s ticket: "host-1" after a lost answer is not "HOST-1"', async () => {
	const fields = { summary: 'Case', companyId: 250 };
	const upper = await link(worker(), { source: 'zbx', externalId: 'HOST-1' }, fields);
	sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit' });
	const lower = await link(worker(), { source: 'zbx', externalId: 'host-1' }, fields);
	const own = ticketsFor('zbx', 'host-1');
	expect(own).toHaveLength(1);
	expect(lower).toMatchObject({ recovered: true, ticketId: own[0].id });
	expect(lower.ticketId).not.toBe(upper.ticketId);
});

it('a 201 whose body cannot be read keeps the claim: the ticket is found, not created twice', async () => {
	const fields = { summary: 'Odd body', companyId: 250 };
	const first = await link(worker(stripping('POST', /\/service\/tickets$/, 'board')), { source: 'odd', externalId: 'e-1' }, fields);
	// The immediate search finds the ticket the PSA made.
	expect(first).toMatchObject({ created: true, recovered: true });
	expect((await link(worker(), { source: 'odd', externalId: 'e-1' }, fields)).ticketId).toBe(first.ticketId);
	expect(ticketsFor('odd', 'e-1')).toHaveLength(1);
});

it('a 201 note answer without an id keeps the receipt: the retry after the settle window adopts the note', async () => {
	const linked = await link(worker(), { source: 'odd', externalId: 'n-1' }, { summary: 'Odd note', companyId: 250 });
	const input = { ticket: { ticketId: linked.ticketId }, text: 'keyed once', type: 'internal' as const, dedupeKey: 'odd-note-1' };
	await expect(addNote(worker(stripping('POST', /\/notes$/, 'id')), input)).rejects.toThrow(/may still be posted/);
	await sleep(SETTLE_MS + 100);
	expect(await addNote(worker(), input)).toMatchObject({ recovered: true });
	expect(sandbox.db.notes.filter((note) => note.ticketId === linked.ticketId && note.text === 'keyed once')).toHaveLength(1);
});

it('a stale "closed" (a lost or reordered callback) never reopens an open ticket nor gives it a twin', async () => {
	const fields = { summary: 'Stale state', companyId: 250, boardId: 1 };
	const ctx = worker();
	const connectionId = await connectionOf(ctx);
	const reopenTarget = { source: 'stale', externalId: 'reopen' };
	const first = await link(ctx, reopenTarget, fields);
	await closeTicket(ctx, { ticketId: first.ticketId });
	// A technician reopens it into In Progress; the store still says closed.
	await ctx.provider.updateTicketStatus(first.ticketId, 102);
	await store.links.setTicketState(connectionId, first.ticketId, 'closed');
	const changesBefore = sandbox.db.statusChanges.length;
	expect(await link(worker(), reopenTarget, fields, { whenClosed: 'reopen' })).toMatchObject({ ticketId: first.ticketId, reopened: false });
	expect(sandbox.db.statusChanges.slice(changesBefore)).toEqual([]);

	const newTarget = { source: 'stale', externalId: 'new' };
	const open = await link(ctx, newTarget, fields);
	await store.links.setTicketState(connectionId, open.ticketId, 'closed');
	expect((await link(worker(), newTarget, fields, { whenClosed: 'new' })).ticketId).toBe(open.ticketId);
	// An older event delivered again cannot overwrite a newer state.
	await store.links.setTicketState(connectionId, open.ticketId, 'open', { asOf: Date.now() });
	await store.links.setTicketState(connectionId, open.ticketId, 'closed', { asOf: Date.now() - 60_000 });
	expect((await store.links.find(connectionId, 'stale', 'new'))?.ticketState).toBe('open');
});

it('a claim exactly as old as the settle window is waited on, not asked for again at once (no spin on virtual time)', async () => {
	// The store takes over only claims strictly older than the window; a clock that stands still between two questions
	// (virtual time, or a coarse clock) must not make the service ask again and again without waiting.
	const clock = { t: Date.parse('2026-06-01T00:00:00Z') };
	const own = await openStore({ engine: 'sqlite', filename: join(folder, 'boundary.sqlite'), clock: () => clock.t });
	try {
		let storeCalls = 0;
		const counted = new Proxy(own.links, {
			get: (target, property) => {
				const value = (target as unknown as Record<string, unknown>)[property as string];
				return typeof value === 'function' ? (...args: unknown[]) => (storeCalls++, (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
			},
		});
		const base = worker();
		const ctx: PsaServiceContext = {
			...base,
			store: { ...own, links: counted } as typeof own,
			now: () => clock.t,
			delay: async (ms) => {
				clock.t += ms;
			},
		};
		const connectionId = ctx.provider.connection.connectionId;
		await own.links.claim(connectionId, 'edge', 'e-1', 'dead-worker');
		clock.t += SETTLE_MS;
		const result = await link(ctx, { source: 'edge', externalId: 'e-1' }, { summary: 'Boundary', companyId: 250 });
		expect(result).toMatchObject({ created: true });
		expect(storeCalls).toBeLessThan(20);
		expect(ticketsFor('edge', 'e-1')).toHaveLength(1);
	} finally {
		await own.close();
	}
});

it('a pending link cannot be unlinked (the next attempt would create without searching); a linked one can', async () => {
	const ctx = worker();
	const connectionId = await connectionOf(ctx);
	await store.links.claim(connectionId, 'unlink', 'u-1', 'in-flight');
	await expect(unlink(ctx, { source: 'unlink', externalId: 'u-1' })).rejects.toThrow(/is being created .* cannot be unlinked now/);
	expect(await store.links.find(connectionId, 'unlink', 'u-1')).toMatchObject({ state: 'pending' });
	await store.links.complete(connectionId, 'unlink', 'u-1', 'in-flight', 4242);
	expect(await unlink(ctx, { source: 'unlink', externalId: 'u-1' })).toMatchObject({ removed: true, ticketId: 4242 });
});

it('a run whose claim was taken over while it stalled leaves the claim to the taker, which adopts its ticket', async () => {
	const fields = { summary: 'Stalled run', companyId: 250 };
	const connectionId = await connectionOf(worker());
	// While the stalled run's create is on its way, another run takes its (stale) claim over.
	const inner = createFetchTransport();
	const takenOverDuringCreate: HttpTransport = async (request) => {
		if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/service/tickets')) {
			await store.links.takeOver(connectionId, 'stall', 's-1', 'taker', 0);
		}
		return inner(request);
	};
	const stalled = await link(worker(takenOverDuringCreate), { source: 'stall', externalId: 's-1' }, fields);
	// Its ticket is returned, but the claim stays the taker's: overwriting it could give the entity a second ticket.
	expect(await store.links.find(connectionId, 'stall', 's-1')).toMatchObject({ state: 'pending', searchFirst: true });
	await sleep(SETTLE_MS + 50);
	const adopted = await link(worker(), { source: 'stall', externalId: 's-1' }, fields);
	expect(adopted).toMatchObject({ ticketId: stalled.ticketId, recovered: true });
	expect(ticketsFor('stall', 's-1')).toHaveLength(1);
});
