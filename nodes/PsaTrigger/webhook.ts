// The trigger's request handling: verify the signature, let the trigger service decide, answer or emit one item.
import type { IDataObject, IHookFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { isPsaError } from '../../lib/providers/errors';
import type { PsaCallbackEvent, PsaProvider } from '../../lib/providers/types';
import { receiveEvent, screenEvent, type DroppedEvent, type EventLink } from '../../lib/services/trigger';
import type { DamagedRowReporter } from '../../lib/store/errors';
import { providerFor, sharedCache, storeOfNode } from '../shared/context';
import { toNodeError } from '../shared/errors';
import { filteredOut, readSettings, type TriggerSettings } from './settings';

export function triggerProvider(fns: IHookFunctions | IWebhookFunctions): Promise<PsaProvider> {
	return providerFor(fns);
}

/** Answers the request itself and starts no run. */
function refuse(fns: IWebhookFunctions, status: number, message: string): IWebhookResponseData {
	fns.getResponseObject().status(status).json({ error: message });
	return { noWebhookResponse: true };
}

/** Acknowledges the delivery (a PSA only needs a 2xx) without starting a run. */
function ignore(reason: string): IWebhookResponseData {
	return { webhookResponse: { received: true, ignored: reason } };
}

function dropped(fns: IWebhookFunctions, verdict: DroppedEvent): IWebhookResponseData {
	if (verdict.warning) fns.logger.warn(verdict.warning, { node: fns.getNode().name });
	return ignore(verdict.reason);
}

async function rawBodyOf(fns: IWebhookFunctions): Promise<Buffer> {
	const request = fns.getRequestObject();
	if (!Buffer.isBuffer(request.rawBody) && typeof request.readRawBody === 'function') await request.readRawBody();
	if (Buffer.isBuffer(request.rawBody)) return request.rawBody;
	if (typeof request.rawBody === 'string') return Buffer.from(request.rawBody, 'utf8');
	// Without the bytes as received the signature can only match a body that re-serialises identically.
	return Buffer.from(JSON.stringify(request.body ?? {}), 'utf8');
}

function itemOf(event: PsaCallbackEvent, link: EventLink | null, provider: PsaProvider, settings: TriggerSettings): IDataObject {
	return {
		action: event.action,
		type: event.type,
		ticketId: event.id,
		ticket: event.ticket ? (JSON.parse(JSON.stringify(event.ticket)) as IDataObject) : null,
		link: link ? { ...link } : null,
		ticketUrl: provider.ticketUrl(event.id),
		...(event.updatedBy !== undefined ? { updatedBy: event.updatedBy } : {}),
		...(settings.includeEntity ? { entity: event.entity as IDataObject } : {}),
	};
}

async function verify(fns: IWebhookFunctions, provider: PsaProvider, rawBody: Buffer): Promise<PsaCallbackEvent | IWebhookResponseData> {
	try {
		return await provider.verifyCallback({ rawBody, headers: fns.getRequestObject().headers });
	} catch (error) {
		if (isPsaError(error, 'authentication')) {
			fns.logger.warn(`PSA Trigger refused a callback: ${error.message}`, { node: fns.getNode().name, workflowId: fns.getWorkflow().id });
			return refuse(fns, 401, 'The callback signature could not be verified');
		}
		if (isPsaError(error, 'invalid-input')) return refuse(fns, 400, error.message);
		throw toNodeError(fns.getNode(), error);
	}
}

export async function handleCallback(fns: IWebhookFunctions): Promise<IWebhookResponseData> {
	const rawBody = await rawBodyOf(fns);
	const provider = await triggerProvider(fns);
	const verified = await verify(fns, provider, rawBody);
	if (!('action' in verified)) return verified;
	const event = verified;
	const settings = readSettings(fns);
	const now = Date.now();
	const screened = screenEvent({ provider, cache: sharedCache }, event, settings, now);
	if (screened) return dropped(fns, screened);
	const ctx = { provider, store: await storeOfNode(fns), cache: sharedCache, now: Date.now };
	// A damaged own-change record is left out of the decision (the callback is answered and may run the workflow) and logged.
	const onDamaged: DamagedRowReporter = (row) =>
		fns.logger.warn(`PSA Trigger skipped a damaged own-change record for ticket ${event.id}: ${row.message}`, { node: fns.getNode().name });
	const delivery = { workflowId: String(fns.getWorkflow().id ?? ''), nodeId: fns.getNode().id ?? fns.getNode().name, rawBody };
	const verdict = await receiveEvent(ctx, event, { rules: settings, delivery, now, onDamaged, filteredOut: (candidate) => filteredOut(candidate, settings, ctx.provider.callbackLevels) });
	if (!verdict.accepted) return dropped(fns, verdict);
	return { workflowData: [fns.helpers.returnJsonArray([itemOf(event, verdict.link, provider, settings)])] };
}
