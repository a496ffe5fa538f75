// Scenario 11: the HaloPSA provider at its stated request budget (500 per 3 minutes): N new alerts through PSA Link, requests per alert, the budget kept, and what happens once it is spent (a clear refusal, nothing lost: the same alerts later finish the rest, no duplicate).
import './preload';
import { HALO_REQUEST_BUDGET } from '../lib/providers/halopsa/declaration';
import { Engine, type EngineRun } from '../test/engine/harness';
import { HALO_CREDENTIAL, chainWorkflow, sourceTypes } from '../test/engine/setup';
import { startHaloSandbox, type HaloSandbox } from '../test/sandbox/halopsa';
import { SMALL, endpointList, fixed, log, ms, runAlone, table, timed, type Section } from './common';
import { benchUserFolder } from './engine';
import { SOURCE } from './workflows';

const LATENCY_MS = 50;
const NODE = 'PSA Link';
/** The sandbox's client and ticket type for new tickets (test/sandbox/halopsa/data.ts). */
const CLIENT_ID = '12';
const TICKET_TYPE_ID = 1;

/**
 * Full scale keeps Halo's stated budget and window. Small scale shortens both, keeping the window longer than a
 * request's 30 s retry budget: a shorter one would be waited out, never refused, and the refusal is what is measured.
 */
const BUDGET = SMALL ? { limit: 50, windowMs: 40_000 } : { limit: HALO_REQUEST_BUDGET.limit, windowMs: HALO_REQUEST_BUDGET.windowMs };

interface PassResult {
	pass: string;
	wallMs: number;
	requests: number;
	byEndpoint: Record<string, number>;
	served429: number;
	created: number;
	known: number;
	refused: number;
	refusalMessages: string[];
}

function linkWorkflow(alertIds: string[]) {
	return chainWorkflow(
		[
			{
				name: NODE,
				type: 'psaLink',
				continueOnFail: true,
				credentials: { haloPsaApi: HALO_CREDENTIAL },
				parameters: { authentication: 'haloPsaApi', operation: 'link', source: SOURCE, externalId: '={{ $json.alertId }}', summary: '={{ "[" + $json.alertId + "] Disk usage above 95%" }}', company: { __rl: true, mode: 'id', value: CLIENT_ID }, boardId: TICKET_TYPE_ID, additionalFields: {}, options: {} },
			},
		],
		alertIds.map((alertId) => ({ alertId })),
	);
}

function passOf(label: string, run: EngineRun, wallMs: number, sandbox: HaloSandbox, logStart: number): PassResult {
	if (run.error) throw new Error(`Halo ${label}: the run stopped: ${run.error.message}`);
	const output = run.output(NODE).map((item) => item.json);
	const entries = sandbox.requests.slice(logStart);
	const byEndpoint: Record<string, number> = {};
	for (const entry of entries) byEndpoint[`${entry.method} ${entry.template ?? entry.path}`] = (byEndpoint[`${entry.method} ${entry.template ?? entry.path}`] ?? 0) + 1;
	const errors = output.filter((json) => json.error !== undefined);
	const result: PassResult = {
		pass: label,
		wallMs,
		requests: entries.length,
		byEndpoint,
		served429: entries.filter((entry) => entry.status === 429).length,
		created: output.filter((json) => json.created === true).length,
		known: output.filter((json) => json.error === undefined && json.created === false).length,
		refused: errors.length,
		refusalMessages: [...new Set(errors.map((json) => String(json.error)))],
	};
	log(`Halo ${label}: ${output.length} alerts, ${result.created} created, ${result.known} known, ${result.refused} refused, ${result.requests} requests ${JSON.stringify(byEndpoint)}, ${result.served429} 429s, ${wallMs.toFixed(0)} ms`);
	return result;
}

/** The most requests the sandbox received in any window of the budget's length (its log's arrival times). */
function busiestWindow(sandbox: HaloSandbox, windowMs: number): number {
	const times = sandbox.requests.map((entry) => Date.parse(entry.at)).sort((a, b) => a - b);
	let most = 0;
	for (let first = 0, last = 0; last < times.length; last++) {
		while (times[last] - times[first] >= windowMs) first++;
		most = Math.max(most, last - first + 1);
	}
	return most;
}

