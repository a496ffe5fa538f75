// Fills an n8n user folder for the suite and the local editor: the sandbox's credential and the example workflows, through n8n's CLI.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Sandbox, SandboxCredentials } from '../sandbox';
import { sandboxClient } from '../sandbox/client';
import { runN8nCliChecked, type N8nInstall } from './n8n';
import { PACKAGE_NAME, REPO_ROOT } from './package-install';

// The id and name the example workflows in docs/examples refer to, so they import unchanged.
export const API_CREDENTIAL = { id: 'psaBridgeSandbox', name: 'ConnectWise PSA sandbox', type: 'connectWisePsaApi' } as const;
export const AUTOTASK_CREDENTIAL = { id: 'psaBridgeAutotaskSandbox', name: 'Autotask PSA sandbox', type: 'autotaskPsaApi' } as const;
export const EXAMPLES_DIR = join(REPO_ROOT, 'docs', 'examples');
export const AUTOTASK_EXAMPLES_DIR = join(EXAMPLES_DIR, 'autotask');
export const HALO_CREDENTIAL = { id: 'psaBridgeHaloSandbox', name: 'HaloPSA sandbox', type: 'haloPsaApi' } as const;
export const HALO_EXAMPLES_DIR = join(EXAMPLES_DIR, 'halopsa');

/** Imports the HaloPSA sandbox's credential (resource URL, client ID and secret, scope) with `n8n import:credentials`. */
export async function importHaloCredential(install: N8nInstall, userFolder: string, credentials: Record<string, string>): Promise<void> {
	const file = join(userFolder, 'credentials-import-halopsa.json');
	writeFileSync(file, JSON.stringify([{ ...HALO_CREDENTIAL, data: { ...credentials } }], null, '\t'), { mode: 0o600 });
	await runN8nCliChecked(install, ['import:credentials', `--input=${file}`], { userFolder, logLevel: 'error' });
}

/** Imports the Autotask sandbox's credential (user name, secret, integration code, its zone) with `n8n import:credentials`. */
export async function importAutotaskCredential(install: N8nInstall, userFolder: string, credentials: Record<string, string>): Promise<void> {
	const file = join(userFolder, 'credentials-import-autotask.json');
	writeFileSync(file, JSON.stringify([{ ...AUTOTASK_CREDENTIAL, data: { ...credentials } }], null, '\t'), { mode: 0o600 });
	await runN8nCliChecked(install, ['import:credentials', `--input=${file}`], { userFolder, logLevel: 'error' });
}

/**
 * Imports the sandbox's ConnectWise credential with `n8n import:credentials`. The file holds `data` in clear:
 * n8n 2.30's import encrypts a `data` object with the instance's key (commands/import/credentials).
 */
export async function importSandboxCredential(install: N8nInstall, userFolder: string, credentials: SandboxCredentials): Promise<void> {
	const file = join(userFolder, 'credentials-import.json');
	const data = {
		site: credentials.site,
		companyId: credentials.companyId,
		publicKey: credentials.publicKey,
		privateKey: credentials.privateKey,
		clientId: credentials.clientId,
		apiVersion: '2025.8',
	};
	writeFileSync(file, JSON.stringify([{ ...API_CREDENTIAL, data }], null, '\t'), { mode: 0o600 });
	await runN8nCliChecked(install, ['import:credentials', `--input=${file}`], { userFolder, logLevel: 'error' });
}

export interface WorkflowFile {
	file: string;
	id: string;
	name: string;
	json: WorkflowJson;
}

export interface WorkflowNode {
	id?: string;
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id?: string; name: string }>;
	webhookId?: string;
	[key: string]: unknown;
}

export interface WorkflowJson {
	id?: string;
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
	active?: boolean;
	[key: string]: unknown;
}

/** An empty canvas (a Manual Trigger only) for adding nodes in the editor. */
export const EDITOR_CANVAS_WORKFLOW: { id: string; json: WorkflowJson } = {
	id: 'psaEditorCanvas01',
	json: {
		name: 'PSA Bridge: editor canvas',
		nodes: [
			{
				id: '6f1d2c3b-8a4e-4f50-9b61-7c8d9e0f1a2b',
				name: "When clicking 'Execute workflow'",
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	},
};

/** A stable workflow id for a file (n8n ids are at most 21 characters), so re-imports replace instead of duplicating. */
export function workflowIdFor(file: string): string {
	return 'psa' + createHash('sha256').update(file).digest('hex').slice(0, 13);
}

/** The example workflows in docs/examples, each pointed at the sandbox credential and given an id. */
/** The example workflows of one folder (docs/examples, or docs/examples/autotask with `prefix` "autotask/"). */
export function exampleWorkflows(dir = EXAMPLES_DIR, prefix = ''): WorkflowFile[] {
	if (!existsSync(dir)) return [];
	return readdirSync(dir)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((name) => {
			const file = `${prefix}${name}`;
			const json = JSON.parse(readFileSync(join(dir, name), 'utf8')) as WorkflowJson;
			return { file, ...prepareWorkflow(json, file) };
		});
}

/** Points every node of this package at the sandbox credential and gives the workflow an id (kept when it has one). */
export function prepareWorkflow(json: WorkflowJson, file: string): { id: string; name: string; json: WorkflowJson } {
	const id = typeof json.id === 'string' && json.id.length > 0 && json.id.length <= 21 ? json.id : workflowIdFor(file);
	const nodes = json.nodes.map((node) => {
		if (!node.type.startsWith(`${PACKAGE_NAME}.`)) return node;
		const chosen = (node.parameters as Record<string, unknown> | undefined)?.authentication;
		const psa = [AUTOTASK_CREDENTIAL, HALO_CREDENTIAL].find((credential) => credential.type === chosen) ?? API_CREDENTIAL;
		const credentials = { ...node.credentials, [psa.type]: { id: psa.id, name: psa.name } };
		return { ...node, credentials };
	});
	return { id, name: json.name, json: { ...json, id, nodes, active: false, settings: json.settings ?? {} } };
}

/** One `n8n import:workflow` call for all of them (the file holds an array; each CLI start costs seconds). */
export async function importWorkflows(install: N8nInstall, userFolder: string, workflows: Array<{ id: string; json: WorkflowJson }>): Promise<void> {
	const file = join(userFolder, `workflows-import-${Date.now()}.json`);
	writeFileSync(file, JSON.stringify(workflows.map((workflow) => ({ ...workflow.json, id: workflow.id })), null, '\t'));
	await runN8nCliChecked(install, ['import:workflow', `--input=${file}`], { userFolder, logLevel: 'error' });
}

/** Makes sure the sandbox has an open ticket for ticket dropdowns (it starts with none); returns its id. */
export async function ensureOpenTicket(sandbox: Sandbox, summary = 'Printer offline on floor 2'): Promise<number> {
	const existing = sandbox.db.tickets.find((ticket) => !ticket.closedFlag);
	if (existing) return existing.id;
	const created = await sandboxClient(sandbox)<{ id: number }>('POST', '/service/tickets', {
		body: { summary, company: { id: 250 }, board: { id: 1 } },
	});
	if (created.status !== 201) throw new Error(`the sandbox refused to create a ticket: ${created.status} ${JSON.stringify(created.body)}`);
	return created.body.id;
}
