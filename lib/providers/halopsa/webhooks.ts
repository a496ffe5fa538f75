// Halo webhooks for PSA Trigger: registered with a secret of their own in the Basic authentication Halo sends (Halo signs no payload), their ticket events attached, removed with them; a delivery is checked in constant time and its ticket read back by id.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PsaCache } from '../../cache';
import { checkCallbackBody, rawBytesOf, type CallbackBodyLimits } from '../callback-body';
import { PsaError, isPsaError } from '../errors';
import type { PsaCallbackCreate, PsaCallbackEvent, PsaCallbackRegistration, PsaCallbackRequest, PsaEventAction, PsaTicket } from '../types';
import { callbackUrlOf, headerOf, isObject } from '../values';
import { type HaloClient, listOf } from './client';
import { idOf, readWebhook, savedRecord, textOf } from './read';

/** The user name of the Basic authentication Halo sends with each delivery; the password is the webhook's own secret. */
export const WEBHOOK_USER = 'psa-bridge';
/** Halo's notification events for tickets [client]: new, updated by the end user, closed, status changed, deleted. */
export const TICKET_EVENTS: ReadonlyArray<{ eventno: number; name: string; action: PsaEventAction }> = [
	{ eventno: 3, name: 'New Ticket Logged', action: 'added' },
	{ eventno: 19, name: 'Ticket Updated by User', action: 'updated' },
	{ eventno: 39, name: 'Ticket Closed', action: 'updated' },
	{ eventno: 76, name: 'Ticket Status Changed', action: 'updated' },
	{ eventno: 1072, name: 'Ticket Deleted', action: 'deleted' },
];
/** Halo's delivery method for a webhook notification [client]. */
const DELIVERY_WEBHOOK = 6;
const SECRET_BYTES = 32;
const WEBHOOK_KEYS_TTL_MS = 24 * 60 * 60 * 1000;

/** A delivery is a ticket-sized JSON object; these bounds refuse what Halo never sends before it is parsed. */
export const DELIVERY_LIMITS: CallbackBodyLimits = { maxBytes: 256 * 1024, maxDepth: 12, maxMembers: 20_000 };

/** The Authorization header Halo sends for a webhook registered with `secret`. */
export function webhookAuthorization(secret: string): string {
	return `Basic ${Buffer.from(`${WEBHOOK_USER}:${secret}`, 'utf8').toString('base64')}`;
}

/** Constant time whatever the lengths: both sides are hashed first. */
function sameSecret(expected: string, received: string): boolean {
	const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
	return timingSafeEqual(digest(expected), digest(received));
}

function forged(message: string): PsaError {
	return new PsaError('authentication', message, { hint: 'Only Halo webhook deliveries carrying the secret this package registered are accepted' });
}

/** What the read-back found: the ticket as it is now and who last acted on it, or nothing (deleted). */
export type ReadBack = (ticketId: number) => Promise<{ ticket: PsaTicket; lastActionId?: number } | undefined>;

export class HaloWebhooks {
	constructor(
		private readonly client: HaloClient,
		private readonly cache: PsaCache,
		private readonly connectionId: string,
	) {}

	/** The webhook with Basic authentication and a secret of its own, then its ticket events in one upsert; undone on failure. */
	async register(input: PsaCallbackCreate): Promise<PsaCallbackRegistration> {
		const url = callbackUrlOf(input?.url, 'Halo', 'url');
		if (input.level !== 'owner') throw new PsaError('invalid-input', `Halo webhooks watch every ticket; '${String(input.level)}' is not available`, { field: 'level' });
		const name = String(input.description ?? 'PSA Bridge').slice(0, 100).trim() || 'PSA Bridge';
		const secret = randomBytes(SECRET_BYTES).toString('base64url');
		const body = [{ name, url, method: 0, content_type: 'application/json', authentication_type: 1, basic_username: WEBHOOK_USER, basic_password: secret, active: true, payload_type: 0 }];
		const saved = savedRecord(await this.client.request({ method: 'POST', path: '/Webhook', body, create: true }), 'POST /Webhook');
		const webhook = readWebhook(saved, 'POST /Webhook');
		try {
			const notifications = TICKET_EVENTS.map((event) => ({ webhook_id: webhook.guid, delivery_method: DELIVERY_WEBHOOK, eventno: event.eventno, name: `${name}: ${event.name}` }));
			await this.client.request({ method: 'POST', path: '/Notification', body: notifications, create: true });
		} catch (error) {
			await this.removeByGuid(webhook.guid).catch(() => undefined);
			throw error;
		}
		this.remember(webhook.id, webhook.guid);
		return { ...webhook, url, description: name, inactive: false, secret };
	}

