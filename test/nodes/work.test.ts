// PSA Note > Add Time Entry through n8n's engine on ConnectWise and Autotask: one POST per entry, none for a repeat, by member identity.
import { AUTOTASK_CREDENTIAL, autotaskRequests, chainWorkflow, psaRequests, startAutotaskEngineFixture, startEngineFixture, type AutotaskEngineFixture, type EngineFixture } from '../engine/setup';
import { TECHNICIAN_ROLE_ID } from '../sandbox/autotask/work';

const timeEntry = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
	name: 'Log remediation',
	type: 'psaNote',
	parameters: {
		operation: 'addTimeEntry',
		ticketBy: 'link',
		source: 'monitor',
		externalId: 'work-1',
		memberBy: 'identity',
		memberIdentity: 'john.smith@acme.example',
		memberIdentitySource: 'email',
		start: '2026-03-02T10:00:00Z',
		periodBy: 'duration',
		durationMinutes: 12,
		notes: 'Remediation script restarted the service',
		additionalFields: {},
		...parameters,
	},
	...extra,
});

describe('on ConnectWise', () => {
	let fx: EngineFixture;
	let ticketId: number;

	beforeAll(async () => {
		fx = await startEngineFixture();
		const linked = await fx.engine.run(
			chainWorkflow([
				{
					name: 'PSA Link',
					type: 'psaLink',
					parameters: { operation: 'link', source: 'monitor', externalId: 'work-1', summary: 'Service down', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} },
				},
			]),
		);
		ticketId = linked.output('PSA Link')[0].json.ticketId as number;
	});

	afterAll(async () => {
		await fx?.close();
	});

	it('logs the entry with one member lookup and one POST; the repeat sends nothing', async () => {
		fx.sandbox.resetLog();
		const first = await fx.engine.run(chainWorkflow([timeEntry({})]));
		expect(first.error).toBeUndefined();
		expect(first.output('Log remediation')[0].json).toMatchObject({ ticketId, memberId: 150, hours: 0.2, deduplicated: false });
		const counts = psaRequests(fx.sandbox);
		console.info(`ConnectWise time entry, first run: ${JSON.stringify(counts)}`);
		expect(counts).toMatchObject({ total: 2, 'POST /time/entries': 1, 'GET /system/members': 1 });
		expect(fx.sandbox.db.timeEntries.filter((entry) => entry.chargeToId === ticketId)).toHaveLength(1);

		fx.sandbox.resetLog();
		const again = await fx.engine.run(chainWorkflow([timeEntry({})]));
		expect(again.output('Log remediation')[0].json).toMatchObject({ deduplicated: true });
		expect(psaRequests(fx.sandbox).total).toBe(0);

		fx.sandbox.resetLog();
		const listed = await fx.engine.run(chainWorkflow([{ name: 'List', type: 'psaTicket', parameters: { operation: 'listTimeEntries', ticketBy: 'link', source: 'monitor', externalId: 'work-1', returnAll: false, limit: 10 } }]));
		expect(listed.output('List').map((item) => item.json)).toEqual([expect.objectContaining({ ticketId, memberId: 150, hours: 0.2, notes: 'Remediation script restarted the service' })]);
		expect(psaRequests(fx.sandbox)).toMatchObject({ total: 1, 'GET /time/entries': 1 });
	});
});

describe('on Autotask', () => {
	let fx: AutotaskEngineFixture;
	const credentials = { autotaskPsaApi: AUTOTASK_CREDENTIAL };

	beforeAll(async () => {
		fx = await startAutotaskEngineFixture();
	});

	afterAll(async () => {
		await fx?.close();
	});

	it('needs the role, then logs the entry once with one POST; the repeat sends nothing', async () => {
		const link = {
			name: 'PSA Link',
			type: 'psaLink',
			credentials,
			parameters: { authentication: 'autotaskPsaApi', operation: 'link', source: 'monitor', externalId: 'work-1', summary: 'Service down', company: { __rl: true, mode: 'id', value: '175' }, boardId: 8, additionalFields: {} },
		};
		const linked = await fx.engine.run(chainWorkflow([link]));
		const ticketId = linked.output('PSA Link')[0].json.ticketId as number;

		const withoutRole = await fx.engine.run(chainWorkflow([timeEntry({ authentication: 'autotaskPsaApi' }, { credentials, continueOnFail: true })]));
		expect(String(withoutRole.output('Log remediation')[0].json.error)).toMatch(/needs a role/);
		expect(fx.sandbox.db.timeEntries).toHaveLength(0);

		fx.sandbox.resetLog();
		const entry = timeEntry({ authentication: 'autotaskPsaApi', workRoleId: TECHNICIAN_ROLE_ID }, { credentials });
		const first = await fx.engine.run(chainWorkflow([entry]));
		expect(first.error).toBeUndefined();
		expect(first.output('Log remediation')[0].json).toMatchObject({ ticketId, memberId: 29682886, hours: 0.2, deduplicated: false });
		const counts = autotaskRequests(fx.sandbox);
		console.info(`Autotask time entry, first run: ${JSON.stringify(counts)}`);
		// The member was resolved (and mapped) by the run refused for its missing role: the POST is all that is left.
		expect(counts.work).toEqual({ 'POST /TimeEntries': 1, total: 1 });
		expect(fx.sandbox.db.timeEntries.filter((stored) => stored.ticketID === ticketId)).toHaveLength(1);

		fx.sandbox.resetLog();
		const again = await fx.engine.run(chainWorkflow([entry]));
		expect(again.output('Log remediation')[0].json).toMatchObject({ deduplicated: true });
		expect(autotaskRequests(fx.sandbox).work.total).toBe(0);
	});
});

