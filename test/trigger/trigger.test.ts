// PSA Trigger against the sandbox: registration lifecycle, real signed callbacks into webhook(), the run that follows, forgeries, replays, echoes and links.
import { sharedCache, storeFor, storeOptionsOf } from '../../nodes/shared/context';
import type { INodeParameters } from 'n8n-workflow';
import { chainWorkflow, startEngineFixture, type EngineFixture } from '../engine/setup';
import { signCallbackBody } from '../sandbox';
import { startReceiver, type ReceivedRequest, type Receiver } from '../sandbox/receiver';
import { CALLBACK_TOKEN_PARAM, withoutCallbackToken } from '../../lib/providers/connectwise/callback-token';
import { TriggerWorkflow, type Delivered, type IncomingCallback } from './harness';

let fx: EngineFixture;
let receiver: Receiver;
const CREDENTIAL = { id: 'cw-sandbox', name: 'ConnectWise sandbox' };
const HELP_DESK = 1;
const STATUS = { new: 101, inProgress: 102, resolved: 104 };

beforeAll(async () => {
	fx = await startEngineFixture();
	receiver = await startReceiver();
});

afterAll(async () => {
	await receiver?.stop();
	await fx?.close();
});

let workflows = 0;
function triggerWorkflow(parameters: INodeParameters): TriggerWorkflow {
	const stored = fx.engine.credentials.get(CREDENTIAL.id);
	if (!stored) throw new Error('sandbox credential missing');
	return new TriggerWorkflow({
		id: `wf${++workflows}`,
		webhookBaseUrl: `${receiver.url}/webhook`,
		parameters: { events: ['added', 'updated'], ticketState: 'any', options: {}, ...parameters },
		credentials: [stored],
		callbackUrl: (wf) => callbackOf(wf)[0]?.url,
	});
}

/** A request's path without its query (the callback token is in the query). */
const pathOf = (target: string) => new URL(target, 'http://n8n.invalid').pathname;

const board = (id: number) => ({ __rl: true, mode: 'id', value: String(id) });

function newTicket(summary: string, companyId = 250): number {
	return fx.sandbox.addTicket({ summary, company: { id: companyId }, board: { id: HELP_DESK } }).id;
}

/** Runs the change, waits for the sandbox's deliveries, and returns what reached this trigger's URL. */
async function captured(wf: TriggerWorkflow, change: () => unknown | Promise<unknown>, expected = 1): Promise<IncomingCallback[]> {
	const before = fx.sandbox.deliveries.length;
	const receivedBefore = receiver.received.length;
	await change();
	if (expected > 0) await fx.sandbox.waitForDeliveries(before + expected, 5000);
	const path = new URL(wf.webhookUrl).pathname;
	return receiver.received.slice(receivedBefore).filter((request: ReceivedRequest) => pathOf(request.path) === path);
}

async function deliverOne(wf: TriggerWorkflow, change: () => unknown | Promise<unknown>): Promise<{ incoming: IncomingCallback; delivered: Delivered }> {
	const requests = await captured(wf, change);
	expect(requests).toHaveLength(1);
	return { incoming: requests[0], delivered: await wf.deliver(requests[0]) };
}

function callbackOf(wf: TriggerWorkflow) {
	return fx.sandbox.db.callbacks.filter((callback) => withoutCallbackToken(callback.url) === wf.webhookUrl);
}

/** A payload the sandbox would send, with a chosen entity, signed with a chosen key. */
function signedPayload(entity: Record<string, unknown>, options: { keyUrl?: string; signingKey?: string; action?: string } = {}): IncomingCallback {
	const body = JSON.stringify({
		MessageId: `m-${Math.random()}`,
		FromUrl: fx.sandbox.url,
		CompanyId: 'sandbox',
		MemberId: 'jsmith',
		Action: options.action ?? 'updated',
		Type: 'ticket',
		ID: entity.id,
		CallbackObjectRecId: HELP_DESK,
		Entity: JSON.stringify(entity),
		Metadata: { key_url: options.keyUrl ?? fx.sandbox.keyUrl },
	});
	return {
		body,
		headers: { 'content-type': 'application/json', 'x-content-signature': signCallbackBody(options.signingKey ?? fx.sandbox.signingKey, body) },
	};
}

