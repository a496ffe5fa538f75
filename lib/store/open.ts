// Opens the state store: picks the engine adapter the options name, then builds the repositories on what it opened (lookup key, reseal, close).
import { migrations as defaultMigrations } from '../../migrations';
import type { OpenedEngine, OpenStoreInternals, StoreEngineAdapter } from './engines/engine';
import { postgresEngine } from './engines/postgres';
import { sqliteEngine } from './engines/sqlite';
import { StoreError } from './errors';
import { loadLookupKey } from './keys';
import { checkStoreOptions, withoutSecrets } from './options';
import {
	createAuditRepository,
	createCallbackSecretRepository,
	createConnectionRepository,
	createLinkRepository,
	createMemberMapRepository,
	createNoteReceiptRepository,
	createRequestLimitsRepository,
	createStatusMapRepository,
	type RepositoryContext,
} from './repositories';
import { resealAll } from './reseal';
import type { PsaStore, StoreOptions } from './types';

/** The one place an engine is chosen: by the name in the options; everything after reads the adapter. */
const ENGINES: { readonly [Engine in StoreOptions['engine']]: StoreEngineAdapter<Extract<StoreOptions, { engine: Engine }>> } = {
	sqlite: sqliteEngine,
	postgres: postgresEngine,
};

export async function openStore(options: StoreOptions = { engine: 'sqlite' }, internals: OpenStoreInternals = {}): Promise<PsaStore> {
	if (!options || !Object.hasOwn(ENGINES, options.engine)) {
		throw new StoreError('configuration', 'The state store engine must be "sqlite" or "postgres"');
	}
	// Every setting is checked before the adapter touches a file or a server.
	checkStoreOptions(options);
	// The options' engine names its adapter, so the pair matches; TypeScript cannot follow that through the lookup.
	const adapter = ENGINES[options.engine] as StoreEngineAdapter;
	let opened: OpenedEngine;
	try {
		opened = await adapter.open(options, internals.migrations ?? defaultMigrations, internals);
	} catch (error) {
		throw withoutSecrets(error, options);
	}
	try {
		return await assemble(adapter, opened);
	} catch (error) {
		await opened.close();
		throw withoutSecrets(opened.failure(error), options);
	}
}

async function assemble(adapter: StoreEngineAdapter, opened: OpenedEngine): Promise<PsaStore> {
	const { db, keyring, clock, location, durably } = opened;
	const lookupKey = await loadLookupKey(db, keyring, clock, location);
	const context: RepositoryContext = { db, keyring, lookupKey, clock, durably, capabilities: adapter.capabilities };
	let closed = false;
	return {
		engine: adapter.engine,
		location,
		appliedMigrations: Object.freeze([...opened.appliedMigrations]),
		connections: createConnectionRepository(context),
		links: createLinkRepository(context),
		noteReceipts: createNoteReceiptRepository(context),
		timeEntryReceipts: createNoteReceiptRepository(context, 'time-entry'),
		attachmentReceipts: createNoteReceiptRepository(context, 'attachment'),
		memberMap: createMemberMapRepository(context),
		statusMap: createStatusMapRepository(context),
		audit: createAuditRepository(context),
		requestLimits: createRequestLimitsRepository(context),
		callbackSecrets: createCallbackSecretRepository(context),
		async resealAll() {
			return resealAll(db, keyring, clock);
		},
		async close() {
			if (closed) return;
			closed = true;
			await opened.close();
		},
	};
}
