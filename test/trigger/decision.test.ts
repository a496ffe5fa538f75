// The trigger service's one decision per callback (emit, ignore, refuse), and callback levels taken from the provider, on a real SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../../lib/cache';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { PsaError } from '../../lib/providers/errors';
import type { PsaCallbackEvent, PsaCallbackLevel, PsaProvider, PsaTicket } from '../../lib/providers/types';
import { handleTriggerEvent, type TriggerContext } from '../../lib/services/trigger';
import type { TriggerSettings } from '../../lib/services/trigger-filter';
import { knownTicket, rememberTicket } from '../../lib/services/ticket-state';
import { openStore, type PsaStore } from '../../lib/store';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const SETTINGS: TriggerSettings = {
	events: ['added', 'updated', 'deleted'],
	statusIds: [],
	ticketState: 'any',
	ignoreOwnChanges: true,
	echoWindowMs: 120_000,
	maxEventAgeMs: 15 * 60_000,
	includeEntity: false,
	linkedOnly: false,
};

const ticket = (id: number, boardId = 5): PsaTicket =>
	({ id, summary: 'Printer', board: { id: boardId, name: 'Help Desk' }, status: { id: 2, name: 'New' }, company: { id: 9, name: 'Acme' }, closed: false }) as unknown as PsaTicket;

const updated = (id: number, extra: Partial<PsaCallbackEvent> = {}): PsaCallbackEvent => ({
	action: 'updated',
	type: 'ticket',
	id,
	updatedAt: new Date(NOW - 1000).toISOString(),
	updatedBy: 'jdoe',
	ticket: ticket(id),
	entity: { id },
	...extra,
});

describe('handleTriggerEvent', () => {
	let folder: string;
	let store: PsaStore;
	let storeOpens: number;
	const warnings: string[] = [];

	beforeAll(async () => {
		folder = mkdtempSync(join(tmpdir(), 'psa-decision-'));
		store = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite'), keys: [generateFernetKey()], clock: () => NOW });
	});
	afterAll(async () => {
		await store.close();
		rmSync(folder, { recursive: true, force: true });
	});

	function contextFor(verify: () => Promise<PsaCallbackEvent>, levels: readonly PsaCallbackLevel[] = ['owner'], cache = new PsaCache()): TriggerContext {
		storeOpens = 0;
		warnings.length = 0;
		const provider = {
			connection: { provider: 'test', connectionId: 'conn-decision', site: 'psa.example', company: 'acme', label: 'test' },
			callbackLevels: levels,
			verifyCallback: verify,
			ticketUrl: (id: number) => `https://psa.example/tickets/${id}`,
			externalReferenceOf: (key: string) => key,
		} as unknown as PsaProvider;
		return {
			provider,
			cache,
			now: () => NOW,
			store: async () => {
				storeOpens += 1;
				return store;
			},
			warn: (message) => warnings.push(message),
		};
	}

	let deliveries = 0;
	const delivery = () => ({ workflowId: 'wf', nodeId: 'node', rawBody: Buffer.from(`delivery ${++deliveries}`), headers: {} });

	it('refuses a callback whose signature does not verify, with a warning, without opening the store', async () => {
		const ctx = contextFor(async () => {
			throw new PsaError('authentication', 'bad signature');
		});
		expect(await handleTriggerEvent(ctx, delivery(), SETTINGS)).toEqual({
			outcome: 'refuse',
			status: 401,
			message: 'The callback signature could not be verified',
			warning: 'PSA Trigger refused a callback: bad signature',
		});
		expect(storeOpens).toBe(0);
	});

	it('refuses an unreadable payload with its reason, and throws any other failure', async () => {
		const unreadable = contextFor(async () => {
			throw new PsaError('invalid-input', 'not JSON');
		});
		expect(await handleTriggerEvent(unreadable, delivery(), SETTINGS)).toEqual({ outcome: 'refuse', status: 400, message: 'not JSON' });
		const down = contextFor(async () => {
			throw new PsaError('unavailable', 'signing key server down');
		});
		await expect(handleTriggerEvent(down, delivery(), SETTINGS)).rejects.toThrow('signing key server down');
	});

	it('ignores a stale event without opening the store, and forgets what was known of the ticket', async () => {
		const cache = new PsaCache();
		rememberTicket(cache, 'conn-decision', ticket(41));
		const ctx = contextFor(async () => updated(41, { updatedAt: new Date(NOW - 60 * 60_000).toISOString() }), ['owner'], cache);
		expect(await handleTriggerEvent(ctx, delivery(), SETTINGS)).toMatchObject({ outcome: 'ignore', reason: 'stale', warning: expect.stringContaining('ticket 41') });
		expect(storeOpens).toBe(0);
		expect(knownTicket(cache, 'conn-decision', 41)).toBeUndefined();
	});

	it('emits one item, and ignores the same delivery again with a warning', async () => {
		const ctx = contextFor(async () => updated(42));
		const same = delivery();
		expect(await handleTriggerEvent(ctx, same, { ...SETTINGS, includeEntity: true })).toEqual({
			outcome: 'emit',
			item: {
				action: 'updated',
				type: 'ticket',
				ticketId: 42,
				ticket: JSON.parse(JSON.stringify(ticket(42))),
				link: null,
				ticketUrl: 'https://psa.example/tickets/42',
				updatedBy: 'jdoe',
				entity: { id: 42 },
			},
		});
		expect(await handleTriggerEvent(ctx, same, SETTINGS)).toEqual({
			outcome: 'ignore',
			reason: 'duplicate delivery',
			warning: 'PSA Trigger ignored a repeated delivery for ticket 42',
		});
		expect(storeOpens).toBe(2);
	});

	it('trusts a board filter on an event without a ticket only when the provider offers board-level callbacks', async () => {
		const deleted = async (): Promise<PsaCallbackEvent> => ({ action: 'deleted', type: 'ticket', id: 43, entity: {} });
		const onBoard = { ...SETTINGS, boardId: 5 };
		expect(await handleTriggerEvent(contextFor(deleted, ['owner']), delivery(), onBoard)).toEqual({ outcome: 'ignore', reason: 'ticket is on another board' });
		expect(await handleTriggerEvent(contextFor(deleted, ['owner', 'board']), delivery(), onBoard)).toMatchObject({ outcome: 'emit', item: { action: 'deleted', ticketId: 43, ticket: null } });
		expect(warnings).toEqual([]);
	});
});
