// The repositories over Kysely, one file each: one implementation for SQLite and PostgreSQL, single-statement writes where atomicity matters.
export type { RepositoryContext, StoreCapabilities } from './shared';
export { createLinkRepository } from './links';
export { createNoteReceiptRepository } from './note-receipts';
export { createMemberMapRepository, damagedMemberRow } from './member-map';
export { createStatusMapRepository } from './status-map';
export { createRequestLimitsRepository } from './request-limits';
export { createConnectionRepository } from './connections';
export { createAuditRepository, damagedAuditRow } from './audit';
export { createCallbackSecretRepository, damagedCallbackSecretRow } from './callback-secrets';
