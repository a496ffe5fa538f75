// PSA Link > Alert Event and the maintenance window operations through n8n's engine, on both PSAs: each rule's requests counted at the sandbox.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autotaskRequests, chainWorkflow, psaRequests, startAutotaskEngineFixture, startEngineFixture, AUTOTASK_CREDENTIAL, PSA_CREDENTIAL, type NodeSpec } from '../engine/setup';
import type { Engine } from '../engine/harness';

/** What the tests need of one PSA's sandbox, in the same words for both. */
interface Psa {
	name: string;
	engine: Engine;
	companyId: string;
	boardId: number;
	credentials: NodeSpec['credentials'];
	/** The work requests since the last reset (cached lookups left out). */
	requests(): Record<string, number>;
	/** Reads the provider's ticket update makes after its PATCH (Autotask answers a PATCH with the id only). */
	readsAfterUpdate: number;
	resetLog(): void;
	ticket(id: number): { closed: boolean; summary: string } | undefined;
	/** Notes on the ticket, oldest first. */
	notes(id: number): string[];
	/** A technician moves the ticket to an open "in progress" status in the PSA's UI. */
	personWorks(id: number): void;
	ticketsFor(summaryStart: string): number;
	close(): Promise<void>;
}

async function connectWise(): Promise<Psa> {
	const fx = await startEngineFixture();
	const find = (id: number) => fx.sandbox.db.tickets.find((candidate) => candidate.id === id);
	return {
		name: 'ConnectWise',
		engine: fx.engine,
		companyId: '250',
		boardId: 1,
		credentials: { connectWisePsaApi: PSA_CREDENTIAL },
		readsAfterUpdate: 0,
		requests: () => {
			const counts = psaRequests(fx.sandbox);
			// Board statuses are read once per cache period: not the rule's own cost.
			const statuses = counts['GET /service/boards/{parentId}/statuses'] ?? 0;
			delete counts['GET /service/boards/{parentId}/statuses'];
			counts.total -= statuses;
			return counts;
		},
		resetLog: () => fx.sandbox.resetLog(),
		ticket: (id) => {
			const found = find(id);
			return found ? { closed: found.closedFlag === true, summary: String(found.summary) } : undefined;
		},
		notes: (id) => fx.sandbox.db.notes.filter((note) => note.ticketId === id).map((note) => String(note.text)),
		personWorks: (id) => void fx.sandbox.changeTicket(id, { statusId: 102 }),
		ticketsFor: (start) => fx.sandbox.db.tickets.filter((candidate) => String(candidate.summary).startsWith(start)).length,
		close: () => fx.close(),
	};
}

async function autotask(): Promise<Psa> {
	const fx = await startAutotaskEngineFixture();
	const find = (id: number) => fx.sandbox.db.tickets.find((candidate) => candidate.id === id);
	return {
		name: 'Autotask',
		engine: fx.engine,
		companyId: '175',
		boardId: 8,
		credentials: { autotaskPsaApi: AUTOTASK_CREDENTIAL },
		readsAfterUpdate: 1,
		requests: () => autotaskRequests(fx.sandbox).work,
		resetLog: () => fx.sandbox.resetLog(),
		ticket: (id) => {
			const found = find(id);
			return found ? { closed: found.status === 5, summary: String(found.title) } : undefined;
		},
		notes: (id) => fx.sandbox.db.notes.filter((note) => note.ticketID === id).map((note) => String(note.description)),
		personWorks: (id) => {
			fx.sandbox.changeTicket(id, { status: 8 });
			// Autotask never names the member the package works as: the time tells, so the technician works a minute later.
			const later = new Date(Date.now() + 60_000).toISOString();
			Object.assign(find(id) as object, { lastTrackedModificationDateTime: later, lastActivityDate: later });
		},
		ticketsFor: (start) => fx.sandbox.db.tickets.filter((candidate) => String(candidate.title).startsWith(start)).length,
		close: () => fx.close(),
	};
}

