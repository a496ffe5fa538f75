// PSA Note and PSA Status through n8n's engine against the sandbox: request counts, dedupe, board-aware statuses.
import { chainWorkflow, psaRequests, startEngineFixture, type EngineFixture } from '../engine/setup';

let fx: EngineFixture;
let ticketId: number;

const link = (externalId: string, boardId = 1) => ({
	name: 'PSA Link',
	type: 'psaLink',
	parameters: { operation: 'link', source: 'monitor', externalId, summary: `Alert ${externalId}`, company: { __rl: true, mode: 'id', value: '250' }, boardId, additionalFields: {} },
});
const note = (parameters: Record<string, unknown>, continueOnFail = false) => ({
	name: 'PSA Note',
	type: 'psaNote',
	parameters: { operation: 'add', ticketBy: 'link', source: 'monitor', externalId: 'n1', text: 'Disk at 97%', noteType: 'internal', additionalFields: {}, ...parameters },
	continueOnFail,
});
const status = (parameters: Record<string, unknown>, continueOnFail = false) => ({
	name: 'PSA Status',
	type: 'psaStatus',
	parameters: { ticketBy: 'link', source: 'monitor', externalId: 's1', ...parameters },
	continueOnFail,
});
const writes = () => fx.sandbox.requests.filter((request) => request.method !== 'GET').length;

beforeAll(async () => {
	fx = await startEngineFixture();
	const run = await fx.engine.run(chainWorkflow([link('n1')]));
	ticketId = run.output('PSA Link')[0].json.ticketId as number;
});

afterAll(async () => {
	await fx?.close();
});

describe('PSA Note > Add', () => {
	it('posts one note with one request, by link; the same dedupe key posts nothing and says so', async () => {
		fx.sandbox.resetLog();
		const first = await fx.engine.run(chainWorkflow([note({ additionalFields: { dedupeKey: 'evt-1' } })]));
		expect(first.error).toBeUndefined();
		const out = first.output('PSA Note')[0];
		expect(out.json).toMatchObject({ ticketId, deduplicated: false, type: 'internal', dedupeKey: 'evt-1' });
		expect(out.pairedItem).toEqual({ item: 0 });
		expect(psaRequests(fx.sandbox).total).toBe(1);
		expect(fx.sandbox.db.notes.filter((stored) => stored.ticketId === ticketId && stored.text === 'Disk at 97%')).toHaveLength(1);

		fx.sandbox.resetLog();
		const again = await fx.engine.run(chainWorkflow([note({ additionalFields: { dedupeKey: 'evt-1' } })]));
		expect(again.output('PSA Note')[0].json).toMatchObject({ deduplicated: true, noteId: out.json.noteId, ticketId });
		expect(psaRequests(fx.sandbox).total).toBe(0);
	});

	it('a dedupe key that an expression turns into a number still deduplicates', async () => {
		const numericKey = note({ text: 'Alert 90210 fired', additionalFields: { dedupeKey: '={{ 90210 }}' } });
		fx.sandbox.resetLog();
		const first = await fx.engine.run(chainWorkflow([numericKey]));
		expect(first.error).toBeUndefined();
		expect(first.output('PSA Note')[0].json).toMatchObject({ deduplicated: false, dedupeKey: '90210' });
		fx.sandbox.resetLog();
		const again = await fx.engine.run(chainWorkflow([numericKey]));
		expect(again.output('PSA Note')[0].json).toMatchObject({ deduplicated: true, dedupeKey: '90210' });
		expect(psaRequests(fx.sandbox).total).toBe(0);
		expect(fx.sandbox.db.notes.filter((stored) => stored.text === 'Alert 90210 fired')).toHaveLength(1);
	});

	it('posts by ticket id, as discussion and resolution, attributed to a member found by email', async () => {
		fx.sandbox.resetLog();
		const run = await fx.engine.run(
			chainWorkflow([
				note({ ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: String(ticketId) }, noteType: 'discussion', text: 'Customer informed', additionalFields: { memberIdentity: 'John.Smith@acme.example' } }),
			]),
		);
		expect(run.error).toBeUndefined();
		const out = run.output('PSA Note')[0].json;
		const jsmith = fx.sandbox.db.members.find((member) => member.identifier === 'jsmith');
		expect(out.memberId).toBe(jsmith?.id);
		// One member lookup (first time this identity is seen) plus the note.
		expect(psaRequests(fx.sandbox).total).toBe(2);

		fx.sandbox.resetLog();
		const resolution = await fx.engine.run(chainWorkflow([note({ noteType: 'resolution', text: 'Disk cleaned', additionalFields: { memberIdentity: 'john.smith@acme.example' } })]));
		expect(resolution.output('PSA Note')[0].json).toMatchObject({ type: 'resolution', memberId: jsmith?.id });
		expect(psaRequests(fx.sandbox).total).toBe(1);
		const stored = fx.sandbox.db.notes.find((candidate) => candidate.text === 'Disk cleaned') as unknown as Record<string, unknown>;
		expect(stored.resolutionFlag).toBe(true);
	});

	it('an unlinked entity is a clear error with no request; continueOnFail keeps the item', async () => {
		fx.sandbox.resetLog();
		const run = await fx.engine.run(chainWorkflow([note({ externalId: 'nobody' }, true)]));
		expect(run.output('PSA Note')[0].json).toMatchObject({ kind: 'not-found' });
		expect(String(run.output('PSA Note')[0].json.error)).toContain('not linked');
		expect(psaRequests(fx.sandbox).total).toBe(0);
		const failing = await fx.engine.run(chainWorkflow([note({ externalId: 'nobody' })]));
		expect(failing.error?.message).toContain('not linked');
	});
});

