// The scale test's re-fire loop: read every execution's outcome from n8n, re-send the alerts that have no successful one, wait when told to.
import type { N8nInstall, N8nRest } from '../e2e/n8n';
import { sleep } from '../e2e/processes';
import { executionDetail, flattedFrom, retryAfter, waitForExecutions, type Alert, type ExecutionDetail, type Sender } from './workload';
import { ALERT_WORKFLOW_ID, NODES } from './workflows';

// A killed worker's executions show "running" until its job's lock expires (60 s), a live worker's stalled-job check
// fails the job (every 30 s) and main's queue recovery marks the execution crashed (every minute here): about 2.5 min.
const SETTLE_TIMEOUT_MS = 5 * 60_000;
// The settle window (180 s for ConnectWise) plus margin: no "Retry after" time may lie further ahead than this.
const LONGEST_WAIT_MS = 230_000;
const MAX_ROUNDS = 6;

export interface ResendReport {
	rounds: number;
	resent: number;
	failedExecutions: number;
	/** Why executions failed: crashed (the killed worker's), the failing node's message kind, … */
	failureKinds: Record<string, number>;
	details: ExecutionDetail[];
	doneAt: number;
}

interface Options {
	install: N8nInstall;
	rest: N8nRest;
	sender: Sender;
	alerts: Alert[];
	log: (line: string) => void;
	expectedExecutions: () => number;
	addExecutions: (count: number) => void;
}

function kindOf(detail: ExecutionDetail): string {
	if (detail.status === 'crashed') return 'crashed (the killed worker)';
	const error = detail.error ?? '';
	if (/failed to be processed too many times/.test(error)) return "failed by n8n: its job stalled (the killed worker's)";
	if (/Another run is creating/.test(error)) return 'link still claimed by a killed run (retry after the settle window)';
	if (/Another run is posting/.test(error)) return 'note still claimed by a killed run (retry after the settle window)';
	if (/may still be created|may still be posted|pending until/.test(error)) return 'outcome unknown (pending until the settle window)';
	return `${detail.status}: ${error.slice(0, 120)}`;
}

/**
 * Rounds of: wait until no execution is new or running, read each one's delivery and outcome, re-send every alert that
 * has no successful execution, after the latest "Retry after" time their errors name. A monitoring tool re-fires the
 * same way (same alert, same note key); the package must turn each re-fire into the one ticket and one note.
 */
export async function resendUntilDone(options: Options): Promise<ResendReport> {
	const flatted = flattedFrom(options.install);
	const details = new Map<string, ExecutionDetail>();
	const byDelivery = new Map(options.sender.deliveries.map((delivery) => [delivery.deliveryId, delivery]));
	const failureKinds: Record<string, number> = {};
	let resent = 0;
	for (let round = 1; ; round++) {
		const rows = await waitForExecutions(options.rest, ALERT_WORKFLOW_ID, options.expectedExecutions(), SETTLE_TIMEOUT_MS, `round ${round}`);
		const toRead = rows.filter((row) => details.get(row.id)?.status !== row.status);
		for (let index = 0; index < toRead.length; index += 10) {
			const batch = await Promise.all(toRead.slice(index, index + 10).map((row) => executionDetail(options.rest, flatted, row.id, NODES)));
			for (const detail of batch) {
				if (detail.status !== 'success' && !details.has(detail.id)) failureKinds[kindOf(detail)] = (failureKinds[kindOf(detail)] ?? 0) + 1;
				details.set(detail.id, detail);
			}
		}
		for (const delivery of options.sender.deliveries) byDelivery.set(delivery.deliveryId, delivery);
		const succeeded = new Set<string>();
		const latestFailure = new Map<string, ExecutionDetail>();
		for (const detail of details.values()) {
			const delivery = detail.deliveryId ? byDelivery.get(detail.deliveryId) : undefined;
			// A crashed execution may have saved no run data: its delivery is unknown, and its alert counts as not done.
			if (!delivery) continue;
			if (detail.status === 'success') succeeded.add(delivery.alert.alertId);
			else latestFailure.set(delivery.alert.alertId, detail);
		}
		const pending = options.alerts.filter((alert) => !succeeded.has(alert.alertId));
		if (pending.length === 0) {
			const failedExecutions = [...details.values()].filter((detail) => detail.status !== 'success').length;
			return { rounds: round - 1, resent, failedExecutions, failureKinds, details: [...details.values()], doneAt: lastStop(rows) };
		}
		if (round > MAX_ROUNDS) throw new Error(`${pending.length} alerts still without a successful execution after ${MAX_ROUNDS} re-send rounds: ${pending.slice(0, 5).map((alert) => `${alert.alertId}: ${latestFailure.get(alert.alertId)?.error ?? 'no execution read'}`).join('; ')}`);
		const waitUntil = Math.max(Date.now(), ...pending.map((alert) => retryAfter(latestFailure.get(alert.alertId)?.error) ?? 0));
		if (waitUntil - Date.now() > LONGEST_WAIT_MS) throw new Error(`an error asks to retry after ${new Date(waitUntil).toISOString()}, more than ${LONGEST_WAIT_MS / 1000} s ahead`);
		const kinds = [...new Set(pending.map((alert) => (latestFailure.get(alert.alertId) ? kindOf(latestFailure.get(alert.alertId)!) : 'no execution read')))];
		options.log(`round ${round}: ${pending.length} alerts without a successful execution (${kinds.join('; ')}); re-sending ${waitUntil > Date.now() ? `at ${new Date(waitUntil).toISOString()} (the time their errors name), in ${((waitUntil - Date.now()) / 1000).toFixed(0)} s` : 'now'}`);
		await sleep(Math.max(0, waitUntil - Date.now()) + (waitUntil > Date.now() ? 1000 : 0));
		const sent = await options.sender.send(pending, round, 25);
		resent += sent.length;
		options.addExecutions(sent.length);
	}
}

function lastStop(rows: Array<{ stoppedAt?: string }>): number {
	return rows.reduce((latest, row) => Math.max(latest, row.stoppedAt ? Date.parse(row.stoppedAt) : 0), 0);
}
