// Shared set-up of the engine tests: a sandbox, a temp n8n user folder (embedded store), credentials, workflow builders.
import type { INode, INodeParameters } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../sandbox';
import { startAutotaskSandbox, type AutotaskSandbox } from '../sandbox/autotask';
import { startHaloSandbox, type HaloSandbox } from '../sandbox/halopsa';
import { AutotaskPsaApi } from '../../credentials/AutotaskPsaApi.credentials';
import { ConnectWisePsaApi } from '../../credentials/ConnectWisePsaApi.credentials';
import { HaloPsaApi } from '../../credentials/HaloPsaApi.credentials';
import { PsaStateStore } from '../../credentials/PsaStateStore.credentials';
import { PsaCatchUpTrigger } from '../../nodes/PsaCatchUpTrigger/PsaCatchUpTrigger.node';
import { PsaConnect } from '../../nodes/PsaConnect/PsaConnect.node';
import { PsaLink } from '../../nodes/PsaLink/PsaLink.node';
import { PsaMemberMap } from '../../nodes/PsaMemberMap/PsaMemberMap.node';
import { PsaNote } from '../../nodes/PsaNote/PsaNote.node';
import { PsaStatus } from '../../nodes/PsaStatus/PsaStatus.node';
import { PsaTicket } from '../../nodes/PsaTicket/PsaTicket.node';
import { Engine, PACKAGE, useTempUserFolder, type PackageTypes, type StoredCredential, type WorkflowJson } from './harness';

/** The package's types from the TypeScript sources. */
export const sourceTypes: PackageTypes = {
	nodes: { psaConnect: new PsaConnect(), psaLink: new PsaLink(), psaNote: new PsaNote(), psaStatus: new PsaStatus(), psaTicket: new PsaTicket(), psaMemberMap: new PsaMemberMap(), psaCatchUpTrigger: new PsaCatchUpTrigger() },
	credentials: { connectWisePsaApi: new ConnectWisePsaApi(), autotaskPsaApi: new AutotaskPsaApi(), haloPsaApi: new HaloPsaApi(), psaStateStore: new PsaStateStore() },
};

export const PSA_CREDENTIAL = { id: 'cw-sandbox', name: 'ConnectWise sandbox' };

/** The engine against one running sandbox, with the credential the examples name, in a temp n8n user folder. */
export interface PsaEngineFixture<S extends { stop(): Promise<void> }> {
	sandbox: S;
	engine: Engine;
	userFolder: string;
	close(): Promise<void>;
}

export type EngineFixture = PsaEngineFixture<Sandbox>;
export type AutotaskEngineFixture = PsaEngineFixture<AutotaskSandbox>;
export type HaloEngineFixture = PsaEngineFixture<HaloSandbox>;

async function startFixture<S extends { stop(): Promise<void> }>(start: () => Promise<S>, credential: (sandbox: S) => StoredCredential): Promise<PsaEngineFixture<S>> {
	const folder = useTempUserFolder();
	const sandbox = await start();
	const engine = new Engine(sourceTypes);
	engine.addCredential(credential(sandbox));
	return {
		sandbox,
		engine,
		userFolder: folder.folder,
		close: async () => {
			// The node layer keeps stores open for the process's lifetime; tests close them.
			const { closeAllStores } = await import('../../nodes/shared/context');
			await closeAllStores();
			await sandbox.stop();
			folder.remove();
		},
	};
}

export function startEngineFixture(): Promise<EngineFixture> {
	return startFixture(
		() => startSandbox({ port: 0 }),
		(sandbox) => ({ ...PSA_CREDENTIAL, type: 'connectWisePsaApi', data: { ...sandbox.credentials, site: sandbox.site, apiVersion: '2025.8', endpointVersions: {} } }),
	);
}

export const AUTOTASK_CREDENTIAL = { id: 'psaBridgeAutotaskSandbox', name: 'Autotask PSA sandbox' };

/** The engine against the Autotask sandbox, with the credential the Autotask examples name. */
export function startAutotaskEngineFixture(): Promise<AutotaskEngineFixture> {
	return startFixture(
		() => startAutotaskSandbox({ port: 0 }),
		(sandbox) => ({ ...AUTOTASK_CREDENTIAL, type: 'autotaskPsaApi', data: { ...sandbox.credentials } }),
	);
}

export const HALO_CREDENTIAL = { id: 'psaBridgeHaloSandbox', name: 'HaloPSA sandbox' };

/** The engine against the HaloPSA sandbox, with the credential the HaloPSA examples name. */
export function startHaloEngineFixture(): Promise<HaloEngineFixture> {
	return startFixture(
		() => startHaloSandbox({ port: 0 }),
		(sandbox) => ({ ...HALO_CREDENTIAL, type: 'haloPsaApi', data: { ...sandbox.credentials } }),
	);
}

/** Requests the Autotask sandbox saw since the last reset, split into the work and the cached lookups (zone, picklists). */
export function autotaskRequests(sandbox: AutotaskSandbox): { work: Record<string, number>; lookups: Record<string, number> } {
	const work: Record<string, number> = {};
	const lookups: Record<string, number> = {};
	for (const [key, count] of Object.entries(sandbox.counters())) {
		if (key === 'total') continue;
		const target = /zoneinformation|entityinformation|versioninformation/i.test(key) ? lookups : work;
		target[key] = count;
	}
	work.total = Object.values(work).reduce((sum, count) => sum + count, 0);
	return { work, lookups };
}

export interface NodeSpec {
	name: string;
	/** Node type without the package prefix, e.g. psaLink. */
	type: string;
	parameters: Record<string, unknown>;
	continueOnFail?: boolean;
	credentials?: INode['credentials'];
}

/** A workflow as the editor exports it: Manual Trigger (with pinned input items) -> the given nodes in a chain. */
export function chainWorkflow(nodes: NodeSpec[], inputItems?: Array<Record<string, unknown>>): WorkflowJson {
	const trigger: INode = {
		id: 'trigger',
		name: 'Manual Trigger',
		type: 'n8n-nodes-base.manualTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const psaNodes: INode[] = nodes.map((spec, index) => ({
		id: `node-${index}`,
		name: spec.name,
		type: `${PACKAGE}.${spec.type}`,
		typeVersion: 1,
		position: [220 * (index + 1), 0],
		parameters: spec.parameters as INodeParameters,
		credentials: spec.credentials ?? { connectWisePsaApi: PSA_CREDENTIAL },
		...(spec.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
	}));
	const all = [trigger, ...psaNodes];
	const connections: WorkflowJson['connections'] = {};
	for (let i = 0; i < all.length - 1; i++) {
		connections[all[i].name] = { main: [[{ node: all[i + 1].name, type: 'main', index: 0 }]] };
	}
	return {
		id: 'engine-test',
		name: 'engine test',
		nodes: all,
		connections,
		settings: { executionOrder: 'v1' },
		pinData: inputItems ? { 'Manual Trigger': inputItems.map((json) => ({ json: json as never })) } : undefined,
	};
}

/** Requests the sandbox saw since the last reset, without the codebase lookup (made once per connection per cache TTL). */
export function psaRequests(sandbox: Sandbox): Record<string, number> {
	const counters = { ...sandbox.counters() };
	const codebase = counters['GET /login/companyinfo/{companyId}'] ?? 0;
	delete counters['GET /login/companyinfo/{companyId}'];
	counters.total = (counters.total ?? 0) - codebase;
	return counters;
}
