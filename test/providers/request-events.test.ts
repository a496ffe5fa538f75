// The request layer's events: what RequestSender reports for each step, the log line and level, and how the nodes hand them to n8n's logger.
import type { HttpResponse, HttpTransport } from '../../lib/providers/http';
import { DEFAULT_RETRY_POLICY, RequestSender } from '../../lib/providers/request';
import { describeRequestEvent, redactedEvent, requestEventLevel, type RequestEvent, type SenderEvent } from '../../lib/providers/request-events';
import { requestLogOf } from '../../nodes/shared/context';

function scripted(answers: Array<HttpResponse | Error>): HttpTransport {
	return async () => {
		const next = answers.shift();
		if (!next) throw new Error('no more answers');
		if (next instanceof Error) throw next;
		return next;
	};
}

const answer = (status: number, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: {} });

function senderWith(http: HttpTransport, events: SenderEvent[], onEvent: (event: SenderEvent) => void = (event) => events.push(event)) {
	let now = 1000;
	const clock = { now: () => now, sleep: async (ms: number) => void (now += ms), random: () => 0.5 };
	return new RequestSender(http, DEFAULT_RETRY_POLICY, clock, undefined, { onEvent });
}

const noAnswer = (error: unknown) => error as never;

describe('RequestSender events', () => {
	it('an attempt, its answer, the retry with its delay and reason, then the next attempt', async () => {
		const events: SenderEvent[] = [];
		const sender = senderWith(scripted([answer(503), answer(200)]), events);
		await sender.send({ method: 'GET', url: 'https://psa.example/apis/3.0/service/tickets/12?fields=id', headers: {} }, { idempotent: true, noAnswer, label: 'GET /service/tickets/12' });
		expect(events.map((event) => event.kind)).toEqual(['attempt', 'answer', 'retry', 'attempt', 'answer']);
		expect(events[2]).toEqual({ kind: 'retry', request: 'GET /service/tickets/12', attempt: 1, reason: 'server-error', delayMs: 125, status: 503 });
		expect(events[4]).toMatchObject({ kind: 'answer', attempt: 2, status: 200 });
	});

	it('a throttled answer reports its Retry-After; a lost answer its error; the path without the query names the request', async () => {
		const events: SenderEvent[] = [];
		const sender = senderWith(scripted([answer(429, { 'retry-after': '2' }), new Error('socket hang up'), answer(200)]), events);
		await sender.send({ method: 'GET', url: 'https://psa.example/V1.0/Companies/175?user=x', headers: {} }, { idempotent: true, noAnswer });
		expect(events.find((event) => event.kind === 'throttled')).toEqual({ kind: 'throttled', request: 'GET /V1.0/Companies/175', attempt: 1, status: 429, retryAfterMs: 2000 });
		expect(events.find((event) => event.kind === 'retry' && event.reason === 'no-answer')).toMatchObject({ attempt: 2, detail: 'socket hang up' });
	});

	it('a listener that throws changes nothing for the request', async () => {
		const sender = senderWith(scripted([answer(503), answer(200)]), [], () => {
			throw new Error('log sink down');
		});
		const outcome = await sender.send({ method: 'GET', url: 'https://psa.example/x', headers: {} }, { idempotent: true, noAnswer });
		expect(outcome).toMatchObject({ attempts: 2, response: { status: 200 } });
	});
});

describe('log lines', () => {
	const retry: RequestEvent = {
		kind: 'retry',
		provider: 'connectwise',
		connectionId: 'connectwise:psa.example|acme',
		request: 'GET /service/tickets/12',
		attempt: 1,
		reason: 'server-error',
		delayMs: 412,
		status: 503,
	};

	it('one line per event, warn for what slows or repeats a request, debug for the rest', () => {
		expect(describeRequestEvent(retry)).toBe('PSA request connectwise GET /service/tickets/12 attempt 1: retry in 412 ms (server-error, status 503)');
		expect(requestEventLevel(retry)).toBe('warn');
		expect(requestEventLevel({ kind: 'throttled' })).toBe('warn');
		expect(requestEventLevel({ kind: 'held' })).toBe('warn');
		expect(requestEventLevel({ kind: 'attempt' })).toBe('debug');
		expect(requestEventLevel({ kind: 'answer' })).toBe('debug');
		expect(requestEventLevel({ kind: 'limiter-wait' })).toBe('debug');
	});

	it('redaction reaches every text field', () => {
		const event: RequestEvent = { ...retry, reason: 'no-answer', detail: 'sent Secret: TopSecret123' };
		expect(redactedEvent(event, (text) => text.split('TopSecret123').join('[redacted]'))).toMatchObject({ detail: 'sent Secret: [redacted]', delayMs: 412 });
	});

	it("the nodes forward each event to n8n's logger at its level, with the node's name", () => {
		const calls: Array<[string, string, Record<string, unknown>]> = [];
		const logger = {
			debug: (message: string, meta: Record<string, unknown>) => calls.push(['debug', message, meta]),
			warn: (message: string, meta: Record<string, unknown>) => calls.push(['warn', message, meta]),
			info: () => undefined,
			error: () => undefined,
		};
		const fns = { logger, getNode: () => ({ name: 'PSA Link', parameters: {} }) } as never;
		const log = requestLogOf(fns)!;
		log(retry);
		log({ kind: 'attempt', provider: 'autotask', connectionId: 'autotask:x', request: 'POST /Tickets', attempt: 1, endpoint: 'Tickets' });
		expect(calls[0]).toEqual(['warn', describeRequestEvent(retry), expect.objectContaining({ node: 'PSA Link', kind: 'retry', delayMs: 412 })]);
		expect(calls[1]).toEqual(['debug', 'PSA request autotask POST /Tickets attempt 1: sending', expect.objectContaining({ node: 'PSA Link', endpoint: 'Tickets' })]);
	});
});
