// The provider conformance suite: what "a provider works" means, run against every registered provider's fixture through the registry and the services.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../../lib/cache';
import type { ProviderDeps, PsaProviderDefinition } from '../../lib/providers/definition';
import { isPsaError, type PsaErrorKind } from '../../lib/providers/errors';
import type { HttpRequest, HttpTransport } from '../../lib/providers/http';
import { linkKeyOf } from '../../lib/providers/link-key';
import { createProvider, definitionFor, providerDefinitions } from '../../lib/providers/registry';
import type { RequestEvent } from '../../lib/providers/request-events';
import type { PsaProvider } from '../../lib/providers/types';
import { bufferContent } from '../../lib/providers/upload';
import { addAttachment, addNote, addTimeEntry, downloadAttachment, link, mapExternalState, resolveMember, setStatus, type PsaServiceContext } from '../../lib/services';
import { addConfigurationItem, removeConfigurationItem, searchTickets, updateTicket } from '../../lib/services/ticket';
import { receiveEvent, type TriggerRules } from '../../lib/services/trigger';
import { openStore } from '../../lib/store';
import type { PsaStore } from '../../lib/store/types';
import { autotaskFixture } from './autotask.fixture';
import { connectWiseFixture } from './connectwise.fixture';
import { haloFixture } from './halopsa.fixture';
import type { ConformanceWorld, ProviderFixture } from './fixture';

/** One fixture per registered provider; a provider without one fails the first test below. */
const FIXTURES: ProviderFixture[] = [connectWiseFixture, autotaskFixture, haloFixture];

const RULES: TriggerRules = { maxEventAgeMs: 0, ignoreOwnChanges: true, echoWindowMs: 120_000, linkedOnly: false };

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A transport that answers a little later and counts the requests in flight at once. */
function countingTransport(inner: HttpTransport, delayMs: number): { http: HttpTransport; maxInFlight(): number } {
	let inFlight = 0;
	let most = 0;
	return {
		http: async (request) => {
			inFlight++;
			most = Math.max(most, inFlight);
			try {
				await realSleep(delayMs);
				return await inner(request);
			} finally {
				inFlight--;
			}
		},
		maxInFlight: () => most,
	};
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
	try {
		await promise;
		return undefined;
	} catch (error) {
		return error;
	}
}

async function kindOf(promise: Promise<unknown>): Promise<PsaErrorKind | 'resolved' | 'other'> {
	try {
		await promise;
		return 'resolved';
	} catch (error) {
		return isPsaError(error) ? error.kind : 'other';
	}
}

it('every registered provider has a conformance fixture', () => {
	expect(providerDefinitions().map((definition) => definition.key).sort()).toEqual(FIXTURES.map((fixture) => fixture.name).sort());
});

