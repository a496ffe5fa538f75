// PSA Connect's permission check for HaloPSA: one probe per record type the package uses; write probes carry bodies Halo must refuse after its permission check.
import { isPsaError } from '../errors';
import type { PsaPermissionCheck } from '../types';
import type { HaloClient, HaloRequest } from './client';

export async function checkHaloPermissions(client: HaloClient): Promise<PsaPermissionCheck[]> {
	const probes: Array<[string, HaloRequest]> = [
		['Read tickets', { method: 'GET', path: '/Tickets', query: { count: 1 } }],
		// A ticket without summary or client is refused by validation, after the permission check.
		['Create and update tickets', { method: 'POST', path: '/Tickets', body: [{ summary: '' }] }],
		['Read external links', { method: 'GET', path: '/ExternalLink', query: { count: 1 } }],
		['Read actions (notes)', { method: 'GET', path: '/Actions', query: { ticket_id: 0, count: 1 } }],
		['Add actions (notes)', { method: 'POST', path: '/Actions', body: [{ ticket_id: 0 }] }],
		['Read statuses', { method: 'GET', path: '/Status' }],
		['Read priorities', { method: 'GET', path: '/Priority' }],
		['Read ticket types', { method: 'GET', path: '/TicketType' }],
		['Read agents', { method: 'GET', path: '/Agent' }],
		['Read the API agent', { method: 'GET', path: '/Agent/me' }],
		['Read clients', { method: 'GET', path: '/Client', query: { count: 1 } }],
		['Read users', { method: 'GET', path: '/Users', query: { count: 1 } }],
		['Read webhooks', { method: 'GET', path: '/Webhook' }],
		['Read the instance version', { method: 'GET', path: '/InstanceInfo' }],
	];
	const results: PsaPermissionCheck[] = [];
	for (const [purpose, request] of probes) {
		const check: PsaPermissionCheck = { purpose, method: request.method, endpoint: request.path, allowed: false, status: 0 };
		try {
			await client.request({ ...request, noRetry: request.method !== 'GET' });
			check.status = 200;
			check.allowed = true;
		} catch (error) {
			if (!isPsaError(error)) throw error;
			check.status = error.details.status ?? 0;
			check.allowed = ['invalid-input', 'not-found', 'conflict'].includes(error.kind);
			if (!check.allowed) check.message = error.message;
		}
		results.push(check);
	}
	return results;
}
