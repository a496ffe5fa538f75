// One alert workflow JSON, run through n8n's engine against ConnectWise, Autotask and HaloPSA: only the PSA selector and the credential change between the runs.
import type { INode } from 'n8n-workflow';
import { startAutotaskSandbox, type AutotaskSandbox } from '../sandbox/autotask';
import { startHaloSandbox, type HaloSandbox } from '../sandbox/halopsa';
import { LINK_TYPE } from '../../lib/providers/halopsa/read';
import type { WorkflowJson } from '../engine/harness';
import { startEngineFixture, type EngineFixture } from '../engine/setup';

let fx: EngineFixture;
let autotask: AutotaskSandbox;
let halo: HaloSandbox;

const CREDENTIALS = {
	connectWisePsaApi: { id: 'three-cw', name: 'ConnectWise' },
	autotaskPsaApi: { id: 'three-at', name: 'Autotask' },
	haloPsaApi: { id: 'three-halo', name: 'HaloPSA' },
} as const;
type PsaCredentialType = keyof typeof CREDENTIALS;

/**
 * The workflow as saved once: the alert arrives with the customer it concerns; each tenant's company and board for
 * that customer are the workflow's routing table, keyed by the PSA the nodes are set to (tenants number their records
 * differently; the workflow does not change with the PSA).
 */
const ROUTING = "{ connectWisePsaApi: { company: 250, board: 1 }, autotaskPsaApi: { company: 175, board: 29683325 }, haloPsaApi: { company: 12, board: 1 } }[$parameter.authentication]";
function alertWorkflow(): WorkflowJson {
	const node = (name: string, type: string, parameters: Record<string, unknown>, x: number): INode => ({
		id: name,
		name,
		type: `n8n-nodes-psa-bridge.${type}`,
		typeVersion: 1,
		position: [x, 0],
		parameters: { authentication: 'connectWisePsaApi', ...parameters } as INode['parameters'],
		credentials: { connectWisePsaApi: CREDENTIALS.connectWisePsaApi },
	});
	const nodes: INode[] = [
		{ id: 'trigger', name: 'Alert', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		node('Link alert to ticket', 'psaLink', {
			operation: 'link',
			source: 'three-psas',
			externalId: '={{ $json.alertId }}',
			summary: '={{ $json.summary }}',
			company: { __rl: true, mode: 'id', value: `={{ (${ROUTING}).company }}` },
			boardId: `={{ (${ROUTING}).board }}`,
			additionalFields: { description: 'Raised by the monitoring alert.' },
			options: {},
		}, 220),
		node('Add alert note', 'psaNote', { operation: 'add', ticketBy: 'link', source: '={{ $json.source }}', externalId: '={{ $json.externalId }}', text: 'Monitoring: /var is at 97%.', noteType: 'internal', additionalFields: { dedupeKey: 'three-psas:first' } }, 440),
	];
	return {
		id: 'three-psas',
		name: 'alert on any PSA',
		nodes,
		connections: {
			Alert: { main: [[{ node: 'Link alert to ticket', type: 'main', index: 0 }]] },
			'Link alert to ticket': { main: [[{ node: 'Add alert note', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		pinData: { Alert: [{ json: { alertId: 'disk-full-web01', summary: 'Disk almost full on web01 (/var at 97%)' } as never }] },
	};
}

/** The same JSON with only the PSA selector and the credential of each PSA node changed. */
function onPsa(workflow: WorkflowJson, credentialType: PsaCredentialType): WorkflowJson {
	const copy = JSON.parse(JSON.stringify(workflow)) as WorkflowJson;
	for (const node of copy.nodes) {
		if (!node.credentials) continue;
		node.parameters.authentication = credentialType;
		node.credentials = { [credentialType]: CREDENTIALS[credentialType] };
	}
	return copy;
}

beforeAll(async () => {
	fx = await startEngineFixture();
	autotask = await startAutotaskSandbox({ port: 0 });
	halo = await startHaloSandbox({ port: 0 });
	fx.engine.addCredential({ ...CREDENTIALS.connectWisePsaApi, type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site } });
	fx.engine.addCredential({ ...CREDENTIALS.autotaskPsaApi, type: 'autotaskPsaApi', data: { ...autotask.credentials } });
	fx.engine.addCredential({ ...CREDENTIALS.haloPsaApi, type: 'haloPsaApi', data: { ...halo.credentials } });
});

afterAll(async () => {
	await halo?.stop();
	await autotask?.stop();
	await fx?.close();
});

it('runs unchanged on ConnectWise, Autotask and HaloPSA: one ticket each, found again on a second run, one note each', async () => {
	const workflow = alertWorkflow();
	const differences = (type: PsaCredentialType) => {
		const changed = onPsa(workflow, type);
		return changed.nodes.flatMap((node, index) => (JSON.stringify({ ...node, parameters: { ...node.parameters, authentication: undefined }, credentials: undefined }) === JSON.stringify({ ...workflow.nodes[index], parameters: { ...workflow.nodes[index].parameters, authentication: undefined }, credentials: undefined }) ? [] : [node.name]));
	};
	for (const type of Object.keys(CREDENTIALS) as PsaCredentialType[]) {
		expect(differences(type)).toEqual([]);
		const first = await fx.engine.run(onPsa(workflow, type));
		expect({ type, error: first.error?.message }).toEqual({ type, error: undefined });
		const linked = first.output('Link alert to ticket')[0].json;
		expect(linked).toMatchObject({ created: true });
		const again = await fx.engine.run(onPsa(workflow, type));
		expect(again.output('Link alert to ticket')[0].json).toMatchObject({ created: false, ticketId: linked.ticketId });
		expect(again.output('Add alert note')[0].json).toMatchObject({ deduplicated: true });
	}
	expect(fx.sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'three-psas:disk-full-web01')).toHaveLength(1);
	expect(autotask.db.tickets.filter((ticket) => ticket.externalID === 'three-psas:disk-full-web01')).toHaveLength(1);
	const haloLinks = halo.db.externalLinks.filter((link) => link.third_party_id === 'three-psas:disk-full-web01' && link.third_party_type === LINK_TYPE);
	expect(haloLinks).toHaveLength(1);
	expect(halo.db.actions.filter((action) => action.ticket_id === haloLinks[0].halo_id && !action.system && action.note === 'Monitoring: /var is at 97%.')).toHaveLength(1);
	expect(halo.db.tickets.find((ticket) => ticket.id === haloLinks[0].halo_id)).toMatchObject({ client_id: 12, tickettype_id: 1 });
});
