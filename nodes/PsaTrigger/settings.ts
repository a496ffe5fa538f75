// The trigger's node parameters read into the trigger service's settings (which events, which filters, which options).
import type { IDataObject, IHookFunctions, IPollFunctions, ITriggerFunctions, IWebhookFunctions } from 'n8n-workflow';
import type { PsaEventAction } from '../../lib/providers/types';
import type { TicketState, TriggerSettings } from '../../lib/services/trigger-filter';

const ACTIONS: PsaEventAction[] = ['added', 'updated', 'deleted'];

function positiveId(value: unknown): number | undefined {
	const raw = value !== null && typeof value === 'object' && 'value' in value ? (value as { value: unknown }).value : value;
	const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
	if (!/^\d+$/.test(text)) return undefined;
	const id = Number(text);
	return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

export function readSettings(fns: IHookFunctions | IWebhookFunctions | ITriggerFunctions | IPollFunctions): TriggerSettings {
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
