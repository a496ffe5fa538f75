// PSA Trigger on Autotask: webhook registration (fields, our API user excluded), signed callouts into webhook(), filters applied on receipt, forgeries, removal.
import type { INodeParameters } from 'n8n-workflow';
import { AUTOTASK_CREDENTIAL, chainWorkflow, startAutotaskEngineFixture, type AutotaskEngineFixture } from '../engine/setup';
import { sharedCache, storeFor, storeOptionsOf } from '../../nodes/shared/context';
import { API_USER_ID } from '../sandbox/autotask';
import { startReceiver, type ReceivedRequest, type Receiver } from '../sandbox/receiver';
import { TriggerWorkflow, type IncomingCallback } from './harness';

let fx: AutotaskEngineFixture;
let receiver: Receiver;
const MONITORING_QUEUE = 8;
const HELPDESK_QUEUE = 29683325;
const STATUS = { inProgress: 8, complete: 5 };

beforeAll(async () => {
	fx = await startAutotaskEngineFixture();
	receiver = await startReceiver();
});

afterAll(async () => {
	await receiver?.stop();
	await fx?.close();
});

let workflows = 0;
function triggerWorkflow(parameters: INodeParameters): TriggerWorkflow {
	const stored = fx.engine.credentials.get(AUTOTASK_CREDENTIAL.id);
	if (!stored) throw new Error('Autotask sandbox credential missing');
	return new TriggerWorkflow({
		id: `at${++workflows}`,
		webhookBaseUrl: `${receiver.url}/webhook`,
		parameters: { authentication: 'autotaskPsaApi', events: ['added', 'updated'], ticketState: 'any', options: {}, ...parameters },
		credentials: [stored],
		nodeCredentials: { autotaskPsaApi: AUTOTASK_CREDENTIAL },
	});
}

const queue = (id: number) => ({ __rl: true, mode: 'id', value: String(id) });

async function captured(wf: TriggerWorkflow, change: () => unknown | Promise<unknown>, expected = 1): Promise<IncomingCallback[]> {
	const before = fx.sandbox.deliveries.length;
	const receivedBefore = receiver.received.length;
	await change();
	if (expected > 0) await fx.sandbox.waitForDeliveries(before + expected, 5000);
	else await new Promise((resolve) => setTimeout(resolve, 100));
	const path = new URL(wf.webhookUrl).pathname;
	return receiver.received.slice(receivedBefore).filter((request: ReceivedRequest) => request.path === path);
}

const webhooksOf = (wf: TriggerWorkflow) => fx.sandbox.db.webhooks.filter((webhook) => webhook.webhookUrl === wf.webhookUrl);

it('activation registers one webhook with its fields and our API user excluded; activating again finds it; delete removes it', async () => {
	const wf = triggerWorkflow({ boardId: queue(MONITORING_QUEUE) });
	expect(await wf.activate()).toBe('created');
	const [webhook] = webhooksOf(wf);
	expect(webhooksOf(wf)).toHaveLength(1);
	expect(webhook).toMatchObject({ isActive: true, isSubscribedToCreateEvents: true, isSubscribedToUpdateEvents: true });
	expect(webhook.secretKey.length).toBeLessThanOrEqual(64);
	const fields = fx.sandbox.db.webhookFields.filter((field) => field.webhookID === webhook.id);
	expect(fields.map((field) => field.fieldID).sort((a, b) => a - b)).toEqual([1, 2, 5, 6, 11, 14, 31]);
	expect(fields.every((field) => field.isDisplayAlwaysField)).toBe(true);
	const excluded = fx.sandbox.db.webhookExcludedResources.filter((entry) => entry.webhookID === webhook.id);
	expect(excluded.map((entry) => entry.resourceID)).toEqual([API_USER_ID]);
	expect(await wf.activate()).toBe('exists');
	expect(webhooksOf(wf)).toHaveLength(1);
	expect(await wf.delete()).toBe(true);
	expect(webhooksOf(wf)).toHaveLength(0);
});

