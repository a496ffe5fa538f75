// The HaloPSA sandbox's API routes: list envelopes and paging, records as Halo shapes them, upsert arrays, the scopes each route needs.
import { randomUUID } from 'node:crypto';
import type { HaloDb, HaloTicket, Row } from './data';
import { attachmentRoutes } from './attachments';
import { HaloError, invalid, type TicketStore } from './tickets';

export type Method = 'GET' | 'POST' | 'DELETE';
export interface RouteInput {
	params: Record<string, string>;
	query: Record<string, string>;
	body: unknown;
	agentId: number;
}
export interface Route {
	method: Method;
	/** As the OpenAPI description names the path, e.g. "/Tickets/{id}". */
	template: string;
	/** The scope a token needs ('all' grants every one). */
	scope: string;
	handle(input: RouteInput): unknown;
}

const truthy = (value: string | undefined) => value === 'true' || value === '1';
const int = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined);

/** pageinate=true&page_no=N&page_size=M (page_no from 1), or count=N; the envelope names the list. */
function envelope(key: string, records: Row[], query: Record<string, string>): Row {
	let page = records;
	if (truthy(query.pageinate)) {
		const size = Math.max(1, int(query.page_size) ?? 50);
		const number = Math.max(1, int(query.page_no) ?? 1);
		page = records.slice((number - 1) * size, number * size);
	} else if (int(query.count) !== undefined) page = records.slice(0, int(query.count));
	return { record_count: records.length, [key]: page };
}

function arrayBody(body: unknown): Row[] {
	// Halo's writes take a JSON array; a plain object is refused [spec].
	if (!Array.isArray(body)) throw invalid('The request body must be a JSON array of records');
	if (body.length === 0 || body.some((record) => typeof record !== 'object' || record === null)) throw invalid('The request body must be a JSON array of records');
	return body as Row[];
}

/** One saved record answers as itself, several as a list [client]. */
const saved = (records: Row[]) => (records.length === 1 ? records[0] : records);

