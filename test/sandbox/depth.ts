// The sandbox's ticket-depth rules and endpoints: classification checked against the board's valid combinations, team, source, site, due date and custom fields on tickets, and the lookups and ticket configurations behind them.
import type { CwTicket, Reference, SandboxDb } from './data';
import { cwTimestamp } from './data';
import { type CwCustomFieldValue, type CwUserDefinedField, TICKET_SCREEN } from './depth-data';
import type { CwFieldError } from './errors';
import { ApiError, fieldError, invalidObject, notFound } from './errors';
import type { HandlerResult, RequestContext, Route } from './resources';
import type { ResourceKind } from './models';
import { type ReferenceRequest, asObject, describeReference, readReference, sameText } from './references';

/** What the depth endpoints need from the ticket API: shaping lists and records, and the ticket lookup. */
export interface DepthHost {
	db: SandboxDb;
	list(kind: ResourceKind, records: object[], context: RequestContext): HandlerResult;
	one(kind: ResourceKind, record: object, context: RequestContext, status?: number): HandlerResult;
	ticketOr404(id: number): CwTicket;
}

/** The ticket fields this module owns, as a create body or a patch names them (lower-cased). */
export const DEPTH_TICKET_FIELDS = ['type', 'subtype', 'item', 'team', 'source', 'site', 'requireddate', 'customfields'];

const NUMBER_FIELD_TYPES = ['Number', 'Percent', 'Currency'];
const PICKLIST_ENTRY = ['List', 'Option'];

function pick<T extends { id: number; name: string }>(records: T[], reference: ReferenceRequest): T | undefined {
	return records.find((record) => (reference.id !== undefined ? record.id === reference.id : sameText(record.name, reference.name)));
}


export class SandboxDepth {
	constructor(private readonly host: DepthHost) {}

	private get db(): SandboxDb {
		return this.host.db;
	}

	/** Every ticket custom field, empty: what a new ticket carries before its values are set. */
	emptyCustomFields(): CwCustomFieldValue[] {
		return this.ticketFields().map((field) => ({
			id: field.id,
			caption: field.caption,
			type: field.fieldTypeIdentifier,
			entryMethod: field.entryTypeIdentifier,
			numberOfDecimals: field.numberDecimals,
		}));
	}

	/**
	 * Applies one depth field of a create body or a patch (`value` undefined or null clears it) to the draft; the
	 * references are resolved later by `check`, once the board and company are final.
	 */
	setField(draft: CwTicket, key: string, value: unknown, errors: CwFieldError[]): void {
		switch (key) {
			case 'requireddate': {
				if (value === undefined || value === null || value === '') {
					delete draft.requiredDate;
					return;
				}
				const time = typeof value === 'string' ? Date.parse(value) : NaN;
				if (Number.isNaN(time)) errors.push(fieldError('ticket', 'requiredDate', 'The requiredDate field must be a date and time.', 'InvalidField'));
				else draft.requiredDate = cwTimestamp(new Date(time));
				return;
			}
			case 'customfields':
				this.setCustomFields(draft, value, errors);
				return;
			default: {
				const field = key === 'subtype' ? 'subType' : (key as 'type' | 'item' | 'team' | 'source' | 'site');
				if (value === undefined || value === null) {
					delete draft[field];
					return;
				}
				const reference = readReference(value);
				if (!reference) errors.push(fieldError('ticket', field, `The ${field} field must be a reference ({"id": ...}).`, 'InvalidField'));
				// A reference by name is resolved to the record (and its id) by `check`.
				else draft[field] = reference.id !== undefined ? { id: reference.id } : ({ name: reference.name ?? reference.identifier } as Reference);
			}
		}
	}

