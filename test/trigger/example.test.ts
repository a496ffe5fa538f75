// docs/examples/ticket-closed-resolve-alert.json as exported: a ticket closed in the sandbox PSA resolves the linked alert in a (local) monitoring system.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chainWorkflow, startEngineFixture, type EngineFixture } from '../engine/setup';
import type { WorkflowJson } from '../engine/harness';
import { startReceiver, type Receiver } from '../sandbox/receiver';
import { withoutCallbackToken } from '../../lib/providers/connectwise/callback-token';
import { TriggerWorkflow } from './harness';

let fx: EngineFixture;
let receiver: Receiver;
let wf: TriggerWorkflow;
const EXAMPLE = join(__dirname, '..', '..', 'docs', 'examples', 'ticket-closed-resolve-alert.json');
const MONITORING = 'https://monitoring.example.com';

beforeAll(async () => {
	fx = await startEngineFixture();
	const credential = { id: 'psaBridgeSandbox', name: 'ConnectWise PSA sandbox', type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site } };
	fx.engine.addCredential(credential);
	receiver = await startReceiver();
	const text = readFileSync(EXAMPLE, 'utf8');
	expect(text).toContain(MONITORING);
	// The receiver plays both ConnectWise's callback target and the monitoring system.
	const json = JSON.parse(text.split(MONITORING).join(receiver.url)) as WorkflowJson;
	wf = new TriggerWorkflow({ id: 'example', webhookBaseUrl: `${receiver.url}/webhook`, parameters: {}, credentials: [credential], workflow: json });
	expect(await wf.activate()).toBe('created');
});

afterAll(async () => {
	await wf?.delete();
	await receiver?.stop();
	await fx?.close();
});

async function closeAndDeliver(ticketId: number, statusId: number) {
	const before = fx.sandbox.deliveries.length;
	const receivedBefore = receiver.received.length;
	fx.sandbox.changeTicket(ticketId, { statusId });
	await fx.sandbox.waitForDeliveries(before + 1, 5000);
	const [callback] = receiver.received.slice(receivedBefore);
	const delivered = await wf.deliver(callback);
	return { delivered, monitoring: receiver.received.slice(receivedBefore + 1) };
}

it('registers a board-level callback on Help Desk for this workflow', () => {
	const callbacks = fx.sandbox.db.callbacks.filter((callback) => withoutCallbackToken(callback.url) === wf.webhookUrl);
	expect(callbacks.map((callback) => [callback.level, callback.objectId])).toEqual([['board', 1]]);
});

it('closing a linked ticket in the PSA posts one resolve to the monitoring system with the alert id; open or unlinked tickets post nothing', async () => {
	const link = await fx.engine.run(
		chainWorkflow(
			[
				{
					name: 'Link',
					type: 'psaLink',
					parameters: { operation: 'link', source: 'monitor', externalId: 'cpu db01', summary: 'CPU high on db01', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} },
				},
			],
		),
	);
	const ticketId = link.output('Link')[0].json.ticketId as number;

	const stillOpen = await closeAndDeliver(ticketId, 102);
	expect(stillOpen.delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'ticket is not closed' } });
	expect(stillOpen.monitoring).toHaveLength(0);

	const closed = await closeAndDeliver(ticketId, 104);
	expect(closed.delivered.run?.data.resultData.error).toBeUndefined();
	expect(closed.monitoring).toHaveLength(1);
	expect(closed.monitoring[0].path).toBe('/api/alerts/cpu%20db01/resolve');
	expect(JSON.parse(closed.monitoring[0].body)).toEqual({
		source: 'monitor',
		alertId: 'cpu db01',
		ticketId,
		status: 'Resolved',
		closedBy: 'jsmith',
		ticketUrl: expect.stringContaining(String(ticketId)),
	});

	const unlinked = fx.sandbox.addTicket({ summary: 'Password reset', company: { id: 250 }, board: { id: 1 } });
	const notLinked = await closeAndDeliver(unlinked.id, 105);
	expect(notLinked.delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'ticket is not linked' } });
	expect(notLinked.monitoring).toHaveLength(0);
});
