// The Autotask sandbox's records and seed data: companies, contacts, resources (the API users and technicians), picklists, configuration items, locations and UDFs.
import { type AutotaskWorkDb, createWorkSeed } from './work';
import { seedPicklists, seedUserDefinedFields, type PicklistValue, type UdfInfo } from './metadata';

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

export interface AutotaskConfigurationItem extends Row {
	companyID: number;
	companyLocationID: number | null;
	configurationItemType: number | null;
	referenceTitle: string;
	referenceNumber: string | null;
	serialNumber: string | null;
	rmmDeviceID: number | null;
	rmmDeviceUID: string | null;
	rmmDeviceAuditHostname: string | null;
	rmmDeviceAuditIPAddress: string | null;
	rmmDeviceAuditMacAddress: string | null;
	isActive: boolean;
	productID: number;
	createDate: string;
	lastModifiedTime: string;
	userDefinedFields: Array<{ name: string; value: string | null }>;
}

export interface AutotaskConfigurationItemType extends Row {
	name: string;
	isActive: boolean;
}

/** A company's site (Autotask CompanyLocations; the entity is not in the reference subset, its shape is the sandbox's). */
export interface AutotaskCompanyLocation extends Row {
	companyID: number;
	name: string;
	isActive: boolean;
	isPrimary: boolean;
}

/** A configuration item attached to a ticket beyond the ticket's own configurationItemID. */
export interface AutotaskTicketAdditionalConfigurationItem extends Row {
	ticketID: number;
	configurationItemID: number;
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

export interface AutotaskDb extends AutotaskWorkDb {
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
	configurationItems: AutotaskConfigurationItem[];
	configurationItemTypes: AutotaskConfigurationItemType[];
	companyLocations: AutotaskCompanyLocation[];
	ticketAdditionalConfigurationItems: AutotaskTicketAdditionalConfigurationItem[];
	picklists: Record<string, Record<string, PicklistValue[]>>;
	/** User-defined field definitions per entity (tenant configuration), as entityInformation/userDefinedFields answers them. */
	udfs: Record<string, UdfInfo[]>;
	/** Next id per table; ids are never reused, even after clearTickets(). */
	nextIds: Record<'tickets' | 'notes' | 'webhooks' | 'webhookFields' | 'webhookExcludedResources' | 'ticketAdditionalConfigurationItems', number>;
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

/** Seeded configuration items (ids in Autotask's range); the depth checks find them by name, serial, IP, MAC and RMM id. */
export const ACME_SERVER_CI_ID = 29684001;
export const ACME_WORKSTATION_CI_ID = 29684002;
export const ACME_RETIRED_CI_ID = 29684003;
export const GLOBEX_SERVER_CI_ID = 29684004;
export const ACME_HQ_LOCATION_ID = 29685001;
export const ACME_WAREHOUSE_LOCATION_ID = 29685002;
export const GLOBEX_LOCATION_ID = 29685003;

const SEEDED_AT = '2026-01-05T09:00:00.000Z';

function configurationItem(id: number, companyID: number, referenceTitle: string, extra: Partial<AutotaskConfigurationItem> = {}): AutotaskConfigurationItem {
	return {
		id,
		companyID,
		companyLocationID: null,
		configurationItemType: 1,
		referenceTitle,
		referenceNumber: null,
		serialNumber: null,
		rmmDeviceID: null,
		rmmDeviceUID: null,
		rmmDeviceAuditHostname: null,
		rmmDeviceAuditIPAddress: null,
		rmmDeviceAuditMacAddress: null,
		isActive: true,
		productID: 29683901,
		createDate: SEEDED_AT,
		lastModifiedTime: SEEDED_AT,
		userDefinedFields: [],
		...extra,
	};
}

function contact(id: number, companyID: number, first: string, last: string, emailAddress: string, isActive = 1): AutotaskContact {
	return { id, companyID, firstName: first, lastName: last, emailAddress, externalID: null, isActive };
}

export function createSeed(): AutotaskDb {
	return {
		tickets: [],
		notes: [],
		statusChanges: [],
		...createWorkSeed(),
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
		configurationItems: [
			configurationItem(ACME_SERVER_CI_ID, 175, 'ACME-SRV-01', {
				companyLocationID: ACME_HQ_LOCATION_ID,
				serialNumber: 'SN-ACME-0001',
				rmmDeviceID: 5001,
				rmmDeviceUID: '4b1f7c2e-91d0-4c35-a8e2-5d7f00c0ffee',
				rmmDeviceAuditHostname: 'acme-srv-01',
				rmmDeviceAuditIPAddress: '10.0.0.10',
				rmmDeviceAuditMacAddress: '00:1A:2B:3C:4D:5E',
			}),
			configurationItem(ACME_WORKSTATION_CI_ID, 175, 'ACME-WS-17', { configurationItemType: 2, serialNumber: 'SN-ACME-0017', rmmDeviceAuditIPAddress: '10.0.0.117' }),
			configurationItem(ACME_RETIRED_CI_ID, 175, 'ACME-OLD-02', { serialNumber: 'SN-ACME-0002', isActive: false }),
			configurationItem(GLOBEX_SERVER_CI_ID, 176, 'GLOBEX-SRV-01', { serialNumber: 'SN-GLOBEX-0001', rmmDeviceAuditIPAddress: '10.0.0.10' }),
		],
		configurationItemTypes: [
			{ id: 1, name: 'Server', isActive: true },
			{ id: 2, name: 'Workstation', isActive: true },
			{ id: 3, name: 'Network Device', isActive: true },
		],
		companyLocations: [
			{ id: ACME_HQ_LOCATION_ID, companyID: 175, name: 'Acme HQ', isActive: true, isPrimary: true },
			{ id: ACME_WAREHOUSE_LOCATION_ID, companyID: 175, name: 'Acme Warehouse', isActive: true, isPrimary: false },
			{ id: GLOBEX_LOCATION_ID, companyID: 176, name: 'Globex Main', isActive: true, isPrimary: true },
		],
		ticketAdditionalConfigurationItems: [],
		picklists: seedPicklists(),
		udfs: { Tickets: seedUserDefinedFields() },
		nextIds: { tickets: 7865, notes: 29700001, webhooks: 4, webhookFields: 101, webhookExcludedResources: 201, ticketAdditionalConfigurationItems: 29686001 },
		ticketNumbers: {},
	};
}

/** Autotask datetimes on the wire: UTC ISO 8601 with milliseconds and Z. */
export function atTimestamp(ms: number): string {
	return new Date(ms).toISOString();
}