	/**
	 * Resolves the draft's depth references on its final board and company, the way ConnectWise refuses a bad one: a
	 * classification must be one of the board's type / subtype / item combinations, a team of the board, a site of the
	 * company. `boardChanged`: references that belonged to the old board and were not given again are dropped.
	 */
	check(draft: CwTicket, given: Set<string>, boardChanged: boolean, errors: CwFieldError[]): void {
		const board = draft.board.id;
		if (boardChanged) {
			for (const [key, field] of [['type', 'type'], ['subtype', 'subType'], ['item', 'item'], ['team', 'team']] as const) {
				if (!given.has(key)) delete draft[field];
			}
		}
		this.resolveClassification(draft, board, errors);
		if (draft.team) {
			const team = pick(this.db.boardTeams.filter((candidate) => candidate.boardId === board), draft.team);
			if (!team) errors.push(fieldError('ticket', 'team', `The team ${describeReference(draft.team)} is not a team of board '${draft.board.name}'.`));
			else draft.team = { id: team.id, name: team.name };
		}
		if (draft.source) {
			const source = pick(this.db.sources, draft.source);
			if (!source) errors.push(fieldError('ticket', 'source', `The source ${describeReference(draft.source)} was not found.`));
			else draft.source = { id: source.id, name: source.name };
		}
		if (draft.site) {
			const site = pick(this.db.companySites.filter((candidate) => candidate.company.id === draft.company.id), draft.site);
			if (!site) errors.push(fieldError('ticket', 'site', `The site ${describeReference(draft.site)} is not a site of company '${draft.company.name}'.`));
			else if (site.inactiveFlag) errors.push(fieldError('ticket', 'site', `The site '${site.name}' is inactive.`));
			else draft.site = { id: site.id, name: site.name };
		}
	}

	private resolveClassification(draft: CwTicket, board: number, errors: CwFieldError[]): void {
		const boardName = draft.board.name;
		const resolve = <T extends { id: number; name: string; inactiveFlag: boolean }>(records: T[], reference: Reference | undefined, field: string, what: string): T | undefined => {
			if (!reference) return undefined;
			const record = pick(records, reference);
			if (!record) errors.push(fieldError('ticket', field, `The ${what} ${describeReference(reference)} is not a ${what} of board '${boardName}'.`));
			else if (record.inactiveFlag) errors.push(fieldError('ticket', field, `The ${what} '${record.name}' is inactive on board '${boardName}'.`));
			return record && !record.inactiveFlag ? record : undefined;
		};
		const onBoard = <T extends { board: Reference }>(records: T[]) => records.filter((record) => record.board.id === board);
		const type = resolve(onBoard(this.db.boardTypes), draft.type, 'type', 'type');
		const subType = resolve(onBoard(this.db.boardSubTypes), draft.subType, 'subType', 'subtype');
		const item = resolve(onBoard(this.db.boardItems), draft.item, 'item', 'item');
		if ((draft.subType || draft.item) && !draft.type) {
			errors.push(fieldError('ticket', 'type', 'A subtype or an item needs a type.'));
			return;
		}
		if (!type || (draft.subType && !subType) || (draft.item && !item)) return;
		const combinations = onBoard(this.db.typeSubTypeItemAssociations).filter((association) => association.type.id === type.id);
		if (subType && !combinations.some((association) => association.subType?.id === subType.id)) {
			errors.push(fieldError('ticket', 'subType', `The subtype '${subType.name}' is not valid with type '${type.name}' on board '${boardName}'.`));
			return;
		}
		if (item && !combinations.some((association) => association.subType?.id === subType?.id && association.item?.id === item.id)) {
			const pair = subType ? `type '${type.name}' and subtype '${subType.name}'` : `type '${type.name}'`;
			errors.push(fieldError('ticket', 'item', `The item '${item.name}' is not valid with ${pair} on board '${boardName}'.`));
			return;
		}
		draft.type = { id: type.id, name: type.name };
		if (subType) draft.subType = { id: subType.id, name: subType.name };
		if (item) draft.item = { id: item.id, name: item.name };
	}

	/** A `customFields` array: each entry names a ticket custom field by id (or caption) and holds a value its type accepts; entries not named keep their values. */
	private setCustomFields(draft: CwTicket, value: unknown, errors: CwFieldError[]): void {
		if (!Array.isArray(value)) {
			errors.push(fieldError('ticket', 'customFields', 'The customFields field must be an array of {id, value}.', 'InvalidField'));
			return;
		}
		const fields = this.ticketFields();
		const current = draft.customFields.length ? draft.customFields : this.emptyCustomFields();
		const next = current.map((entry) => ({ ...entry }));
		for (const raw of value) {
			const entry = asObject(raw) ?? {};
			const field = fields.find((candidate) => (typeof entry.id === 'number' ? candidate.id === entry.id : typeof entry.caption === 'string' && sameText(candidate.caption, entry.caption)));
			if (!field) {
				errors.push(fieldError('ticket', 'customFields', `Custom field ${typeof entry.id === 'number' ? `id ${entry.id}` : `'${String(entry.caption)}'`} is not a service ticket custom field.`));
				continue;
			}
			const checked = this.customFieldValue(field, entry.value, errors);
			if (checked === false) continue;
			let target = next.find((candidate) => candidate.id === field.id);
			if (!target) {
				target = { id: field.id, caption: field.caption, type: field.fieldTypeIdentifier, entryMethod: field.entryTypeIdentifier, numberOfDecimals: field.numberDecimals };
				next.push(target);
			}
			if (checked.value === undefined) delete target.value;
			else target.value = checked.value;
		}
		draft.customFields = next;
	}

