// Fault family: PSA Trigger (ConnectWise callbacks, Autotask webhook callouts, Halo webhooks) through the node's webhook(), two trigger
// workflows on one credential: genuine changes and the package's own, delivered duplicated, reordered, replayed to the
// other workflow, concurrently and forged.
import fc from 'fast-check';
import type { INode } from 'n8n-workflow';
import {
	AUTOTASK_CREDENTIAL,
	chainWorkflow,
	HALO_CREDENTIAL,
	PSA_CREDENTIAL,
	startAutotaskEngineFixture,
	startEngineFixture,
	startHaloEngineFixture,
	type AutotaskEngineFixture,
	type EngineFixture,
	type HaloEngineFixture,
} from '../engine/setup';
import { Client } from 'pg';
import { resetLimiters } from '../../lib/providers/limiter';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startReceiver, type ReceivedRequest, type Receiver } from '../sandbox/receiver';
import { TriggerWorkflow, type IncomingCallback } from '../trigger/harness';
import { fail, type Family } from './families';
import type { SoakStats } from './schedule';
import { TARGETS, type PsaName, type PsaTarget } from './targets';
import type { Engine } from './world';

const STORE_CREDENTIAL = { id: 'faults-trigger-store', name: 'PSA State Store (fault suite)' };

/** What differs per PSA for the trigger: the fixture, the credential, the statuses a change moves between. */
interface TriggerPsa {
	credential: { id: string; name: string };
	credentialType: 'connectWisePsaApi' | 'autotaskPsaApi' | 'haloPsaApi';
	/** Open statuses by id and name on the suite's board / queue. */
	statuses: Array<{ id: number; name: string }>;
	boardId: number;
}

const PSAS: Record<PsaName, TriggerPsa> = {
	connectwise: { credential: PSA_CREDENTIAL, credentialType: 'connectWisePsaApi', statuses: [{ id: 101, name: 'New' }, { id: 102, name: 'In Progress' }, { id: 103, name: 'Waiting Customer' }], boardId: 1 },
	autotask: { credential: AUTOTASK_CREDENTIAL, credentialType: 'autotaskPsaApi', statuses: [{ id: 1, name: 'New' }, { id: 8, name: 'In Progress' }, { id: 7, name: 'Waiting Customer' }], boardId: 8 },
	halopsa: { credential: HALO_CREDENTIAL, credentialType: 'haloPsaApi', statuses: [{ id: 1, name: 'New' }, { id: 2, name: 'In Progress' }, { id: 3, name: 'Waiting on Customer' }], boardId: 1 },
};

/** A change on the schedule's ticket: by a technician in the PSA, or by PSA Status in a workflow (the package's own). */
export interface TriggerChange {
	by: 'technician' | 'package';
	/** Index into the PSA's statuses, skipping the current one: every change moves the status. */
	to: number;
}

/** One delivery of one captured callback: as sent, or forged (body altered under the genuine signature, or signature altered). */
export interface TriggerDelivery {
	change: number;
	/** The workflow whose callback is delivered (0 or 1), and the workflow it is delivered to: another's is a replay. */
	from: number;
	to: number;
	forged?: 'body' | 'signature';
	/** Sort key: deliveries go out in this order (reordered against the changes). */
	order: number;
}

export interface TriggerSchedule {
	changes: TriggerChange[];
	deliveries: TriggerDelivery[];
	/** Deliveries handed to webhook() at once. */
	concurrency: number;
}

export interface TriggerWorld {
	target: PsaTarget;
	engine: Engine;
	psa: TriggerPsa;
	fx: EngineFixture | AutotaskEngineFixture | HaloEngineFixture;
	receiver: Receiver;
	/** Two trigger workflows on the same credential: each must run once per change, and never on the other's callbacks. */
	wfs: TriggerWorkflow[];
	storeCredentials: INode['credentials'];
	/** Starts every request budget afresh: this process's limiters, and on PostgreSQL the budget every worker shares. */
	freshBudgets(): Promise<void>;
	close(): Promise<void>;
}

