// The example workflows in docs/examples run as exported; the credential tests; a PSA State Store credential with its own SQLite file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ICredentialTestFunctions } from 'n8n-workflow';
import { psaConnectionTest, psaStateStoreTest } from '../../nodes/shared/credentialTest';
import { chainWorkflow, psaRequests, startEngineFixture, type EngineFixture } from '../engine/setup';

let fx: EngineFixture;
const example = (file: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'examples', file), 'utf8'));
const testFunctions = {} as ICredentialTestFunctions;

beforeAll(async () => {
	fx = await startEngineFixture();
	fx.engine.addCredential({ id: 'psaBridgeSandbox', name: 'ConnectWise PSA sandbox', type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site } });
});

afterAll(async () => {
	await fx?.close();
});

it('alert -> link -> note -> status: one ticket, one note, In Progress; a second run only reads the ticket once', async () => {
	const first = await fx.engine.run(example('alert-to-ticket.json'));
	expect(first.error).toBeUndefined();
	expect(first.output('Set status In Progress')[0].json).toMatchObject({ changed: true, status: { name: 'In Progress' } });
	// Owner Identity alice@acme.example is the primary email of member adoe.
	const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === first.output('Link alert to ticket')[0].json.ticketId);
	expect(ticket?.owner?.identifier).toBe('adoe');
	fx.sandbox.resetLog();
	const second = await fx.engine.run(example('alert-to-ticket.json'));
	expect(second.output('Link alert to ticket')[0].json.created).toBe(false);
	expect(second.output('Add alert note')[0].json.deduplicated).toBe(true);
	expect(second.output('Set status In Progress')[0].json.changed).toBe(false);
	// "No change" remembered by this process is confirmed with one GET before nothing is sent.
	expect(psaRequests(fx.sandbox)).toEqual({ 'GET /service/tickets/{id}': 1, total: 1 });
	expect(fx.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'demo-monitor:disk-full-web01')).toHaveLength(1);
});

it('member resolve and connection test examples run', async () => {
	const member = await fx.engine.run(example('member-resolve.json'));
	expect(member.output('Resolve alice')[0].json).toMatchObject({ memberIdentifier: 'adoe' });
	const connection = await fx.engine.run(example('connection-test.json'));
	expect(connection.output('Test connection')[0].json).toMatchObject({ ok: true });
	expect(connection.output('Check permissions').length).toBeGreaterThan(3);
});

it('credential tests: good keys pass with versions in the message, wrong keys fail without leaking them', async () => {
	const ok = await psaConnectionTest.call(testFunctions, { id: '1', name: 'cw', type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site } });
	expect(ok.status).toBe('OK');
	expect(ok.message).toContain('v4_6_release/');
	const bad = await psaConnectionTest.call(testFunctions, { id: '1', name: 'cw', type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site, privateKey: 'NotTheKey77' } });
	expect(bad.status).toBe('Error');
	expect(bad.message).not.toContain('NotTheKey77');
	const store = await psaStateStoreTest.call(testFunctions, { id: '2', name: 'store', type: 'psaStateStore', data: { engine: 'sqlite', filePath: join(fx.userFolder, 'tested.sqlite') } });
	expect(store).toMatchObject({ status: 'OK' });
});

it('a PSA State Store credential puts the state in its own SQLite file', async () => {
	const filePath = join(fx.userFolder, 'custom', 'state.sqlite');
	fx.engine.addCredential({ id: 'store-file', name: 'store file', type: 'psaStateStore', data: { engine: 'sqlite', filePath } });
	const credentials = { connectWisePsaApi: { id: 'cw-sandbox', name: 'ConnectWise sandbox' }, psaStateStore: { id: 'store-file', name: 'store file' } };
	const linkNode = {
		name: 'PSA Link',
		type: 'psaLink',
		credentials,
		parameters: { operation: 'link', source: 'custom-store', externalId: 'e1', summary: 'custom store', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} },
	};
	const run = await fx.engine.run(chainWorkflow([linkNode]));
	expect(run.output('PSA Link')[0].json.created).toBe(true);
	expect(existsSync(filePath)).toBe(true);
	// The embedded default store does not know this link.
	const elsewhere = await fx.engine.run(
		chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'get', source: 'custom-store', externalId: 'e1' }, continueOnFail: true }]),
	);
	expect(elsewhere.output('PSA Link')[0].json).toMatchObject({ kind: 'not-found' });
});

