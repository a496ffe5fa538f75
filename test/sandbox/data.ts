// The sandbox's in-memory ConnectWise data: record types (stored in the current 2025.8 model) and the stable seed.
import { type CwCustomFieldValue, type SandboxDepthDb, createDepthSeed } from './depth-data';
import { type SandboxWorkDb, createWorkSeed } from './work';

export type Info = Record<string, string>;

export interface Reference {
	id: number;
	name?: string;
	identifier?: string;
	_info?: Info;
}

export interface CwCompany {
	id: number;
	identifier: string;
	name: string;
	status: Reference;
	city: string;
	phoneNumber: string;
	website: string;
	deletedFlag: boolean;
	types: Reference[];
	_info: Info;
}

export interface CwContact {
	id: number;
	firstName: string;
	lastName: string;
	company: Reference;
	inactiveFlag: boolean;
	title?: string;
	defaultPhoneType?: string;
	defaultPhoneNbr?: string;
	communicationItems: Array<{ id: number; type: Reference; value: string; defaultFlag: boolean; communicationType: string }>;
	_info: Info;
}

export interface CwBoard {
	id: number;
	name: string;
	location: Reference;
	department: Reference;
	inactiveFlag: boolean;
	projectFlag: boolean;
	_info: Info;
}

export interface CwStatus {
	id: number;
	name: string;
	board: Reference;
	sortOrder: number;
	displayOnBoard: boolean;
	inactive: boolean;
	closedStatus: boolean;
	timeEntryNotAllowed: boolean;
	defaultFlag: boolean;
	escalationStatus: string;
	customerPortalFlag: boolean;
	_info: Info;
}

export interface CwPriority {
	id: number;
	name: string;
	color: string;
	sortOrder: number;
	defaultFlag: boolean;
	level: string;
	_info: Info;
}

export interface CwMember {
	id: number;
	identifier: string;
	firstName: string;
	lastName: string;
	officeEmail?: string;
	primaryEmail?: string;
	defaultEmail: string;
	defaultPhone: string;
	inactiveFlag: boolean;
	licenseClass: string;
	hireDate: string;
	title?: string;
	securityRole: Reference;
	_info: Info;
}

export interface CwTicket {
	id: number;
	summary: string;
	recordType: 'ServiceTicket';
	board: Reference;
	status: Reference & { sort?: number };
	company: Reference;
	contact?: Reference;
	contactName?: string;
	contactEmailAddress?: string;
	owner?: Reference;
	priority: Reference & { sort?: number; level?: string };
	severity: string;
	impact: string;
	type?: Reference;
	subType?: Reference;
	item?: Reference;
	team?: Reference;
	source?: Reference;
	site?: Reference;
	requiredDate?: string;
	externalXRef?: string;
	closedFlag: boolean;
	closedDate?: string;
	closedBy?: string;
	/** Set when the ticket was merged into another (it is then closed). */
	mergedParentTicket?: Reference;
	customerUpdatedFlag: boolean;
	/** Every ticket custom field, with its value when it has one. */
	customFields: CwCustomFieldValue[];
	_info: Info;
}

export interface CwNote {
	id: number;
	ticketId: number;
	text: string;
	detailDescriptionFlag: boolean;
	internalAnalysisFlag: boolean;
	resolutionFlag: boolean;
	issueFlag: boolean;
	member?: Reference;
	contact?: Reference;
	customerUpdatedFlag: boolean;
	processNotifications: boolean;
	dateCreated: string;
	createdBy: string;
	internalFlag: boolean;
	externalFlag: boolean;
	sentimentScore: number | null;
	_info: Info;
}

export interface CwCallback {
	id: number;
	description: string;
	url: string;
	objectId: number;
	type: string;
	level: string;
	memberId: number;
	payloadVersion: string;
	inactiveFlag: boolean;
	isSoapCallbackFlag: boolean;
	isSelfSuppressedFlag: boolean;
	_info: Info;
}

