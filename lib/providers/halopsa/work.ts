// HaloPSA work records: time as Actions of the ticket carrying timetaken (hours), action types as work types, and ticket attachments (/Attachment, base64 in JSON).
import { PsaError } from '../errors';
import type { PsaAttachment, PsaAttachmentCreate, PsaBillable, PsaChoice, PsaNoteListQuery, PsaTimeEntry, PsaTimeEntryCreate, PsaWorkCapabilities, PsaWorkChoiceKind } from '../types';
import { jsonBase64Upload } from '../upload';
import { isObject } from '../values';
import { checkTimeEntry, checkUpload, isoSeconds } from '../work';
import { type HaloClient, listOf } from './client';
import type { HaloLookups } from './lookups';
import { idOf, requiredId, savedRecord, textOf, utc } from './read';
import { positiveId } from './tickets';

type Row = Record<string, unknown>;

const DEFAULT_LIST_LIMIT = 100;

/**
 * Time is logged as an Action with timetaken rather than a /TimesheetEvent: the action is what a dispatcher sees on
 * the ticket (its timeline and time total), and it has a field for staff only, private_note, beside the note the
 * end user may see. The dedupe marker goes there, so a lost answer is recovered by listing the ticket's actions.
 * A TimesheetEvent lives on the agent's calendar, keeps one note, and is listed per agent and date, not per ticket.
 */
export class HaloWork {
	constructor(
		private readonly client: HaloClient,
		private readonly lookups: HaloLookups,
		private readonly capabilities: () => PsaWorkCapabilities,
	) {}

	/** One POST /Actions (an upsert array of one record without id: a create, never resent after an unknown outcome). */
	async addTimeEntry(input: PsaTimeEntryCreate): Promise<PsaTimeEntry> {
		const checked = checkTimeEntry(input, this.capabilities(), (what) => TIME_ENTRY_FIELDS[what] ?? what);
		const notes = input.notes ?? '';
		const body: Row = {
			ticket_id: checked.ticketId,
			who_agentid: checked.memberId,
			note: notes,
			// An entry without notes for the end user is hidden from them altogether.
			hiddenfromuser: !notes.trim(),
			private_note: input.internalNotes ?? '',
			timetaken: checked.hours,
			actionarrivaldate: isoSeconds(checked.start),
			actioncompletiondate: isoSeconds(checked.end),
			sendemail: false,
		};
		if (input.workTypeId !== undefined && input.workTypeId !== null) body.outcome_id = positiveId(input.workTypeId, 'action type', 'outcome_id');
		if (input.billable) body.actisbillable = input.billable === 'billable';
		const saved = savedRecord(await this.client.request({ method: 'POST', path: '/Actions', body: [body], create: true }), 'POST /Actions');
		return readTimeEntry({ ...body, ...saved }, 'POST /Actions', checked.ticketId);
	}

