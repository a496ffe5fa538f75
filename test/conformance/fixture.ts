// What the provider conformance suite needs from a PSA: a credential on a running test PSA, its seeded data in PSA terms, faults, and what the PSA holds.
import type { ProviderDeps } from '../../lib/providers/definition';

/** The PSA's seeded records the suite relies on, by role. */
export interface SeededData {
	companyId: number;
	/** Text that finds the company by name. */
	companySearch: string;
	/** A board other than the PSA's first, whose statuses share names with the first board's. */
	boardId: number;
	/** The id the status named `closedStatusName` has on `boardId` (not on any other board). */
	closedStatusIdOnBoard: number;
	closedStatusName: string;
	/** An email exactly one active member has. */
	activeMemberEmail: string;
	activeMemberId: number;
	/** An email only an inactive member has. */
	inactiveMemberEmail: string;
	/** Ticket depth: records seeded for classification, configuration items and custom fields. */
	depth: SeededDepth;
}

/** Seeded records for the ticket-depth checks, by name (the checks resolve ids through the provider's own lists). */
export interface SeededDepth {
	/** A classification valid together on `boardId` (item only where the PSA has that level). */
	typeName: string;
	subtypeName: string;
	itemName?: string;
	/** A subtype that exists but is not valid with `typeName` (on `boardId`). */
	foreignSubtypeName: string;
	/** A source and (where the PSA has them) a team on `boardId` and a site of `companyId`. */
	sourceName: string;
	teamName?: string;
	siteName?: string;
	/** A configuration item of `companyId`, with the values it is found by. */
	configurationItem: { id: number; name: string; serialNumber: string; ipAddress?: string; macAddress?: string; deviceId?: string };
	/** A second configuration item of `companyId`. */
	secondConfigurationItemId: number;
	/** The serial number of a configuration item of another company (never found for `companyId`). */
	otherCompanySerialNumber: string;
	/** A picklist custom field with a value it accepts and one it does not; a text custom field. */
	picklistField: { name: string; value: string; invalidValue: string };
	textFieldName: string;
}

export interface RecordedCallback {
	rawBody: Buffer;
	headers: Record<string, string>;
	/** The query of the address it was delivered to, as the registered URL has it (ConnectWise: the callback's token). */
	query?: Record<string, string>;
}

/** One running test PSA. */
export interface ConformanceWorld {
	/** The credential type and the fields as the credential stores them. */
	credentialType: string;
	credentials: Record<string, unknown>;
	/** Credentials the PSA refuses (wrong key) and credentials of a user without rights. */
	wrongKeyCredentials: Record<string, unknown>;
	restrictedCredentials: Record<string, unknown>;
	/** The credential values that must never leave the provider in clear (keys, secrets). */
	secrets: string[];
	seeded: SeededData;
	/** Deps for a provider here: instant backoff, and whatever the test PSA needs. */
	deps(overrides?: Partial<ProviderDeps>): ProviderDeps;
	/** The next create of a ticket is committed but its answer lost. */
	loseNextCreateAnswer(): void;
	/** The next `times` requests are refused as rate limited (Retry-After 0). */
	throttle(times: number): void;
	/** Tickets in the PSA whose external reference is `reference`. */
	ticketsWithReference(reference: string): number;
	/** Notes with this text on the ticket, as the PSA holds them. */
	notesWithText(ticketId: number, text: string): number;
	/** A technician (not the API user) moves the ticket to the status. */
	changeAsTechnician(ticketId: number, statusId: number): void;
	/** Configuration item ids attached to the ticket, as the PSA holds them (the ticket's own field and the attached list). */
	ticketConfigurationItems(ticketId: number): number[];
	/** The ticket's custom field values by name, as the PSA holds them. */
	ticketCustomFields(ticketId: number): Record<string, unknown>;
	/** Work records: the role a time entry names (required where the PSA needs one), the next time entry's answer lost, the entries on a ticket. */
	work: {
		/** A role time entries may name; absent where the PSA has none (HaloPSA). */
		workRoleName?: string;
		loseNextTimeEntryAnswer(): void;
		timeEntriesOn(ticketId: number): Array<{ id: number; memberId: number; hours: number; internalNotes: string }>;
		loseNextAttachmentAnswer(): void;
		/** The ticket's attachments as the PSA holds them, with their bytes. */
		attachmentsOn(ticketId: number): Array<{ id: number; title: string; fileName: string; data: Buffer; public: boolean }>;
	};
	/** Write requests the PSA received so far, refused ones included (for "nothing sent" checks). */
	writeCount(): number;
	/** An address callbacks may be registered for. */
	callbackUrl: string;
	/** Waits for the PSA's next callback deliveries and returns them as received. */
	nextCallbacks(count: number): Promise<RecordedCallback[]>;
	/** Makes the PSA offer a newer API version than the one `credentials` pin (`pinned`); `restore` undoes what it changed. */
	versionDrift(): { credentials: Record<string, unknown>; pinned: string; restore(): void };
	/** Credentials pinning a version the PSA never served, or why the PSA cannot be asked for one. */
	unsupportedVersion: { credentials: Record<string, unknown> } | { reason: string };
	stop(): Promise<void>;
}

export interface ProviderFixture {
	/** The provider key (PsaConnectionInfo.provider). */
	name: string;
	start(): Promise<ConformanceWorld>;
}
