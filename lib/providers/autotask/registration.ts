// This connection's ticket webhooks in Autotask: created with their fields and our API user excluded, listed, removed, and their callouts verified.
import { createHmac } from 'node:crypto';
import type { PsaCache } from '../../cache';
import { PsaError, isPsaError } from '../errors';
import type { PsaCallbackCreate, PsaCallbackEvent, PsaCallbackRegistration, PsaCallbackRequest } from '../types';
import { callbackUrlOf, isObject } from '../values';
import type { AutotaskClient } from './client';
import { type Filter, q } from './filter';
import { fieldOf, idOf, itemIdOf, readWebhook } from './read';
import { SECRET_KEY_MAX, WEBHOOK_FIELDS, WEBHOOK_NAME_MAX, verifyHook } from './webhooks';

const OWN_RESOURCE_TTL_MS = 60 * 60 * 1000;
/** Autotask stores webhook URLs of at most this many characters. */
const WEBHOOK_URL_MAX = 500;

export interface WebhookOwner {
	username: string;
	secret: string;
	connectionId: string;
}

export class AutotaskWebhooks {
	constructor(
		private readonly client: AutotaskClient,
		private readonly cache: PsaCache,
		private readonly owner: WebhookOwner,
		private readonly query: (path: string, filter: Filter[], limit?: number) => Promise<unknown[]>,
	) {}

	/** Webhook, then its fields one by one (parallel adds trip the thread limit), then our own resource excluded; undone on failure. */
	async register(input: PsaCallbackCreate): Promise<PsaCallbackRegistration> {
		const url = callbackUrlOf(input?.url, 'Autotask', 'webhookUrl', WEBHOOK_URL_MAX);
		if (input.level !== 'owner') throw new PsaError('invalid-input', `Autotask webhooks watch every ticket; '${String(input.level)}' is not available`, { field: 'level' });
		const name = `${String(input.description ?? 'PSA Bridge').slice(0, WEBHOOK_NAME_MAX - 11).trim()} [k:${this.keyId()}]`;
		const body = {
			name,
			webhookUrl: url,
			deactivationUrl: url,
			secretKey: this.key(),
			isActive: true,
			sendThresholdExceededNotification: false,
			isSubscribedToCreateEvents: true,
			isSubscribedToUpdateEvents: true,
			isSubscribedToDeleteEvents: true,
		};
		const webhookId = itemIdOf(await this.client.request({ method: 'POST', path: '/TicketWebhooks', body, create: true }), 'POST /TicketWebhooks');
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
		} catch (error) {
			await this.remove(webhookId).catch(() => undefined);
			throw error;
		}
		return { id: webhookId, url, description: name, level: 'owner', objectId: 0, inactive: false };
	}

	/** Webhooks signed with another key (a rotated Secret) count as inactive, so the trigger replaces them. */
	async list(): Promise<PsaCallbackRegistration[]> {
		const items = await this.query('/TicketWebhooks/query', []);
		const keyTag = `[k:${this.keyId()}]`;
		return items.map((item) => {
			const { guid: _guid, ...webhook } = readWebhook(item, 'POST /TicketWebhooks/query');
			return webhook.description.endsWith(keyTag) ? webhook : { ...webhook, inactive: true };
		});
	}

	/** Removing a webhook that is already gone succeeds: the goal (no webhook) is reached. */
	async remove(id: number): Promise<void> {
		try {
			await this.client.request({ method: 'DELETE', path: `/TicketWebhooks/${id}` });
		} catch (error) {
			if (!isPsaError(error, 'not-found')) throw error;
		}
	}

	verify(request: PsaCallbackRequest): PsaCallbackEvent {
		return verifyHook(request, this.key());
	}

	/**
	 * The webhook secret key, derived from the credential's Secret and user name: nothing to store, the same in every
	 * process, and a rotated Secret makes new keys (old webhooks are then replaced on activation).
	 */
	private key(): string {
		if (!this.owner.secret) throw new PsaError('configuration', "The Autotask credential's Secret is empty", { hint: 'Fill in the Secret in the credential' });
		return createHmac('sha256', this.owner.secret).update(`psa-bridge autotask webhook v1|${this.owner.username.toLowerCase()}`).digest('base64url').slice(0, SECRET_KEY_MAX);
	}

	private keyId(): string {
		return createHmac('sha256', this.key()).update('id').digest('hex').slice(0, 6);
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
