// Ticket webhooks: the fields each one asks for, the bounds on a callout, its canonical .NET-escaped form, and X-Hook-Signature verification.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PsaError } from '../errors';
import type { PsaCallbackEvent, PsaCallbackRequest, PsaEventAction, PsaTicket } from '../types';
import { checkBodySize, checkCallbackBody, rawBytesOf, type CallbackBodyLimits } from '../callback-body';
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
 * A callout is a dozen values at depth 2 and well under 2 KB (the largest field, Title, is 255 characters, at most six
 * bytes each when escaped); these bounds leave ample room and refuse what Autotask never sends before it is parsed.
 */
export const CALLOUT_LIMITS: CallbackBodyLimits = { maxBytes: 64 * 1024, maxDepth: 8, maxMembers: 2000 };

/**
 * The body as .NET's default JSON encoder writes it: compact, with & < > ' " ` + and every non-ASCII UTF-16 unit escaped
 * as \uXXXX (upper-case hex) inside strings. Autotask signs those bytes; a proxy that re-serialised the body would not.
 * Built with an explicit work list, not by recursion: the input may not be verified yet.
 */
export function canonicalHookBody(parsed: unknown): string {
	const out: string[] = [];
	const work: Array<{ text: string } | { value: unknown }> = [{ value: parsed }];
	while (work.length > 0) {
		const item = work.pop() as { text: string } | { value: unknown };
		if ('text' in item) {
			out.push(item.text);
			continue;
		}
		const { value } = item;
		if (typeof value === 'string') out.push(`"${escapeString(value)}"`);
		else if (Array.isArray(value) || isObject(value)) {
			const entries: Array<[string | undefined, unknown]> = Array.isArray(value) ? value.map((child) => [undefined, child]) : Object.entries(value);
			// Pushed in reverse, so the list pops them in order.
			work.push({ text: Array.isArray(value) ? ']' : '}' });
			for (let index = entries.length - 1; index >= 0; index--) {
				const [key, child] = entries[index];
				work.push({ value: child });
				const prefix = `${index > 0 ? ',' : ''}${key === undefined ? '' : `"${escapeString(key)}":`}`;
				if (prefix) work.push({ text: prefix });
			}
			work.push({ text: Array.isArray(value) ? '[' : '{' });
		} else out.push(JSON.stringify(value) ?? 'null');
	}
	return out.join('');
}

const SHORT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const ESCAPED = /[\\\u0000-\u001f\u007f-\uffff&<>'"`+]/g;

function escapeString(value: string): string {
	return value.replace(ESCAPED, (character) => SHORT_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

function forged(message: string): PsaError {
	return new PsaError('authentication', message, { hint: 'Only Autotask webhook callouts signed with the key this package registered are accepted' });
}

function equalSignatures(expected: string, received: string): boolean {
	const a = Buffer.from(expected, 'utf8');
	const b = Buffer.from(received, 'utf8');
	return a.length === b.length && timingSafeEqual(a, b);
}

function parsedBody(raw: Buffer): unknown {
	try {
		return JSON.parse(raw.toString('utf8'));
	} catch {
		throw forged('The webhook callout body is not JSON');
	}
}

/**
 * Verifies X-Hook-Signature and reads the event. Work is only done on what earned it: the size is checked first (a
 * length compare), then the signature over the raw bytes (one HMAC over at most CALLOUT_LIMITS.maxBytes). Only a body
 * those bytes do not verify is measured (one flat pass), parsed and re-escaped into the canonical form, which is
 * compared next. With `expectedGuid`, a callout that names another webhook is refused although its signature holds.
 */
export function verifyHook(request: PsaCallbackRequest, secretKey: string, expectedGuid?: string): PsaCallbackEvent {
	const received = headerOf(request.headers, SIGNATURE_HEADER);
	if (!received) throw forged('The webhook callout has no X-Hook-Signature header');
	const raw = rawBytesOf(request);
	checkBodySize(raw, CALLOUT_LIMITS, 'Autotask');
	let parsed: unknown;
	let canonical: string;
	if (equalSignatures(hookSignature(raw, secretKey), received)) {
		parsed = parsedBody(raw);
		canonical = canonicalHookBody(parsed);
	} else {
		checkCallbackBody(raw, CALLOUT_LIMITS, 'Autotask', forged);
		parsed = parsedBody(raw);
		canonical = canonicalHookBody(parsed);
		if (!equalSignatures(hookSignature(canonical, secretKey), received)) throw forged('The webhook callout signature does not match');
	}
	checkWebhookGuid(parsed, expectedGuid);
	// Both forms verify, so a re-formatted copy must count as the same delivery: it is named by the canonical form.
	return { ...eventOf(parsed), deliveryKey: canonical };
}

/**
 * A callout names its webhook by Guid [2nd]. Each webhook has its own key, so a callout replayed to another trigger
 * fails the signature already; the Guid keeps it refused should two webhooks ever hold one key (a key copied by hand
 * in Autotask's UI). A callout without a Guid is judged by its signature alone, as the field's name is not confirmed.
 */
function checkWebhookGuid(parsed: unknown, expectedGuid: string | undefined): void {
	if (!expectedGuid || !isObject(parsed)) return;
	const guid = parsed.Guid ?? parsed.GUID ?? parsed.guid;
	if (guid === undefined || guid === null) return;
	if (String(guid).toLowerCase() !== expectedGuid.toLowerCase()) throw forged("The webhook callout names another webhook than this trigger's");
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
		// Depth fields the webhook does not ask for, read when a callout carries them (a webhook set up with more fields).
		const depth: Array<['type' | 'subtype' | 'source' | 'site', string]> = [
			['type', 'IssueType'],
			['subtype', 'SubIssueType'],
			['source', 'Source'],
			['site', 'CompanyLocationID'],
		];
		for (const [key, name] of depth) {
			const value = idOf(fieldText(fields, name));
			if (value !== undefined) ticket[key] = { id: value, name: '' };
		}
		const due = fieldText(fields, 'DueDateTime');
		if (due) ticket.dueAt = utc(due);
		const item = idOf(fieldText(fields, 'ConfigurationItemID'));
		if (item !== undefined && item > 0) ticket.configurationItemIds = [item];
		event.ticket = ticket;
	}
	return event;
}
