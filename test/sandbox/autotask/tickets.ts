// Ticket, ticket note and ticket webhook writes: validation from the metadata, system fields, and the webhook events they fire.
import { randomUUID } from 'node:crypto';
import { atTimestamp, type AutotaskDb, type AutotaskNote, type AutotaskResource, type AutotaskTicket, type AutotaskWebhook, type Row } from './data';
import { entityFields, TICKET_WEBHOOK_FIELDS, type FieldInfo } from './metadata';
import { apiError, findField } from './query';
import { checkClassification, checkReferences, writeUdfs } from './ticket-depth';
import type { AutotaskWebhookPayload, DispatchTarget } from './webhooks';

export interface Actor {
	/** The resource the change is attributed to: the impersonated one, else the API user. */
	resource: AutotaskResource;
	apiUser?: AutotaskResource;
	impersonated?: AutotaskResource;
}

export interface WriteOptions {
	/** Inactive picklist values may or may not be settable (§5.3, unconfirmed); default false = accepted. */
	rejectInactivePicklistValues: boolean;
}

const SYSTEM_SET = new Set(['id', 'ticketNumber']);

/** Body properties mapped to canonical field names (request names are case-insensitive); unknown names are ignored. */
export function normalizeBody(body: unknown, fields: FieldInfo[]): Record<string, unknown> {
	if (!body || typeof body !== 'object' || Array.isArray(body)) throw apiError('The request body must be a JSON object.');
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
		if (key.toLowerCase() === 'userdefinedfields') out.userDefinedFields = value;
		const found = findField(fields, key);
		if (found) out[found.name] = value;
	}
	return out;
}

export class TicketStore {
	private sequence = new Map<number, number>();

	constructor(
		private readonly db: AutotaskDb,
		readonly now: () => number,
		private readonly options: WriteOptions,
		private readonly dispatch: (target: DispatchTarget, payload: AutotaskWebhookPayload) => void,
	) {}

	fields(entity: string): FieldInfo[] {
		return entityFields(this.db.picklists)[entity] ?? [];
	}

	private coerceWrite(field: FieldInfo, value: unknown): unknown {
		if (value === null || value === undefined) return null;
		const invalid = () => apiError(`Invalid value '${typeof value === 'object' ? JSON.stringify(value) : String(value)}' for field ${field.name}.`);
		switch (field.dataType) {
			case 'integer':
			case 'long':
			case 'decimal': {
				const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
				if (!Number.isFinite(number) || (field.dataType !== 'decimal' && !Number.isInteger(number))) throw invalid();
				return number;
			}
			case 'boolean':
				if (typeof value !== 'boolean') throw invalid();
				return value;
			case 'datetime': {
				if (typeof value !== 'string') throw invalid();
				const time = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
				if (!Number.isFinite(time)) throw invalid();
				return atTimestamp(time);
			}
			default:
				if (typeof value === 'object') throw invalid();
				return String(value);
		}
	}

	/** Required fields, lengths and picklists for any entity, from its metadata. */
	private validateGeneric(entity: string, record: Record<string, unknown>): void {
		for (const field of this.fields(entity)) {
			const value = record[field.name];
			if (field.isRequired && !field.isReadOnly && (value === null || value === undefined || value === '')) throw apiError(`${field.name} is required`);
			if (typeof value === 'string' && field.length > 0 && value.length > field.length) {
				throw apiError(`${field.name} exceeds ${field.length} characters (maximum length)`);
			}
			if (field.isPickList && !field.isReadOnly && value !== null && value !== undefined) {
				const entry = field.picklistValues?.find((candidate) => candidate.value === String(value));
				if (!entry) throw apiError(`Picklist value [${String(value)}] does not exist for ${field.name}`);
				if (!entry.isActive && this.options.rejectInactivePicklistValues) throw apiError(`Picklist value [${String(value)}] is inactive for ${field.name}`);
			}
		}
	}

	private applyWritable(entity: string, target: Record<string, unknown>, input: Record<string, unknown>, mode: 'create' | 'patch' | 'put'): void {
		for (const field of this.fields(entity)) {
			if (field.isReadOnly || SYSTEM_SET.has(field.name)) continue;
			if (field.name in input) target[field.name] = this.coerceWrite(field, input[field.name]);
			else if (mode === 'put') target[field.name] = null;
		}
	}

