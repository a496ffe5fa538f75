// The HaloPSA sandbox's ticket, action and link rules: upserts validated like Halo's, external links committed with the ticket, Halo's own actions logged, and the ticket events webhooks are told of.
import { ACTIVE_AGENT_ID, type HaloAction, type HaloDb, type HaloTicket, type Row, haloTime } from './data';

export class HaloError extends Error {
	constructor(
		readonly status: number,
		readonly body: unknown,
	) {
		super(typeof body === 'string' ? body : JSON.stringify(body));
	}
}

/** Halo's validation answer: 400 with a plain-text message [client; exact shape open]. */
export function invalid(message: string): HaloError {
	return new HaloError(400, message);
}

export type TicketEvent = { eventno: number; ticket: HaloTicket };

const int = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined);

export class TicketStore {
	/** Set while seeding: changes made then tell no webhook. */
	private quiet = false;

	constructor(
		private readonly db: HaloDb,
		private readonly now: () => number,
		private readonly tell: (event: TicketEvent) => void,
	) {}

	private notify(event: TicketEvent): void {
		if (!this.quiet) this.tell(event);
	}

	/** Runs `work` without telling webhooks (a ticket seeded for a test, as if it predated them). */
	seed<T>(work: () => T): T {
		this.quiet = true;
		try {
			return work();
		} finally {
			this.quiet = false;
		}
	}

	ticket(id: number): HaloTicket | undefined {
		return this.db.tickets.find((ticket) => ticket.id === id && !ticket.deleted);
	}

	isClosedStatus(statusId: number): boolean {
		return this.db.statuses.find((status) => status.id === statusId)?.type === 2;
	}

	/** One record of POST /Tickets: with an id it updates that ticket, without one it creates; `agentId` is who acts. */
	upsert(record: Row, agentId: number): HaloTicket {
		const id = int(record.id);
		if (id !== undefined && id > 0) return this.update(id, record, agentId);
		return this.create(record, agentId);
	}

	private create(record: Row, agentId: number): HaloTicket {
		const summary = typeof record.summary === 'string' ? record.summary.trim() : '';
		if (!summary) throw invalid('Please enter a Summary');
		const clientId = int(record.client_id);
		if (!clientId || !this.db.clients.some((client) => client.id === clientId)) throw invalid('Please select a valid Client');
		const now = haloTime(this.now());
		const ticket: HaloTicket = {
			id: this.db.next.ticket++,
			summary,
			details: '',
			client_id: clientId,
			site_id: this.db.sites.find((site) => site.client_id === clientId)?.id ?? 0,
			user_id: 0,
			agent_id: 0,
			team: '',
			status_id: 1,
			priority_id: 3,
			tickettype_id: 1,
			impact: 0,
			urgency: 0,
			categoryid_1: 0,
			category_1: '',
			deadlinedate: null,
			customfields: [],
			assets: [],
			dateoccurred: now,
			last_update: now,
			dateclosed: null,
		};
		this.apply(ticket, { ...record, summary }, true);
		const link = record.new_external_link;
		if (link !== undefined && link !== null) this.validateLink(link);
		// Committed together: the ticket, its external link and Halo's own "logged" action.
		this.db.tickets.push(ticket);
		if (link !== undefined && link !== null) this.addLink({ ...(link as Row), halo_id: ticket.id });
		this.log(ticket, agentId, 'Ticket logged');
		this.notify({ eventno: 3, ticket });
		return ticket;
	}

	private update(id: number, record: Row, agentId: number): HaloTicket {
		const ticket = this.ticket(id);
		if (!ticket) throw new HaloError(404, { ClassName: 'Halo.Exceptions.NotFound', Message: `Ticket ${id} not found` });
		const draft = { ...ticket, customfields: [...ticket.customfields], assets: [...ticket.assets] };
		this.apply(draft, record, false);
		const statusChanged = draft.status_id !== ticket.status_id;
		const before = ticket.status_id;
		Object.assign(ticket, draft, { last_update: haloTime(this.now()) });
		if (statusChanged) {
			const reopened = this.isClosedStatus(before) && !this.isClosedStatus(ticket.status_id);
			this.db.statusChanges.push({ ticketId: ticket.id, fromStatus: before, toStatus: ticket.status_id, reopened });
			ticket.dateclosed = this.isClosedStatus(ticket.status_id) ? haloTime(this.now()) : null;
			this.log(ticket, agentId, `Status changed to ${this.db.statuses.find((status) => status.id === ticket.status_id)?.name}`);
			this.notify({ eventno: 76, ticket });
			if (this.isClosedStatus(ticket.status_id)) this.notify({ eventno: 39, ticket });
		} else this.log(ticket, agentId, 'Ticket updated');
		return ticket;
	}

