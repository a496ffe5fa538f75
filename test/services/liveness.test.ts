// Time to a ticket under 5xx: an error the PSA's application answered is settled by a search at once; a gateway's or a lost answer keeps the window, polled.
import { join } from 'node:path';
import { addNote, link, type PsaServiceContext } from '../../lib/services';
import { openStore } from '../../lib/store';
import type { PsaStore } from '../../lib/store/types';
import { useServiceFixture } from '../helpers/services';

const fixture = useServiceFixture('psa-liveness-', { perTest: true });

/** A store and contexts on one fake clock that the services' own pauses move forward. */
async function clocked(): Promise<{ clock: { t: number }; store: PsaStore; make: () => PsaServiceContext }> {
	const clock = { t: Date.now() };
	const store = await openStore({ engine: 'sqlite', filename: join(fixture.folder, 'clocked.sqlite'), clock: () => clock.t });
	const make = (): PsaServiceContext => ({
		...fixture.context({ store, now: () => clock.t }),
		delay: async (ms: number) => {
			clock.t += ms;
		},
	});
	return { clock, store, make };
}

const fields = { summary: 'Disk full on db-1', companyId: 250, boardId: 1 };
const ticketsWithRef = (ref: string) => fixture.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === ref);
const createsAndSearches = () =>
	fixture.sandbox.requests.filter((entry) => entry.path === '/service/tickets' && (entry.method === 'POST' || entry.query.conditions?.includes('externalXRef'))).map((entry) => `${entry.method} ${entry.status}`);

it("a create ConnectWise answers with its own 500 is looked up at once and, absent, created again in the same call", async () => {
	const { store, make } = await clocked();
	try {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 500 });
		const result = await link(make(), { source: 'zabbix', externalId: 'a1' }, fields);
		expect(result).toMatchObject({ created: true, state: 'linked' });
		expect(ticketsWithRef('zabbix:a1')).toHaveLength(1);
		expect(createsAndSearches()).toEqual(['POST 500', 'GET 200', 'POST 201']);
	} finally {
		await store.close();
	}
});

it('a create that committed before its 500 is found by the search and adopted, never created twice', async () => {
	const { store, make } = await clocked();
	try {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 500, afterCommit: true });
		const result = await link(make(), { source: 'zabbix', externalId: 'a2' }, fields);
		expect(result).toMatchObject({ created: true, recovered: true });
		expect(ticketsWithRef('zabbix:a2')).toHaveLength(1);
		expect(createsAndSearches()).toEqual(['POST 500', 'GET 200']);
	} finally {
		await store.close();
	}
});

it('three answered 500s in a row: the call fails as a definite refusal, the claim is released, and the next call creates at once', async () => {
	const { store, make } = await clocked();
	try {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 500, times: 3 });
		const failed = await link(make(), { source: 'zabbix', externalId: 'a3' }, fields).catch((error: unknown) => error);
		expect(failed).toMatchObject({ kind: 'unavailable', details: { refused: true, outcomeUnknown: false } });
		const connectionId = make().provider.connection.connectionId;
		expect(await store.links.find(connectionId, 'zabbix', 'a3')).toBeUndefined();
		expect(ticketsWithRef('zabbix:a3')).toHaveLength(0);
		expect(await link(make(), { source: 'zabbix', externalId: 'a3' }, fields)).toMatchObject({ created: true });
		expect(ticketsWithRef('zabbix:a3')).toHaveLength(1);
	} finally {
		await store.close();
	}
});

it("a gateway's 504 keeps the claim pending; a later call polls the PSA and links the late commit before the window ends", async () => {
	const { clock, store, make } = await clocked();
	try {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 504 });
		const failed = await link(make(), { source: 'zabbix', externalId: 'a4' }, fields).catch((error: unknown) => error);
		expect(failed).toMatchObject({ kind: 'unavailable', details: { outcomeUnknown: true } });
		const connectionId = make().provider.connection.connectionId;
		expect(await store.links.find(connectionId, 'zabbix', 'a4')).toMatchObject({ state: 'pending' });
		// The application commits after the gateway gave up (the ticket appears 20 s later).
		clock.t += 20_000;
		const late = fixture.sandbox.addTicket({ summary: fields.summary, company: { id: 250 }, externalXRef: 'zabbix:a4' });
		const result = await link(make(), { source: 'zabbix', externalId: 'a4' }, fields);
		expect(result).toMatchObject({ ticketId: late.id, recovered: true, state: 'linked' });
		expect(ticketsWithRef('zabbix:a4')).toHaveLength(1);
	} finally {
		await store.close();
	}
});

