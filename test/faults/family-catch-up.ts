// Fault family: PSA Catch-Up Trigger polls and PSA Trigger callbacks of one workflow racing over changes made while n8n was down (callbacks late, duplicated, reordered).
import fc from 'fast-check';
import { withoutCallbackToken } from '../../lib/providers/connectwise/callback-token';
import { Engine, PACKAGE, type WorkflowJson } from '../engine/harness';
import { PSA_CREDENTIAL, sourceTypes, startEngineFixture, type EngineFixture } from '../engine/setup';
import { startReceiver, type ReceivedRequest, type Receiver } from '../sandbox/receiver';
import { TriggerWorkflow, trigger } from '../trigger/harness';
import { fail, type Family } from './families';
import type { SoakStats } from './schedule';
import { TARGETS, type PsaTarget } from './targets';
import type { Engine as StoreEngine } from './world';

/** One step of the race once n8n is back: a catch-up poll, or one captured callback delivered (again, or late). */
export type CatchUpStep = { kind: 'poll' } | { kind: 'callback'; change: number };

export interface CatchUpSchedule {
	/** Per change, in the order the technician makes them (a second apart): the ticket it changes. */
	changes: number[];
	tickets: number;
	steps: Array<{ step: CatchUpStep; order: number }>;
	/** Steps handed over at once. */
	concurrency: number;
}

export interface CatchUpWorld {
	target: PsaTarget;
	engine: StoreEngine;
	fx: EngineFixture;
	receiver: Receiver;
	close(): Promise<void>;
}

/** The ConnectWise engine fixture and a receiver holding the PSA's callbacks back until a schedule delivers them. */
export async function startCatchUpWorld(): Promise<CatchUpWorld> {
	const fx = await startEngineFixture();
	const receiver = await startReceiver();
	return {
		target: TARGETS.connectwise,
		engine: 'sqlite',
		fx,
		receiver,
		async close() {
			await receiver.stop();
			await fx.close();
		},
	};
}

const secondBoundary = () => new Promise((resolve) => setTimeout(resolve, 1100));
let workflows = 0;