describe('PSA Status', () => {
	let statusTicket: number;
	beforeAll(async () => {
		const run = await fx.engine.run(chainWorkflow([link('s1')]));
		statusTicket = run.output('PSA Link')[0].json.ticketId as number;
	});

	it('sets a status by name with one PATCH (+1 for the board statuses once); unchanged means no PATCH', async () => {
		fx.sandbox.resetLog();
		const run = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'name', statusName: 'In Progress' })]));
		expect(run.error).toBeUndefined();
		expect(run.output('PSA Status')[0].json).toMatchObject({ ticketId: statusTicket, changed: true, status: { name: 'In Progress' }, previousStatus: { name: 'New' }, board: { id: 1 } });
		const firstCounts = psaRequests(fx.sandbox);
		expect(firstCounts.total).toBeLessThanOrEqual(2);
		expect(fx.sandbox.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
		expect(fx.sandbox.db.tickets.find((ticket) => ticket.id === statusTicket)?.status.name).toBe('In Progress');

		// Unchanged according to memory: one GET confirms it before answering "no change"; no PATCH.
		fx.sandbox.resetLog();
		const same = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'name', statusName: 'in progress' })]));
		expect(same.output('PSA Status')[0].json).toMatchObject({ changed: false, currentStatusFrom: 'psa' });
		expect(psaRequests(fx.sandbox)).toEqual({ 'GET /service/tickets/{id}': 1, total: 1 });

		fx.sandbox.resetLog();
		const waiting = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'name', statusName: 'Waiting Customer' })]));
		expect(waiting.output('PSA Status')[0].json).toMatchObject({ changed: true });
		expect(psaRequests(fx.sandbox).total).toBe(1);
	});

	it('a status remembered as already set but changed by a technician in the PSA is set again', async () => {
		const set = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'name', statusName: 'In Progress' })]));
		expect(set.error).toBeUndefined();
		const waiting = fx.sandbox.db.statuses.find((candidate) => candidate.board.id === 1 && candidate.name === 'Waiting Customer');
		fx.sandbox.changeTicket(statusTicket, { statusId: waiting!.id });

		fx.sandbox.resetLog();
		const again = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'name', statusName: 'In Progress' })]));
		expect(again.output('PSA Status')[0].json).toMatchObject({ changed: true, previousStatus: { name: 'Waiting Customer' }, currentStatusFrom: 'psa' });
		expect(psaRequests(fx.sandbox)).toEqual({ 'GET /service/tickets/{id}': 1, 'PATCH /service/tickets/{id}': 1, total: 2 });
		expect(fx.sandbox.db.tickets.find((ticket) => ticket.id === statusTicket)?.status.name).toBe('In Progress');
	});

	it('a status that is not on the ticket\'s board is an error listing the valid ones, with no PATCH', async () => {
		fx.sandbox.resetLog();
		const run = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'name', statusName: 'Investigating' }, true)]));
		const out = run.output('PSA Status')[0].json;
		expect(out.kind).toBe('invalid-input');
		expect(String(out.hint)).toContain('"In Progress"');
		expect(String(out.hint)).not.toContain('Old Queue');
		expect(writes()).toBe(0);
	});

	it('sets by id and by external state (status map, then same-name fallback); Map External State fills the map', async () => {
		const helpDesk = fx.sandbox.db.statuses.filter((candidate) => candidate.board.id === 1);
		const inProgress = helpDesk.find((candidate) => candidate.name === 'In Progress');
		const byId = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'id', statusId: inProgress?.id })]));
		expect(byId.output('PSA Status')[0].json).toMatchObject({ status: { id: inProgress?.id }, chosenBy: 'id' });

		const waiting = helpDesk.find((candidate) => candidate.name === 'Waiting Customer');
		fx.sandbox.resetLog();
		const mapped = await fx.engine.run(
			chainWorkflow([{ name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'mapExternalState', boardId: 1, externalState: 'Acknowledged', statusId: waiting?.id } }]),
		);
		expect(mapped.output('PSA Status')[0].json).toMatchObject({ boardId: 1, externalState: 'acknowledged', statusId: waiting?.id, statusName: 'Waiting Customer' });
		expect(psaRequests(fx.sandbox).total).toBe(0);

		const ack = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'external', externalState: 'acknowledged' })]));
		expect(ack.output('PSA Status')[0].json).toMatchObject({ status: { name: 'Waiting Customer' }, chosenBy: 'status-map' });
		const resolved = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'external', externalState: 'resolved' })]));
		expect(resolved.output('PSA Status')[0].json).toMatchObject({ status: { name: 'Resolved', closed: true }, chosenBy: 'status-name' });
		const unknown = await fx.engine.run(chainWorkflow([status({ operation: 'set', statusBy: 'external', externalState: 'flapping' }, true)]));
		expect(unknown.output('PSA Status')[0].json).toMatchObject({ kind: 'not-found' });
		expect(String(unknown.output('PSA Status')[0].json.hint)).toContain('Map External State');
	});

	it('Close picks the board\'s closed status, Reopen its default; Get reads the ticket (1 request)', async () => {
		const closed = await fx.engine.run(chainWorkflow([status({ operation: 'close' })]));
		expect(closed.output('PSA Status')[0].json).toMatchObject({ status: { closed: true } });
		expect(fx.sandbox.db.tickets.find((ticket) => ticket.id === statusTicket)?.closedFlag).toBe(true);

		const reopened = await fx.engine.run(chainWorkflow([status({ operation: 'reopen' })]));
		expect(reopened.output('PSA Status')[0].json).toMatchObject({ status: { name: 'New', closed: false }, chosenBy: 'default-status', changed: true });

		fx.sandbox.resetLog();
		const got = await fx.engine.run(chainWorkflow([status({ operation: 'get' })]));
		expect(got.output('PSA Status')[0].json).toMatchObject({ ticketId: statusTicket, status: { name: 'New' }, board: { id: 1 }, closed: false });
		expect(psaRequests(fx.sandbox)).toEqual({ 'GET /service/tickets/{id}': 1, total: 1 });
	});

	it('a ticket this process has not seen costs one GET to learn its board; a change in the PSA is seen with Read Current Status', async () => {
		const foreign = fx.sandbox.addTicket({ summary: 'Created in the PSA', company: { id: 251 }, board: { id: 2 } });
		expect(foreign).toBeDefined();
		fx.sandbox.resetLog();
		const run = await fx.engine.run(
			chainWorkflow([status({ operation: 'set', ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: String(foreign?.id) }, statusBy: 'name', statusName: 'Monitoring' })]),
		);
		expect(run.output('PSA Status')[0].json).toMatchObject({ board: { id: 2 }, status: { name: 'Monitoring' }, currentStatusFrom: 'psa' });
		expect(fx.sandbox.requests.filter((request) => request.method === 'GET' && request.path === `/service/tickets/${foreign?.id}`)).toHaveLength(1);

		// Someone moves it back in the PSA; with Read Current Status the node sees it and moves it again.
		const investigating = fx.sandbox.db.statuses.find((candidate) => candidate.board.id === 2 && candidate.name === 'Investigating');
		fx.sandbox.changeTicket(foreign.id, { statusId: investigating!.id });
		const reread = await fx.engine.run(
			chainWorkflow([
				status({ operation: 'set', ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: String(foreign?.id) }, statusBy: 'name', statusName: 'Monitoring', options: { readCurrent: true } }),
			]),
		);
		expect(reread.output('PSA Status')[0].json).toMatchObject({ changed: true, previousStatus: { name: 'Investigating' }, currentStatusFrom: 'psa' });
	});
});
