// The trigger's request handling: verify the signature, drop what the filters, the age limit, the replay record and the echo record rule out, emit one item.
import type { IDataObject, IHookFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { isPsaError } from '../../lib/providers/errors';
import { linkKeyOf } from '../../lib/providers/link-key';
import type { PsaCallbackEvent, PsaProvider } from '../../lib/providers/types';
import { connectionOf, type PsaServiceContext } from '../../lib/services/context';
import { eventUpdatedBy, isRecentOwnChange, learnOwnIdentity } from '../../lib/services/echo';
import { forgetTicket } from '../../lib/services/ticket-state';
import type { DamagedRowReporter } from '../../lib/store/errors';
import type { TicketLink } from '../../lib/store/types';
import { buildProvider, sharedCache, STORE_CREDENTIAL_TYPE, storeFor, storeOptionsOf } from '../shared/context';
import { toNodeError } from '../shared/errors';
import { n8nTransport, PSA_CREDENTIAL_TYPE } from '../shared/transport';
import { acceptDeliveryOnce, staleReason } from './replay';
import { filteredOut, readSettings, type TriggerSettings } from './settings';

export async function triggerProvider(fns: IHookFunctions | IWebhookFunctions): Promise<PsaProvider> {
	const credentials = await fns.getCredentials(PSA_CREDENTIAL_TYPE);
	return buildProvider(credentials, n8nTransport(fns), true);
}

async function serviceContext(fns: IWebhookFunctions, provider: PsaProvider): Promise<PsaServiceContext> {
	const hasStoreCredential = fns.getNode().credentials?.[STORE_CREDENTIAL_TYPE] !== undefined;
	const credentials = hasStoreCredential ? await fns.getCredentials(STORE_CREDENTIAL_TYPE) : undefined;
	return { provider, store: await storeFor(storeOptionsOf(credentials)), cache: sharedCache, now: Date.now };
}

/** Answers the request itself and starts no run. */
function refuse(fns: IWebhookFunctions, status: number, message: string): IWebhookResponseData {
	fns.getResponseObject().status(status).json({ error: message });
	return { noWebhookResponse: true };
}

/** Acknowledges the delivery (ConnectWise only needs a 2xx) without starting a run. */
function ignore(reason: string): IWebhookResponseData {
	return { webhookResponse: { received: true, ignored: reason } };
}

async function rawBodyOf(fns: IWebhookFunctions): Promise<Buffer> {
	const request = fns.getRequestObject();
	if (!Buffer.isBuffer(request.rawBody) && typeof request.readRawBody === 'function') await request.readRawBody();
	if (Buffer.isBuffer(request.rawBody)) return request.rawBody;
	if (typeof request.rawBody === 'string') return Buffer.from(request.rawBody, 'utf8');
	// Without the bytes as received the signature can only match a body that re-serialises identically.
	return Buffer.from(JSON.stringify(request.body ?? {}), 'utf8');
}

/** The link that explains the ticket: the live one first, a closed one otherwise. */
function linkOf(links: TicketLink[]): IDataObject | null {
	const link = links.find((candidate) => candidate.state === 'linked') ?? links[0];
	return link ? { source: link.source, externalId: link.externalId, state: link.state } : null;
}

/**
 * A ticket PSA Link created carries the PSA-side reference of its link key, and its link row exists from before the
 * create: pending until the create's answer arrives (the callback may come first), then linked to this ticket.
 */
async function createdByPsaLink(ctx: PsaServiceContext, connectionId: string, event: PsaCallbackEvent): Promise<boolean> {
	const reference = event.ticket?.externalRef;
	if (!reference) return false;
	const candidates = [
		...(await ctx.store.links.findByTicket(connectionId, event.id)),
		...(await ctx.store.links.list(connectionId, { state: 'pending', limit: 1000 })),
	];
	return candidates.some(
		(link) => (link.ticketId === null || link.ticketId === event.id) && ctx.provider.externalReferenceOf(linkKeyOf(link.source, link.externalId)) === reference,
	);
}

async function isOwnChange(
	ctx: PsaServiceContext,
	connectionId: string,
	event: PsaCallbackEvent,
	settings: TriggerSettings,
	onDamaged: DamagedRowReporter,
): Promise<boolean> {
	if (event.action === 'added' && (await createdByPsaLink(ctx, connectionId, event))) {
		// Certainly ours, so whoever the PSA says created it is the member our changes are made as.
		learnOwnIdentity(ctx, connectionId, eventUpdatedBy(event));
		return true;
	}
	return isRecentOwnChange(ctx, event.id, { withinMs: settings.echoWindowMs, event, onDamaged });
}

function itemOf(event: PsaCallbackEvent, link: IDataObject | null, provider: PsaProvider, settings: TriggerSettings): IDataObject {
	const info = event.entity._info;
	const updatedBy = info !== null && typeof info === 'object' ? (info as Record<string, unknown>).updatedBy : undefined;
	return {
		action: event.action,
		type: event.type,
		ticketId: event.id,
		ticket: event.ticket ? (JSON.parse(JSON.stringify(event.ticket)) as IDataObject) : null,
		link,
		ticketUrl: provider.ticketUrl(event.id),
		...(typeof updatedBy === 'string' ? { updatedBy } : {}),
		...(settings.includeEntity ? { entity: event.entity as IDataObject } : {}),
	};
}

/** Records the ticket's state (open, closed, deleted) on its links, from a verified event. */
async function recordTicketState(ctx: PsaServiceContext, connectionId: string, event: PsaCallbackEvent): Promise<void> {
	if (event.action === 'deleted') {
		await ctx.store.links.setTicketState(connectionId, event.id, 'deleted');
		return;
	}
	if (!event.ticket) return;
	const closedAt = event.ticket.closedAt ? Date.parse(event.ticket.closedAt) : Number.NaN;
	const gone = event.ticket.mergedIntoTicketId !== undefined;
	await ctx.store.links.setTicketState(connectionId, event.id, gone ? 'deleted' : event.ticket.closed ? 'closed' : 'open', Number.isNaN(closedAt) ? {} : { closedAt });
}

export async function handleCallback(fns: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = fns.getRequestObject();
	const rawBody = await rawBodyOf(fns);
	const provider = await triggerProvider(fns);
	let event: PsaCallbackEvent;
	try {
		event = await provider.verifyCallback({ rawBody, headers: request.headers });
	} catch (error) {
		if (isPsaError(error, 'authentication')) {
			fns.logger.warn(`PSA Trigger refused a callback: ${error.message}`, { node: fns.getNode().name, workflowId: fns.getWorkflow().id });
			return refuse(fns, 401, 'The callback signature could not be verified');
		}
		if (isPsaError(error, 'invalid-input')) return refuse(fns, 400, error.message);
		throw toNodeError(fns.getNode(), error);
	}
	// A verified event is fresher news of the ticket than what PSA Status remembered in this process.
	forgetTicket(sharedCache, provider.connection.connectionId, event.id);

	const settings = readSettings(fns);
	const now = Date.now();
	const stale = staleReason(event, now, settings.maxEventAgeMs);
	if (stale) {
		fns.logger.warn(`PSA Trigger ignored a replayed or late callback for ticket ${event.id}: ${stale}`, { node: fns.getNode().name });
		return ignore('stale');
	}

	const ctx = await serviceContext(fns, provider);
	const connectionId = await connectionOf(ctx);
	// Whatever the filters say, the links learn what became of their ticket: PSA Link's closed-ticket policy then needs no read.
	await recordTicketState(ctx, connectionId, event);
	const filtered = filteredOut(event, settings);
	if (filtered) return ignore(filtered);
	// A damaged own-change record is left out of the decision (the callback is answered and may run the workflow) and logged.
	const onDamaged: DamagedRowReporter = (row) =>
		fns.logger.warn(`PSA Trigger skipped a damaged own-change record for ticket ${event.id}: ${row.message}`, { node: fns.getNode().name });
	if (settings.ignoreOwnChanges && (await isOwnChange(ctx, connectionId, event, settings, onDamaged))) return ignore('own change');
	const scope = { workflowId: String(fns.getWorkflow().id ?? ''), nodeId: fns.getNode().id ?? fns.getNode().name };
	if (!(await acceptDeliveryOnce(ctx.store, connectionId, scope, rawBody, now))) {
		fns.logger.warn(`PSA Trigger ignored a repeated delivery for ticket ${event.id}`, { node: fns.getNode().name });
		return ignore('duplicate delivery');
	}
	const link = linkOf(await ctx.store.links.findByTicket(connectionId, event.id));
	if (settings.linkedOnly && !link) return ignore('ticket is not linked');
	return { workflowData: [fns.helpers.returnJsonArray([itemOf(event, link, provider, settings)])] };
}
