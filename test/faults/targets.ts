// The PSAs the fault suite runs against: one small adapter per PSA (its sandbox on the suite's clock, its credential, its
// fault routes, its records read for the invariants). Everything else in test/faults is the same for every PSA.
import { startSandbox, type Fault as CwFault } from '../sandbox';
import { ACTIVE_TECHNICIAN_ID, startAutotaskSandbox, type Fault as AtFault } from '../sandbox/autotask';
import { ACME_SERVER_CI_ID, ACME_WORKSTATION_CI_ID } from '../sandbox/autotask/data';
import { DEPTH_SEED } from '../sandbox/depth-data';
import { ACTIVE_AGENT_ID, startHaloSandbox } from '../sandbox/halopsa';
import { LINK_TYPE } from '../../lib/providers/halopsa/read';
import { TECHNICIAN_ROLE_ID } from '../sandbox/autotask/work';

export type PsaName = 'connectwise' | 'autotask' | 'halopsa';
export const PSA_NAMES: readonly PsaName[] = ['connectwise', 'autotask', 'halopsa'];

/** The request a fault hits, named by what it does (each PSA maps it to its own verb and path). */
export type FaultTarget = 'create' | 'search' | 'note' | 'notes-list' | 'patch' | 'ticket-read' | 'lookup' | 'members' | 'attach' | 'device-lookup' | 'time-entry' | 'time-entries-list' | 'attachment' | 'attachments-list';
/** 'thread-limit' exists in Autotask only (3 concurrent requests per endpoint, refused with a 500 or 429, nothing done). */
/** '5xx-after-commit': the work is done, then a 500 of the PSA's own or a gateway's 503 is answered. */
export type FaultClass = 'request-lost' | 'response-lost' | 'late-commit' | 'garbled' | '429' | '5xx' | '5xx-after-commit' | 'thread-limit';

export interface FaultPlan {
	target: FaultTarget;
	kind: FaultClass;
	/** Late commit delay, or Retry-After, in ms. */
	ms: number;
	times: number;
}

/** The fault classes every PSA has; a target adds its own. late-commit twice: the class that needs the settle window. */
export const COMMON_FAULT_CLASSES: readonly FaultClass[] = ['request-lost', 'response-lost', 'late-commit', 'late-commit', 'garbled', '429', '5xx', '5xx-after-commit'];

/** The PSA's records, as the invariants read them. */
export interface PsaRecords {
	tickets: Array<{ id: number; reference: string | null }>;
	notes: Array<{ id: number; ticketId: number; text: string }>;
	/** Every status write the PSA applied, in order. */
	statusChanges: Array<{ ticketId: number; fromClosed: boolean; toClosed: boolean; reopened: boolean }>;
	/** Status writes to this ticket that the PSA applied but whose answer the client never saw (it may send them again). */
	lostStatusAnswers(ticketId: number): number;
	/** The ticket's current status as the PSA shows it (name as the PSA spells it), undefined for no such ticket. */
	statusOf(ticketId: number): { name: string; closed: boolean } | undefined;
	/** Time entries on tickets, with the internal notes their dedupe marker lives in. */
	timeEntries: Array<{ id: number; ticketId: number; internalNotes: string }>;
	/** Attachments on tickets, with the title their dedupe marker lives in and their size. */
	attachments: Array<{ id: number; ticketId: number; title: string; size: number }>;
	/** The PSA's members (ConnectWise members, Autotask resources) with every email they can be found by, lower-cased. */
	members: Array<{ id: number; identifier: string; emails: string[]; active: boolean }>;
	/** Configuration items on the ticket as the PSA holds them, one entry per attachment (a double attach shows twice). */
	ticketDevices(ticketId: number): number[];
	/** The ticket's custom field values by name, as the PSA holds them. */
	ticketCustomFields(ticketId: number): Record<string, unknown>;
}

/** Records seeded for ticket depth: a classification valid on the board, two devices of the company, a text custom field. */
export interface DepthSeed {
	boardId: number;
	typeName: string;
	/** Empty where the PSA classifies by one level (HaloPSA categories here). */
	subtypeName: string;
	deviceName: string;
	deviceSerial: string;
	deviceId: number;
	secondDeviceId: number;
	textField: string;
}

