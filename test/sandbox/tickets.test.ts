// Tickets and notes: create with validation, get, JSON Patch with board-aware statuses, notes with their flags.
import { checkSuiteAgainstContract, isContractExchange } from '../contract/suite-check';
import { useSandbox } from './client';

type Row = Record<string, unknown>;

describe('sandbox tickets and notes', () => {
	const fixture = useSandbox();
	const { request } = fixture;
	// GET /service/boards/{id} is served as ConnectWise serves it, but the OpenAPI subset does not describe it (the adapter never calls it).
	checkSuiteAgainstContract('tickets.test.ts', () => fixture.sandbox, (entry) => isContractExchange(entry) && !(entry.method === 'GET' && entry.template === '/service/boards/{id}'));

	it('creates a ticket with references by id or name, defaults, and initial notes', async () => {
		const created = await request<Row>('POST', '/service/tickets', {
			body: {
				summary: 'Core switch down',
				company: { identifier: 'Globex' },
				board: { name: 'Network Operations' },
				status: { name: 'Investigating' },
				priority: { name: 'Priority 1 - Critical' },
				owner: { identifier: 'adoe' },
				contact: { id: 310 },
				externalXRef: 'zabbix:4711',
				initialDescription: 'Switch sw-core-1 stopped answering pings.',
				initialInternalAnalysis: 'Probably the PSU again.',
			},
		});
		expect(created.status).toBe(201);
		expect(created.body).toMatchObject({
			summary: 'Core switch down',
			recordType: 'ServiceTicket',
			company: { id: 251, identifier: 'Globex', name: 'Globex' },
			board: { id: 2, name: 'Network Operations' },
			status: { id: 202, name: 'Investigating' },
			priority: { id: 1, name: 'Priority 1 - Critical' },
			owner: { id: 151, identifier: 'adoe' },
			contact: { id: 310, name: 'Hank Scorpio' },
			contactEmailAddress: 'hank@globex.example',
			externalXRef: 'zabbix:4711',
			closedFlag: false,
			customerUpdatedFlag: false,
			_info: { enteredBy: 'api' },
		});
		const id = created.body.id as number;
		const fetched = await request<Row>('GET', `/service/tickets/${id}`);
		expect(fetched.body).toEqual(created.body);
		const notes = await request<Row[]>('GET', `/service/tickets/${id}/notes`);
		expect(notes.body).toEqual([
			expect.objectContaining({ ticketId: id, text: 'Switch sw-core-1 stopped answering pings.', detailDescriptionFlag: true, internalAnalysisFlag: false }),
			expect.objectContaining({ ticketId: id, text: 'Probably the PSU again.', internalAnalysisFlag: true, detailDescriptionFlag: false, internalFlag: true }),
		]);

		const minimal = await request<Row>('POST', '/service/tickets', { body: { summary: 'Minimal', company: { id: 250 } } });
		expect(minimal.body).toMatchObject({
			board: { id: 1, name: 'Help Desk' },
			status: { id: 101, name: 'New' },
			priority: { id: 3, name: 'Priority 3 - Normal' },
		});
		expect(minimal.body).not.toHaveProperty('owner');
	});

	it('accepts a 100-character summary and rejects 101 with field summary, creating nothing', async () => {
		const before = fixture.sandbox.db.tickets.length;
		expect((await request('POST', '/service/tickets', { body: { summary: 'x'.repeat(100), company: { id: 250 } } })).status).toBe(201);
		const tooLong = await request('POST', '/service/tickets', { body: { summary: 'x'.repeat(101), company: { id: 250 } } });
		expect(tooLong.status).toBe(400);
		expect(tooLong.body).toEqual({
			code: 'InvalidObject',
			message: 'ticket object is invalid',
			errors: [{ code: 'InvalidField', message: 'The summary field is limited to 100 characters.', resource: 'ticket', field: 'summary' }],
		});
		expect(fixture.sandbox.db.tickets.length).toBe(before + 1);
	});

	it('lists every invalid field of a create at once', async () => {
		const missing = await request('POST', '/service/tickets', { body: { summary: '' } });
		expect(missing.body).toMatchObject({
			code: 'InvalidObject',
			errors: [
				{ code: 'NullValue', field: 'summary', resource: 'ticket' },
				{ code: 'NullValue', field: 'company', resource: 'ticket' },
			],
		});
		const bad = await request<{ errors: Row[] }>('POST', '/service/tickets', {
			body: {
				summary: 'ok',
				company: { id: 9999 },
				board: { id: 3 },
				priority: { name: 'Urgent!!' },
				owner: { identifier: 'oldtech' },
				externalXRef: 'y'.repeat(101),
			},
		});
		expect(bad.status).toBe(400);
		expect(bad.body.errors.map((error) => error.field).sort()).toEqual(['board', 'company', 'externalXRef', 'owner', 'priority']);
		const wrongStatus = await request('POST', '/service/tickets', { body: { summary: 'ok', company: { id: 250 }, status: { id: 202 } } });
		expect(wrongStatus.body).toMatchObject({ errors: [{ code: 'InvalidObject', field: 'status/id' }] });
		const inactiveStatus = await request('POST', '/service/tickets', { body: { summary: 'ok', company: { id: 250 }, status: { name: 'Old Queue' } } });
		expect(inactiveStatus.body).toMatchObject({ errors: [{ field: 'status/id', message: expect.stringMatching(/inactive/) }] });
		const notJson = await fetch(`${fixture.sandbox.apiBaseUrl}/service/tickets`, {
			method: 'POST',
			headers: { authorization: `Basic ${Buffer.from(`sandbox+${fixture.sandbox.credentials.publicKey}:${fixture.sandbox.credentials.privateKey}`).toString('base64')}`, clientid: 'x' },
			body: '{not json',
		});
		expect(notJson.status).toBe(400);
	});

	describe('PATCH', () => {
		let id: number;

		beforeEach(() => {
			id = fixture.sandbox.addTicket({ summary: 'Patch me', company: { id: 250 } }).id;
		});

		const patch = (operations: unknown, ticketId = id) => request<Row>('PATCH', `/service/tickets/${ticketId}`, { body: operations });

		it('replaces summary, priority, owner and status given as {id}, {name} or status/id', async () => {
			const response = await patch([
				{ op: 'replace', path: 'summary', value: 'Patched' },
				{ op: 'replace', path: 'priority', value: { id: 2 } },
				{ op: 'add', path: 'owner', value: { identifier: 'jsmith' } },
				{ op: 'replace', path: 'status', value: { name: 'In Progress' } },
			]);
			expect(response.status).toBe(200);
			expect(response.body).toMatchObject({ summary: 'Patched', priority: { id: 2 }, owner: { identifier: 'jsmith' }, status: { id: 102, name: 'In Progress' } });
			expect((await patch([{ op: 'replace', path: '/status/id', value: 103 }])).body).toMatchObject({ status: { id: 103 } });
			expect((await patch([{ op: 'remove', path: 'owner' }])).body).not.toHaveProperty('owner');
			expect((await patch([{ op: 'replace', path: 'customerUpdatedFlag', value: true }])).body).toMatchObject({ customerUpdatedFlag: true });
			const stored = fixture.sandbox.db.tickets.find((ticket) => ticket.id === id);
			expect(stored).toMatchObject({ summary: 'Patched', status: { id: 103 }, customerUpdatedFlag: true });
		});

		it('answers InvalidObject naming status/id for a status of another board, and changes nothing', async () => {
			const response = await patch([
				{ op: 'replace', path: 'summary', value: 'Should not stick' },
				{ op: 'replace', path: 'status', value: { id: 203 } },
			]);
			expect(response.status).toBe(400);
			expect(response.body).toEqual({
				code: 'InvalidObject',
				message: 'ticket object is invalid',
				errors: [{ code: 'InvalidObject', message: "The status id 203 is not valid for board 'Help Desk'.", resource: 'ticket', field: 'status/id' }],
			});
			expect(fixture.sandbox.db.tickets.find((ticket) => ticket.id === id)).toMatchObject({ summary: 'Patch me', status: { id: 101 } });
			expect((await patch([{ op: 'replace', path: 'status', value: { name: 'Monitoring' } }])).body).toMatchObject({ errors: [{ field: 'status/id' }] });
			expect((await patch([{ op: 'replace', path: 'status/id', value: 999 }])).status).toBe(400);
		});

		it('closes with a closed status (closedFlag, closedDate) and reopens', async () => {
			const closed = await patch([{ op: 'replace', path: 'status', value: { id: 104 } }]);
			expect(closed.body).toMatchObject({ closedFlag: true, closedBy: 'api', status: { name: 'Resolved' } });
			expect(closed.body.closedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
			const found = await request<Row[]>('GET', '/service/tickets', { query: { conditions: `id = ${id} and closedFlag = true` } });
			expect(found.body).toHaveLength(1);
			const reopened = await patch([{ op: 'replace', path: 'status', value: { id: 102 } }]);
			expect(reopened.body).toMatchObject({ closedFlag: false });
			expect(reopened.body).not.toHaveProperty('closedDate');
		});

		it('moves boards: to the new board default status, or to the status named in the same patch', async () => {
			expect((await patch([{ op: 'replace', path: 'board', value: { id: 2 } }])).body).toMatchObject({ board: { id: 2 }, status: { id: 201, name: 'New' } });
			const both = await patch([
				{ op: 'replace', path: 'board', value: { name: 'Help Desk' } },
				{ op: 'replace', path: 'status', value: { name: 'Waiting Customer' } },
			]);
			expect(both.body).toMatchObject({ board: { id: 1 }, status: { id: 103 } });
			expect((await patch([{ op: 'replace', path: 'board', value: { id: 3 } }])).body).toMatchObject({ errors: [{ field: 'board', message: expect.stringMatching(/inactive/) }] });
		});

		it('validates every operation: summary length, unknown paths, ops, body shape', async () => {
			expect((await patch([{ op: 'replace', path: 'summary', value: 's'.repeat(101) }])).body).toMatchObject({ errors: [{ field: 'summary', code: 'InvalidField' }] });
			expect((await patch([{ op: 'remove', path: 'summary' }])).body).toMatchObject({ errors: [{ field: 'summary', code: 'NullValue' }] });
			expect((await patch([{ op: 'replace', path: 'colour', value: 'red' }])).body).toMatchObject({ errors: [{ field: 'colour' }] });
			expect((await patch([{ op: 'move', path: 'summary', from: 'x' }])).status).toBe(400);
			expect((await patch({ op: 'replace', path: 'summary', value: 'x' })).status).toBe(400);
			expect((await patch([{ op: 'replace', path: 'summary', value: 'x' }], 999999)).status).toBe(404);
			expect(fixture.sandbox.db.tickets.find((ticket) => ticket.id === id)?.summary).toBe('Patch me');
		});
	});

	describe('notes', () => {
		let id: number;

		beforeAll(() => {
			id = fixture.sandbox.addTicket({ summary: 'Notes here', company: { id: 252 } }).id;
		});

		it('posts discussion, internal and resolution notes with their flags and an attributed member', async () => {
			const discussion = await request<Row>('POST', `/service/tickets/${id}/notes`, {
				body: { text: 'Customer called', detailDescriptionFlag: true, member: { identifier: 'jsmith' } },
			});
			expect(discussion.status).toBe(201);
			expect(discussion.body).toMatchObject({
				ticketId: id,
				text: 'Customer called',
				detailDescriptionFlag: true,
				internalAnalysisFlag: false,
				resolutionFlag: false,
				externalFlag: true,
				internalFlag: false,
				member: { id: 150, identifier: 'jsmith' },
				createdBy: 'jsmith',
			});
			const internal = await request<Row>('POST', `/service/tickets/${id}/notes`, {
				body: { text: 'Root cause: DNS', internalAnalysisFlag: true, internalFlag: true, externalFlag: false, member: { id: 151 } },
			});
			expect(internal.body).toMatchObject({ internalAnalysisFlag: true, internalFlag: true, externalFlag: false, member: { identifier: 'adoe' } });
			const resolution = await request<Row>('POST', `/service/tickets/${id}/notes`, { body: { text: 'Fixed', resolutionFlag: true } });
			expect(resolution.body).toMatchObject({ resolutionFlag: true, member: { identifier: 'api' } });

			const list = await request<Row[]>('GET', `/service/tickets/${id}/notes`, { query: { conditions: 'internalAnalysisFlag = true' } });
			expect(list.body.map((note) => note.text)).toEqual(['Root cause: DNS']);
			const one = await request<Row>('GET', `/service/tickets/${id}/notes/${resolution.body.id}`);
			expect(one.body).toEqual(resolution.body);
			expect((await request('GET', `/service/tickets/${id}/notes/1`)).status).toBe(404);
		});

		it('needs one of the three type flags, text, and an active member; creates nothing otherwise', async () => {
			const before = fixture.sandbox.db.notes.length;
			const noFlag = await request('POST', `/service/tickets/${id}/notes`, { body: { text: 'Flagless', internalFlag: true } });
			expect(noFlag.status).toBe(400);
			expect(noFlag.body).toMatchObject({
				code: 'InvalidObject',
				errors: [{ field: 'detailDescriptionFlag', message: expect.stringMatching(/detailDescriptionFlag, internalAnalysisFlag or resolutionFlag/) }],
			});
			expect((await request('POST', `/service/tickets/${id}/notes`, { body: { text: '', detailDescriptionFlag: true } })).body).toMatchObject({ errors: [{ field: 'text' }] });
			expect((await request('POST', `/service/tickets/${id}/notes`, { body: { text: 'x', detailDescriptionFlag: true, member: { identifier: 'oldtech' } } })).body).toMatchObject({
				errors: [{ field: 'member', message: expect.stringMatching(/inactive/) }],
			});
			expect((await request('POST', `/service/tickets/${id}/notes`, { body: { text: 'x', detailDescriptionFlag: 'yes' } })).status).toBe(400);
			expect((await request('POST', '/service/tickets/999999/notes', { body: { text: 'x', detailDescriptionFlag: true } })).status).toBe(404);
			expect(fixture.sandbox.db.notes.length).toBe(before);
		});
	});

	it('deletes a ticket with its notes', async () => {
		const id = fixture.sandbox.addTicket({ summary: 'Delete me', company: { id: 250 }, initialDescription: 'bye' }).id;
		expect((await request('DELETE', `/service/tickets/${id}`)).status).toBe(204);
		expect((await request('GET', `/service/tickets/${id}`)).status).toBe(404);
		expect(fixture.sandbox.db.notes.some((note) => note.ticketId === id)).toBe(false);
	});

	it('serves boards, statuses, priorities, companies and contacts by id', async () => {
		expect((await request<Row>('GET', '/service/boards/2')).body).toMatchObject({ name: 'Network Operations', location: { id: 2 } });
		expect((await request<Row>('GET', '/service/boards/1/statuses/104')).body).toMatchObject({ name: 'Resolved', closedStatus: true });
		expect((await request('GET', '/service/boards/2/statuses/104')).status).toBe(404);
		expect((await request('GET', '/service/boards/99/statuses')).status).toBe(404);
		expect((await request<Row[]>('GET', '/service/boards/1/statuses', { query: { conditions: 'defaultFlag = true' } })).body.map((status) => status.name)).toEqual(['New']);
		expect((await request<Row>('GET', '/service/priorities/3')).body).toMatchObject({ name: 'Priority 3 - Normal', defaultFlag: true });
		expect((await request<Row>('GET', '/company/companies/19')).body).toMatchObject({ identifier: 'Catchall' });
		expect((await request<Row>('GET', '/company/contacts/320')).body).toMatchObject({ firstName: 'Bill', company: { id: 252 } });
		expect((await request<Row>('GET', '/system/members/152')).body).toMatchObject({ identifier: 'api' });
		const boards = (await request<Row[]>('GET', '/service/boards')).body;
		expect(boards.map((board) => [board.name, board.inactiveFlag])).toEqual([['Help Desk', false], ['Network Operations', false], ['Projects', true]]);
	});
});
