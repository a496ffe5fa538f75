// PSA Link through n8n's engine against the sandbox: find-or-create request counts, lost responses, every operation.
import { resetLimiters } from '../../lib/providers/limiter';
import { startEngineFixture, chainWorkflow, psaRequests, type EngineFixture } from '../engine/setup';
import type { RequestLogEntry } from '../sandbox';

let fx: EngineFixture;

beforeAll(async () => {
	fx = await startEngineFixture();
});

afterAll(async () => {
	await fx?.close();
});

const linkNode = (externalId: string, extra: Record<string, unknown> = {}) => ({
	name: 'PSA Link',
	type: 'psaLink',
	parameters: {
		operation: 'link',
		source: 'monitor',
		externalId,
		summary: `Disk full on ${externalId}`,
		company: { __rl: true, mode: 'id', value: '250' },
		boardId: 1,
		additionalFields: {},
		...extra,
	},
});

describe('PSA Link > Link', () => {
	it('creates a ticket with exactly one request, then finds it with none', async () => {
		// Warm the codebase lookup, so the counts below are the operation's own.
		await fx.engine.run(chainWorkflow([{ name: 'PSA Connect', type: 'psaConnect', parameters: { operation: 'test' } }]));
		fx.sandbox.resetLog();

		const first = await fx.engine.run(chainWorkflow([linkNode('web01')]));
		expect(first.error).toBeUndefined();
		const [created] = first.output('PSA Link');
		expect(created.json).toMatchObject({ created: true, source: 'monitor', externalId: 'web01', linkKey: 'monitor:web01', state: 'linked' });
		expect(created.pairedItem).toEqual({ item: 0 });
		expect(psaRequests(fx.sandbox)).toEqual({ 'POST /service/tickets': 1, total: 1 });
		const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === created.json.ticketId);
		expect(ticket?.externalXRef).toBe('monitor:web01');
		expect(ticket?.company?.id).toBe(250);

		fx.sandbox.resetLog();
		const second = await fx.engine.run(chainWorkflow([linkNode('web01')]));
		expect(second.output('PSA Link')[0].json).toMatchObject({ created: false, ticketId: created.json.ticketId });
		expect(psaRequests(fx.sandbox).total).toBe(0);
	});

	it('keeps a long summary whole in the description', async () => {
		const summary = 'CPU above 95% for 15 minutes on the primary database server in rack 12; failover did not start. '.repeat(2);
		const run = await fx.engine.run(chainWorkflow([linkNode('db01', { summary })]));
		const ticketId = run.output('PSA Link')[0].json.ticketId;
		const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === ticketId);
		expect(ticket?.summary.length).toBeLessThanOrEqual(100);
		const notes = fx.sandbox.db.notes.filter((note) => note.ticketId === ticketId);
		expect(notes.map((note) => note.text).join('\n')).toContain(summary.trim());
	});

	it('yields exactly one ticket when the create response is lost after the PSA committed it', async () => {
		fx.sandbox.resetLog();
		fx.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit', times: 1 });
		const run = await fx.engine.run(chainWorkflow([linkNode('lost01')]));
		expect(run.error).toBeUndefined();
		const out = run.output('PSA Link')[0].json;
		expect(out).toMatchObject({ created: true, recovered: true });
		const tickets = fx.sandbox.db.tickets.filter((candidate) => candidate.externalXRef === 'monitor:lost01');
		expect(tickets).toHaveLength(1);
		expect(tickets[0].id).toBe(out.ticketId);
		expect(psaRequests(fx.sandbox)['POST /service/tickets']).toBe(1);

		const again = await fx.engine.run(chainWorkflow([linkNode('lost01')]));
		expect(again.output('PSA Link')[0].json).toMatchObject({ created: false, ticketId: out.ticketId });
	});
});

