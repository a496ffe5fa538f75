// The emulated ConnectWise endpoints: the route table and the domain rules behind tickets, notes and callbacks.
import { randomUUID } from 'node:crypto';
import type { CallbackAction, CallbackDispatcher, CallbackPayload } from './callbacks';
import { callbacksForTicket } from './callbacks';
import type { CwCallback, CwMember, CwNote, CwStatus, CwTicket, Reference, SandboxDb } from './data';
import { cwTimestamp } from './data';
import type { CwFieldError } from './errors';
import { ApiError, fieldError, invalidObject, notFound } from './errors';
import type { ModelVersion, ResourceKind } from './models';
import { knownFields, MODEL_VERSIONS, shapeRecord } from './models';
import { listRecords, parseFields, pickFields } from './query';
import { DEPTH_TICKET_FIELDS, SandboxDepth } from './depth';
import { SandboxWork } from './work';
import { type ReferenceRequest, asObject, describeReference, readReference, sameText } from './references';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestContext {
	params: Record<string, string>;
	query: Record<string, string>;
	body: unknown;
	model: ModelVersion;
	forwardOnly: boolean;
	/** Absolute URL of this request without its query string. */
	selfUrl: string;
	/** The member the API keys belong to. */
	actor: CwMember;
}

export interface HandlerResult {
	status: number;
	body?: unknown;
	headers?: Record<string, string>;
}

export interface Route {
	method: HttpMethod;
	/** Path template after /apis/3.0, with the OpenAPI document's parameter names. */
	template: string;
	/** Changes data: refused to read-only keys. */
	writes: boolean;
	/** Needs the callback-administration permission: refused to read-only keys. */
	adminOnly?: boolean;
	handle: (context: RequestContext) => HandlerResult;
}

export const SUMMARY_MAX_LENGTH = 100;
export const EXTERNAL_XREF_MAX_LENGTH = 100;
const LEVELS = ['Low', 'Medium', 'High'];

interface ChangeOptions {
	actor: CwMember;
	skipCallback?: boolean;
}

function idParam(context: RequestContext, name: string, resource: string): number {
	const raw = context.params[name];
	if (!/^\d+$/.test(raw)) throw new ApiError(400, 'InvalidObject', `${resource} id '${raw}' is not a number`);
	return Number(raw);
}

export class SandboxApi {
	readonly routes: Route[];
	readonly depth: SandboxDepth;
	readonly work: SandboxWork;

	constructor(
		readonly db: SandboxDb,
		private readonly dispatcher: CallbackDispatcher,
		private readonly settings: { origin: () => string; companyId: string; currentVersion: string },
	) {
		this.depth = new SandboxDepth(this);
		this.work = new SandboxWork(this);
		this.routes = [...this.buildRoutes(), ...this.depth.routes(), ...this.work.routes()];
	}

	// ---- lookups ----

	memberByIdentifier(identifier: string): CwMember | undefined {
		return this.db.members.find((member) => sameText(member.identifier, identifier));
	}

	private findMember(reference: ReferenceRequest): CwMember | undefined {
		return this.db.members.find(
			(member) =>
				(reference.id !== undefined && member.id === reference.id) ||
				(reference.id === undefined && sameText(member.identifier, reference.identifier ?? reference.name)),
		);
	}

	private memberReference(member: CwMember): Reference {
		return { id: member.id, identifier: member.identifier, name: `${member.firstName} ${member.lastName}` };
	}

	private statusesOf(boardId: number): CwStatus[] {
		return this.db.statuses.filter((status) => status.board.id === boardId);
	}

	ticketOr404(id: number): CwTicket {
		const ticket = this.db.tickets.find((candidate) => candidate.id === id);
		if (!ticket) throw notFound(`Ticket recId ${id} not found`);
		return ticket;
	}

	// ---- shaping ----

	list(kind: ResourceKind, records: object[], context: RequestContext): HandlerResult {
		const shaped = records.map((record) => shapeRecord(kind, record, context.model));
		const result = listRecords(shaped, context.query, {
			knownFields: knownFields(kind, context.model),
			selfUrl: context.selfUrl,
			forwardOnly: context.forwardOnly,
		});
		return { status: 200, body: result.items, headers: result.link ? { link: result.link } : undefined };
	}

	one(kind: ResourceKind, record: object, context: RequestContext, status = 200): HandlerResult {
		const shaped = shapeRecord(kind, record, context.model);
		const fields = parseFields(context.query, knownFields(kind, context.model));
		return { status, body: fields ? pickFields(shaped, fields) : shaped };
	}

