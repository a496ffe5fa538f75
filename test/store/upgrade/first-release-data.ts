// What the upgrade fixture holds: the rows make-fixture.ts writes with the first release's store code, and upgrade.test.ts reads back with today's. Plain data, no imports: the old code's seeding program loads it too.

/** The first release: the commit that first had the store's migrations (001-006) and a version (0.1.0) in package.json. */
export const FIRST_RELEASE_COMMIT = 'a09e317fce021fe6a3e32e690c232712bffda04c';

/**
 * TEST-ONLY Fernet key. The fixture's sealed values (member identities, audit details, the store's lookup key) are
 * sealed with it; it protects nothing and must never be used for a real store.
 */
export const FIXTURE_TEST_ONLY_KEY = 'GIgcEPIkc7EjTYryDpPw1AfCacQXOMYpZpLmahBF6Vo=';

/** The store's clock while the fixture was written: each row's time is this plus its `minute`. */
export const FIXTURE_EPOCH_MS = Date.UTC(2026, 10, 21, 20, 0, 0);
export const minutes = (minute: number): number => FIXTURE_EPOCH_MS + minute * 60_000;

/** The PostgreSQL schema the fixture's tables live in (the store's default). */
export const FIXTURE_PG_SCHEMA = 'psa_bridge';

export const fixtureConnections = [
	{ connectionId: 'cw-acme', provider: 'connectwise', label: 'ConnectWise na.myconnectwise.net / acme', minute: 0 },
	{ connectionId: 'cw-globex', provider: 'connectwise', label: 'ConnectWise psa.globex.example / globex', minute: 1 },
] as const;

/** 'claimed': claimed, not completed (a create in flight when the old version stopped). */
export type FixtureLinkHow = 'created' | 'set' | 'closed' | 'claimed';

export const fixtureLinks: ReadonlyArray<{
	connectionId: string;
	source: string;
	externalId: string;
	how: FixtureLinkHow;
	ticketId: number | null;
	claimToken: string;
	minute: number;
}> = [
	{ connectionId: 'cw-acme', source: 'alertmanager', externalId: 'HighCPU/db-1', how: 'created', ticketId: 1001, claimToken: 'claim-1', minute: 2 },
	{ connectionId: 'cw-acme', source: 'grafana', externalId: 'incident-7', how: 'set', ticketId: 1002, claimToken: '', minute: 3 },
	{ connectionId: 'cw-acme', source: 'zabbix', externalId: 'host-3:disk', how: 'closed', ticketId: 1003, claimToken: 'claim-3', minute: 4 },
	{ connectionId: 'cw-acme', source: 'alertmanager', externalId: 'DiskFull/web-2', how: 'claimed', ticketId: null, claimToken: 'claim-4', minute: 5 },
	{ connectionId: 'cw-globex', source: 'alertmanager', externalId: 'HighCPU/db-1', how: 'created', ticketId: 2001, claimToken: 'claim-5', minute: 6 },
];

/** 'posted' receipts name their note; two of them name the same note (a recovery once adopted another key's note). */
export const fixtureReceipts: ReadonlyArray<{
	connectionId: string;
	dedupeKey: string;
	ticketId: number;
	noteId: number | null;
	claimToken: string;
	minute: number;
}> = [
	{ connectionId: 'cw-acme', dedupeKey: 'HighCPU/db-1:firing:1', ticketId: 1001, noteId: 501, claimToken: 'note-1', minute: 7 },
	{ connectionId: 'cw-acme', dedupeKey: 'HighCPU/db-1:firing:2', ticketId: 1001, noteId: null, claimToken: 'note-2', minute: 8 },
	{ connectionId: 'cw-acme', dedupeKey: 'incident-7:comment:1', ticketId: 1002, noteId: 502, claimToken: 'note-3', minute: 9 },
	{ connectionId: 'cw-acme', dedupeKey: 'incident-7:comment:1-retry', ticketId: 1002, noteId: 502, claimToken: 'note-4', minute: 10 },
	{ connectionId: 'cw-globex', dedupeKey: 'HighCPU/db-1:firing:1', ticketId: 2001, noteId: 601, claimToken: 'note-5', minute: 11 },
];

/** Identities are sealed at rest and found by a keyed hash: reading them back proves the keys and the hash carried over. */
export const fixtureMembers: ReadonlyArray<{
	connectionId: string;
	source: string;
	identity: string;
	memberId: number;
	memberIdentifier: string;
	kind: 'manual' | 'auto';
	minute: number;
}> = [
	{ connectionId: 'cw-acme', source: 'email', identity: 'ana.lopez@acme.example', memberId: 11, memberIdentifier: 'alopez', kind: 'manual', minute: 12 },
	{ connectionId: 'cw-acme', source: 'email', identity: 'ben.carter@acme.example', memberId: 12, memberIdentifier: 'bcarter', kind: 'auto', minute: 13 },
	{ connectionId: 'cw-acme', source: 'slack', identity: 'U024BE7LH', memberId: 11, memberIdentifier: 'alopez', kind: 'manual', minute: 14 },
	{ connectionId: 'cw-globex', source: 'email', identity: 'ana.lopez@acme.example', memberId: 31, memberIdentifier: 'ana.l', kind: 'auto', minute: 15 },
];

export const fixtureStatuses: ReadonlyArray<{
	connectionId: string;
	boardId: number;
	externalState: string;
	statusId: number;
	statusName: string;
	minute: number;
}> = [
	{ connectionId: 'cw-acme', boardId: 1, externalState: 'resolved', statusId: 5, statusName: 'Closed (resolved)', minute: 16 },
	{ connectionId: 'cw-acme', boardId: 1, externalState: 'acknowledged', statusId: 3, statusName: 'In Progress', minute: 17 },
];

/** Audit details are sealed at rest. */
export const fixtureAudit: ReadonlyArray<{ connectionId: string; action: string; detail: Record<string, unknown>; minute: number }> = [
	{ connectionId: 'cw-acme', action: 'link.created', detail: { source: 'alertmanager', externalId: 'HighCPU/db-1', ticketId: 1001 }, minute: 18 },
	{ connectionId: 'cw-acme', action: 'note.posted', detail: { dedupeKey: 'HighCPU/db-1:firing:1', noteId: 501, by: 'ana.lopez@acme.example' }, minute: 19 },
];
