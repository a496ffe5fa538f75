// PSA Connect's permission check for Autotask: one probe per entity the package uses, writes probed with bodies Autotask must refuse.
import { isPsaError } from '../errors';
import type { PsaPermissionCheck } from '../types';
import { isObject } from '../values';
import type { AutotaskClient, AutotaskRequest } from './client';
import { q } from './filter';
import { itemIdOf } from './read';

/** One request per entity the package uses; writes are probed with bodies Autotask must refuse after its permission check. */
export async function checkAutotaskPermissions(client: AutotaskClient, removeWebhook: (id: number) => Promise<void>): Promise<PsaPermissionCheck[]> {
	const probes: Array<[string, AutotaskRequest]> = [
		['Read tickets', { method: 'POST', path: '/Tickets/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		['Read ticket statuses, priorities and queues', { method: 'GET', path: '/Tickets/entityInformation/fields' }],
		// Write probes carry a body Autotask must refuse (a field but not the required ones); an empty body may not be sent at all.
		['Create tickets', { method: 'POST', path: '/Tickets', body: { title: '' } }],
		['Update ticket status', { method: 'PATCH', path: '/Tickets', body: { id: 0 } }],
		['Read notes', { method: 'POST', path: '/TicketNotes/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		['Add notes', { method: 'POST', path: '/Tickets/0/Notes', body: { description: '' } }],
		['Read companies', { method: 'POST', path: '/Companies/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		['Read contacts', { method: 'POST', path: '/Contacts/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		['Read resources', { method: 'POST', path: '/Resources/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		['Read webhooks', { method: 'POST', path: '/TicketWebhooks/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		['Register webhooks', { method: 'POST', path: '/TicketWebhooks', body: { name: '' } }],
		['Read ticket custom field definitions', { method: 'GET', path: '/Tickets/entityInformation/userDefinedFields' }],
		['Read sites (company locations)', { method: 'POST', path: '/CompanyLocations/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		['Read configuration items', { method: 'POST', path: '/ConfigurationItems/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		["Read tickets' configuration items", { method: 'POST', path: '/TicketAdditionalConfigurationItems/query', body: { MaxRecords: 1, filter: [q.all()] } }],
		['Attach configuration items', { method: 'POST', path: '/Tickets/0/AdditionalConfigurationItems', body: { configurationItemID: 0 } }],
		['Detach configuration items', { method: 'DELETE', path: '/Tickets/0/AdditionalConfigurationItems/0' }],
		['Read the request threshold', { method: 'GET', path: '/ThresholdInformation' }],
	];
	const results: PsaPermissionCheck[] = [];
	for (const [purpose, request] of probes) {
		const endpoint = request.path.replace(/\/\d+(?=\/)/g, '/{parentId}').replace(/\/\d+$/, '/{id}');
		const check: PsaPermissionCheck = { purpose, method: request.method, endpoint, allowed: false, status: 0 };
		try {
			const body = await client.request({ ...request, noRetry: request.method !== 'GET' && !request.path.endsWith('/query') });
			check.status = 200;
			check.allowed = true;
			// A probe Autotask unexpectedly accepted is undone at once.
			if (request.path === '/TicketWebhooks' && isObject(body)) await removeWebhook(itemIdOf(body, purpose)).catch(() => undefined);
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
