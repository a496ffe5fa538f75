// The benchmarked workflows, as the editor would export them: this package's nodes, and the HTTP Request workflow users build today.
import type { INode, IConnections } from 'n8n-workflow';
import type { WorkflowJson } from '../test/engine/harness';
import { chainWorkflow } from '../test/engine/setup';
import { AUTOTASK_CREDENTIAL, BASIC_CREDENTIAL, PSA_CREDENTIAL } from './engine';

export interface Alert {
	alertId: string;
	summary: string;
	text: string;
	/** The status the ticket should be in after this event. */
	status: string;
}

export const BOARD_ID = 1;
export const COMPANY_ID = 250;
/** The Autotask sandbox's company (Acme Corporation) and queue (Monitoring Alert). */
export const AUTOTASK_COMPANY_ID = 175;
export const AUTOTASK_QUEUE_ID = 8;
export const SOURCE = 'monitor';
const TRIGGER = 'Manual Trigger';

/** Distinct alerts; the second event of the same alerts moves them on ("Resolved"). */
export function alerts(count: number, prefix: string, event: 'fired' | 'resolved'): Alert[] {
	return Array.from({ length: count }, (_, index) => {
		const alertId = `${prefix}-${index}`;
		return {
			alertId,
			summary: `[${alertId}] Disk usage above 95% on host-${index % 97}`,
			text: event === 'fired' ? `Alert ${alertId} fired: disk at 97%` : `Alert ${alertId} resolved: disk at 61%`,
			status: event === 'fired' ? 'In Progress' : 'Resolved',
		};
	});
}

const fromTrigger = (field: keyof Alert) => `$('${TRIGGER}').item.json.${field}`;

export interface PackageWorkflowOptions {
	/** Absent: Automatic (the connection's limiter decides). */
	concurrency?: number;
	withStatus?: boolean;
	continueOnFail?: boolean;
	/** The nodes' PSA: ConnectWise (default) or Autotask (its credential, company and queue). */
	psa?: 'connectwise' | 'autotask';
	/** A State Store credential on every node (default: the embedded SQLite store). */
	store?: { id: string; name: string };
}

/** PSA Link -> PSA Note -> PSA Status (optionally without Status), Concurrency as given (the node default is Automatic). */
export function packageWorkflow(items: Alert[], options: PackageWorkflowOptions = {}): WorkflowJson {
	const nodeOptions = options.concurrency !== undefined ? { concurrency: options.concurrency } : {};
	const continueOnFail = options.continueOnFail ?? false;
	const autotask = options.psa === 'autotask';
	const nodes = [
		{
			name: 'PSA Link',
			continueOnFail,
			type: 'psaLink',
			parameters: {
				operation: 'link',
				source: SOURCE,
				externalId: '={{ $json.alertId }}',
				summary: '={{ $json.summary }}',
				company: { __rl: true, mode: 'id', value: String(autotask ? AUTOTASK_COMPANY_ID : COMPANY_ID) },
				boardId: autotask ? AUTOTASK_QUEUE_ID : BOARD_ID,
				additionalFields: {},
				options: nodeOptions,
			},
		},
		{
			name: 'PSA Note',
			continueOnFail,
			type: 'psaNote',
			parameters: {
				operation: 'add',
				ticketBy: 'link',
				source: SOURCE,
				externalId: `={{ ${fromTrigger('alertId')} }}`,
				text: `={{ ${fromTrigger('text')} }}`,
				noteType: 'internal',
				additionalFields: {},
				options: nodeOptions,
			},
		},
		{
			name: 'PSA Status',
			continueOnFail,
			type: 'psaStatus',
			parameters: {
				operation: 'set',
				ticketBy: 'link',
				source: SOURCE,
				externalId: `={{ ${fromTrigger('alertId')} }}`,
				statusBy: 'name',
				statusName: `={{ ${fromTrigger('status')} }}`,
				options: nodeOptions,
			},
		},
	];
	const chain = options.withStatus === false ? nodes.slice(0, 2) : nodes;
	const credentials = {
		...(autotask ? { autotaskPsaApi: AUTOTASK_CREDENTIAL } : { connectWisePsaApi: PSA_CREDENTIAL }),
		...(options.store ? { psaStateStore: options.store } : {}),
	};
	const specs = chain.map((node) => ({
		...node,
		...(autotask || options.store ? { credentials } : {}),
		parameters: autotask ? { authentication: 'autotaskPsaApi', ...node.parameters } : node.parameters,
	}));
	return chainWorkflow(specs, items as unknown as Array<Record<string, unknown>>);
}

/**
 * The HTTP Request workflow paced by its Batching option so that many items do not open a socket each at once (10,000
 * did: the loopback listener reset connections): this many requests, then a pause.
 */
export const NAIVE_PACED_BATCH = { batchSize: 128, batchIntervalMs: 200 };

/** The HTTP Request node's Batching option: `batchSize` requests, then a pause of `batchIntervalMs` (it paces sends; it does not wait for answers). */
export interface NaiveBatching {
	batchSize: number;
	batchIntervalMs: number;
}

