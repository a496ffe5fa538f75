// PSA Catch-Up Trigger through n8n's engine (PollContext, then the run from the trigger) on both PSAs: a change no callback brought runs once, requests counted; with a PSA Trigger in the same workflow a change both see runs once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INode } from 'n8n-workflow';
import { Engine, PACKAGE, type WorkflowJson } from '../engine/harness';
import { autotaskRequests, chainWorkflow, psaRequests, sourceTypes, startAutotaskEngineFixture, startEngineFixture, startHaloEngineFixture, AUTOTASK_CREDENTIAL, HALO_CREDENTIAL, PSA_CREDENTIAL } from '../engine/setup';
import { startReceiver, type ReceivedRequest, type Receiver } from '../sandbox/receiver';
import { withoutCallbackToken } from '../../lib/providers/connectwise/callback-token';
import { HttpRequest, TriggerWorkflow, trigger } from '../trigger/harness';

/** What the tests need of one PSA's sandbox, in the same words for both. */
interface Psa {
	name: string;
	engine: Engine;
	credentials: INode['credentials'];
	authentication: Record<string, string>;
	/** The search the catch-up makes, as the sandbox counts it. */
	searchRequest: string;
	requests(): Record<string, number>;
	resetLog(): void;
	/** Seeds an open ticket (no callback), as the API member. */
	addTicket(title: string): number;
	/** A technician changes the ticket in the PSA's UI (to another open status each time). */
	personChanges(id: number, step: number): void;
	/** PSA Status parameters that move the ticket to an open status (the package's own change). */
	ownStatus: Record<string, unknown>;
	close(): Promise<void>;
}

async function connectWise(): Promise<Psa> {
	const fx = await startEngineFixture();
	return {
		name: 'ConnectWise',
		engine: fx.engine,
		credentials: { connectWisePsaApi: PSA_CREDENTIAL },
		authentication: {},
		searchRequest: 'GET /service/tickets',
		requests: () => psaRequests(fx.sandbox),
		resetLog: () => fx.sandbox.resetLog(),
		addTicket: (title) => fx.sandbox.addTicket({ summary: title, company: { id: 250 }, board: { id: 1 } }).id as number,
		personChanges: (id, step) => void fx.sandbox.changeTicket(id, { statusId: step % 2 === 0 ? 102 : 103 }),
		ownStatus: { statusBy: 'id', statusId: 101 },
		close: () => fx.close(),
	};
}

async function autotask(): Promise<Psa> {
	const fx = await startAutotaskEngineFixture();
	return {
		name: 'Autotask',
		engine: fx.engine,
		credentials: { autotaskPsaApi: AUTOTASK_CREDENTIAL },
		authentication: { authentication: 'autotaskPsaApi' },
		searchRequest: 'POST /Tickets/query',
		requests: () => autotaskRequests(fx.sandbox).work,
		resetLog: () => fx.sandbox.resetLog(),
		addTicket: (title) => fx.sandbox.addTicket({ companyID: 175, title, status: 1, priority: 2, queueID: 8 }).id,
		personChanges: (id, step) => void fx.sandbox.changeTicket(id, { status: step % 2 === 0 ? 8 : 7 }),
		ownStatus: { statusBy: 'id', statusId: 1 },
		close: () => fx.close(),
	};
}

async function halo(): Promise<Psa> {
	const fx = await startHaloEngineFixture();
	return {
		name: 'HaloPSA',
		engine: fx.engine,
		credentials: { haloPsaApi: HALO_CREDENTIAL },
		authentication: { authentication: 'haloPsaApi' },
		searchRequest: 'GET /Tickets',
		requests: () => fx.sandbox.counters(),
		resetLog: () => fx.sandbox.resetLog(),
		addTicket: (title) => fx.sandbox.addTicket({ summary: title, client_id: 12, tickettype_id: 1, status_id: 1, priority_id: 3 }).id,
		personChanges: (id, step) => void fx.sandbox.changeTicket(id, { status_id: step % 2 === 0 ? 2 : 3 }),
		ownStatus: { statusBy: 'id', statusId: 1 },
		close: () => fx.close(),
	};
}

