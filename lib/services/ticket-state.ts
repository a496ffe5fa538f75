// What this process last saw of a ticket (board, status), so Status can skip the GET and the no-op PATCH.
import type { PsaCache } from '../cache';
import type { PsaTicket } from '../providers/types';

export interface KnownTicketState {
	boardId: number;
	boardName: string;
	statusId: number;
	statusName: string;
	closed: boolean;
}

// The trailing slash keeps a prefix invalidation of ticket 12 from touching ticket 123.
const stateKey = (ticketId: number): string => `ticket-state:${ticketId}/`;

export function rememberTicket(cache: PsaCache, connectionId: string, ticket: PsaTicket): void {
	cache.set<KnownTicketState>(connectionId, stateKey(ticket.id), {
		boardId: ticket.board.id,
		boardName: ticket.board.name,
		statusId: ticket.status.id,
		statusName: ticket.status.name,
		closed: ticket.closed,
	});
}

export function knownTicket(cache: PsaCache, connectionId: string, ticketId: number): KnownTicketState | undefined {
	return cache.get<KnownTicketState>(connectionId, stateKey(ticketId));
}

/** Drops what is known of a ticket; the PSA Trigger calls this on every verified event, so it touches one key only. */
export function forgetTicket(cache: PsaCache, connectionId: string, ticketId: number): void {
	cache.delete(connectionId, stateKey(ticketId));
}
