// This connection's ticket webhooks in Autotask: created with their fields, our API user excluded and a secret key each, listed, removed, and their callouts verified.
import { randomBytes } from 'node:crypto';
import type { PsaCache } from '../../cache';
import { PsaError, isPsaError } from '../errors';
import type { PsaCallbackCreate, PsaCallbackEvent, PsaCallbackRegistration, PsaCallbackRequest } from '../types';
import { callbackUrlOf, isObject } from '../values';
import type { AutotaskClient } from './client';
import { type Filter, q } from './filter';
import { fieldOf, idOf, itemIdOf, itemOf, readWebhook } from './read';
import { SECRET_KEY_MAX, WEBHOOK_FIELDS, WEBHOOK_NAME_MAX, verifyHook } from './webhooks';

const OWN_RESOURCE_TTL_MS = 60 * 60 * 1000;
/** Autotask stores webhook URLs of at most this many characters. */
const WEBHOOK_URL_MAX = 500;

export interface WebhookOwner {
	username: string;
	connectionId: string;
}

/** 32 random bytes as base64url: 43 characters, within Autotask's 64 and far above its advised 10. */
const SECRET_BYTES = 32;

export class AutotaskWebhooks {
	constructor(
		private readonly client: AutotaskClient,
		private readonly cache: PsaCache,
		private readonly owner: WebhookOwner,
		private readonly query: (path: string, filter: Filter[], limit?: number) => Promise<unknown[]>,
	) {}

	/**
	 * Webhook, then its fields one by one (parallel adds trip the thread limit), then our own resource excluded, then
	 * its Guid read back; undone on failure. Each webhook gets a secret key of its own, made here and returned once in
	 * the registration: two triggers on one credential then never verify each other's callouts.
	 */
	async register(input: PsaCallbackCreate): Promise<PsaCallbackRegistration> {
		const url = callbackUrlOf(input?.url, 'Autotask', 'webhookUrl', WEBHOOK_URL_MAX);
		if (input.level !== 'owner') throw new PsaError('invalid-input', `Autotask webhooks watch every ticket; '${String(input.level)}' is not available`, { field: 'level' });
		const name = String(input.description ?? 'PSA Bridge').slice(0, WEBHOOK_NAME_MAX).trim() || 'PSA Bridge';
		const secret = randomBytes(SECRET_BYTES).toString('base64url').slice(0, SECRET_KEY_MAX);
		const body = {
			name,
			webhookUrl: url,
			deactivationUrl: url,
			secretKey: secret,
			isActive: true,
			sendThresholdExceededNotification: false,
			isSubscribedToCreateEvents: true,
			isSubscribedToUpdateEvents: true,
			isSubscribedToDeleteEvents: true,
		};
		const webhookId = itemIdOf(await this.client.request({ method: 'POST', path: '/TicketWebhooks', body, create: true }), 'POST /TicketWebhooks');
		let guid: string;
		try {
			for (const field of WEBHOOK_FIELDS) {
				await this.client.request({
					method: 'POST',
					path: `/TicketWebhooks/${webhookId}/Fields`,
					body: { webhookID: webhookId, fieldID: field.fieldID, isSubscribedField: field.subscribed, isDisplayAlwaysField: true },
				});
			}
			if (input.selfSuppressed) {
				const own = await this.ownResourceId();
				if (own !== undefined) await this.client.request({ method: 'POST', path: `/TicketWebhooks/${webhookId}/ExcludedResources`, body: { webhookID: webhookId, resourceID: own } });
			}
			guid = await this.guidOf(webhookId);
		} catch (error) {
			await this.remove(webhookId).catch(() => undefined);
			throw error;
		}
		return { id: webhookId, url, description: name, level: 'owner', objectId: 0, inactive: false, ...(guid ? { guid } : {}), secret };
	}

	/** The Guid Autotask writes into the webhook's callouts (read-only, made on create); empty when it names none. */
	private async guidOf(webhookId: number): Promise<string> {
		const what = `GET /TicketWebhooks/${webhookId}`;
		const item = itemOf(await this.client.request({ method: 'GET', path: `/TicketWebhooks/${webhookId}` }), what);
		if (!item) throw new PsaError('unavailable', `Autotask lost webhook ${webhookId} right after creating it`, { request: what });
		return readWebhook(item, what).guid;
	}

	/** Whether a webhook's key is still known is the trigger's to judge (it keeps the keys); this lists what Autotask has. */
	async list(): Promise<PsaCallbackRegistration[]> {
		const items = await this.query('/TicketWebhooks/query', []);
		return items.map((item) => readWebhook(item, 'POST /TicketWebhooks/query'));
	}

	/** Removing a webhook that is already gone succeeds: the goal (no webhook) is reached. */
	async remove(id: number): Promise<void> {
		try {
			await this.client.request({ method: 'DELETE', path: `/TicketWebhooks/${id}` });
		} catch (error) {
			if (!isPsaError(error, 'not-found')) throw error;
		}
	}

	/**
	 * Verified with the receiving trigger's own key: there is no key common to a credential's webhooks. A trigger that
	 * has none stored (its webhook predates per-webhook keys, or its activation did not finish) verifies nothing.
	 */
	verify(request: PsaCallbackRequest): PsaCallbackEvent {
		const expected = request.expected;
		if (!expected?.secret) {
			throw new PsaError('authentication', 'This trigger has no webhook secret key in the state store, so no callout can be verified', {
				hint: 'Deactivate and activate the workflow: activation registers the webhook with a key of its own',
			});
		}
		return verifyHook(request, expected.secret, expected.guid);
	}

	/** The API user's own resource, excluded from our webhooks so our changes do not call back. */
	private async ownResourceId(): Promise<number | undefined> {
		return this.cache.getOrLoad(
			this.owner.connectionId,
			'own-resource',
			async () => {
				const name = this.owner.username;
				const items = await this.query('/Resources/query', [q.or(q.eq('userName', name), q.eq('email', name))], 5);
				const own = items.find((item) => isObject(item) && [fieldOf(item, 'userName'), fieldOf(item, 'email')].some((value) => String(value ?? '').toLowerCase() === name.toLowerCase()));
				return own && isObject(own) ? idOf(fieldOf(own, 'id')) : undefined;
			},
			OWN_RESOURCE_TTL_MS,
		);
	}
}
