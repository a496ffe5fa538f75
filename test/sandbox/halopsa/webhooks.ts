// The HaloPSA sandbox's webhook deliveries: a ticket event goes to every active webhook with a notification for it, with the authentication the webhook was registered with and no signature (Halo signs none).
import { randomUUID } from 'node:crypto';
import { DeliveryLog } from '../delivery-log';
import type { HaloDb, HaloWebhook } from './data';
import type { TicketEvent } from './tickets';

export interface HaloDelivery {
	webhookId: string;
	url: string;
	eventno: number;
	/** 0 when no answer came. */
	status: number;
	body: string;
	headers: Record<string, string>;
	at: string;
	error?: string;
}

const EVENT_NAMES: Record<number, string> = { 3: 'New Ticket Logged', 19: 'Ticket Updated by User', 39: 'Ticket Closed', 76: 'Ticket Status Changed', 1072: 'Ticket Deleted' };

/** What Halo sends for the webhook's authentication type: 1 Basic, 2 Bearer (the password as token), 3 a header named by authentication_header. */
export function deliveryHeaders(webhook: HaloWebhook): Record<string, string> {
	const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Halo-Webhook-Sandbox' };
	if (webhook.authentication_type === 1) headers.authorization = `Basic ${Buffer.from(`${webhook.basic_username}:${webhook.basic_password}`).toString('base64')}`;
	if (webhook.authentication_type === 2) headers.authorization = `Bearer ${webhook.basic_password}`;
	if (webhook.authentication_type === 3 && webhook.authentication_header) headers[webhook.authentication_header.toLowerCase()] = webhook.basic_password;
	return headers;
}

export class WebhookDispatcher {
	private readonly pending = new Set<Promise<void>>();
	private readonly log = new DeliveryLog<HaloDelivery>('webhook deliveries', () => this.pending.size);
	private closed = false;

	constructor(
		private readonly db: HaloDb,
		private readonly now: () => number,
		private readonly timeoutMs = 5000,
	) {}

	get deliveries(): HaloDelivery[] {
		return this.log.entries;
	}

	get inFlight(): number {
		return this.pending.size;
	}

	/** Sends without waiting, to each webhook subscribed to the event. The body names the event and the ticket [open: Halo's payload shape]. */
	dispatch(event: TicketEvent): void {
		if (this.closed) return;
		const subscribed = new Set(this.db.notifications.filter((notification) => notification.eventno === event.eventno).map((notification) => notification.webhook_id));
		for (const webhook of this.db.webhooks.filter((candidate) => candidate.active && subscribed.has(candidate.id))) {
			const { ticket } = event;
			const payload = {
				id: randomUUID(),
				event_id: event.eventno,
				event: EVENT_NAMES[event.eventno] ?? 'Ticket event',
				ticket: { id: ticket.id, summary: ticket.summary, status_id: ticket.status_id, client_id: ticket.client_id, tickettype_id: ticket.tickettype_id, last_update: ticket.last_update },
				timestamp: new Date(this.now()).toISOString(),
			};
			const promise = this.send(webhook, event.eventno, JSON.stringify(payload)).finally(() => this.pending.delete(promise));
			this.pending.add(promise);
		}
	}

	private async send(webhook: HaloWebhook, eventno: number, body: string): Promise<void> {
		const headers = deliveryHeaders(webhook);
		const delivery: HaloDelivery = { webhookId: webhook.id, url: webhook.url, eventno, status: 0, body, headers, at: new Date(this.now()).toISOString() };
		try {
			const response = await fetch(webhook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
			delivery.status = response.status;
			await response.arrayBuffer().catch(() => undefined);
		} catch (error) {
			delivery.error = error instanceof Error ? error.message : String(error);
		}
		this.log.add(delivery);
	}

	waitFor(count: number, timeoutMs: number): Promise<HaloDelivery[]> {
		return this.log.waitFor(count, timeoutMs);
	}

	clear(): void {
		this.log.clear();
	}

	async close(): Promise<void> {
		this.closed = true;
		await Promise.allSettled([...this.pending]);
	}
}