	private validateTicket(ticket: Record<string, unknown>): void {
		this.validateGeneric('Tickets', ticket);
		const company = this.db.companies.find((candidate) => candidate.id === ticket.companyID);
		if (!company) throw apiError('Value does not reference an existing entity for companyID.');
		if (!company.isActive) throw apiError(`companyID ${company.id} references an inactive Company.`);
		if (ticket.contactID !== null) {
			const contact = this.db.contacts.find((candidate) => candidate.id === ticket.contactID);
			if (!contact) throw apiError('Value does not reference an existing entity for contactID.');
			if (contact.companyID !== company.id) throw apiError(`contactID ${contact.id} does not belong to the ticket's company (companyID ${company.id}).`);
		}
		if ((ticket.assignedResourceID === null) !== (ticket.assignedResourceRoleID === null)) {
			throw apiError('When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID.');
		}
		if (ticket.assignedResourceID !== null) {
			const assignee = this.resource(ticket.assignedResourceID);
			if (!assignee) throw apiError('Value does not reference an existing entity for assignedResourceID.');
			if (!assignee.isActive) throw apiError(`assignedResourceID ${assignee.id} references an inactive Resource.`);
		}
		checkClassification(this.db, ticket);
		checkReferences(this.db, ticket);
	}

	resource(id: unknown): AutotaskResource | undefined {
		return this.db.resources.find((candidate) => candidate.id === Number(id));
	}

	private nextTicketNumber(): string {
		const day = atTimestamp(this.now()).slice(0, 10).replace(/-/g, '');
		const count = (this.db.ticketNumbers[day] ?? 0) + 1;
		this.db.ticketNumbers[day] = count;
		return `T${day}.${String(count).padStart(4, '0')}`;
	}

	createTicket(body: unknown, actor: Actor, fire: boolean): AutotaskTicket {
		const input = normalizeBody(body, this.fields('Tickets'));
		const ticket: Record<string, unknown> = Object.fromEntries(this.fields('Tickets').map((field) => [field.name, null]));
		this.applyWritable('Tickets', ticket, input, 'create');
		this.validateTicket(ticket);
		const userDefinedFields = writeUdfs(this.db.udfs.Tickets ?? [], [], input.userDefinedFields);
		const now = atTimestamp(this.now());
		Object.assign(ticket, {
			id: this.db.nextIds.tickets++,
			ticketNumber: this.nextTicketNumber(),
			createDate: now,
			lastActivityDate: now,
			lastTrackedModificationDateTime: now,
			lastActivityResourceID: actor.resource.id,
			creatorResourceID: actor.resource.id,
			impersonatorCreatorResourceID: actor.impersonated ? (actor.apiUser?.id ?? null) : null,
			creatorType: 1,
			lastActivityPersonType: 1,
			userDefinedFields,
		});
		if (ticket.status === 5) Object.assign(ticket, { completedDate: now, completedByResourceID: actor.resource.id });
		this.db.tickets.push(ticket as AutotaskTicket);
		if (fire) this.fireTicketEvent('Create', ticket as AutotaskTicket, new Set(Object.keys(ticket)), actor.resource.id);
		return ticket as AutotaskTicket;
	}

	updateTicket(body: unknown, actor: Actor, mode: 'patch' | 'put'): AutotaskTicket {
		const input = normalizeBody(body, this.fields('Tickets'));
		if (input.id === undefined || input.id === null) throw apiError('id is required');
		const ticket = this.db.tickets.find((candidate) => candidate.id === Number(input.id));
		if (!ticket) throw apiError('No matching records found. The logged in Resource may not have the required permissions to update the data.');
		const next: Record<string, unknown> = { ...ticket };
		this.applyWritable('Tickets', next, input, mode);
		// PATCH sets the UDFs it names and keeps the others (§2); PUT clears the ones it does not name, as it does fields.
		if (input.userDefinedFields !== undefined || mode === 'put') {
			next.userDefinedFields = writeUdfs(this.db.udfs.Tickets ?? [], mode === 'put' ? [] : ticket.userDefinedFields, input.userDefinedFields);
		}
		this.validateTicket(next);
		const now = atTimestamp(this.now());
		if (next.status === 5 && ticket.status !== 5) Object.assign(next, { completedDate: now, completedByResourceID: actor.resource.id });
		if (next.status !== 5 && ticket.status === 5) Object.assign(next, { completedDate: null, completedByResourceID: null });
		Object.assign(next, { lastActivityDate: now, lastTrackedModificationDateTime: now, lastActivityResourceID: actor.resource.id, lastActivityPersonType: 1 });
		const changed = new Set(Object.keys(next).filter((key) => JSON.stringify(next[key]) !== JSON.stringify(ticket[key])));
		if ('status' in input) {
			const [fromStatus, toStatus] = [ticket.status, next.status as number];
			this.db.statusChanges.push({ ticketId: ticket.id, fromStatus, toStatus, closed: toStatus === 5 && fromStatus !== 5, reopened: fromStatus === 5 && toStatus !== 5, at: now });
		}
		Object.assign(ticket, next);
		this.fireTicketEvent('Update', ticket, changed, actor.resource.id);
		return ticket;
	}

