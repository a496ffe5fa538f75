// Autotask time entries on a ticket (TimeEntries: ticketID, resourceID, roleID, dateWorked, hoursWorked), their roles and billing codes, and ticket attachments (base64).
import { PsaError } from '../errors';
import type { PsaAttachment, PsaAttachmentCreate, PsaBillable, PsaChoice, PsaNoteListQuery, PsaTimeEntry, PsaTimeEntryCreate, PsaWorkCapabilities, PsaWorkChoiceKind } from '../types';
import { jsonBase64Upload } from '../upload';
import { isObject, recordId } from '../values';
import { checkTimeEntry, checkUpload, isoSeconds } from '../work';
import type { AutotaskClient } from './client';
import { q, type Filter } from './filter';
import { DEFAULT_LIST_LIMIT } from './lookups';
import { fieldOf, idOf, itemIdOf, requiredId, utc } from './read';

type Query = (path: string, filter: Array<Filter | undefined>, limit: number | undefined) => Promise<unknown[]>;

/** Autotask's summaryNotes and internalNotes hold 8000 characters each. */
export const TIME_ENTRY_NOTES_MAX = 8000;
const CHOICE_PATHS: Record<PsaWorkChoiceKind, string> = { workType: '/BillingCodes/query', workRole: '/Roles/query' };

export class AutotaskWork {
	constructor(
		private readonly client: AutotaskClient,
		private readonly query: Query,
		private readonly capabilities: () => PsaWorkCapabilities,
	) {}

	/** One POST /TimeEntries (a create: sent again only after a refusal); the entry as sent, with the id Autotask gave it. */
	async addTimeEntry(input: PsaTimeEntryCreate): Promise<PsaTimeEntry> {
		const checked = checkTimeEntry(input, this.capabilities(), (what) => (what === 'member' ? 'resourceID' : `${what}ID`));
		for (const [name, value] of [['notes', input.notes], ['internalNotes', input.internalNotes]] as const) {
			if ((value?.length ?? 0) > TIME_ENTRY_NOTES_MAX) throw new PsaError('invalid-input', `Autotask keeps at most ${TIME_ENTRY_NOTES_MAX} characters of a time entry's ${name}; this has ${value?.length}`, { field: name });
		}
		const start = isoSeconds(checked.start);
		const body: Record<string, unknown> = {
			ticketID: checked.ticketId,
			resourceID: checked.memberId,
			roleID: recordId(input.workRoleId, 'role', 'roleID'),
			dateWorked: `${start.slice(0, 10)}T00:00:00Z`,
			startDateTime: start,
			endDateTime: isoSeconds(checked.end),
			hoursWorked: checked.hours,
			summaryNotes: input.notes ?? '',
		};
		if (input.internalNotes) body.internalNotes = input.internalNotes;
		if (input.workTypeId !== undefined && input.workTypeId !== null) body.billingCodeID = recordId(input.workTypeId, 'billing code', 'billingCodeID');
		if (input.billable) Object.assign(body, BILLING[input.billable]);
		const answer = await this.client.request({ method: 'POST', path: '/TimeEntries', body, create: true });
		const id = itemIdOf(answer, 'POST /TimeEntries');
		return readTimeEntry({ ...body, id, createDateTime: new Date(this.client.config.now()).toISOString() }, 'POST /TimeEntries');
	}