describe('PSA Link > Link: additional fields and warnings', () => {
	it('sets the priority, status and contact from Additional Fields on the new ticket', async () => {
		const run = await fx.engine.run(chainWorkflow([linkNode('fields01', { additionalFields: { priorityId: 2, statusId: 102, contactId: 301 } })]));
		expect(run.error).toBeUndefined();
		const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === run.output('PSA Link')[0].json.ticketId);
		// Seeded: priority 2 "Priority 2 - High", Help Desk status 102 "In Progress", Acme contact 301 Lee Jones.
		expect(ticket?.priority.id).toBe(2);
		expect(ticket?.status.id).toBe(102);
		expect(ticket?.contact?.id).toBe(301);
	});

	it('puts a deprecation the PSA announces under warnings on the output item', async () => {
		fx.sandbox.setVersionPolicy({ path: '/service/tickets', deprecation: '@1767225600' });
		try {
			const run = await fx.engine.run(chainWorkflow([linkNode('deprecated01')]));
			expect(run.error).toBeUndefined();
			const out = run.output('PSA Link')[0].json;
			expect(out.created).toBe(true);
			expect(out.warnings).toEqual([
				expect.objectContaining({ kind: 'deprecation', endpoint: '/service/tickets', message: expect.stringContaining('since 2026-01-01') }),
			]);
		} finally {
			fx.sandbox.clearVersionPolicies();
		}
		// Without the policy there is nothing to warn about.
		const plain = await fx.engine.run(chainWorkflow([linkNode('deprecated02')]));
		expect(plain.output('PSA Link')[0].json).not.toHaveProperty('warnings');
	});

	it('continueOnFail: a warning collected from the failing response is kept on the error item', async () => {
		// A connection pinned below the server's current version is warned about version drift by every response, the 400 included.
		fx.engine.addCredential({
			id: 'cw-pinned-2023',
			name: 'pinned 2023.1',
			type: 'connectWisePsaApi',
			data: { ...fx.sandbox.credentials, site: fx.sandbox.site, apiVersion: '2023.1', endpointVersions: {} },
		});
		const run = await fx.engine.run(
			chainWorkflow([
				{
					...linkNode('drift-bad', { company: { __rl: true, mode: 'id', value: '999999' } }),
					credentials: { connectWisePsaApi: { id: 'cw-pinned-2023', name: 'pinned 2023.1' } },
					continueOnFail: true,
				},
			]),
		);
		expect(run.error).toBeUndefined();
		const out = run.output('PSA Link')[0].json;
		expect(out.error).toEqual(expect.stringContaining('999999'));
		expect(out.warnings).toEqual([expect.objectContaining({ kind: 'version-drift', message: expect.stringContaining('2025.8') })]);
		expect(JSON.stringify(out)).not.toContain(fx.sandbox.credentials.privateKey);
	});
});

