// The HaloPSA sandbox's records and seed: clients, sites, users, agents, ticket types, statuses, priorities, teams, categories, action types, custom fields, assets; and the API applications that may ask for tokens.

export interface HaloApplication {
	clientId: string;
	clientSecret: string;
	/** Scopes the application may be granted ('all' covers every one). */
	scopes: string[];
	/** The agent the application acts as (GET /Agent/me). */
	agentId: number;
}

export const API_APPLICATION: HaloApplication = { clientId: 'psa-bridge-sandbox', clientSecret: 'HaloSandboxSecret-7Qx2pL9v', scopes: ['all'], agentId: 1 };
export const READONLY_APPLICATION: HaloApplication = { clientId: 'psa-bridge-readonly', clientSecret: 'HaloReadonlySecret-3Kd8wQ1z', scopes: ['read:tickets', 'read:customers', 'read:assets'], agentId: 5 };
export const APPLICATIONS = [API_APPLICATION, READONLY_APPLICATION];

export const API_AGENT_ID = 1;
export const ACTIVE_AGENT_ID = 2;
export const INACTIVE_AGENT_ID = 3;

export type Row = Record<string, unknown>;

export interface HaloTicket {
	id: number;
	summary: string;
	details: string;
	client_id: number;
	site_id: number;
	user_id: number;
	agent_id: number;
	team: string;
	status_id: number;
	priority_id: number;
	tickettype_id: number;
	impact: number;
	urgency: number;
	categoryid_1: number;
	category_1: string;
	deadlinedate: string | null;
	customfields: Array<{ id: number; name: string; value: unknown }>;
	assets: number[];
	dateoccurred: string;
	last_update: string;
	dateclosed: string | null;
	deleted?: boolean;
}

export interface HaloAction {
	id: number;
	ticket_id: number;
	note: string;
	outcome: string;
	outcome_id: number;
	hiddenfromuser: boolean;
	who_agentid: number;
	datetime: string;
	/** Made by Halo itself (logged, status changed): left out with excludesys. */
	system: boolean;
	new_status?: number;
	/** Hours: an action with time is a time entry [spec]. */
	timetaken?: number;
	/** Staff only [open: the description names the field, not who sees it]. */
	private_note?: string;
	actionarrivaldate?: string;
	actioncompletiondate?: string;
	actisbillable?: boolean;
}

/** A file on a ticket as the sandbox keeps it: its bytes beside the record Halo lists. */
export interface HaloAttachment {
	id: number;
	ticket_id: number;
	filename: string;
	desc: string;
	content_type: string;
	filesize: number;
	showforusers: boolean;
	datecreated: string;
	agent_id: number;
	data: Buffer;
}

export interface HaloExternalLink {
	id: number;
	table_id: number;
	module_id: number;
	halo_id: number;
	third_party_id: string;
	third_party_type: string;
	third_party_desc: string;
	date_created: string;
}

export interface HaloWebhook {
	id: string;
	name: string;
	url: string;
	method: number;
	content_type: string;
	authentication_type: number;
	basic_username: string;
	basic_password: string;
	authentication_header: string;
	active: boolean;
	payload_type: number;
}

export interface HaloNotification {
	id: number;
	webhook_id: string;
	delivery_method: number;
	eventno: number;
	name: string;
}

export interface HaloDb {
	clients: Array<{ id: number; name: string; inactive: boolean }>;
	sites: Array<{ id: number; name: string; client_id: number; inactive: boolean }>;
	users: Array<{ id: number; name: string; client_id: number; site_id: number; emailaddress: string; inactive: boolean }>;
	agents: Array<{ id: number; name: string; email: string; isdisabled: boolean; isapiagent: boolean; team: string }>;
	ticketTypes: Array<{ id: number; name: string; inactive: boolean }>;
	/** type: 0 open, 1 pending (on hold), 2 closed [open: the sandbox's choice]; tickettypes: the types it is limited to. */
	statuses: Array<{ id: number; name: string; shortname: string; type: number; sequence: number; tickettypes: number[] }>;
	priorities: Array<{ id: number; priorityid: number; slaid: number; name: string }>;
	teams: Array<{ id: number; name: string; inactive: boolean }>;
	categories: Array<{ id: number; value: string; type_id: number }>;
	outcomes: Array<{ id: number; outcome: string; buttonname: string; hidden: boolean }>;
	fields: Array<{ id: number; name: string; label: string; type: number; typeid: number; custom: boolean; characterlimit: number; values: Array<{ id: number; name: string }> }>;
	assets: Array<{ id: number; inventory_number: string; key_field: string; key_field2: string; key_field3: string; client_id: number; site_id: number; assettype_name: string; inactive: boolean; datto_id: string }>;
	tickets: HaloTicket[];
	actions: HaloAction[];
	attachments: HaloAttachment[];
	externalLinks: HaloExternalLink[];
	webhooks: HaloWebhook[];
	notifications: HaloNotification[];
	/** Every status change Halo applied, in order (fault-suite invariants read it). */
	statusChanges: Array<{ ticketId: number; fromStatus: number; toStatus: number; reopened: boolean }>;
	next: { ticket: number; action: number; link: number; notification: number; attachment: number };
}

