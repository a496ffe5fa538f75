// TTL cache for rarely-changing PSA lookups (boards, statuses, members...), keyed per connection so connections never mix.
import { TTLCache } from '@isaacs/ttlcache';

export interface PsaCacheOptions {
	/** Default time to live in milliseconds (5 minutes when absent). */
	ttlMs?: number;
	/** Maximum number of entries; the soonest-expiring go first. */
	max?: number;
	/** Clock in milliseconds; injectable so expiry can be tested without waiting. */
	now?: () => number;
}

interface CacheEntry {
	value: unknown;
	expiresAt: number;
}

const SEPARATOR = '\u0000';
const DEFAULT_TTL_MS = 5 * 60 * 1000;

export class PsaCache {
	private readonly entries: TTLCache<string, CacheEntry>;
	private readonly pending = new Map<string, { promise: Promise<unknown> }>();
	private readonly ttlMs: number;
	private readonly now: () => number;

	constructor(options: PsaCacheOptions = {}) {
		this.ttlMs = positiveTtl(options.ttlMs ?? DEFAULT_TTL_MS);
		this.now = options.now ?? Date.now;
		this.entries = new TTLCache<string, CacheEntry>({
			ttl: this.ttlMs,
			max: options.max ?? 10_000,
			checkAgeOnGet: true,
		});
	}

	get<T>(connectionId: string, key: string): T | undefined {
		const fullKey = cacheKey(connectionId, key);
		const entry = this.entries.get(fullKey);
		if (entry === undefined) return undefined;
		// The library expires on its own monotonic clock; this check applies the injected clock strictly too.
		if (this.now() >= entry.expiresAt) {
			this.entries.delete(fullKey);
			return undefined;
		}
		return entry.value as T;
	}

	set<T>(connectionId: string, key: string, value: T, ttlMs?: number): void {
		const ttl = positiveTtl(ttlMs ?? this.ttlMs);
		this.entries.set(cacheKey(connectionId, key), { value, expiresAt: this.now() + ttl }, { ttl });
	}

	/** Returns the cached value or runs `load` once, however many callers ask at the same time; failures are not cached. */
	async getOrLoad<T>(connectionId: string, key: string, load: () => Promise<T>, ttlMs?: number): Promise<T> {
		const cached = this.get<T>(connectionId, key);
		if (cached !== undefined) return cached;
		const fullKey = cacheKey(connectionId, key);
		const inFlight = this.pending.get(fullKey);
		if (inFlight) return inFlight.promise as Promise<T>;
		// An invalidation covering this key removes the load from `pending`: then its value, read before the
		// invalidation, is returned to its callers but not stored. Loads of other keys and connections are unaffected.
		let loading: Promise<T>;
		try {
			loading = Promise.resolve(load());
		} catch (error) {
			loading = Promise.reject(error);
		}
		// Settles only after `pending` holds it, even when `load` throws synchronously.
		const inFlightLoad: { promise: Promise<T> } = { promise: loading };
		inFlightLoad.promise = (async () => {
			try {
				const value = await loading;
				if (this.pending.get(fullKey) === inFlightLoad && value !== undefined) this.set(connectionId, key, value, ttlMs);
				return value;
			} finally {
				if (this.pending.get(fullKey) === inFlightLoad) this.pending.delete(fullKey);
			}
		})();
		this.pending.set(fullKey, inFlightLoad);
		return inFlightLoad.promise;
	}

	/** Drops one entry, and any load of it in flight (its value is then returned to its callers but not stored). */
	delete(connectionId: string, key: string): void {
		const fullKey = cacheKey(connectionId, key);
		this.entries.delete(fullKey);
		this.pending.delete(fullKey);
	}

	/** Drops every entry of the connection whose key starts with `keyPrefix` (all of the connection's entries when absent); walks every key. */
	invalidate(connectionId: string, keyPrefix = ''): void {
		const prefix = cacheKey(connectionId, keyPrefix);
		for (const key of [...this.entries.keys()]) {
			if (key.startsWith(prefix)) this.entries.delete(key);
		}
		for (const key of [...this.pending.keys()]) {
			if (key.startsWith(prefix)) this.pending.delete(key);
		}
	}

	/** Number of live entries (expired ones may still be counted until touched). */
	get size(): number {
		return this.entries.size;
	}

	clear(): void {
		this.entries.clear();
		this.pending.clear();
	}
}

function cacheKey(connectionId: string, key: string): string {
	if (connectionId.includes(SEPARATOR)) throw new Error('A connection id cannot contain a NUL character');
	return `${connectionId}${SEPARATOR}${key}`;
}

function positiveTtl(ttlMs: number): number {
	if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new Error(`Cache TTL must be a positive number of milliseconds, got ${ttlMs}`);
	return Math.ceil(ttlMs);
}
