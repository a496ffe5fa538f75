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

/** TicketAttachmentModel as the sandbox keeps it; `data` (base64) is sent only when one attachment is read. */
export interface AutotaskAttachment extends Row {
	parentID: number;
	parentType: number;
	attachmentType: string;
	fullPath: string;
	title: string;
	publish: number;
	contentType: string;
	fileSize: number;
	attachDate: string;
	attachedByResourceID: number;
	data: string;
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
	attachments: AutotaskAttachment[];
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
		attachments: [],
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

/** The API's limit per file ("6 to 7 MB" in Autotask's AttachmentInfo help): the sandbox refuses past 7,000,000 bytes. */
export const MAX_ATTACHMENT_BYTES = 7_000_000;
const ATTACHMENT_TYPES = ['FILE_ATTACHMENT', 'FOLDER_LINK', 'URL'];

/** POST /Tickets/{parentId}/Attachments: a file as base64 data, a title and a publish setting. */
export function createAttachment(db: AutotaskDb & AutotaskWorkDb, ticketId: number, input: Record<string, unknown>, creatorId: number, now: number): AutotaskAttachment {
	if (!db.tickets.some((ticket) => ticket.id === ticketId)) throw apiError('Value does not reference an existing entity for parentID.');
	if (input.parentID !== undefined && input.parentID !== null && Number(input.parentID) !== ticketId) throw apiError(`parentID ${String(input.parentID)} does not match the parent ticket ${ticketId}.`);
	const type = typeof input.attachmentType === 'string' ? input.attachmentType : '';
	if (!ATTACHMENT_TYPES.includes(type)) throw apiError(`attachmentType must be one of ${ATTACHMENT_TYPES.join(', ')}.`);
	if (typeof input.title !== 'string' || !input.title.trim()) throw apiError('title is required.');
	if (input.title.length > 255) throw apiError('title is longer than 255 characters.');
	if (typeof input.fullPath !== 'string' || !input.fullPath.trim()) throw apiError('fullPath is required.');
	if (typeof input.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(input.data)) throw apiError('data must be base64.');
	const size = Buffer.byteLength(input.data, 'base64');
	if (size > MAX_ATTACHMENT_BYTES) throw apiError(`The attachment is larger than the ${MAX_ATTACHMENT_BYTES} bytes the API accepts.`);
	const publish = Number(input.publish ?? 1);
	if (publish !== 1 && publish !== 2) throw apiError('publish must be 1 (All Autotask Users) or 2 (Internal Users Only).');
	const attachment: AutotaskAttachment = {
		id: db.workIds.attachments++,
		parentID: ticketId,
		parentType: 4,
		attachmentType: type,
		fullPath: input.fullPath,
		title: input.title,
		publish,
		contentType: typeof input.contentType === 'string' ? input.contentType : 'application/octet-stream',
		fileSize: size,
		attachDate: atTimestamp(now),
		attachedByResourceID: creatorId,
		data: input.data,
	};
	db.attachments.push(attachment);
	return attachment;
}