it("a technician's change runs the workflow with the link; another queue's ticket is filtered on receipt; our own change is never sent", async () => {
	const link = await fx.engine.run(
		chainWorkflow([
			{
				name: 'Link',
				type: 'psaLink',
				credentials: { autotaskPsaApi: AUTOTASK_CREDENTIAL },
				parameters: { authentication: 'autotaskPsaApi', operation: 'link', source: 'nagios', externalId: 'web01-disk', summary: 'Disk full on web01', company: { __rl: true, mode: 'id', value: '175' }, boardId: MONITORING_QUEUE, additionalFields: {} },
			},
		]),
	);
	const ticketId = link.output('Link')[0].json.ticketId as number;
	const wf = triggerWorkflow({ boardId: queue(MONITORING_QUEUE), ticketState: 'closed', options: { linkedOnly: true } });
	await wf.activate();

	const [closed] = await captured(wf, () => fx.sandbox.changeTicket(ticketId, { status: STATUS.complete }));
	if (!closed) throw new Error(`no callout reached the trigger: ${JSON.stringify(fx.sandbox.deliveries.slice(-2))}`);
	const delivered = await wf.deliver(closed);
	expect(delivered.items).toHaveLength(1);
	expect(delivered.items[0]).toMatchObject({ ticketId, action: 'updated', link: { source: 'nagios', externalId: 'web01-disk' } });
	expect(delivered.output('Resolve alert')).toHaveLength(1);

	const other = fx.sandbox.addTicket({ companyID: 175, title: 'Printer jam', status: 1, priority: 2, queueID: HELPDESK_QUEUE });
	const [elsewhere] = await captured(wf, () => fx.sandbox.changeTicket(other.id, { status: STATUS.complete }));
	expect((await wf.deliver(elsewhere)).items).toHaveLength(0);

	// PSA Status as the API user: Autotask leaves the excluded resource's changes out.
	const deliveriesBefore = fx.sandbox.deliveries.length;
	const reopened = await fx.engine.run(
		chainWorkflow([
			{
				name: 'Status',
				type: 'psaStatus',
				credentials: { autotaskPsaApi: AUTOTASK_CREDENTIAL },
				parameters: { authentication: 'autotaskPsaApi', operation: 'set', ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: String(ticketId) }, statusBy: 'name', statusName: 'In Progress', options: {} },
			},
		]),
	);
	expect(reopened.error).toBeUndefined();
	await new Promise((resolve) => setTimeout(resolve, 200));
	expect(fx.sandbox.deliveries.slice(deliveriesBefore).filter((delivery) => delivery.url === wf.webhookUrl)).toHaveLength(0);
	await wf.delete();
});

it('a forged or unsigned callout is refused with 401 and starts nothing', async () => {
	const wf = triggerWorkflow({});
	await wf.activate();
	const ticket = fx.sandbox.addTicket({ companyID: 175, title: 'Forged', status: 1, priority: 2, queueID: MONITORING_QUEUE });
	const [genuine] = await captured(wf, () => fx.sandbox.changeTicket(ticket.id, { status: STATUS.inProgress }));
	const forged = { body: genuine.body.replace(`"Id":${ticket.id}`, `"Id":${ticket.id + 1}`), headers: genuine.headers };
	const result = await wf.deliver(forged);
	expect(result.response.statusCode).toBe(401);
	expect(result.items).toHaveLength(0);
	const unsigned = await wf.deliver({ body: genuine.body, headers: { 'content-type': 'application/json' } });
	expect(unsigned.response.statusCode).toBe(401);
	expect((await wf.deliver(genuine)).items).toHaveLength(1);
	await wf.delete();
});

it('a webhook whose key is not in the state store (registered by an older version) verifies nothing and is replaced on the next activation', async () => {
	const wf = triggerWorkflow({});
	expect(await wf.activate()).toBe('created');
	const [registered] = webhooksOf(wf);
	// What an older version left: the webhook, signed with a key derived from the credential, and no stored key.
	registered.secretKey = 'derived-from-the-credential-secret';
	const store = await storeFor(storeOptionsOf(undefined));
	const connection = (await store.connections.list()).find((candidate) => candidate.provider === 'autotask');
	if (!connection) throw new Error('the Autotask connection was not recorded');
	expect(await store.callbackSecrets.remove(connection.connectionId, String(wf.workflow.id), String(wf.node.id))).toBe(true);
	sharedCache.invalidate(connection.connectionId);

	const ticket = fx.sandbox.addTicket({ companyID: 175, title: 'Old webhook', status: 1, priority: 2, queueID: MONITORING_QUEUE });
	const [old] = await captured(wf, () => fx.sandbox.changeTicket(ticket.id, { status: STATUS.inProgress }));
	const refused = await wf.deliver(old);
	expect(refused.response.statusCode).toBe(401);
	expect(refused.run).toBeUndefined();

	// n8n runs checkExists on every start and activation: the webhook is not counted as this trigger's, so it is replaced.
	expect(await wf.activate()).toBe('created');
	const [replacement] = webhooksOf(wf);
	expect(webhooksOf(wf)).toHaveLength(1);
	expect(replacement.id).not.toBe(registered.id);
	expect(replacement.secretKey).not.toBe('derived-from-the-credential-secret');
	const [fresh] = await captured(wf, () => fx.sandbox.changeTicket(ticket.id, { status: STATUS.complete }));
	expect((await wf.deliver(fresh)).items).toHaveLength(1);
	expect((await wf.deliver(old)).response.statusCode).toBe(401);
	await wf.delete();
	expect(await store.callbackSecrets.get(connection.connectionId, String(wf.workflow.id), String(wf.node.id))).toBeUndefined();
});
