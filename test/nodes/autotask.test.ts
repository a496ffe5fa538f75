// The six nodes against the Autotask sandbox through n8n's engine: the Autotask examples as exported, with request counts at the minimum.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ICredentialTestFunctions } from 'n8n-workflow';
import { psaConnectionTest } from '../../nodes/shared/credentialTest';
import { AUTOTASK_CREDENTIAL, autotaskRequests, chainWorkflow, startAutotaskEngineFixture, type AutotaskEngineFixture } from '../engine/setup';

let fx: AutotaskEngineFixture;
const example = (file: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'examples', 'autotask', file), 'utf8'));
const credentials = { autotaskPsaApi: AUTOTASK_CREDENTIAL };
const node = (name: string, type: string, parameters: Record<string, unknown>, continueOnFail = false) => ({
	name,
	type,
	credentials,
	parameters: { authentication: 'autotaskPsaApi', ...parameters },
	continueOnFail,
});

beforeAll(async () => {
	fx = await startAutotaskEngineFixture();
});

afterAll(async () => {
	await fx?.close();
});

it('alert -> link -> note -> status: one ticket, one note, In Progress; requests at the minimum, lookups cached', async () => {
	const first = await fx.engine.run(example('alert-to-ticket.json'));
	expect(first.error).toBeUndefined();
	const linked = first.output('Link alert to ticket')[0].json;
	expect(linked).toMatchObject({ created: true });
	expect(first.output('Set status In Progress')[0].json).toMatchObject({ changed: true, status: { name: 'In Progress' } });
	const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === linked.ticketId);
	expect(ticket).toMatchObject({ externalID: 'demo-monitor:disk-full-web01', status: 8, companyID: 175, queueID: 8 });
	const notes = fx.sandbox.db.notes.filter((note) => note.ticketID === ticket?.id);
	expect(notes).toHaveLength(1);
	// The note is attributed to the mapped member through impersonation.
	expect(notes[0].creatorResourceID).toBe(29682886);
	const firstCounts = autotaskRequests(fx.sandbox);
	console.info(`Autotask alert-to-ticket, first run: ${JSON.stringify(firstCounts)}`);

	fx.sandbox.resetLog();
	const second = await fx.engine.run(example('alert-to-ticket.json'));
	expect(second.output('Link alert to ticket')[0].json.created).toBe(false);
	expect(second.output('Add alert note')[0].json.deduplicated).toBe(true);
	expect(second.output('Set status In Progress')[0].json.changed).toBe(false);
	// Existing link 0, deduplicated note 0; "no change" remembered by this process is confirmed with one GET.
	expect(autotaskRequests(fx.sandbox).work).toEqual({ 'GET /Tickets/{id}': 1, total: 1 });
	expect(fx.sandbox.db.tickets.filter((candidate) => candidate.externalID === 'demo-monitor:disk-full-web01')).toHaveLength(1);
});

it('request counts per operation with warm lookups: new link 1, existing link 0, note 1, status 1', async () => {
	const run = (nodes: ReturnType<typeof node>[]) => fx.engine.run(chainWorkflow(nodes));
	const link = node('Link', 'psaLink', { operation: 'link', source: 'count', externalId: 'c1', summary: 'Counted', company: { __rl: true, mode: 'id', value: '175' }, boardId: 8, additionalFields: {} });
	await run([node('Warm', 'psaLink', { ...link.parameters, externalId: 'warm' })]);
	fx.sandbox.resetLog();
	await run([link]);
	expect(autotaskRequests(fx.sandbox)).toEqual({ work: { 'POST /Tickets': 1, total: 1 }, lookups: {} });
	fx.sandbox.resetLog();
	await run([link]);
	expect(autotaskRequests(fx.sandbox).work).toEqual({ total: 0 });
	await run([node('Warm note', 'psaNote', { operation: 'add', ticketBy: 'link', source: 'count', externalId: 'warm', text: 'warm', noteType: 'internal', additionalFields: {} })]);
	fx.sandbox.resetLog();
	await run([node('Note', 'psaNote', { operation: 'add', ticketBy: 'link', source: 'count', externalId: 'c1', text: 'Counted note', noteType: 'internal', additionalFields: {} })]);
	expect(autotaskRequests(fx.sandbox)).toEqual({ work: { 'POST /Tickets/{parentId}/Notes': 1, total: 1 }, lookups: {} });
	fx.sandbox.resetLog();
	const status = await run([node('Status', 'psaStatus', { operation: 'set', ticketBy: 'link', source: 'count', externalId: 'c1', statusBy: 'name', statusName: 'Waiting Customer', options: {} })]);
	expect(status.output('Status')[0].json).toMatchObject({ changed: true, status: { id: 7, name: 'Waiting Customer', closed: false } });
	expect(autotaskRequests(fx.sandbox)).toEqual({ work: { 'PATCH /Tickets': 1, total: 1 }, lookups: {} });
	expect(fx.sandbox.db.tickets.find((ticket) => ticket.externalID === 'count:c1')?.status).toBe(7);
});

