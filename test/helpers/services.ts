// Test helper: the service tests' world — a sandbox PSA and a real SQLite store in a temporary folder, started around the file (or each test).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsaCache } from '../../lib/cache';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { createProvider } from '../../lib/providers/registry';
import type { PsaServiceContext } from '../../lib/services';
import { openStore } from '../../lib/store';
import type { PsaStore } from '../../lib/store/types';
import { startSandbox, type Sandbox } from '../sandbox';

export interface ServiceFixture {
	readonly sandbox: Sandbox;
	readonly store: PsaStore;
	/** The temporary folder the store lives in; removed after the tests. */
	readonly folder: string;
	/**
	 * A context as one worker has it: its own provider and cache over the sandbox, the fixture's store and clock unless
	 * others are given.
	 */
	context(overrides?: { store?: PsaStore; now?: () => number }): PsaServiceContext;
}

export interface ServiceFixtureOptions {
	/** A fresh sandbox and store for every test (for tests that change the sandbox's data). Default: one for the file. */
	perTest?: boolean;
	/** The store's and the contexts' clock. Default: Date.now. */
	clock?: () => number;
}

/** Registers the hooks that start and stop the fixture; its fields are valid inside tests. */
export function useServiceFixture(folderPrefix: string, options: ServiceFixtureOptions = {}): ServiceFixture {
	const now = options.clock ?? Date.now;
	let sandbox: Sandbox | undefined;
	let store: PsaStore | undefined;
	let folder: string | undefined;
	const started = <T>(value: T | undefined, what: string): T => {
		if (value === undefined) throw new Error(`The service fixture's ${what} is not started (use it inside a test)`);
		return value;
	};

	const start = async () => {
		folder = mkdtempSync(join(tmpdir(), folderPrefix));
		sandbox = await startSandbox({ port: 0 });
		store = await openStore({ engine: 'sqlite', filename: join(folder, 'state.sqlite'), ...(options.clock ? { clock: options.clock } : {}) });
	};
	const stop = async () => {
		await store?.close();
		await sandbox?.stop();
		if (folder) rmSync(folder, { recursive: true, force: true });
		store = undefined;
		sandbox = undefined;
		folder = undefined;
	};
	if (options.perTest) {
		beforeEach(start);
		afterEach(stop);
	} else {
		beforeAll(start);
		afterAll(stop);
	}

	return {
		get sandbox() {
			return started(sandbox, 'sandbox');
		},
		get store() {
			return started(store, 'store');
		},
		get folder() {
			return started(folder, 'folder');
		},
		context(overrides = {}) {
			const running = started(sandbox, 'sandbox');
			const cache = new PsaCache();
			const provider = createProvider(
				'connectWisePsaApi',
				{ ...running.credentials, site: running.site },
				{ http: createFetchTransport({ timeoutMs: 5000 }), cache },
			);
			return { provider, store: overrides.store ?? started(store, 'store'), cache, now: overrides.now ?? now };
		},
	};
}
