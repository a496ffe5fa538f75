// The sandbox's work records: time entries charged to service tickets (/time/entries), work types and roles, and ticket documents (/system/documents).
import type { CwMember, CwTicket, Info, Reference } from './data';
import { cwTimestamp } from './data';
import type { CwFieldError } from './errors';
import { ApiError, fieldError, invalidObject, notFound } from './errors';
import type { ResourceKind } from './models';
import type { HandlerResult, RequestContext, Route } from './resources';
import type { MultipartForm } from './multipart';
import { asObject, describeReference, readReference, sameText } from './references';

export interface CwTimeEntry {
	id: number;
	chargeToId: number;
	chargeToType: string;
	member: Reference;
	timeStart: string;
	timeEnd: string;
	actualHours: number;
	billableOption: string;
	notes?: string;
	internalNotes?: string;
	workType?: Reference;
	workRole?: Reference;
	dateEntered: string;
	enteredBy: string;
	_info: Info;
}

/** A document attached to a record; `data` never leaves in a list or a read (only /download sends it). */
export interface CwDocument {
	id: number;
	title: string;
	fileName: string;
	serverFileName: string;
	owner: string;
	linkFlag: boolean;
	imageFlag: boolean;
	publicFlag: boolean;
	readOnlyFlag: boolean;
	size: number;
	urlFlag: boolean;
	createdOnDate: string;
	guid: string;
	recordType: string;
	recordId: number;
	contentType: string;
	data: Buffer;
	_info: Info;
}

export interface CwWorkChoice {
	id: number;
	name: string;
	inactiveFlag: boolean;
}

export interface SandboxWorkDb {
	timeEntries: CwTimeEntry[];
	workTypes: CwWorkChoice[];
	workRoles: CwWorkChoice[];
	documents: CwDocument[];
	workSequences: { timeEntry: number; document: number };
}

export function createWorkSeed(): SandboxWorkDb {
	return {
		timeEntries: [],
		workTypes: [
			{ id: 1, name: 'Remote Support', inactiveFlag: false },
			{ id: 2, name: 'Onsite', inactiveFlag: false },
			{ id: 3, name: 'Legacy Work', inactiveFlag: true },
		],
		workRoles: [
			{ id: 10, name: 'Technician', inactiveFlag: false },
			{ id: 11, name: 'Engineer', inactiveFlag: false },
		],
		documents: [],
		workSequences: { timeEntry: 7001, document: 9001 },
	};
}

/** TimeEntry.billableOption's values (model_time_entry.go enum). */
const BILLABLE_OPTIONS = ['Billable', 'DoNotBill', 'NoCharge', 'NoDefault'];
const CHARGE_TO_TYPES = ['ServiceTicket', 'ProjectTicket', 'ChargeCode', 'Activity'];
/** The record types the sandbox attaches documents to (ConnectWise has more). */
const DOCUMENT_RECORD_TYPES = ['Ticket', 'Company', 'Contact'];
/** The sandbox's document limits (ConnectWise publishes none for the API). */
const MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;
const DOCUMENT_TITLE_MAX = 100;

const withoutData = ({ data: _data, contentType: _contentType, recordType: _recordType, recordId: _recordId, ...document }: CwDocument) => document;

/** What the work endpoints need from the ticket API. */
export interface WorkHost {
	db: SandboxWorkDb & { members: CwMember[]; tickets: CwTicket[] };
	list(kind: ResourceKind, records: object[], context: RequestContext): HandlerResult;
	one(kind: ResourceKind, record: object, context: RequestContext, status?: number): HandlerResult;
	ticketOr404(id: number): CwTicket;
}

export class SandboxWork {
	constructor(private readonly host: WorkHost) {}

	private get db() {
		return this.host.db;
	}