describe.each([
	['ConnectWise', connectWise],
	['Autotask', autotask],
])('%s', (_name, start) => {
	let psa: Psa;

	beforeAll(async () => {
		psa = await start();
		// Warm the lookups (codebase or zone, the board's statuses) so the counts below are each rule's own.
		await run([eventNode('warm', 'firing'), { ...eventNode('warm', 'resolved'), name: 'Warm resolve' }]);
	});

	afterAll(async () => {
		await psa?.close();
	});

	function eventNode(externalId: string, state: string, alertOptions: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): NodeSpec {
		return {
			name: 'Alert',
			type: 'psaLink',
			credentials: psa.credentials,
			parameters: {
				...(psa.name === 'Autotask' ? { authentication: 'autotaskPsaApi' } : {}),
				operation: 'event',
				source: 'monitor',
				externalId,
				alertState: state,
				summary: `Alert ${externalId}`,
				company: { __rl: true, mode: 'id', value: psa.companyId },
				boardId: psa.boardId,
				whenClosed: 'new',
				additionalFields: {},
				alertOptions,
				...extra,
			},
		};
	}

	function windowNode(operation: string, parameters: Record<string, unknown>): NodeSpec {
		return {
			name: 'Window',
			type: 'psaLink',
			credentials: psa.credentials,
			parameters: { ...(psa.name === 'Autotask' ? { authentication: 'autotaskPsaApi' } : {}), operation, ...parameters },
		};
	}

	async function run(nodes: NodeSpec[], items?: Array<Record<string, unknown>>) {
		const result = await psa.engine.run(chainWorkflow(nodes, items));
		expect(result.error).toBeUndefined();
		return result;
	}

	async function event(externalId: string, state: string, alertOptions: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
		psa.resetLog();
		const result = await run([eventNode(externalId, state, alertOptions, extra)]);
		return { json: result.output('Alert')[0].json, requests: psa.requests() };
	}

	it('firing creates the ticket once (1 POST); a repeat writes "(2 occurrences)" into the summary (1 PATCH, plus the read the closed-ticket policy needs)', async () => {
		const first = await event('count-1', 'trigger', { occurrencesTo: 'summary' });
		expect(first.json).toMatchObject({ action: 'linked', state: 'firing', link: { created: true, occurrences: 1 } });
		expect(first.requests.total).toBe(1);
		// "Create a new ticket when closed" must know whether the ticket is closed: no PSA Trigger told, so it is read (1 GET).
		const again = await event('count-1', 'PROBLEM', { occurrencesTo: 'summary' });
		expect(again.json).toMatchObject({ action: 'linked', link: { created: false, occurrences: 2 }, occurrencesWritten: { to: 'summary', occurrences: 2 } });
		const writes = Object.entries(again.requests).filter(([request]) => !request.startsWith('GET ') && request !== 'total');
		expect(writes).toEqual([[psa.name === 'Autotask' ? 'PATCH /Tickets' : 'PATCH /service/tickets/{id}', 1]]);
		expect(again.requests.total).toBe(1 + 1 + psa.readsAfterUpdate);
		expect(psa.ticket(first.json.ticketId as number)?.summary).toBe('Alert count-1 (2 occurrences)');
		// Returned as it is when closed: the repeat needs no read, and writes only the count.
		const asIs = await event('count-1', 'firing', { occurrencesTo: 'summary' }, { whenClosed: 'as-is' });
		expect(asIs.json).toMatchObject({ occurrencesWritten: { to: 'summary', occurrences: 3 } });
		expect(asIs.requests.total).toBe(1 + psa.readsAfterUpdate);
		// Nowhere, returned as it is: a repeat costs nothing.
		expect((await event('count-1', 'firing', {}, { whenClosed: 'as-is' })).requests.total).toBe(0);
		expect(psa.ticket(first.json.ticketId as number)?.summary).toBe('Alert count-1 (3 occurrences)');
	});

	it('recovery of a ticket no person touched closes it (1 read, 1 PATCH); the same recovery again costs 0 requests', async () => {
		const fired = await event('untouched-1', 'firing');
		const recovered = await event('untouched-1', 'resolved');
		expect(recovered.json).toMatchObject({ action: 'closed', recovery: { decision: 'close' } });
		expect(recovered.requests.total).toBe(2);
		expect(psa.ticket(fired.json.ticketId as number)?.closed).toBe(true);
		const repeat = await event('untouched-1', 'ok');
		expect(repeat.json).toMatchObject({ action: 'closed', recovery: { deduplicated: true } });
		expect(repeat.requests.total).toBe(0);
	});

	it('recovery of a ticket a technician worked adds a "recovered" note and leaves it open (1 read, 1 note); never twice', async () => {
		const fired = await event('touched-1', 'firing');
		const ticketId = fired.json.ticketId as number;
		psa.personWorks(ticketId);
		const recovered = await event('touched-1', 'resolved');
		expect(recovered.json).toMatchObject({ action: 'noted', recovery: { decision: 'note' } });
		expect(String((recovered.json.recovery as { reason: string }).reason)).toMatch(psa.name === 'Autotask' ? /after this package's last change/ : /not by this package/);
		expect(recovered.requests.total).toBe(2);
		expect(psa.ticket(ticketId)?.closed).toBe(false);
		expect(psa.notes(ticketId).filter((text) => text.startsWith('Alert recovered'))).toHaveLength(1);
		expect((await event('touched-1', 'resolved')).requests.total).toBe(0);
		expect(psa.notes(ticketId).filter((text) => text.startsWith('Alert recovered'))).toHaveLength(1);
	});

	it('two runs of the same recovery at once (Concurrency 2): one decision, one close', async () => {
		const fired = await event('twice-1', 'firing');
		psa.resetLog();
		const both = await run([eventNode('twice-1', 'resolved', {}, { options: { concurrency: 2 } })], [{}, {}]);
		const actions = both.output('Alert').map((item) => item.json.action);
		expect(actions).toEqual(['closed', 'closed']);
		const requests = psa.requests();
		expect(Object.entries(requests).filter(([key]) => key.startsWith('PATCH')).reduce((sum, [, count]) => sum + count, 0)).toBe(1);
		expect(psa.ticket(fired.json.ticketId as number)?.closed).toBe(true);
	});

	it('flapping: the 4th change within 10 min is declared once with a note, and the ticket is neither closed nor opened while it flaps', async () => {
		const flapping = { flappingChanges: 4, flappingWithinMinutes: 10, flappingQuietMinutes: 15 };
		const fired = await event('flap-1', 'firing', flapping);
		const ticketId = fired.json.ticketId as number;
		psa.personWorks(ticketId);
		await event('flap-1', 'resolved', flapping);
		await event('flap-1', 'firing', flapping);
		const declared = await event('flap-1', 'resolved', flapping);
		expect(declared.json).toMatchObject({ action: 'flapping', flapping: { flapping: true, declared: true, changes: 4, withinMinutes: 10 } });
		expect(declared.requests.total).toBe(1);
		const still = await event('flap-1', 'firing', flapping);
		expect(still.json).toMatchObject({ action: 'flapping', flapping: { flapping: true, since: (declared.json.flapping as { since: number }).since } });
		expect((still.json.flapping as { declared?: boolean }).declared).toBeUndefined();
		expect(still.requests.total).toBe(0);
		expect(psa.notes(ticketId).filter((text) => text.startsWith('flapping: 4 changes in 10 min'))).toHaveLength(1);
		expect(psa.ticket(ticketId)?.closed).toBe(false);
	});

	it('maintenance window: alerts are held (0 requests); at its end the still-firing one gets its ticket once, the recovered one is dropped', async () => {
		const now = Date.now();
		const set = await run([windowNode('setWindow', { windowId: `night-${psa.name}`, startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), sourcePattern: 'monitor', externalIdPattern: 'maint-*' })]);
		expect(set.output('Window')[0].json).toMatchObject({ id: `night-${psa.name}`, state: 'active' });
		const held = await event('maint-web01', 'firing');
		expect(held.json).toMatchObject({ action: 'held', ticketId: null, held: { windowId: `night-${psa.name}`, heldEvents: 1 } });
		expect(held.requests.total).toBe(0);
		expect((await event('maint-web01', 'firing')).json).toMatchObject({ held: { heldEvents: 2 } });
		await event('maint-db01', 'firing');
		expect((await event('maint-db01', 'resolved')).requests.total).toBe(0);
		expect(psa.ticketsFor('Alert maint-')).toBe(0);

		// The window is ended early (set again with an end in the past), then released by the scheduled operation.
		await run([windowNode('setWindow', { windowId: `night-${psa.name}`, startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(Date.now() - 1).toISOString(), sourcePattern: 'monitor', externalIdPattern: 'maint-*' })]);
		psa.resetLog();
		const released = await run([windowNode('releaseWindows', {})]);
		const summary = released.output('Window')[0].json;
		expect(summary).toMatchObject({
			windowId: `night-${psa.name}`,
			released: true,
			tickets: [{ source: 'monitor', externalId: 'maint-web01', created: true, heldEvents: 2 }],
			dropped: [{ source: 'monitor', externalId: 'maint-db01', heldEvents: 2 }],
			failed: [],
		});
		expect(psa.requests().total).toBe(1);
		expect(psa.ticketsFor('Alert maint-')).toBe(1);

		// Released once: a second release (another worker's schedule) finds nothing to do, and an event after it is handled normally.
		psa.resetLog();
		expect(released.output('Window')).toHaveLength(1);
		expect((await run([windowNode('releaseWindows', {})])).output('Window')).toHaveLength(0);
		expect(psa.requests().total).toBe(0);
		const after = await event('maint-web01', 'firing');
		expect(after.json).toMatchObject({ action: 'linked', link: { created: false } });
		const listed = await run([windowNode('listWindows', { includeReleased: true })]);
		expect(listed.output('Window').map((item) => item.json)).toEqual(expect.arrayContaining([expect.objectContaining({ id: `night-${psa.name}`, state: 'released' })]));
	});

	it('a window set with neither company nor pattern, or ending before it starts, is refused with what to do', async () => {
		const bad = await psa.engine.run(chainWorkflow([{ ...windowNode('setWindow', { startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 60_000).toISOString() }), continueOnFail: true }]));
		expect(String(bad.output('Window')[0].json.error)).toMatch(/needs a company, a source pattern or an external ID pattern/);
		const backwards = await psa.engine.run(chainWorkflow([{ ...windowNode('setWindow', { sourcePattern: '*', startsAt: new Date().toISOString(), endsAt: new Date(Date.now() - 60_000).toISOString() }), continueOnFail: true }]));
		expect(String(backwards.output('Window')[0].json.error)).toMatch(/Ends At must be after Starts At/);
		const state = await psa.engine.run(chainWorkflow([{ ...eventNode('bad-state', 'sideways'), continueOnFail: true }]));
		expect(String(state.output('Alert')[0].json.error)).toMatch(/neither firing nor resolved/);
	});
});