	/** The ticket's actions that carry time (timeentriesonly, and timetaken checked here as well). */
	async listTimeEntries(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaTimeEntry[]> {
		const id = positiveId(ticketId, 'ticket');
		const answer = await this.client.request({ method: 'GET', path: '/Actions', query: { ticket_id: id, timeentriesonly: true, excludesys: true } });
		const entries = listOf(answer, 'actions', 'GET /Actions', { strict: true })
			.filter((record) => (idOf(record.ticket_id) ?? id) === id && Number(record.timetaken) > 0)
			.map((record) => readTimeEntry(record, 'GET /Actions', id))
			.sort((a, b) => a.id - b.id);
		return (query.newestFirst ? entries.reverse() : entries).slice(0, Math.max(0, query.limit ?? DEFAULT_LIST_LIMIT));
	}

	/** One POST /Attachment: the record as an upsert array, its file as base64 encoded chunk by chunk as it is sent. */
	async addAttachment(input: PsaAttachmentCreate): Promise<PsaAttachment> {
		const { ticketId, title, fileName } = checkUpload(input, this.capabilities(), 'HaloPSA');
		const fields: Row = { ticket_id: ticketId, filename: fileName, desc: title, content_type: input.contentType, showforusers: input.public };
		const answer = await this.client.request({ method: 'POST', path: '/Attachment', upload: jsonBase64Upload(fields, 'data', input.content, { inArray: true }), create: true });
		const saved = savedRecord(answer, 'POST /Attachment');
		return readAttachment({ ...fields, filesize: input.content.size, ...saved }, 'POST /Attachment', ticketId);
	}

	async listAttachments(ticketId: number, query: PsaNoteListQuery = {}): Promise<PsaAttachment[]> {
		const id = positiveId(ticketId, 'ticket');
		const attachments = (await this.ticketAttachments(id)).sort((a, b) => a.id - b.id);
		return (query.newestFirst ? attachments.reverse() : attachments).slice(0, Math.max(0, query.limit ?? DEFAULT_LIST_LIMIT));
	}

	/** The ticket's list names the attachment (and proves it is this ticket's); GET /Attachment/{id} gives its bytes. */
	async downloadAttachment(ticketId: number, attachmentId: number): Promise<{ attachment: PsaAttachment; data: Buffer }> {
		const id = positiveId(ticketId, 'ticket');
		const wanted = positiveId(attachmentId, 'attachment', 'id');
		const attachment = (await this.ticketAttachments(id)).find((candidate) => candidate.id === wanted);
		if (!attachment) throw new PsaError('not-found', `Halo has no attachment ${wanted} on ticket ${id}`, { request: `GET /Attachment?ticket_id=${id}` });
		const path = `/Attachment/${wanted}`;
		const { body, contentType } = await this.client.download({ path });
		// The description declares no answer; the file itself is expected, JSON carrying it as base64 is read too.
		if (!/^application\/json/i.test(contentType)) return { attachment, data: body };
		let record: unknown;
		try {
			record = JSON.parse(body.toString('utf8'));
		} catch {
			record = undefined;
		}
		const encoded = isObject(record) ? (textOf(record.data_base64) ?? textOf(record.data)) : undefined;
		if (encoded === undefined) throw new PsaError('unavailable', `Halo answered GET ${path} without the file's data`, { request: `GET ${path}` });
		return { attachment, data: Buffer.from(encoded, 'base64') };
	}

	/** Action types (workType); Halo has no role on an action, so 'workRole' is refused, never made up. */
	async listChoices(kind: PsaWorkChoiceKind): Promise<PsaChoice[]> {
		if (!this.capabilities().choices.includes(kind)) throw new PsaError('invalid-input', `HaloPSA has no ${kind === 'workRole' ? 'role' : String(kind)} on a time entry`, { field: String(kind) });
		return (await this.lookups.actionTypes()).filter((choice) => !choice.inactive).sort((a, b) => a.name.localeCompare(b.name));
	}

	private async ticketAttachments(ticketId: number): Promise<PsaAttachment[]> {
		const answer = await this.client.request({ method: 'GET', path: '/Attachment', query: { ticket_id: ticketId } });
		// An answer without its attachments is not "none there": a recovery must never read it so and upload twice.
		return listOf(answer, 'attachments', 'GET /Attachment', { strict: true })
			.filter((record) => (idOf(record.ticket_id) ?? idOf(record.faultid) ?? ticketId) === ticketId)
			.map((record) => readAttachment(record, 'GET /Attachment', ticketId));
	}
}

/** Halo's field for each part of a time entry, for the checks' messages. */
const TIME_ENTRY_FIELDS: Record<string, string> = { ticket: 'ticket_id', member: 'who_agentid' };

function readTimeEntry(record: Row, what: string, ticketId: number): PsaTimeEntry {
	const start = utc(record.actionarrivaldate) ?? utc(record.datetime);
	const entry: PsaTimeEntry = {
		id: requiredId(record, 'id', what),
		ticketId: idOf(record.ticket_id) ?? ticketId,
		start: start ?? '',
		hours: Number(record.timetaken) || 0,
		notes: textOf(record.note) ?? '',
		internalNotes: typeof record.private_note === 'string' ? record.private_note : '',
	};
	const end = utc(record.actioncompletiondate);
	if (end) entry.end = end;
	const member = idOf(record.who_agentid) ?? idOf(record.actionby_agent_id);
	if (member !== undefined) entry.memberId = member;
	const outcome = idOf(record.outcome_id);
	if (outcome !== undefined) entry.workTypeId = outcome;
	if (typeof record.actisbillable === 'boolean') entry.billable = (record.actisbillable ? 'billable' : 'do-not-bill') satisfies PsaBillable;
	const created = utc(record.actiondatecreated) ?? utc(record.datetime);
	if (created) entry.createdAt = created;
	return entry;
}

function readAttachment(record: Row, what: string, ticketId: number): PsaAttachment {
	const attachment: PsaAttachment = { id: requiredId(record, 'id', what), ticketId: idOf(record.ticket_id) ?? idOf(record.faultid) ?? ticketId, title: textOf(record.desc) ?? '', fileName: textOf(record.filename) ?? '' };
	const contentType = textOf(record.content_type);
	if (contentType) attachment.contentType = contentType;
	const size = Number(record.filesize);
	if (Number.isFinite(size) && size > 0) attachment.size = size;
	if (typeof record.showforusers === 'boolean') attachment.public = record.showforusers;
	const created = utc(record.datecreated);
	if (created) attachment.createdAt = created;
	return attachment;
}