it("a gateway's 504 with nothing committed: polls find nothing, the call waits and reports; after the window the next call creates", async () => {
	const { clock, store, make } = await clocked();
	try {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 504 });
		await expect(link(make(), { source: 'zabbix', externalId: 'a5' }, fields)).rejects.toMatchObject({ details: { outcomeUnknown: true } });
		clock.t += 30_000;
		await expect(link(make(), { source: 'zabbix', externalId: 'a5' }, fields)).rejects.toMatchObject({ kind: 'conflict' });
		expect(ticketsWithRef('zabbix:a5')).toHaveLength(0);
		clock.t += make().provider.outcomeSettleMs;
		expect(await link(make(), { source: 'zabbix', externalId: 'a5' }, fields)).toMatchObject({ created: true });
		expect(ticketsWithRef('zabbix:a5')).toHaveLength(1);
	} finally {
		await store.close();
	}
});

it('an answered create whose search fails leaves the claim for the next attempt to take over at once, not after the window', async () => {
	const { store, make } = await clocked();
	try {
		fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'status', status: 500, afterCommit: true });
		// The search by link key fails on every attempt the request layer makes.
		fixture.sandbox.addFault({ method: 'GET', path: '/service/tickets', kind: 'status', status: 503, times: 10 });
		await expect(link(make(), { source: 'zabbix', externalId: 'a6' }, fields)).rejects.toMatchObject({ kind: 'unavailable' });
		fixture.sandbox.clearFaults();
		const connectionId = make().provider.connection.connectionId;
		expect(await store.links.find(connectionId, 'zabbix', 'a6')).toMatchObject({ state: 'pending' });
		// No time passes: the next attempt takes the claim over, searches, and adopts the committed ticket.
		expect(await link(make(), { source: 'zabbix', externalId: 'a6' }, fields)).toMatchObject({ recovered: true, state: 'linked' });
		expect(ticketsWithRef('zabbix:a6')).toHaveLength(1);
	} finally {
		await store.close();
	}
});

describe('a keyed note', () => {
	const noteRequests = () => fixture.sandbox.requests.filter((entry) => /^\/service\/tickets\/\d+\/notes$/.test(entry.path)).map((entry) => `${entry.method} ${entry.status}`);

	it("ConnectWise's own 500 on the post: the notes are read at once and, none there, the note is posted again in the same call", async () => {
		const { store, make } = await clocked();
		try {
			const ticket = await link(make(), { source: 'zabbix', externalId: 'n1' }, fields);
			fixture.sandbox.resetLog();
			fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets/{parentId}/notes', kind: 'status', status: 500 });
			const result = await addNote(make(), { ticket: { ticketId: ticket.ticketId }, text: 'Disk at 99%', type: 'internal', dedupeKey: 'n1-a' });
			expect(result).toMatchObject({ deduplicated: false });
			expect(fixture.sandbox.db.notes.filter((note) => note.ticketId === ticket.ticketId && note.text === 'Disk at 99%')).toHaveLength(1);
			expect(noteRequests()).toEqual(['POST 500', 'GET 200', 'POST 201']);
		} finally {
			await store.close();
		}
	});

	it('a 500 after the note was posted: the note is adopted from the ticket, never posted twice', async () => {
		const { store, make } = await clocked();
		try {
			const ticket = await link(make(), { source: 'zabbix', externalId: 'n2' }, fields);
			fixture.sandbox.addFault({ method: 'POST', path: '/service/tickets/{parentId}/notes', kind: 'status', status: 500, afterCommit: true });
			const result = await addNote(make(), { ticket: { ticketId: ticket.ticketId }, text: 'Disk at 98%', type: 'internal', dedupeKey: 'n2-a' });
			expect(result).toMatchObject({ recovered: true });
			expect(fixture.sandbox.db.notes.filter((note) => note.ticketId === ticket.ticketId && note.text === 'Disk at 98%')).toHaveLength(1);
			expect(await addNote(make(), { ticket: { ticketId: ticket.ticketId }, text: 'Disk at 98%', type: 'internal', dedupeKey: 'n2-a' })).toMatchObject({ deduplicated: true });
		} finally {
			await store.close();
		}
	});
});
