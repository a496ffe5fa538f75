// The trigger's request handling in n8n terms: the request to the trigger service's input, its decision to a response, an item or a log line.
import type { IDataObject, IHookFunctions, ITriggerFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { reserialisedBody } from '../../lib/providers/callback-body';
import type { PsaProvider } from '../../lib/providers/types';
import { handleTriggerEvent, type TriggerDecision } from '../../lib/services/trigger';
import { providerFor, sharedCache, storeOfNode } from '../shared/context';
import { toNodeError } from '../shared/errors';
import { readSettings } from './settings';

export function triggerProvider(fns: IHookFunctions | IWebhookFunctions | ITriggerFunctions): Promise<PsaProvider> {
	return providerFor(fns);
}

async function rawBodyOf(fns: IWebhookFunctions): Promise<Buffer> {
	const request = fns.getRequestObject();
	if (!Buffer.isBuffer(request.rawBody) && typeof request.readRawBody === 'function') await request.readRawBody();
	if (Buffer.isBuffer(request.rawBody)) return request.rawBody;
	if (typeof request.rawBody === 'string') return Buffer.from(request.rawBody, 'utf8');
	// Without the bytes as received the signature can only match a body that re-serialises identically; one too deep
	// or too large to re-serialise safely is left empty, so it fails verification.
	return Buffer.from(reserialisedBody(request.body) ?? '', 'utf8');
}

function respond(fns: IWebhookFunctions, decision: TriggerDecision): IWebhookResponseData {
	const node = fns.getNode().name;
	switch (decision.outcome) {
		case 'emit':
			return { workflowData: [fns.helpers.returnJsonArray([decision.item as unknown as IDataObject])] };
		case 'ignore':
			if (decision.warning) fns.logger.warn(decision.warning, { node });
			// A PSA only needs a 2xx; no run starts.
			return { webhookResponse: { received: true, ignored: decision.reason } };
		case 'refuse':
			if (decision.warning) fns.logger.warn(decision.warning, { node, workflowId: fns.getWorkflow().id });
			// Answered here, so n8n sends no response of its own and starts no run.
			fns.getResponseObject().status(decision.status).json({ error: decision.message });
			return { noWebhookResponse: true };
	}
}

export async function handleCallback(fns: IWebhookFunctions): Promise<IWebhookResponseData> {
	const rawBody = await rawBodyOf(fns);
	const provider = await triggerProvider(fns);
	const node = fns.getNode();
	const request = fns.getRequestObject();
	// The query may hold the callback's token (ConnectWise): handed to verification only, never to a log line or item.
	const query = (request.query ?? {}) as Record<string, unknown>;
	const delivery = { workflowId: String(fns.getWorkflow().id ?? ''), nodeId: node.id ?? node.name, rawBody, headers: request.headers, query };
	const context = {
		provider,
		cache: sharedCache,
		now: Date.now,
		store: () => storeOfNode(fns),
		warn: (message: string) => fns.logger.warn(message, { node: node.name }),
	};
	let decision: TriggerDecision;
	try {
		decision = await handleTriggerEvent(context, delivery, readSettings(fns));
	} catch (error) {
		throw toNodeError(node, error);
	}
	return respond(fns, decision);
}
