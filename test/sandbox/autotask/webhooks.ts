// Autotask webhook callouts (contract §9): the payload, the .NET-escaped body bytes, the X-Hook-Signature, and delivery.
import { createHmac } from 'node:crypto';
import { DeliveryLog } from '../delivery-log';

export interface AutotaskWebhookPayload {
	Action: 'Create' | 'Update' | 'Delete' | 'Deactivated';
	Guid: string;
	EntityType?: string;
	Id?: number;
	Fields?: Record<string, string | null>;
	EventTime: string;
	SequenceNumber: number;
	PersonID?: number;
}

export interface AutotaskDelivery {
	webhookId: number;
	url: string;
	/** HTTP status the receiver answered; 0 when it could not be reached or timed out. */
	status: number;
	/** The exact bytes sent, as a string (what the signature covers). */
	body: string;
	/** Request headers sent, lower-cased. */
	headers: Record<string, string>;
	payload: AutotaskWebhookPayload;
	at: string;
	/** 1 for the first try; retries (webhookRetryDelaysMs) count up. */
	attempt: number;
	error?: string;
}

const HTML_SENSITIVE: Record<string, string> = { '&': '\\u0026', '<': '\\u003C', '>': '\\u003E', "'": '\\u0027', '"': '\\u0022', '`': '\\u0060', '+': '\\u002B' };
const SHORT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const unit = (code: number) => `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** A JSON string literal as .NET's default encoder writes it: HTML-sensitive characters and every non-ASCII UTF-16 unit as \uXXXX. */
export function escapeJsonString(text: string): string {
	let out = '"';
	for (let index = 0; index < text.length; index++) {
		const char = text[index];
		const code = text.charCodeAt(index);
		if (HTML_SENSITIVE[char]) out += HTML_SENSITIVE[char];
		else if (SHORT_ESCAPES[char]) out += SHORT_ESCAPES[char];
		else if (code < 0x20 || code > 0x7e) out += unit(code);
		else out += char;
	}
	return `${out}"`;
}

/** Compact JSON with escapeJsonString for every string (keys too): the bytes the sandbox sends and signs. */
export function serializeWebhookBody(value: unknown): string {
	if (value === null || value === undefined) return 'null';
	if (typeof value === 'string') return escapeJsonString(value);
	if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
	if (typeof value === 'boolean') return String(value);
	if (Array.isArray(value)) return `[${value.map(serializeWebhookBody).join(',')}]`;
	const entries = Object.entries(value as Record<string, unknown>).filter(([, child]) => child !== undefined);
	return `{${entries.map(([key, child]) => `${escapeJsonString(key)}:${serializeWebhookBody(child)}`).join(',')}}`;
}

/** `sha1=` + base64(HMAC-SHA1(secretKey, body bytes as UTF-8)): the X-Hook-Signature header value. */
export function signWebhookBody(secretKey: string, body: string): string {
	return `sha1=${createHmac('sha1', secretKey).update(body, 'utf8').digest('base64')}`;
}

export interface DispatchTarget {
	webhookId: number;
	url: string;
	secretKey: string;
}

export class WebhookDispatcher {
	private readonly pending = new Set<Promise<void>>();
	private readonly controllers = new Set<AbortController>();
	private readonly retryTimers = new Set<NodeJS.Timeout>();
	private readonly log = new DeliveryLog<AutotaskDelivery>('webhook deliveries', () => this.inFlight);
	private closed = false;

	constructor(
		private readonly timeoutMs: number,
		private readonly retryDelaysMs: number[],
		private readonly now: () => number,
	) {}

	/** Sends without waiting; every attempt lands in `deliveries`, reachable receiver or not. */
	dispatch(target: DispatchTarget, payload: AutotaskWebhookPayload): void {
		this.attempt(target, payload, 1);
	}

	private attempt(target: DispatchTarget, payload: AutotaskWebhookPayload, attempt: number): void {
		if (this.closed) return;
		const promise = this.send(target, payload, attempt).finally(() => this.pending.delete(promise));
		this.pending.add(promise);
	}

	private async send(target: DispatchTarget, payload: AutotaskWebhookPayload, attempt: number): Promise<void> {
		const body = serializeWebhookBody(payload);
		const headers = {
			'content-type': 'application/json',
			'user-agent': 'Autotask-Webhook-Sandbox',
			'x-hook-signature': signWebhookBody(target.secretKey, body),
		};
		const controller = new AbortController();
		this.controllers.add(controller);
		const timer = setTimeout(() => controller.abort(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
		const delivery: AutotaskDelivery = { webhookId: target.webhookId, url: target.url, status: 0, body, headers, payload, at: new Date(this.now()).toISOString(), attempt };
		try {
			const response = await fetch(target.url, { method: 'POST', headers, body, signal: controller.signal });
			delivery.status = response.status;
			await response.arrayBuffer().catch(() => undefined);
		} catch (error) {
			const reason = controller.signal.aborted ? controller.signal.reason : error;
			delivery.error = reason instanceof Error ? reason.message : String(reason);
		} finally {
			clearTimeout(timer);
			this.controllers.delete(controller);
		}
		this.log.add(delivery);
		const delay = this.retryDelaysMs[attempt - 1];
		if ((delivery.status < 200 || delivery.status >= 300) && delay !== undefined && !this.closed) {
			const retry = setTimeout(() => {
				this.retryTimers.delete(retry);
				this.attempt(target, payload, attempt + 1);
			}, delay);
			this.retryTimers.add(retry);
		}
	}

	get inFlight(): number {
		return this.pending.size + this.retryTimers.size;
	}

	get deliveries(): AutotaskDelivery[] {
		return this.log.entries;
	}

	waitFor(count: number, timeoutMs: number): Promise<AutotaskDelivery[]> {
		return this.log.waitFor(count, timeoutMs);
	}

	clear(): void {
		this.log.clear();
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const timer of this.retryTimers) clearTimeout(timer);
		this.retryTimers.clear();
		for (const controller of this.controllers) controller.abort(new Error('sandbox stopped'));
		await Promise.allSettled([...this.pending]);
	}
}
