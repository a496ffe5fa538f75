// Autotask adapter pieces without a server: the filter builder, zone URLs, readers, error mapping and webhook signatures.
import { createHmac } from 'node:crypto';
import { AUTOTASK_CLASSIFIER, AutotaskClient } from '../../lib/providers/autotask/client';
import { filterOf, q } from '../../lib/providers/autotask/filter';
import { readMember, readNote, readTicket } from '../../lib/providers/autotask/read';
import { canonicalHookBody, eventOf, hookSignature, verifyHook } from '../../lib/providers/autotask/webhooks';
import { autotaskConnectionId, normaliseZoneUrl } from '../../lib/providers/autotask/zone';
import { PsaCache } from '../../lib/cache';
import { isPsaError } from '../../lib/providers/errors';
import { DEFAULT_RETRY_POLICY } from '../../lib/providers/request';

/** A client that never sends: for the error mapping, which needs no server. */
function testClient(): AutotaskClient {
	return new AutotaskClient({
		username: 'api@example.com',
		secret: 'TopSecret123',
		integrationCode: 'TRACKINGCODE77',
		zoneLookupOrigin: 'https://webservices.autotask.net',
		transportAuthenticates: false,
		connectionId: 'autotask:test',
		http: async () => ({ status: 200, headers: {}, body: {} }),
		cache: new PsaCache(),
		retry: DEFAULT_RETRY_POLICY,
		sleep: async () => undefined,
		now: Date.now,
		random: Math.random,
	});
}

describe('filter builder', () => {
	it('keeps values as JSON values, nests and/or groups, and always sends a filter', () => {
		const filter = filterOf(q.eq('externalID', 'zbx:"host" OR 1=1'), q.or(q.eq('email', 'a@b.c'), q.and(q.gte('id', 0), q.in('status', [1, 5]))), undefined);
		expect(filter).toEqual([
			{ op: 'eq', field: 'externalID', value: 'zbx:"host" OR 1=1' },
			{ op: 'or', items: [{ op: 'eq', field: 'email', value: 'a@b.c' }, { op: 'and', items: [{ op: 'gte', field: 'id', value: 0 }, { op: 'in', field: 'status', value: [1, 5] }] }] },
		]);
		expect(filterOf()).toEqual([{ op: 'exist', field: 'id' }]);
	});

	it('refuses field names that are not names, values that are not scalars, and more than 500 OR conditions', () => {
		expect(() => q.eq('id) or (1', 1)).toThrow(/not an Autotask field name/);
		expect(() => q.eq('id', { $gt: 1 } as never)).toThrow(/text, a number or true\/false/);
		expect(() => q.eq('id', Number.NaN)).toThrow(/finite/);
		expect(() => q.in('id', [])).toThrow(/at least one value/);
		const many = q.or(...Array.from({ length: 501 }, (_, index) => q.eq('id', index)));
		expect(() => filterOf(many)).toThrow(/at most 500 OR conditions/);
	});
});

describe('zone URLs', () => {
	it('normalises what Autotask answers and what users type', () => {
		expect(normaliseZoneUrl('https://webservices2.autotask.net/ATServicesRest/').url).toBe('https://webservices2.autotask.net/ATServicesRest/');
		expect(normaliseZoneUrl('webservices5.autotask.net').url).toBe('https://webservices5.autotask.net/ATServicesRest/');
		expect(normaliseZoneUrl('https://webservices5.autotask.net/atservicesrest/v1.0').url).toBe('https://webservices5.autotask.net/atservicesrest/');
		expect(normaliseZoneUrl('http://127.0.0.1:8081/ATServicesRest/').url).toBe('http://127.0.0.1:8081/ATServicesRest/');
	});

	it('refuses plain http off loopback, metadata hosts and URLs with credentials', () => {
		expect(() => normaliseZoneUrl('http://webservices5.autotask.net/')).toThrow(/must use https/);
		expect(() => normaliseZoneUrl('https://169.254.169.254/')).toThrow(/link-local/);
		expect(() => normaliseZoneUrl('https://metadata.google.internal/')).toThrow(/metadata/);
		expect(() => normaliseZoneUrl('https://user:pw@webservices5.autotask.net/')).toThrow(/user name, password/);
	});

	it('the connection id names the API user, not the secret', () => {
		expect(autotaskConnectionId('API@Example.com')).toBe(autotaskConnectionId(' api@example.com '));
		expect(autotaskConnectionId('api@example.com')).toMatch(/^autotask:[0-9a-f]{16}$/);
	});
});

