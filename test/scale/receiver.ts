// A loopback stand-in for the monitoring system the trigger workflow resolves alerts in; it records every call.
import { createServer } from 'node:http';

import { onCleanup } from '../e2e/processes';

export interface ResolveCall {
	entity: string;
	ticketId: number;
	executionId: string;
}

export interface Receiver {
	url: string;
	calls: ResolveCall[];
}

export async function startReceiver(): Promise<Receiver> {
	const calls: ResolveCall[] = [];
	const server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			try {
				const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { entity: string; ticketId: number; executionId: string };
				calls.push({ entity: body.entity, ticketId: body.ticketId, executionId: String(body.executionId) });
				response.writeHead(200, { 'content-type': 'application/json' }).end('{"resolved":true}');
			} catch {
				response.writeHead(400).end();
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as { port: number }).port;
	onCleanup('stop the resolve receiver', () => new Promise<void>((resolve) => server.close(() => resolve())));
	return { url: `http://127.0.0.1:${port}`, calls };
}
