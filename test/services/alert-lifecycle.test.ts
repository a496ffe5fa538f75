// Alert lifecycle rules on a virtual clock (flapping's quiet period, a window's lazy release) and PSA Trigger's catch-up against the sandbox's own change log.
import type { PsaTicketSearch } from '../../lib/providers/types';
import { handleAlertEvent, type AlertEventOptions } from '../../lib/services/alert';
import { catchUp } from '../../lib/services/catch-up';
import { setStatus } from '../../lib/services/status';
import { receiveEvent, type TriggerContext } from '../../lib/services/trigger';
import { filteredOut, type TriggerSettings } from '../../lib/services/trigger-filter';
import { connectionOf } from '../../lib/services/context';
import { listWindows, releaseWindow, setWindow } from '../../lib/services/windows';
import { useServiceFixture } from '../helpers/services';

let clock = Date.parse('2026-05-01T10:00:00Z');
/** The catch-up compares the store's times with the sandbox's real-time stamps: it runs on the real clock. */
let realTime = false;
const fx = useServiceFixture('psa-alert-lifecycle-', { clock: () => (realTime ? Date.now() : clock) });
const minutes = (count: number) => count * 60_000;

const fields = (externalId: string) => ({ summary: `Alert ${externalId}`, companyId: 250, boardId: 1 });
const flapping: AlertEventOptions = { flapping: { changes: 4, withinMinutes: 10, quietMinutes: 15 }, whenClosed: 'new' };

it('flapping ends with the first event after the quiet period, which is handled normally (the recovery closes the untouched ticket)', async () => {
	const ctx = fx.context();
	const send = (state: 'firing' | 'resolved') => handleAlertEvent(ctx, { target: { source: 'mon', externalId: 'flap-q' }, state, fields: fields('flap-q') }, flapping);
	const first = await send('firing');
	for (const state of ['resolved', 'firing'] as const) {
		clock += minutes(1);
		expect((await send(state)).action).not.toBe('flapping');
	}
	clock += minutes(1);
	const declared = await send('resolved');
	expect(declared).toMatchObject({ action: 'flapping', flapping: { declared: true, changes: 4 } });
	// Still within the quiet period after the last change: held, the ticket untouched.
	clock += minutes(14);
	expect((await send('resolved')).action).toBe('flapping');
	clock += minutes(2);
	const normal = await send('resolved');
	expect(normal).toMatchObject({ action: 'closed', flapping: { flapping: false, ended: true } });
	expect(fx.sandbox.db.tickets.find((ticket) => ticket.id === first.ticketId)?.closedFlag).toBe(true);
	// The next burst needs its own 4 changes: the changes that made the last flap do not count again.
	clock += minutes(1);
	expect((await send('firing')).action).toBe('linked');
});

it('a window that ended is released by the next event of an alert it covers, before that event is handled', async () => {
	const ctx = fx.context();
	await setWindow(ctx, { id: 'lazy-1', companyId: 250, startsAt: clock - minutes(1), endsAt: clock + minutes(30) });
	const held = await handleAlertEvent(ctx, { target: { source: 'mon', externalId: 'lazy-a' }, state: 'firing', fields: fields('lazy-a') });
	expect(held.action).toBe('held');
	clock += minutes(31);
	const next = await handleAlertEvent(ctx, { target: { source: 'mon', externalId: 'lazy-b' }, state: 'firing', fields: fields('lazy-b') });
	expect(next).toMatchObject({ action: 'linked', releasedWindows: [{ windowId: 'lazy-1', released: true, tickets: [{ externalId: 'lazy-a', created: true }] }] });
	expect(fx.sandbox.db.tickets.filter((ticket) => String(ticket.summary).startsWith('Alert lazy-'))).toHaveLength(2);
});

