// The note service and the record-once protocol (time entries) on a real SQLite store and the sandbox: dedupe keys survive abandoned attempts, failed searches, busy tickets and answers that come long after the claim.
import { PsaError } from '../../lib/providers/errors';
import { CONNECTWISE_OUTCOME_SETTLE_MS } from '../../lib/providers/connectwise';
import { addNote, addTimeEntry, type PsaServiceContext } from '../../lib/services';
import { useServiceFixture } from '../helpers/services';

/** The note service treats a pending receipt as abandoned after the provider's settle window. */
const STALE_AFTER_MS = CONNECTWISE_OUTCOME_SETTLE_MS;

// One fake clock for the store and the service: receipts age without waiting.
const clock = { t: Date.now() };
const fixture = useServiceFixture('psa-note-service-', { clock: () => clock.t });

beforeEach(() => {
	clock.t = Date.now();
});

async function newTicket(ctx: PsaServiceContext, summary: string): Promise<number> {
	return (await ctx.provider.createTicket({ summary, companyId: 250, externalRef: `note-test:${summary}` })).id;
}

/** The PSA commits each write, and its answer, an application error, comes 5 minutes after the claim. */
function answerLate(ctx: PsaServiceContext, method: 'addNote' | 'addTimeEntry'): { calls: number } {
	const writes = { calls: 0 };
	const real = (ctx.provider[method] as (...args: unknown[]) => Promise<unknown>).bind(ctx.provider);
	(ctx.provider as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
		writes.calls++;
		await real(...args);
		clock.t += 5 * 60_000;
		throw new PsaError('unavailable', 'ConnectWise failed (500)', { status: 500, answered: true });
	};
	return writes;
}

const notesWithText = (ticketId: number, text: string) => fixture.sandbox.db.notes.filter((note) => note.ticketId === ticketId && note.text === text);

it('a takeover whose note search fails keeps the receipt (marked search-first), so the next attempt adopts the note instead of posting it again', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	const ticketId = await newTicket(ctx, 'search-fails');
	// A worker claimed the key, posted the note and died before marking it posted.
	await fixture.store.noteReceipts.claim(connectionId, 'k-search', ticketId, 'dead-worker');
	const posted = await ctx.provider.addNote({ ticketId, text: 'Alert resolved', type: 'internal' });
	clock.t += STALE_AFTER_MS + 1000;

	const realList = ctx.provider.listNotes.bind(ctx.provider);
	let failures = 1;
	ctx.provider.listNotes = async (...args) => {
		if (failures-- > 0) throw new PsaError('unavailable', 'ConnectWise failed (503)', { status: 503 });
		return realList(...args);
	};
	const input = { ticket: { ticketId }, text: 'Alert resolved', type: 'internal' as const, dedupeKey: 'k-search' };
	await expect(addNote(ctx, input)).rejects.toThrow(/may already be on ticket \d+ \(an earlier attempt was abandoned\), and reading the ticket's notes failed: .*503/);
	expect(await fixture.store.noteReceipts.find(connectionId, 'k-search')).toMatchObject({ state: 'pending', searchFirst: true });

	clock.t += STALE_AFTER_MS + 1000;
	const second = await addNote(ctx, input);
	expect(second).toMatchObject({ recovered: true, noteId: posted.id, deduplicated: false });
	expect(notesWithText(ticketId, 'Alert resolved')).toHaveLength(1);
	expect(await addNote(ctx, input)).toMatchObject({ deduplicated: true, noteId: posted.id });
});

it('on a busy ticket (more than 100 notes) the lost note is found among the newest notes and not posted again', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	const ticketId = await newTicket(ctx, 'busy');
	for (let i = 0; i < 120; i++) await ctx.provider.addNote({ ticketId, text: `monitor ping ${i}`, type: 'internal' });
	await fixture.store.noteReceipts.claim(connectionId, 'k-busy', ticketId, 'dead-worker');
	const posted = await ctx.provider.addNote({ ticketId, text: 'Alert resolved', type: 'internal' });
	clock.t += STALE_AFTER_MS + 1000;

	const result = await addNote(ctx, { ticket: { ticketId }, text: 'Alert resolved', type: 'internal', dedupeKey: 'k-busy' });
	expect(result).toMatchObject({ recovered: true, noteId: posted.id });
	expect(notesWithText(ticketId, 'Alert resolved')).toHaveLength(1);
	expect(fixture.sandbox.db.notes.filter((note) => note.ticketId === ticketId)).toHaveLength(121);
});

it('an identical note posted well before the receipt was claimed is not adopted: the note is posted', async () => {
	const ctx = fixture.context();
	const connectionId = ctx.provider.connection.connectionId;
	const ticketId = await newTicket(ctx, 'old-identical');
	// The same text from an earlier alert cycle, 30 minutes before this dedupe key was first claimed.
	const earlier = await ctx.provider.addNote({ ticketId, text: 'Alert resolved', type: 'internal' });
	clock.t += 30 * 60_000;
	await fixture.store.noteReceipts.claim(connectionId, 'k-old', ticketId, 'dead-worker');
	clock.t += STALE_AFTER_MS + 1000;

	const result = await addNote(ctx, { ticket: { ticketId }, text: 'Alert resolved', type: 'internal', dedupeKey: 'k-old' });
	expect(result.recovered).toBeUndefined();
	expect(result.noteId).not.toBe(earlier.id);
	expect(notesWithText(ticketId, 'Alert resolved')).toHaveLength(2);
});

it('a note whose post was answered with an error long after the claim (slow PSA, retries) is still adopted: the window starts at the claim', async () => {
	const ctx = fixture.context();
	const ticketId = await newTicket(ctx, 'slow-answer');
	const writes = answerLate(ctx, 'addNote');
	const result = await addNote(ctx, { ticket: { ticketId }, text: 'Disk full on db-7', type: 'internal', dedupeKey: 'k-slow' });
	expect(result).toMatchObject({ recovered: true, deduplicated: false });
	expect(writes.calls).toBe(1);
	expect(notesWithText(ticketId, 'Disk full on db-7')).toHaveLength(1);
});

it('a time entry whose write was answered with an error long after the claim is still adopted by its marker (record-once window starts at the claim)', async () => {
	const ctx = fixture.context();
	const ticketId = await newTicket(ctx, 'slow-time-entry');
	const writes = answerLate(ctx, 'addTimeEntry');
	const result = await addTimeEntry(ctx, { ticket: { ticketId }, member: { memberId: 150 }, start: '2026-03-02T10:00:00Z', durationMinutes: 12, notes: 'Restarted the service', dedupeKey: 'k-slow-time' });
	expect(result).toMatchObject({ recovered: true, deduplicated: false });
	expect(writes.calls).toBe(1);
	expect(fixture.sandbox.db.timeEntries.filter((entry) => entry.chargeToId === ticketId)).toHaveLength(1);
});
