// The scale test's workload: alerts for many entities, sent to n8n's webhook process concurrently, and their outcomes read back from n8n's executions API.
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { N8nInstall, N8nRest } from '../e2e/n8n';
import { sleep } from '../e2e/processes';

export const SOURCE = 'scale-monitor';

export interface Alert {
	/** `<entity>#<occurrence>`: also the note's dedupe key, so every alert is exactly one note. */
	alertId: string;
	entity: string;
	occurrence: number;
	text: string;
	/** The status every alert of the entity sets (a fixed one per entity, so the final status does not depend on order). */
	status: string;
}

export interface Delivery {
	deliveryId: string;
	alert: Alert;
	round: number;
	sentAt: number;
	httpStatus: number;
}

const STATUSES = ['In Progress', 'Waiting Customer'];

export function entityName(index: number): string {
	return `host-${String(index).padStart(3, '0')}-disk`;
}

/** A deterministic shuffle (mulberry32), so a failing order can be run again. */
export function shuffled<T>(items: T[], seed: number): T[] {
	let state = seed >>> 0;
	const random = () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const copy = [...items];
	for (let i = copy.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[copy[i], copy[j]] = [copy[j], copy[i]];
	}
	return copy;
}

/** Every occurrence of entities [from, to), interleaved: the five alerts of one entity are spread among the others. */
export function alertsFor(from: number, to: number, occurrences: number, seed: number): Alert[] {
	const alerts: Alert[] = [];
	for (let index = from; index < to; index++) {
		const entity = entityName(index);
		for (let occurrence = 1; occurrence <= occurrences; occurrence++) {
			const alertId = `${entity}#${occurrence}`;
			alerts.push({ alertId, entity, occurrence, text: `Alert ${alertId}: /var at ${90 + occurrence}% on ${entity}`, status: STATUSES[index % STATUSES.length] });
		}
	}
	return shuffled(alerts, seed);
}

/** Picks the alerts a monitoring tool delivers twice (same alert, same note key): every `every`-th one. */
export function withDuplicates(alerts: Alert[], every: number): Alert[] {
	const out: Alert[] = [];
	alerts.forEach((alert, index) => {
		out.push(alert);
		// The duplicate arrives a few deliveries later, so the two race on different workers.
		if (index % every === every - 1) out.splice(Math.max(0, out.length - 3), 0, alert);
	});
	return out;
}

export class Sender {
	readonly deliveries: Delivery[] = [];
	private counter = 0;

	constructor(private readonly webhookUrl: string) {}

	/** POSTs every alert with at most `concurrency` requests in flight; the webhook answers once the job is queued. */
	async send(alerts: Alert[], round: number, concurrency = 25, onSent?: (sent: number) => void): Promise<Delivery[]> {
		const sent: Delivery[] = [];
		let next = 0;
		const worker = async () => {
			while (next < alerts.length) {
				const alert = alerts[next++];
				const deliveryId = `d${String(++this.counter).padStart(5, '0')}`;
				const delivery: Delivery = { deliveryId, alert, round, sentAt: Date.now(), httpStatus: 0 };
				try {
					const response = await fetch(this.webhookUrl, {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: JSON.stringify({ deliveryId, ...alert }),
						signal: AbortSignal.timeout(30_000),
					});
					delivery.httpStatus = response.status;
					await response.arrayBuffer();
				} catch {
					delivery.httpStatus = 0;
				}
				this.deliveries.push(delivery);
				sent.push(delivery);
				onSent?.(sent.length);
			}
		};
		await Promise.all(Array.from({ length: Math.min(concurrency, alerts.length) }, worker));
		return sent;
	}
}

export interface ExecutionRow {
	id: string;
	status: string;
	startedAt?: string;
	stoppedAt?: string;
	mode?: string;
}

const ALL_STATUSES = ['canceled', 'crashed', 'error', 'new', 'running', 'success', 'unknown', 'waiting'];
export const UNFINISHED = new Set(['new', 'running', 'waiting', 'unknown']);