describe('attachments on ConnectWise', () => {
	let fx: EngineFixture;
	let ticketId: number;
	const log = Buffer.from('remediation started\nservice restarted\nhealth check ok\n', 'utf8');
	const graph = Buffer.from(Array.from({ length: 5000 }, (_, index) => index % 256));
	const withFiles = (workflow: ReturnType<typeof chainWorkflow>) => ({
		...workflow,
		pinData: {
			'Manual Trigger': [
				{
					json: { run: 'r-1' },
					binary: {
						data: { data: log.toString('base64'), mimeType: 'text/plain', fileName: 'remediation.log' },
						graph: { data: graph.toString('base64'), mimeType: 'image/png', fileName: 'cpu.png' },
					},
				},
			],
		},
	});
	const attach = {
		name: 'Attach files',
		type: 'psaNote',
		parameters: { operation: 'addAttachment', ticketBy: 'link', source: 'monitor', externalId: 'files-1', binaryPropertyName: 'data, graph', visibility: 'internal', additionalFields: { dedupeKey: '={{ $json.run }}' } },
	};

	beforeAll(async () => {
		fx = await startEngineFixture();
		const linked = await fx.engine.run(
			chainWorkflow([
				{
					name: 'PSA Link',
					type: 'psaLink',
					parameters: { operation: 'link', source: 'monitor', externalId: 'files-1', summary: 'Disk errors', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} },
				},
			]),
		);
		ticketId = linked.output('PSA Link')[0].json.ticketId as number;
	});

	afterAll(async () => {
		await fx?.close();
	});

	it('attaches each binary field once with one upload each; the repeat sends nothing; List and Download give them back as binary data', async () => {
		fx.sandbox.resetLog();
		const first = await fx.engine.run(withFiles(chainWorkflow([attach])));
		expect(first.error).toBeUndefined();
		const out = first.output('Attach files').map((item) => item.json);
		expect(out).toEqual([
			expect.objectContaining({ ticketId, fileName: 'remediation.log', contentType: 'text/plain', size: log.length, deduplicated: false, dedupeKey: 'r-1:data', binaryProperty: 'data' }),
			expect.objectContaining({ ticketId, fileName: 'cpu.png', contentType: 'image/png', size: graph.length, deduplicated: false, dedupeKey: 'r-1:graph' }),
		]);
		expect(psaRequests(fx.sandbox)).toMatchObject({ total: 2, 'POST /system/documents': 2 });
		const stored = fx.sandbox.db.documents.filter((document) => document.recordId === ticketId);
		expect(stored.map((document) => document.data.equals(document.fileName === 'cpu.png' ? graph : log))).toEqual([true, true]);

		fx.sandbox.resetLog();
		const again = await fx.engine.run(withFiles(chainWorkflow([attach])));
		expect(again.output('Attach files').map((item) => item.json.deduplicated)).toEqual([true, true]);
		expect(psaRequests(fx.sandbox).total).toBe(0);

		const listed = await fx.engine.run(chainWorkflow([{ name: 'List', type: 'psaTicket', parameters: { operation: 'listAttachments', ticketBy: 'link', source: 'monitor', externalId: 'files-1', returnAll: true } }]));
		const attachments = listed.output('List').map((item) => item.json);
		expect(attachments.map((attachment) => attachment.fileName).sort()).toEqual(['cpu.png', 'remediation.log']);
		const graphId = attachments.find((attachment) => attachment.fileName === 'cpu.png')!.id;
		const downloaded = await fx.engine.run(
			chainWorkflow([{ name: 'Download', type: 'psaTicket', parameters: { operation: 'downloadAttachment', ticketBy: 'link', source: 'monitor', externalId: 'files-1', attachmentId: graphId, binaryPropertyName: 'file' } }]),
		);
		const item = downloaded.output('Download')[0];
		expect(item.json).toMatchObject({ id: graphId, fileName: 'cpu.png', size: graph.length });
		expect(item.binary?.file).toMatchObject({ fileName: 'cpu.png' });
		expect(Buffer.from(item.binary!.file.data, 'base64').equals(graph)).toBe(true);
	});
});