	/** The value as stored, `{}` for empty, or false when the value does not fit the field (an error is recorded). */
	private customFieldValue(field: CwUserDefinedField, value: unknown, errors: CwFieldError[]): { value?: string | number | boolean } | false {
		if (value === undefined || value === null || value === '') return {};
		const refuse = (accepts: string) => {
			errors.push(fieldError('ticket', 'customFields', `Custom field '${field.caption}' accepts ${accepts}.`, 'InvalidField'));
			return false as const;
		};
		if (PICKLIST_ENTRY.includes(field.entryTypeIdentifier)) {
			const options = (field.options ?? []).filter((option) => !option.inactiveFlag).map((option) => option.optionValue);
			return typeof value === 'string' && options.includes(value) ? { value } : refuse(`one of ${options.join(', ')}`);
		}
		if (field.fieldTypeIdentifier === 'Checkbox') return typeof value === 'boolean' ? { value } : refuse('true or false');
		if (NUMBER_FIELD_TYPES.includes(field.fieldTypeIdentifier)) return typeof value === 'number' && Number.isFinite(value) ? { value } : refuse('a number');
		if (field.fieldTypeIdentifier === 'Date' || field.entryTypeIdentifier === 'Date') {
			const time = typeof value === 'string' ? Date.parse(value) : NaN;
			return Number.isNaN(time) ? refuse('a date') : { value: `${new Date(time).toISOString().slice(0, 10)}T00:00:00Z` };
		}
		return typeof value === 'string' && value.length <= 1000 ? { value } : refuse('text of at most 1000 characters');
	}

	private ticketFields(): CwUserDefinedField[] {
		return this.db.userDefinedFields.filter((field) => field.screenId === TICKET_SCREEN);
	}

	// ---- ticket configurations ----

	attachedTo(ticketId: number): number[] {
		return this.db.ticketConfigurations[ticketId] ?? [];
	}

	private configurationReference(id: number): Record<string, unknown> {
		const configuration = this.db.configurations.find((candidate) => candidate.id === id);
		const reference: Record<string, unknown> = { id, _info: { configuration_href: `/company/configurations/${id}` } };
		if (configuration?.deviceIdentifier) reference.deviceIdentifier = configuration.deviceIdentifier;
		return reference;
	}

	private attach(ticket: CwTicket, body: unknown): Record<string, unknown> {
		const input = asObject(body);
		if (!input) throw new ApiError(400, 'InvalidObject', 'configurationReference object is invalid: the body must be a JSON object');
		if (typeof input.id !== 'number') throw invalidObject('configurationReference', [fieldError('configurationReference', 'id', 'The id field is required.', 'NullValue')]);
		const configuration = this.db.configurations.find((candidate) => candidate.id === input.id);
		if (!configuration) throw invalidObject('configurationReference', [fieldError('configurationReference', 'id', `Configuration recId ${input.id} was not found.`)]);
		const attached = this.attachedTo(ticket.id);
		if (attached.includes(configuration.id)) {
			throw invalidObject('configurationReference', [fieldError('configurationReference', 'id', `Configuration ${configuration.id} is already attached to ticket ${ticket.id}.`)]);
		}
		this.db.ticketConfigurations[ticket.id] = [...attached, configuration.id];
		return this.configurationReference(configuration.id);
	}

	private detach(ticket: CwTicket, id: number): void {
		const attached = this.attachedTo(ticket.id);
		if (!attached.includes(id)) throw notFound(`Configuration recId ${id} is not attached to ticket ${ticket.id}`);
		this.db.ticketConfigurations[ticket.id] = attached.filter((candidate) => candidate !== id);
	}

	// ---- routes ----

