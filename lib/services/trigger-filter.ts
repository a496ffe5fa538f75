// What a PSA Trigger wants: its settings, the narrowest callback the provider offers for them, and the filters the callback level does not already apply.
import type { PsaCallbackEvent, PsaCallbackLevel, PsaEventAction } from '../providers/types';

export type TicketState = 'any' | 'open' | 'closed';

export interface TriggerSettings {
	events: PsaEventAction[];
	boardId?: number;
	statusIds: number[];
	companyId?: number;
	ticketState: TicketState;
	ignoreOwnChanges: boolean;
	echoWindowMs: number;
	/** 0 = no age limit. */
	maxEventAgeMs: number;
	includeEntity: boolean;
	/** Only tickets linked to an external entity in the state store. */
	linkedOnly: boolean;
}

export interface CallbackPlan {
	level: PsaCallbackLevel;
	/** The board / status / company id; 0 at owner level (the PSA ignores it there). */
	objectId: number;
}

/**
 * The narrowest callback the provider offers (its `callbackLevels`) that still delivers every wanted event: one status
 * when the filter is a single status on a board, else the board, else the company, else every ticket (owner level).
 * A provider that cannot narrow gets an owner-level callback, and `filteredOut` applies every filter.
 */
export function planCallback(settings: TriggerSettings, levels: readonly PsaCallbackLevel[]): CallbackPlan {
	const offers = (level: PsaCallbackLevel) => levels.includes(level);
	if (settings.boardId !== undefined) {
		if (settings.statusIds.length === 1 && offers('status')) return { level: 'status', objectId: settings.statusIds[0] };
		if (offers('board')) return { level: 'board', objectId: settings.boardId };
	}
	if (settings.companyId !== undefined && offers('company')) return { level: 'company', objectId: settings.companyId };
	return { level: 'owner', objectId: 0 };
}

/**
 * Why the event is not for this trigger, or undefined when it is. Filters the callback level already guarantees
 * are trusted when the entity lacks the field (a delete may carry no entity); other unknown fields do not match.
 */
export function filteredOut(event: PsaCallbackEvent, settings: TriggerSettings, levels: readonly PsaCallbackLevel[]): string | undefined {
	if (event.type !== 'ticket') return 'not a ticket event';
	if (!settings.events.includes(event.action)) return `ticket ${event.action} events are not selected`;
	const plan = planCallback(settings, levels);
	const ticket = event.ticket;
	if (settings.boardId !== undefined) {
		const guaranteed = plan.level === 'board' || plan.level === 'status';
		if (ticket ? ticket.board.id !== settings.boardId : !guaranteed) return 'ticket is on another board';
	}
	if (settings.statusIds.length > 0) {
		const guaranteed = plan.level === 'status';
		if (ticket ? !settings.statusIds.includes(ticket.status.id) : !guaranteed) return 'ticket status is not selected';
	}
	if (settings.companyId !== undefined) {
		const guaranteed = plan.level === 'company';
		if (ticket ? ticket.company.id !== settings.companyId : !guaranteed) return 'ticket belongs to another company';
	}
	if (settings.ticketState !== 'any') {
		if (!ticket) return `ticket state is unknown (not ${settings.ticketState})`;
		if (ticket.closed !== (settings.ticketState === 'closed')) return `ticket is not ${settings.ticketState}`;
	}
	return undefined;
}