describe('readers', () => {
	it('read tickets tolerantly: ids as strings, Complete (5) closed, UTC dates, labels from picklists', () => {
		const labels = { status: new Map([[5, 'Complete']]), priority: new Map([[2, 'Medium']]), queue: new Map([[8, 'Monitoring Alert']]) };
		const ticket = readTicket(
			{ id: '42', title: 'Disk full', status: '5', priority: 2, queueID: 8, companyID: 0, externalID: 'zbx:1', completedDate: '2026-01-02T03:04:05', lastActivityResourceID: 29682885, extra: { x: 1 } },
			'GET /Tickets/42',
			labels,
		);
		expect(ticket).toMatchObject({ id: 42, closed: true, status: { id: 5, name: 'Complete' }, board: { id: 8, name: 'Monitoring Alert' }, company: { id: 0 }, externalRef: 'zbx:1', closedAt: '2026-01-02T03:04:05Z', updatedBy: '29682885' });
		expect(() => readTicket({ title: 'x' }, 'GET /Tickets/1')).toThrow(/without id/);
	});

	it('note types from publish and title; members with every email and the API-user flag', () => {
		expect(readNote({ id: 1, ticketID: 2, description: 'x', publish: 2, title: 'x' }, 'n').type).toBe('internal');
		expect(readNote({ id: 1, ticketID: 2, description: 'x', publish: 1, title: 'Resolution' }, 'n').type).toBe('resolution');
		expect(readNote({ id: 1, ticketID: 2, description: 'x', publish: 1, title: 'x' }, 'n').type).toBe('discussion');
		expect(readMember({ id: 3, userName: 'jsmith', email: 'J@A.example', email2: 'j2@a.example', isActive: true, licenseType: 1, firstName: 'John', lastName: 'Smith' }, 'r')).toMatchObject({
			identifier: 'jsmith',
			name: 'John Smith',
			inactive: false,
			emails: ['j@a.example', 'j2@a.example'],
			apiUser: false,
		});
	});
});

describe('responses', () => {
	const response = (status: number, body: unknown) => ({ status, headers: {}, body });
	it('the thread and hourly limits are throttling whatever their status; validation 500s are refusals, not failures', () => {
		expect(AUTOTASK_CLASSIFIER.throttled(response(500, { errors: ['Thread Threshold Exceeded — The Autotask API thread threshold of 3 threads has been exceeded.'] }))).toBe(true);
		expect(AUTOTASK_CLASSIFIER.throttled(response(429, {}))).toBe(true);
		expect(AUTOTASK_CLASSIFIER.transient(response(500, { errors: ['Picklist value [3] does not exist for priority'] }))).toBe(false);
		expect(AUTOTASK_CLASSIFIER.transient(response(500, { errors: ['Object reference not set to an instance of an object.'] }))).toBe(true);
	});

	it('maps Autotask errors to PSA-neutral kinds with the blamed field, and never leaks the secret', () => {
		const client = testClient();
		const map = (status: number, body: unknown, create = false) => client.mapError(response(status, body), 'POST /Tickets', 'POST', 1, create);
		expect(map(500, { errors: ['Picklist value [3] does not exist for priority'] })).toMatchObject({ kind: 'invalid-input', details: { field: 'priority', refused: true } });
		expect(map(500, { errors: ['queueID is required'] })).toMatchObject({ kind: 'invalid-input', details: { field: 'queueID' } });
		expect(map(500, { errors: ['The logged in Resource does not have the adequate permissions to create this entity type.'] })).toMatchObject({ kind: 'permission', details: { refused: true } });
		expect(map(500, { errors: ['IntegrationCode is invalid.'] }).kind).toBe('authentication');
		expect(map(401, {}).kind).toBe('authentication');
		expect(map(405, { Message: "The requested resource does not support http method 'DELETE'." }).kind).toBe('configuration');
		expect(map(500, { errors: ['Object reference not set'] }, true)).toMatchObject({ kind: 'unavailable', details: { outcomeUnknown: true } });
		const leaked = map(500, { errors: ['Secret TopSecret123 and code TRACKINGCODE77 are wrong'] });
		expect(JSON.stringify([leaked.message, leaked.details])).not.toMatch(/TopSecret123|TRACKINGCODE77/);
		expect(isPsaError(leaked)).toBe(true);
	});
});

