// A ticket named either by its id or by the link of an external entity (resolved from the store, 0 requests).
import type { PsaServiceContext } from './context';
import { linkedTicketId, type LinkTarget } from './link-lookup';
import { requireId } from './validation';

export type TicketRef = { ticketId: number } | { link: LinkTarget };

export async function ticketIdOf(ctx: PsaServiceContext, ref: TicketRef): Promise<number> {
	if ('ticketId' in ref) return requireId(ref.ticketId, 'Ticket ID');
	return linkedTicketId(ctx, ref.link);
}
