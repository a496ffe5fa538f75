// Echo rules over a real SQLite store: who made a change (updatedBy) decides, with the status fallback when nobody says.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PsaCache } from '../../lib/cache';
import { generateFernetKey } from '../../lib/crypto/fernet';
import type { PsaCallbackEvent, PsaProvider, PsaTicket } from '../../lib/providers/types';
import type { PsaServiceContext } from '../../lib/services/context';
import { confirmOwnChange, isRecentOwnChange, learnOwnIdentity, recordOwnChange } from '../../lib/services/echo';
import { rememberTicket } from '../../lib/services/ticket-state';
import { openStore, type PsaStore } from '../../lib/store';

const CONNECTION = 'connectwise:echo-rules';
let folder: string;
let store: PsaStore;
let ticketIds = 500;

beforeAll(async () => {
	folder = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-echo-rules-'));
	store = await openStore({ engine: 'sqlite', filename: path.join(folder, 'state.sqlite'), keys: [generateFernetKey()] });
});

afterAll(async () => {
	await store?.close();
	fs.rmSync(folder, { recursive: true, force: true });
});

/** A fresh process: its own cache (nothing learned yet), the shared store. Only the connection identity of the provider is used. */
function processContext(): PsaServiceContext {
	const connection = { provider: 'connectwise', connectionId: CONNECTION, site: 'echo.example', company: 'echo', label: 'echo rules' };
	return { provider: { connection } as PsaProvider, store, cache: new PsaCache(), now: Date.now };
}

function ticket(id: number, statusId: number, updatedBy?: string): PsaTicket {
	return {
		id,
		summary: 'Disk full',
		board: { id: 1, name: 'Help Desk' },
		status: { id: statusId, name: `status ${statusId}` },
		company: { id: 250, name: 'Acme' },
		closed: statusId === 104,
		...(updatedBy ? { updatedBy } : {}),
	};
}

function updated(id: number, statusId: number, updatedBy?: string): PsaCallbackEvent {
	return { action: 'updated', type: 'ticket', id, ticket: ticket(id, statusId, updatedBy), entity: updatedBy ? { _info: { updatedBy } } : {} };
}

it('a note by a process that knows our member: only our member\'s updates are ours, whatever the status', async () => {
	const ctx = processContext();
	const id = ticketIds++;
	learnOwnIdentity(ctx, CONNECTION, 'API');
	await recordOwnChange(ctx, id, { change: 'note' });
	expect(await isRecentOwnChange(ctx, id, { event: updated(id, 102, 'api') })).toBe(true);
	expect(await isRecentOwnChange(ctx, id, { event: updated(id, 102, 'jsmith') })).toBe(false);
	expect(await isRecentOwnChange(ctx, id, { event: updated(id, 104, 'jsmith') })).toBe(false);
});

it('a note by a process that never learned our member: an update showing another status than we knew is not ours', async () => {
	const writer = processContext();
	const id = ticketIds++;
	rememberTicket(writer.cache, CONNECTION, ticket(id, 102));
	await recordOwnChange(writer, id, { change: 'note' });
	const trigger = processContext();
	expect(await isRecentOwnChange(trigger, id, { event: updated(id, 104, 'jsmith') })).toBe(false);
	expect(await isRecentOwnChange(trigger, id, { event: updated(id, 104) })).toBe(false);
	// Same status, nobody named anywhere: the payload cannot tell our note from another edit, so it counts as ours.
	expect(await isRecentOwnChange(trigger, id, { event: updated(id, 102, 'jsmith') })).toBe(true);
});

it('the first status change of a process is recorded again with the member the PSA answered with', async () => {
	const ctx = processContext();
	const id = ticketIds++;
	const change = { change: 'status' as const, statusId: 103 };
	await recordOwnChange(ctx, id, change);
	await confirmOwnChange(ctx, id, change, 'api');
	const records = await store.audit.findRecent(CONNECTION, `own-change:ticket:${id}`, 0);
	expect(records.map((record) => record.detail)).toEqual([{ change: 'status', statusId: 103, by: 'api' }, { change: 'status', statusId: 103 }]);
	expect(await isRecentOwnChange(ctx, id, { event: updated(id, 103, 'api') })).toBe(true);
	expect(await isRecentOwnChange(ctx, id, { event: updated(id, 103, 'jsmith') })).toBe(false);
	// Once learned, later records carry the member and a confirmation adds nothing.
	const next = ticketIds++;
	await recordOwnChange(ctx, next, change);
	await confirmOwnChange(ctx, next, change, 'api');
	expect((await store.audit.findRecent(CONNECTION, `own-change:ticket:${next}`, 0)).map((record) => record.detail)).toEqual([{ change: 'status', statusId: 103, by: 'api' }]);
});

it('without updatedBy in the event the record rules stay: creation explains only added, status must match, deletes are never ours', async () => {
	const ctx = processContext();
	const id = ticketIds++;
	await recordOwnChange(ctx, id, { change: 'created' });
	await recordOwnChange(ctx, id, { change: 'status', statusId: 102 });
	expect(await isRecentOwnChange(ctx, id, { event: { ...updated(id, 102), action: 'added' } })).toBe(true);
	expect(await isRecentOwnChange(ctx, id, { event: updated(id, 102) })).toBe(true);
	expect(await isRecentOwnChange(ctx, id, { event: updated(id, 101) })).toBe(false);
	expect(await isRecentOwnChange(ctx, id, { event: { ...updated(id, 102), action: 'deleted' } })).toBe(false);
});
