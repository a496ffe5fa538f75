// PSA Trigger's attack table, per PSA: hostile bodies refused fast without parsing, callouts replayed across two triggers on one credential, one change -> one run per workflow.
import type { INodeParameters } from 'n8n-workflow';
import { hookSignature, CALLOUT_LIMITS } from '../../lib/providers/autotask/webhooks';
import { CALLBACK_LIMITS } from '../../lib/providers/connectwise/callbacks';
import type { CallbackBodyLimits } from '../../lib/providers/callback-body';
import { withoutCallbackToken } from '../../lib/providers/connectwise/callback-token';
import { AUTOTASK_CREDENTIAL, startAutotaskEngineFixture, startEngineFixture } from '../engine/setup';
import { signCallbackBody } from '../sandbox';
import { startReceiver, type ReceivedRequest, type Receiver } from '../sandbox/receiver';
import { TriggerWorkflow, type IncomingCallback } from './harness';

/** What the table needs of one PSA: its sandbox, a trigger on it, a change that calls back, and a forged signature. */
interface AttackTarget {
	name: string;
	limits: CallbackBodyLimits;
	start(): Promise<void>;
	stop(): Promise<void>;
	workflow(id: string, receiverUrl: string): TriggerWorkflow;
	/** Changes a fresh ticket; resolves once `expected` callouts were sent. */
	change(label: string, expected: number): Promise<void>;
	forge(body: string): IncomingCallback;
	/** True when each callback carries a secret of its own (Autotask: its signing key; ConnectWise: its URL token). */
	perCallbackKeys: boolean;
	/** The PSA's record of a trigger's webhook, where each has its own key and Guid (Autotask). */
	webhook?(wf: TriggerWorkflow): { webhookGuid: string; secretKey: string };
}

function connectWiseTarget(): AttackTarget {
	let fx: Awaited<ReturnType<typeof startEngineFixture>>;
	const credential = { id: 'cw-sandbox', name: 'ConnectWise sandbox' };
	return {
		name: 'ConnectWise',
		limits: CALLBACK_LIMITS,
		perCallbackKeys: true,
		async start() {
			fx = await startEngineFixture();
		},
		stop: () => fx?.close(),
		workflow(id, receiverUrl) {
			const stored = fx.engine.credentials.get(credential.id);
			if (!stored) throw new Error('sandbox credential missing');
			const parameters: INodeParameters = { events: ['added', 'updated'], ticketState: 'any', options: {} };
			// Crafted bodies are sent to the trigger's registered address, token included: what they test lies past it.
			const callbackUrl = (wf: TriggerWorkflow) => fx.sandbox.db.callbacks.find((callback) => withoutCallbackToken(callback.url) === wf.webhookUrl)?.url;
			return new TriggerWorkflow({ id, webhookBaseUrl: `${receiverUrl}/webhook`, parameters, credentials: [stored], callbackUrl });
		},
		async change(label, expected) {
			const before = fx.sandbox.deliveries.length;
			const id = fx.sandbox.addTicket({ summary: label, company: { id: 250 }, board: { id: 1 } }).id;
			fx.sandbox.changeTicket(id, { statusId: 102 });
			await fx.sandbox.waitForDeliveries(before + expected, 5000);
		},
		forge: (body) => ({ body, headers: { 'content-type': 'application/json', 'x-content-signature': signCallbackBody('not-the-key', body) } }),
	};
}

function autotaskTarget(): AttackTarget {
	let fx: Awaited<ReturnType<typeof startAutotaskEngineFixture>>;
	return {
		name: 'Autotask',
		limits: CALLOUT_LIMITS,
		perCallbackKeys: true,
		async start() {
			fx = await startAutotaskEngineFixture();
		},
		stop: () => fx?.close(),
		workflow(id, receiverUrl) {
			const stored = fx.engine.credentials.get(AUTOTASK_CREDENTIAL.id);
			if (!stored) throw new Error('Autotask sandbox credential missing');
			const parameters: INodeParameters = { authentication: 'autotaskPsaApi', events: ['added', 'updated'], ticketState: 'any', options: {} };
			return new TriggerWorkflow({ id, webhookBaseUrl: `${receiverUrl}/webhook`, parameters, credentials: [stored], nodeCredentials: { autotaskPsaApi: AUTOTASK_CREDENTIAL } });
		},
		async change(label, expected) {
			const before = fx.sandbox.deliveries.length;
			const ticket = fx.sandbox.addTicket({ companyID: 175, title: label, status: 1, priority: 2, queueID: 8 });
			fx.sandbox.changeTicket(ticket.id, { status: 8 });
			await fx.sandbox.waitForDeliveries(before + expected, 5000);
		},
		forge: (body) => ({ body, headers: { 'content-type': 'application/json', 'x-hook-signature': hookSignature(body, 'not-the-webhook-key') } }),
		webhook(wf) {
			const webhook = fx.sandbox.db.webhooks.find((candidate) => candidate.webhookUrl === wf.webhookUrl);
			if (!webhook) throw new Error(`no webhook for ${wf.webhookUrl}`);
			return webhook;
		},
	};
}

/** A hostile body; `status` per PSA when the two bounds refuse it differently. */
interface HostileBody {
	name: string;
	body(limits: CallbackBodyLimits): string;
	status: Record<string, number>;
}

const keys = (count: number) => `{${Array.from({ length: count }, (_, index) => `"k${index}":1`).join(',')}}`;

