// Callback delivery: which registrations a ticket change reaches, ConnectWise's payload, its signature, and the POST.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { CwCallback, CwTicket } from './data';
import { cwTimestamp } from './data';
import { DeliveryLog } from './delivery-log';

export type CallbackAction = 'added' | 'updated' | 'deleted';

/** ConnectWise's callback body. `Entity` is the ticket serialised as a JSON string, as ConnectWise sends it. */
export interface CallbackPayload {
	MessageId: string;
	FromUrl: string;
	CompanyId: string;
	MemberId?: string;
	Action: CallbackAction;
	Type: string;
	ID: number;
	CallbackObjectRecId: number;
	Entity: string;
	Metadata: { key_url: string };
}

export interface Delivery {
	callbackId: number;
	url: string;
	/** HTTP status the receiver answered; 0 when it could not be reached or timed out. */
	status: number;
	/** The exact bytes sent (what the signature covers). */
	body: string;
	payload: CallbackPayload;
	/** Request headers sent, lower-cased. */
	headers: Record<string, string>;
	at: string;
	error?: string;
}

/** base64(HMAC-SHA256(key = SHA-256(signingKey) raw bytes, raw body)): ConnectWise's x-content-signature. */
export function signCallbackBody(signingKey: string, body: string): string {
	const key = createHash('sha256').update(signingKey, 'utf8').digest();
	return createHmac('sha256', key).update(body, 'utf8').digest('base64');
}

/** The registrations a ticket event reaches: active, type ticket, level matching, not self-suppressed for the actor. */
export function callbacksForTicket(callbacks: CwCallback[], ticket: CwTicket, actorMemberId: number | undefined): CwCallback[] {
	return callbacks.filter((callback) => {
		if (callback.inactiveFlag) return false;
		if (callback.type.toLowerCase() !== 'ticket') return false;
		if (callback.isSelfSuppressedFlag && actorMemberId !== undefined && callback.memberId === actorMemberId) return false;
		switch (callback.level.toLowerCase()) {
			case 'owner':
				return true;
			case 'board':
				return callback.objectId === ticket.board.id;
			case 'status':
				return callback.objectId === ticket.status.id;
			case 'company':
				return callback.objectId === ticket.company.id;
			default:
				return false;
		}
	});
}

export class CallbackDispatcher {
	readonly keyId: string;
	readonly signingKey: string;
	private readonly pending = new Set<Promise<void>>();
	private readonly log = new DeliveryLog<Delivery>('callback deliveries', () => this.pending.size);
	private readonly controllers = new Set<AbortController>();

	constructor(private readonly timeoutMs: number) {
		this.keyId = randomBytes(8).toString('hex');
		this.signingKey = randomBytes(24).toString('base64');
	}

	/** Sends one signed POST per registration without waiting; the result lands in `deliveries`. */
	dispatch(callbacks: CwCallback[], build: (callback: CwCallback) => CallbackPayload): void {
		for (const callback of callbacks) {
			const payload = build(callback);
			const promise = this.send(callback, payload).finally(() => this.pending.delete(promise));
			this.pending.add(promise);
		}
	}

	private async send(callback: CwCallback, payload: CallbackPayload): Promise<void> {
		const body = JSON.stringify(payload);
		const headers = {
			'content-type': 'application/json',
			'user-agent': 'ConnectWise-Callback-Sandbox',
			'x-content-signature': signCallbackBody(this.signingKey, body),
		};
		const controller = new AbortController();
		this.controllers.add(controller);
		const timer = setTimeout(() => controller.abort(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
		const delivery: Delivery = { callbackId: callback.id, url: callback.url, status: 0, body, payload, headers, at: cwTimestamp() };
		try {
			const response = await fetch(callback.url, { method: 'POST', headers, body, signal: controller.signal });
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
	}

	/** Deliveries dispatched and not yet finished. */
	get inFlight(): number {
		return this.pending.size;
	}

	get deliveries(): Delivery[] {
		return this.log.entries;
	}

	/** Resolves once at least `count` deliveries have completed (since the last clear); rejects after `timeoutMs`. */
	waitFor(count: number, timeoutMs: number): Promise<Delivery[]> {
		return this.log.waitFor(count, timeoutMs);
	}

	clear(): void {
		this.log.clear();
	}

	/** Aborts deliveries still in flight and waits for them to settle. */
	async close(): Promise<void> {
		for (const controller of this.controllers) controller.abort(new Error('sandbox stopped'));
		await Promise.allSettled([...this.pending]);
	}
}
