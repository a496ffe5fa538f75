// Attachments: files put on a ticket exactly once per dedupe key (checked against the PSA's size limit before any byte is sent), listed and downloaded.
import { createHash } from 'node:crypto';
import { PsaError } from '../providers/errors';
import type { PsaAttachment, PsaUploadContent } from '../providers/types';
import { contentTypeOf } from '../providers/upload';
import { checkUpload } from '../providers/work';
import { connectionOf, type PsaServiceContext } from './context';
import { recordOwnChange } from './echo';
import { carriesMarker, markerOf, writeRecordOnce } from './record-once';
import { ticketIdOf, type TicketRef } from './ticket-ref';
import { requireId, requireKeyText } from './validation';

export interface AddAttachmentInput {
	ticket: TicketRef;
	fileName: string;
	/** Shown in the PSA; the file name when empty. */
	title?: string;
	/** As the source says (n8n's binary mimeType); detected from the file name when absent. */
	contentType?: string;
	/** Visible beyond internal staff (default: internal). */
	public?: boolean;
	content: PsaUploadContent;
	/** The same key never attaches a second file; default: derived from the ticket, the file name and the content's hash. */
	dedupeKey?: string;
	staleAfterMs?: number;
}

export interface AddAttachmentResult {
	ticketId: number;
	attachmentId: number | null;
	fileName: string;
	size: number;
	contentType: string;
	dedupeKey: string;
	deduplicated: boolean;
	recovered?: boolean;
	attachment?: PsaAttachment;
}

/** Attachments read (newest first) when looking for the one of an abandoned attempt. */
const RECOVERY_ATTACHMENTS = 1000;

/** One upload per new file; 0 requests for a repeated dedupe key. The file is read once more for the default key's hash. */
export async function addAttachment(ctx: PsaServiceContext, input: AddAttachmentInput): Promise<AddAttachmentResult> {
	const capabilities = ctx.provider.workCapabilities;
	const psa = ctx.provider.connection.provider;
	const contentType = contentTypeOf(String(input.fileName ?? ''), input.contentType);
	// Checked before the ticket is looked up or a receipt claimed: a file over the limit sends nothing at all.
	const checked = checkUpload({ ticketId: 1, title: input.title ?? '', fileName: input.fileName, contentType, public: input.public === true, content: input.content }, capabilities, psa === 'autotask' ? 'Autotask' : psa === 'connectwise' ? 'ConnectWise' : psa);
	const ticketId = await ticketIdOf(ctx, input.ticket);
	const dedupeKey = input.dedupeKey?.trim()
		? requireKeyText(input.dedupeKey, 'Dedupe Key', 500)
		: `attachment:${ticketId}:${checked.fileName}:${input.content.size}:${await contentHash(input.content)}`;
	const marker = markerOf(dedupeKey);
	const title = titleWithMarker(checked.title, marker, capabilities.maxAttachmentTitle);
	const connectionId = await connectionOf(ctx);
	const result = await writeRecordOnce<PsaAttachment>(ctx, {
		what: 'attachment',
		receipts: ctx.store.attachmentReceipts,
		connectionId,
		ticketId,
		dedupeKey,
		staleAfterMs: input.staleAfterMs ?? ctx.provider.outcomeSettleMs,
		// The marker goes into the title: both PSAs keep it and list it with the ticket's attachments.
		write: (target) => ctx.provider.addAttachment({ ticketId: target, title, fileName: checked.fileName, contentType, public: input.public === true, content: input.content }),
		findMarked: async (target) =>
			(await ctx.provider.listAttachments(target, { newestFirst: true, limit: RECOVERY_ATTACHMENTS })).filter((candidate) => carriesMarker(candidate.title, marker)),
		beforeWrite: (target) => recordOwnChange(ctx, target, { change: 'fields' }),
	});
	return {
		ticketId: result.ticketId,
		attachmentId: result.recordId,
		fileName: checked.fileName,
		size: input.content.size,
		contentType,
		dedupeKey,
		deduplicated: result.deduplicated,
		...(result.recovered ? { recovered: true } : {}),
		...(result.record ? { attachment: result.record } : {}),
	};
}

export async function listAttachments(ctx: PsaServiceContext, ticket: TicketRef, options: { limit?: number; newestFirst?: boolean } = {}): Promise<PsaAttachment[]> {
	return ctx.provider.listAttachments(await ticketIdOf(ctx, ticket), options);
}

export async function downloadAttachment(ctx: PsaServiceContext, ticket: TicketRef, attachmentId: number): Promise<{ attachment: PsaAttachment; data: Buffer }> {
	const id = requireId(attachmentId, 'Attachment ID');
	const ticketId = await ticketIdOf(ctx, ticket);
	const downloaded = await ctx.provider.downloadAttachment(ticketId, id);
	if (!downloaded.attachment.fileName) downloaded.attachment.fileName = `attachment-${id}`;
	return downloaded;
}

/** The title with the marker at its end, the title shortened (with an ellipsis) so both fit the PSA's field. */
export function titleWithMarker(title: string, marker: string, maxLength: number): string {
	const room = maxLength - marker.length - 1;
	if (room < 1) throw new PsaError('configuration', `The PSA's attachment title (${maxLength} characters) has no room for the dedupe marker`);
	const shown = title.length > room ? `${title.slice(0, room - 1)}…` : title;
	return `${shown} ${marker}`;
}

/** The content's SHA-256 (first 32 hex), read once in chunks. */
async function contentHash(content: PsaUploadContent): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of content.open()) hash.update(chunk);
	return hash.digest('hex').slice(0, 32);
}