let worlds = 0;

/** The engine, the sandbox, a receiver for the PSA's deliveries and one active trigger, on the chosen store engine. */
export async function startTriggerWorld(psaName: PsaName, engine: Engine): Promise<TriggerWorld> {
	const psa = PSAS[psaName];
	const fx = psaName === 'connectwise' ? await startEngineFixture() : psaName === 'halopsa' ? await startHaloEngineFixture() : await startAutotaskEngineFixture();
	const receiver = await startReceiver();
	let database: TestDatabase | undefined;
	let storeCredentials: INode['credentials'] = {};
	if (engine === 'postgres') {
		database = await createTestDatabase('psa_faults_trigger');
		const { generateFernetKey } = await import('../../lib/crypto/fernet');
		fx.engine.addCredential({
			...STORE_CREDENTIAL,
			type: 'psaStateStore',
			data: { engine: 'postgres', host: database.host, port: database.port, database: database.database, user: database.user, password: '', ssl: 'off', schema: 'psa_bridge', encryptionKey: generateFernetKey(), previousKeys: '' },
		});
		storeCredentials = { psaStateStore: STORE_CREDENTIAL };
	}
	const psaCredentials = { [psa.credentialType]: psa.credential };
	const stored = fx.engine.credentials.get(psa.credential.id);
	const storeCredential = fx.engine.credentials.get(STORE_CREDENTIAL.id);
	if (!stored) throw new Error('sandbox credential missing');
	const world = ++worlds;
	const wfs = ['a', 'b'].map(
		(name) =>
			new TriggerWorkflow({
				id: `faults${world}${name}${psaName}${engine}`,
				webhookBaseUrl: `${receiver.url}/webhook`,
				parameters: { authentication: psa.credentialType, events: ['added', 'updated'], ticketState: 'any', options: {} },
				credentials: storeCredential ? [stored, storeCredential] : [stored],
				nodeCredentials: { ...psaCredentials, ...storeCredentials },
			}),
	);
	for (const wf of wfs) await wf.activate();
	// The PSA would leave our API user's changes out (ConnectWise's self-suppression, Autotask's excluded resource); the
	// trigger's credential may belong to another member than the nodes', so only the package's own-change record can.
	// (Halo's webhooks leave nothing out: there is nothing to undo.)
	if (psaName === 'connectwise') for (const callback of (fx as EngineFixture).sandbox.db.callbacks) callback.isSelfSuppressedFlag = false;
	else if (psaName === 'autotask') (fx as AutotaskEngineFixture).sandbox.db.webhookExcludedResources.length = 0;
	return {
		target: TARGETS[psaName],
		engine,
		psa,
		fx,
		receiver,
		wfs,
		storeCredentials,
		async freshBudgets() {
			resetLimiters();
			if (!database) return;
			const client = new Client({ host: database.host, port: database.port, user: database.user, database: database.database, connectionTimeoutMillis: 10000 });
			await client.connect();
			try {
				await client.query('delete from psa_bridge.psa_request_counts');
			} catch (error) {
				// Nothing counted yet: the store creates its tables on first use.
				if ((error as { code?: string }).code !== '42P01') throw error;
			} finally {
				await client.end();
			}
		},
		async close() {
			for (const wf of wfs) await wf.delete().catch(() => undefined);
			await receiver.stop();
			await fx.close();
			await database?.drop();
		},
	};
}

function newTicket(world: TriggerWorld, summary: string): number {
	if (world.target.psa === 'connectwise') return (world.fx as EngineFixture).sandbox.addTicket({ summary, company: { id: 250 }, board: { id: 1 }, status: { id: 101 } }).id;
	if (world.target.psa === 'halopsa') return (world.fx as HaloEngineFixture).sandbox.addTicket({ summary, client_id: 12, tickettype_id: 1, status_id: 1 }).id;
	return (world.fx as AutotaskEngineFixture).sandbox.addTicket({ companyID: 175, title: summary, status: 1, priority: 2, queueID: 8 }).id;
}

