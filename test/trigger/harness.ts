// Drives the PSA Trigger as n8n does: hook contexts for checkExists/create/delete, WebhookContext for each request, WorkflowExecute from the trigger.
import { ExecutionLifecycleHooks, HookContext, WebhookContext, WorkflowExecute } from 'n8n-core';
import {
	NodeHelpers,
	Workflow,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type INodeTypes,
	type IRun,
	type ITaskData,
	type IWebhookData,
	type IWebhookResponseData,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { PsaTrigger } from '../../nodes/PsaTrigger/PsaTrigger.node';
import { CredentialsHelper, PACKAGE, nodeTypesOf, type StoredCredential, type WorkflowJson } from '../engine/harness';
import { sourceTypes } from '../engine/setup';

/** Stand-in for n8n-nodes-base's No Operation node (not installed here): passes its items on. */
class NoOp implements INodeType {
	description = {
		displayName: 'No Operation, do nothing',
		name: 'noOp',
		group: ['organization'],
		version: 1,
		description: 'No Operation',
		defaults: { name: 'No Operation, do nothing' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

/**
 * Stand-in for n8n-nodes-base's HTTP Request v4 (not installed here), for the parameters the examples use:
 * method, url and a JSON body given as an expression; it sends the request for real.
 */
export class HttpRequest implements INodeType {
	description = {
		displayName: 'HTTP Request',
		name: 'httpRequest',
		group: ['output'],
		version: [4, 4.1, 4.2],
		description: 'Makes an HTTP request',
		defaults: { name: 'HTTP Request' },
		inputs: ['main'],
		outputs: ['main'],
		// n8n keeps only declared parameters when it loads a workflow.
		properties: [
			{ displayName: 'Method', name: 'method', type: 'string', default: 'GET' },
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{ displayName: 'Send Body', name: 'sendBody', type: 'boolean', default: false },
			{ displayName: 'Specify Body', name: 'specifyBody', type: 'string', default: 'json' },
			{ displayName: 'JSON', name: 'jsonBody', type: 'string', default: '' },
			{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [] },
		],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		for (let index = 0; index < items.length; index++) {
			const jsonBody = this.getNodeParameter('jsonBody', index, '') as string | object;
			const response = (await this.helpers.httpRequest({
				method: this.getNodeParameter('method', index, 'GET') as 'POST',
				url: this.getNodeParameter('url', index) as string,
				body: typeof jsonBody === 'string' && jsonBody ? JSON.parse(jsonBody) : jsonBody,
				json: true,
			})) as unknown;
			out.push({ json: { response: response as IDataObject }, pairedItem: { item: index } });
		}
		return [out];
	}
}

export const trigger = new PsaTrigger();

function triggerNodeTypes(): INodeTypes {
	const packageTypes = nodeTypesOf({ ...sourceTypes, nodes: { ...sourceTypes.nodes, psaTrigger: trigger } });
	const base: Record<string, INodeType> = { 'n8n-nodes-base.noOp': new NoOp(), 'n8n-nodes-base.httpRequest': new HttpRequest() };
	const nodeTypes: INodeTypes = {
		getByName: (name) => base[name] ?? packageTypes.getByName(name),
		getByNameAndVersion: (name, version) => NodeHelpers.getVersionedNodeType(nodeTypes.getByName(name), version),
		getKnownTypes: () => ({
			...packageTypes.getKnownTypes(),
			...Object.fromEntries(Object.keys(base).map((name) => [name, { className: name, sourcePath: '' }])),
		}),
	};
	return nodeTypes;
}

export interface FakeResponse {
	statusCode: number | undefined;
	body: unknown;
	status(code: number): FakeResponse;
	json(body: unknown): FakeResponse;
	send(body?: unknown): FakeResponse;
	end(body?: unknown): FakeResponse;
}

function fakeResponse(): FakeResponse {
	const response: FakeResponse = {
		statusCode: undefined,
		body: undefined,
		status(code) {
			response.statusCode = code;
			return response;
		},
		json(body) {
			response.body = body;
			return response;
		},
		send(body) {
			response.body = body;
			return response;
		},
		end(body) {
			if (body !== undefined) response.body = body;
			return response;
		},
	};
	return response;
}

export interface IncomingCallback {
	body: string;
	headers: Record<string, string | string[] | undefined>;
	/**
	 * The request target as received (path and query), e.g. a ReceivedRequest's. Absent: sent to the address the PSA
	 * holds for this trigger (TriggerWorkflowOptions.callbackUrl), as a request crafted by a test is meant to be.
	 */
	path?: string;
}

/** The query as Express parses it for n8n: a repeated name becomes a list. */
export function queryOf(target: string): Record<string, string | string[]> {
	const query: Record<string, string | string[]> = {};
	for (const [name, value] of new URL(target, 'http://n8n.invalid').searchParams) {
		const before = query[name];
		query[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
	}
	return query;
}

export interface Delivered {
	/** What webhook() returned. */
	result: IWebhookResponseData;
	/** What webhook() answered through the response object itself (401, 400), if anything. */
	response: FakeResponse;
	/** The workflow run, when webhook() returned data (n8n starts a run only then). */
	run?: IRun;
	/** The trigger's items (from the run when there was one). */
	items: IDataObject[];
	/** How long webhook() took (n8n's own parsing of the request not included). */
	webhookMs: number;
	output(nodeName: string): IDataObject[];
}

export interface TriggerWorkflowOptions {
	id: string;
	webhookBaseUrl: string;
	parameters: INodeParameters;
	credentials: StoredCredential[];
	/** Defaults to the ConnectWise credential only. */
	nodeCredentials?: INode['credentials'];
	/** Extra nodes after the trigger (chained); a No Operation stand-in when absent. */
	workflow?: WorkflowJson;
	/** The URL the PSA holds for this trigger's callback (ConnectWise: with its token), where crafted requests are sent. */
	callbackUrl?: (wf: TriggerWorkflow) => string | undefined;
}

export const TRIGGER_NAME = 'PSA Trigger';

/** One active workflow whose first node is the PSA Trigger. */
export class TriggerWorkflow {
	readonly workflow: Workflow;
	readonly node: INode;
	private readonly credentials = new Map<string, StoredCredential>();
	private executions = 0;
	private readonly webhookBaseUrl: string;
	private readonly callbackUrl?: (wf: TriggerWorkflow) => string | undefined;

	constructor(options: TriggerWorkflowOptions) {
		for (const credential of options.credentials) this.credentials.set(credential.id, credential);
		this.webhookBaseUrl = options.webhookBaseUrl;
		this.callbackUrl = options.callbackUrl;
		const json = options.workflow ?? this.defaultWorkflow(options);
		this.workflow = new Workflow({
			id: options.id,
			name: json.name,
			nodes: json.nodes,
			connections: json.connections,
			active: true,
			settings: json.settings ?? { executionOrder: 'v1' },
			nodeTypes: triggerNodeTypes(),
			staticData: {},
		});
		const node = json.nodes.find((candidate) => candidate.type === `${PACKAGE}.psaTrigger`);
		if (!node) throw new Error('the workflow has no PSA Trigger');
		this.node = this.workflow.getNode(node.name) as INode;
	}

	private defaultWorkflow(options: TriggerWorkflowOptions): WorkflowJson {
		return {
			id: options.id,
			name: `trigger test ${options.id}`,
			nodes: [
				{
					id: `${options.id}-trigger`,
					name: TRIGGER_NAME,
					type: `${PACKAGE}.psaTrigger`,
					typeVersion: 1,
					position: [0, 0],
					webhookId: `${options.id}-hook`,
					parameters: options.parameters,
					credentials: options.nodeCredentials ?? { connectWisePsaApi: { id: options.credentials[0].id, name: options.credentials[0].name } },
				},
				{ id: `${options.id}-next`, name: 'Resolve alert', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [220, 0], parameters: {} },
			],
			connections: { [TRIGGER_NAME]: { main: [[{ node: 'Resolve alert', type: 'main', index: 0 }]] } },
			settings: { executionOrder: 'v1' },
		};
	}

	/** n8n's per-execution data; the request and response are set for webhook calls. */
	additionalData(extra: Record<string, unknown> = {}): IWorkflowExecuteAdditionalData {
		const executionId = `trigger-${++this.executions}`;
		const base = 'http://127.0.0.1:5678';
		const hooks = new ExecutionLifecycleHooks('webhook', executionId, {
			id: this.workflow.id,
			name: this.workflow.name ?? 'trigger',
			active: true,
			activeVersionId: null,
			isArchived: false,
			createdAt: new Date(),
			updatedAt: new Date(),
			nodes: Object.values(this.workflow.nodes),
			connections: this.workflow.connectionsBySourceNode,
		} as never);
		return {
			hooks,
			credentialsHelper: new CredentialsHelper(this.credentials, sourceTypes.credentials),
			executionId,
			variables: {},
			currentNodeExecutionIndex: 0,
			restApiUrl: `${base}/rest`,
			instanceBaseUrl: `${base}/`,
			formWaitingBaseUrl: `${base}/form-waiting`,
			webhookBaseUrl: this.webhookBaseUrl,
			webhookWaitingBaseUrl: `${base}/webhook-waiting`,
			webhookTestBaseUrl: `${base}/webhook-test`,
			executeWorkflow: async () => {
				throw new Error('sub-workflows are not used here');
			},
			getRunExecutionData: async () => undefined,
			getRuntimeCredential: async () => undefined,
			userId: 'test-user',
			...extra,
		} as unknown as IWorkflowExecuteAdditionalData;
	}

	private webhookData(additionalData: IWorkflowExecuteAdditionalData): IWebhookData {
		const description = trigger.description.webhooks?.[0];
		if (!description) throw new Error('PSA Trigger declares no webhook');
		return {
			httpMethod: 'POST',
			node: this.node.name,
			path: `${this.node.webhookId}/webhook`,
			webhookDescription: description,
			workflowId: String(this.workflow.id),
			workflowExecuteAdditionalData: additionalData,
			webhookId: this.node.webhookId,
		};
	}

	private hookContext(activation: 'activate' | 'update'): HookContext {
		const additionalData = this.additionalData();
		return new HookContext(this.workflow, this.node, additionalData, 'trigger', activation, this.webhookData(additionalData));
	}

	/** The URL n8n registers with the PSA for this trigger. */
	get webhookUrl(): string {
		return this.hookContext('activate').getNodeWebhookUrl('default') as string;
	}

	get staticData(): IDataObject {
		return this.workflow.getStaticData('node', this.node);
	}

	checkExists(): Promise<boolean> {
		return trigger.webhookMethods.default.checkExists.call(this.hookContext('activate'));
	}

	create(): Promise<boolean> {
		return trigger.webhookMethods.default.create.call(this.hookContext('activate'));
	}

	delete(): Promise<boolean> {
		return trigger.webhookMethods.default.delete.call(this.hookContext('activate'));
	}

	/** What n8n does on activation: create unless checkExists finds the callback. */
	async activate(): Promise<'exists' | 'created'> {
		if (await this.checkExists()) return 'exists';
		await this.create();
		return 'created';
	}

	/** A request as n8n's webhook server hands it to the node; runs the workflow when webhook() returns data. */
	async deliver(incoming: IncomingCallback): Promise<Delivered> {
		const response = fakeResponse();
		let parsed: unknown = {};
		try {
			parsed = JSON.parse(incoming.body);
		} catch {
			parsed = {};
		}
		const additionalData = this.additionalData({
			httpRequest: { body: parsed, headers: incoming.headers, params: {}, query: queryOf(incoming.path ?? this.callbackUrl?.(this) ?? ''), rawBody: Buffer.from(incoming.body, 'utf8') },
			httpResponse: response,
		});
		const context = new WebhookContext(this.workflow, this.node, additionalData, 'webhook', this.webhookData(additionalData), [], null);
		const started = performance.now();
		const result = await trigger.webhook.call(context);
		const webhookMs = performance.now() - started;
		if (!result.workflowData) return { result, response, items: [], output: () => [], webhookMs };
		const data = { startTime: Date.now(), executionTime: 0, executionIndex: 0, source: [], data: { main: result.workflowData } } as unknown as ITaskData;
		const run = await new WorkflowExecute(this.additionalData(), 'webhook').run({
			workflow: this.workflow,
			startNode: this.node,
			triggerToStartFrom: { name: this.node.name, data },
		});
		const output = (nodeName: string) => (run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[0] ?? []).map((item) => item.json);
		return { result, response, run, items: output(this.node.name), output, webhookMs };
	}
}
