// Runs editor-exported workflow JSON through n8n-core's WorkflowExecute with this package's nodes and credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionLifecycleHooks, PollContext, WorkflowExecute } from 'n8n-core';
import {
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type ICredentialType,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRun,
	type ITaskData,
	type IVersionedNodeType,
	type IWorkflowExecuteAdditionalData,
	type IConnections,
	type IPinData,
	type IWorkflowSettings,
} from 'n8n-workflow';
export const PACKAGE = 'n8n-nodes-psa-bridge';

/** Stand-in for n8n-nodes-base's Manual Trigger (not installed here): emits one empty item, or the pinned ones. */
class ManualTrigger implements INodeType {
	description = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Runs the flow on clicking a button in n8n',
		defaults: { name: 'When clicking "Execute workflow"' },
		inputs: [],
		outputs: ['main'],
		properties: [] as INodeProperties[],
	} as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [[{ json: {} }]];
	}
}

export interface PackageTypes {
	/** Node classes by node type name without the package prefix, e.g. psaLink. */
	nodes: Record<string, INodeType | IVersionedNodeType>;
	/** Credential classes by credential type name. */
	credentials: Record<string, ICredentialType>;
	/** Stand-ins for n8n-nodes-base nodes an example uses, by full type name (e.g. n8n-nodes-base.httpRequest). */
	baseNodes?: Record<string, INodeType>;
}

export function nodeTypesOf(types: PackageTypes): INodeTypes {
	const byName: Record<string, INodeType | IVersionedNodeType> = { 'n8n-nodes-base.manualTrigger': new ManualTrigger() };
	for (const [name, type] of Object.entries(types.nodes)) byName[`${PACKAGE}.${name}`] = type;
	Object.assign(byName, types.baseNodes ?? {});
	const nodeTypes: INodeTypes = {
		getByName: (name) => {
			const type = byName[name];
			if (!type) throw new Error(`Unknown node type ${name}`);
			return type;
		},
		getByNameAndVersion: (name, version) => NodeHelpers.getVersionedNodeType(nodeTypes.getByName(name), version),
		getKnownTypes: () => Object.fromEntries(Object.keys(byName).map((name) => [name, { className: name, sourcePath: '' }])),
	};
	return nodeTypes;
}

export interface StoredCredential {
	id: string;
	name: string;
	type: string;
	data: ICredentialDataDecryptedObject;
}

/** Holds credentials by id and applies a credential type's `authenticate` (a function, or a generic block), as n8n's server does. */
export class CredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly credentials: Map<string, StoredCredential>,
		private readonly credentialTypes: Record<string, ICredentialType>,
	) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const type = this.credentialTypes[typeName];
		const authenticate = type?.authenticate;
		if (!authenticate) return requestOptions;
		if (typeof authenticate === 'function') return authenticate(credentials, requestOptions);
		const resolve = (value: unknown): unknown => {
			if (typeof value !== 'string' || !value.startsWith('=')) return value;
			if (workflow && node) {
				return workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: credentials }, undefined, '');
			}
			return value.slice(1).replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_, name: string) => String(credentials[name] ?? ''));
		};
		const options = requestOptions as unknown as Record<string, Record<string, unknown>>;
		for (const [outerKey, values] of Object.entries(authenticate.properties)) {
			options[outerKey] = { ...(options[outerKey] ?? {}) };
			for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
				options[outerKey][key] = resolve(value);
			}
		}
		return requestOptions;
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by the engine tests');
	}

	async getDecrypted(_additionalData: IWorkflowExecuteAdditionalData, nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentialDataDecryptedObject> {
		const stored =
			(nodeCredentials.id ? this.credentials.get(nodeCredentials.id) : undefined) ??
			[...this.credentials.values()].find((candidate) => candidate.type === type && candidate.name === nodeCredentials.name);
		if (!stored || stored.type !== type) throw new Error(`Credential ${nodeCredentials.name} (${type}) is not set up`);
		return { ...stored.data };
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.credentialTypes[type]?.properties ?? [];
	}
}

export interface WorkflowJson {
	id?: string;
	name?: string;
	nodes: INode[];
	connections: IConnections;
	settings?: IWorkflowSettings;
	pinData?: IPinData;
}

export interface EngineRun {
	run: IRun;
	/** The items a node output (first run, first output). */
	output(nodeName: string): INodeExecutionData[];
	/** The error the run stopped with, if any. */
	error: Error | undefined;
}

export class Engine {
	readonly credentials = new Map<string, StoredCredential>();
	private executions = 0;
	private readonly nodeTypes: INodeTypes;

	/** Types from the TypeScript sources (tests) or from dist/ (the demo, which then runs what n8n would load). */
	constructor(private readonly types: PackageTypes) {
		this.nodeTypes = nodeTypesOf(types);
	}

	addCredential(credential: StoredCredential): void {
		this.credentials.set(credential.id, credential);
	}

