// Ticket webhooks: registration (webhook, fields, excluded resource), the signing key, and X-Hook-Signature verification.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PsaError } from '../errors';
import type { PsaCallbackEvent, PsaCallbackRequest, PsaEventAction, PsaTicket } from '../types';
import { headerOf, isObject } from '../values';
import { COMPLETE_STATUS, idOf, utc } from './read';

export const SIGNATURE_HEADER = 'x-hook-signature';
/** Autotask's limits on TicketWebhooks.name and secretKey. */
export const WEBHOOK_NAME_MAX = 50;
export const SECRET_KEY_MAX = 64;

/**
 * The ticket fields each webhook asks for (ids from TicketWebhookFields' fieldID picklist). Subscribed fields fire an
 * Update when they change; display-always fields ride along in every payload, so the trigger can filter by queue,
 * company and status and find the link without reading the ticket.
 */
export const WEBHOOK_FIELDS: ReadonlyArray<{ fieldID: number; name: string; subscribed: boolean }> = [
	{ fieldID: 5, name: 'Status', subscribed: true },
	{ fieldID: 6, name: 'Priority', subscribed: true },
	{ fieldID: 14, name: 'QueueID', subscribed: true },
	{ fieldID: 2, name: 'Title', subscribed: true },
	{ fieldID: 11, name: 'AssignedResourceID', subscribed: true },
	{ fieldID: 1, name: 'CompanyID', subscribed: false },
	{ fieldID: 31, name: 'ExternalID', subscribed: false },
];

const ACTIONS: Record<string, PsaEventAction> = { create: 'added', update: 'updated', delete: 'deleted' };

/** The signature as Autotask writes it: "sha1=" + base64(HMAC-SHA1(secret key, body bytes)). */
export function hookSignature(body: Buffer | string, secretKey: string): string {
	return `sha1=${createHmac('sha1', secretKey).update(body).digest('base64')}`;
}

/**
 * The body as .NET's default JSON encoder writes it: compact, with & < > ' " ` + and every non-ASCII UTF-16 unit escaped
 * as \uXXXX (upper-case hex) inside strings. Autotask signs those bytes; a proxy that re-serialised the body would not.
 */
export function canonicalHookBody(parsed: unknown): string {
	if (typeof parsed === 'string') return `"${escapeString(parsed)}"`;
	if (Array.isArray(parsed)) return `[${parsed.map(canonicalHookBody).join(',')}]`;
	if (isObject(parsed)) {
		return `{${Object.entries(parsed)
			.map(([key, value]) => `"${escapeString(key)}":${canonicalHookBody(value)}`)
			.join(',')}}`;
	}
	return JSON.stringify(parsed) ?? 'null';
}

const SHORT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeString(value: string): string {
	let result = '';
	for (let index = 0; index < value.length; index++) {
		const character = value[index];
		const code = value.charCodeAt(index);
		if (SHORT_ESCAPES[character]) result += SHORT_ESCAPES[character];
		else if (code < 0x20 || code > 0x7e || '&<>\'"`+'.includes(character)) result += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
		else result += character;
	}
	return result;
}

function forged(message: string): PsaError {
	return new PsaError('authentication', message, { hint: 'Only Autotask webhook callouts signed with the key this package registered are accepted' });
}

function equalSignatures(expected: string, received: string): boolean {
	const a = Buffer.from(expected, 'utf8');
	const b = Buffer.from(received, 'utf8');
	return a.length === b.length && timingSafeEqual(a, b);
}

/** Verifies X-Hook-Signature over the raw bytes first, then over the canonical re-escaped body, and reads the event. */
export function verifyHook(request: PsaCallbackRequest, secretKey: string): PsaCallbackEvent {
	const received = headerOf(request.headers, SIGNATURE_HEADER);
	if (!received) throw forged('The webhook callout has no X-Hook-Signature header');
	const raw = Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.from(String(request.rawBody ?? ''), 'utf8');
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw.toString('utf8'));
	} catch {
		throw forged('The webhook callout body is not JSON');
	}
	const canonical = canonicalHookBody(parsed);
	const matches = equalSignatures(hookSignature(raw, secretKey), received) || equalSignatures(hookSignature(canonical, secretKey), received);
	if (!matches) throw forged('The webhook callout signature does not match');
	// Both forms verify, so a re-formatted copy must count as the same delivery: it is named by the canonical form.
	return { ...eventOf(parsed), deliveryKey: canonical };
}

function fieldText(fields: Record<string, unknown>, name: string): string | undefined {
	for (const [key, value] of Object.entries(fields)) {
		if (key.toLowerCase() !== name.toLowerCase()) continue;
		if (typeof value === 'string') return value;
		if (typeof value === 'number') return String(value);
	}
	return undefined;
}

/** The payload as a PSA-neutral event; the ticket is built from the display-always fields when they carry its status. */
export function eventOf(payload: unknown): PsaCallbackEvent {
	if (!isObject(payload)) throw new PsaError('invalid-input', 'The webhook callout is not a JSON object');
	const actionText = String(payload.Action ?? '').toLowerCase();
	const action = ACTIONS[actionText];
	const id = idOf(payload.Id ?? payload.ID);
	if (!action || id === undefined) {
		// A Deactivated notice (no entity) or a payload of another shape: nothing for the trigger to act on.
		return { action: 'updated', type: String(payload.EntityType ?? actionText ?? 'unknown').toLowerCase() || 'unknown', id: id ?? 0, entity: payload };
	}
	const fields = isObject(payload.Fields) ? payload.Fields : {};
	const event: PsaCallbackEvent = { action, type: String(payload.EntityType ?? '').toLowerCase(), id, entity: payload };
	if (typeof payload.EventTime === 'string') event.updatedAt = utc(payload.EventTime);
	const person = idOf(payload.PersonID ?? payload.PersonId);
	if (person !== undefined) event.updatedBy = String(person);
	const externalId = fieldText(fields, 'ExternalID');
	if (externalId) event.externalReference = externalId;
	const status = idOf(fieldText(fields, 'Status'));
	if (status !== undefined) {
		const ticket: PsaTicket = {
			id,
			summary: fieldText(fields, 'Title') ?? '',
			board: { id: idOf(fieldText(fields, 'QueueID')) ?? 0, name: '' },
			status: { id: status, name: '' },
			company: { id: idOf(fieldText(fields, 'CompanyID')) ?? 0, name: '' },
			closed: status === COMPLETE_STATUS,
		};
		const priority = idOf(fieldText(fields, 'Priority'));
		if (priority !== undefined) ticket.priority = { id: priority, name: '' };
		if (externalId) ticket.externalRef = externalId;
		if (event.updatedAt) ticket.updatedAt = event.updatedAt;
		if (event.updatedBy) ticket.updatedBy = event.updatedBy;
		event.ticket = ticket;
	}
	return event;
}