describe('the examples (docs/examples), as exported, on ConnectWise', () => {
	let fx: Awaited<ReturnType<typeof startEngineFixture>>;
	const example = (file: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'examples', file), 'utf8'));
	const ticketsFor = (summary: string) => fx.sandbox.db.tickets.filter((ticket) => String(ticket.summary).startsWith(summary));

	beforeAll(async () => {
		fx = await startEngineFixture();
		fx.engine.addCredential({ id: 'psaBridgeSandbox', name: 'ConnectWise PSA sandbox', type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site } });
	});

	afterAll(async () => {
		await fx?.close();
	});

	it('alert-event-recovery: fires, fires again (same ticket, counted), recovers (closed: nobody touched it)', async () => {
		const run = await fx.engine.run(example('alert-event-recovery.json'));
		expect(run.error).toBeUndefined();
		expect(run.output('Alert fires')[0].json).toMatchObject({ action: 'linked', link: { created: true } });
		expect(run.output('Alert fires again')[0].json).toMatchObject({ action: 'linked', link: { created: false, occurrences: 2 } });
		expect(run.output('Alert recovers')[0].json).toMatchObject({ action: 'closed' });
		expect(ticketsFor('Demo alert disk-web02')).toHaveLength(1);
		expect(ticketsFor('Demo alert disk-web02')[0].closedFlag).toBe(true);
	});

	it('alert-event-flapping: five events, the 4th change declares the flap: one flapping note, the ticket open when the flap began stays open', async () => {
		const run = await fx.engine.run(example('alert-event-flapping.json'));
		expect(run.error).toBeUndefined();
		expect(run.output('Alert events').map((item) => item.json.action)).toEqual(['linked', 'closed', 'linked', 'flapping', 'flapping']);
		const tickets = ticketsFor('Demo alert ping-router7');
		// The recovery before the flap closed the first ticket; the re-fire made the next one (When Closed: new), which the flap leaves open.
		expect(tickets).toHaveLength(2);
		expect(tickets[1].closedFlag).toBe(false);
		expect(fx.sandbox.db.notes.filter((note) => String(note.text).startsWith('flapping: 4 changes in 10 min'))).toHaveLength(1);
	});

	it('maintenance-window: the alert is held, ending the window gives it its ticket once; the scheduled release finds nothing left', async () => {
		const run = await fx.engine.run(example('maintenance-window.json'));
		expect(run.error).toBeUndefined();
		expect(run.output('Alert during window')[0].json).toMatchObject({ action: 'held', held: { windowId: 'demo-patch-night' } });
		expect(run.output('End window now')[0].json).toMatchObject({ deleted: true, release: { tickets: [{ externalId: 'web03-http', created: true }] } });
		expect(ticketsFor('Demo alert web03-http')).toHaveLength(1);
		const release = await fx.engine.run(example('maintenance-window-release.json'));
		expect(release.error).toBeUndefined();
		expect(release.output('Release ended windows')).toHaveLength(0);
	});
});