	/** Validates and copies the writable fields present in `record` (all of them, or none: a refusal changes nothing). */
	private apply(ticket: HaloTicket, record: Row, creating: boolean): void {
		const db = this.db;
		const check = (field: string, exists: (id: number) => boolean, message: string) => {
			if (record[field] === undefined || record[field] === null) return undefined;
			const id = int(record[field]);
			if (id === undefined || !exists(id)) throw invalid(message);
			return id;
		};
		const clientId = creating ? ticket.client_id : (check('client_id', (id) => db.clients.some((client) => client.id === id), 'Please select a valid Client') ?? ticket.client_id);
		ticket.client_id = clientId;
		if (!creating && typeof record.summary === 'string') {
			if (!record.summary.trim()) throw invalid('Please enter a Summary');
			ticket.summary = record.summary.trim();
		}
		if (typeof record.details === 'string') ticket.details = record.details;
		const typeId = check('tickettype_id', (id) => db.ticketTypes.some((type) => type.id === id), 'Please select a valid Ticket Type');
		if (typeId !== undefined) ticket.tickettype_id = typeId;
		const statusId = check('status_id', (id) => db.statuses.some((status) => status.id === id && (status.tickettypes.length === 0 || status.tickettypes.includes(ticket.tickettype_id))), 'The Status is not valid for this Ticket Type');
		if (statusId !== undefined) ticket.status_id = statusId;
		const priorityId = check('priority_id', (id) => db.priorities.some((priority) => priority.priorityid === id), 'Please select a valid Priority');
		if (priorityId !== undefined) ticket.priority_id = priorityId;
		const siteId = check('site_id', (id) => db.sites.some((site) => site.id === id && site.client_id === clientId), 'The Site does not belong to the Client');
		if (siteId !== undefined) ticket.site_id = siteId;
		const userId = check('user_id', (id) => db.users.some((user) => user.id === id && user.client_id === clientId), 'The User does not belong to the Client');
		if (userId !== undefined) ticket.user_id = userId;
		const agentId = check('agent_id', (id) => db.agents.some((agent) => agent.id === id && !agent.isdisabled), 'Please select an active Agent');
		if (agentId !== undefined) ticket.agent_id = agentId;
		if (record.team !== undefined) {
			if (typeof record.team !== 'string' || (record.team && !db.teams.some((team) => team.name.toLowerCase() === String(record.team).toLowerCase()))) throw invalid('Please select a valid Team');
			ticket.team = record.team;
		}
		const categoryId = check('categoryid_1', (id) => db.categories.some((category) => category.id === id), 'Please select a valid Category');
		if (categoryId !== undefined) {
			ticket.categoryid_1 = categoryId;
			ticket.category_1 = db.categories.find((category) => category.id === categoryId)?.value ?? '';
		}
		for (const scale of ['impact', 'urgency'] as const) {
			if (record[scale] === undefined) continue;
			const value = int(record[scale]);
			if (value === undefined || value < 1 || value > 3) throw invalid(`Please select a valid ${scale === 'impact' ? 'Impact' : 'Urgency'}`);
			ticket[scale] = value;
		}
		if (record.deadlinedate !== undefined) {
			if (record.deadlinedate !== null && (typeof record.deadlinedate !== 'string' || !Number.isFinite(Date.parse(record.deadlinedate)))) throw invalid('The Deadline Date is not a date');
			ticket.deadlinedate = record.deadlinedate === null ? null : haloTime(Date.parse(record.deadlinedate));
		}
		if (record.customfields !== undefined) this.applyCustomFields(ticket, record.customfields);
		if (record.assets !== undefined) {
			if (!Array.isArray(record.assets)) throw invalid('assets must be a list');
			const ids = record.assets.map((asset) => int((asset as Row)?.id));
			for (const id of ids) {
				const asset = db.assets.find((candidate) => candidate.id === id);
				if (!asset || asset.client_id !== clientId) throw invalid(`Asset ${String(id)} does not belong to the Client`);
			}
			ticket.assets = [...new Set(ids as number[])];
		}
	}

	private applyCustomFields(ticket: HaloTicket, value: unknown): void {
		if (!Array.isArray(value)) throw invalid('customfields must be a list');
		for (const entry of value as Row[]) {
			const field = this.db.fields.find((candidate) => candidate.typeid === 1 && (candidate.id === int(entry?.id) || candidate.name.toLowerCase() === String(entry?.name ?? '').toLowerCase()));
			if (!field) throw invalid(`Custom field ${String(entry?.name ?? entry?.id)} does not exist`);
			const text = entry.value === null || entry.value === undefined ? null : String(entry.value);
			if (field.type === 2 && text !== null && !field.values.some((option) => option.name === text)) throw invalid(`'${text}' is not a value of ${field.label}`);
			if (field.characterlimit > 0 && text !== null && text.length > field.characterlimit) throw invalid(`${field.label} holds at most ${field.characterlimit} characters`);
			ticket.customfields = ticket.customfields.filter((existing) => existing.id !== field.id);
			if (text !== null) ticket.customfields.push({ id: field.id, name: field.name, value: text });
		}
	}

