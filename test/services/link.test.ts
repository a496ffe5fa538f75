// The link service on a real SQLite store and the sandbox: concurrent workers and abandoned claims still give one ticket.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../../lib/cache';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { createProvider } from '../../lib/providers/registry';
import { link, linkKeyOf, type PsaServiceContext } from '../../lib/services';
import { openStore } from '../../lib/store';
import type { PsaStore } from '../../lib/store/types';
import { startSandbox, type Sandbox } from '../sandbox';

let sandbox: Sandbox;
let store: PsaStore;
let folder: string;

function context(): PsaServiceContext {
	const cache = new PsaCache();
	const provider = createProvider('connectWisePsaApi', { ...sandbox.credentials, site: sandbox.site }, { http: createFetchTransport({ timeoutMs: 5000 }), cache });
	return { provider, store, cache, now: Date.now };
}

beforeAll(async () => {
	folder = mkdtempSync(join(tmpdir(), 'psa-link-service-'));
	sandbox = await startSandbox({ port: 0 });
	store = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite') });
});

afterAll(async () => {
	await store?.close();
	await sandbox?.stop();
	rmSync(folder, { recursive: true, force: true });
});

it('five workers (separate caches, one store) linking the same entity at once create one ticket', async () => {
	sandbox.setLatency(30);
	try {
		const results = await Promise.all(
			Array.from({ length: 5 }, () => link(context(), { source: 'race', externalId: 'r1' }, { summary: 'race', companyId: 250, boardId: 1 })),
		);
		expect(new Set(results.map((result) => result.ticketId)).size).toBe(1);
		expect(results.filter((result) => result.created)).toHaveLength(1);
		expect(sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'race:r1')).toHaveLength(1);
	} finally {
		sandbox.setLatency(0);
	}
});

it('an abandoned claim is taken over after it goes stale and the ticket it created is adopted, not duplicated', async () => {
	const ctx = context();
	const connectionId = ctx.provider.connection.connectionId;
	// A worker claimed, created the ticket, and died before completing.
	await store.links.claim(connectionId, 'crash', 'c1', 'dead-worker');
	const orphan = await ctx.provider.createTicket({ summary: 'orphan', companyId: 250, externalRef: linkKeyOf('crash', 'c1') });
	const result = await link(ctx, { source: 'crash', externalId: 'c1' }, { summary: 'orphan', companyId: 250 }, { staleAfterMs: 0 });
	expect(result).toMatchObject({ created: true, recovered: true, ticketId: orphan.id });
	expect(sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'crash:c1')).toHaveLength(1);
});

it('long keys are hashed to at most 100 characters', () => {
	const key = linkKeyOf('monitor', 'x'.repeat(200));
	expect(key.length).toBeLessThanOrEqual(100);
	expect(key).toBe(linkKeyOf('monitor', 'x'.repeat(200)));
	expect(key).not.toBe(linkKeyOf('monitor', 'x'.repeat(201)));
});