/**
 * The ticket's state after a change, as a read-back shows it (status and last update): where the PSA's callout carries
 * no state of its own (Halo), the trigger emits what it reads, so a run belongs to the change whose state it emitted.
 */
function stateAfter(world: TriggerWorld, ticketId: number): string {
	if (world.target.psa !== 'halopsa') return '';
	const ticket = (world.fx as HaloEngineFixture).sandbox.db.tickets.find((candidate) => candidate.id === ticketId);
	return ticket ? `${ticket.status_id}@${Date.parse(`${ticket.last_update}Z`)}` : '';
}

function emittedState(item: unknown): string {
	type Emitted = { ticket?: { status?: { id?: number }; updatedAt?: string } };
	const ticket = ((item as { json?: Emitted })?.json ?? (item as Emitted))?.ticket;
	return ticket?.status?.id !== undefined && ticket.updatedAt ? `${ticket.status.id}@${Date.parse(ticket.updatedAt)}` : '';
}

function currentStatus(world: TriggerWorld, ticketId: number): number {
	if (world.target.psa === 'connectwise') return (world.fx as EngineFixture).sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.status?.id ?? 0;
	if (world.target.psa === 'halopsa') return (world.fx as HaloEngineFixture).sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.status_id ?? 0;
	return (world.fx as AutotaskEngineFixture).sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.status ?? 0;
}

/** Makes one change and returns what reached each trigger's URL for it. */
async function makeChange(world: TriggerWorld, ticketId: number, change: TriggerChange): Promise<IncomingCallback[][]> {
	const { fx, receiver, wfs, psa } = world;
	const others = psa.statuses.filter((status) => status.id !== currentStatus(world, ticketId));
	const to = others[change.to % others.length];
	const before = fx.sandbox.deliveries.length;
	const receivedBefore = receiver.received.length;
	if (change.by === 'technician') {
		if (world.target.psa === 'connectwise') (fx as EngineFixture).sandbox.changeTicket(ticketId, { statusId: to.id });
		else if (world.target.psa === 'halopsa') (fx as HaloEngineFixture).sandbox.changeTicket(ticketId, { status_id: to.id });
		else (fx as AutotaskEngineFixture).sandbox.changeTicket(ticketId, { status: to.id });
	} else {
		const run = await fx.engine.run(
			chainWorkflow([
				{
					name: 'PSA Status',
					type: 'psaStatus',
					credentials: { [psa.credentialType]: psa.credential, ...world.storeCredentials },
					parameters: { authentication: psa.credentialType, operation: 'set', ticketBy: 'ticket', ticket: { __rl: true, mode: 'id', value: String(ticketId) }, statusBy: 'name', statusName: to.name, options: {} },
				},
			]),
		);
		if (run.error) {
			const error = run.error as { message?: string; description?: string };
			throw new Error(`PSA Status failed: ${error.message ?? JSON.stringify(error)}${error.description ? ` (${error.description})` : ''}`);
		}
	}
	await fx.sandbox.waitForDeliveries(before + wfs.length, 5000);
	// The PSA posts to each registered URL, its query (the callback's token) included.
	return wfs.map((wf) => {
		const path = new URL(wf.webhookUrl).pathname;
		return receiver.received.slice(receivedBefore).filter((request: ReceivedRequest) => request.path.split('?')[0] === path);
	});
}

