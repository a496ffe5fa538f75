// The store's migrations, listed in code (in order) so bundling cannot lose them; never rename or reorder a shipped one.
import type { Kysely } from 'kysely';
import * as m001 from './001_connections';
import * as m002 from './002_ticket_links';
import * as m003 from './003_note_receipts';
import * as m004 from './004_member_map';
import * as m005 from './005_status_map';
import * as m006 from './006_audit_events';
import * as m007 from './007_note_receipt_owner';
import * as m008 from './008_link_lifecycle';
import * as m009 from './009_request_limits';
import * as m010 from './010_callback_secrets';
import * as m011 from './011_receipt_record_kind';
import * as m012 from './012_audit_action_index';
import * as m013 from './013_audit_connection_index';

export interface StoreMigration {
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	up(db: Kysely<any>): Promise<void>;
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	down?(db: Kysely<any>): Promise<void>;
}

export const migrations: Readonly<Record<string, StoreMigration>> = Object.freeze({
	'001_connections': m001,
	'002_ticket_links': m002,
	'003_note_receipts': m003,
	'004_member_map': m004,
	'005_status_map': m005,
	'006_audit_events': m006,
	'007_note_receipt_owner': m007,
	'008_link_lifecycle': m008,
	'009_request_limits': m009,
	'010_callback_secrets': m010,
	'011_receipt_record_kind': m011,
	'012_audit_action_index': m012,
	'013_audit_connection_index': m013,
});
