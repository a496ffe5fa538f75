// PsaCache: strict expiry (injected clock and a real short TTL), per-connection isolation, exact and prefix invalidation, load dedupe.
import { TTLCache } from '@isaacs/ttlcache';
import { PsaCache } from '../lib/cache';
import { forgetTicket, knownTicket, rememberTicket } from '../lib/services/ticket-state';
import type { PsaTicket } from '../lib/providers/types';

describe('PsaCache', () => {
	test('an entry is served until its TTL and never after, by the injected clock', () => {
		let now = 1_000;
		const cache = new PsaCache({ ttlMs: 100, now: () => now });
		cache.set('conn-a', 'boards', ['Help Desk']);
		now = 1_099;
		expect(cache.get('conn-a', 'boards')).toEqual(['Help Desk']);
		now = 1_100;
		expect(cache.get('conn-a', 'boards')).toBeUndefined();
		// Expired entries are dropped, not resurrected when the clock moves back.
		now = 1_050;
		expect(cache.get('conn-a', 'boards')).toBeUndefined();
	});

	test('a per-entry TTL overrides the default', () => {
		let now = 0;
		const cache = new PsaCache({ ttlMs: 10_000, now: () => now });
		cache.set('conn-a', 'members-by-email:x@y.z', [1], 50);
		cache.set('conn-a', 'priorities', [2]);
		now = 60;
		expect(cache.get('conn-a', 'members-by-email:x@y.z')).toBeUndefined();
		expect(cache.get('conn-a', 'priorities')).toEqual([2]);
	});

	test('expiry also holds on the real clock (library timer path)', async () => {
		const cache = new PsaCache({ ttlMs: 20 });
		cache.set('conn-a', 'k', 'v');
		expect(cache.get('conn-a', 'k')).toBe('v');
		await new Promise((resolve) => setTimeout(resolve, 40));
		expect(cache.get('conn-a', 'k')).toBeUndefined();
	});

	test('connections never see each other\'s entries, even with colliding-looking keys', () => {
		const cache = new PsaCache();
		cache.set('conn-a', 'codebase', 'v1/');
		cache.set('conn-b', 'codebase', 'v2/');
		cache.set('conn-a\u0001', 'codebase', 'v3/');
		expect(cache.get('conn-a', 'codebase')).toBe('v1/');
		expect(cache.get('conn-b', 'codebase')).toBe('v2/');
		expect(cache.get('conn-c', 'codebase')).toBeUndefined();
		expect(() => cache.set('conn\u0000x', 'k', 1)).toThrow(/NUL/);
	});

	test('invalidate drops one connection\'s keys by prefix, or all of them', () => {
		const cache = new PsaCache();
		cache.set('conn-a', 'statuses:1', ['a']);
		cache.set('conn-a', 'statuses:2', ['b']);
		cache.set('conn-a', 'boards', ['c']);
		cache.set('conn-b', 'statuses:1', ['d']);
		cache.invalidate('conn-a', 'statuses:');
		expect(cache.get('conn-a', 'statuses:1')).toBeUndefined();
		expect(cache.get('conn-a', 'statuses:2')).toBeUndefined();
		expect(cache.get('conn-a', 'boards')).toEqual(['c']);
		expect(cache.get('conn-b', 'statuses:1')).toEqual(['d']);
		cache.invalidate('conn-a');
		expect(cache.get('conn-a', 'boards')).toBeUndefined();
		expect(cache.get('conn-b', 'statuses:1')).toEqual(['d']);
	});

	test('delete drops exactly one key of one connection, without walking the others', () => {
		const cache = new PsaCache();
		cache.set('conn-a', 'ticket-state:12/', 'twelve');
		cache.set('conn-a', 'ticket-state:123/', 'one-two-three');
		cache.set('conn-a', 'ticket-state:12/x', 'longer key');
		cache.set('conn-b', 'ticket-state:12/', 'other connection');
		const walk = jest.spyOn(TTLCache.prototype, 'keys');
		try {
			cache.delete('conn-a', 'ticket-state:12/');
			expect(walk).not.toHaveBeenCalled();
		} finally {
			walk.mockRestore();
		}
		expect(cache.get('conn-a', 'ticket-state:12/')).toBeUndefined();
		expect(cache.get('conn-a', 'ticket-state:123/')).toBe('one-two-three');
		expect(cache.get('conn-a', 'ticket-state:12/x')).toBe('longer key');
		expect(cache.get('conn-b', 'ticket-state:12/')).toBe('other connection');
		cache.delete('conn-a', 'never set');
		expect(cache.size).toBe(3);
	});

	test('a load in flight when its key is deleted returns its value but does not store it; other loads are kept', async () => {
		const cache = new PsaCache();
		const releases: Array<() => void> = [];
		const slowLoad = (value: string) => () => new Promise<string>((resolve) => releases.push(() => resolve(value)));
		const deleted = cache.getOrLoad('c', 'ticket-state:12/', slowLoad('stale state'));
		const sibling = cache.getOrLoad('c', 'ticket-state:12/x', slowLoad('sibling'));
		cache.delete('c', 'ticket-state:12/');
		for (const release of releases) release();
		expect(await deleted).toBe('stale state');
		await sibling;
		expect(cache.get('c', 'ticket-state:12/')).toBeUndefined();
		expect(cache.get('c', 'ticket-state:12/x')).toBe('sibling');
	});

	test('forgetTicket forgets that ticket only, with an exact-key delete', () => {
		const cache = new PsaCache();
		const ticket = (id: number) => ({ id, board: { id: 1, name: 'Help Desk' }, status: { id: 2, name: 'New' }, closed: false }) as PsaTicket;
		rememberTicket(cache, 'c', ticket(12));
		rememberTicket(cache, 'c', ticket(123));
		const walk = jest.spyOn(TTLCache.prototype, 'keys');
		try {
			forgetTicket(cache, 'c', 12);
			expect(walk).not.toHaveBeenCalled();
		} finally {
			walk.mockRestore();
		}
		expect(knownTicket(cache, 'c', 12)).toBeUndefined();
		expect(knownTicket(cache, 'c', 123)).toMatchObject({ boardId: 1, statusId: 2, closed: false });
	});

	test('concurrent getOrLoad calls share one load', async () => {
		const cache = new PsaCache();
		let loads = 0;
		let release: (value: string[]) => void = () => undefined;
		const load = () => {
			loads++;
			return new Promise<string[]>((resolve) => {
				release = resolve;
			});
		};
		const first = cache.getOrLoad('conn-a', 'boards', load);
		const second = cache.getOrLoad('conn-a', 'boards', load);
		const otherConnection = cache.getOrLoad('conn-b', 'boards', async () => ['other']);
		release(['Help Desk']);
		expect(await first).toEqual(['Help Desk']);
		expect(await second).toEqual(['Help Desk']);
		expect(await otherConnection).toEqual(['other']);
		expect(loads).toBe(1);
		expect(await cache.getOrLoad('conn-a', 'boards', load)).toEqual(['Help Desk']);
		expect(loads).toBe(1);
	});

	test('a failed load is not cached and the next call loads again', async () => {
		const cache = new PsaCache();
		let calls = 0;
		const load = async () => {
			calls++;
			if (calls === 1) throw new Error('ConnectWise down');
			return 42;
		};
		const [a, b] = await Promise.allSettled([cache.getOrLoad('c', 'k', load), cache.getOrLoad('c', 'k', load)]);
		expect(a.status).toBe('rejected');
		expect(b.status).toBe('rejected');
		expect(calls).toBe(1);
		expect(cache.get('c', 'k')).toBeUndefined();
		expect(await cache.getOrLoad('c', 'k', load)).toBe(42);
		expect(calls).toBe(2);
	});

	test('a load that finishes after an invalidation does not store its (stale) value', async () => {
		const cache = new PsaCache();
		let release: (value: string) => void = () => undefined;
		const pending = cache.getOrLoad('c', 'statuses:1', () => new Promise<string>((resolve) => (release = resolve)));
		cache.invalidate('c', 'statuses:');
		release('stale');
		expect(await pending).toBe('stale');
		expect(cache.get('c', 'statuses:1')).toBeUndefined();
	});

	test('an invalidation spoils only the in-flight loads it covers, not those of other keys or connections', async () => {
		const cache = new PsaCache();
		const releases: Array<() => void> = [];
		const slowLoad = (value: string) => () => new Promise<string>((resolve) => releases.push(() => resolve(value)));
		const otherConnection = cache.getOrLoad('conn-b', 'statuses:1', slowLoad('b-statuses'));
		const otherKey = cache.getOrLoad('conn-a', 'boards', slowLoad('a-boards'));
		const covered = cache.getOrLoad('conn-a', 'ticket-state:12/', slowLoad('stale state'));
		cache.invalidate('conn-a', 'ticket-state:12/');
		for (const release of releases) release();
		await Promise.all([otherConnection, otherKey, covered]);
		expect(cache.get('conn-b', 'statuses:1')).toBe('b-statuses');
		expect(cache.get('conn-a', 'boards')).toBe('a-boards');
		expect(cache.get('conn-a', 'ticket-state:12/')).toBeUndefined();
	});

	test('a load started after an invalidation is cached even when an older load of the same key finishes later', async () => {
		const cache = new PsaCache();
		let releaseOld: (value: string) => void = () => undefined;
		const old = cache.getOrLoad('c', 'k', () => new Promise<string>((resolve) => (releaseOld = resolve)));
		cache.invalidate('c', 'k');
		let releaseNew: (value: string) => void = () => undefined;
		const fresh = cache.getOrLoad('c', 'k', () => new Promise<string>((resolve) => (releaseNew = resolve)));
		releaseNew('fresh');
		expect(await fresh).toBe('fresh');
		releaseOld('stale');
		expect(await old).toBe('stale');
		expect(cache.get('c', 'k')).toBe('fresh');
	});

	test('a load that throws before returning a promise is not left in flight', async () => {
		const cache = new PsaCache();
		const throwsAtOnce = (): Promise<number> => {
			throw new Error('bad request built');
		};
		await expect(cache.getOrLoad('c', 'k', throwsAtOnce)).rejects.toThrow('bad request built');
		expect(await cache.getOrLoad('c', 'k', async () => 7)).toBe(7);
	});

	test('a non-positive TTL is a clear error', () => {
		expect(() => new PsaCache({ ttlMs: 0 })).toThrow(/positive/);
		const cache = new PsaCache();
		expect(() => cache.set('c', 'k', 1, -5)).toThrow(/positive/);
	});
});