/** A running sandbox of one PSA, seen through what the suite needs. */
export interface TargetSandbox {
	readonly psa: PsaName;
	readonly credentials: Record<string, unknown>;
	/** Faults off, tickets, notes, status changes and the request log forgotten. */
	reset(): void;
	clearFaults(): void;
	inject(plan: FaultPlan, respond: 'hold' | 'drop', maxRetryAfterMs: number): void;
	/**
	 * Faults chosen per request as the PSA starts to work on it (`choose` sees what the request does; undefined: none),
	 * so a share of the requests fails whatever requests the PSA refuses before working on them (Autotask's thread
	 * limit). Stopped by clearFaults.
	 */
	rollFaults(choose: (target: FaultTarget) => Omit<FaultPlan, 'target' | 'times'> | undefined, respond: 'hold' | 'drop', maxRetryAfterMs: number): void;
	readonly pendingLateCommits: number;
	records(): PsaRecords;
	/** A ticket made in the PSA by hand (no link reference): what PSA Link > Link Existing points entities at. */
	addTicket(summary: string): number;
	/** A technician changes the ticket's summary in the PSA's UI (not through the API user): "touched by a person". */
	touchAsPerson(ticketId: number, summary: string): void;
	/** The fault kind of every logged request that met one (injected, or the PSA's own limits). */
	faultsMet(): string[];
	/** The request log and the notes, one line each (FAULT_TRACE). */
	traceLines(): string[];
	/** A PSA with per-endpoint thread limits (Autotask): its thread-limit refusals (injected ones included) and the most requests it had in flight on one endpoint since the last reset. */
	readonly threads?: { refusals(): number; maxInFlight(): number };
	stop(): Promise<void>;
}

export interface SuiteClock {
	now(): number;
	setTimeout(run: () => void, ms: number): void;
}

export interface PsaTarget {
	readonly psa: PsaName;
	readonly credentialType: 'connectWisePsaApi' | 'autotaskPsaApi' | 'haloPsaApi';
	/** Company and board (ConnectWise service board, Autotask queue) of the suite's tickets, seeded in the sandbox. */
	readonly ticketFields: { companyId: number; boardId: number };
	readonly faultClasses: readonly FaultClass[];
	/** Status names on the suite's board (ConnectWise board 1, Autotask's statuses): open ones, and the closed one. */
	readonly statusNames: { open: readonly string[]; closed: string };
	/** What a time entry names here: an active member and the role (required by Autotask; HaloPSA has none). */
	readonly work: { memberId: number; workRoleId?: number };
	/** Member identifiers (login names) PSA Member Map > Set may name: active ones and an inactive one. */
	readonly memberIdentifiers: readonly string[];
	/** The depth records of `ticketFields.companyId` (the depth family's tickets use this board, not ticketFields'). */
	readonly depth: DepthSeed;
	/**
	 * False where the PSA signs no callout body (HaloPSA: a per-webhook secret in a header, the ticket read back): a
	 * changed body under the genuine secret is then a hint like any other, so the trigger family forges secrets only,
	 * and judges each run by the ticket state it read back (a late callout of an earlier change emits the later state).
	 */
	readonly signsCallbackBody: boolean;
	/**
	 * Starts the sandbox; on the suite's virtual clock when given (late commits then wait on it), else on real time.
	 * `latencyMs` makes every request take that long (real time), so concurrent requests overlap in the PSA;
	 * `threadLimit` changes the PSA's threads per endpoint (Autotask).
	 */
	start(clock?: SuiteClock, options?: { latencyMs?: number; threadLimit?: number }): Promise<TargetSandbox>;
}

type Route = { method: 'GET' | 'POST' | 'PATCH'; path: string | RegExp };

/** The fault routes a request matches, as the sandboxes match added faults (Autotask's paths in any case). */
function rolling(
	routes: Record<FaultTarget, Route>,
	choose: (target: FaultTarget) => Omit<FaultPlan, 'target' | 'times'> | undefined,
	respond: 'hold' | 'drop',
	maxRetryAfterMs: number,
	anyCase: boolean,
) {
	const same = (a: string | undefined, b: string) => a !== undefined && (anyCase ? a.toLowerCase() === b.toLowerCase() : a === b);
	return (method: string, path: string, template: string | undefined): CwFault | AtFault | undefined => {
		for (const target of Object.keys(routes) as FaultTarget[]) {
			const route = routes[target];
			if (route.method !== method) continue;
			if (route.path instanceof RegExp ? !route.path.test(path) : !same(path, route.path) && !same(template, route.path)) continue;
			const plan = choose(target);
			return plan ? faultOf({ ...plan, target, times: 1 }, route, respond, maxRetryAfterMs) : undefined;
		}
		return undefined;
	};
}

