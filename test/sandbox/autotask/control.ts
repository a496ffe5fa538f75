// The Autotask sandbox's control endpoint (/__sandbox/...): faults, limits, versions, logs, deliveries, db and UI-side ticket changes.
import type { Fault } from './limits';
import type { AutotaskSandbox } from './server';

export function handleControl(sandbox: AutotaskSandbox, method: string, path: string, rawBody: string, send: (status: number, body: unknown) => void): void {
	let input: Record<string, unknown> = {};
	try {
		input = rawBody ? JSON.parse(rawBody) : {};
	} catch {
		return send(400, { error: 'body is not JSON' });
	}
	const ok = (body: unknown = { ok: true }) => send(200, body);
	try {
		const change = /^\/__sandbox\/tickets\/(\d+)\/change$/.exec(path);
		switch (`${method} ${change ? '/__sandbox/tickets/{id}/change' : path}`) {
			case 'POST /__sandbox/faults': {
				const list = (Array.isArray(input) ? input : [input]) as Array<Record<string, unknown>>;
				for (const item of list) {
					const fault = { ...item };
					// JSON cannot carry a RegExp: `pathPattern` is its source.
					if (typeof fault.pathPattern === 'string') {
						fault.path = new RegExp(fault.pathPattern, 'i');
						delete fault.pathPattern;
					}
					sandbox.addFault(fault as unknown as Fault);
				}
				return ok();
			}
			case 'DELETE /__sandbox/faults':
				sandbox.clearFaults();
				return ok();
			case 'POST /__sandbox/latency':
				sandbox.setLatency(Number(input.ms));
				return ok();
			case 'POST /__sandbox/rate-limit':
				sandbox.setRateLimit(Number(input.perSecond));
				return ok();
			case 'POST /__sandbox/thread-limit':
				sandbox.setThreadLimit(Number(input.limit));
				return ok();
			case 'POST /__sandbox/threshold':
				sandbox.setHourlyThreshold(Number(input.perHour));
				return ok();
			case 'POST /__sandbox/versions':
				sandbox.setVersions(input.versions as string[]);
				return ok();
			case 'GET /__sandbox/requests':
				return ok(sandbox.requests);
			case 'DELETE /__sandbox/requests':
				sandbox.resetLog();
				return ok();
			case 'GET /__sandbox/counters':
				return ok({ ...sandbox.counters(), maxConcurrentSeen: sandbox.maxConcurrentSeen(), threadLimitRefusals: sandbox.threadLimitRefusals });
			case 'GET /__sandbox/deliveries':
				return ok(sandbox.deliveries);
			case 'DELETE /__sandbox/deliveries':
				sandbox.clearDeliveries();
				return ok();
			case 'GET /__sandbox/db':
				return ok(sandbox.db);
			case 'DELETE /__sandbox/tickets':
				sandbox.clearTickets();
				return ok();
			case 'POST /__sandbox/tickets/{id}/change': {
				const { byResourceId, ...patch } = input;
				const options = typeof byResourceId === 'number' ? { byResourceId } : {};
				return ok(sandbox.changeTicket(Number(change?.[1]), patch as { status?: number }, options));
			}
			default:
				return send(404, { error: `no control endpoint ${method} ${path}` });
		}
	} catch (error) {
		return send(400, { error: error instanceof Error ? error.message : String(error) });
	}
}
