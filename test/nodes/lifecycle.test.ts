// PSA Link's closed-ticket policies and PSA Note's quiet period through n8n's engine: requests counted at the sandbox.
import { storeFor, storeOptionsOf } from '../../nodes/shared/context';
import { startEngineFixture, chainWorkflow, psaRequests, type EngineFixture } from '../engine/setup';

let fx: EngineFixture;

beforeAll(async () => {
	fx = await startEngineFixture();
	// Warm the codebase lookup and the board's statuses, so the counts below are the policy's own.
	await fx.engine.run(chainWorkflow([{ name: 'PSA Connect', type: 'psaConnect', parameters: { operation: 'test' } }]));
});

afterAll(async () => {
	await fx?.close();
});

const RESOLVED = 104;
const linkNode = (externalId: string, whenClosed: string, extra: Record<string, unknown> = {}) => ({
	name: 'PSA Link',
	type: 'psaLink',
	parameters: {
		operation: 'link',
		source: 'lifecycle',
		externalId,
		summary: `Alert ${externalId}`,
		company: { __rl: true, mode: 'id', value: '250' },
		boardId: 1,
		whenClosed,
		additionalFields: {},
		...extra,
	},
});

async function linkOnce(externalId: string, whenClosed: string, extra: Record<string, unknown> = {}) {
	fx.sandbox.resetLog();
	const run = await fx.engine.run(chainWorkflow([linkNode(externalId, whenClosed, extra)]));
	expect(run.error).toBeUndefined();
	return { json: run.output('PSA Link')[0].json, requests: psaRequests(fx.sandbox) };
}

const ticket = (id: unknown) => fx.sandbox.db.tickets.find((candidate) => candidate.id === id);
const close = (id: unknown) => fx.sandbox.changeTicket(id as number, { statusId: RESOLVED });

it('Return It As Is: a closed ticket comes back with 0 requests; occurrences and first / last seen count every call', async () => {
	const first = await linkOnce('as-is-1', 'as-is');
	expect(first.json).toMatchObject({ created: true, occurrences: 1, reopened: false, previousTicketId: null });
	close(first.json.ticketId);
	const again = await linkOnce('as-is-1', 'as-is');
	expect(again.json).toMatchObject({ created: false, ticketId: first.json.ticketId, occurrences: 2, reopened: false });
	expect(again.json.firstSeenAt).toBe(first.json.firstSeenAt);
	expect(Date.parse(again.json.lastSeenAt as string)).toBeGreaterThanOrEqual(Date.parse(first.json.lastSeenAt as string));
	expect(again.requests.total).toBe(0);
	expect(ticket(first.json.ticketId)?.closedFlag).toBe(true);
});

it('Reopen It: a read shows the ticket closed, a fresh read and one PATCH reopen it to the board default; an open ticket costs the read only', async () => {
	const first = await linkOnce('reopen-1', 'reopen');
	close(first.json.ticketId);
	const reopened = await linkOnce('reopen-1', 'reopen');
	expect(reopened.json).toMatchObject({ created: false, ticketId: first.json.ticketId, reopened: true, occurrences: 2 });
	// The board's statuses are read once per cache period (this is the first status change of the file).
	// The state read, the reopen's fresh read (another run may have reopened it meanwhile), the PATCH.
	expect(reopened.requests).toEqual({ 'GET /service/tickets/{id}': 2, 'GET /service/boards/{parentId}/statuses': 1, 'PATCH /service/tickets/{id}': 1, total: 4 });
	expect(ticket(first.json.ticketId)).toMatchObject({ closedFlag: false, status: { id: 101 } });

	const open = await linkOnce('reopen-1', 'reopen');
	expect(open.json).toMatchObject({ ticketId: first.json.ticketId, reopened: false, occurrences: 3 });
	expect(open.requests).toEqual({ 'GET /service/tickets/{id}': 1, total: 1 });
});

it('Always Create a New Ticket: the entity moves to a new ticket (its own hashed reference); previousTicketId names the old one', async () => {
	const first = await linkOnce('new-1', 'new');
	close(first.json.ticketId);
	const next = await linkOnce('new-1', 'new');
	expect(next.json).toMatchObject({ created: true, previousTicketId: first.json.ticketId, occurrences: 2, linkKey: 'lifecycle:new-1#1' });
	expect(next.json.ticketId).not.toBe(first.json.ticketId);
	expect(next.requests).toEqual({ 'GET /service/tickets/{id}': 1, 'POST /service/tickets': 1, total: 2 });
	expect(ticket(next.json.ticketId)?.externalXRef).toMatch(/^psa-sha256:[0-9a-f]{64}$/);
	expect(ticket(first.json.ticketId)?.externalXRef).toBe('lifecycle:new-1');

	// The new ticket is open: found again with its read, nothing created.
	const again = await linkOnce('new-1', 'new');
	expect(again.json).toMatchObject({ created: false, ticketId: next.json.ticketId, previousTicketId: first.json.ticketId });
	expect(again.requests).toEqual({ 'GET /service/tickets/{id}': 1, total: 1 });
});

