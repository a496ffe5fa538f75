// The HaloPSA sandbox's attachments: POST /Attachment (upsert array, base64 data), a ticket's list (Attachment_View), and one file's bytes.
import { type HaloAttachment, type HaloDb, type Row, haloTime } from './data';
import type { Route } from './routes';
import { HaloError, invalid, type TicketStore } from './tickets';

/**
 * ASP.NET's default request limit (IIS maxAllowedContentLength, Kestrel MaxRequestBodySize): Halo publishes none of
 * its own [open], so the sandbox refuses a body past the framework's default, as an untuned server would.
 */
export const MAX_REQUEST_BYTES = 30_000_000;

/** A file answered as itself (GET /Attachment/{id}): the server writes its bytes, not JSON. */
export class HaloFile {
	constructor(
		readonly data: Buffer,
		readonly contentType: string,
		readonly fileName: string,
	) {}
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const int = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined);

/** The record as Halo lists it (Attachment_List): everything but the bytes. */
function listed(attachment: HaloAttachment): Row {
	const { data: _data, ticket_id, ...record } = attachment;
	return { ...record, faultid: ticket_id, ticket_id };
}

export function attachmentRoutes(db: HaloDb, store: TicketStore, now: () => number, arrayBody: (body: unknown) => Row[]): Route[] {
	const create = (record: Row, agentId: number): Row => {
		const ticketId = int(record.ticket_id);
		if (ticketId === undefined || !store.ticket(ticketId)) throw invalid('Please select a valid Ticket');
		if (typeof record.filename !== 'string' || !record.filename.trim()) throw invalid('Please enter a file name');
		const encoded = typeof record.data === 'string' ? record.data : typeof record.data_base64 === 'string' ? record.data_base64 : undefined;
		if (encoded === undefined || encoded.length % 4 !== 0 || !BASE64.test(encoded)) throw invalid('The attachment data must be base64');
		const data = Buffer.from(encoded, 'base64');
		if (data.length === 0) throw invalid('The attachment is empty');
		const attachment: HaloAttachment = {
			id: db.next.attachment++,
			ticket_id: ticketId,
			filename: record.filename,
			desc: typeof record.desc === 'string' ? record.desc : '',
			content_type: typeof record.content_type === 'string' && record.content_type ? record.content_type : 'application/octet-stream',
			filesize: data.length,
			showforusers: record.showforusers === true,
			datecreated: haloTime(now()),
			agent_id: agentId,
			data,
		};
		db.attachments.push(attachment);
		return listed(attachment);
	};
	return [
		{
			method: 'POST',
			template: '/Attachment',
			scope: 'edit:tickets',
			handle: ({ body, agentId }) => {
				const saved = arrayBody(body).map((record) => create(record, agentId));
				return saved.length === 1 ? saved[0] : saved;
			},
		},
		{
			method: 'GET',
			template: '/Attachment',
			scope: 'read:tickets',
			handle: ({ query }) => {
				const ticketId = int(query.ticket_id);
				const attachments = db.attachments.filter((attachment) => ticketId === undefined || attachment.ticket_id === ticketId).map(listed);
				return { record_count: attachments.length, ...(ticketId !== undefined ? { ticket_id: ticketId } : {}), attachments };
			},
		},
		{
			method: 'GET',
			template: '/Attachment/{id}',
			scope: 'read:tickets',
			handle: ({ params, query }) => {
				const attachment = db.attachments.find((candidate) => candidate.id === Number(params.id));
				if (!attachment) throw new HaloError(404, { ClassName: 'Halo.Exceptions.NotFound', Message: `Attachment ${params.id} not found` });
				// includedetails: the record with its data as base64 [open: which form Halo answers when].
				if (query.includedetails === 'true') return { ...listed(attachment), data_base64: attachment.data.toString('base64') };
				return new HaloFile(attachment.data, attachment.content_type, attachment.filename);
			},
		},
	];
}