	async listTimeEntries(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaTimeEntry[]> {
		const id = recordId(ticketId, 'ticket', 'ticketID');
		const limit = query.limit ?? DEFAULT_LIST_LIMIT;
		// Autotask queries have no order: ids ascend, so the newest are read whole and the tail kept (as notes).
		const items = await this.query('/TimeEntries/query', [q.eq('ticketID', id)], query.newestFirst ? undefined : limit);
		const entries = items.map((item) => readTimeEntry(item, 'POST /TimeEntries/query')).sort((a, b) => a.id - b.id);
		return (query.newestFirst ? entries.reverse() : entries).slice(0, Math.max(0, limit));
	}

	/** One POST /Tickets/{id}/Attachments: the file as base64 in the JSON body, encoded chunk by chunk as it is sent. */
	async addAttachment(input: PsaAttachmentCreate): Promise<PsaAttachment> {
		const { ticketId, title, fileName } = checkUpload(input, this.capabilities(), 'Autotask');
		const path = `/Tickets/${ticketId}/Attachments`;
		const fields = { id: 0, parentID: ticketId, attachmentType: FILE_ATTACHMENT, fullPath: fileName, title, publish: input.public ? PUBLISH_ALL : PUBLISH_INTERNAL, contentType: input.contentType };
		const answer = await this.client.request({ method: 'POST', path, upload: jsonBase64Upload(fields, 'data', input.content), create: true });
		const id = itemIdOf(answer, `POST ${path}`);
		return readAttachment({ ...fields, id, fileSize: input.content.size, attachDate: new Date(this.client.config.now()).toISOString() }, `POST ${path}`, ticketId);
	}

	async listAttachments(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaAttachment[]> {
		const id = recordId(ticketId, 'ticket', 'parentID');
		const path = `/Tickets/${id}/Attachments`;
		const body = await this.client.request({ method: 'GET', path });
		// An answer without its items is not an empty list: a recovery must never read it as "no attachment there".
		if (!isObject(body) || !Array.isArray(body.items)) throw new PsaError('unavailable', `Autotask answered GET ${path} without its items`, { request: `GET ${path}` });
		const items = body.items;
		const attachments = items.map((item) => readAttachment(item, `GET ${path}`, id)).sort((a, b) => a.id - b.id);
		return (query.newestFirst ? attachments.reverse() : attachments).slice(0, Math.max(0, query.limit ?? DEFAULT_LIST_LIMIT));
	}

	async downloadAttachment(ticketId: number, attachmentId: number): Promise<{ attachment: PsaAttachment; data: Buffer }> {
		const parent = recordId(ticketId, 'ticket', 'parentID');
		const path = `/Tickets/${parent}/Attachments/${recordId(attachmentId, 'attachment', 'id')}`;
		const body = await this.client.request({ method: 'GET', path });
		const item = isObject(body) ? (isObject(body.item) ? body.item : Array.isArray(body.items) ? body.items[0] : undefined) : undefined;
		if (!isObject(item)) throw new PsaError('not-found', `Autotask has no attachment ${attachmentId} on ticket ${parent}`, { request: `GET ${path}` });
		const data = typeof fieldOf(item, 'data') === 'string' ? Buffer.from(fieldOf(item, 'data') as string, 'base64') : Buffer.alloc(0);
		return { attachment: readAttachment(item, `GET ${path}`, parent), data };
	}

	async listChoices(kind: PsaWorkChoiceKind): Promise<PsaChoice[]> {
		const path = CHOICE_PATHS[kind];
		if (!path) throw new PsaError('invalid-input', `'${String(kind)}' is not a time entry choice (workType, workRole)`);
		const items = await this.query(path, [q.eq('isActive', true)], DEFAULT_LIST_LIMIT);
		return items
			.map((item) => ({ id: requiredId(item as Record<string, unknown>, 'id', `POST ${path}`), name: String(fieldOf(item as Record<string, unknown>, 'name') ?? '') }))
			.sort((a, b) => a.name.localeCompare(b.name));
	}
}

/** TicketAttachment.attachmentType of an uploaded file; publish 1 is "All Autotask Users", 2 "Internal Users Only". */
const FILE_ATTACHMENT = 'FILE_ATTACHMENT';
const PUBLISH_ALL = 1;
const PUBLISH_INTERNAL = 2;

export function readAttachment(value: unknown, what: string, ticketId: number): PsaAttachment {
	if (!isObject(value)) throw new PsaError('unavailable', `Autotask answered ${what} without an attachment`, { request: what });
	const text = (name: string) => (typeof fieldOf(value, name) === 'string' ? (fieldOf(value, name) as string) : '');
	const attachment: PsaAttachment = { id: requiredId(value, 'id', what), ticketId: idOf(fieldOf(value, 'parentID')) ?? ticketId, title: text('title'), fileName: text('fullPath') };
	if (text('contentType')) attachment.contentType = text('contentType');
	const size = Number(fieldOf(value, 'fileSize'));
	if (Number.isFinite(size) && size > 0) attachment.size = size;
	const publish = idOf(fieldOf(value, 'publish'));
	if (publish !== undefined) attachment.public = publish === PUBLISH_ALL;
	if (text('attachDate')) attachment.createdAt = utc(text('attachDate'));
	return attachment;
}

/** isNonBillable, and showOnInvoice for time shown at no charge. */
const BILLING: Record<PsaBillable, Record<string, boolean>> = {
	billable: { isNonBillable: false },
	'do-not-bill': { isNonBillable: true, showOnInvoice: false },
	'no-charge': { isNonBillable: true, showOnInvoice: true },
};

export function readTimeEntry(value: unknown, what: string): PsaTimeEntry {
	if (typeof value !== 'object' || value === null) throw new PsaError('unavailable', `Autotask answered ${what} without a time entry`, { request: what });
	const source = value as Record<string, unknown>;
	const text = (name: string) => (typeof fieldOf(source, name) === 'string' ? (fieldOf(source, name) as string) : '');
	const start = text('startDateTime') || text('dateWorked');
	const entry: PsaTimeEntry = {
		id: requiredId(source, 'id', what),
		ticketId: idOf(fieldOf(source, 'ticketID')) ?? 0,
		start: start ? utc(start) : '',
		hours: Number(fieldOf(source, 'hoursWorked') ?? 0) || 0,
		notes: text('summaryNotes'),
		internalNotes: text('internalNotes'),
	};
	if (text('endDateTime')) entry.end = utc(text('endDateTime'));
	const resource = idOf(fieldOf(source, 'resourceID'));
	if (resource !== undefined) entry.memberId = resource;
	const role = idOf(fieldOf(source, 'roleID'));
	if (role !== undefined) entry.workRoleId = role;
	const billingCode = idOf(fieldOf(source, 'billingCodeID'));
	if (billingCode !== undefined) entry.workTypeId = billingCode;
	const nonBillable = fieldOf(source, 'isNonBillable');
	if (typeof nonBillable === 'boolean') entry.billable = !nonBillable ? 'billable' : fieldOf(source, 'showOnInvoice') === true ? 'no-charge' : 'do-not-bill';
	if (text('createDateTime')) entry.createdAt = utc(text('createDateTime'));
	return entry;
}