	private validateLink(link: unknown): void {
		const record = link as Row;
		if (!record || typeof record !== 'object' || typeof record.third_party_id !== 'string' || !record.third_party_id) throw invalid('The external link needs a third_party_id');
	}

	/** POST /ExternalLink and a ticket's new_external_link. */
	addLink(record: Row): Row {
		this.validateLink(record);
		const haloId = int(record.halo_id);
		if (!haloId || !this.ticket(haloId)) throw invalid('The external link names no ticket');
		const link = {
			id: this.db.next.link++,
			table_id: int(record.table_id) ?? 1,
			module_id: int(record.module_id) ?? 0,
			halo_id: haloId,
			third_party_id: String(record.third_party_id),
			third_party_type: String(record.third_party_type ?? ''),
			third_party_desc: String(record.third_party_desc ?? ''),
			date_created: haloTime(this.now()),
		};
		this.db.externalLinks.push(link);
		return link;
	}

	/** One record of POST /Actions: a note on the ticket (its type checked), optionally moving the ticket's status. */
	addAction(record: Row, agentId: number): HaloAction {
		const ticket = this.ticket(int(record.ticket_id) ?? 0);
		if (!ticket) throw invalid('Please select a valid Ticket');
		const outcomeId = int(record.outcome_id);
		const outcome = outcomeId !== undefined ? this.db.outcomes.find((candidate) => candidate.id === outcomeId) : typeof record.outcome === 'string' ? this.db.outcomes.find((candidate) => candidate.outcome.toLowerCase() === String(record.outcome).toLowerCase()) : this.db.outcomes[0];
		if (!outcome) throw invalid('Please select a valid Action Type');
		const who = int(record.who_agentid) ?? agentId;
		if (!this.db.agents.some((agent) => agent.id === who && !agent.isdisabled)) throw invalid('Please select an active Agent');
		const time = timeOf(record);
		const action: HaloAction = {
			id: this.db.next.action++,
			ticket_id: ticket.id,
			note: typeof record.note === 'string' ? record.note : '',
			outcome: outcome.outcome,
			outcome_id: outcome.id,
			hiddenfromuser: record.hiddenfromuser === true,
			who_agentid: who,
			datetime: haloTime(this.now()),
			system: false,
			...time,
			...(typeof record.private_note === 'string' && record.private_note ? { private_note: record.private_note } : {}),
		};
		this.db.actions.push(action);
		ticket.last_update = action.datetime;
		const newStatus = int(record.new_status);
		if (newStatus !== undefined && newStatus !== ticket.status_id) this.update(ticket.id, { status_id: newStatus }, who);
		return action;
	}

	delete(id: number, agentId: number): void {
		const ticket = this.ticket(id);
		if (!ticket) throw new HaloError(404, { ClassName: 'Halo.Exceptions.NotFound', Message: `Ticket ${id} not found` });
		ticket.deleted = true;
		this.log(ticket, agentId, 'Ticket deleted');
		this.notify({ eventno: 1072, ticket });
	}

	/** Halo's own action for a change: excluded by excludesys, shown as the ticket's last action. */
	private log(ticket: HaloTicket, agentId: number, note: string): void {
		this.db.actions.push({ id: this.db.next.action++, ticket_id: ticket.id, note, outcome: 'System', outcome_id: 0, hiddenfromuser: true, who_agentid: agentId, datetime: haloTime(this.now()), system: true });
	}

	/** A technician's change in Halo's web app. */
	changeAsAgent(id: number, record: Row, agentId = ACTIVE_AGENT_ID): HaloTicket {
		return this.update(id, record, agentId);
	}

	lastAction(ticketId: number): HaloAction | undefined {
		let last: HaloAction | undefined;
		for (const action of this.db.actions) if (action.ticket_id === ticketId && (!last || action.id > last.id)) last = action;
		return last;
	}
}

/** An action's time: timetaken in hours (0 to 24 here [open: Halo's own bound]), start and end dates, billable or not. */
function timeOf(record: Row): Partial<HaloAction> {
	if (record.timetaken === undefined || record.timetaken === null) return {};
	if (typeof record.timetaken !== 'number' || !(record.timetaken >= 0 && record.timetaken <= 24)) throw invalid('Time taken must be a number of hours between 0 and 24');
	const time: Partial<HaloAction> = { timetaken: Math.round(record.timetaken * 100) / 100 };
	for (const field of ['actionarrivaldate', 'actioncompletiondate'] as const) {
		const value = record[field];
		if (value === undefined || value === null) continue;
		if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalid(`${field} is not a date`);
		time[field] = haloTime(Date.parse(value));
	}
	if (time.actionarrivaldate && time.actioncompletiondate && Date.parse(time.actioncompletiondate) < Date.parse(time.actionarrivaldate)) throw invalid('The end date must be after the start date');
	if (record.actisbillable !== undefined && record.actisbillable !== null) {
		if (typeof record.actisbillable !== 'boolean') throw invalid('actisbillable must be true or false');
		time.actisbillable = record.actisbillable;
	}
	return time;
}