it('Reopen If Closed Recently: closed minutes ago is reopened; closed two days ago is replaced by a new ticket', async () => {
	const first = await linkOnce('recent-1', 'reopen-recent', { reopenWithinHours: 24 });
	close(first.json.ticketId);
	const reopened = await linkOnce('recent-1', 'reopen-recent', { reopenWithinHours: 24 });
	expect(reopened.json).toMatchObject({ ticketId: first.json.ticketId, reopened: true });

	close(first.json.ticketId);
	ticket(first.json.ticketId)!.closedDate = new Date(Date.now() - 48 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
	const replaced = await linkOnce('recent-1', 'reopen-recent', { reopenWithinHours: 24 });
	expect(replaced.json).toMatchObject({ created: true, previousTicketId: first.json.ticketId, reopened: false });
	expect(replaced.requests).toEqual({ 'GET /service/tickets/{id}': 1, 'POST /service/tickets': 1, total: 2 });
});

it('a ticket deleted in the PSA (404) or merged into another is never reopened: a new ticket replaces it', async () => {
	const deleted = await linkOnce('gone-1', 'reopen');
	fx.sandbox.db.tickets.splice(fx.sandbox.db.tickets.indexOf(ticket(deleted.json.ticketId)!), 1);
	const afterDelete = await linkOnce('gone-1', 'reopen');
	expect(afterDelete.json).toMatchObject({ created: true, previousTicketId: deleted.json.ticketId });
	expect(afterDelete.requests).toEqual({ 'GET /service/tickets/{id}': 1, 'POST /service/tickets': 1, total: 2 });

	const merged = await linkOnce('merged-1', 'reopen');
	const parent = await linkOnce('merged-parent', 'as-is');
	fx.sandbox.mergeTicket(merged.json.ticketId as number, parent.json.ticketId as number);
	const afterMerge = await linkOnce('merged-1', 'reopen');
	expect(afterMerge.json).toMatchObject({ created: true, previousTicketId: merged.json.ticketId });
	expect(ticket(merged.json.ticketId)).toMatchObject({ closedFlag: true, status: { id: RESOLVED } });
});

it('a state PSA Trigger reported costs no read: "open" returns the ticket with 0 requests, "closed" goes straight to the reopen', async () => {
	const first = await linkOnce('told-1', 'reopen');
	const store = await storeFor(storeOptionsOf(undefined));
	const connectionId = (await store.connections.list())[0].connectionId;
	await store.links.setTicketState(connectionId, first.json.ticketId as number, 'open');
	expect((await linkOnce('told-1', 'reopen')).requests.total).toBe(0);

	close(first.json.ticketId);
	await store.links.setTicketState(connectionId, first.json.ticketId as number, 'closed');
	const reopened = await linkOnce('told-1', 'reopen');
	expect(reopened.json).toMatchObject({ reopened: true });
	expect(reopened.requests['PATCH /service/tickets/{id}']).toBe(1);
	// Reopened by us: unknown again until the trigger reports it (a close without a callback must not be missed).
	expect((await store.links.find(connectionId, 'lifecycle', 'told-1'))?.ticketState).toBeNull();
});

it('two runs of the same re-fire at once (Concurrency 2): one new ticket, or one reopen, never two', async () => {
	const first = await linkOnce('twice-new', 'new');
	close(first.json.ticketId);
	fx.sandbox.resetLog();
	const both = await fx.engine.run(chainWorkflow([linkNode('twice-new', 'new', { options: { concurrency: 2 } })], [{}, {}]));
	const [a, b] = both.output('PSA Link').map((item) => item.json);
	expect(a.ticketId).toBe(b.ticketId);
	expect(fx.sandbox.counters()['POST /service/tickets']).toBe(1);

	const reopenFirst = await linkOnce('twice-reopen', 'reopen');
	close(reopenFirst.json.ticketId);
	fx.sandbox.resetLog();
	const reopenBoth = await fx.engine.run(chainWorkflow([linkNode('twice-reopen', 'reopen', { options: { concurrency: 2 } })], [{}, {}]));
	const outputs = reopenBoth.output('PSA Link').map((item) => item.json);
	expect(outputs.filter((json) => json.reopened === true)).toHaveLength(1);
	expect(fx.sandbox.counters()['PATCH /service/tickets/{id}']).toBe(1);
});

it('Quiet Period: the first note posts, a repeat inside the period posts nothing (suppressed, 0 requests), a repeat after it posts', async () => {
	const { json } = await linkOnce('quiet-1', 'as-is');
	const noteNode = {
		name: 'PSA Note',
		type: 'psaNote',
		parameters: {
			operation: 'add',
			ticketBy: 'link',
			source: 'lifecycle',
			externalId: 'quiet-1',
			text: 'Alert fired again',
			noteType: 'internal',
			additionalFields: { quietPeriodMinutes: 0.02, quietKey: 'fired-again' },
		},
	};
	fx.sandbox.resetLog();
	const posted = (await fx.engine.run(chainWorkflow([noteNode]))).output('PSA Note')[0].json;
	expect(posted).toMatchObject({ deduplicated: false });
	expect(posted.suppressed).toBeUndefined();
	fx.sandbox.resetLog();
	const repeat = (await fx.engine.run(chainWorkflow([noteNode]))).output('PSA Note')[0].json;
	expect(repeat).toMatchObject({ suppressed: true, noteId: null });
	expect(psaRequests(fx.sandbox).total).toBe(0);
	// Another quiet key on the same ticket has its own period.
	const resolved = { ...noteNode, parameters: { ...noteNode.parameters, text: 'Alert resolved', additionalFields: { quietPeriodMinutes: 0.02, quietKey: 'resolved' } } };
	expect((await fx.engine.run(chainWorkflow([resolved]))).output('PSA Note')[0].json.suppressed).toBeUndefined();

	await new Promise((resolve) => setTimeout(resolve, 1300));
	const later = (await fx.engine.run(chainWorkflow([noteNode]))).output('PSA Note')[0].json;
	expect(later.suppressed).toBeUndefined();
	expect(fx.sandbox.db.notes.filter((note) => note.ticketId === json.ticketId && note.text === 'Alert fired again')).toHaveLength(2);
});
