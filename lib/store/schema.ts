// Row shapes of the store's tables as Kysely sees them; times are epoch milliseconds on both engines.
import type { ColumnType, Generated } from 'kysely';
import type { LinkState, MemberMapKind, NoteReceiptState, ReceiptRecordKind, TicketState } from './types';

/** pg returns int8 as a string; better-sqlite3 returns a number. Mappers convert with Number(). */
type Int8 = ColumnType<number | string, number, number>;
type NullableInt8 = ColumnType<number | string | null, number | null, number | null>;

export interface StoreMetaTable {
	name: string;
	value: string;
	updated_at: Int8;
}

export interface ConnectionsTable {
	connection_id: string;
	provider: string;
	label: string;
	created_at: Int8;
	last_seen_at: Int8;
}

export interface TicketLinksTable {
	connection_id: string;
	source: string;
	external_id: string;
	state: LinkState;
	ticket_id: NullableInt8;
	claim_token: string | null;
	created_at: Int8;
	updated_at: Int8;
	generation: ColumnType<number | string, number | undefined, number>;
	previous_ticket_id: NullableInt8;
	occurrences: ColumnType<number | string, number | undefined, number>;
	first_seen_at: NullableInt8;
	last_seen_at: NullableInt8;
	ticket_state: TicketState | null;
	ticket_state_at: NullableInt8;
	ticket_closed_at: NullableInt8;
	reopen_token: string | null;
	reopen_at: NullableInt8;
}

export interface NoteReceiptsTable {
	connection_id: string;
	dedupe_key: string;
	state: NoteReceiptState;
	ticket_id: Int8;
	/** What note_id names: a note, a time entry or an attachment (ids are unique per kind). */
	record_kind: ColumnType<ReceiptRecordKind, ReceiptRecordKind | undefined, ReceiptRecordKind>;
	note_id: NullableInt8;
	claim_token: string | null;
	created_at: Int8;
	updated_at: Int8;
}

export interface MemberMapTable {
	connection_id: string;
	source: string;
	identity_hash: string;
	identity_sealed: string;
	member_id: Int8;
	member_identifier: string;
	kind: MemberMapKind;
	updated_at: Int8;
}

export interface StatusMapTable {
	connection_id: string;
	board_id: Int8;
	external_state: string;
	status_id: Int8;
	status_name: string;
	updated_at: Int8;
}

export interface RequestSlotsTable {
	slot_key: string;
	slot: number;
	holder: string | null;
	lease_until: Int8;
}

export interface RequestCountsTable {
	budget_key: string;
	minute: Int8;
	requests: number;
}

export interface CallbackSecretsTable {
	connection_id: string;
	workflow_id: string;
	node_id: string;
	callback_id: Int8;
	callback_guid: string | null;
	secret_sealed: string;
	updated_at: Int8;
}

export interface AuditEventsTable {
	id: Generated<number | string>;
	connection_id: string;
	action: string;
	detail_sealed: string;
	at: Int8;
}

export interface StoreDatabase {
	psa_store_meta: StoreMetaTable;
	psa_connections: ConnectionsTable;
	psa_ticket_links: TicketLinksTable;
	psa_note_receipts: NoteReceiptsTable;
	psa_member_map: MemberMapTable;
	psa_status_map: StatusMapTable;
	psa_audit_events: AuditEventsTable;
	psa_request_slots: RequestSlotsTable;
	psa_request_counts: RequestCountsTable;
	psa_callback_secrets: CallbackSecretsTable;
}
