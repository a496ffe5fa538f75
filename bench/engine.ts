// Benchmark wiring: the engine tests' n8n harness plus n8n's own HTTP Request and If nodes (or a faithful stand-in) against the sandbox.
import { fork } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import Module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NodeHelpers, type INodeType, type INodeTypes, type IVersionedNodeType } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../test/sandbox';
import { startAutotaskSandbox, type AutotaskSandbox, type AutotaskSandboxOptions } from '../test/sandbox/autotask';
import type { AutotaskSnapshot, ChildRequest } from './autotask-sandbox-child';
import { Engine, PACKAGE, useTempUserFolder, type PackageTypes } from '../test/engine/harness';
import { AUTOTASK_CREDENTIAL, PSA_CREDENTIAL, sourceTypes } from '../test/engine/setup';
import { EmulatedHttpRequest, EmulatedIf } from './naive-nodes';

export const BASIC_CREDENTIAL = { id: 'cw-basic', name: 'ConnectWise basic auth' };

export interface BaseNodes {
	httpRequest: INodeType | IVersionedNodeType;
	if: INodeType | IVersionedNodeType;
	/** Where the nodes came from: a path to n8n-nodes-base, or the stand-in. */
	origin: string;
	real: boolean;
}

/** n8n-nodes-base is not a dependency (it is huge); use a copy on this machine when there is one. */
export function findNodesBase(): string | undefined {
	const candidates: string[] = [];
	if (process.env.BENCH_N8N_NODES_BASE) candidates.push(process.env.BENCH_N8N_NODES_BASE);
	try {
		candidates.push(join(require.resolve('n8n-nodes-base/package.json'), '..'));
	} catch {
		// not installed next to the package
	}
	// The end-to-end suite's cached n8n install (test/e2e/n8n.ts), newest first.
	const e2eCache = process.env.PSA_E2E_CACHE || join(homedir(), '.cache', 'psa-bridge-e2e');
	if (existsSync(e2eCache)) {
		for (const install of readdirSync(e2eCache).filter((name) => name.startsWith('n8n-')).sort().reverse()) {
			candidates.push(join(e2eCache, install, 'node_modules', 'n8n-nodes-base'));
		}
	}
	return candidates.find((candidate) => existsSync(join(candidate, 'dist', 'nodes', 'HttpRequest', 'HttpRequest.node.js')));
}

let baseNodes: BaseNodes | undefined;

export function loadBaseNodes(): BaseNodes {
	if (baseNodes) return baseNodes;
	const root = process.env.BENCH_EMULATE_HTTP_NODE ? undefined : findNodesBase();
	if (root) {
		// One n8n-workflow in the process: the nodes resolve it (and n8n-core) from this package, like n8n's own loader does.
		const moduleApi = Module as unknown as { _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string };
		const original = moduleApi._resolveFilename;
		moduleApi._resolveFilename = function (request: string, parent: unknown, ...rest: unknown[]) {
			if (request === 'n8n-workflow' || request === 'n8n-core') return original.call(this, request, module, ...rest);
			return original.call(this, request, parent, ...rest);
		};
		try {
			const load = Module.createRequire(__filename);
			const { HttpRequest } = load(join(root, 'dist', 'nodes', 'HttpRequest', 'HttpRequest.node.js'));
			const { If } = load(join(root, 'dist', 'nodes', 'If', 'If.node.js'));
			const version = (load(join(root, 'package.json')) as { version: string }).version;
			baseNodes = { httpRequest: new HttpRequest(), if: new If(), origin: `n8n-nodes-base ${version} (${root})`, real: true };
			return baseNodes;
		} catch (error) {
			console.log(`n8n-nodes-base at ${root} did not load (${(error as Error).message}); using the stand-in nodes`);
		} finally {
			moduleApi._resolveFilename = original;
		}
	}
	baseNodes = { httpRequest: new EmulatedHttpRequest(), if: new EmulatedIf(), origin: 'bench/naive-nodes.ts (stand-in)', real: false };
	return baseNodes;
}