	// ---- tickets ----

	private resolveBoard(reference: ReferenceRequest, field: string, errors: CwFieldError[]) {
		const board = this.db.boards.find((candidate) =>
			reference.id !== undefined ? candidate.id === reference.id : sameText(candidate.name, reference.name),
		);
		if (!board) errors.push(fieldError('ticket', field, `Board ${describeReference(reference)} was not found.`));
		else if (board.inactiveFlag) errors.push(fieldError('ticket', field, `Board '${board.name}' is inactive.`));
		return board && !board.inactiveFlag ? board : undefined;
	}

	private resolveStatus(boardId: number, boardName: string, reference: ReferenceRequest, errors: CwFieldError[]) {
		const status = this.statusesOf(boardId).find((candidate) =>
			reference.id !== undefined ? candidate.id === reference.id : sameText(candidate.name, reference.name),
		);
		if (!status) {
			errors.push(fieldError('ticket', 'status/id', `The status ${describeReference(reference)} is not valid for board '${boardName}'.`));
			return undefined;
		}
		if (status.inactive) {
			errors.push(fieldError('ticket', 'status/id', `The status '${status.name}' on board '${boardName}' is inactive.`));
			return undefined;
		}
		return status;
	}

	private resolvePriority(reference: ReferenceRequest, errors: CwFieldError[]) {
		const priority = this.db.priorities.find((candidate) =>
			reference.id !== undefined ? candidate.id === reference.id : sameText(candidate.name, reference.name),
		);
		if (!priority) errors.push(fieldError('ticket', 'priority', `Priority ${describeReference(reference)} was not found.`));
		return priority;
	}

	private resolveCompany(reference: ReferenceRequest, errors: CwFieldError[]) {
		const company = this.db.companies.find((candidate) =>
			reference.id !== undefined
				? candidate.id === reference.id
				: sameText(candidate.identifier, reference.identifier ?? reference.name) || sameText(candidate.name, reference.name),
		);
		if (!company) errors.push(fieldError('ticket', 'company', `Company ${describeReference(reference)} was not found.`));
		return company;
	}

	private resolveOwner(reference: ReferenceRequest, errors: CwFieldError[]) {
		const owner = this.findMember(reference);
		if (!owner) errors.push(fieldError('ticket', 'owner', `Member ${describeReference(reference)} was not found.`));
		else if (owner.inactiveFlag) errors.push(fieldError('ticket', 'owner', `Member '${owner.identifier}' is inactive.`));
		return owner && !owner.inactiveFlag ? owner : undefined;
	}

	private resolveContact(reference: ReferenceRequest, errors: CwFieldError[]) {
		const contact = this.db.contacts.find((candidate) => candidate.id === reference.id);
		if (!contact) errors.push(fieldError('ticket', 'contact', `Contact ${describeReference(reference)} was not found.`));
		return contact;
	}

	private applyStatus(ticket: CwTicket, status: CwStatus, actor: string): void {
		ticket.status = { id: status.id, name: status.name, sort: status.sortOrder };
		if (status.closedStatus && !ticket.closedFlag) {
			ticket.closedFlag = true;
			ticket.closedDate = cwTimestamp();
			ticket.closedBy = actor;
		} else if (!status.closedStatus && ticket.closedFlag) {
			ticket.closedFlag = false;
			delete ticket.closedDate;
			delete ticket.closedBy;
		}
	}

	private checkText(value: unknown, field: string, maxLength: number, required: boolean, errors: CwFieldError[]): string | undefined {
		if (value === undefined || value === null || value === '') {
			if (required) errors.push(fieldError('ticket', field, `The ${field} field is required.`, 'NullValue'));
			return undefined;
		}
		if (typeof value !== 'string') {
			errors.push(fieldError('ticket', field, `The ${field} field must be a string.`, 'InvalidField'));
			return undefined;
		}
		if (value.length > maxLength) {
			errors.push(fieldError('ticket', field, `The ${field} field is limited to ${maxLength} characters.`, 'InvalidField'));
			return undefined;
		}
		return value;
	}

