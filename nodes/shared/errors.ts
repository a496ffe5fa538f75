// Turns service and provider failures into n8n errors whose message says what happened and whose description says what to do.
import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';
import { isPsaError, type PsaError, type PsaErrorKind } from '../../lib/providers/errors';
import { isStoreError, type StoreErrorKind } from '../../lib/store/errors';

const DEFAULT_HINTS: Record<PsaErrorKind, string> = {
	authentication: "Check the keys in the PSA credential; the API member they belong to must be active.",
	permission: "Give the API member's security role access to this area in the PSA (PSA Connect > Check Permissions lists what is missing).",
	'not-found': 'Check the id or name; the record may have been deleted in the PSA.',
	'invalid-input': 'Check the node parameters.',
	conflict: 'Retry later.',
	'rate-limited':
		"The PSA is throttling requests and the connection's limiter has slowed down; nothing more was sent for this item, so it can be retried as it is. If it keeps happening, run fewer workflows on this connection at once, or add the node's Concurrency option with a low number.",
	unavailable: 'The PSA did not answer. Check the Site in the credential, then retry later.',
	version: "Pin a supported version in the credential's API Version (PSA Connect > Test shows the server's versions).",
	configuration: 'Check the credential and the node settings.',
};

const STORE_HINTS: Record<StoreErrorKind, string> = {
	key: "Check the PSA State Store credential's Encryption Key and Previous Keys: the key that sealed the data must be among them.",
	configuration: 'Check the PSA State Store credential (engine, file path or PostgreSQL settings).',
	conflict: 'The state store already holds a different value; see the message.',
	'invalid-input': 'Check the node parameters.',
	migration: 'The state store could not be prepared; check the database and its permissions.',
	unavailable: 'The state store database did not answer; check that it is running and reachable, then retry.',
	damaged: 'Only the row named in the message is affected; the message says what to do with it.',
};

export function hintOf(error: PsaError): string {
	return error.details.hint ?? DEFAULT_HINTS[error.kind];
}

/** The safe, user-facing fields of a failure (no credentials, no full URLs). */
export function errorSummary(error: unknown): { message: string; kind?: string; hint?: string; status?: number } {
	if (isPsaError(error)) {
		return {
			message: error.message,
			kind: error.kind,
			hint: hintOf(error),
			...(error.details.status !== undefined ? { status: error.details.status } : {}),
		};
	}
	if (isStoreError(error)) return { message: error.message, kind: `store-${error.kind}`, hint: error.hint ?? STORE_HINTS[error.kind] };
	const message = error instanceof Error ? error.message : String(error);
	const description = (error as { description?: unknown })?.description;
	return { message, ...(typeof description === 'string' && description ? { hint: description } : {}) };
}

/**
 * n8n replaces a message that contains a network error code (ECONNREFUSED, ETIMEDOUT...) with a generic sentence
 * ("The service refused the connection - perhaps it is offline") that no longer says which service: our messages
 * already say what failed and where, so they are put back.
 */
function keepMessage(error: NodeOperationError, message: string): NodeOperationError {
	error.message = message;
	return error;
}

export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (itemIndex !== undefined && error.context.itemIndex === undefined) error.context.itemIndex = itemIndex;
		return error;
	}
	if (isPsaError(error)) {
		const description = hintOf(error);
		if (error.details.status !== undefined) {
			const response: JsonObject = {
				kind: error.kind,
				message: error.message,
				status: error.details.status,
				...(error.details.providerCode ? { code: error.details.providerCode } : {}),
				...(error.details.providerMessage ? { providerMessage: error.details.providerMessage } : {}),
				...(error.details.field ? { field: error.details.field } : {}),
				...(error.details.request ? { request: error.details.request } : {}),
			};
			return new NodeApiError(node, response, {
				message: error.message,
				description,
				httpCode: String(error.details.status),
				itemIndex,
			});
		}
		return keepMessage(new NodeOperationError(node, error.message, { description, itemIndex }), error.message);
	}
	if (isStoreError(error)) return keepMessage(new NodeOperationError(node, error.message, { description: error.hint ?? STORE_HINTS[error.kind], itemIndex }), error.message);
	return new NodeOperationError(node, error instanceof Error ? error : String(error), { itemIndex });
}
