// The trigger's parameters as one value: which events it wants, the callback level that matches them, and the filters webhook() applies.
import type { IDataObject, IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import type { PsaCallbackEvent, PsaCallbackLevel, PsaEventAction } from '../../lib/providers/types';

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

const ACTIONS: PsaEventAction[] = ['added', 'updated', 'deleted'];

function positiveId(value: unknown): number | undefined {
	const raw = value !== null && typeof value === 'object' && 'value' in value ? (value as { value: unknown }).value : value;
	const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
	if (!/^\d+$/.test(text)) return undefined;
	const id = Number(text);
	return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

export function readSettings(fns: IHookFunctions | IWebhookFunctions): TriggerSettings {
	const events = (fns.getNodeParameter('events', []) as string[]).filter((event): event is PsaEventAction =>
		ACTIONS.includes(event as PsaEventAction),
	);
	const boardId = positiveId(fns.getNodeParameter('boardId', '', { extractValue: true }));
	const statusIds = boardId === undefined ? [] : ((fns.getNodeParameter('statusIds', []) as unknown[]).map(positiveId).filter((id) => id !== undefined) as number[]);
	const companyId = positiveId(fns.getNodeParameter('companyId', '', { extractValue: true }));
	const ticketState = fns.getNodeParameter('ticketState', 'any') as TicketState;
	const options = fns.getNodeParameter('options', {}) as IDataObject;
	const seconds = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback);
	return {
		events,
		...(boardId !== undefined ? { boardId } : {}),
		statusIds,
		...(companyId !== undefined ? { companyId } : {}),
		ticketState: ['open', 'closed'].includes(ticketState) ? ticketState : 'any',
		ignoreOwnChanges: options.ignoreOwnChanges !== false,
		echoWindowMs: seconds(options.echoWindowSeconds, 120) * 1000,
		maxEventAgeMs: seconds(options.maxEventAgeMinutes, 15) * 60 * 1000,
		includeEntity: options.includeEntity === true,
		linkedOnly: options.linkedOnly === true,
	};
}

/** Every level, for a PSA that can narrow callbacks by board, status and company (ConnectWise). */
const ALL_LEVELS: readonly PsaCallbackLevel[] = ['owner', 'board', 'status', 'company'];

/**
 * The narrowest PSA callback the PSA offers that still delivers every wanted event: one status when the filter is a
 * single status on a board, else the board, else the company, else every ticket (owner level). A PSA that cannot
 * narrow (Autotask's webhooks watch every ticket) gets an owner-level callback and webhook() applies every filter.
 */
export function planCallback(settings: TriggerSettings, levels: readonly PsaCallbackLevel[] = ALL_LEVELS): CallbackPlan {
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
export function filteredOut(event: PsaCallbackEvent, settings: TriggerSettings, levels: readonly PsaCallbackLevel[] = ALL_LEVELS): string | undefined {
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