export function buildRoutes(db: HaloDb, store: TicketStore, instance: () => Row, now: () => number): Route[] {
	const nameOf = <T extends { id: number }>(list: T[], id: number, field: keyof T) => String(list.find((entry) => entry.id === id)?.[field] ?? '');
	const ticketRecord = (ticket: HaloTicket, withLastAction: boolean): Row => {
		const record: Row = {
			...ticket,
			assets: ticket.assets.map((id) => assetRecord(id)),
			client_name: nameOf(db.clients, ticket.client_id, 'name'),
			site_name: nameOf(db.sites, ticket.site_id, 'name'),
			user_name: nameOf(db.users, ticket.user_id, 'name'),
			agent_name: nameOf(db.agents, ticket.agent_id, 'name'),
			status_name: nameOf(db.statuses, ticket.status_id, 'name'),
			tickettype_name: nameOf(db.ticketTypes, ticket.tickettype_id, 'name'),
			hasbeenclosed: store.isClosedStatus(ticket.status_id),
			external_links: db.externalLinks.filter((link) => link.halo_id === ticket.id),
		};
		delete record.deleted;
		const last = withLastAction ? store.lastAction(ticket.id) : undefined;
		if (last) Object.assign(record, { action_number: last.id, action_datetime: last.datetime, action_agent_name: nameOf(db.agents, last.who_agentid, 'name'), lastactiondate: last.datetime });
		return record;
	};
	const assetRecord = (id: number): Row => {
		const asset = db.assets.find((candidate) => candidate.id === id);
		return asset ? { ...asset, client_name: nameOf(db.clients, asset.client_id, 'name'), site_name: nameOf(db.sites, asset.site_id, 'name') } : { id };
	};
	const agentRecord = (agent: HaloDb['agents'][number]): Row => ({ ...agent });
	const found = <T>(value: T | undefined, what: string): T => {
		if (value === undefined) throw new HaloError(404, { ClassName: 'Halo.Exceptions.NotFound', Message: `${what} not found` });
		return value;
	};
	const search = (text: string | undefined, ...values: string[]) => !text || values.some((value) => value.toLowerCase().includes(text.toLowerCase()));

	return [
		{ method: 'GET', template: '/InstanceInfo', scope: 'read:tickets', handle: () => instance() },
		{
			method: 'GET',
			template: '/Tickets',
			scope: 'read:tickets',
			handle: ({ query }) => {
				const filters: Array<[string, keyof HaloTicket]> = [['requesttype_id', 'tickettype_id'], ['client_id', 'client_id'], ['status_id', 'status_id'], ['agent_id', 'agent_id'], ['site_id', 'site_id'], ['user_id', 'user_id']];
				let tickets = db.tickets.filter((ticket) => !ticket.deleted);
				for (const [parameter, field] of filters) if (int(query[parameter]) !== undefined) tickets = tickets.filter((ticket) => ticket[field] === int(query[parameter]));
				if (truthy(query.open_only)) tickets = tickets.filter((ticket) => !store.isClosedStatus(ticket.status_id));
				if (truthy(query.closed_only)) tickets = tickets.filter((ticket) => store.isClosedStatus(ticket.status_id));
				tickets = tickets.filter((ticket) => search(query.search, ticket.summary, String(ticket.id)));
				tickets.sort((a, b) => (truthy(query.orderdesc) ? b.id - a.id : a.id - b.id));
				return envelope('tickets', tickets.map((ticket) => ticketRecord(ticket, false)), query);
			},
		},
		{
			method: 'GET',
			template: '/Tickets/{id}',
			scope: 'read:tickets',
			handle: ({ params, query }) => ticketRecord(found(store.ticket(Number(params.id)), `Ticket ${params.id}`), truthy(query.includelastaction)),
		},
		{
			method: 'POST',
			template: '/Tickets',
			scope: 'edit:tickets',
			handle: ({ body, agentId }) => saved(arrayBody(body).map((record) => ticketRecord(store.upsert(record, agentId), false))),
		},
		{ method: 'DELETE', template: '/Tickets/{id}', scope: 'edit:tickets', handle: ({ params, agentId }) => void store.delete(Number(params.id), agentId) },
		{
			method: 'GET',
			template: '/Actions',
			scope: 'read:tickets',
			handle: ({ query }) => {
				const ticketId = int(query.ticket_id);
				const actions = db.actions.filter(
					(action) => (ticketId === undefined || action.ticket_id === ticketId) && !(truthy(query.excludesys) && action.system) && !(truthy(query.timeentriesonly) && !(action.timetaken && action.timetaken > 0)),
				);
				return envelope('actions', actions.map(({ system: _system, ...action }) => ({ ...action, who: nameOf(db.agents, action.who_agentid, 'name') })), query);
			},
		},
		{
			method: 'POST',
			template: '/Actions',
			scope: 'edit:tickets',
			handle: ({ body, agentId }) => saved(arrayBody(body).map((record) => {
				const { system: _system, ...action } = store.addAction(record, agentId);
				return action;
			})),
		},
		{
			method: 'GET',
			template: '/Status',
			scope: 'read:tickets',
			handle: ({ query }) => {
				const typeId = int(query.tickettype_id);
				return db.statuses
					.filter((status) => (typeId === undefined || status.tickettypes.length === 0 || status.tickettypes.includes(typeId)) && !(truthy(query.excludeclosed) && status.type === 2) && !(truthy(query.excludepending) && status.type === 1))
					.map((status) => ({ ...status, tickettypes: status.tickettypes.map((id) => ({ id })) }));
			},
		},
		{ method: 'GET', template: '/Priority', scope: 'read:tickets', handle: () => db.priorities.map((priority) => ({ ...priority })) },
		{ method: 'GET', template: '/TicketType', scope: 'read:tickets', handle: () => db.ticketTypes.map((type) => ({ ...type })) },
		{ method: 'GET', template: '/Team', scope: 'read:tickets', handle: () => db.teams.map((team) => ({ ...team })) },
		// Outside the contract's subset: Halo's category lists (level 1) [open].
		{ method: 'GET', template: '/Category', scope: 'read:tickets', handle: ({ query }) => db.categories.filter((category) => int(query.type_id) === undefined || category.type_id === int(query.type_id)).map((category) => ({ ...category })) },
		{ method: 'GET', template: '/Outcome', scope: 'read:tickets', handle: () => db.outcomes.map((outcome) => ({ ...outcome })) },
		{
			method: 'GET',
			template: '/FieldInfo',
			scope: 'read:tickets',
			handle: ({ query }) => db.fields.filter((field) => int(query.typeid) === undefined || field.typeid === int(query.typeid)).map(({ typeid: _typeid, values, ...field }) => ({ ...field, ...(truthy(query.includevalues) ? { values } : {}) })),
		},
		{
			method: 'GET',
			template: '/Agent',
			scope: 'read:tickets',
			handle: ({ query }) => db.agents.filter((agent) => (truthy(query.includedisabled) || !agent.isdisabled) && search(query.search, agent.name, agent.email)).map(agentRecord),
		},
		{ method: 'GET', template: '/Agent/me', scope: 'read:tickets', handle: ({ agentId }) => agentRecord(found(db.agents.find((agent) => agent.id === agentId), 'Agent')) },
		{ method: 'GET', template: '/Agent/{id}', scope: 'read:tickets', handle: ({ params }) => agentRecord(found(db.agents.find((agent) => agent.id === Number(params.id)), `Agent ${params.id}`)) },
		{
			method: 'GET',
			template: '/Client',
			scope: 'read:customers',
			handle: ({ query }) => envelope('clients', db.clients.filter((client) => (truthy(query.includeinactive) || !client.inactive) && search(query.search, client.name)).map((client) => ({ ...client })), query),
		},
		{ method: 'GET', template: '/Client/{id}', scope: 'read:customers', handle: ({ params }) => ({ ...found(db.clients.find((client) => client.id === Number(params.id)), `Client ${params.id}`) }) },
		{
			method: 'GET',
			template: '/Site',
			scope: 'read:customers',
			handle: ({ query }) => envelope('sites', db.sites.filter((site) => int(query.client_id) === undefined || site.client_id === int(query.client_id)).map((site) => ({ ...site, client_name: nameOf(db.clients, site.client_id, 'name') })), query),
		},
		{
			method: 'GET',
			template: '/Users',
			scope: 'read:customers',
			handle: ({ query }) =>
				envelope('users', db.users.filter((user) => (int(query.client_id) === undefined || user.client_id === int(query.client_id)) && search(query.search, user.name, user.emailaddress)).map((user) => ({ ...user, client_name: nameOf(db.clients, user.client_id, 'name') })), query),
		},
		{
			method: 'GET',
			template: '/Asset',
			scope: 'read:assets',
			handle: ({ query }) =>
				envelope(
					'assets',
					db.assets
						.filter((asset) => (int(query.client_id) === undefined || asset.client_id === int(query.client_id)) && (truthy(query.includeinactive) || !asset.inactive))
						.filter((asset) => search(query.search, asset.inventory_number, asset.key_field, asset.key_field2, asset.key_field3, asset.datto_id))
						.map((asset) => assetRecord(asset.id)),
					query,
				),
		},
		{ method: 'GET', template: '/Asset/{id}', scope: 'read:assets', handle: ({ params }) => assetRecord(found(db.assets.find((asset) => asset.id === Number(params.id)), `Asset ${params.id}`).id) },
		{
			method: 'GET',
			template: '/ExternalLink',
			scope: 'read:tickets',
			handle: ({ query }) =>
				db.externalLinks.filter(
					(link) =>
						(query.third_party_id === undefined || link.third_party_id === query.third_party_id) &&
						(query.third_party_type === undefined || link.third_party_type === query.third_party_type) &&
						(int(query.table_id) === undefined || link.table_id === int(query.table_id)) &&
						(int(query.halo_id) === undefined || link.halo_id === int(query.halo_id)) &&
						store.ticket(link.halo_id) !== undefined,
				),
		},
		{ method: 'POST', template: '/ExternalLink', scope: 'edit:tickets', handle: ({ body }) => saved(arrayBody(body).map((record) => store.addLink(record))) },
		...attachmentRoutes(db, store, now, arrayBody),
		{ method: 'GET', template: '/Webhook', scope: 'admin', handle: () => db.webhooks.map(({ basic_password: _password, ...webhook }) => ({ ...webhook })) },
		{
			method: 'POST',
			template: '/Webhook',
			scope: 'admin',
			handle: ({ body }) =>
				saved(
					arrayBody(body).map((record) => {
						if (typeof record.url !== 'string' || !/^https?:\/\//.test(record.url)) throw invalid('Please enter a valid URL');
						const webhook = {
							id: randomUUID(),
							name: String(record.name ?? ''),
							url: record.url,
							method: Number(record.method ?? 0),
							content_type: String(record.content_type ?? 'application/json'),
							authentication_type: Number(record.authentication_type ?? 0),
							basic_username: String(record.basic_username ?? ''),
							basic_password: String(record.basic_password ?? ''),
							authentication_header: String(record.authentication_header ?? ''),
							active: record.active !== false,
							payload_type: Number(record.payload_type ?? 0),
						};
						db.webhooks.push(webhook);
						const { basic_password: _password, ...shown } = webhook;
						return shown;
					}),
				),
		},
		{
			method: 'DELETE',
			template: '/Webhook/{id}',
			scope: 'admin',
			handle: ({ params }) => {
				const webhook = found(db.webhooks.find((candidate) => candidate.id.toLowerCase() === params.id.toLowerCase()), `Webhook ${params.id}`);
				db.webhooks.splice(db.webhooks.indexOf(webhook), 1);
				// Its notifications go with it.
				db.notifications = db.notifications.filter((notification) => notification.webhook_id !== webhook.id);
			},
		},
		{ method: 'GET', template: '/Notification', scope: 'admin', handle: ({ query }) => db.notifications.filter((notification) => query.webhook_id === undefined || notification.webhook_id.toLowerCase() === query.webhook_id.toLowerCase()) },
		{
			method: 'POST',
			template: '/Notification',
			scope: 'admin',
			handle: ({ body }) =>
				saved(
					arrayBody(body).map((record) => {
						const webhookId = String(record.webhook_id ?? '');
						if (!db.webhooks.some((webhook) => webhook.id === webhookId)) throw invalid('Please select a valid Webhook');
						const notification = { id: db.next.notification++, webhook_id: webhookId, delivery_method: Number(record.delivery_method ?? 6), eventno: Number(record.eventno), name: String(record.name ?? '') };
						db.notifications.push(notification);
						return notification;
					}),
				),
		},
		{
			method: 'DELETE',
			template: '/Notification/{id}',
			scope: 'admin',
			handle: ({ params }) => {
				const notification = found(db.notifications.find((candidate) => candidate.id === Number(params.id)), `Notification ${params.id}`);
				db.notifications.splice(db.notifications.indexOf(notification), 1);
			},
		},
	];
}

export function compileRoute(route: Route): Route & { regex: RegExp; names: string[] } {
	const names: string[] = [];
	const pattern = route.template.replace(/\{(\w+)\}/g, (_match, name: string) => {
		names.push(name);
		return '([^/]+)';
	});
	return { ...route, regex: new RegExp(`^${pattern}$`, 'i'), names };
}