/** One plan as a fault of either sandbox (their fault kinds share names; thread-limit only where the PSA has it). */
function faultOf(plan: FaultPlan, route: Route, respond: 'hold' | 'drop', maxRetryAfterMs: number): CwFault | AtFault {
	const where = { ...route, times: plan.times };
	switch (plan.kind) {
		case 'request-lost':
			return { ...where, kind: 'drop' };
		case 'response-lost':
			return { ...where, kind: 'drop-after-commit' };
		case 'garbled':
			return { ...where, kind: 'garbled' };
		case 'late-commit':
			return { ...where, kind: 'late-commit', ms: plan.ms, respond };
		case '429':
			return { ...where, kind: 'status', status: 429, retryAfterSeconds: Math.round((plan.ms % maxRetryAfterMs) / 1000) };
		case '5xx':
			return { ...where, kind: 'status', status: plan.ms % 2 ? 503 : 500 };
		case '5xx-after-commit':
			return { ...where, kind: 'status', status: plan.ms % 2 ? 503 : 500, afterCommit: true };
		case 'thread-limit':
			return { ...where, kind: 'thread-limit' } as AtFault;
	}
}

const CW_ROUTES: Record<FaultTarget, Route> = {
	create: { method: 'POST', path: '/service/tickets' },
	search: { method: 'GET', path: '/service/tickets' },
	note: { method: 'POST', path: '/service/tickets/{parentId}/notes' },
	'notes-list': { method: 'GET', path: '/service/tickets/{parentId}/notes' },
	patch: { method: 'PATCH', path: '/service/tickets/{id}' },
	'ticket-read': { method: 'GET', path: '/service/tickets/{id}' },
	// The codebase lookup that finds the API location (cached an hour per process).
	lookup: { method: 'GET', path: '/login/companyinfo/sandbox' },
	// Member lookups by email or identifier (PSA Member Map).
	members: { method: 'GET', path: '/system/members' },
	attach: { method: 'POST', path: '/service/tickets/{parentId}/configurations' },
	'device-lookup': { method: 'GET', path: '/company/configurations' },
	'time-entry': { method: 'POST', path: '/time/entries' },
	'time-entries-list': { method: 'GET', path: '/time/entries' },
	attachment: { method: 'POST', path: '/system/documents' },
	'attachments-list': { method: 'GET', path: '/system/documents' },
};