const secondBoundary = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe.each([
	['ConnectWise', connectWise],
	['Autotask', autotask],
	['HaloPSA', halo],
])('%s', (_name, start) => {
	let psa: Psa;
	beforeAll(async () => {
		psa = await start();
	});
	afterAll(async () => {
		await psa?.close();
	});

	function catchUpWorkflow(id: string, parameters: Record<string, unknown> = {}): WorkflowJson {
		const node: INode = {
			id: `${id}-catch-up`,
			name: 'PSA Catch-Up Trigger',
			type: `${PACKAGE}.psaCatchUpTrigger`,
			typeVersion: 1,
			position: [0, 0],
			parameters: { ...psa.authentication, events: ['added', 'updated'], ticketState: 'any', options: {}, ...parameters },
			credentials: psa.credentials,
		};
		return { id, name: `catch-up ${id}`, nodes: [node], connections: {}, settings: { executionOrder: 'v1' } };
	}

	it('the first poll only sets the starting point (no search); a change made meanwhile runs once, as updated, in one search; the next poll runs nothing', async () => {
		const workflow = catchUpWorkflow(`first-${psa.name}`);
		const ticketId = psa.addTicket('Printer jam');
		await secondBoundary();
		psa.resetLog();
		expect((await psa.engine.poll(workflow, 'PSA Catch-Up Trigger')).polled).toBeNull();
		expect(psa.requests()[psa.searchRequest] ?? 0).toBe(0);
		await secondBoundary();
		psa.personChanges(ticketId, 1);
		psa.resetLog();
		const caught = await psa.engine.poll(workflow, 'PSA Catch-Up Trigger');
		expect(caught.items).toEqual([expect.objectContaining({ action: 'updated', ticketId, via: 'catch-up' })]);
		expect(caught.run?.error).toBeUndefined();
		expect(caught.output('PSA Catch-Up Trigger')).toHaveLength(1);
		expect(psa.requests()).toMatchObject({ [psa.searchRequest]: 1 });
		psa.resetLog();
		expect((await psa.engine.poll(workflow, 'PSA Catch-Up Trigger')).polled).toBeNull();
		expect(psa.requests()).toMatchObject({ [psa.searchRequest]: 1, total: 1 });
	});

	it('a manual run previews the changes without using them up; the package\'s own change runs nothing', async () => {
		const workflow = catchUpWorkflow(`manual-${psa.name}`);
		const ticketId = psa.addTicket('VPN down');
		await secondBoundary();
		await psa.engine.poll(workflow, 'PSA Catch-Up Trigger');
		await secondBoundary();
		psa.personChanges(ticketId, 2);
		const preview = await psa.engine.poll(workflow, 'PSA Catch-Up Trigger', 'manual');
		expect(preview.items).toEqual(expect.arrayContaining([expect.objectContaining({ ticketId, via: 'catch-up' })]));
		// The active workflow still gets it, once.
		expect((await psa.engine.poll(workflow, 'PSA Catch-Up Trigger')).items).toEqual([expect.objectContaining({ ticketId })]);
		expect((await psa.engine.poll(workflow, 'PSA Catch-Up Trigger')).polled).toBeNull();

		await secondBoundary();
		const own = await psa.engine.run(
			chainWorkflow([{ name: 'Status', type: 'psaStatus', credentials: psa.credentials, parameters: { ...psa.authentication, operation: 'set', ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: String(ticketId) }, ...psa.ownStatus } }]),
		);
		expect(own.error).toBeUndefined();
		expect((await psa.engine.poll(workflow, 'PSA Catch-Up Trigger')).polled).toBeNull();
	});
});