function benchNodeTypes(types: PackageTypes = sourceTypes): INodeTypes {
	const base = loadBaseNodes();
	const harnessProbe = new Engine(types) as unknown as { nodeTypes?: INodeTypes };
	if (!harnessProbe.nodeTypes) throw new Error('test/engine/harness.ts Engine no longer keeps its node types in `nodeTypes`; update bench/engine.ts');
	const packageTypes = harnessProbe.nodeTypes;
	const extra: Record<string, INodeType | IVersionedNodeType> = {
		'n8n-nodes-base.httpRequest': base.httpRequest,
		'n8n-nodes-base.if': base.if,
	};
	const nodeTypes: INodeTypes = {
		getByName: (name) => extra[name] ?? packageTypes.getByName(name),
		getByNameAndVersion: (name, version) => NodeHelpers.getVersionedNodeType(nodeTypes.getByName(name), version),
		getKnownTypes: () => ({
			...packageTypes.getKnownTypes(),
			...Object.fromEntries(Object.keys(extra).map((name) => [name, { className: name, sourcePath: '' }])),
		}),
	};
	return nodeTypes;
}

let userFolder: { folder: string; remove(): void } | undefined;

/** One temp n8n user folder per process (the embedded store lives there); removed by closeBench(). */
export function benchUserFolder(): string {
	userFolder ??= useTempUserFolder();
	return userFolder.folder;
}

export interface BenchFixture {
	sandbox: Sandbox;
	engine: Engine;
	stop(): Promise<void>;
}

export interface SandboxAddress {
	site: string;
	credentials: Sandbox['credentials'];
	/** For the HTTP Request workflow, which types the codebase into its URLs. */
	apiBaseUrl?: string;
}

/** An engine with this package's nodes (or the given types), HTTP Request and If, and credentials for the sandbox at the address. */
export function benchEngine(sandbox: SandboxAddress, types: PackageTypes = sourceTypes): Engine {
	benchUserFolder();
	const engine = new Engine(types);
	(engine as unknown as { nodeTypes: INodeTypes }).nodeTypes = benchNodeTypes(types);
	engine.addCredential({
		...PSA_CREDENTIAL,
		type: 'connectWisePsaApi',
		data: { ...sandbox.credentials, site: sandbox.site, apiVersion: '2025.8', endpointVersions: {} },
	});
	const { companyId, publicKey, privateKey } = sandbox.credentials;
	engine.addCredential({ ...BASIC_CREDENTIAL, type: 'httpBasicAuth', data: { user: `${companyId}+${publicKey}`, password: privateKey } });
	return engine;
}

/** A fresh sandbox (own tickets, own connection id) and an engine whose credentials point at it. */
export async function startBench(options: { latencyMs?: number; rateLimitPerSecond?: number } = {}): Promise<BenchFixture> {
	const sandbox = await startSandbox({ port: 0, latencyMs: options.latencyMs ?? 0, rateLimitPerSecond: options.rateLimitPerSecond ?? 0, recordResponses: false });
	return { sandbox, engine: benchEngine(sandbox), stop: () => sandbox.stop() };
}

/** What the Autotask rows read from the sandbox, wherever it runs. */
export interface AutotaskSandboxView {
	/** 'in-process': the sandbox shares the engine's event loop; 'child': its own process, as a remote PSA. */
	where: 'in-process' | 'child';
	resetLog(): Promise<void>;
	snapshot(): Promise<AutotaskSnapshot>;
}

export interface AutotaskBenchFixture {
	sandbox: AutotaskSandboxView;
	engine: Engine;
	/** The API user and its zone: for requests sent past the package (table 2's baseline). */
	credentials: Record<string, string>;
	stop(): Promise<void>;
}

function inProcessView(sandbox: AutotaskSandbox): AutotaskSandboxView {
	return {
		where: 'in-process',
		resetLog: async () => sandbox.resetLog(),
		snapshot: async () => {
			const entities = [...new Set(sandbox.requests.map((entry) => entry.entity).filter((entity): entity is string => Boolean(entity)))];
			return {
				requests: sandbox.requests.map((entry) => ({ at: entry.at, entity: entry.entity, status: entry.status, heldMs: entry.heldMs })),
				refusals: sandbox.threadLimitRefusals,
				maxInFlight: Object.fromEntries(entities.map((entity) => [entity, sandbox.maxConcurrentSeen(entity)])),
				tickets: sandbox.db.tickets.map((ticket) => ({ externalID: ticket.externalID, status: ticket.status })),
			};
		},
	};
}