export interface SandboxDb extends SandboxDepthDb, SandboxWorkDb {
	companies: CwCompany[];
	contacts: CwContact[];
	boards: CwBoard[];
	statuses: CwStatus[];
	priorities: CwPriority[];
	members: CwMember[];
	tickets: CwTicket[];
	notes: CwNote[];
	callbacks: CwCallback[];
	/** Next ids handed out on create. */
	sequences: { ticket: number; note: number; callback: number };
	/** Every committed status change by PATCH: from and to which status, and whether it closed or reopened the ticket. */
	statusChanges: Array<{ ticketId: number; fromStatusId: number; toStatusId: number; closed: boolean; reopened: boolean }>;
}

/** The fixed timestamp seeded records carry, so runs are reproducible. */
export const SEED_TIME = '2024-01-15T09:00:00Z';

let clock: () => number = Date.now;

/** Sets the clock the sandbox stamps records with (a virtual clock in the fault suite); Date.now when absent. */
export function setSandboxClock(now: (() => number) | undefined): void {
	clock = now ?? Date.now;
}

/** ConnectWise writes timestamps as ISO 8601 UTC without milliseconds. */
export function cwTimestamp(date = new Date(clock())): string {
	return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function seedInfo(extra: Info = {}): Info {
	return { lastUpdated: SEED_TIME, updatedBy: 'admin1', dateEntered: SEED_TIME, enteredBy: 'admin1', ...extra };
}

const location: Reference = { id: 2, name: 'Tampa Office' };
const department: Reference = { id: 10, identifier: 'Services', name: 'Professional Services' };

function company(id: number, identifier: string, name: string, city: string): CwCompany {
	return {
		id,
		identifier,
		name,
		status: { id: 1, name: 'Active' },
		city,
		phoneNumber: '8135550100',
		website: `www.${identifier.toLowerCase()}.example`,
		deletedFlag: false,
		types: [{ id: 1, name: 'Client' }],
		_info: seedInfo(),
	};
}

function contact(id: number, firstName: string, lastName: string, owner: CwCompany, email: string, inactiveFlag = false): CwContact {
	return {
		id,
		firstName,
		lastName,
		company: { id: owner.id, identifier: owner.identifier, name: owner.name },
		inactiveFlag,
		title: 'IT Contact',
		defaultPhoneType: 'Direct',
		defaultPhoneNbr: '8135550111',
		communicationItems: [
			{ id: id * 10 + 1, type: { id: 1, name: 'Email' }, value: email, defaultFlag: true, communicationType: 'Email' },
		],
		_info: seedInfo(),
	};
}

function board(id: number, name: string, inactiveFlag = false, projectFlag = false): CwBoard {
	return { id, name, location, department, inactiveFlag, projectFlag, _info: seedInfo() };
}

function status(
	id: number,
	owner: CwBoard,
	name: string,
	sortOrder: number,
	flags: { closed?: boolean; inactive?: boolean; default?: boolean } = {},
): CwStatus {
	return {
		id,
		name,
		board: { id: owner.id, name: owner.name },
		sortOrder,
		displayOnBoard: !flags.inactive,
		inactive: flags.inactive ?? false,
		closedStatus: flags.closed ?? false,
		timeEntryNotAllowed: flags.closed ?? false,
		defaultFlag: flags.default ?? false,
		escalationStatus: flags.closed ? 'Resolved' : 'NotResponded',
		customerPortalFlag: false,
		_info: seedInfo(),
	};
}

function member(
	id: number,
	identifier: string,
	firstName: string,
	lastName: string,
	emails: { officeEmail?: string; primaryEmail?: string },
	inactiveFlag = false,
	role = 'Technician',
): CwMember {
	return {
		id,
		identifier,
		firstName,
		lastName,
		...emails,
		defaultEmail: 'Office',
		defaultPhone: 'Office',
		inactiveFlag,
		licenseClass: identifier.startsWith('api') || identifier === 'readonly' ? 'A' : 'F',
		hireDate: '2020-01-06T00:00:00Z',
		title: role,
		securityRole: { id: role === 'Admin' ? 1 : 5, name: role },
		_info: seedInfo(),
	};
}

/** A fresh copy of the seed: each sandbox owns its own data. */
export function createSeed(): SandboxDb {
	const catchall = company(19, 'Catchall', 'Catchall', 'Tampa');
	const acme = company(250, 'AcmeCorp', 'Acme Corp', 'Tampa');
	const globex = company(251, 'Globex', 'Globex', 'Cypress Creek');
	const initech = company(252, 'Initech', 'Initech', 'Austin');
	const helpDesk = board(1, 'Help Desk');
	const networkOps = board(2, 'Network Operations');
	const projects = board(3, 'Projects', true, true);
	return {
		companies: [catchall, acme, globex, initech],
		contacts: [
			contact(300, 'Pat', 'Smith', acme, 'pat.smith@acme.example'),
			contact(301, 'Lee', 'Jones', acme, 'lee.jones@acme.example'),
			contact(302, 'Former', 'Employee', acme, 'former@acme.example', true),
			contact(310, 'Hank', 'Scorpio', globex, 'hank@globex.example'),
			contact(311, 'Frank', 'Grimes', globex, 'frank.grimes@globex.example'),
			contact(320, 'Bill', 'Lumbergh', initech, 'bill@initech.example'),
			contact(321, 'Peter', 'Gibbons', initech, 'peter@initech.example'),
		],
		boards: [helpDesk, networkOps, projects],
		statuses: [
			status(101, helpDesk, 'New', 1, { default: true }),
			status(102, helpDesk, 'In Progress', 2),
			status(103, helpDesk, 'Waiting Customer', 3),
			status(104, helpDesk, 'Resolved', 4, { closed: true }),
			status(105, helpDesk, 'Closed', 5, { closed: true }),
			status(106, helpDesk, 'Old Queue', 6, { inactive: true }),
			status(201, networkOps, 'New', 1, { default: true }),
			status(202, networkOps, 'Investigating', 2),
			status(203, networkOps, 'Monitoring', 3),
			status(204, networkOps, 'Resolved', 4, { closed: true }),
			status(301, projects, 'New', 1, { default: true }),
			status(302, projects, 'Closed', 2, { closed: true }),
		],
		priorities: [
			{ id: 1, name: 'Priority 1 - Critical', color: 'Red', sortOrder: 1, defaultFlag: false, level: 'Critical', _info: seedInfo() },
			{ id: 2, name: 'Priority 2 - High', color: 'Orange', sortOrder: 2, defaultFlag: false, level: 'High', _info: seedInfo() },
			{ id: 3, name: 'Priority 3 - Normal', color: 'Green', sortOrder: 3, defaultFlag: true, level: 'Medium', _info: seedInfo() },
			{ id: 4, name: 'Priority 4 - Low', color: 'Blue', sortOrder: 4, defaultFlag: false, level: 'Low', _info: seedInfo() },
		],
		members: [
			member(150, 'jsmith', 'John', 'Smith', { officeEmail: 'john.smith@acme.example' }),
			member(151, 'adoe', 'Alice', 'Doe', { officeEmail: 'alice.doe@acme.example', primaryEmail: 'alice@acme.example' }),
			member(152, 'api', 'API', 'Member', { officeEmail: 'api@msp.example' }, false, 'Admin'),
			member(153, 'oldtech', 'Old', 'Tech', { officeEmail: 'oldtech@acme.example' }, true),
			member(154, 'bwayne', 'Bruce', 'Wayne', { officeEmail: 'bruce@acme.example', primaryEmail: 'bruce@acme.example' }),
			member(155, 'bwayne2', 'Bruce', 'Wayne (old)', { officeEmail: 'bruce@acme.example', primaryEmail: 'bruce@acme.example' }, true),
			member(156, 'readonly', 'Read', 'Only', { officeEmail: 'readonly@msp.example' }, false, 'Read Only'),
		],
		tickets: [],
		notes: [],
		callbacks: [],
		sequences: { ticket: 1001, note: 5001, callback: 1 },
		statusChanges: [],
		...createDepthSeed(seedInfo, SEED_TIME),
		...createWorkSeed(),
	};
}