it('alert lifecycle: fires -> ticket and note; fires again -> same ticket; resolves -> closed; fires after close -> reopened; a second run stays on one ticket', async () => {
	const first = await fx.engine.run(example('alert-lifecycle.json'));
	expect(first.error).toBeUndefined();
	const fired = first.output('Alert fires: link to a ticket')[0].json;
	expect(fired).toMatchObject({ created: true, occurrences: 1, reopened: false });
	expect(first.output('Note: fired')[0].json).toMatchObject({ deduplicated: false, ticketId: fired.ticketId });
	expect(first.output('Alert fires again: same ticket')[0].json).toMatchObject({ created: false, ticketId: fired.ticketId, occurrences: 2 });
	expect(first.output('Note: fired again (quiet period)')[0].json.suppressed).toBeUndefined();
	expect(first.output('Alert resolves: close the ticket')[0].json).toMatchObject({ changed: true, status: { closed: true } });
	expect(first.output('Alert fires after close: reopen')[0].json).toMatchObject({ ticketId: fired.ticketId, reopened: true, occurrences: 3 });
	expect(first.output('Note: reopened')[0].json).toMatchObject({ deduplicated: false });
	const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === fired.ticketId);
	expect(ticket?.closedFlag).toBe(false);

	// Fired again within the quiet periods: the same ticket, the repeated notes suppressed, closed and reopened once more.
	const second = await fx.engine.run(example('alert-lifecycle.json'));
	expect(second.error).toBeUndefined();
	expect(second.output('Alert fires: link to a ticket')[0].json).toMatchObject({ created: false, ticketId: fired.ticketId, occurrences: 4 });
	expect(second.output('Note: fired')[0].json).toMatchObject({ suppressed: true, noteId: null });
	expect(second.output('Note: fired again (quiet period)')[0].json).toMatchObject({ suppressed: true });
	expect(second.output('Alert fires after close: reopen')[0].json).toMatchObject({ reopened: true });
	expect(fx.sandbox.db.tickets.filter((candidate) => candidate.externalXRef === 'demo-monitor:cpu-high-db01')).toHaveLength(1);
	const notes = fx.sandbox.db.notes.filter((note) => note.ticketId === fired.ticketId).map((note) => note.text);
	expect(notes.filter((text) => text.startsWith('Alert fired: '))).toHaveLength(1);
	expect(notes.filter((text) => text.startsWith('Alert fired again after its ticket was closed'))).toHaveLength(2);
});

it("in n8n's queue mode the embedded SQLite default is refused with what to do; a store the user chose still works", async () => {
	const before = process.env.EXECUTIONS_MODE;
	process.env.EXECUTIONS_MODE = 'queue';
	try {
		fx.sandbox.resetLog();
		const linkParameters = { operation: 'link', source: 'queue-mode', externalId: 'q1', summary: 'queue mode', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} };
		const refused = await fx.engine.run(chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: linkParameters, continueOnFail: true }]));
		expect(String(refused.output('PSA Link')[0].json.error)).toMatch(/queue mode \(EXECUTIONS_MODE=queue\).*PostgreSQL/);
		expect(psaRequests(fx.sandbox).total).toBe(0);

		const filePath = join(fx.userFolder, 'shared-volume', 'state.sqlite');
		fx.engine.addCredential({ id: 'store-shared', name: 'shared store', type: 'psaStateStore', data: { engine: 'sqlite', filePath } });
		const chosen = await fx.engine.run(
			chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: linkParameters, credentials: { connectWisePsaApi: { id: 'cw-sandbox', name: 'ConnectWise sandbox' }, psaStateStore: { id: 'store-shared', name: 'shared store' } } }]),
		);
		expect(chosen.output('PSA Link')[0].json.created).toBe(true);
	} finally {
		if (before === undefined) delete process.env.EXECUTIONS_MODE;
		else process.env.EXECUTIONS_MODE = before;
	}
});

