// A loopback HTTP server that records what is POSTed to it: the other end of the sandbox's callbacks in tests.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
	path: string;
	headers: Record<string, string | string[] | undefined>;
	body: string;
}

export interface Receiver {
	url: string;
	received: ReceivedRequest[];
	/** Status answered to every request (default 200). */
	status: number;
	stop(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
	const received: ReceivedRequest[] = [];
	const receiver = { received, status: 200 } as Receiver;
	const server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			received.push({ path: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
			response.writeHead(receiver.status, { 'content-type': 'text/plain' });
			response.end('ok');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	receiver.stop = () =>
		new Promise<void>((resolve) => {
			server.close(() => resolve());
			server.closeAllConnections();
		});
	return receiver;
}