/** The sandbox in a child process (bench/autotask-sandbox-child.ts, run with this process's tsx loader), over IPC. */
async function childSandbox(options: AutotaskSandboxOptions): Promise<{ view: AutotaskSandboxView; credentials: Record<string, string>; stop(): Promise<void> }> {
	const child = fork(join(__dirname, 'autotask-sandbox-child.ts'), [], { env: { ...process.env, BENCH_AUTOTASK_SANDBOX: JSON.stringify(options) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	const credentials = await new Promise<Record<string, string>>((resolve, reject) => {
		child.once('message', (message: { ready?: boolean; credentials?: Record<string, string> }) => (message.ready && message.credentials ? resolve(message.credentials) : reject(new Error('the sandbox child did not start'))));
		child.once('exit', (code) => reject(new Error(`the sandbox child exited with ${code}`)));
	});
	let next = 0;
	const call = <T>(cmd: ChildRequest['cmd']) =>
		new Promise<T>((resolve) => {
			const id = ++next;
			const listener = (message: { id?: number } & T) => {
				if (message.id !== id) return;
				child.off('message', listener);
				resolve(message);
			};
			child.on('message', listener);
			child.send({ id, cmd });
		});
	return {
		credentials,
		view: {
			where: 'child',
			resetLog: async () => void (await call<unknown>('reset')),
			snapshot: async () => (await call<{ snapshot: AutotaskSnapshot }>('snapshot')).snapshot,
		},
		stop: async () => {
			if (child.exitCode === null) await call<unknown>('stop');
		},
	};
}

/** The PostgreSQL state store credential the Autotask scenario may put on its nodes (the queue-mode setup). */
export const BENCH_PG_STORE_CREDENTIAL = { id: 'bench-pg-store', name: 'Bench state store (PostgreSQL)' };

/**
 * A fresh Autotask sandbox (its own zone, so its own connection and limiter) with its thread limit, and an engine with
 * its credential; with `postgres`, also a PostgreSQL state store credential (limits shared through the store).
 */
export async function startAutotaskBench(options: {
	latencyMs: number;
	threadLimit: number;
	threadLimitStatus?: 429 | 500;
	/** Run the sandbox in a child process. */
	child?: boolean;
	postgres?: { host: string; port: number; user: string; database: string; schema: string; encryptionKey: string };
}): Promise<AutotaskBenchFixture> {
	const sandboxOptions: AutotaskSandboxOptions = { port: 0, latencyMs: options.latencyMs, threadLimit: options.threadLimit, threadLimitStatus: options.threadLimitStatus ?? 500, recordResponses: false };
	let view: AutotaskSandboxView;
	let credentials: Record<string, string>;
	let stop: () => Promise<void>;
	if (options.child) {
		const child = await childSandbox(sandboxOptions);
		({ view, credentials, stop } = child);
	} else {
		const sandbox = await startAutotaskSandbox(sandboxOptions);
		view = inProcessView(sandbox);
		credentials = { ...sandbox.credentials };
		stop = () => sandbox.stop();
	}
	// The package keys an Autotask connection (its cached zone, its limiter) by the API user: a sandbox started after
	// another one with the same user must not be sent to the first one's zone.
	const { sharedCache } = await import('../nodes/shared/context');
	sharedCache.clear();
	benchUserFolder();
	const engine = new Engine(sourceTypes);
	(engine as unknown as { nodeTypes: INodeTypes }).nodeTypes = benchNodeTypes();
	engine.addCredential({ ...AUTOTASK_CREDENTIAL, type: 'autotaskPsaApi', data: { ...credentials } });
	if (options.postgres) {
		const pg = options.postgres;
		engine.addCredential({
			...BENCH_PG_STORE_CREDENTIAL,
			type: 'psaStateStore',
			data: { engine: 'postgres', host: pg.host, port: pg.port, database: pg.database, user: pg.user, password: '', ssl: 'off', schema: pg.schema, encryptionKey: pg.encryptionKey, previousKeys: '' },
		});
	}
	return { sandbox: view, engine, credentials, stop };
}

export async function closeBench(): Promise<void> {
	const { closeAllStores } = await import('../nodes/shared/context');
	await closeAllStores();
	userFolder?.remove();
	userFolder = undefined;
}

export { AUTOTASK_CREDENTIAL, PACKAGE, PSA_CREDENTIAL };