describe.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))('provider %s', (_name, fixture) => {
	let world: ConformanceWorld;
	let store: PsaStore;
	let folder: string;
	let run = 0;
	const unique = (what: string) => `${what}-${process.pid}-${++run}`;

	beforeAll(async () => {
		world = await fixture.start();
		folder = mkdtempSync(join(tmpdir(), 'psa-conformance-'));
		store = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite') });
	});
	afterAll(async () => {
		await store?.close();
		await world?.stop();
		if (folder) rmSync(folder, { recursive: true, force: true });
	});

	const provider = (credentials = world.credentials, deps = {}): PsaProvider => createProvider(world.credentialType, credentials, world.deps({ cache: new PsaCache(), ...deps }));
	const context = (): PsaServiceContext => ({ provider: provider(), store, cache: new PsaCache(), now: Date.now });

	describe('definition', () => {
		it('is registered under its credential type and declares its reference field, limits and version policy', () => {
			const definition = definitionFor(world.credentialType);
			expect(definition.key).toBe(fixture.name);
			expect(definition.externalReference.maxLength).toBeGreaterThan(0);
			expect(definition.limits.retry.maxAttempts).toBeGreaterThanOrEqual(1);
			expect(provider().connection.provider).toBe(definition.key);
			expect(provider().outcomeSettleMs).toBeGreaterThan(definition.limits.retry.budgetMs);
			expect(definition.connectionId(world.credentials)).toBe(provider().connection.connectionId);
		});

		it('writes a key that fits its field as is, a longer one as the shared hashed reference', () => {
			const { maxLength } = definitionFor(world.credentialType).externalReference;
			expect(provider().externalReferenceOf('alert:1')).toBe('alert:1');
			const hashed = provider().externalReferenceOf(`alert:${'x'.repeat(maxLength)}`);
			expect(hashed).toMatch(/^psa-sha256:[0-9a-f]{32,64}$/);
			expect(hashed.length).toBeLessThanOrEqual(maxLength);
		});
	});

	describe('find-or-create and recovery', () => {
		it('links an entity to one ticket, and finds it again', async () => {
			const target = { source: 'conformance', externalId: unique('a') };
			const first = await link(context(), target, { summary: 'Disk full', companyId: world.seeded.companyId });
			const again = await link(context(), target, { summary: 'Disk full', companyId: world.seeded.companyId });
			expect(first.created).toBe(true);
			expect(again).toMatchObject({ created: false, ticketId: first.ticketId });
			expect(world.ticketsWithReference(linkKeyOf(target.source, target.externalId))).toBe(1);
		});

		it('a create whose answer was lost is found by its reference, not created twice', async () => {
			const target = { source: 'conformance', externalId: unique('lost') };
			world.loseNextCreateAnswer();
			const result = await link(context(), target, { summary: 'Lost answer', companyId: world.seeded.companyId });
			expect(result).toMatchObject({ created: true, recovered: true });
			expect(world.ticketsWithReference(linkKeyOf(target.source, target.externalId))).toBe(1);
		});
	});

	it('notes: a dedupe key posts one note', async () => {
		const ctx = context();
		const { ticketId } = await link(ctx, { source: 'conformance', externalId: unique('note') }, { summary: 'Notes', companyId: world.seeded.companyId });
		const dedupeKey = unique('key');
		const first = await addNote(ctx, { ticket: { ticketId }, text: 'Fired again', type: 'internal', dedupeKey });
		const second = await addNote(context(), { ticket: { ticketId }, text: 'Fired again', type: 'internal', dedupeKey });
		expect(first.deduplicated).toBe(false);
		expect(second).toMatchObject({ deduplicated: true, noteId: first.noteId });
		expect(world.notesWithText(ticketId, 'Fired again')).toBe(1);
	});

	it('statuses: by name and by mapped state, on the ticket\'s own board', async () => {
		const { seeded } = world;
		const ctx = context();
		const byName = await link(ctx, { source: 'conformance', externalId: unique('status') }, { summary: 'Status', companyId: seeded.companyId, boardId: seeded.boardId });
		expect(await setStatus(ctx, { ticketId: byName.ticketId }, { by: 'name', name: seeded.closedStatusName })).toMatchObject({
			changed: true,
			status: { id: seeded.closedStatusIdOnBoard, closed: true },
		});
		const state = unique('resolved');
		await mapExternalState(ctx, { boardId: seeded.boardId, externalState: state, status: { by: 'name', name: seeded.closedStatusName } });
		const mapped = await link(ctx, { source: 'conformance', externalId: unique('mapped') }, { summary: 'Mapped', companyId: seeded.companyId, boardId: seeded.boardId });
		expect(await setStatus(context(), { ticketId: mapped.ticketId }, { by: 'external', externalState: state })).toMatchObject({
			status: { id: seeded.closedStatusIdOnBoard },
		});
	});

	it('members by email: the active member, never an inactive one', async () => {
		const resolved = await resolveMember(context(), { source: 'email', identity: world.seeded.activeMemberEmail });
		expect(resolved).toMatchObject({ memberId: world.seeded.activeMemberId, resolvedBy: 'email-match' });
		expect(await kindOf(resolveMember(context(), { source: 'email', identity: world.seeded.inactiveMemberEmail }))).toBe('not-found');
		const members = await provider().findMembersByEmail(world.seeded.inactiveMemberEmail);
		expect(members.every((member) => member.inactive)).toBe(true);
	});

	it('companies and contacts', async () => {
		const companies = await provider().listCompanies({ search: world.seeded.companySearch });
		expect(companies.map((company) => company.id)).toContain(world.seeded.companyId);
		const contacts = await provider().listContacts({ companyId: world.seeded.companyId });
		expect(contacts.length).toBeGreaterThan(0);
		expect(contacts.every((contact) => contact.companyId === undefined || contact.companyId === world.seeded.companyId)).toBe(true);
	});

	describe('time entries', () => {
		/** A context whose requests are counted, writes apart (Autotask reads with POST .../query). */
		const countedContext = () => {
			const sent: HttpRequest[] = [];
			const deps = world.deps({ cache: new PsaCache() });
			const http: HttpTransport = (request) => {
				sent.push(request);
				return deps.http(request);
			};
			const ctx: PsaServiceContext = { provider: createProvider(world.credentialType, world.credentials, { ...deps, http }), store, cache: new PsaCache(), now: Date.now };
			// ConnectWise's codebase lookup (once an hour per process) is the connection's, not the entry's.
			const api = () => sent.filter((request) => !/\/login\/companyinfo\//.test(request.url));
			return { ctx, sent: api, writes: () => api().filter((request) => request.method !== 'GET' && !/\/query(\?|$)/i.test(new URL(request.url).pathname)).length };
		};
		/** The fixture's role, or undefined where the PSA has none (HaloPSA): nothing is sent for it then. */
		const roleId = async (psa: PsaProvider) =>
			psa.workCapabilities.choices.includes('workRole') ? (await psa.listWorkChoices('workRole')).find((choice) => choice.name === world.work.workRoleName)!.id : undefined;
		/** 'no-charge' where the PSA records it, else the other option that is not plain 'billable'. */
		const unbilled = (psa: PsaProvider) => (psa.workCapabilities.billableOptions.includes('no-charge') ? ('no-charge' as const) : ('do-not-bill' as const));
		const newTicket = async (what: string) => (await link(context(), { source: 'conformance', externalId: unique(what) }, { summary: `Work ${what}`, companyId: world.seeded.companyId })).ticketId;

		it('logs one entry per dedupe key: one POST, the repeat sends nothing, the marker in the internal notes', async () => {
			const ticketId = await newTicket('time');
			const workRoleId = await roleId(provider());
			const { ctx, sent, writes } = countedContext();
			const billable = unbilled(provider());
			const entry = { ticket: { ticketId }, member: { memberId: world.seeded.activeMemberId }, start: '2026-03-02T10:00:00Z', durationMinutes: 12, notes: 'Restarted the service', workRoleId, billable };
			const first = await addTimeEntry(ctx, entry);
			expect(first).toMatchObject({ ticketId, deduplicated: false, hours: 0.2, memberId: world.seeded.activeMemberId });
			expect(writes()).toBe(1);
			expect(sent()).toHaveLength(1);
			const again = await addTimeEntry(ctx, entry);
			expect(again).toMatchObject({ deduplicated: true, timeEntryId: first.timeEntryId });
			expect(sent()).toHaveLength(1);
			const held = world.work.timeEntriesOn(ticketId);
			expect(held).toEqual([{ id: first.timeEntryId, memberId: world.seeded.activeMemberId, hours: 0.2, internalNotes: expect.stringMatching(/^\[psa:[0-9a-f]{16}\]$/) }]);
			const listed = await provider().listTimeEntries(ticketId);
			expect(listed).toEqual([expect.objectContaining({ id: first.timeEntryId, ticketId, notes: 'Restarted the service', billable, ...(workRoleId !== undefined ? { workRoleId } : {}) })]);
		});

		it('an entry whose answer was lost is found by its marker after the settle window, not logged twice', async () => {
			const ticketId = await newTicket('time-lost');
			const workRoleId = await roleId(provider());
			const entry = { ticket: { ticketId }, member: { memberId: world.seeded.activeMemberId }, start: '2026-03-02T11:00:00Z', end: '2026-03-02T11:30:00Z', notes: 'Cleared the queue', workRoleId, dedupeKey: unique('lost-entry') };
			world.work.loseNextTimeEntryAnswer();
			expect(await kindOf(addTimeEntry(context(), entry))).not.toBe('resolved');
			// The next attempt after the settle window (0 here) takes the receipt over and finds the entry by its marker.
			const recovered = await addTimeEntry(context(), { ...entry, staleAfterMs: 0 });
			expect(recovered).toMatchObject({ recovered: true, deduplicated: false });
			expect(world.work.timeEntriesOn(ticketId)).toHaveLength(1);
			expect((await addTimeEntry(context(), entry)).deduplicated).toBe(true);
		});

		it('refuses a bad entry before sending anything, with what to fix', async () => {
			const ticketId = await newTicket('time-bad');
			const before = world.writeCount();
			await expect(addTimeEntry(context(), { ticket: { ticketId }, member: { memberId: world.seeded.activeMemberId }, start: '2026-03-02T11:00:00Z', end: '2026-03-02T10:00:00Z', notes: 'x', workRoleId: 1 })).rejects.toMatchObject({ kind: 'invalid-input' });
			await expect(addTimeEntry(context(), { ticket: { ticketId }, member: { memberId: world.seeded.activeMemberId }, start: 'yesterday', durationMinutes: 5 })).rejects.toMatchObject({ kind: 'invalid-input' });
			const caps = provider().workCapabilities;
			if (caps.requiredChoices.includes('workRole')) {
				await expect(addTimeEntry(context(), { ticket: { ticketId }, member: { memberId: world.seeded.activeMemberId }, start: '2026-03-02T10:00:00Z', durationMinutes: 5, notes: 'x' })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'workRole' } });
			}
			// What the PSA does not have is refused, never sent and never made up (HaloPSA: no role, no "no charge").
			for (const kind of (['workRole', 'workType'] as const).filter((candidate) => !caps.choices.includes(candidate))) {
				await expect(provider().listWorkChoices(kind)).rejects.toMatchObject({ kind: 'invalid-input' });
				const named = kind === 'workRole' ? { workRoleId: 7 } : { workTypeId: 7 };
				await expect(addTimeEntry(context(), { ticket: { ticketId }, member: { memberId: world.seeded.activeMemberId }, start: '2026-03-02T10:00:00Z', durationMinutes: 5, notes: 'x', ...named })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: kind } });
			}
			for (const billable of (['billable', 'do-not-bill', 'no-charge'] as const).filter((option) => !caps.billableOptions.includes(option))) {
				await expect(addTimeEntry(context(), { ticket: { ticketId }, member: { memberId: world.seeded.activeMemberId }, start: '2026-03-02T10:00:00Z', durationMinutes: 5, notes: 'x', billable })).rejects.toMatchObject({ kind: 'invalid-input', details: { field: 'billable' } });
			}
			expect(world.writeCount()).toBe(before);
		});
	});

	describe('attachments', () => {
		const countedContext = () => {
			const sent: HttpRequest[] = [];
			const deps = world.deps({ cache: new PsaCache() });
			const http: HttpTransport = (request) => {
				sent.push(request);
				return deps.http(request);
			};
			const ctx: PsaServiceContext = { provider: createProvider(world.credentialType, world.credentials, { ...deps, http }), store, cache: new PsaCache(), now: Date.now };
			return { ctx, sent: () => sent.filter((request) => !/\/login\/companyinfo\//.test(request.url)) };
		};
		const newTicket = async (what: string) => (await link(context(), { source: 'conformance', externalId: unique(what) }, { summary: `Files ${what}`, companyId: world.seeded.companyId })).ticketId;
		// Bytes of every value, so an encoding slip (text, base64 alignment) shows.
		const file = Buffer.from(Array.from({ length: 100_003 }, (_, index) => (index * 7 + 3) % 256));

		it('attaches one file per dedupe key with one upload, the marker in the title; the repeat sends nothing; the download gives the same bytes', async () => {
			const ticketId = await newTicket('file');
			const { ctx, sent } = countedContext();
			const input = { ticket: { ticketId }, fileName: 'remediation.log', title: 'Remediation log', content: bufferContent(file, 4096) };
			const first = await addAttachment(ctx, input);
			expect(first).toMatchObject({ ticketId, deduplicated: false, size: file.length, contentType: 'text/plain', fileName: 'remediation.log' });
			expect(sent()).toHaveLength(1);
			const again = await addAttachment(ctx, input);
			expect(again).toMatchObject({ deduplicated: true, attachmentId: first.attachmentId });
			expect(sent()).toHaveLength(1);
			const held = world.work.attachmentsOn(ticketId);
			expect(held).toHaveLength(1);
			expect(held[0]).toMatchObject({ id: first.attachmentId, fileName: 'remediation.log', public: false, title: expect.stringMatching(/^Remediation log \[psa:[0-9a-f]{16}\]$/) });
			expect(held[0].data.equals(file)).toBe(true);
			const downloaded = await downloadAttachment(context(), { ticketId }, first.attachmentId!);
			expect(downloaded.data.equals(file)).toBe(true);
			expect(downloaded.attachment).toMatchObject({ id: first.attachmentId, fileName: 'remediation.log' });
			expect((await provider().listAttachments(ticketId)).map((attachment) => attachment.id)).toEqual([first.attachmentId]);
		});

		it('an upload whose answer was lost is found by its marker after the settle window, not attached twice', async () => {
			const ticketId = await newTicket('file-lost');
			const input = { ticket: { ticketId }, fileName: 'graph.png', content: bufferContent(file), public: true, dedupeKey: unique('lost-file') };
			world.work.loseNextAttachmentAnswer();
			expect(await kindOf(addAttachment(context(), input))).not.toBe('resolved');
			const recovered = await addAttachment(context(), { ...input, staleAfterMs: 0 });
			expect(recovered).toMatchObject({ recovered: true, contentType: 'image/png' });
			expect(world.work.attachmentsOn(ticketId)).toHaveLength(1);
			expect(world.work.attachmentsOn(ticketId)[0].public).toBe(true);
		});

		it('refuses a file over the PSA\'s limit, or without a usable name, before reading or sending a byte', async () => {
			const ticketId = await newTicket('file-big');
			const before = world.writeCount();
			const limit = provider().workCapabilities.maxAttachmentBytes;
			const tooBig = { size: limit + 1, open: () => { throw new Error('the file must not be read'); } };
			const error = await addAttachment(context(), { ticket: { ticketId }, fileName: 'dump.bin', content: tooBig }).catch((caught: unknown) => caught);
			expect(error).toMatchObject({ kind: 'invalid-input', message: expect.stringMatching(/at most .* MB/), details: { refused: true } });
			await expect(addAttachment(context(), { ticket: { ticketId }, fileName: '../etc/passwd', content: bufferContent(file) })).rejects.toMatchObject({ kind: 'invalid-input' });
			expect(world.writeCount()).toBe(before);
		});
	});

	describe('ticket depth', () => {
		const depth = () => {
			return world.seeded.depth;
		};
		/** A provider whose requests are counted, writes apart. */
		const counted = () => {
			const sent: HttpRequest[] = [];
			const deps = world.deps({ cache: new PsaCache() });
			const http: HttpTransport = (request) => {
				sent.push(request);
				return deps.http(request);
			};
			const psa = createProvider(world.credentialType, world.credentials, { ...deps, http });
			const ctx: PsaServiceContext = { provider: psa, store, cache: new PsaCache(), now: Date.now };
			// Autotask reads with POST .../query; a write is any other request that is not a GET.
			return { ctx, sent, writes: () => sent.filter((request) => request.method !== 'GET' && !/\/query(\?|$)/i.test(new URL(request.url).pathname)).length };
		};
		const fullDetails = (psa: PsaProvider) => {
			const seeded = depth();
			const caps = psa.ticketCapabilities;
			return {
				type: seeded.typeName,
				...(caps.classification.includes('subtype') ? { subtype: seeded.subtypeName } : {}),
				...(caps.classification.includes('item') && seeded.itemName ? { item: seeded.itemName } : {}),
				...(caps.source ? { source: seeded.sourceName } : {}),
				...(caps.team && seeded.teamName ? { team: seeded.teamName } : {}),
				...(caps.site && seeded.siteName ? { site: seeded.siteName } : {}),
				...(caps.scales.severity ? { severity: caps.scales.severity[caps.scales.severity.length - 1].toLowerCase() } : {}),
				dueAt: '2030-01-02T03:04:00Z',
				customFields: { [seeded.picklistField.name]: seeded.picklistField.value, [seeded.textFieldName]: 'runbook 7' },
			};
		};

		it('declares its capabilities, and offers only valid classification combinations', async () => {
			const seeded = depth();
			const psa = provider();
			const caps = psa.ticketCapabilities;
			expect(caps.classification[0]).toBe('type');
			const boardId = world.seeded.boardId;
			const types = await psa.listTicketTypes(boardId);
			const type = types.find((candidate) => candidate.name === seeded.typeName);
			expect(type).toBeDefined();
			const subtypes = await psa.listTicketSubtypes(type!.id, boardId);
			if (caps.classification.includes('subtype')) {
				expect(subtypes.map((subtype) => subtype.name)).toContain(seeded.subtypeName);
				expect(subtypes.map((subtype) => subtype.name)).not.toContain(seeded.foreignSubtypeName);
				const subtype = subtypes.find((candidate) => candidate.name === seeded.subtypeName)!;
				const items = await psa.listTicketItems(type!.id, subtype.id, boardId);
				if (caps.classification.includes('item')) expect(items.map((item) => item.name)).toContain(seeded.itemName);
				else expect(items).toEqual([]);
			} else expect(subtypes).toEqual([]);
			if (caps.source) expect((await psa.listSources()).map((source) => source.name)).toContain(seeded.sourceName);
			else expect(await psa.listSources()).toEqual([]);
			if (caps.team) expect((await psa.listTeams(boardId)).map((team) => team.name)).toContain(seeded.teamName);
			else expect(await psa.listTeams(boardId)).toEqual([]);
			if (caps.site) expect((await psa.listSites(world.seeded.companyId)).map((site) => site.name)).toContain(seeded.siteName);
			const definitions = await psa.listCustomFields();
			const picklist = definitions.find((definition) => definition.name === seeded.picklistField.name);
			expect(picklist).toMatchObject({ type: 'picklist' });
			expect(picklist!.picklist!.map((choice) => choice.value)).toContain(seeded.picklistField.value);
			expect(definitions.map((definition) => definition.name)).toContain(seeded.textFieldName);
		});

		it('Link creates a classified ticket with its devices and custom fields in one create, and reads it back', async () => {
			const seeded = depth();
			const { ctx, sent, writes } = counted();
			const target = { source: 'conformance', externalId: unique('depth') };
			const fields = {
				summary: 'RMM: disk failing',
				companyId: world.seeded.companyId,
				boardId: world.seeded.boardId,
				details: fullDetails(ctx.provider),
				configurationItems: [
					{ by: 'serialNumber' as const, value: seeded.configurationItem.serialNumber.toLowerCase() },
					{ by: 'id' as const, value: String(seeded.secondConfigurationItemId) },
				],
			};
			const result = await link(ctx, target, fields);
			expect(result).toMatchObject({ created: true, configurationItems: { attached: [seeded.configurationItem.id, seeded.secondConfigurationItemId], notAttached: [] } });
			const attachesAfter = Math.max(0, 2 - ctx.provider.ticketCapabilities.configurationItemsOnCreate);
			// One create, and the attaches the create could not carry: nothing else was written.
			expect(writes()).toBe(1 + attachesAfter);
			expect(world.ticketsWithReference(linkKeyOf(target.source, target.externalId))).toBe(1);
			expect(world.ticketConfigurationItems(result.ticketId).sort()).toEqual([seeded.configurationItem.id, seeded.secondConfigurationItemId].sort());
			expect(world.ticketCustomFields(result.ticketId)).toMatchObject({ [seeded.textFieldName]: 'runbook 7' });
			const ticket = await ctx.provider.getTicketDetails(result.ticketId);
			const caps = ctx.provider.ticketCapabilities;
			expect(ticket).toMatchObject({
				type: { name: seeded.typeName },
				...(caps.classification.includes('subtype') ? { subtype: { name: seeded.subtypeName } } : {}),
				...(caps.source ? { source: { name: seeded.sourceName } } : {}),
			});
			expect(Date.parse(ticket.dueAt!)).toBe(Date.parse('2030-01-02T03:04:00Z'));
			expect(ticket.customFields).toMatchObject({ [seeded.picklistField.name]: seeded.picklistField.value, [seeded.textFieldName]: 'runbook 7' });

			// A known link: not one request. A second entity with the same details: lookups cached, so only the create,
			// the device lookups (one per device) and the attaches.
			const before = sent.length;
			expect(await link(ctx, target, fields)).toMatchObject({ created: false, ticketId: result.ticketId });
			expect(sent.length).toBe(before);
			await link(ctx, { source: 'conformance', externalId: unique('depth') }, fields);
			expect(sent.slice(before).map((request) => `${request.method} ${new URL(request.url).pathname}`)).toHaveLength(1 + 2 + attachesAfter);
		});

		it('bad values are refused with a clear error and write nothing', async () => {
			const seeded = depth();
			const { ctx, writes } = counted();
			const base = { summary: 'Refused', companyId: world.seeded.companyId, boardId: world.seeded.boardId };
			const before = world.writeCount();
			const subtypeLevel = ctx.provider.ticketCapabilities.classification.includes('subtype');
			const cases: Array<[string, Parameters<typeof link>[2], RegExp]> = [
				// Without a subtype level, any subtype is refused as a level the PSA lacks.
				['a subtype outside its type', { ...base, details: { type: seeded.typeName, subtype: subtypeLevel ? seeded.foreignSubtypeName : 'Any' } }, subtypeLevel ? /Subtype/ : /no subtype level/],
				['a custom field value outside its picklist', { ...base, details: { customFields: { [seeded.picklistField.name]: seeded.picklistField.invalidValue } } }, /accepts one of/],
				['an unknown custom field', { ...base, details: { customFields: { 'No Such Field': 'x' } } }, /no ticket custom field/],
				['an unknown configuration item', { ...base, configurationItems: [{ by: 'serialNumber', value: seeded.otherCompanySerialNumber }], whenConfigurationItemMissing: 'fail' }, /serial number/],
			];
			for (const [what, fields, message] of cases) {
				const error = await errorOf(link(ctx, { source: 'conformance', externalId: unique('bad') }, fields));
				expect({ what, kind: isPsaError(error) ? error.kind : String(error) }).toEqual({ what, kind: 'invalid-input' });
				expect((error as Error).message).toMatch(message);
			}
			expect(writes()).toBe(0);
			expect(world.writeCount()).toBe(before);
			// Continue Without It: the ticket is created and the output says what was not found.
			const created = await link(ctx, { source: 'conformance', externalId: unique('missing-ci') }, { ...base, configurationItems: [{ by: 'serialNumber', value: seeded.otherCompanySerialNumber }] });
			expect(created.configurationItems?.notAttached).toEqual([expect.objectContaining({ by: 'serialNumber', value: seeded.otherCompanySerialNumber })]);
			expect(world.ticketConfigurationItems(created.ticketId)).toEqual([]);
		});

		it('search: PSA-neutral conditions, custom fields, paging; a hostile value matches only itself', async () => {
			const seeded = depth();
			const ctx = context();
			const marker = unique('srch');
			const hostile = `${marker} ' OR 1=1 -- " or id>0 ) [x]`;
			const made = [];
			for (const summary of [hostile, `${marker} plain 1`, `${marker} plain 2`]) {
				made.push((await link(ctx, { source: 'conformance', externalId: unique('s') }, { summary, companyId: world.seeded.companyId, boardId: world.seeded.boardId, details: { customFields: { [seeded.textFieldName]: marker } } })).ticketId);
			}
			const bySummary = await searchTickets(ctx, { where: { match: 'all', conditions: [{ field: 'summary', operator: 'eq', value: hostile }] } });
			expect(bySummary.map((ticket) => ticket.id)).toEqual([made[0]]);
			const byField = await searchTickets(ctx, { where: { match: 'all', conditions: [{ field: seeded.textFieldName, customField: true, operator: 'eq', value: marker }] }, limit: Number.POSITIVE_INFINITY });
			expect(byField.map((ticket) => ticket.id).sort()).toEqual([...made].sort());
			const anyOf = await searchTickets(ctx, { where: { match: 'any', conditions: [{ field: 'id', operator: 'eq', value: made[1] }, { field: 'id', operator: 'eq', value: made[2] }] }, newestFirst: true });
			expect(anyOf.map((ticket) => ticket.id)).toEqual([made[2], made[1]]);
			const limited = await searchTickets(ctx, { where: { match: 'all', conditions: [{ field: 'summary', operator: 'startsWith', value: marker }] }, limit: 2 });
			expect(limited).toHaveLength(2);
			expect(await kindOf(searchTickets(ctx, { where: { match: 'all', conditions: [{ field: 'colour', operator: 'eq', value: 'red' }] } }))).toBe('invalid-input');
		});

		it('update sends only the given fields; "unless changed since" refuses to overwrite a person\'s edit', async () => {
			const seeded = depth();
			const { ctx, sent, writes } = counted();
			const { ticketId } = await link(ctx, { source: 'conformance', externalId: unique('upd') }, { summary: 'Update me', companyId: world.seeded.companyId, boardId: world.seeded.boardId });
			const since = new Date(Date.now() - 1000).toISOString();
			const updated = await updateTicket(ctx, { ticketId }, { customFields: { [seeded.textFieldName]: 'first' }, summary: 'Updated' });
			expect(updated.changed.sort()).toEqual(['customFields', 'summary']);
			// Definitions cached now: one write, and a read back only where the PSA's answer to an update has no ticket.
			const [before, writesAtStart] = [sent.length, writes()];
			await updateTicket(ctx, { ticketId }, { customFields: { [seeded.textFieldName]: 'changed' } });
			expect(writes() - writesAtStart).toBe(1);
			expect(sent.length - before).toBeLessThanOrEqual(2);
			expect(world.ticketCustomFields(ticketId)).toMatchObject({ [seeded.textFieldName]: 'changed' });
			world.changeAsTechnician(ticketId, world.seeded.closedStatusIdOnBoard);
			const writesBefore = writes();
			const refused = await errorOf(updateTicket(ctx, { ticketId }, { summary: 'Overwrite' }, { unlessChangedSince: since }));
			expect(isPsaError(refused, 'conflict')).toBe(true);
			expect(writes()).toBe(writesBefore);
			expect((await ctx.provider.getTicket(ticketId)).summary).toBe('Updated');
		});

		it('configuration items: add once (a repeat sends nothing), remove once', async () => {
			const seeded = depth();
			const { ctx, writes } = counted();
			const { ticketId } = await link(ctx, { source: 'conformance', externalId: unique('ci') }, { summary: 'Devices', companyId: world.seeded.companyId });
			const spec = { by: 'name' as const, value: seeded.configurationItem.name };
			expect(await addConfigurationItem(ctx, { ticketId }, spec)).toMatchObject({ changed: true, configurationItem: { id: seeded.configurationItem.id } });
			const afterAdd = writes();
			expect(await addConfigurationItem(ctx, { ticketId }, spec)).toMatchObject({ changed: false });
			expect(writes()).toBe(afterAdd);
			expect(world.ticketConfigurationItems(ticketId)).toEqual([seeded.configurationItem.id]);
			expect(await removeConfigurationItem(ctx, { ticketId }, spec)).toMatchObject({ changed: true });
			expect(world.ticketConfigurationItems(ticketId)).toEqual([]);
			expect(await removeConfigurationItem(ctx, { ticketId }, { by: 'id', value: String(seeded.configurationItem.id) })).toMatchObject({ changed: false });
		});
	});

	describe('callbacks', () => {
		it('registers, verifies a genuine callback into a neutral event, refuses a forged one, recognises its own change', async () => {
			const psa = provider();
			const registration = await psa.registerCallback({ url: world.callbackUrl, description: 'conformance', level: 'owner', objectId: 0, selfSuppressed: false });
			expect((await psa.listCallbacks()).map((callback) => callback.id)).toContain(registration.id);
			// Listed at the URL as given: a secret the PSA carries in the address (ConnectWise's token) is not shown.
			expect((await psa.listCallbacks()).find((callback) => callback.id === registration.id)?.url).toBe(world.callbackUrl);
			expect(registration.url).toBe(world.callbackUrl);
			if (psa.callbackSecrets) expect(registration.secret).toEqual(expect.any(String));
			try {
				const ctx = context();
				const target = { source: 'conformance', externalId: unique('callback') };
				const { ticketId } = await link(ctx, target, { summary: 'Callback', companyId: world.seeded.companyId, boardId: world.seeded.boardId });
				const [added] = await world.nextCallbacks(1);
				// The trigger hands back what registration returned (a PSA that signs each callback with its own secret needs it).
				const expected = { id: registration.id, guid: registration.guid, secret: registration.secret };
				const event = await psa.verifyCallback({ ...added, expected });
				expect(event).toMatchObject({ action: 'added', type: 'ticket', id: ticketId, externalReference: linkKeyOf(target.source, target.externalId) });
				expect(typeof event.updatedAt).toBe('string');
				expect(typeof event.updatedBy).toBe('string');
				const delivery = { workflowId: 'conformance', nodeId: unique('node'), rawBody: added.rawBody };
				const options = { rules: RULES, now: Date.now(), onDamaged: () => undefined, filteredOut: () => undefined };
				expect(await receiveEvent(ctx, event, { ...options, delivery })).toMatchObject({ accepted: false, reason: 'own change' });

				world.changeAsTechnician(ticketId, world.seeded.closedStatusIdOnBoard);
				const [updated] = await world.nextCallbacks(1);
				const technicians = await psa.verifyCallback({ ...updated, expected });
				expect(technicians).toMatchObject({ action: 'updated', id: ticketId });
				expect(await receiveEvent(ctx, technicians, { ...options, delivery: { ...delivery, rawBody: updated.rawBody } })).toMatchObject({
					accepted: true,
					link: { source: target.source, externalId: target.externalId },
				});
				const forged = Buffer.from(updated.rawBody.toString('utf8').replace(String(ticketId), String(ticketId + 1)), 'utf8');
				expect(await kindOf(psa.verifyCallback({ rawBody: forged, headers: updated.headers, expected }))).toBe('authentication');
			} finally {
				await psa.removeCallback(registration.id);
			}
		});
	});

	describe('the runtime follows the definition', () => {
		/** A provider built by a copy of the registered definition with `changes`: what the client does must follow them. */
		const changed = (changes: (definition: PsaProviderDefinition) => Partial<PsaProviderDefinition>, deps: Partial<ProviderDeps> = {}, credentials = world.credentials): PsaProvider => {
			const registered = definitionFor(world.credentialType);
			const definition: PsaProviderDefinition = { ...registered, ...changes(registered) };
			return definition.create(definition.settingsOf(credentials, false), world.deps({ cache: new PsaCache(), ...deps }));
		};

		it('retry policy: a request is sent as often as the definition\'s maxAttempts says', async () => {
			const twice = changed((definition) => ({ limits: { ...definition.limits, retry: { ...definition.limits.retry, maxAttempts: 2 } } }));
			world.throttle(2);
			const refused = await errorOf(twice.listPriorities());
			expect(isPsaError(refused, 'rate-limited') && refused.details.attempts).toBe(2);
			const thrice = changed((definition) => ({ limits: { ...definition.limits, retry: { ...definition.limits.retry, maxAttempts: 3 } } }));
			world.throttle(2);
			await expect(thrice.listPriorities()).resolves.toBeDefined();
		});

		it('limits: the definition\'s concurrency holds the requests in flight', async () => {
			const search = () => world.seeded.companySearch;
			const declared = countingTransport(world.deps().http, 25);
			const asDeclared = changed(() => ({}), { http: declared.http, sleep: realSleep });
			await Promise.all(Array.from({ length: 6 }, () => asDeclared.listCompanies({ search: search() })));
			expect(declared.maxInFlight()).toBeGreaterThan(1);

			const single = countingTransport(world.deps().http, 25);
			const events: RequestEvent[] = [];
			const oneAtATime = changed((definition) => ({ limits: { ...definition.limits, concurrency: 1 } }), {
				http: single.http,
				sleep: realSleep,
				onRequestEvent: (event) => events.push(event),
			});
			await Promise.all(Array.from({ length: 6 }, () => oneAtATime.listCompanies({ search: search() })));
			expect(single.maxInFlight()).toBe(1);
			expect(events.some((event) => event.kind === 'limiter-wait' && event.waitedMs > 0)).toBe(true);
		});

		it('version policy: the declared pin is used when the credential names none, and only the declared warnings are given', async () => {
			const drift = world.versionDrift();
			try {
				const pinned = changed((definition) => ({ versions: { ...definition.versions, defaultPin: drift.pinned } }));
				expect((await pinned.info()).pinnedApiVersion).toBe(drift.pinned);
				const silent = changed((definition) => ({ versions: { ...definition.versions, warns: [] } }), {}, drift.credentials);
				await silent.info();
				expect(silent.takeWarnings()).toEqual([]);
			} finally {
				drift.restore();
			}
		});

		it("settle window: the provider's outcomeSettleMs is the declared one, a deps override wins", () => {
			expect(changed((definition) => ({ outcomeSettleMs: definition.outcomeSettleMs + 1234 })).outcomeSettleMs).toBe(definitionFor(world.credentialType).outcomeSettleMs + 1234);
			expect(changed(() => ({}), { outcomeSettleMs: 5 }).outcomeSettleMs).toBe(5);
		});

		it('external reference: a key longer than the declared field is written hashed to fit it', async () => {
			// 47 characters: fits every provider's field as registered, not the 44 of the changed definition.
			const key = `alert:${unique('ref')}-`.padEnd(47, 'k');
			expect(provider().externalReferenceOf(key)).toBe(key);
			const shorter = changed((definition) => ({ externalReference: { ...definition.externalReference, maxLength: 44 } }));
			const reference = shorter.externalReferenceOf(key);
			expect(reference).toMatch(/^psa-sha256:[0-9a-f]{33}$/);
			await shorter.createTicket({ summary: 'Short field', companyId: world.seeded.companyId, externalRef: key });
			expect(world.ticketsWithReference(reference)).toBe(1);
			expect((await shorter.findTicketByExternalRef(key))?.externalRef).toBe(key);
		});
	});

	describe('request events', () => {
		it('report attempts, answers, retries and throttling, and never carry a key, secret or Authorization value', async () => {
			const events: RequestEvent[] = [];
			const credentialHeaders = new Set<string>();
			let failed = false;
			const inner = world.deps().http;
			// The first authenticated request fails with an error that quotes its headers (as a proxy's error page might).
			const http: HttpTransport = async (request: HttpRequest) => {
				const sent = Object.entries(request.headers ?? {}).filter(([name, value]) => /authorization|secret|key|integrationcode/i.test(name) && value.length >= 4);
				for (const [, value] of sent) credentialHeaders.add(value.replace(/^(basic|bearer)\s+/i, ''));
				if (sent.length > 0 && !failed) {
					failed = true;
					throw new Error(`socket hang up after sending ${JSON.stringify(request.headers)}`);
				}
				return inner(request);
			};
			const psa = provider(world.credentials, { http, onRequestEvent: (event: RequestEvent) => events.push(event) });
			await psa.listPriorities();
			world.throttle(1);
			await psa.createTicket({ summary: 'Observed', companyId: world.seeded.companyId, externalRef: unique('observed') });
			await kindOf(provider(world.wrongKeyCredentials, { onRequestEvent: (event: RequestEvent) => events.push(event) }).listBoards());

			const kinds = new Set(events.map((event) => event.kind));
			expect([...kinds]).toEqual(expect.arrayContaining(['attempt', 'answer', 'retry', 'throttled']));
			expect(events.every((event) => event.provider === fixture.name && typeof event.connectionId === 'string')).toBe(true);
			expect(events.find((event) => event.kind === 'retry' && event.reason === 'no-answer')).toMatchObject({ detail: expect.stringContaining('socket hang up') });
			const logged = JSON.stringify(events);
			expect(credentialHeaders.size).toBeGreaterThan(0);
			for (const secret of [...world.secrets, ...credentialHeaders]) expect(logged).not.toContain(secret);
		});
	});

	it('maps errors to PSA-neutral kinds', async () => {
		expect(await kindOf(provider(world.wrongKeyCredentials).listBoards())).toBe('authentication');
		expect(await kindOf(provider(world.restrictedCredentials).createTicket({ summary: 'x', companyId: world.seeded.companyId, externalRef: unique('denied') }))).toBe('permission');
		expect(await kindOf(provider().getTicket(987_654_321))).toBe('not-found');
		if ('credentials' in world.unsupportedVersion) expect(await kindOf(provider(world.unsupportedVersion.credentials).listPriorities())).toBe('version');
		else console.info(`conformance (${fixture.name}): no unsupported-version check: ${world.unsupportedVersion.reason}`);
		world.throttle(2);
		expect(await kindOf(provider(world.credentials, { retry: { maxAttempts: 2 } }).listPriorities())).toBe('rate-limited');
	});

	it('a rate-limited request is sent again, a create too (nothing was done)', async () => {
		const psa = provider();
		await psa.listPriorities();
		world.throttle(1);
		const reference = unique('throttled');
		await psa.createTicket({ summary: 'Throttled', companyId: world.seeded.companyId, externalRef: reference });
		expect(world.ticketsWithReference(reference)).toBe(1);
	});

	it('pins its API version and warns when the PSA offers a newer one', async () => {
		const drift = world.versionDrift();
		try {
			const pinned = provider(drift.credentials);
			const info = await pinned.info();
			expect(info.pinnedApiVersion).toBe(drift.pinned);
			expect(pinned.takeWarnings().map((warning) => warning.kind)).toContain('version-drift');
		} finally {
			drift.restore();
		}
		const current = provider();
		await current.info();
		expect(current.takeWarnings()).toEqual([]);
	});
});
