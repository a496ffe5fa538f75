// The state store's public surface: openStore and its types.
export { openStore } from './open';
export { defaultStoreFile, defaultStoreFolder, defaultKeyFileFor } from './engines/sqlite-file';
export { DEFAULT_POSTGRES_SCHEMA } from './engines/postgres';
export { MIGRATION_TABLE, MIGRATION_LOCK_TABLE } from './migrate';
export type { OpenStoreInternals } from './engines/engine';
export { StoreError, isStoreError } from './errors';
export type { DamagedRow, DamagedRowReporter, StoreErrorKind } from './errors';
export * from './types';