export async function run(): Promise<Section> {
	const alertCount = Math.round(BUDGET.limit * 1.2);
	// The package reads its budget from the declaration when the connection's limiter is made: the bench's (shortened
	// at small scale) is set there first, the same as the sandbox's.
	const declared = { ...HALO_REQUEST_BUDGET };
	Object.assign(HALO_REQUEST_BUDGET, BUDGET);
	const sandbox = await startHaloSandbox({ port: 0, latencyMs: LATENCY_MS, requestBudget: BUDGET.limit, budgetWindowMs: BUDGET.windowMs, recordResponses: false });
	const passes: PassResult[] = [];
	let duplicates: number;
	let missing: number;
	let busiest: number;
	let waitedMs: number;
	try {
		benchUserFolder();
		const engine = new Engine(sourceTypes);
		engine.addCredential({ ...HALO_CREDENTIAL, type: 'haloPsaApi', data: { ...sandbox.credentials } });
		const alertIds = Array.from({ length: alertCount }, (_, index) => `halo-${index}`);
		const firstStart = Date.now();
		const first = await timed(() => engine.run(linkWorkflow(alertIds)));
		passes.push(passOf('first run (more alerts than the budget)', first.result, first.ms, sandbox, 0));
		// Nothing lost: once the window has moved past the first run's sends, the same alerts again finish the refused ones.
		waitedMs = Math.max(0, firstStart + BUDGET.windowMs + 1000 - Date.now());
		log(`Halo: waiting ${(waitedMs / 1000).toFixed(0)} s for the budget's window to move on`);
		await new Promise((resolve) => setTimeout(resolve, waitedMs));
		const logStart = sandbox.requests.length;
		const second = await timed(() => engine.run(linkWorkflow(alertIds)));
		passes.push(passOf('same alerts after the window', second.result, second.ms, sandbox, logStart));
		const ticketsPerAlert = alertIds.map((alertId) => sandbox.db.tickets.filter((ticket) => String(ticket.summary).startsWith(`[${alertId}]`)).length);
		duplicates = ticketsPerAlert.filter((count) => count > 1).length;
		missing = ticketsPerAlert.filter((count) => count === 0).length;
		busiest = busiestWindow(sandbox, BUDGET.windowMs);
	} finally {
		Object.assign(HALO_REQUEST_BUDGET, declared);
		await sandbox.stop();
	}
	const [first, second] = passes;
	const served429 = first.served429 + second.served429;
	// Per alert: its create (the link travels in it); the token and the lookups (statuses, priorities, teams, the API
	// agent) are once per connection.
	const creates = first.byEndpoint['POST /Tickets'] ?? 0;
	const perAlert = creates / Math.max(1, first.created);
	const oneTime = first.requests - creates;
	const windowText = SMALL ? `shortened to ${BUDGET.limit} requests per ${BUDGET.windowMs / 1000} s (BENCH_SCALE=small)` : `${BUDGET.limit} requests per ${BUDGET.windowMs / 60_000} minutes, as declared`;
	const budgetKept = served429 === 0 && busiest <= BUDGET.limit;
	const nothingLost = duplicates === 0 && missing === 0 && first.created + first.refused === alertCount && second.created === first.refused;
	return {
		title: '11. HaloPSA at its request budget',
		markdown: [
			`${SMALL ? 'BENCH_SCALE=small. ' : ''}${alertCount} new alerts (1.2x the budget) through PSA Link in one execution on a HaloPSA credential (Automatic, On Error: Continue), sandbox latency ${LATENCY_MS} ms. The budget is ${windowText} (lib/providers/halopsa/declaration.ts: third parties state 500 per 3 minutes per tenant; Halo publishes none); the sandbox enforces the same one with 429 and Retry-After. Once the budget is spent, a request that could not go within its 30 s retry budget is refused before it is sent. Then, after the window moved on (${fixed(waitedMs / 1000, 0)} s of waiting, not counted in the wall times), the same alerts ran again.`,
			'',
			table(
				['pass', 'wall time', 'requests', 'created', 'already linked', 'refused (error items)', '429s served', 'requests by endpoint'],
				passes.map((pass) => [
					pass.pass,
					ms(pass.wallMs),
					pass.requests,
					pass.created,
					pass.known,
					pass.refused,
					pass.served429,
					endpointList(pass.byEndpoint),
				]),
			),
			'',
			`Requests per created alert: ${fixed(perAlert, 2)} (POST /Tickets; the link goes in the create), plus ${oneTime} once per connection (the token and the lookups). The most requests the sandbox received in any ${BUDGET.windowMs / 1000} s: ${busiest} (budget ${BUDGET.limit}). Afterwards: ${missing} alerts without a ticket, ${duplicates} with more than one.`,
			'',
			`What a refused item says: ${first.refusalMessages.map((message) => `"${message}"`).join('; ') || '(none refused)'}`,
		].join('\n'),
		targets: [
			{
				target: `HaloPSA at its budget (${windowText}): no 429, at most the budget in any window; once spent, a clear refusal per item and nothing lost (the same alerts later: every alert one ticket)`,
				measured: `${first.created} of ${alertCount} alerts created, ${first.refused} refused with an error item; ${served429} 429s; busiest window ${busiest} requests; ${fixed(perAlert, 2)} requests per alert + ${oneTime} once; again after the window: ${second.created} created, ${second.known} known; ${missing} missing, ${duplicates} duplicated`,
				met: budgetKept && nothingLost && first.refused > 0,
			},
		],
	};
}

runAlone(module, run);