describe('webhook signatures', () => {
	const key = 'a-secret-key-of-some-length';
	const payload = { Action: 'Update', Guid: 'd0046a73', EntityType: 'Ticket', Id: 351182, Fields: { Title: 'Disk & CPU + "quotes" é 🚀 <b>', Status: '5', ExternalID: 'zbx:1' }, EventTime: '2025-09-15T15:10:00Z', SequenceNumber: 2, PersonID: 30691780 };

	it('the canonical body escapes like .NET: & < > \' " ` + and every non-ASCII unit as upper-case \\uXXXX', () => {
		const body = canonicalHookBody(payload);
		expect(body).toContain('Disk \\u0026 CPU \\u002B \\u0022quotes\\u0022 \\u00E9 \\uD83D\\uDE80 \\u003Cb\\u003E');
		expect(JSON.parse(body)).toEqual(payload);
		expect(canonicalHookBody({ a: 'back\\slash\\', b: 'line\nbreak' })).toBe('{"a":"back\\\\slash\\\\","b":"line\\nbreak"}');
	});

	it('verifies raw bytes first, then the canonical form; refuses a changed body or a missing header', () => {
		const escaped = canonicalHookBody(payload);
		const signature = `sha1=${createHmac('sha1', key).update(escaped).digest('base64')}`;
		expect(hookSignature(escaped, key)).toBe(signature);
		expect(verifyHook({ rawBody: Buffer.from(escaped), headers: { 'X-Hook-Signature': signature } }, key)).toMatchObject({ action: 'updated', id: 351182, externalReference: 'zbx:1', updatedBy: '30691780', ticket: { closed: true } });
		// A body re-serialised on the way (plain JSON) still verifies through the canonical form.
		expect(verifyHook({ rawBody: JSON.stringify(payload), headers: { 'x-hook-signature': signature } }, key).id).toBe(351182);
		const forged = escaped.replace('351182', '351183');
		expect(() => verifyHook({ rawBody: forged, headers: { 'x-hook-signature': signature } }, key)).toThrow(/signature does not match/);
		expect(() => verifyHook({ rawBody: escaped, headers: {} }, key)).toThrow(/no X-Hook-Signature/);
	});

	it('a Deactivated notice becomes an event no trigger acts on', () => {
		expect(eventOf({ Action: 'Deactivated', Guid: 'x' })).toMatchObject({ type: 'deactivated', id: 0 });
	});
});

describe('review findings', () => {
	const client = testClient;
	it('an unknown user name is an authentication failure, a 410 a version error', () => {
		expect(client().mapError({ status: 500, headers: {}, body: { errors: ['The user name is not valid.'] } }, 'GET /Tickets/1', 'GET', 1).kind).toBe('authentication');
		expect(client().mapError({ status: 410, headers: {}, body: {} }, 'GET /Tickets/1', 'GET', 1).kind).toBe('version');
	});
});
