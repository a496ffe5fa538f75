// Autotask sandbox ticket webhooks (§9): setup entities, which changes call out, payload, signature over the exact bytes, escaping vector.
import { createHmac } from 'node:crypto';
import { startReceiver, type Receiver } from '../receiver';
import { TICKET, useAutotaskSandbox } from './client';
import { ACTIVE_TECHNICIAN_ID, API_USER_ID, SECOND_TECHNICIAN_ID } from './data';
import { escapeJsonString, serializeWebhookBody, signWebhookBody } from './webhooks';

const SECRET = '0123456789abcdef0123456789abcdef';

describe('Autotask sandbox: webhook body escaping and signature', () => {
	it('escapes like .NET and signs the exact bytes (test vector with & + " é and an emoji)', () => {
		const title = 'R&D + "Ops" café 🔥 <b>`x`\'';
		const payload = { Action: 'Update', Guid: 'd0046a73-76a0-41c4-a634-4b7fce7e43ec', EntityType: 'Ticket', Id: 7, Fields: { Title: title }, EventTime: '2025-09-15T15:10:00Z', SequenceNumber: 2, PersonID: 30691780 };
		const body = serializeWebhookBody(payload);
		expect(body).toBe(
			'{"Action":"Update","Guid":"d0046a73-76a0-41c4-a634-4b7fce7e43ec","EntityType":"Ticket","Id":7,' +
				'"Fields":{"Title":"R\\u0026D \\u002B \\u0022Ops\\u0022 caf\\u00E9 \\uD83D\\uDD25 \\u003Cb\\u003E\\u0060x\\u0060\\u0027"},' +
				'"EventTime":"2025-09-15T15:10:00Z","SequenceNumber":2,"PersonID":30691780}',
		);
		expect(JSON.parse(body).Fields.Title).toBe(title);
		// The receiver's fallback path (n8n-nodes-autotask): JSON.stringify, then the same escapes, gives the same bytes.
		const canonical = JSON.stringify(JSON.parse(body))
			.replace(/\\"/g, '\\u0022')
			.replace(/[&<>'`+]/g, (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
			.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
		expect(canonical).toBe(body);
		const expected = `sha1=${createHmac('sha1', SECRET).update(Buffer.from(body, 'utf8')).digest('base64')}`;
		expect(signWebhookBody(SECRET, body)).toBe(expected);
		expect(Buffer.byteLength(body, 'utf8')).toBe(body.length);
		expect(escapeJsonString('a\\b\n')).toBe('"a\\\\b\\n"');
	});
});

describe('Autotask sandbox: ticket webhooks', () => {
	const fixture = useAutotaskSandbox();
	const { request } = fixture;
	let receiver: Receiver;
	let webhookId: number;

	beforeAll(async () => {
		receiver = await startReceiver();
		const created = await request('POST', '/TicketWebhooks', {
			body: {
				name: 'psa-bridge tickets',
				webhookUrl: `${receiver.url}/hook`,
				deactivationUrl: `${receiver.url}/deactivated`,
				secretKey: SECRET,
				isActive: true,
				sendThresholdExceededNotification: false,
				isSubscribedToCreateEvents: true,
				isSubscribedToUpdateEvents: true,
				isSubscribedToDeleteEvents: false,
			},
		});
		expect(created.status).toBe(200);
		webhookId = created.body.itemId;
	});
	afterAll(() => receiver.stop());
	beforeEach(() => {
		fixture.sandbox.clearDeliveries();
		receiver.received.length = 0;
	});

	it('sets up the webhook: generated guid, owner, isReady after the first field, fields and exclusions', async () => {
		let webhook = (await request('GET', `/TicketWebhooks/${webhookId}`)).body.item;
		expect(webhook).toMatchObject({ ownerResourceID: API_USER_ID, isReady: false, isActive: true });
		expect(webhook.webhookGuid).toMatch(/^[0-9a-f-]{36}$/);
		// No callouts before a field is configured.
		fixture.sandbox.addTicket(TICKET);
		await request('POST', '/Tickets', { body: TICKET });
		expect(fixture.sandbox.pendingDeliveries).toBe(0);
		for (const [fieldID, subscribed, always] of [[5, true, false], [2, true, false], [31, false, true], [85, false, true]] as const) {
			const field = await request('POST', `/TicketWebhooks/${webhookId}/Fields`, { body: { webhookID: webhookId, fieldID, isSubscribedField: subscribed, isDisplayAlwaysField: always } });
			expect(field.status).toBe(200);
		}
		expect((await request('POST', `/TicketWebhooks/${webhookId}/Fields`, { body: { webhookID: webhookId, fieldID: 5, isSubscribedField: true, isDisplayAlwaysField: false } })).status).toBe(500);
		expect((await request('POST', `/TicketWebhooks/${webhookId}/Fields`, { body: { webhookID: webhookId, fieldID: 9999, isSubscribedField: true, isDisplayAlwaysField: false } })).body.errors).toEqual([
			'Picklist value [9999] does not exist for fieldID',
		]);
		expect((await request('POST', `/TicketWebhooks/${webhookId}/ExcludedResources`, { body: { webhookID: webhookId, resourceID: API_USER_ID } })).status).toBe(200);
		expect((await request('GET', `/TicketWebhooks/${webhookId}/Fields`)).body.items).toHaveLength(4);
		expect((await request('GET', `/TicketWebhooks/${webhookId}/ExcludedResources`)).body.items).toEqual([expect.objectContaining({ webhookID: webhookId, resourceID: API_USER_ID })]);
		webhook = (await request('GET', `/TicketWebhooks/${webhookId}`)).body.item;
		expect(webhook.isReady).toBe(true);
		const query = await request('POST', '/TicketWebhooks/query', { body: { filter: [{ op: 'eq', field: 'webhookGuid', value: webhook.webhookGuid }] } });
		expect(query.body.items.map((item: { id: number }) => item.id)).toEqual([webhookId]);
		const fieldInfo = await request('GET', '/TicketWebhookFields/entityInformation/fields');
		const fieldID = fieldInfo.body.fields.find((field: { name: string }) => field.name === 'fieldID');
		expect(fieldID.picklistValues).toEqual(expect.arrayContaining([expect.objectContaining({ value: '31', label: 'ExternalID' })]));
	});

	it("suppresses the excluded API user's own writes; calls out a technician's change, signed over the raw bytes", async () => {
		const ticket = fixture.sandbox.addTicket({ ...TICKET, externalID: 'ext-&+' });
		await request('PATCH', '/Tickets', { body: { id: ticket.id, status: 8 } });
		await request('POST', '/Tickets', { body: TICKET });
		expect(fixture.sandbox.pendingDeliveries).toBe(0);
		fixture.sandbox.changeTicket(ticket.id, { title: 'R&D + "Ops" café 🔥' });
		const [delivery] = await fixture.sandbox.waitForDeliveries(1, 3000);
		expect(delivery).toMatchObject({ webhookId, status: 200, url: `${receiver.url}/hook` });
		expect(delivery.payload).toMatchObject({
			Action: 'Update',
			EntityType: 'Ticket',
			Id: ticket.id,
			Fields: { Title: 'R&D + "Ops" café 🔥', ExternalID: 'ext-&+', TicketNumber: ticket.ticketNumber },
			SequenceNumber: 1,
			PersonID: ACTIVE_TECHNICIAN_ID,
		});
		expect(delivery.payload.EventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
		const [received] = receiver.received;
		expect(received.body).toBe(delivery.body);
		expect(received.body).toContain('"Title":"R\\u0026D \\u002B \\u0022Ops\\u0022 caf\\u00E9 \\uD83D\\uDD25"');
		expect(received.headers['content-type']).toBe('application/json');
		expect(received.headers['x-hook-signature']).toBe(`sha1=${createHmac('sha1', SECRET).update(received.body, 'utf8').digest('base64')}`);
	});

	it('fires Update only when a subscribed field changed, Create for API creates by others, and records unreachable receivers', async () => {
		const ticket = fixture.sandbox.addTicket(TICKET);
		fixture.sandbox.changeTicket(ticket.id, { priority: 3 });
		expect(fixture.sandbox.pendingDeliveries).toBe(0);
		fixture.sandbox.changeTicket(ticket.id, { status: 5 }, { byResourceId: SECOND_TECHNICIAN_ID });
		const created = await request('POST', '/Tickets', { body: { ...TICKET, title: 'By John' }, impersonate: ACTIVE_TECHNICIAN_ID });
		const deliveries = await fixture.sandbox.waitForDeliveries(2, 3000);
		const byAction = Object.fromEntries(deliveries.map((delivery) => [delivery.payload.Action, delivery.payload]));
		expect(byAction.Update).toMatchObject({ Id: ticket.id, Fields: { Status: '5', TicketNumber: ticket.ticketNumber, ExternalID: null }, PersonID: SECOND_TECHNICIAN_ID });
		expect(Object.keys(byAction.Update.Fields ?? {}).sort()).toEqual(['ExternalID', 'Status', 'TicketNumber']);
		expect(byAction.Create).toMatchObject({ Id: created.body.itemId, Fields: { Status: '1', Title: 'By John' }, PersonID: ACTIVE_TECHNICIAN_ID });

		fixture.sandbox.clearDeliveries();
		await request('PATCH', '/TicketWebhooks', { body: { id: webhookId, webhookUrl: 'http://127.0.0.1:9/unreachable' } });
		fixture.sandbox.changeTicket(ticket.id, { status: 1 });
		const [failed] = await fixture.sandbox.waitForDeliveries(1, 3000);
		expect(failed.status).toBe(0);
		expect(failed.error).toBeTruthy();
		await request('PATCH', '/TicketWebhooks', { body: { id: webhookId, isActive: false, webhookUrl: `${receiver.url}/hook` } });
		fixture.sandbox.changeTicket(ticket.id, { status: 8 });
		expect(fixture.sandbox.pendingDeliveries).toBe(0);
		expect((await request('DELETE', `/TicketWebhooks/${webhookId}`)).body).toEqual({ itemId: webhookId });
		expect((await request('GET', `/TicketWebhooks/${webhookId}`)).status).toBe(404);
		expect(fixture.sandbox.db.webhookFields).toHaveLength(0);
	});
});