const HOSTILE_BODIES: HostileBody[] = [
	// ConnectWise's bound (1 MB) lets the 400 KB through to the flat pass, which stops at the first level too deep.
	{ name: 'JSON nested 200,000 levels deep', body: () => `${'['.repeat(200_000)}${']'.repeat(200_000)}`, status: { ConnectWise: 401, Autotask: 413 } },
	{ name: 'arrays nested 20,000 deep, within the size bound', body: () => `${'['.repeat(20_000)}${']'.repeat(20_000)}`, status: { ConnectWise: 401, Autotask: 401 } },
	{ name: 'a 10 MB body', body: () => JSON.stringify({ Action: 'Update', pad: 'x'.repeat(10 * 1024 * 1024) }), status: { ConnectWise: 413, Autotask: 413 } },
	{ name: 'a body of 1,000,000 keys', body: () => keys(1_000_000), status: { ConnectWise: 413, Autotask: 413 } },
	{ name: 'one value more than the bound, within the size bound', body: (limits) => keys(limits.maxMembers + 1), status: { ConnectWise: 401, Autotask: 401 } },
];

describe.each([connectWiseTarget(), autotaskTarget()])('PSA Trigger attack table: $name', (target) => {
	let receiver: Receiver;
	let a: TriggerWorkflow;
	let b: TriggerWorkflow;
	const prefix = target.name === 'Autotask' ? 'atk-at' : 'atk-cw';

	beforeAll(async () => {
		await target.start();
		receiver = await startReceiver();
		// Two workflows on one credential, both watching every ticket.
		a = target.workflow(`${prefix}-a`, receiver.url);
		b = target.workflow(`${prefix}-b`, receiver.url);
		expect(await a.activate()).toBe('created');
		expect(await b.activate()).toBe('created');
		// Each webhook has a key of its own, none derived from the credential.
		if (target.webhook) expect(target.webhook(a).secretKey).not.toBe(target.webhook(b).secretKey);
	});

	afterAll(async () => {
		await a?.delete().catch(() => undefined);
		await b?.delete().catch(() => undefined);
		await receiver?.stop();
		await target.stop();
	});

	/** The callouts one change sends, by the trigger they were sent to. */
	async function oneChange(label: string): Promise<{ toA: IncomingCallback; toB: IncomingCallback }> {
		const before = receiver.received.length;
		await target.change(label, 2);
		const sent = receiver.received.slice(before);
		const to = (wf: TriggerWorkflow) => sent.filter((request: ReceivedRequest) => new URL(request.path, receiver.url).pathname === new URL(wf.webhookUrl).pathname);
		expect(to(a)).toHaveLength(1);
		expect(to(b)).toHaveLength(1);
		return { toA: to(a)[0], toB: to(b)[0] };
	}

	it.each(HOSTILE_BODIES)('$name is refused before it is parsed, fast, with no stack overflow and no run', async (hostile) => {
		const delivered = await a.deliver(target.forge(hostile.body(target.limits)));
		expect(delivered.response.statusCode).toBe(hostile.status[target.name]);
		expect(delivered.result).toEqual({ noWebhookResponse: true });
		expect(delivered.run).toBeUndefined();
		// Measured in webhook() alone: about a millisecond or less (see docs/reliability.md); the bound leaves room for a busy machine.
		expect(delivered.webhookMs).toBeLessThan(1000);
	});

	// Autotask signs each webhook's callouts with its own key; ConnectWise signs all of a site's with one, so there the
	// token in each registration's URL is what refuses a callback replayed to another trigger.
	(target.perCallbackKeys ? it : it.skip)("A's genuine callout replayed to B starts no run in B; one change runs A once and B once", async () => {
		const { toA, toB } = await oneChange('Replayed across triggers');
		const replayed = await b.deliver(toA);
		expect(replayed.response.statusCode).toBe(401);
		expect(replayed.run).toBeUndefined();
		expect((await b.deliver(toB)).items).toHaveLength(1);
		expect((await a.deliver(toA)).items).toHaveLength(1);
		// Delivered again (the PSA retries, or a replayer), neither runs twice.
		expect((await a.deliver(toA)).run).toBeUndefined();
		expect((await b.deliver(toB)).run).toBeUndefined();
		expect((await b.deliver(toA)).run).toBeUndefined();
	});

	// Only a PSA whose callouts name their webhook (Autotask's Guid) has this case; ConnectWise's payload names none.
	if (target.webhook) it('a callout that names another webhook is refused although signed with this webhook\'s key', async () => {
		if (!target.webhook) return;
		const { toB } = await oneChange('Names another webhook');
		const guidOfA = target.webhook(a).webhookGuid;
		const renamed = toB.body.replace(/"Guid":"[^"]*"/, `"Guid":"${guidOfA}"`);
		expect(renamed).not.toBe(toB.body);
		const signed = { body: renamed, headers: { ...toB.headers, 'x-hook-signature': hookSignature(renamed, target.webhook(b).secretKey) } };
		const delivered = await b.deliver(signed);
		expect(delivered.response.statusCode).toBe(401);
		expect(delivered.run).toBeUndefined();
		expect((await b.deliver(toB)).items).toHaveLength(1);
	});

	it('one change with two workflows: exactly one run each, in either order', async () => {
		const { toA, toB } = await oneChange('Two workflows, one change');
		const results = [await b.deliver(toB), await a.deliver(toA), await a.deliver(toA), await b.deliver(toB)];
		expect(results.map((delivered) => delivered.items.length)).toEqual([1, 1, 0, 0]);
	});
});