it('RMM alert -> classified ticket with its device attached: type, subtype, item, source, severity, custom field and device in real engine runs; a re-fire sends nothing; PSA Ticket > Get reads it back', async () => {
	fx.sandbox.resetLog();
	const first = await fx.engine.run(example('rmm-alert-classified-ticket.json'));
	expect(first.error).toBeUndefined();
	const linked = first.output('Classified ticket with its device')[0].json;
	expect(linked).toMatchObject({ created: true, configurationItems: { attached: [700], notAttached: [] } });
	const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === linked.ticketId);
	// Checked in the PSA's own record: every field the workflow set, the priority from the severity map.
	expect(ticket).toMatchObject({ board: { id: 2 }, type: { id: 21 }, subType: { id: 31 }, item: { id: 41 }, source: { name: 'Monitoring' }, severity: 'High', priority: { id: 1 } });
	expect(ticket?.customFields.find((field) => field.caption === 'Alert Source')?.value).toBe('demo-rmm:disk-smart-fw01');
	expect(fx.sandbox.db.ticketConfigurations[linked.ticketId as number]).toEqual([700]);
	const readBack = first.output('Read the ticket back')[0].json;
	expect(readBack).toMatchObject({ type: 'Incident', subtype: 'Network', item: 'Outage', source: 'Monitoring', customFields: { 'Alert Source': 'demo-rmm:disk-smart-fw01' }, configurationItems: [{ id: 700, name: 'ACME-FW01' }] });
	const writes = Object.entries(psaRequests(fx.sandbox)).filter(([key]) => !key.startsWith('GET ') && key !== 'total');
	// One create, one attach (ConnectWise attaches configurations after the create).
	expect(Object.fromEntries(writes)).toEqual({ 'POST /service/tickets': 1, 'POST /service/tickets/{parentId}/configurations': 1 });

	fx.sandbox.resetLog();
	const again = await fx.engine.run(example('rmm-alert-classified-ticket.json'));
	expect(again.output('Classified ticket with its device')[0].json).toMatchObject({ created: false, ticketId: linked.ticketId });
	// The re-fire: 0 requests for the link; the read back costs its reads (ticket; its configuration list and their records).
	expect(psaRequests(fx.sandbox)).toEqual({ 'GET /service/tickets/{id}': 1, 'GET /service/tickets/{parentId}/configurations': 1, 'GET /company/configurations': 1, total: 3 });
});

it('alert remediation -> time entry + log file (the Code node\'s output pinned): one entry and one document on the ticket; a second run sends nothing', async () => {
	// n8n-nodes-base's Code node is not installed here: its output is pinned on the trigger instead (the e2e runs it as is).
	const exported = example('alert-remediation-work.json');
	const code = exported.nodes.find((node: { name: string }) => node.name === 'Remediation finished');
	const pinned = { json: JSON.parse(/json: (\{.*\}),\n/.exec(code.parameters.jsCode)![1]), binary: { log: { data: /data: '([^']+)'/.exec(code.parameters.jsCode)![1], mimeType: 'text/plain', fileName: 'remediation-web01.log' } } };
	const workflow = {
		...exported,
		nodes: exported.nodes.filter((node: { name: string }) => node !== code).map((node: { type: string }) => (node.type === 'n8n-nodes-base.manualTrigger' ? { ...node, name: 'Remediation finished' } : node)),
		connections: Object.fromEntries(Object.entries(exported.connections).filter(([from]) => from !== "When clicking 'Execute workflow'")),
		pinData: { 'Remediation finished': [pinned] },
	};
	const first = await fx.engine.run(workflow);
	expect(first.error).toBeUndefined();
	const ticketId = first.output('Link alert to ticket')[0].json.ticketId as number;
	expect(first.output('Log remediation time')[0].json).toMatchObject({ ticketId, memberId: 150, hours: 0.2, deduplicated: false, dedupeKey: 'remediation-2026-03-02-1000:time' });
	expect(first.output('Attach remediation log')[0].json).toMatchObject({ ticketId, fileName: 'remediation-web01.log', contentType: 'text/plain', deduplicated: false });
	expect(fx.sandbox.db.timeEntries.filter((entry) => entry.chargeToId === ticketId)).toMatchObject([{ billableOption: 'NoCharge', timeStart: '2026-03-02T10:00:00Z', timeEnd: '2026-03-02T10:12:00Z' }]);
	const documents = fx.sandbox.db.documents.filter((document) => document.recordId === ticketId);
	expect(documents).toHaveLength(1);
	expect(documents[0].data.toString('utf8')).toContain('health check ok');
	expect(documents[0].publicFlag).toBe(false);

	fx.sandbox.resetLog();
	const second = await fx.engine.run(workflow);
	expect(second.output('Log remediation time')[0].json.deduplicated).toBe(true);
	expect(second.output('Attach remediation log')[0].json.deduplicated).toBe(true);
	expect(psaRequests(fx.sandbox).total).toBe(0);
});