	addTimeEntry(body: unknown, actor: CwMember): CwTimeEntry {
		const input = asObject(body);
		if (!input) throw new ApiError(400, 'InvalidObject', 'timeEntry object is invalid: the body must be a JSON object');
		const errors: CwFieldError[] = [];
		const chargeToType = typeof input.chargeToType === 'string' ? input.chargeToType : '';
		if (!CHARGE_TO_TYPES.includes(chargeToType)) errors.push(fieldError('timeEntry', 'chargeToType', `chargeToType must be one of ${CHARGE_TO_TYPES.join(', ')}.`, 'InvalidField'));
		const chargeToId = typeof input.chargeToId === 'number' ? input.chargeToId : NaN;
		if (chargeToType === 'ServiceTicket' && !this.db.tickets.some((ticket) => ticket.id === chargeToId)) {
			errors.push(fieldError('timeEntry', 'chargeToId', `Service ticket ${String(input.chargeToId)} was not found.`));
		}
		const reference = readReference(input.member);
		const member = reference ? this.db.members.find((candidate) => (reference.id !== undefined ? candidate.id === reference.id : sameText(candidate.identifier, reference.identifier ?? reference.name))) : actor;
		if (!member) errors.push(fieldError('timeEntry', 'member', `Member ${reference ? describeReference(reference) : ''} was not found.`));
		else if (member.inactiveFlag) errors.push(fieldError('timeEntry', 'member', `Member '${member.identifier}' is inactive.`));
		const start = typeof input.timeStart === 'string' ? Date.parse(input.timeStart) : NaN;
		const end = typeof input.timeEnd === 'string' ? Date.parse(input.timeEnd) : NaN;
		if (Number.isNaN(start)) errors.push(fieldError('timeEntry', 'timeStart', 'The timeStart field is required.', 'NullValue'));
		if (input.timeEnd !== undefined && Number.isNaN(end)) errors.push(fieldError('timeEntry', 'timeEnd', 'timeEnd must be a date and time.', 'InvalidField'));
		if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) errors.push(fieldError('timeEntry', 'timeEnd', 'Time end must be after time start.'));
		const billableOption = input.billableOption === undefined ? 'Billable' : input.billableOption;
		if (typeof billableOption !== 'string' || !BILLABLE_OPTIONS.includes(billableOption)) errors.push(fieldError('timeEntry', 'billableOption', `billableOption must be one of ${BILLABLE_OPTIONS.join(', ')}.`, 'InvalidField'));
		const workType = this.choice(this.db.workTypes, input.workType, 'workType', errors);
		const workRole = this.choice(this.db.workRoles, input.workRole, 'workRole', errors);
		for (const name of ['notes', 'internalNotes']) {
			if (input[name] !== undefined && typeof input[name] !== 'string') errors.push(fieldError('timeEntry', name, `${name} must be text.`, 'InvalidField'));
		}
		if (errors.length || !member) throw invalidObject('timeEntry', errors);
		const timeEnd = Number.isNaN(end) ? start + 3_600_000 : end;
		const now = cwTimestamp();
		const entry: CwTimeEntry = {
			id: this.db.workSequences.timeEntry++,
			chargeToId,
			chargeToType,
			member: { id: member.id, identifier: member.identifier, name: `${member.firstName} ${member.lastName}` },
			timeStart: cwTimestamp(new Date(start)),
			timeEnd: cwTimestamp(new Date(timeEnd)),
			actualHours: Math.round(((timeEnd - start) / 3_600_000) * 100) / 100,
			billableOption: billableOption as string,
			dateEntered: now,
			enteredBy: actor.identifier,
			_info: { lastUpdated: now, updatedBy: actor.identifier, dateEntered: now, enteredBy: actor.identifier },
		};
		if (typeof input.notes === 'string') entry.notes = input.notes;
		if (typeof input.internalNotes === 'string') entry.internalNotes = input.internalNotes;
		if (workType) entry.workType = { id: workType.id, name: workType.name };
		if (workRole) entry.workRole = { id: workRole.id, name: workRole.name };
		this.db.timeEntries.push(entry);
		return entry;
	}

	/** POST /system/documents: a multipart form with the file, recordType, recordId, title and privateFlag. */
	addDocument(body: unknown, actor: CwMember): CwDocument {
		const form = body as MultipartForm | string | undefined;
		if (!form || typeof form !== 'object' || !('fields' in form)) throw new ApiError(400, 'InvalidObject', typeof form === 'string' ? form : 'The document upload must be multipart/form-data');
		const errors: CwFieldError[] = [];
		const file = form.files.file;
		if (!file) errors.push(fieldError('document', 'file', 'The file field is required.', 'NullValue'));
		else if (file.data.length > MAX_DOCUMENT_BYTES) errors.push(fieldError('document', 'file', `The file is larger than ${MAX_DOCUMENT_BYTES} bytes.`, 'InvalidField'));
		const recordType = form.fields.recordType ?? '';
		if (!DOCUMENT_RECORD_TYPES.includes(recordType)) errors.push(fieldError('document', 'recordType', `recordType must be one of ${DOCUMENT_RECORD_TYPES.join(', ')}.`, 'InvalidField'));
		const recordId = /^\d+$/.test(form.fields.recordId ?? '') ? Number(form.fields.recordId) : NaN;
		if (recordType === 'Ticket' && !this.db.tickets.some((ticket) => ticket.id === recordId)) errors.push(fieldError('document', 'recordId', `Ticket ${form.fields.recordId ?? ''} was not found.`));
		const title = (form.fields.title ?? '').trim() || file?.fileName || '';
		if (title.length > DOCUMENT_TITLE_MAX) errors.push(fieldError('document', 'title', `title must be at most ${DOCUMENT_TITLE_MAX} characters.`, 'InvalidField'));
		if (errors.length || !file) throw invalidObject('document', errors);
		const now = cwTimestamp();
		const id = this.db.workSequences.document++;
		const document: CwDocument = {
			id,
			title,
			fileName: file.fileName,
			serverFileName: `${id}-${file.fileName}`,
			owner: actor.identifier,
			linkFlag: false,
			imageFlag: file.contentType.startsWith('image/'),
			publicFlag: form.fields.privateFlag !== 'true',
			readOnlyFlag: false,
			size: file.data.length,
			urlFlag: false,
			createdOnDate: now,
			guid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
			recordType,
			recordId,
			contentType: file.contentType,
			data: file.data,
			_info: { lastUpdated: now, updatedBy: actor.identifier, dateEntered: now, enteredBy: actor.identifier },
		};
		this.db.documents.push(document);
		return document;
	}

	private choice(records: CwWorkChoice[], value: unknown, field: string, errors: CwFieldError[]): CwWorkChoice | undefined {
		if (value === undefined || value === null) return undefined;
		const reference = readReference(value);
		const found = reference ? records.find((record) => (reference.id !== undefined ? record.id === reference.id : sameText(record.name, reference.name))) : undefined;
		if (!found) errors.push(fieldError('timeEntry', field, `${field} ${reference ? describeReference(reference) : ''} was not found.`));
		else if (found.inactiveFlag) errors.push(fieldError('timeEntry', field, `${field} '${found.name}' is inactive.`));
		return found && !found.inactiveFlag ? found : undefined;
	}

	private document(id: number): CwDocument {
		const document = this.db.documents.find((candidate) => candidate.id === id);
		if (!document) throw notFound(`Document recId ${id} not found`);
		return document;
	}

	routes(): Route[] {
		const idOf = (context: RequestContext) => {
			const raw = context.params.id;
			if (!/^\d+$/.test(raw)) throw new ApiError(400, 'InvalidObject', `time entry id '${raw}' is not a number`);
			return Number(raw);
		};
		return [
			{ method: 'GET', template: '/time/entries', writes: false, handle: (context) => this.host.list('timeEntry', this.db.timeEntries, context) },
			{
				method: 'GET',
				template: '/time/entries/{id}',
				writes: false,
				handle: (context) => {
					const entry = this.db.timeEntries.find((candidate) => candidate.id === idOf(context));
					if (!entry) throw notFound(`TimeEntry recId ${context.params.id} not found`);
					return this.host.one('timeEntry', entry, context);
				},
			},
			{ method: 'POST', template: '/time/entries', writes: true, handle: (context) => this.host.one('timeEntry', this.addTimeEntry(context.body, context.actor), context, 201) },
			{
				method: 'GET',
				template: '/system/documents',
				writes: false,
				handle: (context) => {
					const { recordType, recordId } = context.query;
					const documents = this.db.documents.filter((document) => (!recordType || sameText(document.recordType, recordType)) && (!recordId || document.recordId === Number(recordId)));
					return this.host.list('document', documents.map(withoutData), context);
				},
			},
			{ method: 'GET', template: '/system/documents/{id}', writes: false, handle: (context) => this.host.one('document', withoutData(this.document(idOf(context))), context) },
			{
				method: 'GET',
				template: '/system/documents/{id}/download',
				writes: false,
				handle: (context) => {
					const document = this.document(idOf(context));
					return { status: 200, body: document.data, headers: { 'content-type': document.contentType, 'content-disposition': `attachment; filename="${document.fileName}"` } };
				},
			},
			{ method: 'POST', template: '/system/documents', writes: true, handle: (context) => this.host.one('document', withoutData(this.addDocument(context.body, context.actor)), context, 201) },
			{ method: 'GET', template: '/time/workTypes', writes: false, handle: (context) => this.host.list('workType', this.db.workTypes, context) },
			{ method: 'GET', template: '/time/workRoles', writes: false, handle: (context) => this.host.list('workRole', this.db.workRoles, context) },
		];
	}
}