	async list(): Promise<PsaCallbackRegistration[]> {
		const webhooks = listOf(await this.client.request({ method: 'GET', path: '/Webhook' }), 'webhooks', 'GET /Webhook').map((record) => readWebhook(record, 'GET /Webhook'));
		for (const webhook of webhooks) this.remember(webhook.id, webhook.guid);
		return webhooks;
	}

	/** Its notifications first, then the webhook; one already gone counts as removed. */
	async remove(id: number): Promise<void> {
		let guid = this.cache.get<string>(this.connectionId, `webhook:${id}`);
		if (!guid) guid = (await this.list()).find((webhook) => webhook.id === id)?.guid;
		if (guid) await this.removeByGuid(guid);
	}

	private async removeByGuid(guid: string): Promise<void> {
		const notifications = listOf(await this.client.request({ method: 'GET', path: '/Notification', query: { webhook_id: guid } }), 'notifications', 'GET /Notification');
		for (const notification of notifications) {
			const id = idOf(notification.id);
			if (id !== undefined && String(notification.webhook_id ?? guid).toLowerCase() === guid.toLowerCase()) await this.deleteQuietly(`/Notification/${id}`);
		}
		await this.deleteQuietly(`/Webhook/${guid}`);
	}

	private async deleteQuietly(path: string): Promise<void> {
		try {
			await this.client.request({ method: 'DELETE', path });
		} catch (error) {
			if (!isPsaError(error, 'not-found')) throw error;
		}
	}

	private remember(id: number, guid: string): void {
		this.cache.set(this.connectionId, `webhook:${id}`, guid, WEBHOOK_KEYS_TTL_MS);
	}

	/**
	 * The secret is checked first (constant time), then the body's size and shape; the body only names the ticket and
	 * the event [open: Halo's payload shape]. The ticket is read back by id, so what the trigger emits is Halo's own state,
	 * and a delivery is named by that state: a replay of a change already delivered is recognised whatever its bytes.
	 */
	async verify(request: PsaCallbackRequest, readBack: ReadBack): Promise<PsaCallbackEvent> {
		const expected = request.expected;
		if (!expected?.secret) {
			throw new PsaError('authentication', 'This trigger has no webhook secret in the state store, so no delivery can be verified', {
				hint: 'Deactivate and activate the workflow: activation registers the webhook with a secret of its own',
			});
		}
		const received = headerOf(request.headers, 'authorization') ?? '';
		if (!sameSecret(webhookAuthorization(expected.secret), received)) throw forged('The webhook delivery does not carry this trigger\'s secret');
		const raw = rawBytesOf(request);
		checkCallbackBody(raw, DELIVERY_LIMITS, 'Halo', forged);
		let payload: unknown;
		try {
			payload = JSON.parse(raw.toString('utf8'));
		} catch {
			throw new PsaError('invalid-input', 'The Halo webhook delivery is not JSON');
		}
		if (!isObject(payload)) throw new PsaError('invalid-input', 'The Halo webhook delivery is not a JSON object');
		const ticketId = ticketIdOf(payload);
		if (ticketId === undefined) return { action: 'updated', type: 'unknown', id: 0, entity: payload };
		const eventno = idOf(payload.event_id ?? payload.eventno ?? (isObject(payload.event) ? payload.event.id : undefined));
		const found = await readBack(ticketId);
		const said = TICKET_EVENTS.find((event) => event.eventno === eventno)?.action ?? 'updated';
		if (!found) {
			// Halo tells of a deleted ticket by its delete event; any other event for a ticket it does not have was not sent by it.
			if (said !== 'deleted') throw forged(`The webhook delivery names ticket ${ticketId}, which Halo does not have`);
			return { action: 'deleted', type: 'ticket', id: ticketId, entity: payload, deliveryKey: `halo:${expected.guid ?? expected.id}:${ticketId}:deleted` };
		}
		const { ticket } = found;
		const action: PsaEventAction = said === 'deleted' ? 'updated' : said;
		const event: PsaCallbackEvent = { action, type: 'ticket', id: ticketId, ticket, entity: payload };
		if (ticket.updatedAt) event.updatedAt = ticket.updatedAt;
		if (ticket.updatedBy) event.updatedBy = ticket.updatedBy;
		if (ticket.externalRef) event.externalReference = ticket.externalRef;
		event.deliveryKey = ['halo', expected.guid ?? expected.id, ticketId, action, ticket.updatedAt ?? '', found.lastActionId ?? '', ticket.status.id].join(':');
		return event;
	}
}

/** The ticket a delivery names: its ticket object's id, or a ticket id beside the event [open]. */
function ticketIdOf(payload: Record<string, unknown>): number | undefined {
	if (isObject(payload.ticket)) return idOf(payload.ticket.id);
	return idOf(payload.ticket_id) ?? idOf(payload.object_id) ?? (textOf(payload.type)?.toLowerCase() === 'ticket' ? idOf(payload.id) : undefined);
}