	createNote(ticketId: number, body: unknown, actor: Actor): AutotaskNote {
		const ticket = this.db.tickets.find((candidate) => candidate.id === ticketId);
		if (!ticket) throw apiError('Value does not reference an existing entity for ticketID.');
		const input = normalizeBody(body, this.fields('TicketNotes'));
		if (input.ticketID !== undefined && input.ticketID !== null && Number(input.ticketID) !== ticketId) {
			throw apiError(`ticketID ${String(input.ticketID)} does not match the parent ticket ${ticketId}.`);
		}
		const note: Record<string, unknown> = Object.fromEntries(this.fields('TicketNotes').map((field) => [field.name, null]));
		this.applyWritable('TicketNotes', note, { ...input, ticketID: ticketId }, 'create');
		this.validateGeneric('TicketNotes', note);
		const now = atTimestamp(this.now());
		Object.assign(note, {
			id: this.db.nextIds.notes++,
			createDateTime: now,
			lastActivityDate: now,
			creatorResourceID: actor.resource.id,
			impersonatorCreatorResourceID: actor.impersonated ? (actor.apiUser?.id ?? null) : null,
		});
		this.db.notes.push(note as AutotaskNote);
		// A note is ticket activity; it changes the ticket's activity fields but the sandbox fires no ticket callout for it.
		Object.assign(ticket, { lastActivityDate: now, lastActivityResourceID: actor.resource.id });
		return note as AutotaskNote;
	}

	updateNote(ticketId: number, body: unknown): AutotaskNote {
		const input = normalizeBody(body, this.fields('TicketNotes'));
		const note = this.db.notes.find((candidate) => candidate.id === Number(input.id) && candidate.ticketID === ticketId);
		if (!note) throw apiError('No matching records found. The logged in Resource may not have the required permissions to update the data.');
		if (input.noteType === undefined || input.publish === undefined) throw apiError('noteType and publish are required when updating a ticket note.');
		const next: Record<string, unknown> = { ...note };
		this.applyWritable('TicketNotes', next, { ...input, ticketID: ticketId }, 'patch');
		this.validateGeneric('TicketNotes', next);
		Object.assign(note, next, { lastActivityDate: atTimestamp(this.now()) });
		return note;
	}

	createWebhook(body: unknown, apiUser: AutotaskResource): AutotaskWebhook {
		const input = normalizeBody(body, this.fields('TicketWebhooks'));
		const webhook: Record<string, unknown> = {
			...Object.fromEntries(this.fields('TicketWebhooks').map((field) => [field.name, null])),
			isSubscribedToCreateEvents: false,
			isSubscribedToUpdateEvents: false,
			isSubscribedToDeleteEvents: false,
		};
		this.applyWritable('TicketWebhooks', webhook, input, 'create');
		this.validateGeneric('TicketWebhooks', webhook);
		Object.assign(webhook, { id: this.db.nextIds.webhooks++, webhookGuid: randomUUID(), ownerResourceID: apiUser.id, isReady: false });
		this.db.webhooks.push(webhook as AutotaskWebhook);
		return webhook as AutotaskWebhook;
	}

	updateWebhook(body: unknown, mode: 'patch' | 'put'): AutotaskWebhook {
		const input = normalizeBody(body, this.fields('TicketWebhooks'));
		const webhook = this.db.webhooks.find((candidate) => candidate.id === Number(input.id));
		if (!webhook) throw apiError('No matching records found. The logged in Resource may not have the required permissions to update the data.');
		const next: Record<string, unknown> = { ...webhook };
		this.applyWritable('TicketWebhooks', next, input, mode);
		this.validateGeneric('TicketWebhooks', next);
		Object.assign(webhook, next);
		return webhook;
	}

