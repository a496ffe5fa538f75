// The Autotask sandbox's REST routes under /ATServicesRest/V1.0: envelopes (§2), queries and paging (§3, §4), entity CRUD.
import type { AutotaskDb, Row } from './data';
import { entityInfo } from './metadata';
import { apiError, AutotaskError, filterKeyOf, parseQuery, type QueryOptions } from './query';
import { attachConfigurationItem, detachConfigurationItem } from './ticket-depth';
import { normalizeBody, type Actor, type TicketStore } from './tickets';
import { createAttachment, createTimeEntry } from './work';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteContext {
	params: Record<string, string>;
	query: Record<string, string>;
	body: unknown;
	rawBody: string;
	method: HttpMethod;
	actor: Actor;
}

export interface RouteResult {
	status: number;
	body: unknown;
}

export interface Route {
	method: HttpMethod;
	/** Relative to /V1.0, matched case-insensitively; `{name}` takes a numeric segment. */
	template: string;
	/** The thread-limit bucket: the entity endpoint this route belongs to. */
	entity: string;
	/** 'query': impersonation refused; 'write': needs create/update/delete rights. */
	kind: 'read' | 'query' | 'write';
	handle(context: RouteContext): RouteResult;
}

export interface RouteOptions extends QueryOptions {
	apiBaseUrl: () => string;
	missingItemAnswer: '404' | 'null-item';
}

interface PagingToken {
	/** Last id of the previous page (null = from the start). */
	a: number | null;
	/** Page size. */
	n: number;
	/** Canonical filter the token belongs to. */
	h: string;
	/** Verb that started the query: a POST query's next page must be POSTed. */
	m: 'GET' | 'POST';
	/** Starts of the earlier pages, for prevPageUrl. */
	s: Array<number | null>;
	i?: string[];
}

const encodeToken = (token: PagingToken) => Buffer.from(JSON.stringify(token)).toString('base64url');

function decodeToken(text: string | undefined): PagingToken {
	try {
		const token = JSON.parse(Buffer.from(text ?? '', 'base64url').toString('utf8')) as PagingToken;
		if (typeof token.n !== 'number' || typeof token.h !== 'string') throw new Error('shape');
		return token;
	} catch {
		throw apiError('The paging token is invalid or has expired.');
	}
}

const methodNotAllowed = (method: string) => new AutotaskError(405, { Message: `The requested resource does not support http method '${method}'.` });

/** Entity name in entityInformation (singular), per endpoint. */
const SINGULAR: Record<string, string> = {
	Tickets: 'Ticket',
	TicketNotes: 'TicketNote',
	Resources: 'Resource',
	Companies: 'Company',
	Contacts: 'Contact',
	TicketWebhooks: 'TicketWebhook',
	TicketWebhookFields: 'TicketWebhookField',
	ConfigurationItems: 'ConfigurationItem',
	ConfigurationItemTypes: 'ConfigurationItemType',
	CompanyLocations: 'CompanyLocation',
	TicketAdditionalConfigurationItems: 'TicketAdditionalConfigurationItem',
	TimeEntries: 'TimeEntry',
	Roles: 'Role',
	BillingCodes: 'BillingCode',
};

