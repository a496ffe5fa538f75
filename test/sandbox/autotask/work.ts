// The Autotask sandbox's work records: ticket time entries (TimeEntries), roles and billing codes, and ticket attachments (base64 data).
import { apiError } from './query';
import type { AutotaskDb, Row } from './data';
import { atTimestamp } from './data';

export interface AutotaskTimeEntry extends Row {
	id: number;
	ticketID: number;
	resourceID: number;
	roleID: number;
	billingCodeID: number | null;
	dateWorked: string;
	startDateTime: string | null;
	endDateTime: string | null;
	hoursWorked: number;
	summaryNotes: string;
	internalNotes: string | null;
	isNonBillable: boolean;
	showOnInvoice: boolean;
	createDateTime: string;
	creatorUserID: number;
}

export interface AutotaskRole extends Row {
	id: number;
	name: string;
	isActive: boolean;
}

export interface AutotaskBillingCode extends Row {
	id: number;
	name: string;
	isActive: boolean;
	useType: number;
}

export interface AutotaskWorkDb {
	timeEntries: AutotaskTimeEntry[];
	roles: AutotaskRole[];
	billingCodes: AutotaskBillingCode[];
	workIds: { timeEntries: number; attachments: number };
}

export const TECHNICIAN_ROLE_ID = 29683001;

export function createWorkSeed(): AutotaskWorkDb {
	return {
		timeEntries: [],
		roles: [
			{ id: TECHNICIAN_ROLE_ID, name: 'Technician', isActive: true },
			{ id: 29683002, name: 'Engineer', isActive: true },
			{ id: 29683003, name: 'Retired Role', isActive: false },
		],
		billingCodes: [
			{ id: 29684101, name: 'Remote Support', isActive: true, useType: 1 },
			{ id: 29684102, name: 'Onsite', isActive: true, useType: 1 },
		],
		workIds: { timeEntries: 29690001, attachments: 29695001 },
	};
}

/** POST /TimeEntries for a ticket: the ticket, an active resource and an active role; summaryNotes required; hours 0 < h <= 24. */
export function createTimeEntry(db: AutotaskDb & AutotaskWorkDb, input: Record<string, unknown>, creatorId: number, now: number): AutotaskTimeEntry {
	const ticketId = Number(input.ticketID);
	if (!db.tickets.some((ticket) => ticket.id === ticketId)) throw apiError('Value does not reference an existing entity for ticketID.');
	const resource = db.resources.find((candidate) => candidate.id === Number(input.resourceID));
	if (!resource) throw apiError('Value does not reference an existing entity for resourceID.');
	if (!resource.isActive) throw apiError('The resource is inactive.');
	const role = db.roles.find((candidate) => candidate.id === Number(input.roleID));
	if (input.roleID === undefined || input.roleID === null) throw apiError('roleID is required.');
	if (!role || !role.isActive) throw apiError('Value does not reference an existing entity for roleID.');
	if (input.billingCodeID !== undefined && input.billingCodeID !== null && !db.billingCodes.some((code) => code.id === Number(input.billingCodeID) && code.isActive)) {
		throw apiError('Value does not reference an existing entity for billingCodeID.');
	}
	if (typeof input.summaryNotes !== 'string' || !input.summaryNotes.trim()) throw apiError('summaryNotes is required for a ticket time entry.');
	const start = typeof input.startDateTime === 'string' ? Date.parse(input.startDateTime) : NaN;
	const end = typeof input.endDateTime === 'string' ? Date.parse(input.endDateTime) : NaN;
	if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) throw apiError('endDateTime must be after startDateTime.');
	const hours = typeof input.hoursWorked === 'number' ? input.hoursWorked : !Number.isNaN(start) && !Number.isNaN(end) ? (end - start) / 3_600_000 : NaN;
	if (!(hours > 0 && hours <= 24)) throw apiError('hoursWorked must be greater than 0 and at most 24.');
	const dateWorked = typeof input.dateWorked === 'string' && !Number.isNaN(Date.parse(input.dateWorked)) ? input.dateWorked : Number.isNaN(start) ? '' : atTimestamp(start);
	if (!dateWorked) throw apiError('dateWorked is required.');
	const entry: AutotaskTimeEntry = {
		id: db.workIds.timeEntries++,
		ticketID: ticketId,
		resourceID: resource.id,
		roleID: role.id,
		billingCodeID: input.billingCodeID === undefined || input.billingCodeID === null ? null : Number(input.billingCodeID),
		dateWorked,
		startDateTime: Number.isNaN(start) ? null : atTimestamp(start),
		endDateTime: Number.isNaN(end) ? null : atTimestamp(end),
		hoursWorked: Math.round(hours * 100) / 100,
		summaryNotes: input.summaryNotes,
		internalNotes: typeof input.internalNotes === 'string' ? input.internalNotes : null,
		isNonBillable: input.isNonBillable === true,
		showOnInvoice: input.showOnInvoice === true,
		createDateTime: atTimestamp(now),
		creatorUserID: creatorId,
	};
	db.timeEntries.push(entry);
	return entry;
}
