// The nodes as an AI agent's tools, run by n8n's engine the way n8n 2.30's AI Agent has them run: tolerant model input, structured errors, idempotent repeats.
import type { IExecuteFunctions, INode } from 'n8n-workflow';
import { PsaError } from '../../lib/providers/errors';
import { toolErrorOf } from '../../nodes/shared/tool';
import { Engine, type EngineRun } from '../engine/harness';
import { chainWorkflow, sourceTypes, startEngineFixture, type EngineFixture, type NodeSpec } from '../engine/setup';

/**
 * n8n registers a `usableAsTool` node a second time as "<type>Tool" (tool-generation/ai-tools in n8n 2.30), and its AI
 * Agent (v3) asks the engine to run that node with the model's arguments as the input item; `$fromAI()` in the node's
 * parameters reads them. The same here: the tool types are the node classes under their tool names, the pinned item is
 * what the model sent.
 */
const toolTypes = {
	...sourceTypes,
	nodes: { ...sourceTypes.nodes, psaLinkTool: sourceTypes.nodes.psaLink, psaNoteTool: sourceTypes.nodes.psaNote, psaStatusTool: sourceTypes.nodes.psaStatus },
};

let fx: EngineFixture;
let engine: Engine;

const fromAi = (key: string, description: string, type = 'string') => `={{ $fromAI('${key}', '${description}', '${type}') }}`;

const linkTool: NodeSpec = {
	name: 'link_alert',
	type: 'psaLinkTool',
	parameters: {
		operation: 'link',
		source: 'monitor',
		externalId: fromAi('alertId', 'The alert id'),
		summary: fromAi('summary', 'Ticket title'),
		company: { __rl: true, mode: 'id', value: fromAi('company', 'Company id or name') },
		boardId: fromAi('board', 'Board id or name'),
		additionalFields: { priorityId: fromAi('priority', 'Priority id or name') },
	},
};

const noteTool: NodeSpec = {
	name: 'add_note',
	type: 'psaNoteTool',
	parameters: {
		operation: 'add',
		ticketBy: 'ticket',
		ticket: { __rl: true, mode: 'id', value: fromAi('ticketId', 'The ticket id', 'number') },
		text: fromAi('text', 'The note text'),
		noteType: fromAi('noteType', 'internal, discussion or resolution'),
	},
};

const statusTool = (statusBy: 'name' | 'id'): NodeSpec => ({
	name: 'set_status',
	type: 'psaStatusTool',
	parameters: {
		operation: 'set',
		ticketBy: 'ticket',
		ticket: { __rl: true, mode: 'id', value: fromAi('ticketId', 'The ticket id', 'number') },
		statusBy,
		...(statusBy === 'name' ? { statusName: fromAi('status', 'Status name') } : { statusId: fromAi('status', 'Status id') }),
	},
});

/** One tool call: the node run with the model's arguments; a tool never fails the run, its answer is the output. */
async function call(tool: NodeSpec, args: Record<string, unknown>): Promise<Record<string, unknown>> {
	const run: EngineRun = await engine.run(chainWorkflow([tool], [args]));
	expect(run.error).toBeUndefined();
	const items = run.output(tool.name);
	expect(items).toHaveLength(1);
	return items[0].json as Record<string, unknown>;
}

const ticketsOf = (externalId: string) => fx.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === `monitor:${externalId}`);

beforeAll(async () => {
	fx = await startEngineFixture();
	engine = new Engine(toolTypes);
	for (const credential of fx.engine.credentials.values()) engine.addCredential(credential);
});

afterAll(async () => {
	await fx?.close();
});

