// Checks the Autotask sandbox against the reference contract in ../shared/autotask/ (swagger paths, real metadata fixtures), when present.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PsaCache } from '../../../lib/cache';
import { createFetchTransport } from '../../../lib/providers/fetch-transport';
import { linkKeyOf } from '../../../lib/providers/link-key';
import { createProvider } from '../../../lib/providers/registry';
import { bufferContent } from '../../../lib/providers/upload';
import { atClient, TICKET } from './client';
import { ACME_SERVER_CI_ID, ACME_WAREHOUSE_LOCATION_ID, ACME_WORKSTATION_CI_ID, ACTIVE_TECHNICIAN_ID, API_USER_ID } from './data';
import type { FieldInfo } from './metadata';
import { startAutotaskSandbox } from './server';
import { answerProblems, CONTRACT_DIR, contractModels, contractRoutes, offContract, shapeProblems, SWAGGER_FILES } from './contract-routes';

const present = SWAGGER_FILES.every((file) => existsSync(join(CONTRACT_DIR, file))) && existsSync(join(CONTRACT_DIR, 'fixtures'));
const readJson = (file: string) => JSON.parse(readFileSync(join(CONTRACT_DIR, file), 'utf8'));

/** Deliberate differences from the fixture, with the reason; everything else must match exactly. */
const DELIBERATE: Record<string, string> = {
	'Tickets.*.isSupportedWebhookField':
		'the captured tenant reports false for every Ticket field, yet those fields are subscribable through TicketWebhookFields; the sandbox marks the subscribable ones true',
};

