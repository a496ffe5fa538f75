// Autotask's own fault classes, one deterministic test each, on real time against the Autotask sandbox and a real SQLite
// store: what the randomized suite (test/faults/) meets at random, pinned down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../../lib/cache';
import { isPsaError } from '../../lib/providers/errors';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { linkKeyOf } from '../../lib/providers/link-key';
import { createProvider } from '../../lib/providers/registry';
import { link, type PsaServiceContext } from '../../lib/services';
import { openStore } from '../../lib/store';
import type { PsaStore } from '../../lib/store/types';
import { startAutotaskSandbox, type AutotaskSandbox } from '../sandbox/autotask';

const CLIENT_TIMEOUT_MS = 600;
const LATE_COMMIT_MS = 1000;
const SETTLE_MS = 1500;
const FIELDS = { summary: 'Autotask fault', companyId: 175, boardId: 8 };

let sandbox: AutotaskSandbox;
let store: PsaStore;
let folder: string;

beforeAll(async () => {
	folder = mkdtempSync(join(tmpdir(), 'psa-autotask-fault-regressions-'));
	sandbox = await startAutotaskSandbox({ port: 0, recordResponses: false, threadLimitStatus: 500 });
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

function worker(budgetMs = CLIENT_TIMEOUT_MS): PsaServiceContext {
	const cache = new PsaCache();
	const provider = createProvider('autotaskPsaApi', { ...sandbox.credentials }, {
		http: createFetchTransport(),
		cache,
		retry: { requestTimeoutMs: CLIENT_TIMEOUT_MS, budgetMs },
		outcomeSettleMs: SETTLE_MS,
	});
	return { provider, store, cache, now: Date.now };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ticketsFor = (ctx: PsaServiceContext, source: string, externalId: string) => {
	const reference = ctx.provider.externalReferenceOf(linkKeyOf(source, externalId));
	return sandbox.db.tickets.filter((ticket) => ticket.externalID === reference);
};

it('a create refused with a 500 carrying the thread-threshold message is throttling: sent again, one ticket', async () => {
	sandbox.addFault({ method: 'POST', path: '/Tickets', kind: 'thread-limit', times: 2 });
	const ctx = worker(10_000);
	const result = await link(ctx, { source: 'at-thread', externalId: 't-1' }, FIELDS);
	expect(result).toMatchObject({ created: true });
	expect(result.recovered).toBeUndefined();
	expect(sandbox.counters()['POST /Tickets']).toBe(3);
	expect(ticketsFor(ctx, 'at-thread', 't-1')).toHaveLength(1);
});

it('a create with a hashed externalID committed after the client gave up is adopted after the settle window, never created twice', async () => {
	// Past Autotask's 50-character externalID: the reference is psa-sha256: + 39 hex digits, searched as such.
	const externalId = `host-${'x'.repeat(60)}`;
	sandbox.addFault({ method: 'POST', path: '/Tickets', kind: 'late-commit', ms: LATE_COMMIT_MS, respond: 'drop' });
	const first = await link(worker(), { source: 'at-late', externalId }, FIELDS).then(
		() => undefined,
		(error: unknown) => error,
	);
	expect(isPsaError(first) && first.details.outcomeUnknown).toBe(true);
	await sleep(SETTLE_MS + 100);
	expect(sandbox.pendingLateCommits).toBe(0);
	const ctx = worker();
	expect(ticketsFor(ctx, 'at-late', externalId)[0]?.externalID).toMatch(/^psa-sha256:[0-9a-f]{39}$/);
	const settled = await link(ctx, { source: 'at-late', externalId }, FIELDS);
	expect(settled).toMatchObject({ recovered: true, ticketId: ticketsFor(ctx, 'at-late', externalId)[0].id });
	expect(ticketsFor(ctx, 'at-late', externalId)).toHaveLength(1);
});
