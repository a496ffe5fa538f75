// ConnectWise time entries charged to a service ticket (/time/entries), their work types and roles, and ticket documents (/system/documents).
import { PsaError } from '../errors';
import type { PsaAttachment, PsaAttachmentCreate, PsaBillable, PsaChoice, PsaNoteListQuery, PsaTimeEntry, PsaTimeEntryCreate, PsaWorkCapabilities, PsaWorkChoiceKind } from '../types';
import { multipartUpload } from '../upload';
import { recordId } from '../values';
import { checkTimeEntry, checkUpload, isoSeconds } from '../work';
import { type ConnectWiseClient, isObject } from './client';
import { allOf, cond } from './conditions';
import { DEFAULT_LIST_LIMIT } from './lookups';
import type { ListOptions } from './paging';
import { fieldsParam, missing } from './read';

type List = <T>(path: string, options: ListOptions, read: (value: unknown) => T) => Promise<T[]>;

/** TimeEntry.chargeToType for a service ticket (model_time_entry.go: chargeToId / chargeToType). */
const CHARGE_TO_TICKET = 'ServiceTicket';
const TIME_ENTRY_FIELDS = ['id', 'chargeToId', 'chargeToType', 'member', 'timeStart', 'timeEnd', 'actualHours', 'billableOption', 'notes', 'internalNotes', 'workType', 'workRole', 'dateEntered'];
const BILLABLE_OPTION: Record<PsaBillable, string> = { billable: 'Billable', 'do-not-bill': 'DoNotBill', 'no-charge': 'NoCharge' };
const CHOICE_PATHS: Record<PsaWorkChoiceKind, string> = { workType: '/time/workTypes', workRole: '/time/workRoles' };
/** GET/POST /system/documents name a ticket's documents by recordType "Ticket" and its id (api_tickets.go: "use /system/documents?recordType=Ticket&recordId={id}"). */
const DOCUMENT_RECORD_TYPE = 'Ticket';

export class ConnectWiseWork {
	constructor(
		private readonly client: ConnectWiseClient,
		private readonly list: List,
		private readonly capabilities: () => PsaWorkCapabilities,
	) {}

	/** One POST /time/entries, never resent by the client (a POST is retried only on a 429). */
	async addTimeEntry(input: PsaTimeEntryCreate): Promise<PsaTimeEntry> {
		const checked = checkTimeEntry(input, this.capabilities(), (what) => `${what}/id`);
		const body: Record<string, unknown> = {
			chargeToId: checked.ticketId,
			chargeToType: CHARGE_TO_TICKET,
			member: { id: checked.memberId },
			timeStart: isoSeconds(checked.start),
			timeEnd: isoSeconds(checked.end),
		};
		if (input.billable) body.billableOption = BILLABLE_OPTION[input.billable];
		if (input.notes) body.notes = input.notes;
		if (input.internalNotes) body.internalNotes = input.internalNotes;
		if (input.workTypeId !== undefined && input.workTypeId !== null) body.workType = { id: recordId(input.workTypeId, 'work type', 'workType/id') };
		if (input.workRoleId !== undefined && input.workRoleId !== null) body.workRole = { id: recordId(input.workRoleId, 'work role', 'workRole/id') };
		const response = await this.client.request({ method: 'POST', path: '/time/entries', body });
		return readTimeEntry(response.body, 'POST /time/entries');
	}

