// Autotask sandbox wire behaviour: discovery, path casing, auth, impersonation, envelopes, framework 404/405.
import { TICKET, useAutotaskSandbox } from './client';
import { ACTIVE_TECHNICIAN_ID, API_USER_ID, INACTIVE_TECHNICIAN_ID } from './data';

describe('Autotask sandbox: wire', () => {
	const fixture = useAutotaskSandbox();
	const { request } = fixture;
	beforeEach(() => fixture.sandbox.clearTickets());

	it('answers versioninformation and zoneInformation without credentials, in any path casing', async () => {
		const { sandbox } = fixture;
		const versions = await fetch(`${sandbox.url}/atservicesrest/versioninformation`);
		expect(await versions.json()).toEqual({ apiVersions: ['V1.0'] });
		sandbox.setVersions(['V1.0', 'V2.0']);
		expect(await (await fetch(`${sandbox.url}/ATServicesRest/VersionInformation`)).json()).toEqual({ apiVersions: ['V1.0', 'V2.0'] });
		sandbox.setVersions(['V1.0']);
		for (const prefix of ['atservicesrest/v1.0', 'ATServicesRest/V1.0', 'ATServicesRest//V1.0']) {
			const zone = await fetch(`${sandbox.url}/${prefix}/zoneInformation?user=${encodeURIComponent(sandbox.credentials.username)}`);
			expect(zone.status).toBe(200);
			expect(await zone.json()).toEqual({ zoneName: 'Sandbox', url: sandbox.zoneUrl, webUrl: `${sandbox.url}/`, ci: 12345 });
		}
		expect(sandbox.zoneUrl).toMatch(/\/ATServicesRest\/$/);
		for (const user of ['nobody@example.com', '']) {
			const unknown = await fetch(`${sandbox.url}/atservicesrest/v1.0/zoneInformation?user=${user}`);
			expect(unknown.status).toBe(500);
			expect(await unknown.json()).toEqual({ errors: ['Zone information could not be determined'] });
		}
		expect((await fetch(`${sandbox.url}/atservicesrest/V2.0/zoneInformation?user=${sandbox.credentials.username}`)).status).toBe(404);
	});

	it('authenticates: unknown user 500, wrong secret 401, bad integration code 500; header names any case', async () => {
		const { credentials } = fixture.sandbox;
		const unknownUser = await request('GET', '/Companies/175', { credentials: { ...credentials, username: 'who@example.com' } });
		expect(unknownUser.status).toBe(500);
		expect(unknownUser.body.errors).toHaveLength(1);
		expect((await request('GET', '/Companies/175', { credentials: { ...credentials, secret: 'wrong' } })).status).toBe(401);
		const badCode = await request('GET', '/Companies/175', { credentials: { ...credentials, integrationCode: 'NOPE' } });
		expect(badCode).toMatchObject({ status: 500, body: { errors: ['IntegrationCode is invalid.'] } });
		const odd = await request('GET', '/Companies/175', {
			noAuth: true,
			headers: { APIIntegrationcode: credentials.integrationCode, Username: credentials.username, secret: credentials.secret },
		});
		expect(odd.status).toBe(200);
		expect(fixture.sandbox.requests.at(-1)?.headers.secret).toBe('[REDACTED]');
	});

	it('uses the documented envelopes, camelCase output, case-insensitive paths and property names', async () => {
		const created = await request('POST', '/tickets', { body: { CompanyID: 175, Title: 'Case', Status: 1, Priority: 2, QueueID: 5 } });
		expect(created.status).toBe(200);
		expect(Object.keys(created.body)).toEqual(['itemId']);
		const got = await request('GET', `//TICKETS/${created.body.itemId}`);
		expect(got.body.item).toMatchObject({ id: created.body.itemId, companyID: 175, title: 'Case', queueID: 5 });
		// Every UDF of the entity is listed, unset ones with null (§2: `userDefinedFields: [{name, value}]`).
		expect(got.body.item.userDefinedFields).toEqual(fixture.sandbox.db.udfs.Tickets.map((udf) => ({ name: udf.name, value: null })));
		const query = await request('POST', '/Tickets/query', { body: { filter: [{ op: 'eq', field: 'id', value: created.body.itemId }] } });
		expect(query.body).toEqual({ items: [got.body.item], pageDetails: { count: 1, requestCount: 500, prevPageUrl: null, nextPageUrl: null } });
		const count = await request('POST', '/Tickets/query/count', { body: { filter: [{ op: 'exist', field: 'id' }] } });
		expect(count.body).toEqual({ queryCount: 1 });
		const info = await request('GET', '/Tickets/entityInformation');
		expect(info.body.info).toMatchObject({ name: 'Ticket', canCreate: true, canQuery: true, supportsWebhookCallouts: true });
		expect((await request('GET', '/Tickets/entityInformation/userDefinedFields')).body).toEqual({ fields: fixture.sandbox.db.udfs.Tickets });
		expect((await request('GET', '/Resources/entityInformation/userDefinedFields')).body).toEqual({ fields: [] });
	});

	it('answers framework 405/404 where Autotask has no route', async () => {
		const ticket = fixture.sandbox.addTicket(TICKET);
		const expect405 = async (method: string, path: string) => {
			const response = await request(method, path, { body: method === 'GET' || method === 'DELETE' ? undefined : { id: ticket.id } });
			expect(response).toMatchObject({ status: 405, body: { Message: `The requested resource does not support http method '${method}'.` } });
		};
		await expect405('DELETE', `/Tickets/${ticket.id}`);
		await expect405('PATCH', `/Tickets/${ticket.id}`);
		await expect405('DELETE', '/Tickets');
		const topLevelNote = await request('POST', '/TicketNotes', { body: { ticketID: ticket.id, description: 'x', noteType: 1, publish: 1 } });
		expect(topLevelNote.status).toBe(404);
		expect(topLevelNote.body.Message).toMatch(/No HTTP resource/);
		expect((await request('GET', '/ServiceLevelAgreements/1')).status).toBe(404);
		expect((await request('GET', '/Tickets/999999')).status).toBe(404);
	});

	it('impersonation: creator is the impersonated resource, refused on queries and for inactive or API users', async () => {
		const created = await request('POST', '/Tickets', { body: TICKET, impersonate: ACTIVE_TECHNICIAN_ID });
		const ticket = (await request('GET', `/Tickets/${created.body.itemId}`)).body.item;
		expect(ticket).toMatchObject({ creatorResourceID: ACTIVE_TECHNICIAN_ID, impersonatorCreatorResourceID: API_USER_ID, lastActivityResourceID: ACTIVE_TECHNICIAN_ID });
		const plain = fixture.sandbox.addTicket(TICKET);
		expect(plain).toMatchObject({ creatorResourceID: API_USER_ID, impersonatorCreatorResourceID: null });
		const note = await request('POST', `/Tickets/${ticket.id}/Notes`, { body: { description: 'by John', noteType: 1, publish: 1 }, impersonate: ACTIVE_TECHNICIAN_ID });
		expect((await request('GET', `/TicketNotes/${note.body.itemId}`)).body.item).toMatchObject({
			creatorResourceID: ACTIVE_TECHNICIAN_ID,
			impersonatorCreatorResourceID: API_USER_ID,
		});
		const query = await request('POST', '/Tickets/query', { body: { filter: [{ op: 'exist', field: 'id' }] }, impersonate: ACTIVE_TECHNICIAN_ID });
		expect(query).toMatchObject({ status: 500, body: { errors: ['The logged in Resource does not have the adequate permissions to query this entity type.'] } });
		for (const who of [INACTIVE_TECHNICIAN_ID, 424242, API_USER_ID]) {
			const refused = await request('POST', '/Tickets', { body: TICKET, impersonate: who });
			expect(refused.status).toBe(500);
			expect(refused.body.errors[0]).toMatch(/adequate permissions to create/);
		}
	});

	it('restricted API user may query but not write', async () => {
		const { restrictedCredentials } = fixture.sandbox;
		expect((await request('POST', '/Companies/query', { credentials: restrictedCredentials, body: { filter: [{ op: 'gte', field: 'id', value: 0 }] } })).status).toBe(200);
		const write = await request('POST', '/Tickets', { credentials: restrictedCredentials, body: TICKET });
		expect(write).toMatchObject({ status: 500, body: { errors: ['The logged in Resource does not have the adequate permissions to create this entity type.'] } });
		const update = await request('PATCH', '/Tickets', { credentials: restrictedCredentials, body: { id: 1, status: 5 } });
		expect(update.body.errors[0]).toMatch(/permissions to update/);
	});

	it('serves resources, companies and contacts with their real types', async () => {
		const resource = (await request('GET', `/Resources/${ACTIVE_TECHNICIAN_ID}`)).body.item;
		expect(resource).toMatchObject({ email: 'john.smith@acme.example', isActive: true, resourceType: 'Employee' });
		expect((await request('GET', '/Companies/177')).body.item).toMatchObject({ companyName: 'Initech (inactive)', isActive: false });
		const contacts = await request('POST', '/Contacts/query', { body: { filter: [{ op: 'eq', field: 'companyID', value: 175 }, { op: 'eq', field: 'isActive', value: 1 }] } });
		expect(contacts.body.items.map((contact: { isActive: number }) => contact.isActive)).toEqual([1, 1]);
		const missing = await fetch(`${fixture.sandbox.apiBaseUrl}/Tickets/424242`, {
			headers: { ApiIntegrationCode: fixture.sandbox.credentials.integrationCode, UserName: fixture.sandbox.credentials.username, Secret: fixture.sandbox.credentials.secret },
		});
		expect(missing.status).toBe(404);
	});
});
