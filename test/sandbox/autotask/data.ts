// The Autotask sandbox's records and seed data: companies, contacts, resources (the API users and technicians), picklists.
import { seedPicklists, type PicklistValue } from './metadata';

export type Row = Record<string, unknown> & { id: number };

export interface AutotaskTicket extends Row {
	companyID: number;
	title: string;
	status: number;
	priority: number;
	ticketNumber: string;
	createDate: string;
	lastActivityDate: string;
	userDefinedFields: Array<{ name: string; value: string | null }>;
}

export interface AutotaskNote extends Row {
	ticketID: number;
	title: string | null;
	description: string;
	noteType: number;
	publish: number;
	createDateTime: string;
	creatorResourceID: number;
	impersonatorCreatorResourceID: number | null;
	lastActivityDate: string;
}

export interface AutotaskResource extends Row {
	firstName: string;
	lastName: string;
	userName: string;
	email: string;
	email2: string | null;
	email3: string | null;
	isActive: boolean;
	licenseType: number;
	resourceType: string;
	title: string | null;
	/** The role a ticket assigned to the resource takes unless another is named. */
	defaultServiceDeskRoleID: number | null;
}

export interface AutotaskCompany extends Row {
	companyName: string;
	companyType: number;
	isActive: boolean;
	phone: string;
}

export interface AutotaskContact extends Row {
	companyID: number;
	firstName: string;
	lastName: string;
	emailAddress: string | null;
	externalID: string | null;
	isActive: number;
}

export interface AutotaskWebhook extends Row {
	name: string;
	webhookUrl: string;
	deactivationUrl: string;
	secretKey: string;
	isActive: boolean;
	isReady: boolean;
	sendThresholdExceededNotification: boolean;
	isSubscribedToCreateEvents: boolean;
	isSubscribedToUpdateEvents: boolean;
	isSubscribedToDeleteEvents: boolean;
	notificationEmailAddress: string | null;
	ownerResourceID: number;
	webhookGuid: string;
}

export interface AutotaskWebhookField extends Row {
	webhookID: number;
	fieldID: number;
	isSubscribedField: boolean;
	isDisplayAlwaysField: boolean;
}

export interface AutotaskExcludedResource extends Row {
	webhookID: number;
	resourceID: number;
}

/** One status change a PATCH or PUT carried (or a technician made), the status unchanged included. */
export interface AutotaskStatusChange {
	ticketId: number;
	fromStatus: number;
	toStatus: number;
	/** Moved to Complete (5) from another status. */
	closed: boolean;
	/** Moved from Complete to another status. */
	reopened: boolean;
	at: string;
}

export interface AutotaskDb {
	tickets: AutotaskTicket[];
	notes: AutotaskNote[];
	/** Every write that carried a status, in order; cleared with the tickets. */
	statusChanges: AutotaskStatusChange[];
	resources: AutotaskResource[];
	companies: AutotaskCompany[];
	contacts: AutotaskContact[];
	webhooks: AutotaskWebhook[];
	webhookFields: AutotaskWebhookField[];
	webhookExcludedResources: AutotaskExcludedResource[];
	picklists: Record<string, Record<string, PicklistValue[]>>;
	/** Next id per table; ids are never reused, even after clearTickets(). */
	nextIds: Record<'tickets' | 'notes' | 'webhooks' | 'webhookFields' | 'webhookExcludedResources', number>;
	/** Ticket numbers issued per day (TYYYYMMDD.NNNN). */
	ticketNumbers: Record<string, number>;
}

export interface AutotaskCredentials {
	username: string;
	secret: string;
	integrationCode: string;
	zoneUrl: string;
}

/** The seeded service desk role (Autotask role ids are tenant-wide numbers like these). */
export const SERVICE_DESK_ROLE_ID = 29682833;
export const API_USER_ID = 29682885;
export const RESTRICTED_API_USER_ID = 29682890;
export const ACTIVE_TECHNICIAN_ID = 29682886;
export const INACTIVE_TECHNICIAN_ID = 29682887;
export const SECOND_TECHNICIAN_ID = 29682888;
export const INTEGRATION_CODE = 'PSABRIDGESANDBOX7QX4Z2';

export const API_USER = { username: 'psabridge-api@sandbox.example', secret: 'Sandbox-Secret-01!', integrationCode: INTEGRATION_CODE };
/** Security level with query rights only: every create/update/delete answers 500 with the permission message. */
export const RESTRICTED_API_USER = { username: 'psabridge-ro@sandbox.example', secret: 'Readonly-Secret-01!', integrationCode: INTEGRATION_CODE };

function resource(id: number, first: string, last: string, userName: string, email: string, extra: Partial<AutotaskResource> = {}): AutotaskResource {
	return { id, firstName: first, lastName: last, userName, email, email2: null, email3: null, isActive: true, licenseType: 3, resourceType: 'Employee', title: null, defaultServiceDeskRoleID: extra.licenseType === 7 ? null : SERVICE_DESK_ROLE_ID, ...extra };
}

function contact(id: number, companyID: number, first: string, last: string, emailAddress: string, isActive = 1): AutotaskContact {
	return { id, companyID, firstName: first, lastName: last, emailAddress, externalID: null, isActive };
}

export function createSeed(): AutotaskDb {
	return {
		tickets: [],
		notes: [],
		statusChanges: [],
		resources: [
			resource(API_USER_ID, 'PSA Bridge', 'API', API_USER.username, 'psabridge-api@sandbox.example', { licenseType: 7, title: 'API User' }),
			resource(ACTIVE_TECHNICIAN_ID, 'John', 'Smith', 'jsmith', 'john.smith@acme.example', { title: 'Technician' }),
			resource(INACTIVE_TECHNICIAN_ID, 'Old', 'Tech', 'oldtech', 'oldtech@acme.example', { isActive: false }),
			// The address clients look up lives in email2: a lookup on `email` alone misses her.
			resource(SECOND_TECHNICIAN_ID, 'Jane', 'Doe', 'jdoe', 'jdoe@msp.example', { email2: 'jane.doe@acme.example', title: 'Technician' }),
			resource(RESTRICTED_API_USER_ID, 'PSA Bridge', 'Read Only', RESTRICTED_API_USER.username, 'psabridge-ro@sandbox.example', { licenseType: 7, title: 'API User' }),
		],
		companies: [
			{ id: 0, companyName: 'PSA Bridge Sandbox (own company)', companyType: 1, isActive: true, phone: '555-0100' },
			{ id: 175, companyName: 'Acme Corporation', companyType: 1, isActive: true, phone: '555-0175' },
			{ id: 176, companyName: 'Globex', companyType: 1, isActive: true, phone: '555-0176' },
			{ id: 177, companyName: 'Initech (inactive)', companyType: 4, isActive: false, phone: '555-0177' },
		],
		contacts: [
			contact(30682901, 175, 'Alice', 'Anderson', 'alice@acme.example'),
			contact(30682902, 175, 'Bob', 'Brown', 'bob@acme.example'),
			contact(30682903, 175, 'Carl', 'Former', 'carl@acme.example', 0),
			contact(30682904, 176, 'Gina', 'Globex', 'gina@globex.example'),
		],
		webhooks: [],
		webhookFields: [],
		webhookExcludedResources: [],
		picklists: seedPicklists(),
		nextIds: { tickets: 7865, notes: 29700001, webhooks: 4, webhookFields: 101, webhookExcludedResources: 201 },
		ticketNumbers: {},
	};
}

/** Autotask datetimes on the wire: UTC ISO 8601 with milliseconds and Z. */
export function atTimestamp(ms: number): string {
	return new Date(ms).toISOString();
}