	/** A child row of a webhook (Fields or ExcludedResources), validated from its metadata. */
	createWebhookChild(kind: 'Fields' | 'ExcludedResources', webhookId: number, body: unknown): Row {
		const webhook = this.db.webhooks.find((candidate) => candidate.id === webhookId);
		if (!webhook) throw apiError('Value does not reference an existing entity for webhookID.');
		const entity = kind === 'Fields' ? 'TicketWebhookFields' : 'TicketWebhookExcludedResources';
		const input = normalizeBody(body, this.fields(entity));
		if (input.webhookID !== undefined && input.webhookID !== null && Number(input.webhookID) !== webhookId) {
			throw apiError(`webhookID ${String(input.webhookID)} does not match the parent webhook ${webhookId}.`);
		}
		const row: Record<string, unknown> = Object.fromEntries(this.fields(entity).map((field) => [field.name, null]));
		this.applyWritable(entity, row, { ...input, webhookID: webhookId }, 'create');
		this.validateGeneric(entity, row);
		if (kind === 'Fields') {
			if (this.db.webhookFields.some((field) => field.webhookID === webhookId && field.fieldID === row.fieldID)) {
				throw apiError(`fieldID ${String(row.fieldID)} is already configured for webhook ${webhookId}.`);
			}
			row.id = this.db.nextIds.webhookFields++;
			this.db.webhookFields.push(row as never);
			webhook.isReady = true;
		} else {
			if (!this.resource(row.resourceID)) throw apiError('Value does not reference an existing entity for resourceID.');
			row.id = this.db.nextIds.webhookExcludedResources++;
			this.db.webhookExcludedResources.push(row as never);
		}
		return row as Row;
	}

	deleteWebhook(id: number): void {
		if (!this.db.webhooks.some((candidate) => candidate.id === id)) {
			throw apiError('No message. No matching records found. The logged in Resource may not have the required permissions to delete the data.');
		}
		this.db.webhooks = this.db.webhooks.filter((candidate) => candidate.id !== id);
		this.db.webhookFields = this.db.webhookFields.filter((candidate) => candidate.webhookID !== id);
		this.db.webhookExcludedResources = this.db.webhookExcludedResources.filter((candidate) => candidate.webhookID !== id);
	}

	deleteWebhookChild(kind: 'Fields' | 'ExcludedResources', webhookId: number, id: number): void {
		const table = kind === 'Fields' ? 'webhookFields' : 'webhookExcludedResources';
		const rows = this.db[table] as Row[];
		if (!rows.some((row) => row.id === id && row.webhookID === webhookId)) {
			throw apiError('No message. No matching records found. The logged in Resource may not have the required permissions to delete the data.');
		}
		(this.db[table] as Row[]) = rows.filter((row) => row.id !== id);
		if (kind === 'Fields') {
			const webhook = this.db.webhooks.find((candidate) => candidate.id === webhookId);
			if (webhook) webhook.isReady = this.db.webhookFields.some((field) => field.webhookID === webhookId);
		}
	}

	/** §9.1: one callout per active, ready, subscribed webhook whose excluded resources do not include the actor. */
	fireTicketEvent(action: 'Create' | 'Update', ticket: AutotaskTicket, changed: Set<string>, actorId: number): void {
		for (const webhook of this.db.webhooks) {
			if (!webhook.isActive || !webhook.isReady) continue;
			if (action === 'Create' ? !webhook.isSubscribedToCreateEvents : !webhook.isSubscribedToUpdateEvents) continue;
			if (this.db.webhookExcludedResources.some((row) => row.webhookID === webhook.id && row.resourceID === actorId)) continue;
			const configured = this.db.webhookFields.filter((row) => row.webhookID === webhook.id);
			const property = (fieldID: number) => TICKET_WEBHOOK_FIELDS[fieldID]?.property;
			const changedSubscribed = configured.filter((row) => {
				const name = property(row.fieldID);
				if (!row.isSubscribedField || !name) return false;
				return action === 'Create' ? ticket[name] !== null && ticket[name] !== undefined : changed.has(name);
			});
			if (action === 'Update' && changedSubscribed.length === 0) continue;
			const fields: Record<string, string | null> = {};
			for (const row of [...changedSubscribed, ...configured.filter((candidate) => candidate.isDisplayAlwaysField)]) {
				const name = property(row.fieldID);
				if (!name) continue;
				const value = ticket[name];
				fields[TICKET_WEBHOOK_FIELDS[row.fieldID].name] = value === null || value === undefined ? null : String(value);
			}
			const sequence = (this.sequence.get(webhook.id) ?? 0) + 1;
			this.sequence.set(webhook.id, sequence);
			this.dispatch(
				{ webhookId: webhook.id, url: webhook.webhookUrl, secretKey: webhook.secretKey },
				{
					Action: action,
					Guid: webhook.webhookGuid,
					EntityType: 'Ticket',
					Id: ticket.id,
					Fields: fields,
					EventTime: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
					SequenceNumber: sequence,
					PersonID: actorId,
				},
			);
		}
	}
}