if (!present) {
	console.warn(`Autotask contract check SKIPPED: ${CONTRACT_DIR} not found (the reference contract lives outside the repository).`);
	describe('Autotask sandbox: contract check', () => {
		it.skip(`SKIPPED: reference contract not found at ${CONTRACT_DIR}`, () => undefined);
	});
} else {
	describe('Autotask sandbox: contract check against ../shared/autotask/', () => {
		const fixture = (entity: string) => (readJson(`fixtures/${entity}.entityInformation.fields.json`) as { fields: FieldInfo[] }).fields;
		const routes = contractRoutes() ?? [];

		it('every request of a full client session uses a path and verb the contract lists', async () => {
			const sandbox = await startAutotaskSandbox();
			try {
				const request = atClient(sandbox);
				const ok = async (method: string, path: string, body?: unknown, query?: Record<string, string>) => {
					const response = await request(method, path, { body, query });
					if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
					return response.body;
				};
				await fetch(`${sandbox.url}/atservicesrest/versioninformation`);
				await fetch(`${sandbox.url}/atservicesrest/v1.0/zoneInformation?user=${encodeURIComponent(sandbox.credentials.username)}`);
				await ok('GET', '/ThresholdInformation');
				for (const entity of ['Tickets', 'TicketNotes', 'Resources', 'Companies', 'Contacts', 'TicketWebhooks', 'TicketWebhookFields']) await ok('GET', `/${entity}/entityInformation/fields`);
				await ok('GET', '/Tickets/entityInformation');
				await ok('GET', '/Tickets/entityInformation/userDefinedFields');
				const all = { filter: [{ op: 'exist', field: 'id' }] };
				for (const entity of ['Tickets', 'TicketNotes', 'Resources', 'Companies', 'Contacts', 'TicketWebhooks']) {
					await ok('POST', `/${entity}/query`, all);
					if (entity !== 'TicketWebhooks') await ok('POST', `/${entity}/query/count`, all);
					await ok('GET', `/${entity}/query`, undefined, { search: JSON.stringify(all) });
				}
				for (const path of [`/Resources/${API_USER_ID}`, '/Companies/175', '/Contacts/30682901']) await ok('GET', path);
				const ticketId = (await ok('POST', '/Tickets', TICKET)).itemId;
				await ok('GET', `/Tickets/${ticketId}`);
				await ok('PATCH', '/Tickets', { id: ticketId, status: 5 });
				await ok('PUT', '/Tickets', { ...TICKET, id: ticketId });
				const noteId = (await ok('POST', `/Tickets/${ticketId}/Notes`, { description: 'n', noteType: 1, publish: 1 })).itemId;
				await ok('GET', `/Tickets/${ticketId}/Notes`);
				await ok('GET', `/Tickets/${ticketId}/Notes/${noteId}`);
				await ok('PATCH', `/Tickets/${ticketId}/Notes`, { id: noteId, description: 'm', noteType: 1, publish: 1 });
				await ok('GET', `/TicketNotes/${noteId}`);
				for (let index = 0; index < 3; index++) sandbox.addTicket(TICKET);
				const first = await ok('POST', '/Tickets/query', { MaxRecords: 2, ...all });
				await ok('POST', first.pageDetails.nextPageUrl, all);
				const hook = { name: 'c', webhookUrl: 'http://127.0.0.1:9/', deactivationUrl: 'http://127.0.0.1:9/', secretKey: 'k'.repeat(20), isActive: false, sendThresholdExceededNotification: false };
				const webhookId = (await ok('POST', '/TicketWebhooks', hook)).itemId;
				await ok('PATCH', '/TicketWebhooks', { id: webhookId, name: 'd' });
				const fieldId = (await ok('POST', `/TicketWebhooks/${webhookId}/Fields`, { webhookID: webhookId, fieldID: 5, isSubscribedField: true, isDisplayAlwaysField: false })).itemId;
				await ok('GET', `/TicketWebhooks/${webhookId}/Fields`);
				await ok('GET', `/TicketWebhooks/${webhookId}/Fields/${fieldId}`);
				const excludedId = (await ok('POST', `/TicketWebhooks/${webhookId}/ExcludedResources`, { webhookID: webhookId, resourceID: ACTIVE_TECHNICIAN_ID })).itemId;
				await ok('GET', `/TicketWebhooks/${webhookId}/ExcludedResources/${excludedId}`);
				await ok('DELETE', `/TicketWebhooks/${webhookId}/ExcludedResources/${excludedId}`);
				await ok('DELETE', `/TicketWebhooks/${webhookId}/Fields/${fieldId}`);
				await ok('GET', `/TicketWebhooks/${webhookId}`);
				await ok('DELETE', `/TicketWebhooks/${webhookId}`);
				// Ticket depth (work subset): configuration items, their types, a ticket's additional items, UDF definitions.
				for (const entity of ['ConfigurationItems', 'ConfigurationItemTypes', 'TicketAdditionalConfigurationItems']) await ok('POST', `/${entity}/query`, all);
				await ok('GET', `/ConfigurationItems/${ACME_SERVER_CI_ID}`);
				await ok('GET', '/ConfigurationItems/entityInformation/fields');
				await ok('GET', '/ConfigurationItems/entityInformation/userDefinedFields');
				await ok('POST', `/Tickets/${ticketId}/AdditionalConfigurationItems`, { ticketID: ticketId, configurationItemID: ACME_WORKSTATION_CI_ID });
				await ok('GET', `/Tickets/${ticketId}/AdditionalConfigurationItems`);

				const unlisted = offContract(routes, sandbox.requests);
				expect(unlisted).toEqual([]);
				expect(sandbox.requests.length).toBeGreaterThan(60);
			} finally {
				await sandbox.stop();
			}
		});

		it('entityInformation/fields objects have the fixture keys, value types and, per shared field, the same dataType, length and flags', async () => {
			const sandbox = await startAutotaskSandbox();
			try {
				const request = atClient(sandbox);
				const reference = fixture('Tickets')[0];
				const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
				const differences: string[] = [];
				for (const entity of ['Tickets', 'TicketNotes', 'Resources', 'Companies', 'Contacts', 'TicketWebhooks', 'TicketWebhookFields']) {
					const fields = (await request('GET', `/${entity}/entityInformation/fields`)).body.fields as FieldInfo[];
					for (const field of fields) {
						expect(Object.keys(field).sort()).toEqual(Object.keys(reference).sort());
						for (const [key, value] of Object.entries(field)) {
							if (key === 'picklistValues') expect(['null', 'array']).toContain(typeOf(value));
							else expect(`${entity}.${field.name}.${key}:${typeOf(value)}`).toBe(`${entity}.${field.name}.${key}:${typeOf((reference as unknown as Record<string, unknown>)[key])}`);
						}
					}
					if (!['Tickets', 'Resources', 'Contacts', 'TicketWebhooks'].includes(entity)) continue;
					const real = new Map(fixture(entity).map((field) => [field.name, field]));
					for (const field of fields) {
						const match = real.get(field.name);
						if (!match) {
							differences.push(`${entity}.${field.name} missing from the fixture`);
							continue;
						}
						for (const key of ['dataType', 'length', 'isRequired', 'isReadOnly', 'isQueryable', 'isPickList', 'isReference', 'referenceEntityType', 'isSupportedWebhookField'] as const) {
							if (field[key] === match[key] || DELIBERATE[`${entity}.*.${key}`]) continue;
							differences.push(`${entity}.${field.name}.${key}: sandbox ${String(field[key])}, fixture ${String(match[key])}`);
						}
					}
				}
				expect(differences).toEqual([]);
			} finally {
				await sandbox.stop();
			}
		});

		it("the adapter's ticket-depth requests and the sandbox's answers hold only what the swagger models declare, typed as they declare", async () => {
			const sandbox = await startAutotaskSandbox();
			try {
				const psa = createProvider('autotaskPsaApi', { ...sandbox.credentials }, { http: createFetchTransport({ timeoutMs: 5000 }), cache: new PsaCache(), sleep: async () => undefined });
				const ticket = await psa.createTicket({
					summary: 'Contract depth',
					companyId: 175,
					externalRef: linkKeyOf('contract', 'depth'),
					typeId: 10,
					subtypeId: 101,
					sourceId: 8,
					siteId: ACME_WAREHOUSE_LOCATION_ID,
					dueAt: '2026-03-21T17:00:00Z',
					configurationItemIds: [ACME_SERVER_CI_ID],
					customFields: { 'Escalation Stage': 'escalated', 'Affected Users': 3 },
				});
				await psa.getTicketDetails(ticket.id);
				await psa.updateTicket(ticket.id, { subtypeId: 102, customFields: { 'Monitoring Alert ID': 'x' } });
				await psa.findConfigurationItems({ companyId: 175, by: 'deviceId', value: '5001' });
				await psa.getConfigurationItem(ACME_SERVER_CI_ID);
				await psa.attachConfigurationItem(ticket.id, ACME_WORKSTATION_CI_ID);
				await psa.listTicketConfigurationItems(ticket.id);
				await psa.detachConfigurationItem(ticket.id, ACME_WORKSTATION_CI_ID);
				await psa.searchTickets({ where: { match: 'any', conditions: [{ field: 'Escalation Stage', customField: true, operator: 'eq', value: 'escalated' }, { field: 'type', operator: 'in', value: [10, 11] }] }, withCustomFields: true });
				await psa.listSites(175);

				const problems: string[] = [];
				const checked = new Set<string>();
				for (const entry of sandbox.requests) {
					const models = contractModels(entry.method, entry.path);
					if (!models) continue;
					checked.add(`${entry.method} ${models.path}`);
					const at = `${entry.method} ${entry.path}`;
					if (entry.body !== undefined && models.body) problems.push(...shapeProblems(entry.body, models.body, models.definitions, `${at} body`));
					problems.push(...answerProblems(entry.response, models, `${at} answer`));
				}
				expect(problems).toEqual([]);
				// The check is not vacuous: an undeclared key and a mistyped value are both found.
				const ticketModels = contractModels('GET', '/Tickets/1');
				expect(ticketModels && shapeProblems({ id: 1, colour: 'red', issueType: '10', userDefinedFields: [{ name: 'x', value: 3 }] }, 'TicketModel', ticketModels.definitions, 't')).toEqual([
					't.colour: not a property of TicketModel',
					't.issueType: "10" is not an integer',
					't.userDefinedFields[0].value: 3 is not a string',
				]);
				expect([...checked].sort()).toEqual(
					expect.arrayContaining([
						'POST /V1.0/Tickets',
						'PATCH /V1.0/Tickets',
						'GET /V1.0/Tickets/{id}',
						'POST /V1.0/Tickets/query',
						'GET /V1.0/Tickets/entityInformation/userDefinedFields',
						'POST /V1.0/ConfigurationItems/query',
						'GET /V1.0/ConfigurationItems/{id}',
						'POST /V1.0/ConfigurationItemTypes/query',
						'POST /V1.0/TicketAdditionalConfigurationItems/query',
						'POST /V1.0/Tickets/{parentId}/AdditionalConfigurationItems',
					]),
				);
				// The UDF definitions answer has the captured tenant's keys and value types (§2: `type`, not `dataType`).
				const realUdf = (readJson('fixtures/Tickets.entityInformation.userDefinedFields.json') as { fields: Array<Record<string, unknown>> }).fields;
				const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
				const shape = (field: Record<string, unknown>) => Object.entries(field).map(([key, value]) => `${key}:${key === 'picklistValues' ? 'list' : typeOf(value)}`).sort();
				const answer = sandbox.requests.find((entry) => /userDefinedFields$/.test(entry.path))?.response as { fields: Array<Record<string, unknown>> };
				for (const field of answer.fields) expect(shape(field)).toEqual(shape(realUdf.find((real) => real.isPickList === field.isPickList) ?? realUdf[0]));
			} finally {
				await sandbox.stop();
			}
		});

		it("the adapter's time entry and attachment requests and the sandbox's answers hold only what the work subset's models declare", async () => {
			const sandbox = await startAutotaskSandbox();
			try {
				const psa = createProvider('autotaskPsaApi', { ...sandbox.credentials }, { http: createFetchTransport({ timeoutMs: 5000 }), cache: new PsaCache(), sleep: async () => undefined });
				const ticketId = sandbox.addTicket({ title: 'Contract work', companyID: 175, queueID: 8, status: 1, priority: 2 }).id;
				const roles = await psa.listWorkChoices('workRole');
				const codes = await psa.listWorkChoices('workType');
				await psa.addTimeEntry({ ticketId, memberId: ACTIVE_TECHNICIAN_ID, start: '2026-03-02T10:00:00Z', end: '2026-03-02T10:12:00Z', notes: 'Restarted', internalNotes: '[psa:0123456789abcdef]', workRoleId: roles[0].id, workTypeId: codes[0].id, billable: 'no-charge' });
				await psa.listTimeEntries(ticketId);
				// 100,001 bytes: the base64 is built across chunk edges that are not 3-byte aligned.
				const added = await psa.addAttachment({ ticketId, title: 'Log', fileName: 'run.log', contentType: 'text/plain', public: false, content: bufferContent(Buffer.alloc(100_001, 'x'), 4096) });
				await psa.listAttachments(ticketId);
				const downloaded = await psa.downloadAttachment(ticketId, added.id);
				expect(downloaded.data.equals(Buffer.alloc(100_001, 'x'))).toBe(true);

				const problems: string[] = [];
				const checked = new Set<string>();
				for (const entry of sandbox.requests) {
					const models = contractModels(entry.method, entry.path);
					if (!models) {
						problems.push(`${entry.method} ${entry.path}: not in the contract`);
						continue;
					}
					checked.add(`${entry.method} ${models.path}`);
					const at = `${entry.method} ${entry.path}`;
					if (entry.body !== undefined && models.body) problems.push(...shapeProblems(entry.body, models.body, models.definitions, `${at} body`));
					problems.push(...answerProblems(entry.response, models, `${at} answer`));
				}
				expect(problems).toEqual([]);
				expect([...checked].sort()).toEqual(
					expect.arrayContaining([
						'POST /V1.0/Roles/query',
						'POST /V1.0/BillingCodes/query',
						'POST /V1.0/TimeEntries',
						'POST /V1.0/TimeEntries/query',
						'POST /V1.0/Tickets/{parentId}/Attachments',
						'GET /V1.0/Tickets/{parentId}/Attachments',
						'GET /V1.0/Tickets/{parentId}/Attachments/{id}',
					]),
				);
			} finally {
				await sandbox.stop();
			}
		});

		it('picklist values have the fixture keys and types; webhook field ids carry the real labels', async () => {
			const sandbox = await startAutotaskSandbox();
			try {
				const request = atClient(sandbox);
				const realValue = fixture('Tickets').find((field) => field.name === 'status')?.picklistValues?.[0] as unknown as Record<string, unknown>;
				const shape = (value: Record<string, unknown>) => Object.entries(value).map(([key, child]) => `${key}:${typeof child}`).sort();
				for (const entity of ['Tickets', 'TicketNotes', 'Resources', 'Companies', 'TicketWebhookFields']) {
					const fields = (await request('GET', `/${entity}/entityInformation/fields`)).body.fields as FieldInfo[];
					for (const field of fields.filter((candidate) => candidate.isPickList)) {
						expect(field.picklistValues?.length).toBeGreaterThan(0);
						for (const value of field.picklistValues ?? []) expect(shape(value as unknown as Record<string, unknown>)).toEqual(shape(realValue));
					}
				}
				const labels = (readJson('fixtures/TicketWebhookFields.fieldID-picklist.json') as { fieldID: Record<string, string> }).fieldID;
				const fieldIds = (await request('GET', '/TicketWebhookFields/entityInformation/fields')).body.fields.find((field: FieldInfo) => field.name === 'fieldID');
				for (const value of fieldIds.picklistValues) expect(`${value.value}=${value.label}`).toBe(`${value.value}=${labels[value.value]}`);
			} finally {
				await sandbox.stop();
			}
		});
	});
}