/** Every execution of a workflow, newest first (n8n's list answers at most 100 per page; `lastId` pages back). */
export async function listExecutions(rest: N8nRest, workflowId: string): Promise<ExecutionRow[]> {
	const rows: ExecutionRow[] = [];
	let lastId: string | undefined;
	for (let page = 0; page < 200; page++) {
		// A status list sends n8n down its range query, which honours lastId.
		const filter = encodeURIComponent(JSON.stringify({ workflowId, status: ALL_STATUSES }));
		const query = `/rest/executions?filter=${filter}&limit=100${lastId ? `&lastId=${lastId}` : ''}`;
		const result = await rest.request<{ results: ExecutionRow[] }>('GET', query);
		rows.push(...result.results);
		if (result.results.length < 100) return rows;
		lastId = result.results[result.results.length - 1].id;
	}
	throw new Error(`more than 20,000 executions of ${workflowId}`);
}

/** How many executions of the workflow n8n holds in the given statuses (a count query, cheap enough to poll). */
export async function countExecutions(rest: N8nRest, workflowId: string, statuses = ALL_STATUSES): Promise<number> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId, status: statuses }));
	const result = await rest.request<{ count: number }>('GET', `/rest/executions?filter=${filter}&limit=1`);
	return result.count;
}

/** Waits until n8n holds `expected` executions of the workflow and none is still new or running; returns them. */
export async function waitForExecutions(rest: N8nRest, workflowId: string, expected: number, timeoutMs: number, what: string): Promise<ExecutionRow[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const total = await countExecutions(rest, workflowId);
		const unfinished = total >= expected ? await countExecutions(rest, workflowId, [...UNFINISHED]) : -1;
		if (total >= expected && unfinished === 0) return listExecutions(rest, workflowId);
		if (Date.now() > deadline) {
			throw new Error(`${what}: after ${Math.round(timeoutMs / 1000)} s n8n holds ${total} of ${expected} executions, ${unfinished} of them unfinished`);
		}
		await sleep(500);
	}
}

export interface ExecutionDetail {
	id: string;
	status: string;
	deliveryId?: string;
	/** The failing node's message and hint, when the execution failed. */
	error?: string;
	/** Outputs of the PSA nodes, when they ran. */
	link?: Record<string, unknown>;
	note?: Record<string, unknown>;
	statusResult?: Record<string, unknown>;
}

type Flatted = { parse(text: string): unknown };

/** n8n stores run data with `flatted`; the parser comes from n8n's own install, so the test adds no dependency. */
export function flattedFrom(install: N8nInstall): Flatted {
	return createRequire(join(install.dir, 'node_modules', 'n8n', 'package.json'))('flatted') as Flatted;
}

interface RunData {
	resultData?: {
		error?: { message?: string; description?: string; node?: { name?: string } };
		runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }>> }; error?: { message?: string; description?: string } }>>;
	};
}

/** One execution's delivery id, outcome and node outputs, from `GET /rest/executions/:id`. */
export async function executionDetail(rest: N8nRest, flatted: Flatted, id: string, nodes: { webhook: string; link: string; note: string; status: string }): Promise<ExecutionDetail> {
	const execution = await rest.request<{ id: string; status: string; data?: string }>('GET', `/rest/executions/${id}`);
	const data = (execution.data ? flatted.parse(execution.data) : {}) as RunData;
	const runData = data.resultData?.runData ?? {};
	const first = (node: string) => runData[node]?.[0]?.data?.main?.[0]?.[0]?.json;
	const body = first(nodes.webhook)?.body as { deliveryId?: string } | undefined;
	const error = data.resultData?.error;
	return {
		id: execution.id,
		status: execution.status,
		// A crashed execution has no run data of its own; its start data (the webhook's output) still names the delivery.
		deliveryId: body?.deliveryId ?? /"(d\d{5})"/.exec(execution.data ?? '')?.[1],
		error: error ? `${error.node?.name ?? ''}: ${error.message ?? ''} ${error.description ?? ''}`.trim() : undefined,
		link: first(nodes.link),
		note: first(nodes.note),
		statusResult: first(nodes.status),
	};
}

/** The latest "Retry after <time>" / "pending until <time>" an error names, in ms since the epoch. */
export function retryAfter(error: string | undefined): number | undefined {
	if (!error) return undefined;
	const times = [...error.matchAll(/(?:after|until) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)/g)].map((match) => Date.parse(match[1]));
	return times.length > 0 ? Math.max(...times) : undefined;
}