export const catchUpFamily: Family<CatchUpSchedule, CatchUpWorld> = {
	name: 'catch-up',
	shrink: false,
	expectedFaults: () => ['callback delivered late (after a catch-up poll)', 'callback delivered more than once', 'callback never delivered'],
	arb() {
		return fc.record({ tickets: fc.integer({ min: 1, max: 2 }), changes: fc.integer({ min: 1, max: 3 }) }).chain(({ tickets, changes }) =>
			fc.record({
				tickets: fc.constant(tickets),
				changes: fc.array(fc.nat(tickets - 1), { minLength: changes, maxLength: changes }),
				steps: fc.array(
					fc.record({
						step: fc.oneof(fc.constant({ kind: 'poll' as const }), fc.record({ kind: fc.constant('callback' as const), change: fc.nat(changes - 1) })),
						order: fc.nat(1000),
					}),
					{ minLength: 1, maxLength: 3 * changes + 2 },
				),
				concurrency: fc.integer({ min: 1, max: 4 }),
			}),
		);
	},
	async run(world, schedule, stats: SoakStats) {
		const { fx, receiver } = world;
		const violations: string[] = [];
		const id = `catch-up-family-${++workflows}`;
		const credential = { connectWisePsaApi: PSA_CREDENTIAL };
		const parameters = { events: ['added', 'updated'], ticketState: 'any', options: {} };
		const json: WorkflowJson = {
			id,
			name: id,
			nodes: [
				{ id: `${id}-cb`, name: 'PSA Trigger', type: `${PACKAGE}.psaTrigger`, typeVersion: 1, position: [0, 0], webhookId: `${id}-hook`, parameters, credentials: credential },
				{ id: `${id}-poll`, name: 'PSA Catch-Up Trigger', type: `${PACKAGE}.psaCatchUpTrigger`, typeVersion: 1, position: [0, 200], parameters, credentials: credential },
			],
			connections: {},
			settings: { executionOrder: 'v1' },
		};
		const engine = new Engine({ ...sourceTypes, nodes: { ...sourceTypes.nodes, psaTrigger: trigger } });
		engine.addCredential(fx.engine.credentials.get(PSA_CREDENTIAL.id) as never);
		const wf = new TriggerWorkflow({
			id,
			webhookBaseUrl: `${receiver.url}/webhook`,
			parameters,
			credentials: [fx.engine.credentials.get(PSA_CREDENTIAL.id) as never],
			workflow: json,
			callbackUrl: (candidate) => fx.sandbox.db.callbacks.find((callback) => withoutCallbackToken(callback.url) === candidate.webhookUrl)?.url,
		});
		const tickets = Array.from({ length: schedule.tickets }, (_, index) => fx.sandbox.addTicket({ summary: `${id} ticket ${index}`, company: { id: 250 }, board: { id: 1 } }).id as number);
		await secondBoundary();
		await wf.activate();
		// The activation poll sets the starting point; then n8n is down: the technician's changes (a second apart, as
		// the PSA stamps them) send callbacks nobody receives yet.
		await engine.poll(json, 'PSA Catch-Up Trigger');
		const callbacks: ReceivedRequest[] = [];
		const summaryOf = (change: number) => `${id} change ${change}`;
		for (const [change, ticket] of schedule.changes.entries()) {
			await secondBoundary();
			const deliveries = fx.sandbox.deliveries.length;
			const received = receiver.received.length;
			fx.sandbox.changeTicket(tickets[ticket], { summary: summaryOf(change) });
			await fx.sandbox.waitForDeliveries(deliveries + 1, 5000);
			const sent = receiver.received.slice(received).filter((request) => request.path.split('?')[0] === new URL(wf.webhookUrl).pathname);
			if (sent.length !== 1) violations.push(`change ${change} sent ${sent.length} callbacks to the workflow (the PSA sends one)`);
			callbacks.push(sent[0]);
		}

		// n8n is back: catch-up polls and the callbacks (late, some twice, some never) race; then one more poll.
		const runs: Array<{ summary: string; ticketId: number; via: string }> = [];
		const record = (items: Array<Record<string, unknown>>, via: string) => {
			for (const item of items) runs.push({ summary: String((item.ticket as { summary?: unknown } | null)?.summary ?? ''), ticketId: Number(item.ticketId), via });
		};
		const steps = [...schedule.steps].sort((a, b) => a.order - b.order).map(({ step }) => step);
		for (let start = 0; start < steps.length; start += schedule.concurrency) {
			await Promise.all(
				steps.slice(start, start + schedule.concurrency).map(async (step) => {
					stats.calls++;
					try {
						if (step.kind === 'poll') record((await engine.poll(json, 'PSA Catch-Up Trigger')).items as Array<Record<string, unknown>>, 'catch-up');
						else if (callbacks[step.change]) record((await wf.deliver(callbacks[step.change])).items as Array<Record<string, unknown>>, 'callback');
						stats.succeeded++;
					} catch (error) {
						violations.push(`${step.kind} threw: ${String(error)}`);
					}
				}),
			);
		}
		try {
			record((await engine.poll(json, 'PSA Catch-Up Trigger')).items as Array<Record<string, unknown>>, 'catch-up');
		} catch (error) {
			violations.push(`the last poll threw: ${String(error)}`);
		}
		await wf.delete().catch(() => undefined);

		const changeOf = (summary: string) => schedule.changes.findIndex((_, change) => summaryOf(change) === summary);
		const ran = new Map<number, number>();
		for (const run of runs) {
			const change = changeOf(run.summary);
			if (change < 0) violations.push(`a run for ticket ${run.ticketId} (${run.via}) carries no change of the schedule: "${run.summary}"`);
			else ran.set(change, (ran.get(change) ?? 0) + 1);
		}
		schedule.changes.forEach((ticket, change) => {
			const count = ran.get(change) ?? 0;
			const latest = schedule.changes.lastIndexOf(ticket) === change;
			if (count > 1) violations.push(`change ${change} ran the workflow ${count} times`);
			// The PSA reports each ticket's latest state: the catch-up runs the latest change of a ticket; an earlier one runs
			// only if its own callback came before.
			if (latest && count !== 1) violations.push(`change ${change}, the last of ticket ${tickets[ticket]}, ran the workflow ${count} times; once expected`);
		});
		tickets.forEach((ticketId) => {
			const order = runs.filter((run) => run.ticketId === ticketId).map((run) => changeOf(run.summary));
			if (order.some((change, index) => index > 0 && change <= order[index - 1])) violations.push(`ticket ${ticketId}: an older change ran after a newer one (changes in run order: ${order.join(', ')})`);
		});
		stats.count('genuine changes that ran the workflow once', [...ran.values()].filter((count) => count === 1).length);
		stats.count('ran by the catch-up', runs.filter((run) => run.via === 'catch-up').length);
		const firstPoll = steps.findIndex((step) => step.kind === 'poll');
		stats.count('callback delivered late (after a catch-up poll)', firstPoll < 0 ? 0 : steps.slice(firstPoll + 1).filter((step) => step.kind === 'callback').length);
		const deliveredCounts = schedule.changes.map((_, change) => steps.filter((step) => step.kind === 'callback' && step.change === change).length);
		stats.count('callback delivered more than once', deliveredCounts.filter((count) => count > 1).length);
		stats.count('callback never delivered', deliveredCounts.filter((count) => count === 0).length);
		fail(stats, `catch-up connectwise ${id}`, violations);
	},
};