function ticketEntity(id: number): Record<string, unknown> {
	return JSON.parse(JSON.stringify(fx.sandbox.db.tickets.find((ticket) => ticket.id === id)));
}

describe('registration lifecycle (webhookMethods against the sandbox)', () => {
	it('create, exists, re-create after removal on the PSA side, delete; one callback per workflow, self-suppressed, id in static data', async () => {
		const wf = triggerWorkflow({ boardId: board(HELP_DESK) });
		expect(await wf.checkExists()).toBe(false);
		expect(await wf.activate()).toBe('created');
		const [registered] = callbackOf(wf);
		expect(callbackOf(wf)).toHaveLength(1);
		expect(registered).toMatchObject({ type: 'ticket', level: 'board', objectId: HELP_DESK, isSelfSuppressedFlag: true });
		expect(wf.webhookUrl).toBe(`${receiver.url}/webhook/${wf.node.webhookId}/webhook`);
		// Registered at n8n's URL plus this callback's own token (43 base64url characters).
		const prefix = `${wf.webhookUrl}?${CALLBACK_TOKEN_PARAM}=`;
		expect(registered.url.startsWith(prefix)).toBe(true);
		expect(registered.url.slice(prefix.length)).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(wf.staticData.callbackId).toBe(registered.id);

		// Activating again finds it (by URL) and creates nothing.
		expect(await wf.activate()).toBe('exists');
		expect(callbackOf(wf)).toHaveLength(1);

		// Removed in the PSA's UI: checkExists notices, forgets the id, and activation registers a new one.
		fx.sandbox.db.callbacks.splice(fx.sandbox.db.callbacks.indexOf(registered), 1);
		expect(await wf.checkExists()).toBe(false);
		expect(wf.staticData.callbackId).toBeUndefined();
		expect(await wf.activate()).toBe('created');
		const [again] = callbackOf(wf);
		expect(again.id).not.toBe(registered.id);
		expect(wf.staticData.callbackId).toBe(again.id);

		// Deactivated in the PSA (e.g. after failed deliveries): not ours any more; create replaces it.
		again.inactiveFlag = true;
		expect(await wf.activate()).toBe('created');
		expect(callbackOf(wf)).toHaveLength(1);
		expect(callbackOf(wf)[0].inactiveFlag).toBeFalsy();

		expect(await wf.delete()).toBe(true);
		expect(callbackOf(wf)).toHaveLength(0);
		expect(wf.staticData.callbackId).toBeUndefined();
		expect(await wf.checkExists()).toBe(false);
		// Deleting what is already gone succeeds.
		expect(await wf.delete()).toBe(true);
	});

	it('the callback level follows the filters: status, board, company, owner; a changed filter replaces the old registration', async () => {
		const cases: Array<[INodeParameters, string, number]> = [
			[{ boardId: board(HELP_DESK), statusIds: [STATUS.resolved] }, 'status', STATUS.resolved],
			[{ boardId: board(HELP_DESK), statusIds: [STATUS.resolved, 105] }, 'board', HELP_DESK],
			[{ companyId: { __rl: true, mode: 'list', value: '251' } }, 'company', 251],
			[{}, 'owner', 0],
		];
		for (const [parameters, level, objectId] of cases) {
			const wf = triggerWorkflow(parameters);
			await wf.activate();
			expect(callbackOf(wf).map((callback) => [callback.level.toLowerCase(), callback.objectId])).toEqual([[level, objectId]]);
			await wf.delete();
		}

		const wf = triggerWorkflow({ boardId: board(HELP_DESK) });
		await wf.activate();
		wf.node.parameters.boardId = board(2);
		expect(await wf.checkExists()).toBe(false);
		expect(await wf.activate()).toBe('created');
		expect(callbackOf(wf).map((callback) => callback.objectId)).toEqual([2]);
		await wf.delete();
	});

	it('a registration the PSA refuses is an error, not a silent success', async () => {
		const wf = triggerWorkflow({ boardId: board(HELP_DESK) });
		fx.sandbox.addFault({ method: 'POST', path: '/system/callbacks', kind: 'status', status: 503, times: 10 });
		try {
			await expect(wf.create()).rejects.toThrow();
		} finally {
			fx.sandbox.clearFaults();
		}
		expect(callbackOf(wf)).toHaveLength(0);
		expect(wf.staticData.callbackId).toBeUndefined();
	});
});