/**
 * The workflow users build with n8n's HTTP Request node: search the ticket by conditions, IF, create; POST the note;
 * GET the board's statuses, find the one by name, PATCH. Same credential data (Basic auth), same clientId and
 * Accept (version) headers as the package sends; the codebase is typed into the URL, as users do.
 */
export function naiveWorkflow(items: Alert[], apiBaseUrl: string, options: { batching?: NaiveBatching; withStatus?: boolean } = {}): WorkflowJson {
	const headers = {
		sendHeaders: true,
		headerParameters: {
			parameters: [
				{ name: 'clientId', value: '3f7e9a52-5b1c-4d8e-9a40-2c6f0e5b7d11' },
				{ name: 'Accept', value: 'application/vnd.connectwise.com+json; version=2025.8' },
			],
		},
	};
	const batching = options.batching ? { batching: { batch: { batchSize: options.batching.batchSize, batchInterval: options.batching.batchIntervalMs } } } : {};
	const http = (name: string, position: number, parameters: Record<string, unknown>): INode => ({
		id: name.toLowerCase().replace(/\W+/g, '-'),
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [220 * position, 0],
		parameters: { authentication: 'genericCredentialType', genericAuthType: 'httpBasicAuth', ...headers, ...parameters, options: { ...(parameters.options as Record<string, unknown>), ...batching } },
		credentials: { httpBasicAuth: BASIC_CREDENTIAL },
	});
	const fullResponse = { response: { response: { fullResponse: true } } };
	const nodes: INode[] = [
		{ id: 'trigger', name: TRIGGER, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		http('Search ticket', 1, {
			method: 'GET',
			url: `${apiBaseUrl}/service/tickets`,
			sendQuery: true,
			queryParameters: {
				parameters: [
					{ name: 'conditions', value: '=summary like "%[{{ $json.alertId }}]%" and closedFlag = false' },
					{ name: 'pageSize', value: '1' },
				],
			},
			options: fullResponse,
		}),
		{
			id: 'ticket-exists',
			name: 'Ticket exists?',
			type: 'n8n-nodes-base.if',
			typeVersion: 2.2,
			position: [440, 0],
			parameters: {
				conditions: {
					options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
					conditions: [{ id: 'found', leftValue: '={{ $json.body.length }}', rightValue: 0, operator: { type: 'number', operation: 'gt' } }],
					combinator: 'and',
				},
				options: {},
			},
		},
		http('Create ticket', 3, {
			method: 'POST',
			url: `${apiBaseUrl}/service/tickets`,
			sendBody: true,
			specifyBody: 'json',
			jsonBody: `={{ JSON.stringify({ summary: ${fromTrigger('summary')}, company: { id: ${COMPANY_ID} }, board: { id: ${BOARD_ID} } }) }}`,
			options: {},
		}),
		http('Add note', 4, {
			method: 'POST',
			url: `=${apiBaseUrl}/service/tickets/{{ $json.id ?? $json.body[0].id }}/notes`,
			sendBody: true,
			specifyBody: 'json',
			jsonBody: `={{ JSON.stringify({ text: ${fromTrigger('text')}, internalAnalysisFlag: true }) }}`,
			options: {},
		}),
		http('Get board statuses', 5, {
			method: 'GET',
			url: `${apiBaseUrl}/service/boards/${BOARD_ID}/statuses`,
			options: fullResponse,
		}),
		http('Set status', 6, {
			method: 'PATCH',
			url: `=${apiBaseUrl}/service/tickets/{{ $('Add note').item.json.ticketId }}`,
			sendBody: true,
			specifyBody: 'json',
			jsonBody: `={{ JSON.stringify([{ op: 'replace', path: 'status', value: { id: $json.body.find((status) => status.name === ${fromTrigger('status')}).id } }]) }}`,
			options: {},
		}),
	];
	const to = (node: string) => [{ node, type: 'main' as const, index: 0 }];
	const connections: IConnections = {
		[TRIGGER]: { main: [to('Search ticket')] },
		'Search ticket': { main: [to('Ticket exists?')] },
		// true: found -> straight to the note; false: create first.
		'Ticket exists?': { main: [to('Add note'), to('Create ticket')] },
		'Create ticket': { main: [to('Add note')] },
	};
	// Without the status: the same work as PSA Link + PSA Note (find or create, then the note).
	if (options.withStatus !== false) {
		connections['Add note'] = { main: [to('Get board statuses')] };
		connections['Get board statuses'] = { main: [to('Set status')] };
	}
	return {
		id: 'naive',
		name: 'ConnectWise with HTTP Request',
		nodes: options.withStatus === false ? nodes.filter((node) => node.name !== 'Get board statuses' && node.name !== 'Set status') : nodes,
		connections,
		settings: { executionOrder: 'v1' },
		pinData: { [TRIGGER]: items.map((json) => ({ json: json as never })) },
	};
}