it('a window release that fails gives back its own lease only, not that of a window whose id starts with its id', async () => {
	const ctx = fx.context();
	const connectionId = await connectionOf(ctx);
	await setWindow(ctx, { id: 'lease', sourcePattern: 'lease-one', startsAt: clock - minutes(1), endsAt: clock + minutes(30) });
	await setWindow(ctx, { id: 'lease-2', sourcePattern: 'lease-two', startsAt: clock - minutes(1), endsAt: clock + minutes(30) });
	// One alert held in each; the first one's company does not exist, so its release fails (and is to be tried again).
	expect((await handleAlertEvent(ctx, { target: { source: 'lease-one', externalId: 'x' }, state: 'firing', fields: { ...fields('x'), companyId: 987_654 } })).action).toBe('held');
	expect((await handleAlertEvent(ctx, { target: { source: 'lease-two', externalId: 'y' }, state: 'firing', fields: fields('y') })).action).toBe('held');
	clock += minutes(31);
	const windows = await listWindows(ctx, { includeReleased: false });
	const window = (id: string) => windows.find((candidate) => candidate.id === id)!;
	// A run releasing "lease-2" holds that window's lease while its ticket is being created.
	let open = () => undefined as void;
	const gate = new Promise<void>((resolve) => (open = resolve));
	let creating = false;
	const slow = fx.context();
	const provider = Object.create(slow.provider) as typeof slow.provider;
	provider.createTicket = async (...args) => {
		creating = true;
		await gate;
		return slow.provider.createTicket(...args);
	};
	const first = releaseWindow({ ...slow, provider }, connectionId, window('lease-2'));
	let settled: unknown;
	void first.then((value) => (settled = value ?? 'undefined'), (error: unknown) => (settled = error));
	while (!creating && settled === undefined) await new Promise((resolve) => setImmediate(resolve));
	expect(settled).toBeUndefined();
	const failed = await releaseWindow(ctx, connectionId, window('lease'));
	expect(failed.failed).toHaveLength(1);
	// Another run finds "lease-2" still held: the failed release gave back only its own lease. (Had it taken the lease,
	// it would wait on the first run's claim of the alert's link; the race names that instead of the test's timeout.)
	const again = releaseWindow(fx.context(), connectionId, window('lease-2'));
	const tookLease = new Promise((resolve) => setTimeout(() => resolve('still releasing after 5 s: it took the lease'), 5000).unref());
	expect(await Promise.race([again, tookLease])).toMatchObject({ released: false, tickets: [] });
	open();
	expect(await first).toMatchObject({ released: true, tickets: [{ externalId: 'y', created: true }] });
	expect(fx.sandbox.db.tickets.filter((ticket) => ticket.summary === 'Alert y')).toHaveLength(1);
});

