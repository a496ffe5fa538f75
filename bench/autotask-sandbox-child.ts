// Table 2's Autotask rows, child process: the Autotask sandbox in its own process (a remote PSA's CPU is not the n8n process's), driven over IPC.
import { startAutotaskSandbox, type AutotaskSandboxOptions } from '../test/sandbox/autotask';

export interface AutotaskSnapshot {
	requests: Array<{ at: string; entity?: string; status: number; heldMs?: number }>;
	refusals: number;
	maxInFlight: Record<string, number>;
	tickets: Array<{ externalID: unknown; status: number }>;
}

export type ChildRequest = { id: number; cmd: 'reset' | 'snapshot' | 'stop' };

async function main(): Promise<void> {
	const options = JSON.parse(process.env.BENCH_AUTOTASK_SANDBOX ?? '{}') as AutotaskSandboxOptions;
	const sandbox = await startAutotaskSandbox({ ...options, port: 0, recordResponses: false });
	const send = (message: unknown) => process.send?.(message);
	process.on('message', (message: ChildRequest) => {
		if (message.cmd === 'reset') {
			sandbox.resetLog();
			send({ id: message.id });
		} else if (message.cmd === 'snapshot') {
			const entities = [...new Set(sandbox.requests.map((entry) => entry.entity).filter((entity): entity is string => Boolean(entity)))];
			const snapshot: AutotaskSnapshot = {
				requests: sandbox.requests.map((entry) => ({ at: entry.at, entity: entry.entity, status: entry.status, heldMs: entry.heldMs })),
				refusals: sandbox.threadLimitRefusals,
				maxInFlight: Object.fromEntries(entities.map((entity) => [entity, sandbox.maxConcurrentSeen(entity)])),
				tickets: sandbox.db.tickets.map((ticket) => ({ externalID: ticket.externalID, status: ticket.status })),
			};
			send({ id: message.id, snapshot });
		} else if (message.cmd === 'stop') {
			void sandbox.stop().then(() => {
				send({ id: message.id });
				process.exit(0);
			});
		}
	});
	send({ ready: true, credentials: sandbox.credentials });
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