describe('callback tokens: each registration has its own, in the URL ConnectWise posts to', () => {
	// Runs before any test in this file fetches the site's signing key, so a fetch would show in the sandbox's log.
	it('a callback without the token, or with another workflow\'s, gets 401 with no request to key_url; at its own address it runs', async () => {
		const a = triggerWorkflow({ boardId: board(HELP_DESK) });
		const b = triggerWorkflow({ boardId: board(HELP_DESK) });
		await a.activate();
		await b.activate();
		try {
			const tokenOf = (wf: TriggerWorkflow) => new URL(callbackOf(wf)[0].url).searchParams.get(CALLBACK_TOKEN_PARAM) as string;
			expect(tokenOf(a)).not.toBe(tokenOf(b));
			const id = newTicket('Token check');
			// Genuinely signed with the site's key: only the address it is sent to differs.
			const genuine = signedPayload(ticketEntity(id));
			const path = new URL(a.webhookUrl).pathname;
			const addressed = [path, `${path}?${CALLBACK_TOKEN_PARAM}=`, `${path}?${CALLBACK_TOKEN_PARAM}=${tokenOf(b)}`, `${path}?${CALLBACK_TOKEN_PARAM}=${tokenOf(a).slice(1)}`, `${path}?${CALLBACK_TOKEN_PARAM}=${tokenOf(b)}&${CALLBACK_TOKEN_PARAM}=${tokenOf(a)}`];
			fx.sandbox.resetLog();
			for (const target of addressed) {
				const delivered = await a.deliver({ ...genuine, path: target });
				expect(delivered.response.statusCode).toBe(401);
				expect(delivered.response.body).toEqual({ error: 'The callback signature could not be verified' });
				expect(delivered.run).toBeUndefined();
			}
			expect(fx.sandbox.requests).toEqual([]);
			// The same payload at a's own address: the key is fetched now (it was not cached), and the workflow runs.
			const own = await a.deliver({ ...genuine, path: `${path}?${CALLBACK_TOKEN_PARAM}=${tokenOf(a)}` });
			expect(own.items).toHaveLength(1);
			expect(fx.sandbox.requests.map((request) => request.path)).toEqual([new URL(fx.sandbox.keyUrl).pathname]);
		} finally {
			await a.delete();
			await b.delete();
		}
	});

	it('a callback registered without a token (an older version) verifies nothing and is replaced, old URL removed, on the next activation', async () => {
		const wf = triggerWorkflow({ boardId: board(HELP_DESK) });
		expect(await wf.activate()).toBe('created');
		const [registered] = callbackOf(wf);
		// What an older version left: the callback at n8n's bare URL and no token in the state store.
		registered.url = wf.webhookUrl;
		const store = await storeFor(storeOptionsOf(undefined));
		const connection = (await store.connections.list()).find((candidate) => candidate.provider === 'connectwise');
		if (!connection) throw new Error('the ConnectWise connection was not recorded');
		expect(await store.callbackSecrets.remove(connection.connectionId, String(wf.workflow.id), String(wf.node.id))).toBe(true);
		sharedCache.invalidate(connection.connectionId);

		const id = newTicket('Old callback');
		const [old] = await captured(wf, () => fx.sandbox.changeTicket(id, { statusId: STATUS.inProgress }));
		expect(old.path).toBe(new URL(wf.webhookUrl).pathname);
		const refused = await wf.deliver(old);
		expect(refused.response.statusCode).toBe(401);
		expect(refused.run).toBeUndefined();

		// n8n runs checkExists on every start and activation: the old callback is not this trigger's, so it is replaced.
		expect(await wf.checkExists()).toBe(false);
		expect(await wf.activate()).toBe('created');
		expect(callbackOf(wf)).toHaveLength(1);
		const [replacement] = callbackOf(wf);
		expect(replacement.id).not.toBe(registered.id);
		expect(fx.sandbox.db.callbacks.some((callback) => callback.url === wf.webhookUrl)).toBe(false);
		expect(replacement.url).toContain(`?${CALLBACK_TOKEN_PARAM}=`);
		const [fresh] = await captured(wf, () => fx.sandbox.changeTicket(id, { statusId: STATUS.resolved }));
		expect((await wf.deliver(fresh)).items).toHaveLength(1);
		expect((await wf.deliver(old)).response.statusCode).toBe(401);
		// Activating again keeps it; deactivation removes it and its token.
		expect(await wf.activate()).toBe('exists');
		await wf.delete();
		expect(callbackOf(wf)).toHaveLength(0);
		expect(await store.callbackSecrets.get(connection.connectionId, String(wf.workflow.id), String(wf.node.id))).toBeUndefined();
	});
});