	createTicket(body: unknown, options: ChangeOptions): CwTicket {
		const input = asObject(body);
		if (!input) throw new ApiError(400, 'InvalidObject', 'ticket object is invalid: the body must be a JSON object');
		const errors: CwFieldError[] = [];
		const summary = this.checkText(input.summary, 'summary', SUMMARY_MAX_LENGTH, true, errors);
		const externalXRef = this.checkText(input.externalXRef, 'externalXRef', EXTERNAL_XREF_MAX_LENGTH, false, errors);
		const companyReference = readReference(input.company);
		if (!companyReference) errors.push(fieldError('ticket', 'company', 'The company field is required.', 'NullValue'));
		const company = companyReference ? this.resolveCompany(companyReference, errors) : undefined;
		const boardReference = readReference(input.board) ?? { id: this.db.boards[0].id };
		const board = this.resolveBoard(boardReference, 'board', errors);
		let status: CwStatus | undefined;
		if (board) {
			const statusReference = readReference(input.status);
			status = statusReference
				? this.resolveStatus(board.id, board.name, statusReference, errors)
				: this.statusesOf(board.id).find((candidate) => candidate.defaultFlag);
		}
		const priorityReference = readReference(input.priority);
		const priority = priorityReference
			? this.resolvePriority(priorityReference, errors)
			: this.db.priorities.find((candidate) => candidate.defaultFlag);
		const ownerReference = readReference(input.owner);
		const owner = ownerReference ? this.resolveOwner(ownerReference, errors) : undefined;
		const contactReference = readReference(input.contact);
		const contact = contactReference ? this.resolveContact(contactReference, errors) : undefined;
		for (const field of ['severity', 'impact']) {
			if (input[field] !== undefined && !LEVELS.includes(input[field] as string)) {
				errors.push(fieldError('ticket', field, `The ${field} field must be one of ${LEVELS.join(', ')}.`, 'InvalidField'));
			}
		}
		if (errors.length || !summary || !company || !board || !status || !priority) throw invalidObject('ticket', errors);

		const now = cwTimestamp();
		const ticket: CwTicket = {
			// Numbered once the whole ticket is valid: a refused create uses no id.
			id: 0,
			summary,
			recordType: 'ServiceTicket',
			board: { id: board.id, name: board.name },
			status: { id: status.id, name: status.name, sort: status.sortOrder },
			company: { id: company.id, identifier: company.identifier, name: company.name },
			priority: { id: priority.id, name: priority.name, sort: priority.sortOrder, level: priority.level },
			severity: (input.severity as string) ?? 'Medium',
			impact: (input.impact as string) ?? 'Medium',
			closedFlag: false,
			customerUpdatedFlag: input.customerUpdatedFlag === true,
			customFields: this.depth.emptyCustomFields(),
			_info: { lastUpdated: now, updatedBy: options.actor.identifier, dateEntered: now, enteredBy: options.actor.identifier },
		};
		const given = new Set<string>();
		for (const [name, value] of Object.entries(input)) {
			const key = name.toLowerCase();
			if (!DEPTH_TICKET_FIELDS.includes(key) || value === undefined) continue;
			given.add(key);
			this.depth.setField(ticket, key, value, errors);
		}
		this.depth.check(ticket, given, false, errors);
		if (errors.length) throw invalidObject('ticket', errors);
		ticket.id = this.db.sequences.ticket++;
		if (externalXRef) ticket.externalXRef = externalXRef;
		if (owner) ticket.owner = this.memberReference(owner);
		if (contact) {
			ticket.contact = { id: contact.id, name: `${contact.firstName} ${contact.lastName}` };
			ticket.contactName = ticket.contact.name;
			ticket.contactEmailAddress = contact.communicationItems.find((item) => item.communicationType === 'Email')?.value;
		}
		if (typeof input.contactName === 'string') ticket.contactName = input.contactName;
		if (typeof input.contactEmailAddress === 'string') ticket.contactEmailAddress = input.contactEmailAddress;
		this.applyStatus(ticket, status, options.actor.identifier);
		this.db.tickets.push(ticket);

		// ConnectWise stores the initial texts as the ticket's first notes.
		const initialNotes: Array<[string, 'detailDescriptionFlag' | 'internalAnalysisFlag' | 'resolutionFlag']> = [
			['initialDescription', 'detailDescriptionFlag'],
			['initialInternalAnalysis', 'internalAnalysisFlag'],
			['initialResolution', 'resolutionFlag'],
		];
		for (const [field, flag] of initialNotes) {
			if (typeof input[field] === 'string' && input[field]) {
				this.storeNote(ticket, { text: input[field] as string, [flag]: true, issueFlag: flag === 'detailDescriptionFlag' }, options.actor);
			}
		}
		if (!options.skipCallback && input.skipCallback !== true) this.ticketEvent('added', ticket, options.actor);
		return ticket;
	}

