// What Link returns and the claim a create runs under: shared by the link service and the closed-ticket lifecycle.
import type { PsaTicket } from '../providers/types';
import type { LinkState } from '../store/types';

export interface LinkResult {
	created: boolean;
	source: string;
	externalId: string;
	linkKey: string;
	ticketId: number;
	state: LinkState;
	ticketUrl: string;
	/** True when a create whose response was lost was found again by its link key instead of created twice. */
	recovered?: boolean;
	ticket?: PsaTicket;
	/** How often Link was called for the entity, this call included; first and last of them. */
	occurrences: number;
	firstSeenAt: string | null;
	lastSeenAt: string | null;
	/** True when this call reopened the closed ticket. */
	reopened: boolean;
	/** The ticket the entity was linked to before this one (after a new ticket replaced a closed one). */
	previousTicketId: number | null;
	/** On a create with configuration items: the ids attached, and the ones not found or not attached (with why). */
	configurationItems?: { attached: number[]; notAttached: Array<{ by: string; value: string; reason: string }> };
	/** Names given where ids were expected (type, source...), and the record each was taken to mean. */
	resolved?: Array<{ field: string; given: string; id: number; name: string }>;
	/** Set when this call raised the ticket's priority (the occurrence rule). */
	priorityRaised?: { priorityId: number; occurrences: number };
	/** Set when the occurrence rule's priority change failed; tried again at the next occurrence. */
	priorityRaiseError?: string;
}

/** A claim this run holds: its token, whether it must search before creating, and the generation it creates. */
export interface ClaimHeld {
	claimToken: string;
	searchFirst: boolean;
	generation: number;
}