	listTimeEntries(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaTimeEntry[]> {
		const id = recordId(ticketId, 'ticket', 'chargeToId');
		return this.list(
			'/time/entries',
			{
				conditions: allOf(cond.eq('chargeToType', CHARGE_TO_TICKET), cond.eq('chargeToId', id)),
				fields: fieldsParam(TIME_ENTRY_FIELDS),
				orderBy: query.newestFirst ? 'id desc' : 'id asc',
				limit: query.limit ?? DEFAULT_LIST_LIMIT,
			},
			(value) => readTimeEntry(value, 'GET /time/entries'),
		);
	}

	/** One multipart POST /system/documents (recordType Ticket), the file streamed; never resent by the client. */
	async addAttachment(input: PsaAttachmentCreate): Promise<PsaAttachment> {
		const { ticketId, title, fileName } = checkUpload(input, this.capabilities(), 'ConnectWise');
		const upload = multipartUpload(
			// Form fields of PostSystemDocuments (api_documents.go): recordType, recordId, title, privateFlag; the file part "file".
			{ recordType: DOCUMENT_RECORD_TYPE, recordId: String(ticketId), title, privateFlag: String(!input.public) },
			{ field: 'file', fileName, contentType: input.contentType, content: input.content },
		);
		const response = await this.client.request({ method: 'POST', path: '/system/documents', upload });
		return readDocument(response.body, 'POST /system/documents', ticketId);
	}

	listAttachments(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaAttachment[]> {
		const id = recordId(ticketId, 'ticket', 'recordId');
		// The ticket's documents: recordType and recordId are query parameters of GET /system/documents, not conditions.
		return this.list(
			'/system/documents',
			{ extraQuery: { recordType: DOCUMENT_RECORD_TYPE, recordId: id }, orderBy: query.newestFirst ? 'id desc' : 'id asc', limit: query.limit ?? DEFAULT_LIST_LIMIT },
			(value) => readDocument(value, 'GET /system/documents', id),
		);
	}

	/** GET /system/documents/{id} for what it is, then /download for its bytes. */
	async downloadAttachment(ticketId: number, attachmentId: number): Promise<{ attachment: PsaAttachment; data: Buffer }> {
		const id = recordId(attachmentId, 'attachment', 'id');
		const path = `/system/documents/${id}`;
		const attachment = readDocument((await this.client.request({ method: 'GET', path })).body, `GET ${path}`, ticketId);
		const response = await this.client.request({ method: 'GET', path: `${path}/download`, binaryResponse: true });
		const data = Buffer.isBuffer(response.body) ? response.body : Buffer.from(typeof response.body === 'string' ? response.body : JSON.stringify(response.body));
		return { attachment, data };
	}

	listChoices(kind: PsaWorkChoiceKind): Promise<PsaChoice[]> {
		const path = CHOICE_PATHS[kind];
		if (!path) throw new PsaError('invalid-input', `'${String(kind)}' is not a time entry choice (workType, workRole)`);
		return this.list(path, { conditions: cond.eq('inactiveFlag', false), fields: fieldsParam(['id', 'name', 'inactiveFlag']), orderBy: 'name asc', limit: DEFAULT_LIST_LIMIT }, (value) => {
			if (!isObject(value) || typeof value.id !== 'number') throw missing('id', `GET ${path}`);
			return { id: value.id, name: String(value.name ?? ''), inactive: value.inactiveFlag === true };
		});
	}
}

/** DocumentInfo (model_document_info.go) as a PsaAttachment of the ticket it was asked for. */
export function readDocument(value: unknown, endpoint: string, ticketId: number): PsaAttachment {
	if (!isObject(value) || typeof value.id !== 'number') throw missing('id', endpoint);
	const info = isObject(value._info) ? value._info : {};
	const attachment: PsaAttachment = {
		id: value.id,
		ticketId,
		title: typeof value.title === 'string' ? value.title : '',
		fileName: typeof value.fileName === 'string' ? value.fileName : '',
	};
	if (typeof value.size === 'number') attachment.size = value.size;
	if (typeof value.publicFlag === 'boolean') attachment.public = value.publicFlag;
	const created = typeof value.createdOnDate === 'string' ? value.createdOnDate : typeof info.dateEntered === 'string' ? info.dateEntered : typeof info.lastUpdated === 'string' ? info.lastUpdated : undefined;
	if (created) attachment.createdAt = created;
	return attachment;
}

export function readTimeEntry(value: unknown, endpoint: string): PsaTimeEntry {
	if (!isObject(value) || typeof value.id !== 'number') throw missing('id', endpoint);
	if (typeof value.timeStart !== 'string') throw missing('timeStart', endpoint);
	const entry: PsaTimeEntry = {
		id: value.id,
		ticketId: typeof value.chargeToId === 'number' ? value.chargeToId : 0,
		start: value.timeStart,
		hours: typeof value.actualHours === 'number' ? value.actualHours : 0,
		notes: typeof value.notes === 'string' ? value.notes : '',
		internalNotes: typeof value.internalNotes === 'string' ? value.internalNotes : '',
	};
	if (typeof value.timeEnd === 'string') entry.end = value.timeEnd;
	const member = isObject(value.member) && typeof value.member.id === 'number' ? value.member.id : undefined;
	if (member !== undefined) entry.memberId = member;
	const billable = (Object.entries(BILLABLE_OPTION) as Array<[PsaBillable, string]>).find(([, option]) => option === value.billableOption)?.[0];
	if (billable) entry.billable = billable;
	if (isObject(value.workType) && typeof value.workType.id === 'number') entry.workTypeId = value.workType.id;
	if (isObject(value.workRole) && typeof value.workRole.id === 'number') entry.workRoleId = value.workRole.id;
	if (typeof value.dateEntered === 'string') entry.createdAt = value.dateEntered;
	return entry;
}