describe('webhook(): real signed callbacks from the sandbox', () => {
	let wf: TriggerWorkflow;

	beforeAll(async () => {
		wf = triggerWorkflow({ boardId: board(HELP_DESK) });
		await wf.activate();
	});

	afterAll(async () => {
		await wf.delete();
	});

	it('valid, unlinked ticket: one run, the item has the action, ticket fields and link null', async () => {
		const id = newTicket('Printer jam on 3rd floor');
		const { delivered } = await deliverOne(wf, () => fx.sandbox.changeTicket(id, { statusId: STATUS.inProgress }));
		expect(delivered.response.statusCode).toBeUndefined();
		expect(delivered.run).toBeDefined();
		expect(delivered.run?.data.resultData.error).toBeUndefined();
		expect(delivered.items).toHaveLength(1);
		expect(delivered.items[0]).toMatchObject({
			action: 'updated',
			type: 'ticket',
			ticketId: id,
			ticket: { id, summary: 'Printer jam on 3rd floor', board: { id: HELP_DESK }, status: { id: STATUS.inProgress, name: 'In Progress' }, company: { id: 250 }, closed: false },
			link: null,
			updatedBy: 'jsmith',
		});
		expect(delivered.items[0].entity).toBeUndefined();
		expect(delivered.output('Resolve alert')).toEqual(delivered.items);
	});

	it('linked ticket: the item carries the link (source + external id) so the workflow can resolve the alert', async () => {
		const link = await fx.engine.run(
			chainWorkflow([
				{
					name: 'PSA Link',
					type: 'psaLink',
					parameters: { operation: 'link', source: 'monitor', externalId: 'disk-web01', summary: 'Disk full on web01', company: { __rl: true, mode: 'id', value: '250' }, boardId: HELP_DESK, additionalFields: {} },
				},
			]),
		);
		expect(link.error).toBeUndefined();
		const ticketId = link.output('PSA Link')[0].json.ticketId as number;
		// The PSA's 'added' callback for our own create was suppressed by the PSA itself (isSelfSuppressedFlag, same API member).
		expect(fx.sandbox.pendingDeliveries).toBe(0);
		expect(fx.sandbox.deliveries.filter((delivery) => delivery.payload.ID === ticketId)).toHaveLength(0);

		const { delivered } = await deliverOne(wf, () => fx.sandbox.changeTicket(ticketId, { statusId: STATUS.resolved }));
		expect(delivered.items[0]).toMatchObject({
			action: 'updated',
			ticketId,
			ticket: { status: { name: 'Resolved' }, closed: true, externalRef: 'monitor:disk-web01' },
			link: { source: 'monitor', externalId: 'disk-web01', state: 'linked' },
		});
		// The link learned that its ticket is closed: PSA Link's closed-ticket policy needs no read for it.
		const store = await storeFor(storeOptionsOf(undefined));
		const [connection] = await store.connections.list();
		const stored = await store.links.find(connection.connectionId, 'monitor', 'disk-web01');
		expect(stored).toMatchObject({ ticketState: 'closed' });
		expect(stored?.ticketClosedAt).toBeInstanceOf(Date);

		await deliverOne(wf, () => fx.sandbox.changeTicket(ticketId, { statusId: STATUS.new }));
		expect((await store.links.find(connection.connectionId, 'monitor', 'disk-web01'))?.ticketState).toBe('open');
	});

	it('a bad signature, a tampered body or a missing signature gets 401 and starts no run', async () => {
		const id = newTicket('Forgery target');
		const [incoming] = await captured(wf, () => fx.sandbox.changeTicket(id, { summary: 'Forgery target (edited)' }));
		const forged = [
			{ ...incoming, headers: { ...incoming.headers, 'x-content-signature': signCallbackBody('not-the-key', incoming.body) } },
			{ ...incoming, body: incoming.body.replace('Forgery target (edited)', 'Forgery target (tampered)') },
			{ ...incoming, headers: { 'content-type': 'application/json' } },
			{ ...incoming, headers: { ...incoming.headers, 'x-content-signature': '' } },
		];
		for (const request of forged) {
			const delivered = await wf.deliver(request);
			expect(delivered.response.statusCode).toBe(401);
			expect(delivered.response.body).toEqual({ error: 'The callback signature could not be verified' });
			expect(delivered.result).toEqual({ noWebhookResponse: true });
			expect(delivered.run).toBeUndefined();
		}
		// The genuine one still runs (the forgeries did not consume it).
		expect((await wf.deliver(incoming)).items).toHaveLength(1);
	});

	it('key_url on another host gets 401 and the key is never fetched from there', async () => {
		const id = newTicket('Redirected key');
		const attackerKeyUrl = `${receiver.url}/callback-keys/attacker`;
		const request = signedPayload(ticketEntity(id), { keyUrl: attackerKeyUrl, signingKey: 'attacker-key' });
		const receivedBefore = receiver.received.length;
		const delivered = await wf.deliver(request);
		expect(delivered.response.statusCode).toBe(401);
		expect(delivered.run).toBeUndefined();
		expect(receiver.received.slice(receivedBefore).filter((received) => received.path.startsWith('/callback-keys'))).toHaveLength(0);
		// Same host but https-less to a non-loopback name, and an unparsable key_url: refused too.
		for (const keyUrl of ['http://psa.example.com/callback-keys/x', 'not a url']) {
			expect((await wf.deliver(signedPayload(ticketEntity(id), { keyUrl }))).response.statusCode).toBe(401);
		}
	});

	it('key_url on the site but not a callback-key path gets 401 and is never requested', async () => {
		const id = newTicket('Forged key path');
		const forgedUrls = [`${fx.sandbox.url}/anything?x=1`, `${fx.sandbox.url}/v4_6_release/apis/3.0/service/tickets`, `${fx.sandbox.keyUrl}?x=2`];
		fx.sandbox.resetLog();
		for (const keyUrl of forgedUrls) {
			const delivered = await wf.deliver(signedPayload(ticketEntity(id), { keyUrl, signingKey: 'attacker-key' }));
			expect(delivered.response.statusCode).toBe(401);
			expect(delivered.run).toBeUndefined();
		}
		expect(fx.sandbox.requests).toEqual([]);
	});

	it('a flood of forged callbacks with ever-new key URLs: 401 each, no credentialed request, at most one key fetch', async () => {
		const id = newTicket('Forged key flood');
		fx.sandbox.resetLog();
		for (let i = 0; i < 20; i++) {
			const keyUrl = `${fx.sandbox.url}/callback-keys/forged-${i}`;
			const delivered = await wf.deliver(signedPayload(ticketEntity(id), { keyUrl, signingKey: 'attacker-key' }));
			expect(delivered.response.statusCode).toBe(401);
			expect(delivered.run).toBeUndefined();
		}
		expect(fx.sandbox.requests.length).toBeLessThanOrEqual(1);
		for (const request of fx.sandbox.requests) {
			expect(request.path).toMatch(/^\/callback-keys\/forged-/);
			expect(request.headers.authorization).toBeUndefined();
			expect(request.headers.clientid).toBeUndefined();
		}
		// Genuine callbacks, whose key is known, still run meanwhile.
		const [genuine] = await captured(wf, () => fx.sandbox.changeTicket(id, { summary: 'Forged key flood (edited)' }));
		expect((await wf.deliver(genuine)).items).toHaveLength(1);
	});

	it('a body that is not JSON gets 400 and starts no run', async () => {
		const body = 'not json';
		const delivered = await wf.deliver({ body, headers: { 'x-content-signature': signCallbackBody(fx.sandbox.signingKey, body) } });
		expect(delivered.response.statusCode).toBe(400);
		expect(delivered.run).toBeUndefined();
	});

	it('replays: the same delivery again starts no second run; a signed payload of an old change is ignored', async () => {
		const id = newTicket('Replay target');
		const { incoming, delivered } = await deliverOne(wf, () => fx.sandbox.changeTicket(id, { statusId: STATUS.inProgress }));
		expect(delivered.items).toHaveLength(1);
		const replayed = await wf.deliver(incoming);
		expect(replayed.result).toEqual({ webhookResponse: { received: true, ignored: 'duplicate delivery' } });
		expect(replayed.run).toBeUndefined();

		// A genuinely signed payload whose ticket was last saved an hour ago (captured then, replayed now).
		const entity = ticketEntity(id);
		entity._info = { ...(entity._info as object), lastUpdated: new Date(Date.now() - 60 * 60 * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
		const old = await wf.deliver(signedPayload(entity));
		expect(old.result).toEqual({ webhookResponse: { received: true, ignored: 'stale' } });
		expect(old.run).toBeUndefined();

		// With the age check off, only the delivery record stands between a replay and a run.
		// (Activated, so it has a callback token: a trigger accepts only what is sent to its own registered address.)
		const lenient = triggerWorkflow({ boardId: board(HELP_DESK), options: { maxEventAgeMinutes: 0 } });
		await lenient.activate();
		try {
			const oldPayload = signedPayload(entity);
			expect((await lenient.deliver(oldPayload)).items).toHaveLength(1);
			expect((await lenient.deliver(oldPayload)).run).toBeUndefined();
		} finally {
			await lenient.delete();
		}
	});

	it('filters the callback level cannot express are applied: events, ticket state, company', async () => {
		const closedOnly = triggerWorkflow({ boardId: board(HELP_DESK), events: ['updated'], ticketState: 'closed', companyId: { __rl: true, mode: 'id', value: '250' } });
		await closedOnly.activate();
		try {
			const acme = newTicket('Acme ticket', 250);
			const globex = newTicket('Globex ticket', 251);
			const open = await deliverOneOf(closedOnly, () => fx.sandbox.changeTicket(acme, { statusId: STATUS.inProgress }));
			expect(open.result).toEqual({ webhookResponse: { received: true, ignored: 'ticket is not closed' } });
			const otherCompany = await deliverOneOf(closedOnly, () => fx.sandbox.changeTicket(globex, { statusId: STATUS.resolved }));
			expect(otherCompany.result).toEqual({ webhookResponse: { received: true, ignored: 'ticket belongs to another company' } });
			const closed = await deliverOneOf(closedOnly, () => fx.sandbox.changeTicket(acme, { statusId: STATUS.resolved }));
			expect(closed.items[0]).toMatchObject({ ticketId: acme, ticket: { closed: true } });
			const added = await closedOnly.deliver(signedPayload(ticketEntity(acme), { action: 'added' }));
			expect(added.result).toEqual({ webhookResponse: { received: true, ignored: 'ticket added events are not selected' } });
		} finally {
			await closedOnly.delete();
		}
	});
});

async function deliverOneOf(wf: TriggerWorkflow, change: () => unknown): Promise<Delivered> {
	// Other registered triggers get their own deliveries: wait for all of them, then take this one's.
	const before = fx.sandbox.deliveries.length;
	const receivedBefore = receiver.received.length;
	change();
	const targets = fx.sandbox.pendingDeliveries;
	await fx.sandbox.waitForDeliveries(before + targets, 5000);
	const path = new URL(wf.webhookUrl).pathname;
	const mine = receiver.received.slice(receivedBefore).filter((request) => pathOf(request.path) === path);
	expect(mine).toHaveLength(1);
	return wf.deliver(mine[0]);
}

describe('echo suppression: changes made by this package do not trigger the workflow again', () => {
	let wf: TriggerWorkflow;
	let ticketId: number;

	beforeAll(async () => {
		wf = triggerWorkflow({ boardId: board(HELP_DESK) });
		await wf.activate();
		// As if the trigger's credential belonged to another API member than the nodes': the PSA no longer
		// suppresses our own changes, so only the package's own-change record can.
		for (const callback of callbackOf(wf)) callback.isSelfSuppressedFlag = false;
	});

	afterAll(async () => {
		await wf.delete();
	});

	const linkNode = (externalId: string) => ({
		name: 'PSA Link',
		type: 'psaLink',
		parameters: { operation: 'link', source: 'echo-monitor', externalId, summary: `Echo ${externalId}`, company: { __rl: true, mode: 'id', value: '250' }, boardId: HELP_DESK, additionalFields: {} },
	});

	it("PSA Link's new ticket: the 'added' callback is recognised as ours", async () => {
		const { delivered } = await deliverOne(wf, async () => {
			const run = await fx.engine.run(chainWorkflow([linkNode('e-1')]));
			ticketId = run.output('PSA Link')[0].json.ticketId as number;
		});
		expect(delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'own change' } });
		expect(delivered.run).toBeUndefined();
	});

	it("a 200-character external id: the 'added' callback (ticket carrying the hashed reference) is recognised as ours too", async () => {
		const externalId = `e-long-${'q'.repeat(193)}`;
		let created: number | undefined;
		const { delivered } = await deliverOne(wf, async () => {
			const run = await fx.engine.run(chainWorkflow([linkNode(externalId)]));
			created = run.output('PSA Link')[0].json.ticketId as number;
		});
		expect(fx.sandbox.db.tickets.find((ticket) => ticket.id === created)?.externalXRef).toMatch(/^psa-sha256:/);
		expect(delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'own change' } });
		expect(delivered.run).toBeUndefined();
	});

	it('PSA Status and PSA Note changes are ignored; a change in the PSA UI to another status right after still runs', async () => {
		const status = await deliverOne(wf, () =>
			fx.engine.run(chainWorkflow([{ name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'set', ticketBy: 'link', source: 'echo-monitor', externalId: 'e-1', statusBy: 'name', statusName: 'Waiting Customer' } }])),
		);
		expect(status.delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'own change' } });

		// A person moves the ticket on within the echo window: our record says 'Waiting Customer', the ticket is now Resolved.
		const human = await deliverOne(wf, () => fx.sandbox.changeTicket(ticketId, { statusId: STATUS.resolved }));
		expect(human.delivered.items[0]).toMatchObject({ ticketId, updatedBy: 'jsmith', ticket: { status: { id: STATUS.resolved } }, link: { source: 'echo-monitor', externalId: 'e-1' } });

		// That verified news reached this process: PSA Status must not skip 'Waiting Customer' as unchanged on the strength of what it wrote before.
		const setAgain = await deliverOne(wf, async () => {
			const run = await fx.engine.run(chainWorkflow([{ name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'set', ticketBy: 'link', source: 'echo-monitor', externalId: 'e-1', statusBy: 'name', statusName: 'Waiting Customer' } }]));
			expect(run.output('PSA Status')[0].json).toMatchObject({ changed: true });
		});
		expect(setAgain.delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'own change' } });
		expect(fx.sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.status?.name).toBe('Waiting Customer');

		const note = await deliverOne(wf, () =>
			fx.engine.run(chainWorkflow([{ name: 'PSA Note', type: 'psaNote', parameters: { operation: 'add', ticketBy: 'link', source: 'echo-monitor', externalId: 'e-1', text: 'Checked', noteType: 'internal', additionalFields: {} } }])),
		);
		expect(note.delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'own change' } });
		expect(note.delivered.run).toBeUndefined();
	});

	const noteNode = (text: string) => ({
		name: 'PSA Note',
		type: 'psaNote',
		parameters: { operation: 'add', ticketBy: 'link', source: 'echo-monitor', externalId: 'e-1', text, noteType: 'internal', additionalFields: {} },
	});

	it('our note, then a technician closes the ticket within the echo window: the close runs the workflow', async () => {
		const note = await deliverOne(wf, () => fx.engine.run(chainWorkflow([noteNode('Escalated to the vendor')])));
		expect(note.delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'own change' } });

		const closed = fx.sandbox.db.statuses.find((status) => status.board.id === HELP_DESK && status.closedStatus && !status.inactive);
		const human = await deliverOne(wf, () => fx.sandbox.changeTicket(ticketId, { statusId: closed!.id }));
		expect(human.delivered.items).toHaveLength(1);
		expect(human.delivered.items[0]).toMatchObject({ ticketId, updatedBy: 'jsmith', ticket: { status: { id: closed!.id }, closed: true } });
	});

	it('a technician\'s change that keeps the status, right after our note or status change, runs the workflow', async () => {
		await deliverOne(wf, () => fx.engine.run(chainWorkflow([noteNode('Vendor called back')])));
		const afterNote = await deliverOne(wf, () => fx.sandbox.changeTicket(ticketId, { summary: 'Echo e-1 (vendor case 4411)' }));
		expect(afterNote.delivered.items[0]).toMatchObject({ ticketId, updatedBy: 'jsmith', ticket: { summary: 'Echo e-1 (vendor case 4411)' } });

		const ours = await deliverOne(wf, () =>
			fx.engine.run(chainWorkflow([{ name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'set', ticketBy: 'link', source: 'echo-monitor', externalId: 'e-1', statusBy: 'name', statusName: 'In Progress' } }])),
		);
		expect(ours.delivered.result).toEqual({ webhookResponse: { received: true, ignored: 'own change' } });
		const afterStatus = await deliverOne(wf, () => fx.sandbox.changeTicket(ticketId, { summary: 'Echo e-1 (vendor on site)' }));
		expect(afterStatus.delivered.items[0]).toMatchObject({ ticketId, updatedBy: 'jsmith', ticket: { status: { id: STATUS.inProgress } } });
	});

	it('with Ignore Own Changes off, our own change runs the workflow', async () => {
		const replayOfNote = triggerWorkflow({ boardId: board(HELP_DESK), options: { ignoreOwnChanges: false } });
		const { incoming } = await deliverOne(wf, () =>
			fx.engine.run(chainWorkflow([{ name: 'PSA Note', type: 'psaNote', parameters: { operation: 'add', ticketBy: 'link', source: 'echo-monitor', externalId: 'e-1', text: 'Again', noteType: 'internal', additionalFields: {} } }])),
		);
		expect((await wf.deliver(incoming)).result).toEqual({ webhookResponse: { received: true, ignored: 'own change' } });
		// The same callback as ConnectWise sends it to the second trigger's own registration (its token, not wf's).
		await replayOfNote.activate();
		try {
			const toSecond = { ...incoming, path: undefined };
			expect((await replayOfNote.deliver(toSecond)).items[0]).toMatchObject({ ticketId, updatedBy: 'api' });
		} finally {
			await replayOfNote.delete();
		}
	});
});
