// Shared request limits over the state store: slots leased in the store's table (polled until free) and an hourly budget synchronised every few seconds.
import { randomUUID } from 'node:crypto';
import type { RequestBudget } from '../providers/limiter-budget';
import type { SharedRequestLimits, SharedSlot } from '../providers/shared-limits';
import type { RequestLimitsRepository } from '../store/types';

export interface StoreLimitsOptions {
	now?: () => number;
	sleep?: (ms: number) => Promise<void>;
	random?: () => number;
	/** How often the shared hourly count is read and this process's sends are written. */
	syncEveryMs?: number;
}

/**
 * The store call's answer, or undefined when it has not answered within `ms` (a pool waiting for a connection, a
 * partition). A slot the call takes after that is given back as soon as it answers (`abandon`).
 */
async function withinDeadline<T>(call: Promise<T | undefined>, ms: number, abandon: (late: T) => Promise<void>): Promise<T | undefined> {
	let timer: NodeJS.Timeout | undefined;
	let timedOut = false;
	const timeout = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => {
			timedOut = true;
			resolve(undefined);
		}, Math.max(1, Math.min(ms, 2_147_000_000)));
	});
	try {
		const result = await Promise.race([call, timeout]);
		if (timedOut) call.then((late) => (late !== undefined ? abandon(late) : undefined)).catch(() => undefined);
		return result;
	} finally {
		clearTimeout(timer);
	}
}

/** First and longest wait between polls for a busy slot: short, since a slot frees when a PSA request answers. */
const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 100;

/**
 * The store as the place every worker shares limits through. Slot waits poll with jittered backoff; an hourly budget
 * counts this process's sends locally and adds them to the store's per-minute counts every `syncEveryMs`, reading the
 * total back at the same time, so it may overshoot by what other workers sent within one interval.
 */
export function storeRequestLimits(repository: RequestLimitsRepository, options: StoreLimitsOptions = {}): SharedRequestLimits {
	const now = options.now ?? Date.now;
	const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
	const random = options.random ?? Math.random;
	const syncEveryMs = options.syncEveryMs ?? 5000;
	const budgets = new Map<string, RequestBudget>();

	return {
		async acquire(key, capacity, deadline, leaseMs): Promise<SharedSlot | undefined> {
			// One holder per acquisition: a late release of a lapsed lease cannot free the slot someone took after it.
			const holder = `${process.pid}-${randomUUID()}`;
			for (let poll = POLL_FIRST_MS; ; poll = Math.min(POLL_MAX_MS, poll * 2)) {
				const left = deadline - now();
				if (!(left > 0)) return undefined;
				const slot = await withinDeadline(repository.tryAcquire(key, capacity, holder, leaseMs), left, (late) => repository.release(key, late, holder));
				if (slot !== undefined) {
					let released = false;
					return {
						release() {
							if (released) return;
							released = true;
							// Not awaited: the answer is in; should the release fail, the lease ends by itself.
							repository.release(key, slot, holder).catch(() => undefined);
						},
					};
				}
				const wait = Math.floor(poll / 2 + random() * poll);
				if (now() + wait > deadline) return undefined;
				await sleep(wait);
			}
		},

		budget(key, limit, windowMs) {
			const existing = budgets.get(key);
			if (existing) return existing;
			let shared = 0;
			let unsynced = 0;
			let syncedAt = -Infinity;
			let syncing = false;
			const sync = () => {
				if (syncing) return;
				syncing = true;
				const count = unsynced;
				unsynced = 0;
				const write = count > 0 ? repository.addRequests(key, count) : Promise.resolve();
				write
					.then(() => repository.requestsSince(key, windowMs))
					.then((read) => {
						shared = read.requests;
						syncedAt = now();
					})
					.catch(() => {
						// Unreachable store: keep the local count and try again at the next interval.
						unsynced += count;
						syncedAt = now();
					})
					.finally(() => {
						syncing = false;
					});
			};
			const budget: RequestBudget = {
				nextAllowedAt(at) {
					if (at - syncedAt >= syncEveryMs) sync();
					// Counts are per minute: a spent budget frees the next minute at the earliest.
					return shared + unsynced < limit ? at : at + 60_000;
				},
				record(at) {
					unsynced++;
					if (at - syncedAt >= syncEveryMs) sync();
				},
			};
			budgets.set(key, budget);
			return budget;
		},
	};
}
