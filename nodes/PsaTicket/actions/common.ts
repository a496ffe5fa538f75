// What PSA Ticket's operations share: the Simplify switch and the simplified view of a ticket.
import type { IDataObject, IDisplayOptions, INodeProperties } from 'n8n-workflow';
import type { PsaConfigurationItem, PsaReference, PsaTicket } from '../../../lib/providers/types';

export function simplifyProperty(displayOptions: IDisplayOptions): INodeProperties {
	return {
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		noDataExpression: true,
		default: true,
		description: 'Whether to return the fields a workflow usually needs, with records by name, instead of the full record',
		displayOptions,
	};
}

const nameOf = (reference: PsaReference | undefined) => (reference ? reference.name || String(reference.id) : null);

/** The fields a workflow usually needs, records by name; custom fields by name; devices by id and name. */
export function simplifiedTicket(ticket: PsaTicket, ticketUrl: string, items?: PsaConfigurationItem[]): IDataObject {
	const simple: IDataObject = {
		id: ticket.id,
		summary: ticket.summary,
		board: nameOf(ticket.board),
		status: nameOf(ticket.status),
		closed: ticket.closed,
		company: nameOf(ticket.company),
		priority: nameOf(ticket.priority),
		contact: nameOf(ticket.contact),
		owner: nameOf(ticket.owner),
		type: nameOf(ticket.type),
		subtype: nameOf(ticket.subtype),
		item: nameOf(ticket.item),
		team: nameOf(ticket.team),
		source: nameOf(ticket.source),
		site: nameOf(ticket.site),
		dueAt: ticket.dueAt ?? null,
		createdAt: ticket.createdAt ?? null,
		updatedAt: ticket.updatedAt ?? null,
		customFields: (ticket.customFields ?? {}) as IDataObject,
		url: ticketUrl,
	};
	for (const scale of ['severity', 'impact', 'urgency'] as const) if (ticket[scale] !== undefined) simple[scale] = ticket[scale];
	if (items) simple.configurationItems = items.map((item) => ({ id: item.id, name: item.name }));
	return simple;
}
