// The HaloPSA sandbox checked against the contract data (../shared/halopsa/openapi-v2-subset.json): every route it serves is in Halo's description, writes are arrays of the described record, and the fields it answers and accepts are described ones.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PsaCache } from '../../../lib/cache';
import { createFetchTransport } from '../../../lib/providers/fetch-transport';
import { haloDefinition } from '../../../lib/providers/halopsa/definition';
import { addAttachment, addNote, addTimeEntry, downloadAttachment, link, listAttachments, listTimeEntries, setStatus } from '../../../lib/services';
import { bufferContent } from '../../../lib/providers/upload';
import { openStore } from '../../../lib/store';
import { tmpdir } from 'node:os';
import { buildRoutes } from './routes';
import { createSeed } from './data';
import { TicketStore } from './tickets';
import { type HaloSandbox, startHaloSandbox } from '.';

const CONTRACT = join(__dirname, '../../../../shared/halopsa/openapi-v2-subset.json');
const present = existsSync(CONTRACT);
if (!present) console.warn(`HaloPSA sandbox contract checks skipped: ${CONTRACT} is absent (the contract data lives beside the repository)`);

/** Served beyond the contract's 37 paths; each is named in docs/halopsa-api.md as unconfirmed. */
const OUTSIDE_CONTRACT = ['GET /Category'];
/** Fields the sandbox answers that the contract's schemas do not name (each an [open] choice in docs/halopsa-api.md). */
const UNDESCRIBED_TICKET_FIELDS = ['user_name', 'external_links'];

