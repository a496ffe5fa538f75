// Autotask sandbox tickets and notes (§5, §6): validation from metadata, generated fields, PATCH vs PUT, completion, notes.
import { TICKET, useAutotaskSandbox } from './client';
import { ACTIVE_TECHNICIAN_ID, API_USER_ID, INACTIVE_TECHNICIAN_ID } from './data';

describe('Autotask sandbox: tickets and notes', () => {
	const fixture = useAutotaskSandbox({ missingTicketAnswer: 'null-item' });
	const { request } = fixture;
	const createError = async (body: Record<string, unknown>) => {
		const response = await request('POST', '/Tickets', { body });
		expect(response.status).toBe(500);
		return response.body.errors[0] as string;
	};

	it('creates a ticket with generated number, dates and attribution', async () => {
		const created = await request('POST', '/Tickets', { body: { ...TICKET, externalID: 'alert-1', contactID: 30682901 } });
		expect(created.status).toBe(200);
		const ticket = (await request('GET', `/Tickets/${created.body.itemId}`)).body.item;
		expect(ticket.ticketNumber).toMatch(/^T\d{8}\.\d{4}$/);
		expect(ticket.ticketNumber.slice(1, 9)).toBe(new Date().toISOString().slice(0, 10).replace(/-/g, ''));
		expect(ticket).toMatchObject({ creatorResourceID: API_USER_ID, lastActivityResourceID: API_USER_ID, completedDate: null, externalID: 'alert-1' });
		for (const key of ['createDate', 'lastActivityDate', 'lastTrackedModificationDateTime']) expect(Date.parse(ticket[key])).toBeGreaterThan(0);
		const second = fixture.sandbox.addTicket(TICKET);
		expect(Number(second.ticketNumber.split('.')[1])).toBe(Number(ticket.ticketNumber.split('.')[1]) + 1);
	});

	it('validates required fields, picklists, lengths, references and the resource/role pair', async () => {
		expect(await createError({ ...TICKET, companyID: undefined })).toBe('companyID is required');
		expect(await createError({ ...TICKET, title: '' })).toBe('title is required');
		expect(await createError({ ...TICKET, priority: 4 })).toBe('Picklist value [4] does not exist for priority');
		expect(await createError({ ...TICKET, status: 99 })).toBe('Picklist value [99] does not exist for status');
		expect(await createError({ ...TICKET, queueID: 1 })).toBe('Picklist value [1] does not exist for queueID');
		expect(await createError({ ...TICKET, title: 'x'.repeat(256) })).toBe('title exceeds 255 characters (maximum length)');
		expect(await createError({ ...TICKET, description: 'x'.repeat(8001) })).toMatch(/^description exceeds 8000/);
		expect(await createError({ ...TICKET, externalID: 'x'.repeat(51) })).toMatch(/^externalID exceeds 50/);
		expect(await createError({ ...TICKET, companyID: 999 })).toBe('Value does not reference an existing entity for companyID.');
		expect(await createError({ ...TICKET, companyID: 177 })).toMatch(/inactive Company/);
		expect(await createError({ ...TICKET, contactID: 30682904 })).toMatch(/does not belong to the ticket's company/);
		expect(await createError({ ...TICKET, assignedResourceID: ACTIVE_TECHNICIAN_ID })).toBe(
			'When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID.',
		);
		expect(await createError({ ...TICKET, assignedResourceID: INACTIVE_TECHNICIAN_ID, assignedResourceRoleID: 29682833 })).toMatch(/inactive Resource/);
		expect(await createError({ ...TICKET, status: 'new' })).toMatch(/Invalid value 'new' for field status/);
		expect((await request('POST', '/Tickets', { body: { ...TICKET, assignedResourceID: ACTIVE_TECHNICIAN_ID, assignedResourceRoleID: 29682833 } })).status).toBe(200);
		expect(fixture.sandbox.db.tickets.every((ticket) => ticket.title.length <= 255)).toBe(true);
	});

	it('PATCH changes only sent fields, PUT nulls unsent writable ones; status 5 sets and clears completedDate', async () => {
		const ticket = fixture.sandbox.addTicket({ ...TICKET, description: 'keep me', externalID: 'ext-patch' });
		expect((await request('PATCH', '/Tickets', { body: { id: ticket.id, status: 5 } })).body).toEqual({ itemId: ticket.id });
		let read = (await request('GET', `/Tickets/${ticket.id}`)).body.item;
		expect(read).toMatchObject({ status: 5, description: 'keep me', externalID: 'ext-patch', completedByResourceID: API_USER_ID });
		expect(read.completedDate).not.toBeNull();
		await request('PATCH', '/Tickets', { body: { ID: ticket.id, Status: 8 } });
		read = (await request('GET', `/Tickets/${ticket.id}`)).body.item;
		expect(read).toMatchObject({ status: 8, completedDate: null });
		const put = await request('PUT', '/Tickets', { body: { id: ticket.id, companyID: 175, title: 'Replaced', status: 1, priority: 3 } });
		expect(put.status).toBe(200);
		read = (await request('GET', `/Tickets/${ticket.id}`)).body.item;
		expect(read).toMatchObject({ title: 'Replaced', description: null, externalID: null, queueID: null, ticketNumber: ticket.ticketNumber });
		expect((await request('PUT', '/Tickets', { body: { id: ticket.id, title: 'No company' } })).body.errors).toEqual(['companyID is required']);
		expect((await request('PATCH', '/Tickets', { body: { status: 5 } })).body.errors).toEqual(['id is required']);
		expect((await request('PATCH', '/Tickets', { body: { id: 1, status: 5 } })).status).toBe(500);
		expect((await request('GET', '/Tickets/1')).body).toEqual({ item: null });
	});

	it('creates, lists, reads and queries notes; validates them', async () => {
		const ticket = fixture.sandbox.addTicket(TICKET);
		const other = fixture.sandbox.addTicket(TICKET);
		const created = await request('POST', `/Tickets/${ticket.id}/Notes`, { body: { Title: 'Update', Description: 'Fixed it', NoteType: 1, Publish: 2 } });
		expect(created.status).toBe(200);
		await request('POST', `/Tickets/${other.id}/Notes`, { body: { description: 'other', noteType: 3, publish: 4 } });
		const note = (await request('GET', `/TicketNotes/${created.body.itemId}`)).body.item;
		expect(note).toMatchObject({ ticketID: ticket.id, title: 'Update', description: 'Fixed it', noteType: 1, publish: 2, creatorResourceID: API_USER_ID, impersonatorCreatorResourceID: null });
		for (const key of ['createDateTime', 'lastActivityDate']) expect(Date.parse(note[key])).toBeGreaterThan(0);
		expect((await request('GET', `/Tickets/${ticket.id}/Notes`)).body.items).toEqual([note]);
		expect((await request('GET', `/Tickets/${ticket.id}/Notes/${note.id}`)).body.item).toEqual(note);
		const byIn = await request('POST', '/TicketNotes/query', { body: { filter: [{ op: 'in', field: 'ticketID', value: [ticket.id, other.id] }] } });
		expect(byIn.body.items).toHaveLength(2);
		const noteError = async (body: Record<string, unknown>, ticketId = ticket.id) => (await request('POST', `/Tickets/${ticketId}/Notes`, { body })).body.errors[0];
		expect(await noteError({ noteType: 1, publish: 1 })).toBe('description is required');
		expect(await noteError({ description: 'x', publish: 1 })).toBe('noteType is required');
		expect(await noteError({ description: 'x', noteType: 1, publish: 3 })).toBe('Picklist value [3] does not exist for publish');
		expect(await noteError({ description: 'x', noteType: 1, publish: 1, title: 't'.repeat(251) })).toMatch(/^title exceeds 250/);
		expect(await noteError({ description: 'x'.repeat(32001), noteType: 1, publish: 1 })).toMatch(/^description exceeds 32000/);
		expect(await noteError({ description: 'x', noteType: 1, publish: 1 }, 424242)).toMatch(/ticketID/);
		expect((await request('PATCH', `/Tickets/${ticket.id}/Notes`, { body: { id: note.id, description: 'edited' } })).status).toBe(500);
		expect((await request('PATCH', `/Tickets/${ticket.id}/Notes`, { body: { id: note.id, description: 'edited', noteType: 1, publish: 1 } })).status).toBe(200);
		expect((await request('DELETE', `/TicketNotes/${note.id}`)).status).toBe(405);
	});

	it('logs every write that carries a status (API or technician, unchanged included); clearTickets forgets the log', async () => {
		const ticket = fixture.sandbox.addTicket({ ...TICKET, status: 1 });
		await request('PATCH', '/Tickets', { body: { id: ticket.id, title: 'No status here' } });
		await request('PATCH', '/Tickets', { body: { id: ticket.id, Status: 5 } });
		await request('PATCH', '/Tickets', { body: { id: ticket.id, status: 8 } });
		fixture.sandbox.changeTicket(ticket.id, { status: 8 });
		expect((await request('PATCH', '/Tickets', { body: { id: ticket.id, status: 99 } })).status).toBe(500);
		const log = fixture.sandbox.db.statusChanges.filter((change) => change.ticketId === ticket.id).map(({ at: _at, ...change }) => change);
		expect(log).toEqual([
			{ ticketId: ticket.id, fromStatus: 1, toStatus: 5, closed: true, reopened: false },
			{ ticketId: ticket.id, fromStatus: 5, toStatus: 8, closed: false, reopened: true },
			{ ticketId: ticket.id, fromStatus: 8, toStatus: 8, closed: false, reopened: false },
		]);
		fixture.sandbox.clearTickets();
		expect(fixture.sandbox.db.statusChanges).toEqual([]);
	});

	it('changeTicket acts as a technician in the UI; addTicket validates like POST', () => {
		const ticket = fixture.sandbox.addTicket(TICKET);
		const changed = fixture.sandbox.changeTicket(ticket.id, { status: 7, title: 'Waiting' });
		expect(changed).toMatchObject({ status: 7, title: 'Waiting', lastActivityResourceID: ACTIVE_TECHNICIAN_ID });
		expect(() => fixture.sandbox.addTicket({ ...TICKET, priority: 9 })).toThrow('addTicket: Picklist value [9] does not exist for priority');
	});
});