export function buildRoutes(db: AutotaskDb, store: TicketStore, options: RouteOptions): Route[] {
	const tables: Record<string, () => Row[]> = {
		Tickets: () => db.tickets,
		TicketNotes: () => db.notes,
		Resources: () => db.resources,
		Companies: () => db.companies,
		Contacts: () => db.contacts,
		TicketWebhooks: () => db.webhooks,
		ConfigurationItems: () => db.configurationItems,
		ConfigurationItemTypes: () => db.configurationItemTypes,
		CompanyLocations: () => db.companyLocations,
		TicketAdditionalConfigurationItems: () => db.ticketAdditionalConfigurationItems,
		TimeEntries: () => db.timeEntries,
		Roles: () => db.roles,
		BillingCodes: () => db.billingCodes,
	};
	const routes: Route[] = [];
	const add = (method: HttpMethod, template: string, entity: string, kind: Route['kind'], handle: Route['handle']) =>
		routes.push({ method, template, entity, kind, handle });
	const ok = (body: unknown): RouteResult => ({ status: 200, body });
	const byId = (rows: Row[], id: string) => rows.find((row) => row.id === Number(id));
	const item = (row: Row | undefined) => {
		if (row) return ok({ item: structuredClone(row) });
		if (options.missingItemAnswer === 'null-item') return ok({ item: null });
		throw apiError('No matching records found.', 404);
	};
	const list = (rows: Row[]) => ok({ items: structuredClone(rows), pageDetails: { count: rows.length, requestCount: 500, prevPageUrl: null, nextPageUrl: null } });

	const searchBody = (context: RouteContext): unknown => {
		if (context.method === 'POST') {
			if (!context.rawBody.trim()) throw apiError('The query body is empty; POST the query JSON.');
			if (typeof context.body === 'string') throw apiError('The query body is not valid JSON.');
			return context.body;
		}
		const search = context.query.search;
		if (!search) throw apiError('The search parameter is required.');
		try {
			return JSON.parse(search);
		} catch {
			throw apiError('The search parameter is not valid JSON.');
		}
	};

	const page = (entity: string, context: RouteContext, token: PagingToken | undefined): RouteResult => {
		const body = searchBody(context);
		const parsed = parseQuery(body, entity, store.fields(entity), options);
		if (token && token.h !== parsed.filterKey) throw apiError('The query does not match the paging token; POST the original query body to nextPageUrl.');
		const size = token?.n ?? parsed.maxRecords ?? 500;
		const after = token ? token.a : null;
		const started: PagingToken = token ?? { a: null, n: size, h: parsed.filterKey, m: context.method === 'GET' ? 'GET' : 'POST', s: [], i: parsed.includeFields };
		const matching = tables[entity]()
			.filter((row) => parsed.matches(row))
			.sort((left, right) => left.id - right.id)
			.filter((row) => after === null || row.id > after);
		const rows = matching.slice(0, size);
		const link = (next: PagingToken) => {
			const search = started.m === 'GET' ? `&search=${encodeURIComponent(context.query.search ?? JSON.stringify(body))}` : '';
			return `${options.apiBaseUrl()}/${entity}/query/next?paging=${encodeToken(next)}${search}`;
		};
		const nextPageUrl = matching.length > size ? link({ ...started, a: rows[rows.length - 1].id, s: [...started.s, after] }) : null;
		const prevPageUrl = started.s.length > 0 ? link({ ...started, a: started.s[started.s.length - 1], s: started.s.slice(0, -1) }) : null;
		const include = token?.i ?? parsed.includeFields;
		const items = rows.map((row) => (include ? Object.fromEntries(include.map((name) => [name, row[name] ?? null])) : structuredClone(row)));
		return ok({ items, pageDetails: { count: items.length, requestCount: size, prevPageUrl, nextPageUrl } });
	};

	const count = (entity: string, context: RouteContext): RouteResult => {
		const parsed = parseQuery(searchBody(context), entity, store.fields(entity), options);
		return ok({ queryCount: tables[entity]().filter((row) => parsed.matches(row)).length });
	};

	for (const entity of Object.keys(tables)) {
		for (const method of ['GET', 'POST'] as const) {
			add(method, `/${entity}/query`, entity, 'query', (context) => page(entity, context, undefined));
			// The webhook endpoints have no query/count in the contract (§9, CompanyWebhooks template).
			if (entity !== 'TicketWebhooks') add(method, `/${entity}/query/count`, entity, 'query', (context) => count(entity, context));
			add(method, `/${entity}/query/next`, entity, 'query', (context) => {
				const token = decodeToken(context.query.paging);
				if (token.m === 'POST' && context.method === 'GET') throw methodNotAllowed('GET');
				return page(entity, context, token);
			});
		}
	}
	for (const entity of [...Object.keys(tables), 'TicketWebhookFields']) {
		const singular = SINGULAR[entity];
		const writable = ['Tickets', 'TicketNotes', 'TicketWebhooks', 'Companies', 'TicketAdditionalConfigurationItems', 'TimeEntries'].includes(entity);
		const deletable = entity === 'TicketWebhooks' || entity === 'TicketAdditionalConfigurationItems';
		const webhooks = ['Tickets', 'TicketNotes', 'Companies', 'Contacts', 'ConfigurationItems'].includes(entity);
		add('GET', `/${entity}/entityInformation`, entity, 'read', () => ok({ info: entityInfo(singular, { create: writable, update: writable, delete: deletable, webhooks }) }));
		add('GET', `/${entity}/entityInformation/fields`, entity, 'read', () => ok({ fields: structuredClone(store.fields(entity)) }));
		add('GET', `/${entity}/entityInformation/userDefinedFields`, entity, 'read', () => ok({ fields: structuredClone(db.udfs[entity] ?? []) }));
	}
	for (const entity of Object.keys(tables)) {
		add('GET', `/${entity}/{id}`, entity, 'read', (context) => item(byId(tables[entity](), context.params.id)));
	}

	add('POST', '/Tickets', 'Tickets', 'write', (context) => ok({ itemId: store.createTicket(context.body, context.actor, true).id }));
	add('PATCH', '/Tickets', 'Tickets', 'write', (context) => ok({ itemId: store.updateTicket(context.body, context.actor, 'patch').id }));
	add('PUT', '/Tickets', 'Tickets', 'write', (context) => ok({ itemId: store.updateTicket(context.body, context.actor, 'put').id }));

	// Child notes live under the ticket URL but count against the TicketNotes endpoint.
	const notesOf = (id: string) => db.notes.filter((note) => note.ticketID === Number(id)).sort((left, right) => left.id - right.id);
	add('GET', '/Tickets/{parentId}/Notes', 'TicketNotes', 'read', (context) => list(notesOf(context.params.parentId)));
	add('GET', '/Tickets/{parentId}/Notes/{id}', 'TicketNotes', 'read', (context) => item(byId(notesOf(context.params.parentId), context.params.id)));
	add('POST', '/Tickets/{parentId}/Notes', 'TicketNotes', 'write', (context) =>
		ok({ itemId: store.createNote(Number(context.params.parentId), context.body, context.actor).id }),
	);
	add('PATCH', '/Tickets/{parentId}/Notes', 'TicketNotes', 'write', (context) => ok({ itemId: store.updateNote(Number(context.params.parentId), context.body).id }));

	// A ticket's attachments: listed and added under the ticket, counted against TicketAttachments; a list leaves the data out.
	const attachmentsOf = (id: string) => db.attachments.filter((row) => row.parentID === Number(id)).sort((left, right) => left.id - right.id);
	const withoutData = ({ data: _data, ...row }: Row) => row;
	add('GET', '/Tickets/{parentId}/Attachments', 'TicketAttachments', 'read', (context) => list(attachmentsOf(context.params.parentId).map(withoutData)));
	add('GET', '/Tickets/{parentId}/Attachments/{id}', 'TicketAttachments', 'read', (context) => item(byId(attachmentsOf(context.params.parentId), context.params.id)));
	add('POST', '/Tickets/{parentId}/Attachments', 'TicketAttachments', 'write', (context) =>
		ok({ itemId: createAttachment(db, Number(context.params.parentId), normalizeBody(context.body, store.fields('TicketAttachments')), context.actor.resource.id, store.now()).id }),
	);
	add('POST', '/TimeEntries', 'TimeEntries', 'write', (context) =>
		ok({ itemId: createTimeEntry(db, normalizeBody(context.body, store.fields('TimeEntries')), context.actor.resource.id, store.now()).id }),
	);

	// A ticket's additional configuration items: listed and added under the ticket (work subset), counted against their own endpoint.
	const additionalOf = (id: string) => db.ticketAdditionalConfigurationItems.filter((row) => row.ticketID === Number(id)).sort((left, right) => left.id - right.id);
	const additional = 'TicketAdditionalConfigurationItems';
	add('GET', '/Tickets/{parentId}/AdditionalConfigurationItems', additional, 'read', (context) => list(additionalOf(context.params.parentId)));
	add('POST', '/Tickets/{parentId}/AdditionalConfigurationItems', additional, 'write', (context) =>
		ok({ itemId: attachConfigurationItem(db, Number(context.params.parentId), normalizeBody(context.body, store.fields(additional))).id }),
	);
	add('DELETE', '/Tickets/{parentId}/AdditionalConfigurationItems/{id}', additional, 'write', (context) => {
		detachConfigurationItem(db, Number(context.params.parentId), Number(context.params.id));
		return ok({ itemId: Number(context.params.id) });
	});

	const apiUser = (context: RouteContext) => context.actor.apiUser ?? context.actor.resource;
	add('POST', '/TicketWebhooks', 'TicketWebhooks', 'write', (context) => ok({ itemId: store.createWebhook(context.body, apiUser(context)).id }));
	add('PATCH', '/TicketWebhooks', 'TicketWebhooks', 'write', (context) => ok({ itemId: store.updateWebhook(context.body, 'patch').id }));
	add('PUT', '/TicketWebhooks', 'TicketWebhooks', 'write', (context) => ok({ itemId: store.updateWebhook(context.body, 'put').id }));
	add('DELETE', '/TicketWebhooks/{id}', 'TicketWebhooks', 'write', (context) => {
		store.deleteWebhook(Number(context.params.id));
		return ok({ itemId: Number(context.params.id) });
	});
	for (const kind of ['Fields', 'ExcludedResources'] as const) {
		const rowsOf = (parentId: string): Row[] =>
			(kind === 'Fields' ? db.webhookFields : db.webhookExcludedResources).filter((row) => row.webhookID === Number(parentId)).sort((left, right) => left.id - right.id);
		add('GET', `/TicketWebhooks/{parentId}/${kind}`, 'TicketWebhooks', 'read', (context) => list(rowsOf(context.params.parentId)));
		add('GET', `/TicketWebhooks/{parentId}/${kind}/{id}`, 'TicketWebhooks', 'read', (context) => item(byId(rowsOf(context.params.parentId), context.params.id)));
		add('POST', `/TicketWebhooks/{parentId}/${kind}`, 'TicketWebhooks', 'write', (context) =>
			ok({ itemId: store.createWebhookChild(kind, Number(context.params.parentId), context.body).id }),
		);
		add('DELETE', `/TicketWebhooks/{parentId}/${kind}/{id}`, 'TicketWebhooks', 'write', (context) => {
			store.deleteWebhookChild(kind, Number(context.params.parentId), Number(context.params.id));
			return ok({ itemId: Number(context.params.id) });
		});
	}
	return routes;
}

export function compileRoute(route: Route): Route & { regex: RegExp; names: string[] } {
	const names: string[] = [];
	const pattern = route.template.replace(/\{(\w+)\}/g, (_match, name: string) => {
		names.push(name);
		return '(-?\\d+)';
	});
	return { ...route, regex: new RegExp(`^${pattern}/?$`, 'i'), names };
}

export { filterKeyOf, methodNotAllowed };