export const connectWiseTarget: PsaTarget = {
	psa: 'connectwise',
	credentialType: 'connectWisePsaApi',
	ticketFields: { companyId: 250, boardId: 1 },
	faultClasses: COMMON_FAULT_CLASSES,
	statusNames: { open: ['New', 'In Progress', 'Waiting Customer'], closed: 'Resolved' },
	memberIdentifiers: ['jsmith', 'adoe', 'bwayne', 'oldtech'],
	depth: { boardId: DEPTH_SEED.boardId, typeName: DEPTH_SEED.typeName, subtypeName: DEPTH_SEED.subtypeName, deviceName: DEPTH_SEED.configurationItem.name, deviceSerial: DEPTH_SEED.configurationItem.serialNumber, deviceId: DEPTH_SEED.configurationItem.id, secondDeviceId: DEPTH_SEED.secondConfigurationItemId, textField: DEPTH_SEED.textFieldName },
	signsCallbackBody: true,
	work: { memberId: 150, workRoleId: 10 },
	async start(clock) {
		const sandbox = await startSandbox({ port: 0, recordResponses: false, ...(clock ? { clock } : {}) });
		const closed = (statusId: number) => sandbox.db.statuses.find((status) => status.id === statusId)?.closedStatus === true;
		return {
			psa: 'connectwise',
			credentials: { ...sandbox.credentials, site: sandbox.site },
			reset() {
				sandbox.clearFaults();
				sandbox.clearTickets();
				sandbox.resetLog();
			},
			clearFaults: () => sandbox.clearFaults(),
			inject: (plan, respond, maxRetryAfterMs) => sandbox.addFault(faultOf(plan, CW_ROUTES[plan.target], respond, maxRetryAfterMs) as CwFault),
			rollFaults: (choose, respond, maxRetryAfterMs) => {
				const roll = rolling(CW_ROUTES, choose, respond, maxRetryAfterMs, false);
				sandbox.rollFault = (method, path, template) => roll(method, path, template) as CwFault | undefined;
			},
			get pendingLateCommits() {
				return sandbox.pendingLateCommits;
			},
			records: () => ({
				tickets: sandbox.db.tickets.map((ticket) => ({ id: ticket.id, reference: ticket.externalXRef ?? null })),
				notes: sandbox.db.notes.map((note) => ({ id: note.id, ticketId: note.ticketId, text: note.text })),
				timeEntries: sandbox.db.timeEntries.map((entry) => ({ id: entry.id, ticketId: entry.chargeToId, internalNotes: entry.internalNotes ?? '' })),
				attachments: sandbox.db.documents.filter((document) => document.recordType === 'Ticket').map((document) => ({ id: document.id, ticketId: document.recordId, title: document.title, size: document.size })),
				statusChanges: sandbox.db.statusChanges.map((change) => ({
					ticketId: change.ticketId,
					fromClosed: closed(change.fromStatusId),
					toClosed: closed(change.toStatusId),
					reopened: change.reopened,
				})),
				lostStatusAnswers: (ticketId) =>
					sandbox.requests.filter((entry) => entry.method === 'PATCH' && entry.path === `/service/tickets/${ticketId}` && (entry.fault === 'drop-after-commit' || entry.fault === 'late-commit' || entry.afterCommit === true)).length,
				statusOf: (ticketId) => {
					const ticket = sandbox.db.tickets.find((candidate) => candidate.id === ticketId);
					return ticket ? { name: ticket.status?.name ?? '', closed: closed(ticket.status?.id ?? 0) } : undefined;
				},
				members: sandbox.db.members.map((member) => ({
					id: member.id,
					identifier: member.identifier,
					emails: [member.officeEmail, member.primaryEmail].flatMap((email) => (email ? [email.toLowerCase()] : [])),
					active: !member.inactiveFlag,
				})),
				ticketDevices: (ticketId) => [...(sandbox.db.ticketConfigurations[ticketId] ?? [])],
				ticketCustomFields: (ticketId) => Object.fromEntries((sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.customFields ?? []).map((field) => [field.caption, field.value ?? null])),
			}),
			addTicket: (summary) => sandbox.addTicket({ summary, company: { id: 250 }, board: { id: 1 } }).id,
			touchAsPerson: (ticketId, summary) => void sandbox.changeTicket(ticketId, { summary }),
			faultsMet: () => sandbox.requests.flatMap((entry) => (entry.fault ? [entry.fault] : [])),
			traceLines: () => [
				...sandbox.requests.map((entry) => `${entry.method} ${entry.path} ${entry.status} ${entry.fault ?? ''} ${JSON.stringify(entry.body ?? '').slice(0, 80)}`),
				JSON.stringify(sandbox.db.notes.map((note) => ({ id: note.id, ticketId: note.ticketId, text: note.text }))),
			],
			stop: () => sandbox.stop(),
		};
	},
};

const AT_ROUTES: Record<FaultTarget, Route> = {
	create: { method: 'POST', path: '/Tickets' },
	search: { method: 'POST', path: '/Tickets/query' },
	note: { method: 'POST', path: '/Tickets/{parentId}/Notes' },
	'notes-list': { method: 'POST', path: '/TicketNotes/query' },
	// Autotask refuses PATCH /Tickets/{id}: the id travels in the body.
	patch: { method: 'PATCH', path: '/Tickets' },
	'ticket-read': { method: 'GET', path: '/Tickets/{id}' },
	// The picklist lookup (statuses, priorities, queues; note types) that a create, a note or a status change needs first.
	lookup: { method: 'GET', path: /^\/(Tickets|TicketNotes)\/entityInformation\/fields$/i },
	members: { method: 'POST', path: '/Resources/query' },
	attach: { method: 'POST', path: '/Tickets/{parentId}/AdditionalConfigurationItems' },
	'device-lookup': { method: 'POST', path: '/ConfigurationItems/query' },
	'time-entry': { method: 'POST', path: '/TimeEntries' },
	'time-entries-list': { method: 'POST', path: '/TimeEntries/query' },
	attachment: { method: 'POST', path: '/Tickets/{parentId}/Attachments' },
	'attachments-list': { method: 'GET', path: '/Tickets/{parentId}/Attachments' },
};
const AT_STATUS_NAMES: Record<number, string> = { 1: 'New', 5: 'Complete', 7: 'Waiting Customer', 8: 'In Progress', 9: 'Waiting Materials' };
const AT_COMPLETE = 5;

