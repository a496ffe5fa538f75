// Autotask callouts verify over the raw bytes or their canonical form, so a re-formatted copy of one signed callout
// (whitespace, plain vs \u-escaped characters, 2 vs 2.0, a duplicated key) must still count as the same delivery.
import { canonicalHookBody, hookSignature, verifyHook } from '../../lib/providers/autotask/webhooks';
import { acceptDeliveryOnce, deliveryBytes } from '../../lib/services/replay';
import type { PsaStore } from '../../lib/store/types';

const KEY = 'derived-webhook-key';
const payload = {
	Action: 'Update',
	Guid: 'd0046a73-76a0-41c4-a634-4b7fce7e43ec',
	EntityType: 'Ticket',
	Id: 351182,
	Fields: { Status: '5', Title: 'Disk & CPU' },
	EventTime: new Date().toISOString(),
	SequenceNumber: 2,
	PersonID: 30691780,
};

function memoryStore(): PsaStore {
	const seen = new Set<string>();
	return {
		audit: {
			recordOnce: async (_connection: string, action: string) => {
				if (seen.has(action)) return false;
				seen.add(action);
				return true;
			},
			prune: async () => 0,
		},
	} as unknown as PsaStore;
}

it('one signed callout, re-formatted, verifies but is accepted once', async () => {
	// What Autotask sends: the escaped compact bytes, signed.
	const wire = canonicalHookBody(payload);
	const signature = hookSignature(wire, KEY);
	const variants = [
		wire,
		JSON.stringify(payload), // plain escapes (& instead of \u0026)
		JSON.stringify(payload, null, 1), // whitespace
		wire.replace('"SequenceNumber":2', '"SequenceNumber":2.0'),
		wire.replace(/}$/, ',"PersonID":30691780}'), // duplicated key (same value, last wins)
	];
	const store = memoryStore();
	const accepted: boolean[] = [];
	for (const body of variants) {
		const rawBody = Buffer.from(body, 'utf8');
		const event = verifyHook({ headers: { 'x-hook-signature': signature }, rawBody }, KEY);
		accepted.push(await acceptDeliveryOnce(store, 'autotask:x', { workflowId: 'w', nodeId: 'n' }, deliveryBytes(event, rawBody), Date.now()));
	}
	// Expected: only the first delivery of this one signed event is accepted.
	expect(accepted).toEqual([true, false, false, false, false]);
});