it('alert lifecycle: fires -> ticket; fires again -> same ticket; resolves -> Complete; fires after close -> reopened', async () => {
	const run = await fx.engine.run(example('alert-lifecycle.json'));
	expect(run.error).toBeUndefined();
	const fired = run.output('Alert fires: link to a ticket')[0].json;
	expect(run.output('Alert fires again: same ticket')[0].json).toMatchObject({ created: false, ticketId: fired.ticketId });
	expect(run.output('Alert resolves: close the ticket')[0].json).toMatchObject({ changed: true, status: { id: 5, closed: true } });
	expect(run.output('Alert fires after close: reopen')[0].json).toMatchObject({ ticketId: fired.ticketId, reopened: true });
	const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === fired.ticketId);
	expect(ticket?.status).not.toBe(5);
	expect(fx.sandbox.db.tickets.filter((candidate) => candidate.externalID === 'demo-monitor:cpu-high-db01')).toHaveLength(1);
});

it('member resolve (an address in email2) and the connection test examples run; PSA Connect reports the hourly budget', async () => {
	const member = await fx.engine.run(example('member-resolve.json'));
	expect(member.output('Resolve Jane')[0].json).toMatchObject({ memberIdentifier: 'jdoe' });
	const connection = await fx.engine.run(example('connection-test.json'));
	expect(connection.output('Test connection')[0].json).toMatchObject({ ok: true, provider: 'autotask', pinnedApiVersion: 'V1.0', apiLocation: fx.sandbox.zoneUrl, requestBudget: { limit: 10000 } });
	const checks = connection.output('Check permissions').map((item) => item.json);
	expect(checks.length).toBeGreaterThan(5);
	expect(checks.filter((check) => check.allowed !== true)).toEqual([]);
});

it('credential test: good keys pass, a wrong secret fails without leaking it', async () => {
	const functions = {} as ICredentialTestFunctions;
	const ok = await psaConnectionTest.call(functions, { id: '1', name: 'at', type: 'autotaskPsaApi', data: { ...fx.sandbox.credentials } });
	expect(ok).toMatchObject({ status: 'OK' });
	expect(ok.message).toContain('V1.0');
	const bad = await psaConnectionTest.call(functions, { id: '1', name: 'at', type: 'autotaskPsaApi', data: { ...fx.sandbox.credentials, secret: 'NotTheSecret77' } });
	expect(bad.status).toBe('Error');
	expect(bad.message).not.toContain('NotTheSecret77');
});

it('a second credential on the same Autotask tenant and user shares the links; Get, List and Unlink work', async () => {
	const second = { id: 'psaBridgeAutotaskSecond', name: 'Autotask PSA sandbox (second)' };
	fx.engine.addCredential({ ...second, type: 'autotaskPsaApi', data: { ...fx.sandbox.credentials } });
	const viaSecond = (name: string, parameters: Record<string, unknown>) => ({ ...node(name, 'psaLink', parameters, true), credentials: { autotaskPsaApi: second } });
	const get = await fx.engine.run(chainWorkflow([viaSecond('Get', { operation: 'get', source: 'count', externalId: 'c1' })]));
	const linked = fx.sandbox.db.tickets.find((ticket) => ticket.externalID === 'count:c1');
	expect(get.output('Get')[0].json).toMatchObject({ source: 'count', externalId: 'c1', ticketId: linked?.id });
	const list = await fx.engine.run(chainWorkflow([node('List', 'psaLink', { operation: 'list', filters: {}, limit: 50 })]));
	expect(list.output('List').map((item) => item.json.externalId)).toContain('c1');
	const unlink = await fx.engine.run(chainWorkflow([viaSecond('Unlink', { operation: 'unlink', source: 'count', externalId: 'warm' })]));
	expect(unlink.error).toBeUndefined();
	const gone = await fx.engine.run(chainWorkflow([node('Get again', 'psaLink', { operation: 'get', source: 'count', externalId: 'warm' }, true)]));
	expect(gone.output('Get again')[0].json).toMatchObject({ kind: 'not-found' });
});

