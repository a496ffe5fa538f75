// Warnings with items in parallel, through n8n's engine against the sandbox: each output item carries the warnings its own requests brought.
import { chainWorkflow, startEngineFixture, type EngineFixture } from '../engine/setup';

let fx: EngineFixture;

beforeAll(async () => {
	fx = await startEngineFixture();
});

afterAll(async () => {
	await fx?.close();
});

const closeByTicketId = (options: Record<string, unknown> = {}) => ({
	name: 'PSA Status',
	type: 'psaStatus',
	parameters: {
		operation: 'close',
		ticketBy: 'ticket',
		ticket: { __rl: true, mode: 'id', value: '={{ $json.ticket }}' },
		options: { readCurrent: true, ...options },
	},
});

describe('warnings with items in parallel', () => {
	afterEach(() => {
		fx.sandbox.clearVersionPolicies();
	});

	it('a deprecation stays on the item whose request met it, though another item finished while that one still ran', async () => {
		const warned = fx.sandbox.addTicket({ summary: 'On a deprecated endpoint', company: { id: 250 }, board: { id: 1 } });
		const plain = fx.sandbox.addTicket({ summary: 'On a plain endpoint', company: { id: 250 }, board: { id: 1 } });
		// Only the first item's ticket is served as deprecated. Its read answers at once and its change takes 600 ms; the
		// second item's read takes 200 ms, so it finishes after the warning arrived and before the first item is done.
		fx.sandbox.setVersionPolicy({ path: `/service/tickets/${warned.id}`, deprecation: '@1767225600' });
		fx.sandbox.addFault({ method: 'PATCH', path: `/service/tickets/${warned.id}`, kind: 'latency', ms: 600, times: 1 });
		fx.sandbox.addFault({ method: 'GET', path: `/service/tickets/${plain.id}`, kind: 'latency', ms: 200, times: 1 });

		const run = await fx.engine.run(chainWorkflow([closeByTicketId()], [{ ticket: String(warned.id) }, { ticket: String(plain.id) }]));
		expect(run.error).toBeUndefined();

		const [first, second] = run.output('PSA Status');
		expect(first.json).toMatchObject({ ticketId: warned.id, status: { closed: true } });
		expect(first.json.warnings).toEqual([expect.objectContaining({ kind: 'deprecation', endpoint: '/service/tickets/{id}', message: expect.stringContaining('since 2026-01-01') })]);
		expect(second.json).toMatchObject({ ticketId: plain.id, status: { closed: true } });
		expect(second.json).not.toHaveProperty('warnings');
	});

	it('continueOnFail: a failing item keeps the warning its own request brought, the item beside it gets none', async () => {
		const warned = fx.sandbox.addTicket({ summary: 'Deprecated, then refused', company: { id: 250 }, board: { id: 1 } });
		const plain = fx.sandbox.addTicket({ summary: 'Plain, and slow', company: { id: 250 }, board: { id: 1 } });
		fx.sandbox.setVersionPolicy({ path: `/service/tickets/${warned.id}`, deprecation: '@1767225600' });
		// The first item's change is refused with a 503 on every attempt (retried with backoff for seconds); the second item is done after 200 ms.
		fx.sandbox.addFault({ method: 'PATCH', path: `/service/tickets/${warned.id}`, kind: 'status', status: 503, times: 5 });
		fx.sandbox.addFault({ method: 'GET', path: `/service/tickets/${plain.id}`, kind: 'latency', ms: 200, times: 1 });

		const run = await fx.engine.run(
			chainWorkflow([{ ...closeByTicketId(), continueOnFail: true }], [{ ticket: String(warned.id) }, { ticket: String(plain.id) }]),
		);
		expect(run.error).toBeUndefined();
		const [first, second] = run.output('PSA Status');
		expect(first.json.error).toBeDefined();
		expect(first.json.warnings).toEqual([expect.objectContaining({ kind: 'deprecation', endpoint: '/service/tickets/{id}' })]);
		expect(second.json).toMatchObject({ ticketId: plain.id, status: { closed: true } });
		expect(second.json).not.toHaveProperty('warnings');
	});
});