	routes(): Route[] {
		const { db, host } = { db: this.db, host: this.host };
		const id = (context: RequestContext, name: string): number => {
			const raw = context.params[name];
			if (!/^\d+$/.test(raw)) throw new ApiError(400, 'InvalidObject', `${name} '${raw}' is not a number`);
			return Number(raw);
		};
		const byId = <T extends { id: number }>(records: T[], recordId: number, label: string): T => {
			const record = records.find((candidate) => candidate.id === recordId);
			if (!record) throw notFound(`${label} recId ${recordId} not found`);
			return record;
		};
		const boardOf = (context: RequestContext) => byId(db.boards, id(context, 'parentId'), 'Board');
		const read = (template: string, handle: Route['handle']): Route => ({ method: 'GET', template, writes: false, handle });
		const boardCollection = <T extends { id: number }>(name: string, kind: ResourceKind, records: () => T[], owner: (record: T) => number, label: string): Route[] => [
			read(`/service/boards/{parentId}/${name}`, (context) => {
				const board = boardOf(context);
				return host.list(kind, records().filter((record) => owner(record) === board.id), context);
			}),
			read(`/service/boards/{parentId}/${name}/{id}`, (context) => {
				const board = boardOf(context);
				return host.one(kind, byId(records().filter((record) => owner(record) === board.id), id(context, 'id'), label), context);
			}),
		];
		const ticketOf = (context: RequestContext) => host.ticketOr404(id(context, 'parentId'));
		return [
			...boardCollection('types', 'boardType', () => db.boardTypes, (record) => record.board.id, 'BoardType'),
			...boardCollection('subtypes', 'boardSubType', () => db.boardSubTypes, (record) => record.board.id, 'BoardSubType'),
			...boardCollection('items', 'boardItem', () => db.boardItems, (record) => record.board.id, 'BoardItem'),
			...boardCollection('typeSubTypeItemAssociations', 'association', () => db.typeSubTypeItemAssociations, (record) => record.board.id, 'BoardTypeSubTypeItemAssociation'),
			...boardCollection('teams', 'team', () => db.boardTeams, (record) => record.boardId, 'BoardTeam'),
			read('/service/sources', (context) => host.list('source', db.sources, context)),
			read('/service/sources/{id}', (context) => host.one('source', byId(db.sources, id(context, 'id'), 'Source'), context)),
			read('/company/companies/{parentId}/sites', (context) => {
				const company = byId(db.companies, id(context, 'parentId'), 'Company');
				return host.list('site', db.companySites.filter((site) => site.company.id === company.id), context);
			}),
			read('/company/companies/{parentId}/sites/{id}', (context) => {
				const company = byId(db.companies, id(context, 'parentId'), 'Company');
				return host.one('site', byId(db.companySites.filter((site) => site.company.id === company.id), id(context, 'id'), 'CompanySite'), context);
			}),
			read('/company/configurations', (context) => host.list('configuration', db.configurations, context)),
			read('/company/configurations/{id}', (context) => host.one('configuration', byId(db.configurations, id(context, 'id'), 'Configuration'), context)),
			read('/system/userDefinedFields', (context) => host.list('userDefinedField', db.userDefinedFields, context)),
			read('/system/userDefinedFields/{id}', (context) => host.one('userDefinedField', byId(db.userDefinedFields, id(context, 'id'), 'UserDefinedField'), context)),
			read('/service/tickets/{parentId}/configurations', (context) => {
				const ticket = ticketOf(context);
				return host.list('configurationReference', this.attachedTo(ticket.id).map((configurationId) => this.configurationReference(configurationId)), context);
			}),
			read('/service/tickets/{parentId}/configurations/{id}', (context) => {
				const ticket = ticketOf(context);
				const configurationId = id(context, 'id');
				if (!this.attachedTo(ticket.id).includes(configurationId)) throw notFound(`Configuration recId ${configurationId} is not attached to ticket ${ticket.id}`);
				return host.one('configurationReference', this.configurationReference(configurationId), context);
			}),
			{
				method: 'POST',
				template: '/service/tickets/{parentId}/configurations',
				writes: true,
				handle: (context) => host.one('configurationReference', this.attach(ticketOf(context), context.body), context, 201),
			},
			{
				method: 'DELETE',
				template: '/service/tickets/{parentId}/configurations/{id}',
				writes: true,
				handle: (context) => {
					this.detach(ticketOf(context), id(context, 'id'));
					return { status: 204 };
				},
			},
		];
	}
}