describe('bad Autotask credentials are refused with a clear message, before any request where possible, and never echoed', () => {
	const cases: Array<[string, Record<string, unknown>, RegExp, boolean]> = [
		['empty secret', { secret: '' }, /Secret is empty/, true],
		['a line break in the integration code', { integrationCode: 'ABC\nDEF' }, /Integration Code contains a line break/, true],
		['a metadata host as zone', { zoneUrl: 'http://169.254.169.254/' }, /link-local/, true],
		['plain http off loopback', { zoneUrl: 'http://webservices5.autotask.net/' }, /must use https/, true],
		['a wrong secret', { secret: 'WrongSecret99' }, /rejected the credentials/, false],
		['an unknown integration code', { integrationCode: 'NOTTHECODE123' }, /IntegrationCode is invalid|Integration Code/, false],
	];
	it.each(cases)('%s', async (_title, override, message, noRequest) => {
		const id = `bad-${Object.keys(override)[0]}-${Math.random().toString(36).slice(2, 8)}`;
		fx.engine.addCredential({ id, name: id, type: 'autotaskPsaApi', data: { ...fx.sandbox.credentials, ...override } });
		fx.sandbox.resetLog();
		const run = await fx.engine.run(
			chainWorkflow([{ name: 'Test', type: 'psaConnect', credentials: { autotaskPsaApi: { id, name: id } }, parameters: { authentication: 'autotaskPsaApi', operation: 'test' }, continueOnFail: true }]),
		);
		const [item] = run.output('Test');
		expect(String(item.json.error)).toMatch(message);
		if (noRequest) expect(fx.sandbox.requests).toHaveLength(0);
		for (const secret of Object.values(override)) if (typeof secret === 'string' && secret.length > 6) expect(JSON.stringify(item.json)).not.toContain(secret);
	});
});

it("30 alerts at once stay within Autotask's 3 threads per endpoint: no thread-limit refusal, every ticket once", async () => {
	fx.sandbox.setLatency(40);
	try {
		const items = Array.from({ length: 30 }, (_, index) => ({ alert: `burst-${index}` }));
		const before = fx.sandbox.threadLimitRefusals;
		const run = await fx.engine.run(
			chainWorkflow(
				[node('Link', 'psaLink', { operation: 'link', source: 'burst', externalId: '={{ $json.alert }}', summary: '={{ "Burst " + $json.alert }}', company: { __rl: true, mode: 'id', value: '175' }, boardId: 8, additionalFields: {} })],
				items,
			),
		);
		expect(run.error).toBeUndefined();
		expect(run.output('Link').map((item) => item.json.externalId)).toEqual(items.map((item) => item.alert));
		expect(fx.sandbox.threadLimitRefusals - before).toBe(0);
		expect(fx.sandbox.maxConcurrentSeen('Tickets')).toBeLessThanOrEqual(3);
		expect(fx.sandbox.maxConcurrentSeen('Tickets')).toBeGreaterThanOrEqual(2);
		for (const item of items) expect(fx.sandbox.db.tickets.filter((ticket) => ticket.externalID === `burst:${item.alert}`)).toHaveLength(1);
	} finally {
		fx.sandbox.setLatency(0);
	}
});

it('RMM alert -> classified ticket with its device attached: issue / sub-issue type, source, UDF and device in the one create; PSA Ticket > Get reads it back', async () => {
	fx.sandbox.resetLog();
	const first = await fx.engine.run(example('rmm-alert-classified-ticket.json'));
	expect(first.error).toBeUndefined();
	const linked = first.output('Classified ticket with its device')[0].json;
	expect(linked).toMatchObject({ created: true, configurationItems: { attached: [29684001], notAttached: [] } });
	const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === linked.ticketId);
	expect(ticket).toMatchObject({ issueType: 10, subIssueType: 101, source: 8, priority: 1, configurationItemID: 29684001, queueID: 8 });
	expect(fx.sandbox.ticketCustomFields(linked.ticketId as number)['Monitoring Alert ID']).toBe('demo-rmm:disk-smart-srv01');
	expect(first.output('Read the ticket back')[0].json).toMatchObject({ type: 'Hardware', subtype: 'Server', source: 'Monitoring Alert', customFields: { 'Monitoring Alert ID': 'demo-rmm:disk-smart-srv01' }, configurationItems: [{ id: 29684001 }] });
	// The device travels in the create: one write in all.
	const writes = Object.entries(autotaskRequests(fx.sandbox).work).filter(([key]) => !key.startsWith('GET ') && !/query/i.test(key) && key !== 'total');
	expect(Object.fromEntries(writes)).toEqual({ 'POST /Tickets': 1 });
	fx.sandbox.resetLog();
	const again = await fx.engine.run(example('rmm-alert-classified-ticket.json'));
	expect(again.output('Classified ticket with its device')[0].json).toMatchObject({ created: false, ticketId: linked.ticketId });
});
