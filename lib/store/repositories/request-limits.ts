// The request-limits repository: leased slots of a concurrency limit and per-minute request counts, shared by every process on the store.
import { sql } from 'kysely';
import { StoreError } from '../errors';
import type { RequestLimitsRepository } from '../types';
import { requireText, toNumber, type RepositoryContext } from './shared';

const MINUTE_MS = 60_000;
/** Old minutes are pruned on write, at most this often per process. */
const PRUNE_EVERY_MS = 10 * MINUTE_MS;
/** Counts are kept this long (the longest window a budget asks about, with margin). */
const KEEP_MS = 2 * 60 * MINUTE_MS;

function requireCapacity(capacity: number): number {
	if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1000) throw new StoreError('invalid-input', `capacity must be a whole number from 1 to 1000, got ${capacity}`);
	return capacity;
}

export function createRequestLimitsRepository({ db, clock }: RepositoryContext): RequestLimitsRepository {
	let prunedAt = 0;
	// Slot rows are created once per key and capacity; after that a take is one conditional update per slot.
	const seeded = new Set<string>();
	return {
		async tryAcquire(slotKey, capacity, holder, leaseMs) {
			requireText('slotKey', slotKey);
			requireText('holder', holder);
			requireCapacity(capacity);
			if (!(leaseMs > 0)) throw new StoreError('invalid-input', `leaseMs must be > 0, got ${leaseMs}`);
			const now = Math.floor(clock());
			if (!seeded.has(`${capacity}|${slotKey}`)) {
				const rows = Array.from({ length: capacity }, (_, slot) => ({ slot_key: slotKey, slot, holder: null, lease_until: 0 }));
				await db.insertInto('psa_request_slots').values(rows).onConflict((oc) => oc.columns(['slot_key', 'slot']).doNothing()).execute();
				seeded.add(`${capacity}|${slotKey}`);
			}
			// One conditional update per slot, lowest first: the row is taken only when its lease has run out, so two
			// processes racing for it cannot both win (the second update finds the new lease).
			for (let slot = 0; slot < capacity; slot++) {
				const result = await db
					.updateTable('psa_request_slots')
					.set({ holder, lease_until: now + Math.ceil(leaseMs) })
					.where('slot_key', '=', slotKey)
					.where('slot', '=', slot)
					.where('lease_until', '<=', now)
					.executeTakeFirst();
				if (Number(result.numUpdatedRows) > 0) return slot;
			}
			return undefined;
		},

		async release(slotKey, slot, holder) {
			await db
				.updateTable('psa_request_slots')
				.set({ holder: null, lease_until: 0 })
				.where('slot_key', '=', slotKey)
				.where('slot', '=', slot)
				.where('holder', '=', holder)
				.execute();
		},

		async addRequests(budgetKey, count) {
			requireText('budgetKey', budgetKey);
			if (!Number.isInteger(count) || count < 1) return;
			const now = Math.floor(clock());
			const minute = Math.floor(now / MINUTE_MS);
			await db
				.insertInto('psa_request_counts')
				.values({ budget_key: budgetKey, minute, requests: count })
				.onConflict((oc) => oc.columns(['budget_key', 'minute']).doUpdateSet({ requests: sql`psa_request_counts.requests + ${count}` }))
				.execute();
			if (now - prunedAt > PRUNE_EVERY_MS) {
				prunedAt = now;
				await db.deleteFrom('psa_request_counts').where('minute', '<', Math.floor((now - KEEP_MS) / MINUTE_MS)).execute();
			}
		},

		async requestsSince(budgetKey, windowMs) {
			const now = Math.floor(clock());
			const first = Math.floor((now - windowMs) / MINUTE_MS) + 1;
			const row = await db
				.selectFrom('psa_request_counts')
				.select((eb) => eb.fn.sum<number | string>('requests').as('total'))
				.where('budget_key', '=', budgetKey)
				.where('minute', '>=', first)
				.executeTakeFirst();
			return { requests: toNumber(row?.total ?? 0), now };
		},
	};
}