describe('PSA Trigger catch-up', () => {
	const settings: TriggerSettings = {
		events: ['added', 'updated'],
		statusIds: [],
		ticketState: 'any',
		ignoreOwnChanges: true,
		echoWindowMs: 120_000,
		maxEventAgeMs: minutes(15),
		includeEntity: false,
		linkedOnly: false,
	};
	const scope = { workflowId: 'wf-catch-up', nodeId: 'trigger-1' };
	let searches: PsaTicketSearch[] = [];

	/** The service context, its provider's ticket search counted. */
	function triggerContext(): TriggerContext {
		const ctx = fx.context({ now: Date.now });
		const provider = Object.create(ctx.provider) as typeof ctx.provider;
		provider.searchTickets = async (query) => {
			searches.push(query);
			return ctx.provider.searchTickets(query);
		};
		return { provider, cache: ctx.cache, now: Date.now, store: async () => fx.store, warn: () => undefined };
	}

	beforeEach(() => {
		searches = [];
		realTime = true;
	});

	it('the first catch-up only sets the watermark; a change made while n8n was down starts one run, once; its late callback starts none', async () => {
		const ctx = triggerContext();
		// The tests above changed tickets moments ago: out of the watermark's second (the catch-up reads from its whole second).
		await new Promise((resolve) => setTimeout(resolve, 1100));
		const first = await catchUp(ctx, scope, settings);
		expect(first).toMatchObject({ items: [], watermarkBefore: null });
		expect(searches).toHaveLength(0);

		const ticket = fx.sandbox.addTicket({ summary: 'Printer jam', company: { id: 250 }, board: { id: 1 } });
		// Seeded tickets carry the seed time; the technician's change is what is missed.
		await new Promise((resolve) => setTimeout(resolve, 1100));
		fx.sandbox.changeTicket(ticket.id as number, { statusId: 102 });
		const caught = await catchUp(ctx, scope, settings);
		expect(caught.items).toHaveLength(1);
		// Created after the watermark and never seen: the run is the creation's, with the ticket as it is now.
		expect(caught.items[0]).toMatchObject({ action: 'added', ticketId: ticket.id, updatedBy: 'jsmith', ticket: { status: { id: 102 } } });
		expect(searches[0]).toMatchObject({ where: { match: 'all', conditions: [{ field: 'updatedAt', operator: 'gte' }] } });

		// The next catch-up reads from the new watermark and starts nothing more.
		expect((await catchUp(ctx, scope, settings)).items).toHaveLength(0);

		// The PSA's callback for the same change arrives late: it starts no run.
		const serviceContext = { ...fx.context({ now: Date.now }), provider: ctx.provider };
		const current = await ctx.provider.getTicket(ticket.id as number);
		const late = await receiveEvent(
			serviceContext,
			{ action: 'updated', type: 'ticket', id: current.id, updatedAt: current.updatedAt, updatedBy: current.updatedBy, ticket: current, entity: {} },
			{ rules: settings, delivery: { ...scope, rawBody: Buffer.from(`late-${current.id}`) }, now: Date.now(), filteredOut: (event) => filteredOut(event, settings, ctx.provider.callbackLevels), onDamaged: () => undefined },
		);
		expect(late).toMatchObject({ accepted: false, reason: 'change already seen' });

		// A later change of a ticket this trigger has seen is an update.
		await new Promise((resolve) => setTimeout(resolve, 1100));
		fx.sandbox.changeTicket(ticket.id as number, { statusId: 103 });
		expect((await catchUp(ctx, scope, settings)).items).toMatchObject([{ action: 'updated', ticketId: ticket.id, ticket: { status: { id: 103 } } }]);
	});

	it('a change its callback already delivered is skipped by the catch-up; the package\'s own change is skipped as an echo', async () => {
		const ctx = triggerContext();
		await catchUp(ctx, scope, settings);
		const ticket = fx.sandbox.addTicket({ summary: 'VPN down', company: { id: 250 }, board: { id: 1 } });
		await new Promise((resolve) => setTimeout(resolve, 1100));
		fx.sandbox.changeTicket(ticket.id as number, { statusId: 102 });
		const serviceContext = { ...fx.context({ now: Date.now }), provider: ctx.provider };
		const current = await ctx.provider.getTicket(ticket.id as number);
		const delivered = await receiveEvent(
			serviceContext,
			{ action: 'updated', type: 'ticket', id: current.id, updatedAt: current.updatedAt, updatedBy: current.updatedBy, ticket: current, entity: {} },
			{ rules: settings, delivery: { ...scope, rawBody: Buffer.from(`cb-${current.id}`) }, now: Date.now(), filteredOut: (event) => filteredOut(event, settings, ctx.provider.callbackLevels), onDamaged: () => undefined },
		);
		expect(delivered.accepted).toBe(true);
		const caught = await catchUp(ctx, scope, settings);
		expect(caught.items.map((item) => item.ticketId)).not.toContain(ticket.id);
		expect(caught.skipped).toEqual(expect.arrayContaining([{ ticketId: ticket.id, reason: 'change already seen' }]));

		// A person creates a ticket and the package moves it before the catch-up: the person's creation was missed, so it
		// runs once (as added); the package's later move of that ticket is its own change, skipped as an echo.
		const own = fx.sandbox.addTicket({ summary: 'Own change', company: { id: 250 }, board: { id: 1 } });
		await new Promise((resolve) => setTimeout(resolve, 1100));
		await setStatus(serviceContext, { ticketId: own.id as number }, { by: 'id', statusId: 102 });
		const created = await catchUp(ctx, scope, settings);
		expect(created.items).toMatchObject([{ action: 'added', ticketId: own.id, updatedBy: 'api' }]);
		await new Promise((resolve) => setTimeout(resolve, 1100));
		await setStatus(serviceContext, { ticketId: own.id as number }, { by: 'id', statusId: 103 });
		const after = await catchUp(ctx, scope, settings);
		expect(after.items).toEqual([]);
		expect(after.skipped).toEqual([{ ticketId: own.id, reason: 'own change' }]);
	});
});
