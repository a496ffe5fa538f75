// Drives every sandbox endpoint the OpenAPI document describes and checks each request and response against it.
import { existsSync, readFileSync } from 'node:fs';
import { PsaCache } from '../../lib/cache';
import { CONNECTWISE_DECLARATION } from '../../lib/providers/connectwise/declaration';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { createProvider } from '../../lib/providers/registry';
import { bufferContent } from '../../lib/providers/upload';
import { GO_CLIENT_LOCATION } from './go-client';
import { OPENAPI_FILE, loadGoClientContract, loadOpenApiContract, summarizeReport, validateExchanges } from './openapi';
import { sandboxClient } from '../sandbox/client';
import { startReceiver, type Receiver } from '../sandbox/receiver';
import { startSandbox, type Sandbox } from '../sandbox';

const documentPresent = existsSync(OPENAPI_FILE);
const goClientPresent = loadGoClientContract() !== undefined;

describe('OpenAPI contract of the sandbox', () => {
	let sandbox: Sandbox;
	let receiver: Receiver;

	beforeAll(async () => {
		sandbox = await startSandbox({ port: 0 });
		receiver = await startReceiver();
	});

	afterAll(async () => {
		await sandbox.stop();
		await receiver.stop();
	});

	if (!documentPresent) {
		it('is skipped because ../shared/connectwise/ is absent', () => {
			console.log(`OpenAPI contract check SKIPPED: ${OPENAPI_FILE} does not exist (the reference data lives outside the repository).`);
			expect(loadOpenApiContract()).toBeUndefined();
			expect(() => validateExchanges([])).toThrow(/absent/);
		});
		return;
	}

	it('serves and accepts only what the document describes', async () => {
		const request = sandboxClient(sandbox);
		const ok = async (method: string, path: string, options = {}) => {
			const response = await request(method, path, options);
			expect(response.status).toBeLessThan(300);
			return response;
		};
		await fetch(`${sandbox.url}/login/companyinfo/sandbox`);
		await ok('GET', '/system/info');
		await ok('GET', '/system/members', { query: { conditions: 'inactiveFlag=false', orderBy: 'identifier desc', pageSize: 3 } });
		await ok('GET', '/system/members', { query: { fields: 'id,identifier,officeEmail' } });
		await ok('GET', '/system/members/151');
		await ok('GET', '/service/boards', { query: { conditions: 'inactiveFlag = false' } });
		await ok('GET', '/service/boards/1/statuses', { query: { page: 2, pageSize: 2 } });
		await ok('GET', '/service/boards/2/statuses/204');
		await ok('GET', '/service/priorities');
		await ok('GET', '/service/priorities/3');
		await ok('GET', '/company/companies', { query: { conditions: 'identifier like "A*"' } });
		await ok('GET', '/company/companies/250');
		await ok('GET', '/company/contacts', { query: { childConditions: 'communicationItems/value like "*@acme.example"' } });
		await ok('GET', '/company/contacts/300');
		const callback = await ok('POST', '/system/callbacks', {
			body: { url: `${receiver.url}/hook`, objectId: 1, type: 'ticket', level: 'owner', description: 'contract', isSelfSuppressedFlag: false },
		});
		const callbackId = (callback.body as { id: number }).id;
		await ok('GET', '/system/callbacks');
		await ok('GET', `/system/callbacks/${callbackId}`);
		const created = await ok('POST', '/service/tickets', {
			body: {
				summary: 'Contract ticket',
				company: { id: 250 },
				board: { name: 'Network Operations' },
				priority: { id: 2 },
				owner: { identifier: 'jsmith' },
				contact: { id: 300 },
				externalXRef: 'contract:1',
				initialDescription: 'First words',
			},
		});
		const ticketId = (created.body as { id: number }).id;
		await ok('GET', `/service/tickets/${ticketId}`);
		await ok('GET', `/service/tickets/${ticketId}`, { query: { fields: 'id,summary,status/name' } });
		await ok('GET', '/service/tickets', { query: { conditions: 'externalXRef = "contract:1" and closedFlag = false', orderBy: 'id desc' } });
		await ok('GET', '/service/tickets', { query: { pageSize: 1, pageId: 0 }, headers: { 'pagination-type': 'forward-only' } });
		await ok('PATCH', `/service/tickets/${ticketId}`, {
			body: [
				{ op: 'replace', path: 'status', value: { id: 202 } },
				{ op: 'replace', path: 'summary', value: 'Contract ticket, investigating' },
				{ op: 'replace', path: 'customerUpdatedFlag', value: false },
			],
		});
		const note = await ok('POST', `/service/tickets/${ticketId}/notes`, {
			body: { text: 'Internal finding', internalAnalysisFlag: true, detailDescriptionFlag: false, resolutionFlag: false, member: { identifier: 'adoe' } },
		});
		await ok('GET', `/service/tickets/${ticketId}/notes`);
		await ok('GET', `/service/tickets/${ticketId}/notes/${(note.body as { id: number }).id}`);
		await sandbox.waitForDeliveries(3, 10000);
		await ok('DELETE', `/system/callbacks/${callbackId}`);
		// Older models and errors are logged too; the report says why they were not checked.
		await ok('GET', '/service/boards/1/statuses', { version: '2020.1' });
		expect((await request('GET', '/service/tickets/999999')).status).toBe(404);

		const report = validateExchanges(sandbox.requests);
		console.log(summarizeReport(report));
		if (report.violations.length) console.log(report.violations.join('\n'));
		expect(report.violations).toEqual([]);
		expect(report.requestsChecked).toBeGreaterThanOrEqual(27);
		// Every request except the 404 had its response checked.
		expect(report.responsesChecked).toBe(report.requestsChecked - 1);
		expect(Object.values(report.skipped).reduce((sum, count) => sum + count, 0)).toBe(3);
	});

	it('reports what breaks the document', () => {
		const report = validateExchanges([
			{ method: 'POST', path: '/service/tickets', body: { summary: 42 }, status: 201, response: { id: 'x', summary: 's', company: {} }, headers: {} },
			{ method: 'GET', path: '/service/tickets', query: { colour: 'red' }, status: 200, response: [{ summary: 's' }] },
			{ method: 'PATCH', path: '/v4_6_release/apis/3.0/service/tickets/5', body: { op: 'replace' }, status: 200, response: { id: 5, summary: 's', company: { id: 1 } } },
			{ method: 'GET', path: '/service/widgets', status: 200 },
			{ method: 'POST', path: '/system/callbacks', body: { url: 'http://x', objectId: 1, type: 'ticket', level: 'owner' }, status: 200, response: {} },
		]);
		console.log(summarizeReport(report));
		expect(report.violations).toEqual([
			expect.stringMatching(/^POST \/service\/tickets: no clientId header/),
			expect.stringMatching(/^POST \/service\/tickets: request body: .*must have required property 'company'.*\/summary must be string/),
			expect.stringMatching(/^POST \/service\/tickets: response 201: \/id must be integer/),
			"GET /service/tickets: query parameter 'colour' is not declared for /service/tickets",
			expect.stringMatching(/^GET \/service\/tickets: response 200: \/0 must have required property 'company'/),
			expect.stringMatching(/^PATCH \/service\/tickets\/5: request body: \(root\) must be array/),
			// Without the Go client an operation outside the subset is skipped (and counted), not judged.
			...(goClientPresent ? ['GET /service/widgets: no such operation in the OpenAPI document or the Go client'] : []),
			'POST /system/callbacks: status 200 is not declared (declared: 201)',
		]);
		expect(loadOpenApiContract(`${OPENAPI_FILE}.missing`)).toBeUndefined();
	});

	it('holds the declared ticket capabilities to the Ticket schema: the scales and their words, no urgency, no configuration items on create', () => {
		const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as { components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> } };
		const ticket = document.components.schemas.Ticket.properties;
		const { scales, configurationItemsOnCreate, classification, team, source, site, dueDate } = CONNECTWISE_DECLARATION.ticketCapabilities;
		expect(scales).toEqual({ severity: ticket.severity.enum, impact: ticket.impact.enum });
		expect(ticket.urgency).toBeUndefined();
		expect(Object.keys(ticket).filter((name) => /configuration/i.test(name))).toEqual([]);
		expect(configurationItemsOnCreate).toBe(0);
		expect(classification.map((level) => (level === 'subtype' ? 'subType' : level)).every((level) => level in ticket)).toBe(true);
		expect([team && 'team', source && 'source', site && 'site', dueDate && 'requiredDate'].every((name) => typeof name === 'string' && name in ticket)).toBe(true);
	});

	if (!goClientPresent) {
		it('checks the ticket-depth endpoints against the Go client: SKIPPED, the Go client is absent', () => {
			console.log(
				`Go client contract check SKIPPED: nothing at ${GO_CLIENT_LOCATION}. Clone github.com/ai-connor/connectwise there, or point CONNECTWISE_GO_CLIENT at a checkout or its git directory.`,
			);
			expect(loadGoClientContract()).toBeUndefined();
		});
		return;
	}

	it('serves the ticket-depth endpoints the subset lacks as the Go client describes them', async () => {
		sandbox.resetLog();
		const request = sandboxClient(sandbox);
		const ok = async (method: string, path: string, options = {}) => {
			const response = await request(method, path, options);
			expect(response.status).toBeLessThan(300);
			return response;
		};
		for (const collection of ['types', 'subtypes', 'items', 'typeSubTypeItemAssociations', 'teams']) {
			const list = await ok('GET', `/service/boards/2/${collection}`, { query: { orderBy: 'id desc', pageSize: 50 } });
			await ok('GET', `/service/boards/2/${collection}/${(list.body as Array<{ id: number }>)[0].id}`);
		}
		await ok('GET', '/service/boards/2/subtypes', { query: { fields: 'id,name,typeAssociationIds', conditions: 'inactiveFlag=false' } });
		await ok('GET', '/service/sources');
		await ok('GET', '/service/sources/4');
		await ok('GET', '/company/companies/250/sites', { query: { fields: 'id,name,inactiveFlag' } });
		await ok('GET', '/company/companies/250/sites/60');
		await ok('GET', '/company/configurations', { query: { conditions: 'company/id=250 and activeFlag=true', orderBy: 'name asc' } });
		await ok('GET', '/company/configurations/700');
		await ok('GET', '/system/userDefinedFields', { query: { conditions: 'screenId="sr100"' } });
		await ok('GET', '/system/userDefinedFields/1');
		const created = await ok('POST', '/service/tickets', {
			body: {
				summary: 'Contract depth ticket',
				company: { id: 250 },
				board: { id: 2 },
				type: { id: 21 },
				subType: { id: 31 },
				item: { id: 41 },
				team: { id: 51 },
				source: { id: 4 },
				site: { id: 60 },
				severity: 'High',
				impact: 'Low',
				requiredDate: '2025-03-01T17:00:00Z',
				customFields: [
					{ id: 1, caption: 'Region', type: 'Text', entryMethod: 'List', numberOfDecimals: 0, value: 'EMEA' },
					{ id: 3, caption: 'Impact Score', type: 'Number', entryMethod: 'EntryField', numberOfDecimals: 1, value: 2.5 },
					{ id: 4, caption: 'Customer Notified', type: 'Checkbox', entryMethod: 'EntryField', numberOfDecimals: 0, value: true },
				],
			},
		});
		const ticketId = (created.body as { id: number }).id;
		await ok('PATCH', `/service/tickets/${ticketId}`, {
			body: [
				{ op: 'replace', path: 'subType', value: { id: 32 } },
				{ op: 'remove', path: 'item' },
				{ op: 'replace', path: 'customFields', value: [{ id: 5, caption: 'Maintenance Until', type: 'Date', entryMethod: 'Date', numberOfDecimals: 0, value: '2025-03-01T00:00:00Z' }] },
			],
		});
		await ok('GET', '/service/tickets', { query: { conditions: 'type/name="Incident"', customFieldConditions: 'caption="Region" and value="EMEA"' } });
		await ok('POST', `/service/tickets/${ticketId}/configurations`, { body: { id: 700 } });
		await ok('GET', `/service/tickets/${ticketId}/configurations`);
		await ok('GET', `/service/tickets/${ticketId}/configurations/700`);
		await ok('DELETE', `/service/tickets/${ticketId}/configurations/700`);

		const report = validateExchanges(sandbox.requests);
		console.log(summarizeReport(report));
		expect(report.violations).toEqual([]);
		const goChecked = Object.entries(report.checkedBy).find(([name]) => name.startsWith('Go client'))?.[1] ?? 0;
		// Every depth request above but the ticket's own (create, patch, list: the subset's Ticket schema) went to the Go client.
		expect(goChecked).toBe(report.requestsChecked - 3);
		expect(goChecked).toBeGreaterThanOrEqual(22);
		expect(report.responsesChecked).toBe(report.requestsChecked);
	});

	it('serves time entries and ticket documents as the Go client describes them, to the provider as it uses them', async () => {
		sandbox.resetLog();
		const psa = createProvider('connectWisePsaApi', { ...sandbox.credentials, site: sandbox.site }, { http: createFetchTransport({ timeoutMs: 5000 }), cache: new PsaCache(), sleep: async () => undefined });
		const ticketId = sandbox.addTicket({ summary: 'Contract work', company: { id: 250 }, board: { id: 1 } }).id;
		const [role] = await psa.listWorkChoices('workRole');
		const [type] = await psa.listWorkChoices('workType');
		await psa.addTimeEntry({ ticketId, memberId: 150, start: '2026-03-02T10:00:00Z', end: '2026-03-02T10:12:00Z', notes: 'Restarted', internalNotes: '[psa:0123456789abcdef]', workRoleId: role.id, workTypeId: type.id, billable: 'billable' });
		await psa.listTimeEntries(ticketId, { newestFirst: true });
		const file = Buffer.from(Array.from({ length: 70_001 }, (_, index) => index % 251));
		const added = await psa.addAttachment({ ticketId, title: 'Graph', fileName: 'cpu.png', contentType: 'image/png', public: true, content: bufferContent(file, 4096) });
		await psa.listAttachments(ticketId);
		const downloaded = await psa.downloadAttachment(ticketId, added.id);
		expect(downloaded.data.equals(file)).toBe(true);

		const report = validateExchanges(sandbox.requests.filter((entry) => !entry.path.startsWith('/login/')));
		console.log(summarizeReport(report));
		expect(report.violations).toEqual([]);
		const goChecked = Object.entries(report.checkedBy).find(([name]) => name.startsWith('Go client'))?.[1] ?? 0;
		// workRoles, workTypes, POST and GET /time/entries, POST and GET /system/documents, GET /system/documents/{id} and its download.
		expect(goChecked).toBe(report.requestsChecked);
		expect(goChecked).toBe(8);
	});

	it('reports what breaks the Go client\'s models: unknown fields, missing required ones, wrong types', () => {
		const report = validateExchanges([
			{ method: 'GET', path: '/service/boards/2/types', status: 200, response: [{ id: 21, name: 'Incident', colour: 'red' }] },
			{ method: 'GET', path: '/system/userDefinedFields/1', status: 200, response: { id: 1, caption: 'Region', podId: 1, sequenceNumber: 1 } },
			{ method: 'POST', path: '/service/tickets/5/configurations', body: { id: '700' }, status: 201, response: { id: 700 } },
			{ method: 'GET', path: '/service/boards/2/teams', query: { colour: 'red' }, status: 200, response: [] },
		]);
		expect(report.violations).toEqual([
			expect.stringMatching(/^GET \/service\/boards\/2\/types: response 200: \/0 must NOT have additional properties/),
			expect.stringMatching(/^GET \/system\/userDefinedFields\/1: response 200: \(root\) must have required property 'fieldTypeIdentifier'/),
			expect.stringMatching(/^POST \/service\/tickets\/5\/configurations: request body: \/id must be integer/),
			"GET /service/boards/2/teams: query parameter 'colour' is not declared for /service/boards/{parentId}/teams",
		]);
	});
});
