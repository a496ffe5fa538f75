// PSA Note > Add Time Entry and Add Attachment, PSA Ticket's work lists and download, through n8n's engine on ConnectWise, Autotask and HaloPSA: one POST per record, none for a repeat.
import { AUTOTASK_CREDENTIAL, HALO_CREDENTIAL, autotaskRequests, chainWorkflow, psaRequests, startAutotaskEngineFixture, startEngineFixture, startHaloEngineFixture, type AutotaskEngineFixture, type EngineFixture, type HaloEngineFixture } from '../engine/setup';
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

/** Links a new ticket for `monitor` / `externalId` through PSA Link (the parameters given override the ConnectWise ones) and returns its id. */
async function linkedTicket(fx: { engine: EngineFixture['engine'] }, externalId: string, parameters: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<number> {
	const linked = await fx.engine.run(
		chainWorkflow([
			{
				name: 'PSA Link',
				type: 'psaLink',
				...extra,
				parameters: { operation: 'link', source: 'monitor', externalId, summary: 'Service down', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {}, ...parameters },
			},
		]),
	);
	return linked.output('PSA Link')[0].json.ticketId as number;
}

describe('on ConnectWise', () => {
	let fx: EngineFixture;
	let ticketId: number;

	beforeAll(async () => {
		fx = await startEngineFixture();
		ticketId = await linkedTicket(fx, 'work-1');
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
		const ticketId = await linkedTicket(fx, 'work-1', { authentication: 'autotaskPsaApi', company: { __rl: true, mode: 'id', value: '175' }, boardId: 8 }, { credentials });

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
		ticketId = await linkedTicket(fx, 'files-1', { summary: 'Disk errors' });
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

describe('on HaloPSA', () => {
	let fx: HaloEngineFixture;
	const credentials = { haloPsaApi: HALO_CREDENTIAL };
	const halo = { authentication: 'haloPsaApi' };
	/** The requests since the last reset, the token request apart (one per process and credential, not per entry). */
	const haloRequests = () => {
		const counts = Object.fromEntries(Object.entries(fx.sandbox.counters()).filter(([key]) => key !== 'total' && key !== 'POST /auth/token'));
		return { ...counts, total: Object.values(counts).reduce((sum, count) => sum + count, 0) };
	};
	const log = Buffer.from('remediation started\nservice restarted\n', 'utf8');
	const graph = Buffer.from(Array.from({ length: 4001 }, (_, index) => (index * 7) % 256));
	let ticketId: number;

	beforeAll(async () => {
		fx = await startHaloEngineFixture();
		ticketId = await linkedTicket(fx, 'work-1', { ...halo, company: { __rl: true, mode: 'id', value: '12' }, options: {} }, { credentials });
	});

	afterAll(async () => {
		await fx?.close();
	});

	it('refuses a role and "no charge" (Halo has neither) with nothing written, then logs an action with time once; the repeat sends nothing', async () => {
		const withRole = await fx.engine.run(chainWorkflow([timeEntry({ ...halo, workRoleId: 5 }, { credentials, continueOnFail: true })]));
		expect(String(withRole.output('Log remediation')[0].json.error)).toMatch(/no role/);
		const noCharge = await fx.engine.run(chainWorkflow([timeEntry({ ...halo, additionalFields: { billable: 'no-charge' } }, { credentials, continueOnFail: true })]));
		expect(String(noCharge.output('Log remediation')[0].json.error)).toMatch(/cannot record a time entry as 'no-charge'/);
		expect(fx.sandbox.db.actions.filter((action) => action.ticket_id === ticketId && action.timetaken)).toHaveLength(0);

		fx.sandbox.resetLog();
		// Action type 2 ("Update") as the work type, as the Work Type dropdown offers it.
		const entry = timeEntry({ ...halo, additionalFields: { billable: 'do-not-bill', workTypeId: 2, internalNotes: 'Script run 7' } }, { credentials });
		const first = await fx.engine.run(chainWorkflow([entry]));
		expect(first.error).toBeUndefined();
		expect(first.output('Log remediation')[0].json).toMatchObject({ ticketId, memberId: 2, hours: 0.2, deduplicated: false });
		const counts = haloRequests();
		console.info(`HaloPSA time entry, first run: ${JSON.stringify(counts)}`);
		// The agent was resolved (and mapped) by the refused runs: the action is all that is left.
		expect(counts).toEqual({ 'POST /Actions': 1, total: 1 });
		const actions = fx.sandbox.db.actions.filter((action) => action.ticket_id === ticketId && action.timetaken);
		expect(actions).toEqual([
			expect.objectContaining({ who_agentid: 2, timetaken: 0.2, outcome_id: 2, actisbillable: false, hiddenfromuser: false, note: 'Remediation script restarted the service', private_note: expect.stringMatching(/^Script run 7\s+\[psa:[0-9a-f]{16}\]$/) }),
		]);

		fx.sandbox.resetLog();
		const again = await fx.engine.run(chainWorkflow([entry]));
		expect(again.output('Log remediation')[0].json).toMatchObject({ deduplicated: true });
		expect(haloRequests().total).toBe(0);

		const listed = await fx.engine.run(chainWorkflow([{ name: 'List', type: 'psaTicket', credentials, parameters: { ...halo, operation: 'listTimeEntries', ticketBy: 'link', source: 'monitor', externalId: 'work-1', returnAll: false, limit: 10 } }]));
		expect(listed.output('List').map((item) => item.json)).toEqual([expect.objectContaining({ ticketId, memberId: 2, hours: 0.2, workTypeId: 2, billable: 'do-not-bill', notes: 'Remediation script restarted the service' })]);
	});

	it('attaches each binary field once with one upload each; the repeat sends nothing; List and Download give the bytes back', async () => {
		const attach = {
			name: 'Attach files',
			type: 'psaNote',
			credentials,
			parameters: { ...halo, operation: 'addAttachment', ticketBy: 'link', source: 'monitor', externalId: 'work-1', binaryPropertyName: 'data, graph', visibility: 'internal', additionalFields: { dedupeKey: '={{ $json.run }}' } },
		};
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
		fx.sandbox.resetLog();
		const first = await fx.engine.run(withFiles(chainWorkflow([attach])));
		expect(first.error).toBeUndefined();
		expect(first.output('Attach files').map((item) => item.json.deduplicated)).toEqual([false, false]);
		expect(haloRequests()).toEqual({ 'POST /Attachment': 2, total: 2 });
		const stored = fx.sandbox.db.attachments.filter((attachment) => attachment.ticket_id === ticketId);
		expect(stored.map((attachment) => [attachment.filename, attachment.showforusers, attachment.data.equals(attachment.filename === 'cpu.png' ? graph : log)])).toEqual([
			['remediation.log', false, true],
			['cpu.png', false, true],
		]);

		fx.sandbox.resetLog();
		const again = await fx.engine.run(withFiles(chainWorkflow([attach])));
		expect(again.output('Attach files').map((item) => item.json.deduplicated)).toEqual([true, true]);
		expect(haloRequests().total).toBe(0);

		const listed = await fx.engine.run(chainWorkflow([{ name: 'List', type: 'psaTicket', credentials, parameters: { ...halo, operation: 'listAttachments', ticketBy: 'link', source: 'monitor', externalId: 'work-1', returnAll: true } }]));
		const attachments = listed.output('List').map((item) => item.json);
		expect(attachments.map((attachment) => attachment.fileName).sort()).toEqual(['cpu.png', 'remediation.log']);
		const graphId = attachments.find((attachment) => attachment.fileName === 'cpu.png')!.id;
		const downloaded = await fx.engine.run(
			chainWorkflow([{ name: 'Download', type: 'psaTicket', credentials, parameters: { ...halo, operation: 'downloadAttachment', ticketBy: 'link', source: 'monitor', externalId: 'work-1', attachmentId: graphId, binaryPropertyName: 'file' } }]),
		);
		const item = downloaded.output('Download')[0];
		expect(item.json).toMatchObject({ id: graphId, fileName: 'cpu.png', size: graph.length });
		expect(Buffer.from(item.binary!.file.data, 'base64').equals(graph)).toBe(true);
	});
});