(present ? describe : describe.skip)('HaloPSA sandbox against the contract', () => {
	type Schema = { properties?: Record<string, unknown> };
	const spec = present ? (JSON.parse(readFileSync(CONTRACT, 'utf8')) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { type?: string; items?: { $ref?: string } } }> } }>>; components: { schemas: Record<string, Schema> } }) : undefined;
	const pathOf = (template: string) => Object.keys(spec!.paths).find((path) => path.toLowerCase() === template.toLowerCase());
	const schemaOfWrite = (template: string) => {
		const content = spec!.paths[pathOf(template)!].post.requestBody!.content;
		const schema = Object.values(content)[0].schema;
		return { type: schema.type, name: schema.items?.$ref?.split('/').pop() ?? '' };
	};

	it('serves only routes the description has (besides the ones named as outside it)', () => {
		const db = createSeed();
		const routes = buildRoutes(db, new TicketStore(db, Date.now, () => undefined), () => ({}), Date.now);
		for (const route of routes) {
			const name = `${route.method} ${route.template}`;
			if (OUTSIDE_CONTRACT.includes(name)) continue;
			const path = pathOf(route.template);
			expect({ name, described: path !== undefined && spec!.paths[path][route.method.toLowerCase()] !== undefined }).toEqual({ name, described: true });
		}
	});

	describe('a session of the package', () => {
		let sandbox: HaloSandbox;
		let folder: string;
		beforeAll(async () => {
			sandbox = await startHaloSandbox({ port: 0 });
			folder = mkdtempSync(join(tmpdir(), 'halo-contract-'));
			const store = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite') });
			const provider = haloDefinition.create(haloDefinition.settingsOf(sandbox.credentials, true), { http: createFetchTransport(), cache: new PsaCache() });
			const ctx = { provider, store, cache: new PsaCache(), now: Date.now };
			const { ticketId } = await link(ctx, { source: 'contract', externalId: 'c1' }, {
				summary: 'Contract',
				companyId: 12,
				boardId: 1,
				details: { type: 'Hardware', team: 'Service Desk', site: 'Acme HQ', impact: 'High', urgency: 'Low', customFields: { CFAlertSource: 'zabbix', CFEnvironment: 'Production' } },
				configurationItems: [{ by: 'serialNumber', value: 'SN-WEB01' }],
			});
			await addNote(ctx, { ticket: { ticketId }, text: 'note', type: 'internal', dedupeKey: 'contract-1' });
			const [workType] = await provider.listWorkChoices('workType');
			await addTimeEntry(ctx, { ticket: { ticketId }, member: { memberId: 2 }, start: '2026-03-02T10:00:00Z', durationMinutes: 30, notes: 'Restarted', workTypeId: workType.id, billable: 'do-not-bill' });
			await listTimeEntries(ctx, { ticketId });
			const { attachmentId } = await addAttachment(ctx, { ticket: { ticketId }, fileName: 'run.log', title: 'Run log', content: bufferContent(Buffer.from('log line\n')) });
			await listAttachments(ctx, { ticketId });
			await downloadAttachment(ctx, { ticketId }, attachmentId!);
			await setStatus(ctx, { ticketId }, { by: 'name', name: 'Closed' });
			await provider.getTicketDetails(ticketId);
			const registration = await provider.registerCallback({ url: 'http://127.0.0.1:9/hook', description: 'contract', level: 'owner', objectId: 0, selfSuppressed: true });
			await provider.removeCallback(registration.id);
			await store.close();
		});
		afterAll(async () => {
			await sandbox?.stop();
			if (folder) rmSync(folder, { recursive: true, force: true });
		});

		it('writes arrays of the described record, with described fields only', () => {
			const writes = sandbox.requests.filter((request) => request.method === 'POST' && request.template);
			expect(writes.length).toBeGreaterThanOrEqual(6);
			// The time entry (an action with time) and the attachment (its data as base64) are among them.
			expect(writes.some((write) => write.template === '/Actions' && (write.body as Array<Record<string, unknown>>)[0].timetaken === 0.5)).toBe(true);
			expect(writes.some((write) => write.template === '/Attachment' && (write.body as Array<Record<string, unknown>>)[0].data === Buffer.from('log line\n').toString('base64'))).toBe(true);
			for (const write of writes) {
				const { type, name } = schemaOfWrite(write.template!);
				expect({ write: write.template, type }).toEqual({ write: write.template, type: 'array' });
				expect(Array.isArray(write.body)).toBe(true);
				const described = Object.keys(spec!.components.schemas[name].properties ?? {});
				for (const record of write.body as Array<Record<string, unknown>>) {
					expect({ write: write.template, unknown: Object.keys(record).filter((field) => !described.includes(field)) }).toEqual({ write: write.template, unknown: [] });
				}
			}
		});

		it('the link carried the ticket-depth details, resolved by name through the services', () => {
			const ticket = sandbox.db.tickets[0];
			expect(ticket).toMatchObject({ categoryid_1: 1, category_1: 'Hardware', team: 'Service Desk', site_id: 21, impact: 1, urgency: 3, assets: [501] });
			expect(Object.fromEntries(ticket.customfields.map((field) => [field.name, field.value]))).toEqual({ CFAlertSource: 'zabbix', CFEnvironment: 'Production' });
		});

		it('answers tickets with described Faults fields', () => {
			const described = Object.keys(spec!.components.schemas.Faults.properties ?? {});
			const reads = sandbox.requests.filter((request) => request.template === '/Tickets/{id}' && request.status === 200);
			expect(reads.length).toBeGreaterThan(0);
			for (const read of reads) {
				const fields = Object.keys(read.response as object).filter((field) => !described.includes(field) && !UNDESCRIBED_TICKET_FIELDS.includes(field));
				expect(fields).toEqual([]);
			}
		});

		it('asks only with described query parameters', () => {
			for (const request of sandbox.requests.filter((entry) => entry.method === 'GET' && entry.template && !OUTSIDE_CONTRACT.includes(`GET ${entry.template}`))) {
				const operation = spec!.paths[pathOf(request.template!)!].get as unknown as { parameters?: Array<{ name: string }> };
				const names = (operation.parameters ?? []).map((parameter) => parameter.name.toLowerCase());
				const unknown = Object.keys(request.query).filter((name) => !names.includes(name.toLowerCase()));
				expect({ request: request.template, unknown }).toEqual({ request: request.template, unknown: [] });
			}
		});
	});
});