/** A forgery of a genuine delivery: the body changed under its signature, or the signature (Halo: the secret it carries) changed. */
function forge(incoming: IncomingCallback, how: 'body' | 'signature'): IncomingCallback {
	if (how === 'body') {
		// Another status or ticket id in the signed content (a change of whitespace alone is the same callout to a PSA
		// that signs a canonical form): the same length, different content.
		const bump = (_: string, prefix: string, digit: string) => `${prefix}${(Number(digit) + 1) % 10}`;
		let body = incoming.body.replace(/("(?:statusId|status|Status)"\s*:\s*"?)(\d)/, bump);
		if (body === incoming.body) body = incoming.body.replace(/("(?:Id|ID|id)"\s*:\s*"?)(\d)/, bump);
		if (body === incoming.body) throw new Error(`the suite cannot forge this callout's content: ${incoming.body.slice(0, 200)}`);
		return { body, headers: incoming.headers };
	}
	const headers = { ...incoming.headers };
	for (const name of Object.keys(headers)) {
		const value = headers[name];
		if (/signature|authorization/i.test(name) && typeof value === 'string') headers[name] = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
	}
	return { body: incoming.body, headers };
}

export const triggerFamily: Family<TriggerSchedule, TriggerWorld> = {
	name: 'trigger',
	shrink: false,
	expectedFaults: (psa) => ['delivered more than once', 'delivered out of order', ...(TARGETS[psa].signsCallbackBody ? ['forged body'] : []), 'forged signature', 'own change delivered', 'replayed to the other workflow'],
	arb(target) {
		const forgeries: Array<'body' | 'signature'> = target.signsCallbackBody ? ['body', 'signature'] : ['signature'];
		return fc
			.array(fc.record({ by: fc.constantFrom<TriggerChange['by']>('technician', 'technician', 'package'), to: fc.nat(1) }), { minLength: 1, maxLength: 4 })
			.chain((changes) =>
				fc.record({
					changes: fc.constant(changes),
					deliveries: fc.array(
						fc.record(
							{
								change: fc.nat(changes.length - 1),
								from: fc.nat(1),
								to: fc.nat(1),
								forged: fc.option(fc.constantFrom<'body' | 'signature'>(...forgeries), { nil: undefined, freq: 4 }),
								order: fc.nat(1000),
							},
							{ requiredKeys: ['change', 'from', 'to', 'order'] },
						),
						{ minLength: changes.length, maxLength: 3 * changes.length + 2 },
					),
					concurrency: fc.integer({ min: 1, max: 4 }),
				}),
			);
	},
	async run(world, schedule, stats: SoakStats) {
		const violations: string[] = [];
		// Each schedule stands for changes minutes apart: the read-backs of hundreds of schedules in a few seconds would
		// spend Halo's 500-per-3-minutes budget, which test/providers covers, and this family is about deliveries.
		await world.freshBudgets();
		const ticketId = newTicket(world, `Trigger faults ${Date.now()}`);
		// Each change, and what the PSA sent for it to each trigger (one callback per registered trigger).
		const captured: IncomingCallback[][][] = [];
		const states: string[] = [];
		for (const change of schedule.changes) {
			captured.push(await makeChange(world, ticketId, change));
			states.push(stateAfter(world, ticketId));
		}
		// Halo's callouts name the ticket only: every delivery here, made after all changes, reads the last state back, so
		// a run is the change whose state it emitted (a late callout of an earlier change emits the later one's state, once).
		const readsBack = !world.target.signsCallbackBody;
		const changeOfRun = (delivery: TriggerDelivery, item: unknown): number => {
			if (!readsBack) return delivery.change;
			const index = states.lastIndexOf(emittedState(item));
			if (index < 0) violations.push(`a run of trigger ${delivery.to} emitted a state no change made: ${JSON.stringify(item).slice(0, 400)}`);
			return index < 0 ? delivery.change : index;
		};
		captured.forEach((perWorkflow, index) =>
			perWorkflow.forEach((incoming, wf) => {
				if (incoming.length !== 1) violations.push(`change ${index} (${schedule.changes[index].by}) reached trigger ${wf} ${incoming.length} times (the PSA sends one)`);
			}),
		);
		// Every change delivered at least once to each trigger, then the schedule's extra copies, replays and forgeries, in
		// the schedule's order.
		const firsts = schedule.changes.flatMap((_, change) => world.wfs.map((__, wf) => ({ change, from: wf, to: wf, order: -1 - change })));
		const deliveries: TriggerDelivery[] = [...firsts, ...schedule.deliveries].sort((a, b) => a.order - b.order);
		const runKey = (wf: number, change: number) => wf * 1000 + change;
		const runs = new Map<number, number>();
		const ranWith = new Map<number, string>();
		let forgedRuns = 0;
		let replayRuns = 0;
		for (let start = 0; start < deliveries.length; start += schedule.concurrency) {
			await Promise.all(
				deliveries.slice(start, start + schedule.concurrency).map(async (delivery) => {
					const genuine = captured[delivery.change]?.[delivery.from]?.[0];
					if (!genuine) return;
					stats.calls++;
					const incoming = delivery.forged ? forge(genuine, delivery.forged) : genuine;
					try {
						const delivered = await world.wfs[delivery.to].deliver(incoming);
						const ran = delivered.run !== undefined && delivered.items.length > 0;
						if (delivery.forged) {
							if (ran) forgedRuns++;
							if (delivered.response.statusCode !== 401 && delivered.result.webhookResponse === undefined) violations.push(`a ${delivery.forged}-forged delivery of change ${delivery.change} was answered ${delivered.response.statusCode}`);
						} else if (delivery.from !== delivery.to) {
							// Another trigger's genuine callback, replayed to this one: verified by nobody here.
							if (ran) replayRuns++;
							if (delivered.response.statusCode !== 401) violations.push(`trigger ${delivery.from}'s callback of change ${delivery.change}, replayed to trigger ${delivery.to}, was answered ${delivered.response.statusCode}`);
						} else if (ran) {
							const key = runKey(delivery.to, changeOfRun(delivery, delivered.items[0]));
							runs.set(key, (runs.get(key) ?? 0) + 1);
							ranWith.set(key, `item ${JSON.stringify(delivered.items[0]).slice(0, 400)}; callback ${incoming.body.slice(0, 600)}`);
						}
						stats.succeeded++;
					} catch (error) {
						violations.push(`webhook() threw for ${delivery.forged ? 'a forged' : 'a genuine'} delivery of change ${delivery.change}: ${String(error)}`);
					}
				}),
			);
		}
		schedule.changes.forEach((change, index) =>
			world.wfs.forEach((_, wf) => {
				const count = runs.get(runKey(wf, index)) ?? 0;
				if (change.by === 'package' && count > 0) violations.push(`the package's own change ${index} ran workflow ${wf} ${count} time(s): ${ranWith.get(runKey(wf, index))}`);
				if (change.by === 'technician' && count > 1) violations.push(`technician change ${index} ran workflow ${wf} ${count} times`);
				if (change.by === 'technician' && count === 1) stats.count('genuine changes that ran the workflow once');
			}),
		);
		if (forgedRuns) violations.push(`${forgedRuns} forged deliveries ran the workflow`);
		if (replayRuns) violations.push(`${replayRuns} callbacks replayed to the other trigger ran its workflow`);
		stats.count('replayed to the other workflow', deliveries.filter((delivery) => !delivery.forged && delivery.from !== delivery.to).length);

		const perChange = new Map<string, number>();
		for (const delivery of deliveries) if (!delivery.forged && delivery.from === delivery.to) perChange.set(`${delivery.to}:${delivery.change}`, (perChange.get(`${delivery.to}:${delivery.change}`) ?? 0) + 1);
		stats.count('delivered more than once', [...perChange.values()].reduce((sum, count) => sum + count - 1, 0));
		stats.count('delivered out of order', deliveries.filter((delivery, index) => index > 0 && !delivery.forged && delivery.change < Math.max(...deliveries.slice(0, index).map((earlier) => earlier.change))).length);
		stats.count('forged body', deliveries.filter((delivery) => delivery.forged === 'body').length);
		stats.count('forged signature', deliveries.filter((delivery) => delivery.forged === 'signature').length);
		stats.count('own change delivered', schedule.changes.filter((change) => change.by === 'package').length);
		if (schedule.concurrency > 1) stats.count('deliveries handed over concurrently', deliveries.length);
		fail(stats, `trigger ${world.target.psa} ${world.engine}`, violations);
	},
};