describe('PSA Link > items', () => {
	/**
	 * Runs 9 link items under a sandbox latency and returns the most ticket creates the sandbox held at once.
	 * The sandbox logs a request (status 0) when it arrives and sets its status when it answers, so the entries still
	 * at 0 when another arrives are the ones in flight.
	 */
	async function maxCreatesInFlight(ids: string[], options: Record<string, unknown> | undefined) {
		const isCreate = (entry: RequestLogEntry) => entry.method === 'POST' && entry.template === '/service/tickets';
		let maxInFlight = 0;
		const log = fx.sandbox.requests;
		log.push = (...entries: RequestLogEntry[]) => {
			const length = Array.prototype.push.apply(log, entries);
			if (entries.some(isCreate)) maxInFlight = Math.max(maxInFlight, log.filter((entry) => isCreate(entry) && entry.status === 0).length);
			return length;
		};
		fx.sandbox.resetLog();
		fx.sandbox.setLatency(50);
		try {
			const run = await fx.engine.run(
				chainWorkflow(
					[linkNode('={{ $json.id }}', { summary: '={{ "Alert " + $json.id }}', ...(options ? { options } : {}) })],
					ids.map((id) => ({ id })),
				),
			);
			return { run, maxInFlight };
		} finally {
			fx.sandbox.setLatency(0);
			delete (log as { push?: unknown }).push;
		}
	}

	it('runs items with bounded concurrency and keeps their order and pairing', async () => {
		const ids = Array.from({ length: 9 }, (_, i) => `batch-${i}`);
		const { run, maxInFlight } = await maxCreatesInFlight(ids, { concurrency: 3 });
		expect(run.error).toBeUndefined();
		const out = run.output('PSA Link');
		expect(out.map((item) => item.json.externalId)).toEqual(ids);
		expect(out.map((item) => item.pairedItem)).toEqual(ids.map((_, item) => ({ item })));
		expect(new Set(out.map((item) => item.json.ticketId)).size).toBe(ids.length);
		expect(psaRequests(fx.sandbox)).toEqual({ 'POST /service/tickets': 9, total: 9 });
		expect(maxInFlight).toBeLessThanOrEqual(3);
		expect(maxInFlight).toBeGreaterThanOrEqual(2);
	});

	it('by default (Automatic) runs items in parallel as the connection\'s limiter allows, keeping their order', async () => {
		// A connection the limiter knows nothing of (earlier tests here taught it their 429s and latencies).
		resetLimiters();
		const ids = Array.from({ length: 9 }, (_, i) => `default-batch-${i}`);
		const { run, maxInFlight } = await maxCreatesInFlight(ids, undefined);
		expect(run.error).toBeUndefined();
		expect(run.output('PSA Link').map((item) => item.json.externalId)).toEqual(ids);
		expect(run.output('PSA Link').map((item) => item.pairedItem)).toEqual(ids.map((_, item) => ({ item })));
		expect(maxInFlight).toBeLessThanOrEqual(ids.length);
		expect(maxInFlight).toBeGreaterThanOrEqual(2);
	});

	it('continueOnFail: a bad item becomes an error item in place, the others still run', async () => {
		const run = await fx.engine.run(
			chainWorkflow(
				[{ ...linkNode('={{ $json.id }}', { company: { __rl: true, mode: 'id', value: '={{ $json.company }}' } }), continueOnFail: true }],
				[{ id: 'ok-1', company: '250' }, { id: 'bad-1', company: '999999' }, { id: 'ok-2', company: '251' }],
			),
		);
		expect(run.error).toBeUndefined();
		const out = run.output('PSA Link');
		expect(out).toHaveLength(3);
		expect(out[0].json.created).toBe(true);
		expect(out[1].json.error).toEqual(expect.any(String));
		expect(out[1].json.hint).toEqual(expect.any(String));
		expect(out[1].pairedItem).toEqual({ item: 1 });
		expect(out[2].json.created).toBe(true);
		expect(JSON.stringify(out)).not.toContain(fx.sandbox.credentials.privateKey);
		// The failed create released its claim: fixing the input links it.
		const retry = await fx.engine.run(chainWorkflow([linkNode('bad-1')]));
		expect(retry.output('PSA Link')[0].json.created).toBe(true);
	});

	it('without continueOnFail the run fails with an error that names the item and what to do', async () => {
		const run = await fx.engine.run(
			chainWorkflow(
				[linkNode('={{ $json.id }}', { company: { __rl: true, mode: 'id', value: '={{ $json.company }}' } })],
				[{ id: 'x-ok', company: '250' }, { id: 'x', company: '999999' }],
			),
		);
		const error = run.error as (Error & { description?: string; context?: { itemIndex?: number } }) | undefined;
		expect(error?.message).toBe("ConnectWise rejected POST /service/tickets (field 'company': Company id 999999 was not found.): ticket object is invalid");
		expect(error?.description).toBe('Check the node parameters.');
		expect(error?.context?.itemIndex).toBe(1);
		expect(run.output('PSA Link')).toEqual([]);
		expect(JSON.stringify(run.run.data.resultData)).not.toContain(fx.sandbox.credentials.privateKey);
	});

	it('rejects empty input before any request or write', async () => {
		fx.sandbox.resetLog();
		const run = await fx.engine.run(chainWorkflow([{ ...linkNode('={{ $json.id }}'), continueOnFail: true }], [{ id: '   ' }]));
		expect(run.output('PSA Link')[0].json).toMatchObject({ kind: 'invalid-input', error: 'External ID of item 0 is empty' });
		expect(psaRequests(fx.sandbox).total).toBe(0);
	});

	it('an External ID that resolves to undefined, null, an object or a list is refused per item, never linked as "undefined"', async () => {
		fx.sandbox.resetLog();
		const ticketsBefore = fx.sandbox.db.tickets.length;
		const items = [{ id: 'nothing-missing-1' }, {}, { id: null }, { id: { nested: 1 } }, { id: [1, 2] }, { id: 4711 }, {}];
		const run = await fx.engine.run(chainWorkflow([{ ...linkNode('={{ $json.id }}'), continueOnFail: true }], items));
		const outputs = run.output('PSA Link').map((item) => item.json);
		expect(outputs.map((json) => json.error ?? json.externalId)).toEqual([
			'nothing-missing-1',
			'External ID of item 1 is empty (its expression resolved to undefined: does every item have that field?)',
			'External ID of item 2 is empty (its expression resolved to null)',
			'External ID of item 3 is an object, not text',
			'External ID of item 4 is a list, not text',
			'4711',
			'External ID of item 6 is empty (its expression resolved to undefined: does every item have that field?)',
		]);
		expect(run.output('PSA Link').map((item) => item.pairedItem)).toEqual(items.map((_, item) => ({ item })));
		// Two tickets for the two usable ids; nothing named "undefined", "null" or "[object Object]".
		expect(fx.sandbox.db.tickets.length - ticketsBefore).toBe(2);
		expect(fx.sandbox.db.tickets.filter((ticket) => /undefined|null|object/.test(ticket.externalXRef ?? ''))).toEqual([]);
	});

	it('a 200-character external id keeps its whole link key; the ticket carries its hash; a second run finds the link', async () => {
		const externalId = `alert-${'z'.repeat(194)}`;
		const first = await fx.engine.run(chainWorkflow([linkNode(externalId, { summary: 'long id' })]));
		const created = first.output('PSA Link')[0].json;
		expect(created).toMatchObject({ created: true, externalId, linkKey: `monitor:${externalId}` });
		const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === created.ticketId);
		expect(ticket?.externalXRef).toMatch(/^psa-sha256:[0-9a-f]{64}$/);
		const again = await fx.engine.run(chainWorkflow([linkNode(externalId, { summary: 'long id' })]));
		expect(again.output('PSA Link')[0].json).toMatchObject({ created: false, ticketId: created.ticketId });
	});
});