	async run(workflowJson: WorkflowJson): Promise<EngineRun> {
		const workflow = this.workflowOf(workflowJson, false);
		const run = await new WorkflowExecute(this.additionalData(workflowJson, 'manual'), 'manual').run({ workflow, pinData: workflowJson.pinData });
		return engineRun(run);
	}

	/**
	 * What n8n does with a polling trigger: calls its poll() in a PollContext (mode 'trigger' for an active workflow's
	 * schedule and activation, 'manual' for "Fetch Test Event") and, when it returns items, runs the workflow from it.
	 * `id` keeps the workflow's identity across polls (n8n's saved workflow id).
	 */
	async poll(workflowJson: WorkflowJson, nodeName: string, mode: 'trigger' | 'manual' = 'trigger'): Promise<PollRun> {
		const workflow = this.workflowOf(workflowJson, mode === 'trigger');
		const node = workflow.getNode(nodeName);
		if (!node) throw new Error(`the workflow has no node "${nodeName}"`);
		const nodeType = this.nodeTypes.getByNameAndVersion(node.type, node.typeVersion) as INodeType;
		if (!nodeType.poll) throw new Error(`"${nodeName}" is not a polling node`);
		const context = new PollContext(workflow, node, this.additionalData(workflowJson, mode), mode, 'activate');
		const polled = await nodeType.poll.call(context);
		if (polled === null) return { polled, run: undefined, items: [], output: () => [] };
		const data = { startTime: Date.now(), executionTime: 0, executionIndex: 0, source: [], data: { main: polled } } as unknown as ITaskData;
		const run = await new WorkflowExecute(this.additionalData(workflowJson, mode), mode).run({ workflow, startNode: node, triggerToStartFrom: { name: node.name, data } });
		const result = engineRun(run);
		return { polled, run: result, items: polled[0].map((item) => item.json), output: result.output };
	}

	private workflowOf(workflowJson: WorkflowJson, active: boolean): Workflow {
		return new Workflow({
			id: workflowJson.id ?? 'test-workflow',
			name: workflowJson.name,
			nodes: workflowJson.nodes,
			connections: workflowJson.connections,
			active,
			settings: workflowJson.settings ?? {},
			nodeTypes: this.nodeTypes,
			pinData: workflowJson.pinData,
		});
	}

	private additionalData(workflowJson: WorkflowJson, mode: 'manual' | 'trigger'): IWorkflowExecuteAdditionalData {
		const executionId = `test-${++this.executions}`;
		const hooks = new ExecutionLifecycleHooks(mode, executionId, {
			id: workflowJson.id ?? 'test-workflow',
			name: workflowJson.name ?? 'test',
			active: mode === 'trigger',
			activeVersionId: null,
			isArchived: false,
			createdAt: new Date(),
			updatedAt: new Date(),
			nodes: workflowJson.nodes,
			connections: workflowJson.connections,
		} as never);
		const base = 'http://127.0.0.1:5678';
		return {
			hooks,
			credentialsHelper: new CredentialsHelper(this.credentials, this.types.credentials),
			executionId,
			variables: {},
			currentNodeExecutionIndex: 0,
			restApiUrl: `${base}/rest`,
			instanceBaseUrl: `${base}/`,
			formBaseUrl: `${base}/form`,
			formWaitingBaseUrl: `${base}/form-waiting`,
			formTestBaseUrl: `${base}/form-test`,
			webhookBaseUrl: `${base}/webhook`,
			webhookWaitingBaseUrl: `${base}/webhook-waiting`,
			webhookTestBaseUrl: `${base}/webhook-test`,
			mcpBaseUrl: `${base}/mcp`,
			mcpTestBaseUrl: `${base}/mcp-test`,
			executeWorkflow: async () => {
				throw new Error('sub-workflows are not used here');
			},
			getRunExecutionData: async () => undefined,
			getRuntimeCredential: async () => undefined,
			userId: 'test-user',
		} as unknown as IWorkflowExecuteAdditionalData;
	}
}

function engineRun(run: IRun): EngineRun {
	return {
		run,
		error: run.data.resultData.error as Error | undefined,
		output: (nodeName: string) => run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[0] ?? [],
	};
}

/** One poll: what poll() returned (null: no run), and the run n8n would start from it. */
export interface PollRun {
	polled: INodeExecutionData[][] | null;
	run: EngineRun | undefined;
	/** The trigger's items (empty when poll() returned null). */
	items: IDataObject[];
	output(nodeName: string): INodeExecutionData[];
}

/** A temporary n8n user folder; the embedded store lives in it. Set before the first node runs. */
export function useTempUserFolder(): { folder: string; remove(): void } {
	const folder = mkdtempSync(join(tmpdir(), 'psa-bridge-engine-'));
	process.env.N8N_USER_FOLDER = folder;
	process.env.N8N_LOG_LEVEL = 'silent';
	return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

export type Json = IDataObject;