describe('ConnectWise: PSA Trigger and PSA Catch-Up Trigger in one workflow', () => {
	let receiver: Receiver;
	let fx: Awaited<ReturnType<typeof startEngineFixture>>;
	beforeAll(async () => {
		fx = await startEngineFixture();
		receiver = await startReceiver();
	});
	afterAll(async () => {
		await receiver?.stop();
		await fx?.close();
	});

	/** Makes the change and returns the callback the sandbox sent for it (held back from the trigger until the test delivers it). */
	async function callbackFor(change: () => unknown): Promise<ReceivedRequest> {
		const deliveries = fx.sandbox.deliveries.length;
		const received = receiver.received.length;
		change();
		await fx.sandbox.waitForDeliveries(deliveries + 1, 5000);
		const requests = receiver.received.slice(received);
		expect(requests).toHaveLength(1);
		return requests[0];
	}

	it('a change both see runs the workflow once, whichever sees it first; a change only the catch-up sees runs once', async () => {
		const credential = { connectWisePsaApi: PSA_CREDENTIAL };
		const parameters = { events: ['added', 'updated'], ticketState: 'any', options: {} };
		const json: WorkflowJson = {
			id: 'both-triggers',
			name: 'both triggers',
			nodes: [
				{ id: 'cb', name: 'PSA Trigger', type: `${PACKAGE}.psaTrigger`, typeVersion: 1, position: [0, 0], webhookId: 'both-hook', parameters, credentials: credential },
				{ id: 'poll', name: 'PSA Catch-Up Trigger', type: `${PACKAGE}.psaCatchUpTrigger`, typeVersion: 1, position: [0, 200], parameters, credentials: credential },
			],
			connections: {},
			settings: { executionOrder: 'v1' },
		};
		const engine = new Engine({ ...sourceTypes, nodes: { ...sourceTypes.nodes, psaTrigger: trigger } });
		engine.addCredential(fx.engine.credentials.get(PSA_CREDENTIAL.id) as never);
		const wf = new TriggerWorkflow({
			id: 'both-triggers',
			webhookBaseUrl: `${receiver.url}/webhook`,
			parameters,
			credentials: [fx.engine.credentials.get(PSA_CREDENTIAL.id) as never],
			workflow: json,
			callbackUrl: (candidate) => fx.sandbox.db.callbacks.find((callback) => withoutCallbackToken(callback.url) === candidate.webhookUrl)?.url,
		});
		const first = fx.sandbox.addTicket({ summary: 'Both triggers', company: { id: 250 }, board: { id: 1 } }).id as number;
		await secondBoundary();
		await wf.activate();
		expect((await engine.poll(json, 'PSA Catch-Up Trigger')).polled).toBeNull();
		await secondBoundary();

		// Seen by callback first: the catch-up skips it.
		const callback = await callbackFor(() => fx.sandbox.changeTicket(first, { statusId: 103 }));
		const delivered = await wf.deliver(callback);
		expect(delivered.items).toEqual([expect.objectContaining({ ticketId: first, action: 'updated' })]);
		expect((await engine.poll(json, 'PSA Catch-Up Trigger')).polled).toBeNull();

		// Missed by callback (n8n down): the catch-up runs it; the late callback runs nothing.
		await secondBoundary();
		const late = await callbackFor(() => fx.sandbox.changeTicket(first, { statusId: 102 }));
		const caught = await engine.poll(json, 'PSA Catch-Up Trigger');
		expect(caught.items).toEqual([expect.objectContaining({ ticketId: first, action: 'updated', via: 'catch-up' })]);
		const lateRun = await wf.deliver(late);
		expect(lateRun.run).toBeUndefined();
		expect(lateRun.result.webhookResponse).toMatchObject({ ignored: 'change already seen' });
	});
});

describe('docs/examples/catch-up-trigger.json as exported (ConnectWise)', () => {
	const MONITORING = 'https://monitoring.example.com';
	let receiver: Receiver;
	let fx: Awaited<ReturnType<typeof startEngineFixture>>;
	beforeAll(async () => {
		fx = await startEngineFixture();
		receiver = await startReceiver();
	});
	afterAll(async () => {
		await receiver?.stop();
		await fx?.close();
	});

	it('a linked ticket closed while n8n was down resolves its alert once, at the next poll', async () => {
		const credential = { id: 'psaBridgeSandbox', name: 'ConnectWise PSA sandbox', type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site } };
		const engine = new Engine({ ...sourceTypes, nodes: { ...sourceTypes.nodes, psaTrigger: trigger }, baseNodes: { 'n8n-nodes-base.httpRequest': new HttpRequest() } });
		engine.addCredential(credential);
		fx.engine.addCredential(credential);
		const text = readFileSync(join(__dirname, '..', '..', 'docs', 'examples', 'catch-up-trigger.json'), 'utf8');
		const json = JSON.parse(text.split(MONITORING).join(receiver.url)) as WorkflowJson;
		const poller = 'Ticket closed (missed callbacks)';
		expect(json.connections[poller]).toEqual(json.connections['Ticket closed']);

		const link = await fx.engine.run(
			chainWorkflow([{ name: 'Link', type: 'psaLink', parameters: { operation: 'link', source: 'monitor', externalId: 'disk web02', summary: 'Disk full on web02', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} } }]),
		);
		const ticketId = link.output('Link')[0].json.ticketId as number;
		await secondBoundary();
		expect((await engine.poll(json, poller)).polled).toBeNull();
		await secondBoundary();
		// No callback is registered: the close is missed, as while n8n was down.
		fx.sandbox.changeTicket(ticketId, { statusId: 104 });
		const received = receiver.received.length;
		const caught = await engine.poll(json, poller);
		expect(caught.run?.error).toBeUndefined();
		expect(caught.items).toEqual([expect.objectContaining({ ticketId, via: 'catch-up', link: expect.objectContaining({ externalId: 'disk web02' }) })]);
		const monitoring = receiver.received.slice(received);
		expect(monitoring.map((request) => request.path)).toEqual(['/api/alerts/disk%20web02/resolve']);
		expect(JSON.parse(monitoring[0].body)).toMatchObject({ source: 'monitor', alertId: 'disk web02', ticketId, status: 'Resolved', closedBy: 'jsmith' });
		expect((await engine.poll(json, poller)).polled).toBeNull();
	});
});
