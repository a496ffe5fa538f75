// PSA Connect's permission check for ConnectWise: one probe per endpoint the package uses, writes probed with requests ConnectWise must refuse.
import { isPsaError } from '../errors';
import type { PsaPermissionCheck } from '../types';
import { ApiRequest, ConnectWiseClient, isObject } from './client';

/**
 * One request per endpoint the package uses. Reads are GETs with pageSize=1. Writes are probed with requests
 * ConnectWise must refuse after its security check: bodies that fail validation or target record id 0 (which
 * never exists). 400/404/409/422 then mean "allowed", 403 "denied", 401 "the keys are wrong".
 */
export async function checkConnectWisePermissions(client: ConnectWiseClient): Promise<PsaPermissionCheck[]> {
	const boards = await probe(client, 'Read service boards', { method: 'GET', path: '/service/boards', query: { pageSize: 1, fields: 'id' } });
	const firstBoardId = Array.isArray(boards.body) && isObject(boards.body[0]) && typeof boards.body[0].id === 'number' ? boards.body[0].id : 0;
	const probes: Array<[string, ApiRequest]> = [
		['Read server info', { method: 'GET', path: '/system/info' }],
		['Read tickets', { method: 'GET', path: '/service/tickets', query: { pageSize: 1, fields: 'id' } }],
		['Create tickets', { method: 'POST', path: '/service/tickets', body: { summary: '', company: { id: 0 } } }],
		['Update ticket status', { method: 'PATCH', path: '/service/tickets/0', body: [] }],
		['Read notes', { method: 'GET', path: '/service/tickets/0/notes', query: { pageSize: 1, fields: 'id' } }],
		['Add notes', { method: 'POST', path: '/service/tickets/0/notes', body: { text: '' } }],
		['Read board statuses', { method: 'GET', path: `/service/boards/${firstBoardId}/statuses`, query: { pageSize: 1, fields: 'id' } }],
		['Read priorities', { method: 'GET', path: '/service/priorities', query: { pageSize: 1, fields: 'id' } }],
		['Read companies', { method: 'GET', path: '/company/companies', query: { pageSize: 1, fields: 'id' } }],
		['Read contacts', { method: 'GET', path: '/company/contacts', query: { pageSize: 1, fields: 'id' } }],
		['Read members', { method: 'GET', path: '/system/members', query: { pageSize: 1, fields: 'id' } }],
		['Read callbacks', { method: 'GET', path: '/system/callbacks', query: { pageSize: 1, fields: 'id' } }],
		['Register callbacks', { method: 'POST', path: '/system/callbacks', body: { url: '', objectId: 0, type: 'ticket', level: 'owner' } }],
		['Remove callbacks', { method: 'DELETE', path: '/system/callbacks/0' }],
		['Read ticket types of a board', { method: 'GET', path: `/service/boards/${firstBoardId}/types`, query: { pageSize: 1, fields: 'id' } }],
		['Read valid type, subtype and item combinations', { method: 'GET', path: `/service/boards/${firstBoardId}/typeSubTypeItemAssociations`, query: { pageSize: 1, fields: 'id' } }],
		['Read teams of a board', { method: 'GET', path: `/service/boards/${firstBoardId}/teams`, query: { pageSize: 1, fields: 'id' } }],
		['Read ticket sources', { method: 'GET', path: '/service/sources', query: { pageSize: 1, fields: 'id' } }],
		['Read company sites', { method: 'GET', path: '/company/companies/0/sites', query: { pageSize: 1, fields: 'id' } }],
		['Read configurations', { method: 'GET', path: '/company/configurations', query: { pageSize: 1, fields: 'id' } }],
		['Read ticket custom fields', { method: 'GET', path: '/system/userDefinedFields', query: { pageSize: 1, fields: 'id' } }],
		['Read ticket configurations', { method: 'GET', path: '/service/tickets/0/configurations', query: { pageSize: 1, fields: 'id' } }],
		['Attach configurations to tickets', { method: 'POST', path: '/service/tickets/0/configurations', body: { id: 0 } }],
		['Detach configurations from tickets', { method: 'DELETE', path: '/service/tickets/0/configurations/0' }],
	];
	const results: PsaPermissionCheck[] = [boards.check];
	for (const [purpose, request] of probes) results.push((await probe(client, purpose, request)).check);
	return results;
}

async function probe(client: ConnectWiseClient, purpose: string, request: ApiRequest): Promise<{ check: PsaPermissionCheck; body?: unknown }> {
	const template = request.path.replace(/\/\d+(?=\/|$)/g, (match, offset: number, whole: string) =>
		offset + match.length === whole.length ? '/{id}' : '/{parentId}',
	);
	const check: PsaPermissionCheck = { purpose, method: request.method, endpoint: template, allowed: false, status: 0 };
	try {
		const response = await client.request({ ...request, noRetry: request.method !== 'GET' });
		check.status = response.status;
		check.allowed = true;
		if (request.method === 'POST') await removeProbeRecord(client, request.path, response.body);
		return { check, body: response.body };
	} catch (error) {
		if (!isPsaError(error)) throw error;
		check.status = error.details.status ?? 0;
		check.allowed = ['invalid-input', 'not-found', 'conflict'].includes(error.kind);
		if (!check.allowed) check.message = error.message;
		return { check };
	}
}

/** A write probe that ConnectWise unexpectedly accepted is undone at once. */
async function removeProbeRecord(client: ConnectWiseClient, path: string, body: unknown): Promise<void> {
	if (!isObject(body) || typeof body.id !== 'number') return;
	try {
		await client.request({ method: 'DELETE', path: `${path}/${body.id}` });
	} catch {
		// Best effort: the record was created by a probe that should have been refused.
	}
}
