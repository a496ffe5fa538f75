// The state store's public surface: openStore and its types.
export { openStore, defaultStoreFile, defaultStoreFolder, defaultKeyFileFor, DEFAULT_POSTGRES_SCHEMA, MIGRATION_TABLE, MIGRATION_LOCK_TABLE } from './open';
export type { OpenStoreInternals } from './open';
export { StoreError, isStoreError } from './errors';
export type { DamagedRow, DamagedRowReporter, StoreErrorKind } from './errors';
export * from './types';