describe('PSA nodes as AI-agent tools', () => {
	let ticketId: number;

	it('Link takes names where ids are expected (resolved through the dropdown lists, said in the output); the same call twice is one ticket', async () => {
		const args = { alertId: 'agent-1', summary: 'Disk full on web01', company: 'acme corp', board: 'Help Desk', priority: 'priority 2 - high' };
		const first = await call(linkTool, args);
		expect(first).toMatchObject({ created: true });
		ticketId = first.ticketId as number;
		expect(first.resolved).toEqual(
			expect.arrayContaining([
				{ field: 'company', given: 'acme corp', id: 250, name: 'Acme Corp' },
				{ field: 'boardId', given: 'Help Desk', id: 1, name: 'Help Desk' },
				{ field: 'priorityId', given: 'priority 2 - high', id: 2, name: 'Priority 2 - High' },
			]),
		);
		const again = await call(linkTool, args);
		expect(again).toMatchObject({ created: false, ticketId });
		expect(ticketsOf('agent-1')).toHaveLength(1);
		expect(ticketsOf('agent-1')[0]).toMatchObject({ company: { id: 250 }, board: { id: 1 }, priority: { id: 2 } });
	});

	it('numbers given as text are numbers: a board id " 1 ", a ticket id and a status id as text', async () => {
		const linked = await call(linkTool, { alertId: 'agent-2', summary: 'CPU high', company: '250', board: ' 1 ', priority: '3' });
		expect(linked).toMatchObject({ created: true });
		expect(linked.resolved).toBeUndefined();
		const status = await call(statusTool('id'), { ticketId: String(linked.ticketId), status: '102' });
		expect(status).toMatchObject({ changed: true, ticketId: linked.ticketId });
	});

	it('a name that matches two records is refused with the candidates, and nothing is written', async () => {
		// Two companies of one name (identifiers differ, and a unique identifier would be taken as the company).
		const globex = fx.sandbox.db.companies.find((company) => company.id === 251)!;
		fx.sandbox.db.companies.push({ ...globex, id: 260, identifier: 'InitrodeEast', name: 'Initrode' }, { ...globex, id: 261, identifier: 'InitrodeWest', name: 'Initrode' });
		const writesBefore = fx.sandbox.requests.filter((request) => request.method !== 'GET').length;
		try {
			const refused = await call(linkTool, { alertId: 'agent-3', summary: 'Printer', company: 'initrode', board: 'Help Desk', priority: '3' });
			expect(refused).toMatchObject({ errorType: 'invalid-input' });
			expect(refused.message).toMatch(/"initrode" names 2 records/);
			expect(refused.nextAction).toMatch(/Initrode \(260\), Initrode \(261\)/);
			expect(refused.nextAction).toMatch(/call the tool again/i);
			expect(fx.sandbox.requests.filter((request) => request.method !== 'GET').length).toBe(writesBefore);
			expect(ticketsOf('agent-3')).toHaveLength(0);
		} finally {
			fx.sandbox.db.companies = fx.sandbox.db.companies.filter((company) => company.id < 260);
		}
	});

	it('the same note twice is one note: without a dedupe key one is derived from ticket and text; the note type in any case', async () => {
		const args = { ticketId, text: 'Agent: log rotation started on web01', noteType: 'Internal' };
		const first = await call(noteTool, args);
		expect(first).toMatchObject({ ticketId, deduplicated: false, type: 'internal' });
		expect(first.dedupeKey).toMatch(new RegExp(`^text:${ticketId}:[0-9a-f]{32}$`));
		const again = await call(noteTool, { ...args, ticketId: String(ticketId) });
		expect(again).toMatchObject({ ticketId, deduplicated: true, noteId: first.noteId, dedupeKey: first.dedupeKey });
		const notes = fx.sandbox.db.notes.filter((note) => note.ticketId === ticketId && note.text === args.text);
		expect(notes).toHaveLength(1);
		expect(notes[0].internalAnalysisFlag).toBe(true);
	});

	it('a bad enum value is refused with the valid ones; a bad status name is a structured error, then the corrected call works', async () => {
		const badType = await call(noteTool, { ticketId, text: 'x', noteType: 'secret' });
		expect(badType).toMatchObject({ errorType: 'invalid-input' });
		expect(badType.nextAction).toMatch(/"internal" \(Internal\)/);

		const bad = await call(statusTool('name'), { ticketId, status: 'Done' });
		expect(Object.keys(bad).sort()).toEqual(['errorType', 'message', 'nextAction']);
		expect(bad).toMatchObject({ errorType: 'invalid-input' });
		expect(`${bad.message} ${bad.nextAction}`).toMatch(/In Progress/);
		expect(JSON.stringify(bad)).not.toMatch(/\bat .*\.ts:\d+/);

		const fixed = await call(statusTool('name'), { ticketId, status: 'in progress' });
		expect(fixed).toMatchObject({ changed: true, ticketId });
		expect(fx.sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.status?.id).toBe(102);
		const repeated = await call(statusTool('name'), { ticketId, status: 'In Progress' });
		expect(repeated).toMatchObject({ changed: false });
	});

	it('a failure the model cannot fix says so, and carries no credential value', async () => {
		const stored = [...fx.engine.credentials.values()][0];
		const wrongKey = 'wrong-private-key-0123456789';
		engine.addCredential({ ...stored, id: 'cw-wrong', name: 'wrong key', data: { ...stored.data, privateKey: wrongKey } });
		const tool = { ...noteTool, credentials: { connectWisePsaApi: { id: 'cw-wrong', name: 'wrong key' } } } as NodeSpec;
		const failed = await call(tool, { ticketId, text: 'never posted', noteType: 'internal' });
		expect(failed).toMatchObject({ errorType: 'authentication' });
		expect(failed.nextAction).toMatch(/tell the user/);
		const text = JSON.stringify(failed);
		for (const secret of [wrongKey, stored.data.privateKey, stored.data.publicKey]) expect(text).not.toContain(String(secret));
	});

	it('outside an agent the same node still fails the run with the n8n error (the tool behaviour is for tools only)', async () => {
		const run = await fx.engine.run(
			chainWorkflow([{ name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'set', ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: String(ticketId) }, statusBy: 'name', statusName: 'Done' } }]),
		);
		expect(run.error?.message).toMatch(/Status "Done"/);
		expect(run.output('PSA Status')).toEqual([]);
	});
});

describe('toolErrorOf', () => {
	const fns = {
		getNode: () => ({ parameters: {} }) as unknown as INode,
		getCredentials: async () => ({ privateKey: 'a-private-key-value', site: 'x' }),
	} as unknown as IExecuteFunctions;

	it('a throttled PSA: retryAfter in seconds and the next step is to wait', async () => {
		const error = new PsaError('rate-limited', 'The PSA throttled the connection', { retryAfterMs: 12_300, status: 429 });
		const result = await toolErrorOf(fns, error);
		expect(result).toEqual({ errorType: 'rate-limited', message: 'The PSA throttled the connection', nextAction: expect.stringMatching(/^Wait retryAfter seconds/), retryAfter: 13 });
	});

	it('a credential value in a message is redacted', async () => {
		const result = await toolErrorOf(fns, new Error('request failed with key a-private-key-value'));
		expect(result.message).toBe('request failed with key [redacted]');
		expect(result.errorType).toBe('error');
	});
});
