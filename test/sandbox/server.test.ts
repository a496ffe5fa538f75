// The sandbox's transport behaviour: codebase discovery, auth, clientId, permissions, versions, version policies, logging.
import { checkSuiteAgainstContract } from '../contract/suite-check';
import { basicAuth, sandboxClient, useSandbox } from './client';
import { RESTRICTED_CREDENTIALS, SANDBOX_CREDENTIALS, startSandbox } from './index';

describe('sandbox server', () => {
	const fixture = useSandbox();
	const { request } = fixture;
	checkSuiteAgainstContract('server.test.ts', () => fixture.sandbox);

	beforeEach(() => {
		fixture.sandbox.resetLog();
		fixture.sandbox.clearVersionPolicies();
	});

	it('describes itself as the interface promises', () => {
		expect(fixture.sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(fixture.sandbox.site).toBe(fixture.sandbox.url);
		expect(fixture.sandbox.codebase).toBe('v4_6_release/');
		expect(fixture.sandbox.apiBaseUrl).toBe(`${fixture.sandbox.url}/v4_6_release/apis/3.0`);
		expect(fixture.sandbox.credentials).toEqual({ site: fixture.sandbox.url, ...SANDBOX_CREDENTIALS });
		expect(fixture.sandbox.restrictedCredentials).toEqual({ site: fixture.sandbox.url, ...RESTRICTED_CREDENTIALS });
		expect(fixture.sandbox.versions).toEqual({ supported: ['2020.1', '2023.1', '2025.8'], current: '2025.8' });
	});

	it('serves the codebase without auth, case-insensitively by company, and 404s unknown companies', async () => {
		const response = await fetch(`${fixture.sandbox.url}/login/companyinfo/SANDBOX`);
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ Codebase: 'v4_6_release/', CompanyID: 'sandbox', VersionCode: 'v2025.8' });
		const unknown = await fetch(`${fixture.sandbox.url}/login/companyinfo/nobody`);
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({ code: 'NotFound' });
		expect(fixture.sandbox.counters()['GET /login/companyinfo/{companyId}']).toBe(2);
	});

	it('answers 401 in ConnectWise shape without auth or with wrong keys, and never 200', async () => {
		const missing = await request('GET', '/system/info', { noAuth: true });
		expect(missing.status).toBe(401);
		expect(missing.body).toEqual({ code: 'Unauthorized', message: expect.stringMatching(/Basic authorization is required/), errors: null });
		expect(missing.headers.get('api-current-version')).toBe('2025.8');
		const wrongKey = await request('GET', '/system/info', { credentials: { ...SANDBOX_CREDENTIALS, privateKey: 'nope' } });
		expect(wrongKey.status).toBe(401);
		const wrongCompany = await request('GET', '/system/info', { credentials: { ...SANDBOX_CREDENTIALS, companyId: 'other' } });
		expect(wrongCompany.status).toBe(401);
		const malformed = await fetch(`${fixture.sandbox.apiBaseUrl}/system/info`, {
			headers: { authorization: `Basic ${Buffer.from('no-plus-sign').toString('base64')}`, clientid: 'x' },
		});
		expect(malformed.status).toBe(401);
		expect(JSON.stringify(wrongKey.body)).not.toContain(SANDBOX_CREDENTIALS.publicKey);
	});

	it('requires a clientId header', async () => {
		const response = await request('GET', '/system/info', { noClientId: true });
		expect(response.status).toBe(400);
		expect(response.body).toEqual({ code: 'ClientIdRequired', message: expect.stringMatching(/clientId header is required/), errors: null });
	});

	it('lets the read-only keys read, and answers 403 to their writes and to /system/callbacks', async () => {
		const readonly = { credentials: fixture.sandbox.restrictedCredentials };
		expect((await request('GET', '/service/boards', readonly)).status).toBe(200);
		const post = await request('POST', '/service/tickets', { ...readonly, body: { summary: 'x', company: { id: 250 } } });
		expect(post.status).toBe(403);
		expect(post.body).toMatchObject({ code: 'Forbidden' });
		expect((await request('GET', '/system/callbacks', readonly)).status).toBe(403);
		const created = fixture.sandbox.addTicket({ summary: 'for patch', company: { id: 250 } });
		const patch = await request('PATCH', `/service/tickets/${created.id}`, { ...readonly, body: [{ op: 'replace', path: 'summary', value: 'changed' }] });
		expect(patch.status).toBe(403);
		expect(fixture.sandbox.db.tickets.find((ticket) => ticket.id === created.id)?.summary).toBe('for patch');
		expect(fixture.sandbox.db.tickets.length).toBe(1);
	});

	describe('versions', () => {
		it('serves the newest model without a version, and says the current version on every response', async () => {
			const response = await request<Array<Record<string, unknown>>>('GET', '/service/boards/1/statuses');
			expect(response.headers.get('api-current-version')).toBe('2025.8');
			expect(response.body[0]).toHaveProperty('closedStatus');
			expect(fixture.sandbox.requests[0]).toMatchObject({ modelVersion: '2025.8' });
			expect(fixture.sandbox.requests[0].version).toBeUndefined();
		});

		it('renames BoardStatus.closedStatus to closedFlag in 2020.1, in responses and in conditions', async () => {
			const old = await request<Array<Record<string, unknown>>>('GET', '/service/boards/1/statuses', {
				version: '2020.1',
				query: { conditions: 'closedFlag = true' },
			});
			expect(old.status).toBe(200);
			expect(old.body.map((status) => status.name)).toEqual(['Resolved', 'Closed']);
			expect(old.body[0]).toHaveProperty('closedFlag', true);
			expect(old.body[0]).not.toHaveProperty('closedStatus');
			const wrongName = await request('GET', '/service/boards/1/statuses', { version: '2020.1', query: { conditions: 'closedStatus = true' } });
			expect(wrongName.status).toBe(400);
			expect(wrongName.body).toMatchObject({ code: 'InvalidObject', message: expect.stringMatching(/Unknown field 'closedStatus'/) });
		});

		it('adds Member.primaryEmail in 2023.1 and ServiceNote.sentimentScore / Ticket.customerUpdatedFlag in 2025.8', async () => {
			const members2020 = await request<Array<Record<string, unknown>>>('GET', '/system/members/151', { version: '2020.1' });
			expect(members2020.body).not.toHaveProperty('primaryEmail');
			const members2023 = await request<Record<string, unknown>>('GET', '/system/members/151', { version: '2023.1' });
			expect(members2023.body).toHaveProperty('primaryEmail', 'alice@acme.example');
			const ticket = fixture.sandbox.addTicket({ summary: 'versions', company: { id: 251 }, initialDescription: 'hello' });
			const old = await request<Record<string, unknown>>('GET', `/service/tickets/${ticket.id}`, { version: '2023.1' });
			expect(old.body).not.toHaveProperty('customerUpdatedFlag');
			const current = await request<Record<string, unknown>>('GET', `/service/tickets/${ticket.id}`, { version: '2025.8' });
			expect(current.body).toHaveProperty('customerUpdatedFlag', false);
			const notes2023 = await request<Array<Record<string, unknown>>>('GET', `/service/tickets/${ticket.id}/notes`, { version: '2023.1' });
			expect(notes2023.body[0]).not.toHaveProperty('sentimentScore');
			const notes2025 = await request<Array<Record<string, unknown>>>('GET', `/service/tickets/${ticket.id}/notes`, { version: '2025.8' });
			expect(notes2025.body[0]).toHaveProperty('sentimentScore');
			const patchOld = await request('PATCH', `/service/tickets/${ticket.id}`, { version: '2023.1', body: [{ op: 'replace', path: 'customerUpdatedFlag', value: true }] });
			expect(patchOld.status).toBe(400);
			expect(patchOld.body).toMatchObject({ errors: [expect.objectContaining({ field: 'customerUpdatedFlag' })] });
		});

		it('maps an in-between version to the newest model at or below it', async () => {
			const response = await request<Record<string, unknown>>('GET', '/system/members/151', { version: '2024.2' });
			expect(response.status).toBe(200);
			expect(response.body).toHaveProperty('primaryEmail');
			expect(fixture.sandbox.requests[0]).toMatchObject({ version: '2024.2', modelVersion: '2023.1' });
			const between = await request<Array<Record<string, unknown>>>('GET', '/service/boards/1/statuses', { version: '2022.2' });
			expect(between.body[0]).toHaveProperty('closedFlag');
		});

		it.each(['2019.5', '2026.1', 'latest'])('rejects version %s with ConnectWise error', async (version) => {
			const response = await request('GET', '/system/info', { version });
			expect(response.status).toBe(400);
			expect(response.body).toEqual({
				code: 'ConnectWiseApi',
				message: expect.stringContaining(`This endpoint does not support the API version '${version}'.`),
				errors: null,
			});
			expect(response.headers.get('api-current-version')).toBe('2025.8');
		});

		it('claims a lower current version when told to, and refuses newer ones', async () => {
			const older = await startSandbox({ port: 0, currentVersion: '2023.1' });
			try {
				const client = sandboxClient(older);
				expect(older.versions).toEqual({ supported: ['2020.1', '2023.1'], current: '2023.1' });
				const ticket = older.addTicket({ summary: 'x', company: { id: 250 } });
				const response = await client<Record<string, unknown>>('GET', `/service/tickets/${ticket.id}`);
				expect(response.headers.get('api-current-version')).toBe('2023.1');
				expect(response.body).not.toHaveProperty('customerUpdatedFlag');
				expect((await client('GET', '/system/info', { version: '2025.8' })).status).toBe(400);
			} finally {
				await older.stop();
			}
			await expect(startSandbox({ currentVersion: 'soon' })).rejects.toThrow(/currentVersion/);
		});

		it('answers 410 Gone for a removed version of one endpoint only', async () => {
			fixture.sandbox.setVersionPolicy({ path: '/service/tickets', version: '2020.1', gone: true });
			const gone = await request('GET', '/service/tickets', { version: '2020.1' });
			expect(gone.status).toBe(410);
			expect(gone.body).toMatchObject({ code: 'Gone', message: expect.stringMatching(/2020\.1/) });
			expect((await request('GET', '/service/tickets', { version: '2021.1' })).status).toBe(410);
			expect((await request('GET', '/service/tickets', { version: '2023.1' })).status).toBe(200);
			expect((await request('GET', '/service/boards', { version: '2020.1' })).status).toBe(200);
			fixture.sandbox.clearVersionPolicies();
			expect((await request('GET', '/service/tickets', { version: '2020.1' })).status).toBe(200);
		});

		it('adds Deprecation, Sunset and Link headers, next to the paging Link', async () => {
			fixture.sandbox.setVersionPolicy({
				path: '/service/boards/{parentId}/statuses',
				deprecation: '@1767225600',
				sunset: 'Wed, 30 Jun 2027 23:59:59 GMT',
				link: 'https://developer.connectwise.com/deprecations',
			});
			const response = await request('GET', '/service/boards/1/statuses', { query: { pageSize: 2 } });
			expect(response.status).toBe(200);
			expect(response.headers.get('deprecation')).toBe('@1767225600');
			expect(response.headers.get('sunset')).toBe('Wed, 30 Jun 2027 23:59:59 GMT');
			expect(response.headers.get('link')).toMatch(/rel="next".*<https:\/\/developer\.connectwise\.com\/deprecations>; rel="deprecation"/);
			const other = await request('GET', '/service/boards');
			expect(other.headers.get('deprecation')).toBeNull();
		});
	});

	describe('observability', () => {
		it('logs each request with its templated path, query, status, body and versions, and never the Authorization value', async () => {
			await request('GET', '/service/tickets', { query: { conditions: 'id > 0', pageSize: 5 }, version: '2025.8' });
			await request('POST', '/service/tickets', { body: { summary: 'logged', company: { id: 252 } } });
			await request('GET', '/system/info', { credentials: { ...SANDBOX_CREDENTIALS, privateKey: 'WrongSecret123' } });
			expect(fixture.sandbox.requests).toHaveLength(3);
			expect(fixture.sandbox.requests[0]).toMatchObject({
				method: 'GET',
				path: '/service/tickets',
				template: '/service/tickets',
				query: { conditions: 'id > 0', pageSize: '5' },
				status: 200,
				version: '2025.8',
				modelVersion: '2025.8',
			});
			expect(fixture.sandbox.requests[0].at).toMatch(/^\d{4}-\d\d-\d\dT/);
			expect(fixture.sandbox.requests[1]).toMatchObject({ method: 'POST', status: 201, body: { summary: 'logged', company: { id: 252 } } });
			expect(fixture.sandbox.requests[1].response).toMatchObject({ summary: 'logged' });
			expect(fixture.sandbox.requests[2].status).toBe(401);
			for (const entry of fixture.sandbox.requests) expect(entry.headers.authorization).toBe('[REDACTED]');
			const everything = JSON.stringify(fixture.sandbox.requests);
			for (const secret of [SANDBOX_CREDENTIALS.privateKey, 'WrongSecret123', basicAuth(SANDBOX_CREDENTIALS).slice(6)]) {
				expect(everything).not.toContain(secret);
			}
			const overHttp = await (await fetch(`${fixture.sandbox.url}/__sandbox/requests`)).text();
			expect(overHttp).not.toContain(SANDBOX_CREDENTIALS.privateKey);
			expect(overHttp).toContain('[REDACTED]');
		});

		it('counts per templated endpoint and resets', async () => {
			const ticket = fixture.sandbox.addTicket({ summary: 'counted', company: { id: 250 } });
			await request('GET', `/service/tickets/${ticket.id}`);
			await request('GET', `/service/tickets/${ticket.id}`);
			await request('GET', `/service/tickets/${ticket.id}/notes`);
			await request('GET', '/no/such/thing');
			expect(fixture.sandbox.counters()).toEqual({
				'GET /service/tickets/{id}': 2,
				'GET /service/tickets/{parentId}/notes': 1,
				'GET /no/such/thing': 1,
				total: 4,
			});
			expect(await (await fetch(`${fixture.sandbox.url}/__sandbox/counters`)).json()).toEqual(fixture.sandbox.counters());
			fixture.sandbox.resetLog();
			expect(fixture.sandbox.counters()).toEqual({});
			expect(fixture.sandbox.requests).toEqual([]);
		});

		it('answers 404 and 405 in ConnectWise shape', async () => {
			const missing = await request('GET', '/no/such/thing');
			expect(missing.status).toBe(404);
			expect(missing.body).toMatchObject({ code: 'NotFound' });
			const method = await request('PUT', '/service/boards');
			expect(method.status).toBe(405);
			const ticket = await request('GET', '/service/tickets/424242');
			expect(ticket.body).toEqual({ code: 'NotFound', message: 'Ticket recId 424242 not found', errors: null });
			const badId = await request('GET', '/service/tickets/abc');
			expect(badId.status).toBe(400);
		});
	});
});
