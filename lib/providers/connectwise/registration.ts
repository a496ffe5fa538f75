// ConnectWise callback registrations: register (each with its own URL token), list and remove the ticket callbacks PSA Trigger uses (verification: callbacks.ts).
import { PsaError, isPsaError } from '../errors';
import type { PsaCallbackCreate, PsaCallbackRegistration } from '../types';
import { callbackUrlOf, recordId } from '../values';
import { newCallbackToken, withCallbackToken, withoutCallbackToken, withoutTokenIn } from './callback-token';
import { ConnectWiseClient, isObject } from './client';
import type { ListOptions } from './paging';
import { FIELDS, fieldsParam, readCallback } from './read';

type Lister = <T>(path: string, options: ListOptions, read: (value: unknown) => T) => Promise<T[]>;

/**
 * Registers the callback at the trigger's URL plus a token of its own (callback-token.ts). The token is returned once,
 * as the registration's secret, for the trigger to keep sealed; the URL returned is the one given, without it.
 */
export async function registerConnectWiseCallback(client: ConnectWiseClient, input: PsaCallbackCreate): Promise<PsaCallbackRegistration> {
	const url = withoutCallbackToken(callbackUrl(input?.url));
	if (!['owner', 'board', 'status', 'company'].includes(input.level)) {
		throw new PsaError('invalid-input', `'${String(input.level)}' is not a callback level (owner, board, status, company)`, { field: 'level' });
	}
	const objectId = Number(input.objectId ?? 0);
	if (!Number.isInteger(objectId) || objectId < 0) throw new PsaError('invalid-input', 'The callback objectId must be a whole number', { field: 'objectId' });
	const token = newCallbackToken();
	let response: Awaited<ReturnType<ConnectWiseClient['request']>>;
	try {
		response = await client.request({
			method: 'POST',
			path: '/system/callbacks',
			body: {
				url: withCallbackToken(url, token),
				objectId,
				type: 'ticket',
				level: input.level,
				description: String(input.description ?? '').slice(0, 100),
				isSelfSuppressedFlag: input.selfSuppressed === true,
			},
		});
	} catch (error) {
		throw withoutTokenIn(error, token);
	}
	const registration = withoutToken(readCallback(response.body, 'POST /system/callbacks'));
	return { ...registration, secret: token };
}

/**
 * Registrations are listed with the token cut from their URL: what is ours is told by the URL n8n gave the trigger, and
 * whose token is current by the callback id kept with it. A registration made before tokens lists the same URL.
 */
function withoutToken(registration: PsaCallbackRegistration): PsaCallbackRegistration {
	return { ...registration, url: withoutCallbackToken(registration.url) };
}

export async function listConnectWiseCallbacks(list: Lister): Promise<PsaCallbackRegistration[]> {
	const entries = await list('/system/callbacks', { fields: fieldsParam(FIELDS.callback), orderBy: 'id asc' }, (value) => value);
	return entries
		.filter((entry) => !isObject(entry) || entry.type === undefined || String(entry.type).toLowerCase() === 'ticket')
		.map((entry) => withoutToken(readCallback(entry, 'GET /system/callbacks')));
}

/** Removing a callback that is already gone succeeds: the goal (no callback) is reached. */
export async function removeConnectWiseCallback(client: ConnectWiseClient, id: number): Promise<void> {
	try {
		await client.request({ method: 'DELETE', path: `/system/callbacks/${positiveId(id, 'callback')}` });
	} catch (error) {
		if (!isPsaError(error, 'not-found')) throw error;
	}
}

function positiveId(value: unknown, what: string): number {
	return recordId(value, what, `${what}/id`);
}

function callbackUrl(value: unknown): string {
	return callbackUrlOf(value, 'ConnectWise', 'url');
}