	patchTicket(id: number, body: unknown, options: ChangeOptions & { model: ModelVersion }): CwTicket {
		const ticket = this.ticketOr404(id);
		if (!Array.isArray(body)) {
			throw new ApiError(400, 'InvalidObject', 'The request body must be a JSON Patch array of {op, path, value} operations', [
				fieldError('ticket', '', 'Expected an array of patch operations.'),
			]);
		}
		const errors: CwFieldError[] = [];
		const draft = structuredClone(ticket);
		let statusReference: ReferenceRequest | undefined;
		let boardReference: ReferenceRequest | undefined;
		let skipCallback = options.skipCallback ?? false;
		const fields = knownFields('ticket', options.model);
		const depthGiven = new Set<string>();

		for (const [index, raw] of body.entries()) {
			const operation = asObject(raw);
			const op = typeof operation?.op === 'string' ? operation.op.toLowerCase() : undefined;
			const path = typeof operation?.path === 'string' ? operation.path.replace(/^\//, '') : undefined;
			if (!operation || !op || !path) {
				errors.push(fieldError('ticket', `[${index}]`, 'Each patch operation needs op and path.'));
				continue;
			}
			if (!['replace', 'add', 'remove'].includes(op)) {
				errors.push(fieldError('ticket', path, `Unsupported patch operation '${operation.op}'.`));
				continue;
			}
			const value = op === 'remove' ? undefined : operation.value;
			const [head, sub] = path.split('/', 2);
			const key = head.toLowerCase();
			const subValue = sub ? { [sub.toLowerCase() === 'id' ? 'id' : sub.toLowerCase() === 'identifier' ? 'identifier' : 'name']: value } : value;
			const knownKey = [...fields].find((field) => field.toLowerCase() === key);
			switch (key) {
				case 'summary':
					draft.summary = this.checkText(value, 'summary', SUMMARY_MAX_LENGTH, true, errors) ?? draft.summary;
					break;
				case 'externalxref': {
					const text = this.checkText(value, 'externalXRef', EXTERNAL_XREF_MAX_LENGTH, false, errors);
					if (text) draft.externalXRef = text;
					else if (value === undefined || value === null || value === '') delete draft.externalXRef;
					break;
				}
				case 'contactname':
				case 'contactemailaddress':
					if (value === undefined || value === null) delete draft[knownKey as 'contactName'];
					else draft[knownKey as 'contactName'] = String(value);
					break;
				case 'severity':
				case 'impact':
					if (!LEVELS.includes(value as string)) {
						errors.push(fieldError('ticket', knownKey ?? key, `The ${key} field must be one of ${LEVELS.join(', ')}.`, 'InvalidField'));
					} else draft[key] = value as string;
					break;
				case 'status':
					statusReference = readReference(subValue);
					if (!statusReference) errors.push(fieldError('ticket', 'status/id', 'The status field is required.', 'NullValue'));
					break;
				case 'board':
					boardReference = readReference(subValue);
					if (!boardReference) errors.push(fieldError('ticket', 'board', 'The board field is required.', 'NullValue'));
					break;
				case 'priority': {
					const reference = readReference(subValue);
					const priority = reference ? this.resolvePriority(reference, errors) : undefined;
					if (!reference) errors.push(fieldError('ticket', 'priority', 'The priority field is required.', 'NullValue'));
					if (priority) draft.priority = { id: priority.id, name: priority.name, sort: priority.sortOrder, level: priority.level };
					break;
				}
				case 'company': {
					const reference = readReference(subValue);
					const company = reference ? this.resolveCompany(reference, errors) : undefined;
					if (!reference) errors.push(fieldError('ticket', 'company', 'The company field is required.', 'NullValue'));
					if (company) draft.company = { id: company.id, identifier: company.identifier, name: company.name };
					break;
				}
				case 'owner': {
					if (value === undefined || value === null) {
						delete draft.owner;
						break;
					}
					const reference = readReference(subValue);
					const owner = reference ? this.resolveOwner(reference, errors) : undefined;
					if (owner) draft.owner = this.memberReference(owner);
					break;
				}
				case 'contact': {
					if (value === undefined || value === null) {
						delete draft.contact;
						break;
					}
					const reference = readReference(subValue);
					const contact = reference ? this.resolveContact(reference, errors) : undefined;
					if (contact) draft.contact = { id: contact.id, name: `${contact.firstName} ${contact.lastName}` };
					break;
				}
				case 'customerupdatedflag':
					if (!knownKey) errors.push(fieldError('ticket', path, `Unknown field '${path}' for API model ${options.model}.`));
					else if (typeof value !== 'boolean') errors.push(fieldError('ticket', path, 'customerUpdatedFlag must be true or false.', 'InvalidField'));
					else draft.customerUpdatedFlag = value;
					break;
				case 'skipcallback':
					skipCallback = value === true;
					break;
				case 'type':
				case 'subtype':
				case 'item':
				case 'team':
				case 'source':
				case 'site':
				case 'requireddate':
				case 'customfields':
					depthGiven.add(key);
					this.depth.setField(draft, key, subValue, errors);
					break;
				default:
					errors.push(fieldError('ticket', path, knownKey ? `The field '${path}' cannot be changed through this sandbox.` : `Unknown field '${path}'.`));
			}
		}

		let board = this.db.boards.find((candidate) => candidate.id === draft.board.id);
		if (boardReference) {
			const resolved = this.resolveBoard(boardReference, 'board', errors);
			if (resolved) {
				board = resolved;
				draft.board = { id: resolved.id, name: resolved.name };
			}
		}
		if (board) {
			let status: CwStatus | undefined;
			if (statusReference) status = this.resolveStatus(board.id, board.name, statusReference, errors);
			else if (board.id !== ticket.board.id) status = this.statusesOf(board.id).find((candidate) => candidate.defaultFlag);
			if (status) this.applyStatus(draft, status, options.actor.identifier);
		}
		this.depth.check(draft, depthGiven, draft.board.id !== ticket.board.id, errors);
		if (errors.length) throw invalidObject('ticket', errors);

		draft._info = { ...draft._info, lastUpdated: cwTimestamp(), updatedBy: options.actor.identifier };
		this.db.tickets[this.db.tickets.indexOf(ticket)] = draft;
		if (statusReference) {
			this.db.statusChanges.push({
				ticketId: draft.id,
				fromStatusId: ticket.status.id,
				toStatusId: draft.status.id,
				closed: draft.closedFlag && !ticket.closedFlag,
				reopened: !draft.closedFlag && ticket.closedFlag,
			});
		}
		if (!skipCallback) this.ticketEvent('updated', draft, options.actor);
		return draft;
	}

	/** A change made "in the PSA UI" by a member: no API permissions involved, callbacks fire. */
	changeTicket(id: number, patch: { statusId?: number; summary?: string; priorityId?: number; boardId?: number }, byMember: string): CwTicket {
		const actor = this.memberByIdentifier(byMember);
		if (!actor) throw new Error(`changeTicket: unknown member '${byMember}'`);
		const operations: unknown[] = [];
		if (patch.boardId !== undefined) operations.push({ op: 'replace', path: 'board', value: { id: patch.boardId } });
		if (patch.statusId !== undefined) operations.push({ op: 'replace', path: 'status', value: { id: patch.statusId } });
		if (patch.summary !== undefined) operations.push({ op: 'replace', path: 'summary', value: patch.summary });
		if (patch.priorityId !== undefined) operations.push({ op: 'replace', path: 'priority', value: { id: patch.priorityId } });
		try {
			return this.patchTicket(id, operations, { actor, model: MODEL_VERSIONS[MODEL_VERSIONS.length - 1] });
		} catch (error) {
			if (error instanceof ApiError) throw new Error(`changeTicket(${id}): ${error.body.message}: ${JSON.stringify(error.body.errors)}`);
			throw error;
		}
	}

	/** Merges a ticket into another "in the PSA UI": the child gets mergedParentTicket and a closed status of its board. */
	mergeTicket(childId: number, parentId: number, byMember: string): CwTicket {
		const actor = this.memberByIdentifier(byMember);
		if (!actor) throw new Error(`mergeTicket: unknown member '${byMember}'`);
		const child = this.ticketOr404(childId);
		const parent = this.ticketOr404(parentId);
		const closed = this.db.statuses.find((status) => status.board.id === child.board.id && status.closedStatus && !status.inactive);
		if (!closed) throw new Error(`mergeTicket: board ${child.board.id} has no closed status`);
		child.mergedParentTicket = { id: parent.id, name: parent.summary };
		this.applyStatus(child, closed, actor.identifier);
		child._info = { ...child._info, lastUpdated: cwTimestamp(), updatedBy: actor.identifier };
		this.ticketEvent('updated', child, actor);
		return child;
	}

	deleteTicket(id: number, actor: CwMember): void {
		const ticket = this.ticketOr404(id);
		this.db.tickets.splice(this.db.tickets.indexOf(ticket), 1);
		this.db.notes = this.db.notes.filter((note) => note.ticketId !== id);
		delete this.db.ticketConfigurations[id];
		this.ticketEvent('deleted', ticket, actor);
	}

	private ticketEvent(action: CallbackAction, ticket: CwTicket, actor: CwMember): void {
		const targets = callbacksForTicket(this.db.callbacks, ticket, actor.id);
		if (!targets.length) return;
		const entity = JSON.stringify(shapeRecord('ticket', ticket, MODEL_VERSIONS[MODEL_VERSIONS.length - 1]));
		const origin = this.settings.origin();
		this.dispatcher.dispatch(
			targets,
			(callback): CallbackPayload => ({
				MessageId: randomUUID(),
				FromUrl: origin,
				CompanyId: this.settings.companyId,
				MemberId: actor.identifier,
				Action: action,
				Type: 'ticket',
				ID: ticket.id,
				CallbackObjectRecId: callback.objectId,
				Entity: entity,
				Metadata: { key_url: `${origin}/callback-keys/${this.dispatcher.keyId}` },
			}),
		);
	}

	// ---- notes ----

	private storeNote(ticket: CwTicket, input: Partial<CwNote>, author: CwMember): CwNote {
		const note: CwNote = {
			id: this.db.sequences.note++,
			ticketId: ticket.id,
			text: input.text ?? '',
			detailDescriptionFlag: input.detailDescriptionFlag === true,
			internalAnalysisFlag: input.internalAnalysisFlag === true,
			resolutionFlag: input.resolutionFlag === true,
			issueFlag: input.issueFlag === true,
			member: this.memberReference(author),
			customerUpdatedFlag: false,
			processNotifications: input.processNotifications === true,
			dateCreated: cwTimestamp(),
			createdBy: author.identifier,
			internalFlag: input.internalFlag ?? input.internalAnalysisFlag === true,
			externalFlag: input.externalFlag ?? (input.detailDescriptionFlag === true || input.resolutionFlag === true),
			sentimentScore: null,
			_info: { lastUpdated: cwTimestamp(), updatedBy: author.identifier },
		};
		if (input.contact) note.contact = input.contact;
		this.db.notes.push(note);
		return note;
	}

	addNote(ticketId: number, body: unknown, actor: CwMember): CwNote {
		const ticket = this.ticketOr404(ticketId);
		const input = asObject(body);
		if (!input) throw new ApiError(400, 'InvalidObject', 'serviceNote object is invalid: the body must be a JSON object');
		const errors: CwFieldError[] = [];
		if (typeof input.text !== 'string' || !input.text.trim()) {
			errors.push(fieldError('serviceNote', 'text', 'The text field is required.', 'NullValue'));
		}
		const flags = ['detailDescriptionFlag', 'internalAnalysisFlag', 'resolutionFlag', 'internalFlag', 'externalFlag', 'processNotifications'];
		for (const flag of flags) {
			if (input[flag] !== undefined && input[flag] !== null && typeof input[flag] !== 'boolean') {
				errors.push(fieldError('serviceNote', flag, `${flag} must be true or false.`, 'InvalidField'));
			}
		}
		if (input.detailDescriptionFlag !== true && input.internalAnalysisFlag !== true && input.resolutionFlag !== true) {
			errors.push(
				fieldError(
					'serviceNote',
					'detailDescriptionFlag',
					'At least one of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag must be true.',
				),
			);
		}
		let author = actor;
		if (input.member !== undefined && input.member !== null) {
			const reference = readReference(input.member);
			const member = reference ? this.findMember(reference) : undefined;
			if (!member) errors.push(fieldError('serviceNote', 'member', `Member ${reference ? describeReference(reference) : ''} was not found.`));
			else if (member.inactiveFlag) errors.push(fieldError('serviceNote', 'member', `Member '${member.identifier}' is inactive.`));
			else author = member;
		}
		let contact: Reference | undefined;
		if (input.contact !== undefined && input.contact !== null) {
			const reference = readReference(input.contact);
			const found = this.db.contacts.find((candidate) => candidate.id === reference?.id);
			if (!found) errors.push(fieldError('serviceNote', 'contact', 'Contact was not found.'));
			else contact = { id: found.id, name: `${found.firstName} ${found.lastName}` };
		}
		if (errors.length) throw invalidObject('serviceNote', errors);
		const note = this.storeNote(
			ticket,
			{
				text: input.text as string,
				detailDescriptionFlag: input.detailDescriptionFlag === true,
				internalAnalysisFlag: input.internalAnalysisFlag === true,
				resolutionFlag: input.resolutionFlag === true,
				internalFlag: typeof input.internalFlag === 'boolean' ? input.internalFlag : undefined,
				externalFlag: typeof input.externalFlag === 'boolean' ? input.externalFlag : undefined,
				processNotifications: input.processNotifications === true,
				contact,
			},
			author,
		);
		// A note saves the ticket, which ConnectWise reports as an update.
		const index = this.db.tickets.indexOf(ticket);
		this.db.tickets[index] = { ...ticket, _info: { ...ticket._info, lastUpdated: note.dateCreated, updatedBy: actor.identifier } };
		this.ticketEvent('updated', this.db.tickets[index], actor);
		return note;
	}

	// ---- callbacks ----

	registerCallback(body: unknown, actor: CwMember): CwCallback {
		const input = asObject(body);
		if (!input) throw new ApiError(400, 'InvalidObject', 'callbackEntry object is invalid: the body must be a JSON object');
		const errors: CwFieldError[] = [];
		let url: URL | undefined;
		if (typeof input.url !== 'string' || !input.url) errors.push(fieldError('callbackEntry', 'url', 'The url field is required.', 'NullValue'));
		else {
			try {
				url = new URL(input.url);
				if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
			} catch {
				errors.push(fieldError('callbackEntry', 'url', `The url '${input.url}' is not an http(s) URL.`, 'InvalidField'));
			}
		}
		if (typeof input.type !== 'string' || !input.type) errors.push(fieldError('callbackEntry', 'type', 'The type field is required.', 'NullValue'));
		const levels = ['owner', 'board', 'status', 'company'];
		if (typeof input.level !== 'string' || !levels.includes(input.level.toLowerCase())) {
			errors.push(fieldError('callbackEntry', 'level', `The level field must be one of ${levels.join(', ')}.`, input.level ? 'InvalidField' : 'NullValue'));
		}
		if (typeof input.objectId !== 'number' || !Number.isInteger(input.objectId)) {
			errors.push(fieldError('callbackEntry', 'objectId', 'The objectId field is required and must be an integer.', 'NullValue'));
		}
		if (errors.length) throw invalidObject('callbackEntry', errors);
		const duplicate = this.db.callbacks.find(
			(callback) =>
				callback.url === input.url &&
				sameText(callback.type, input.type) &&
				sameText(callback.level, input.level) &&
				callback.objectId === input.objectId,
		);
		if (duplicate) {
			throw invalidObject('callbackEntry', [
				fieldError('callbackEntry', 'url', `A callback for this url, type, level and object already exists (id ${duplicate.id}).`),
			]);
		}
		const callback: CwCallback = {
			id: this.db.sequences.callback++,
			description: typeof input.description === 'string' ? input.description : '',
			url: input.url as string,
			objectId: input.objectId as number,
			type: input.type as string,
			level: input.level as string,
			memberId: actor.id,
			payloadVersion: typeof input.payloadVersion === 'string' ? input.payloadVersion : this.settings.currentVersion,
			inactiveFlag: input.inactiveFlag === true,
			isSoapCallbackFlag: false,
			isSelfSuppressedFlag: input.isSelfSuppressedFlag === true,
			_info: { lastUpdated: cwTimestamp(), updatedBy: actor.identifier },
		};
		this.db.callbacks.push(callback);
		return callback;
	}

	// ---- routes ----

	private buildRoutes(): Route[] {
		const db = this.db;
		const byId = <T extends { id: number }>(records: T[], id: number, label: string): T => {
			const record = records.find((candidate) => candidate.id === id);
			if (!record) throw notFound(`${label} recId ${id} not found`);
			return record;
		};
		const boardOr404 = (context: RequestContext) => byId(db.boards, idParam(context, 'parentId', 'board'), 'Board');
		const read = (template: string, handle: Route['handle']): Route => ({ method: 'GET', template, writes: false, handle });
		return [
			read('/system/info', () => ({
				status: 200,
				body: {
					version: `v${this.settings.currentVersion}.10`,
					isCloud: false,
					serverTimeZone: 'Eastern Standard Time',
					licenseBits: [
						{ name: 'Service', activeFlag: true },
						{ name: 'Callbacks', activeFlag: true },
					],
					cloudRegion: 'NA',
					maxWorkFlowRecordsAllowed: 1000,
				},
			})),
			read('/system/members', (context) => this.list('member', db.members, context)),
			read('/system/members/{id}', (context) => this.one('member', byId(db.members, idParam(context, 'id', 'member'), 'Member'), context)),
			{ method: 'GET', template: '/system/callbacks', writes: false, adminOnly: true, handle: (context) => this.list('callback', db.callbacks, context) },
			{
				method: 'GET',
				template: '/system/callbacks/{id}',
				writes: false,
				adminOnly: true,
				handle: (context) => this.one('callback', byId(db.callbacks, idParam(context, 'id', 'callback'), 'Callback'), context),
			},
			{
				method: 'POST',
				template: '/system/callbacks',
				writes: true,
				adminOnly: true,
				handle: (context) => this.one('callback', this.registerCallback(context.body, context.actor), context, 201),
			},
			{
				method: 'DELETE',
				template: '/system/callbacks/{id}',
				writes: true,
				adminOnly: true,
				handle: (context) => {
					const callback = byId(db.callbacks, idParam(context, 'id', 'callback'), 'Callback');
					db.callbacks.splice(db.callbacks.indexOf(callback), 1);
					return { status: 204 };
				},
			},
			read('/service/tickets', (context) => this.list('ticket', db.tickets, context)),
			read('/service/tickets/{id}', (context) => this.one('ticket', this.ticketOr404(idParam(context, 'id', 'ticket')), context)),
			{
				method: 'POST',
				template: '/service/tickets',
				writes: true,
				handle: (context) => this.one('ticket', this.createTicket(context.body, { actor: context.actor }), context, 201),
			},
			{
				method: 'PATCH',
				template: '/service/tickets/{id}',
				writes: true,
				handle: (context) =>
					this.one('ticket', this.patchTicket(idParam(context, 'id', 'ticket'), context.body, { actor: context.actor, model: context.model }), context),
			},
			{
				method: 'DELETE',
				template: '/service/tickets/{id}',
				writes: true,
				handle: (context) => {
					this.deleteTicket(idParam(context, 'id', 'ticket'), context.actor);
					return { status: 204 };
				},
			},
			read('/service/tickets/{parentId}/notes', (context) => {
				const ticket = this.ticketOr404(idParam(context, 'parentId', 'ticket'));
				return this.list('note', db.notes.filter((note) => note.ticketId === ticket.id), context);
			}),
			read('/service/tickets/{parentId}/notes/{id}', (context) => {
				const ticket = this.ticketOr404(idParam(context, 'parentId', 'ticket'));
				const id = idParam(context, 'id', 'note');
				const note = db.notes.find((candidate) => candidate.ticketId === ticket.id && candidate.id === id);
				if (!note) throw notFound(`ServiceNote recId ${id} not found on ticket ${ticket.id}`);
				return this.one('note', note, context);
			}),
			{
				method: 'POST',
				template: '/service/tickets/{parentId}/notes',
				writes: true,
				handle: (context) => this.one('note', this.addNote(idParam(context, 'parentId', 'ticket'), context.body, context.actor), context, 201),
			},
			read('/service/boards', (context) => this.list('board', db.boards, context)),
			read('/service/boards/{id}', (context) => this.one('board', byId(db.boards, idParam(context, 'id', 'board'), 'Board'), context)),
			read('/service/boards/{parentId}/statuses', (context) => this.list('status', this.statusesOf(boardOr404(context).id), context)),
			read('/service/boards/{parentId}/statuses/{id}', (context) => {
				const board = boardOr404(context);
				return this.one('status', byId(this.statusesOf(board.id), idParam(context, 'id', 'status'), 'BoardStatus'), context);
			}),
			read('/service/priorities', (context) => this.list('priority', db.priorities, context)),
			read('/service/priorities/{id}', (context) => this.one('priority', byId(db.priorities, idParam(context, 'id', 'priority'), 'Priority'), context)),
			read('/company/companies', (context) => this.list('company', db.companies, context)),
			read('/company/companies/{id}', (context) => this.one('company', byId(db.companies, idParam(context, 'id', 'company'), 'Company'), context)),
			read('/company/contacts', (context) => this.list('contact', db.contacts, context)),
			read('/company/contacts/{id}', (context) => this.one('contact', byId(db.contacts, idParam(context, 'id', 'contact'), 'Contact'), context)),
		];
	}
}