export const autotaskTarget: PsaTarget = {
	psa: 'autotask',
	credentialType: 'autotaskPsaApi',
	// Acme Corporation, the Monitoring Alert queue.
	ticketFields: { companyId: 175, boardId: 8 },
	faultClasses: [...COMMON_FAULT_CLASSES, 'thread-limit'],
	statusNames: { open: ['New', 'In Progress', 'Waiting Customer'], closed: 'Complete' },
	memberIdentifiers: ['jsmith', 'jdoe', 'oldtech'],
	depth: { boardId: 8, typeName: 'Hardware', subtypeName: 'Server', deviceName: 'ACME-SRV-01', deviceSerial: 'SN-ACME-0001', deviceId: ACME_SERVER_CI_ID, secondDeviceId: ACME_WORKSTATION_CI_ID, textField: 'Monitoring Alert ID' },
	signsCallbackBody: true,
	work: { memberId: ACTIVE_TECHNICIAN_ID, workRoleId: TECHNICIAN_ROLE_ID },
	async start(clock, options = {}) {
		// Thread-limit refusals come as 500 with the thread-threshold message (the harder reading: a 500 that did nothing);
		// the hourly threshold is off (virtual hours pass in seconds); the 3-thread limit per endpoint stays on.
		const sandbox = await startAutotaskSandbox({ port: 0, recordResponses: false, threadLimitStatus: 500, hourlyThreshold: 0, ...(clock ? { clock } : {}), ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}), ...(options.threadLimit ? { threadLimit: options.threadLimit } : {}) });
		return {
			psa: 'autotask',
			credentials: { ...sandbox.credentials },
			reset() {
				sandbox.clearFaults();
				sandbox.clearTickets();
				sandbox.resetLog();
			},
			clearFaults: () => sandbox.clearFaults(),
			inject: (plan, respond, maxRetryAfterMs) => sandbox.addFault(faultOf(plan, AT_ROUTES[plan.target], respond, maxRetryAfterMs) as AtFault),
			rollFaults: (choose, respond, maxRetryAfterMs) => {
				const roll = rolling(AT_ROUTES, choose, respond, maxRetryAfterMs, true);
				sandbox.faults.roll = (method, path, template) => roll(method, path, template) as AtFault | undefined;
			},
			get pendingLateCommits() {
				return sandbox.pendingLateCommits;
			},
			records: () => ({
				tickets: sandbox.db.tickets.map((ticket) => ({ id: ticket.id, reference: typeof ticket.externalID === 'string' ? ticket.externalID : null })),
				notes: sandbox.db.notes.map((note) => ({ id: note.id, ticketId: note.ticketID, text: note.description })),
				timeEntries: sandbox.db.timeEntries.map((entry) => ({ id: entry.id, ticketId: entry.ticketID, internalNotes: entry.internalNotes ?? '' })),
				attachments: sandbox.db.attachments.map((attachment) => ({ id: attachment.id, ticketId: attachment.parentID, title: attachment.title, size: attachment.fileSize })),
				statusChanges: sandbox.db.statusChanges.map((change) => ({
					ticketId: change.ticketId,
					fromClosed: change.fromStatus === AT_COMPLETE,
					toClosed: change.toStatus === AT_COMPLETE,
					reopened: change.reopened,
				})),
				lostStatusAnswers: (ticketId) =>
					sandbox.requests.filter(
						(entry) =>
							entry.method === 'PATCH' &&
							entry.template === '/Tickets' &&
							Number((entry.body as { id?: unknown } | undefined)?.id) === ticketId &&
							(entry.fault === 'drop-after-commit' || entry.fault === 'late-commit' || entry.afterCommit === true),
					).length,
				statusOf: (ticketId) => {
					const ticket = sandbox.db.tickets.find((candidate) => candidate.id === ticketId);
					return ticket ? { name: AT_STATUS_NAMES[ticket.status] ?? String(ticket.status), closed: ticket.status === AT_COMPLETE } : undefined;
				},
				members: sandbox.db.resources.map((resource) => ({
					id: resource.id,
					identifier: resource.userName,
					emails: [resource.email, resource.email2, resource.email3].flatMap((email) => (email ? [email.toLowerCase()] : [])),
					active: resource.isActive,
				})),
				ticketDevices: (ticketId) => sandbox.ticketConfigurationItems(ticketId),
				ticketCustomFields: (ticketId) => sandbox.ticketCustomFields(ticketId),
			}),
			addTicket: (summary) => sandbox.addTicket({ title: summary, companyID: 175, queueID: 8, status: 1, priority: 2 }).id,
			touchAsPerson: (ticketId, summary) => void sandbox.changeTicket(ticketId, { title: summary }),
			faultsMet: () => sandbox.requests.flatMap((entry) => (entry.fault ? [entry.fault] : [])),
			traceLines: () => [
				...sandbox.requests.map((entry) => `${entry.method} ${entry.path} ${entry.status} ${entry.fault ?? ''} ${JSON.stringify(entry.body ?? '').slice(0, 80)}`),
				JSON.stringify(sandbox.db.notes.map((note) => ({ id: note.id, ticketId: note.ticketID, text: note.description }))),
			],
			threads: { refusals: () => sandbox.threadLimitRefusals, maxInFlight: () => sandbox.maxConcurrentSeen() },
			stop: () => sandbox.stop(),
		};
	},
};