describe('PSA Link > other operations', () => {
	it('text fields that expressions turn into numbers are used as text (description, list filter)', async () => {
		const run = await fx.engine.run(chainWorkflow([linkNode('numeric-desc', { additionalFields: { description: '={{ 4711 }}' } })]));
		expect(run.error).toBeUndefined();
		const ticketId = run.output('PSA Link')[0].json.ticketId as number;
		const notes = fx.sandbox.db.notes.filter((note) => note.ticketId === ticketId);
		expect(notes.map((note) => note.text)).toContain('4711');

		const numericSource = await fx.engine.run(chainWorkflow([linkNode('7', { source: '={{ 42 }}' })]));
		expect(numericSource.error).toBeUndefined();
		const listed = await fx.engine.run(
			chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'list', filters: { source: '={{ 42 }}' }, limit: 10 } }]),
		);
		expect(listed.error).toBeUndefined();
		expect(listed.output('PSA Link').map((item) => item.json)).toEqual([expect.objectContaining({ source: '42', externalId: '7' })]);
	});

	it('Link Existing Ticket verifies the ticket (1 request), Get reads the store (0), Unlink and List', async () => {
		const existing = fx.sandbox.db.tickets[0];
		fx.sandbox.resetLog();
		const linked = await fx.engine.run(
			chainWorkflow([
				{
					name: 'PSA Link',
					type: 'psaLink',
					parameters: { operation: 'linkExisting', source: 'chat', externalId: 'thread-7', ticket: { __rl: true, mode: 'id', value: String(existing.id) } },
				},
			]),
		);
		expect(linked.output('PSA Link')[0].json).toMatchObject({ created: false, ticketId: existing.id, source: 'chat', externalId: 'thread-7' });
		expect(psaRequests(fx.sandbox)).toEqual({ 'GET /service/tickets/{id}': 1, total: 1 });

		// Linking it elsewhere needs Replace.
		const other = fx.sandbox.db.tickets[1];
		const refused = await fx.engine.run(
			chainWorkflow([
				{
					name: 'PSA Link',
					type: 'psaLink',
					parameters: { operation: 'linkExisting', source: 'chat', externalId: 'thread-7', ticket: { __rl: true, mode: 'id', value: String(other.id) } },
					continueOnFail: true,
				},
			]),
		);
		expect(refused.output('PSA Link')[0].json).toMatchObject({ kind: 'conflict' });
		const byUrl = await fx.engine.run(
			chainWorkflow([
				{
					name: 'PSA Link',
					type: 'psaLink',
					parameters: {
						operation: 'linkExisting',
						source: 'chat',
						externalId: 'thread-7',
						replace: true,
						ticket: { __rl: true, mode: 'url', value: `${fx.sandbox.site}/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=${other.id}&companyName=sandbox` },
					},
				},
			]),
		);
		expect(byUrl.error).toBeUndefined();
		expect(byUrl.output('PSA Link')[0].json.ticketId).toBe(other.id);

		fx.sandbox.resetLog();
		const got = await fx.engine.run(chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'get', source: 'chat', externalId: 'thread-7' } }]));
		expect(got.output('PSA Link')[0].json).toMatchObject({ ticketId: other.id, state: 'linked' });
		expect(psaRequests(fx.sandbox).total).toBe(0);
		const withTicket = await fx.engine.run(
			chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'get', source: 'chat', externalId: 'thread-7', fetchTicket: true } }]),
		);
		expect((withTicket.output('PSA Link')[0].json.ticket as { id: number }).id).toBe(other.id);

		const listed = await fx.engine.run(
			chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'list', filters: { source: 'chat' }, limit: 10 } }]),
		);
		expect(listed.output('PSA Link').map((item) => item.json.externalId)).toEqual(['thread-7']);

		const unlinked = await fx.engine.run(chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'unlink', source: 'chat', externalId: 'thread-7' } }]));
		expect(unlinked.output('PSA Link')[0].json).toMatchObject({ removed: true, ticketId: other.id });
		const gone = await fx.engine.run(
			chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'get', source: 'chat', externalId: 'thread-7' }, continueOnFail: true }]),
		);
		expect(gone.output('PSA Link')[0].json).toMatchObject({ kind: 'not-found' });
		// The ticket itself stays in the PSA.
		expect(fx.sandbox.db.tickets.some((ticket) => ticket.id === other.id)).toBe(true);
	});
});