export function createSeed(): HaloDb {
	return {
		clients: [
			{ id: 12, name: 'Acme Corporation', inactive: false },
			{ id: 13, name: 'Globex Ltd', inactive: false },
		],
		sites: [
			{ id: 21, name: 'Acme HQ', client_id: 12, inactive: false },
			{ id: 22, name: 'Acme Branch', client_id: 12, inactive: false },
			{ id: 31, name: 'Globex Main', client_id: 13, inactive: false },
		],
		users: [
			{ id: 101, name: 'Jane Doe', client_id: 12, site_id: 21, emailaddress: 'jane.doe@acme.example', inactive: false },
			{ id: 102, name: 'Bob Stone', client_id: 13, site_id: 31, emailaddress: 'bob@globex.example', inactive: false },
		],
		agents: [
			{ id: API_AGENT_ID, name: 'PSA Bridge API', email: 'api@halo.example', isdisabled: false, isapiagent: true, team: 'Service Desk' },
			{ id: ACTIVE_AGENT_ID, name: 'John Smith', email: 'john.smith@acme.example', isdisabled: false, isapiagent: false, team: 'Service Desk' },
			{ id: INACTIVE_AGENT_ID, name: 'Old Tech', email: 'oldtech@acme.example', isdisabled: true, isapiagent: false, team: 'Network' },
			{ id: 4, name: 'Sam Second', email: 'sam.second@acme.example', isdisabled: false, isapiagent: false, team: 'Network' },
			{ id: 5, name: 'Readonly API', email: 'readonly@halo.example', isdisabled: false, isapiagent: true, team: 'Service Desk' },
		],
		ticketTypes: [
			{ id: 1, name: 'Incident', inactive: false },
			{ id: 2, name: 'Service Request', inactive: false },
		],
		statuses: [
			{ id: 1, name: 'New', shortname: 'NEW', type: 0, sequence: 1, tickettypes: [] },
			{ id: 2, name: 'In Progress', shortname: 'INP', type: 0, sequence: 2, tickettypes: [] },
			{ id: 3, name: 'Waiting on Customer', shortname: 'WAIT', type: 1, sequence: 3, tickettypes: [] },
			{ id: 4, name: 'Awaiting Approval', shortname: 'APPR', type: 1, sequence: 4, tickettypes: [2] },
			{ id: 8, name: 'Resolved', shortname: 'RES', type: 2, sequence: 8, tickettypes: [] },
			{ id: 9, name: 'Closed', shortname: 'CLO', type: 2, sequence: 9, tickettypes: [] },
		],
		priorities: [
			{ id: 1, priorityid: 1, slaid: 1, name: 'Critical' },
			{ id: 2, priorityid: 2, slaid: 1, name: 'High' },
			{ id: 3, priorityid: 3, slaid: 1, name: 'Medium' },
			{ id: 4, priorityid: 4, slaid: 1, name: 'Low' },
			// The same priorities under a second SLA: Halo keeps them per SLA.
			{ id: 5, priorityid: 1, slaid: 2, name: 'Critical' },
			{ id: 6, priorityid: 4, slaid: 2, name: 'Low' },
		],
		teams: [
			{ id: 1, name: 'Service Desk', inactive: false },
			{ id: 2, name: 'Network', inactive: false },
		],
		categories: [
			{ id: 1, value: 'Hardware', type_id: 1 },
			{ id: 2, value: 'Software', type_id: 1 },
			{ id: 3, value: 'Network', type_id: 1 },
		],
		outcomes: [
			{ id: 1, outcome: 'Private Note', buttonname: 'Private Note', hidden: false },
			{ id: 2, outcome: 'Update', buttonname: 'Update', hidden: false },
			{ id: 3, outcome: 'Resolution', buttonname: 'Resolve', hidden: false },
			{ id: 4, outcome: 'Email User', buttonname: 'Email User', hidden: false },
		],
		fields: [
			{ id: 201, name: 'CFEnvironment', label: 'Environment', type: 2, typeid: 1, custom: true, characterlimit: 0, values: [{ id: 1, name: 'Production' }, { id: 2, name: 'Staging' }] },
			{ id: 202, name: 'CFAlertSource', label: 'Alert Source', type: 0, typeid: 1, custom: true, characterlimit: 100, values: [] },
			{ id: 301, name: 'CFClientTier', label: 'Client Tier', type: 0, typeid: 2, custom: true, characterlimit: 20, values: [] },
		],
		assets: [
			{ id: 501, inventory_number: 'WEB01', key_field: 'web01.acme.local', key_field2: 'SN-WEB01', key_field3: '10.0.0.11', client_id: 12, site_id: 21, assettype_name: 'Server', inactive: false, datto_id: 'dev-web01' },
			{ id: 502, inventory_number: 'DB01', key_field: 'db01.acme.local', key_field2: 'SN-DB01', key_field3: '10.0.0.12', client_id: 12, site_id: 21, assettype_name: 'Server', inactive: false, datto_id: 'dev-db01' },
			{ id: 503, inventory_number: 'GLX-FS1', key_field: 'fs1.globex.local', key_field2: 'SN-GLX1', key_field3: '10.1.0.5', client_id: 13, site_id: 31, assettype_name: 'Server', inactive: false, datto_id: 'dev-glx1' },
		],
		tickets: [],
		actions: [],
		attachments: [],
		externalLinks: [],
		webhooks: [],
		notifications: [],
		statusChanges: [],
		next: { ticket: 1001, action: 5001, link: 7001, notification: 9001, attachment: 8001 },
	};
}

/** Halo writes UTC without a zone. */
export function haloTime(ms: number): string {
	return new Date(ms).toISOString().replace(/Z$/, '');
}