/** Halo's writes are upserts: a status change is POST /Tickets with the ticket's id, a create the same without one. */
const HALO_ROUTES: Record<FaultTarget, Route> = {
	create: { method: 'POST', path: '/Tickets' },
	search: { method: 'GET', path: '/ExternalLink' },
	note: { method: 'POST', path: '/Actions' },
	'notes-list': { method: 'GET', path: '/Actions' },
	patch: { method: 'POST', path: '/Tickets' },
	'ticket-read': { method: 'GET', path: '/Tickets/{id}' },
	// The status list (read twice: all, and without the closed ones) that a create or a status change needs first.
	lookup: { method: 'GET', path: '/Status' },
	members: { method: 'GET', path: '/Agent' },
	// Halo attaches assets with the same upsert that creates and changes tickets.
	attach: { method: 'POST', path: '/Tickets' },
	'device-lookup': { method: 'GET', path: '/Asset' },
	// Time is an action with timetaken: the same upsert and list as notes.
	'time-entry': { method: 'POST', path: '/Actions' },
	'time-entries-list': { method: 'GET', path: '/Actions' },
	attachment: { method: 'POST', path: '/Attachment' },
	'attachments-list': { method: 'GET', path: '/Attachment' },
};

export const haloTarget: PsaTarget = {
	psa: 'halopsa',
	credentialType: 'haloPsaApi',
	// Acme Corporation, ticket type Incident.
	ticketFields: { companyId: 12, boardId: 1 },
	// Halo classifies by category (one level here); assets 501 and 502 belong to Acme.
	depth: { boardId: 1, typeName: 'Hardware', subtypeName: '', deviceName: 'WEB01', deviceSerial: 'SN-WEB01', deviceId: 501, secondDeviceId: 502, textField: 'CFAlertSource' },
	signsCallbackBody: false,
	faultClasses: COMMON_FAULT_CLASSES,
	statusNames: { open: ['New', 'In Progress', 'Waiting on Customer'], closed: 'Closed' },
	memberIdentifiers: ['John Smith', 'Sam Second', 'Old Tech'],
	// John Smith; Halo's actions name no role.
	work: { memberId: ACTIVE_AGENT_ID },
	async start(clock, options = {}) {
		const sandbox = await startHaloSandbox({ port: 0, recordResponses: false, ...(clock ? { clock } : {}), ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}) });
		const closed = (statusId: number) => sandbox.db.statuses.find((status) => status.id === statusId)?.type === 2;
		const upsertOf = (body: unknown) => (Array.isArray(body) ? (body[0] as Record<string, unknown> | undefined) : undefined);
		return {
			psa: 'halopsa',
			credentials: { ...sandbox.credentials },
			reset() {
				sandbox.clearFaults();
				sandbox.clearTickets();
				sandbox.resetLog();
			},
			clearFaults: () => sandbox.clearFaults(),
			inject: (plan, respond, maxRetryAfterMs) => sandbox.addFault(faultOf(plan, HALO_ROUTES[plan.target], respond, maxRetryAfterMs) as AtFault),
			rollFaults: (choose, respond, maxRetryAfterMs) => {
				const roll = rolling(HALO_ROUTES, choose, respond, maxRetryAfterMs, true);
				sandbox.faults.roll = (method, path, template) => roll(method, path, template) as AtFault | undefined;
			},
			get pendingLateCommits() {
				return sandbox.pendingLateCommits;
			},
			records: () => ({
				tickets: sandbox.db.tickets.filter((ticket) => !ticket.deleted).map((ticket) => ({ id: ticket.id, reference: sandbox.db.externalLinks.find((link) => link.halo_id === ticket.id && link.third_party_type === LINK_TYPE)?.third_party_id ?? null })),
				notes: sandbox.db.actions.filter((action) => !action.system).map((action) => ({ id: action.id, ticketId: action.ticket_id, text: action.note })),
				statusChanges: sandbox.db.statusChanges.map((change) => ({ ticketId: change.ticketId, fromClosed: closed(change.fromStatus), toClosed: closed(change.toStatus), reopened: change.reopened })),
				lostStatusAnswers: (ticketId) =>
					sandbox.requests.filter(
						(entry) =>
							entry.method === 'POST' &&
							entry.template === '/Tickets' &&
							Number(upsertOf(entry.body)?.id) === ticketId &&
							upsertOf(entry.body)?.status_id !== undefined &&
							(entry.fault === 'drop-after-commit' || entry.fault === 'late-commit' || entry.afterCommit === true),
					).length,
				statusOf: (ticketId) => {
					const ticket = sandbox.db.tickets.find((candidate) => candidate.id === ticketId && !candidate.deleted);
					return ticket ? { name: sandbox.db.statuses.find((status) => status.id === ticket.status_id)?.name ?? String(ticket.status_id), closed: closed(ticket.status_id) } : undefined;
				},
				timeEntries: sandbox.db.actions.filter((action) => (action.timetaken ?? 0) > 0).map((action) => ({ id: action.id, ticketId: action.ticket_id, internalNotes: action.private_note ?? '' })),
				attachments: sandbox.db.attachments.map((attachment) => ({ id: attachment.id, ticketId: attachment.ticket_id, title: attachment.desc, size: attachment.filesize })),
				members: sandbox.db.agents.filter((agent) => !agent.isapiagent).map((agent) => ({ id: agent.id, identifier: agent.name, emails: [agent.email.toLowerCase()], active: !agent.isdisabled })),
				ticketDevices: (ticketId) => [...(sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.assets ?? [])],
				ticketCustomFields: (ticketId) => Object.fromEntries((sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.customfields ?? []).map((field) => [field.name, field.value ?? null])),
			}),
			addTicket: (summary) => sandbox.addTicket({ summary, client_id: 12, tickettype_id: 1 }).id,
			touchAsPerson: (ticketId, summary) => void sandbox.changeTicket(ticketId, { summary }),
			faultsMet: () => sandbox.requests.flatMap((entry) => (entry.fault ? [entry.fault] : [])),
			traceLines: () => [
				...sandbox.requests.map((entry) => `${entry.method} ${entry.path} ${entry.status} ${entry.fault ?? ''} ${JSON.stringify(entry.body ?? '').slice(0, 80)}`),
				JSON.stringify(sandbox.db.actions.filter((action) => !action.system).map((action) => ({ id: action.id, ticketId: action.ticket_id, text: action.note }))),
			],
			stop: () => sandbox.stop(),
		};
	},
};

export const TARGETS: Record<PsaName, PsaTarget> = { connectwise: connectWiseTarget, autotask: autotaskTarget, halopsa: haloTarget };

export function targetOf(psa: string): PsaTarget {
	const target = TARGETS[psa as PsaName];
	if (!target) throw new Error(`FAULT_PSA must be one of ${PSA_NAMES.join(', ')}, got '${psa}'`);
	return target;
}

/** The PSAs to run: FAULT_PSA names one (to replay a failure), else all. */
export function psasFromEnvironment(): PsaName[] {
	const named = process.env.FAULT_PSA?.trim();
	return named ? [targetOf(named).psa] : [...PSA_NAMES];
}
