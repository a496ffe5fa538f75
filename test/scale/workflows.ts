// The scale test's credentials and workflows (alert webhook -> PSA Link -> PSA Note -> PSA Status, one per PSA; PSA Trigger -> a receiver), imported with n8n's CLI.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { SandboxCredentials } from '../sandbox';
import { runN8nCliChecked, type N8nInstall } from '../e2e/n8n';
import { PACKAGE_NAME } from '../e2e/package-install';
import { API_CREDENTIAL, AUTOTASK_CREDENTIAL, type WorkflowJson } from '../e2e/workspace';
import { SOURCE } from './workload';

export const STORE_CREDENTIAL = { id: 'psaScaleStore', name: 'PSA State Store (PostgreSQL)', type: 'psaStateStore' } as const;
export const TRIGGER_WORKFLOW_ID = 'psaScaleTrigger01';
export const NODES = { webhook: 'Alert', link: 'Link alert to ticket', note: 'Add alert note', status: 'Set status' };

/** What differs between the PSAs in the alert workflow: its id and webhook, the PSA credential, company and board. */
export interface AlertTarget {
	psa: 'ConnectWise' | 'Autotask';
	workflowId: string;
	path: string;
	webhookId: string;
	credential: { id: string; name: string; type: string };
	companyId: string;
	/** ConnectWise: a service board; Autotask: a queue (8, Monitoring Alert). */
	boardId: number;
}

export const CONNECTWISE_ALERTS: AlertTarget = {
	psa: 'ConnectWise',
	workflowId: 'psaScaleAlerts01',
	path: 'psa-scale-alert',
	webhookId: '5c0a1e7e-9d2b-4f3c-8a10-5ca1e0000001',
	credential: API_CREDENTIAL,
	companyId: '250',
	boardId: 1,
};

export const AUTOTASK_ALERTS: AlertTarget = {
	psa: 'Autotask',
	workflowId: 'psaScaleAlertsAt01',
	path: 'psa-scale-alert-autotask',
	webhookId: '5c0a1e7e-9d2b-4f3c-8a10-5ca1e0000003',
	credential: AUTOTASK_CREDENTIAL,
	companyId: '175',
	boardId: 8,
};

/** The ConnectWise alert workflow (the re-send loop and the trigger phase read it). */
export const ALERT_WORKFLOW_ID = CONNECTWISE_ALERTS.workflowId;
export const ALERT_PATH = CONNECTWISE_ALERTS.path;

export interface StoreDatabase {
	host: string;
	port: number;
	user: string;
	database: string;
	schema: string;
}

/** A Fernet key: 32 random bytes, URL-safe base64. */
export function fernetKey(): string {
	return randomBytes(32).toString('base64url') + '=';
}

const credentials = (psa: AlertTarget['credential']): Record<string, { id: string; name: string }> => ({
	[psa.type]: { id: psa.id, name: psa.name },
	[STORE_CREDENTIAL.type]: { id: STORE_CREDENTIAL.id, name: STORE_CREDENTIAL.name },
});

const psaNode = (name: string, type: string, position: number, parameters: Record<string, unknown>, psa: AlertTarget['credential'] = API_CREDENTIAL) => ({
	id: randomUuid(name),
	name,
	type: `${PACKAGE_NAME}.${type}`,
	typeVersion: 1,
	position: [position * 220, 0],
	// The nodes' PSA selector (ConnectWise is the default and is left out, as the editor saves it).
	parameters: psa.type === API_CREDENTIAL.type ? parameters : { authentication: psa.type, ...parameters },
	credentials: credentials(psa),
});

function randomUuid(seed: string): string {
	const hex = Buffer.from(seed.padEnd(16, '.')).toString('hex').slice(0, 32).padEnd(32, '0');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const fromAlert = (field: string) => `={{ $('${NODES.webhook}').item.json.body.${field} }}`;

/** Webhook -> PSA Link -> PSA Note -> PSA Status on the target's PSA, every PSA node on the PostgreSQL store. */
export function alertWorkflow(target: AlertTarget = CONNECTWISE_ALERTS): WorkflowJson {
	const chain = [NODES.webhook, NODES.link, NODES.note, NODES.status];
	const psa = target.credential;
	return {
		id: target.workflowId,
		name: `PSA Bridge scale: alert -> link -> note -> status (${target.psa})`,
		nodes: [
			{
				id: randomUuid('alert-webhook'),
				name: NODES.webhook,
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: target.webhookId,
				// Answered as soon as the job is queued, as monitoring webhooks usually are; outcomes come from the executions API.
				parameters: { httpMethod: 'POST', path: target.path, responseMode: 'onReceived', options: {} },
			},
			psaNode(
				NODES.link,
				'psaLink',
				1,
				{
					operation: 'link',
					source: SOURCE,
					externalId: fromAlert('entity'),
					summary: `={{ 'Disk alert on ' + $('${NODES.webhook}').item.json.body.entity }}`,
					company: { __rl: true, mode: 'id', value: target.companyId },
					boardId: target.boardId,
					additionalFields: {},
					options: {},
				},
				psa,
			),
			psaNode(
				NODES.note,
				'psaNote',
				2,
				{
					operation: 'add',
					ticketBy: 'link',
					source: SOURCE,
					externalId: fromAlert('entity'),
					text: fromAlert('text'),
					noteType: 'internal',
					additionalFields: { dedupeKey: fromAlert('alertId') },
					options: {},
				},
				psa,
			),
			psaNode(
				NODES.status,
				'psaStatus',
				3,
				{
					operation: 'set',
					ticketBy: 'link',
					source: SOURCE,
					externalId: fromAlert('entity'),
					statusBy: 'name',
					statusName: fromAlert('status'),
					options: {},
				},
				psa,
			),
		],
		connections: Object.fromEntries(
			chain.slice(0, -1).map((name, index) => [name, { main: [[{ node: chain[index + 1], type: 'main', index: 0 }]] }]),
		),
		settings: { executionOrder: 'v1' },
		active: false,
	};
}

/** PSA Trigger (ticket updated and closed, linked tickets only) -> an HTTP call to the test's receiver. */
export function triggerWorkflow(receiverUrl: string): WorkflowJson {
	return {
		id: TRIGGER_WORKFLOW_ID,
		name: 'PSA Bridge scale: ticket closed -> resolve the alert',
		nodes: [
			{
				...psaNode('Ticket closed', 'psaTrigger', 0, {
					events: ['updated'],
					boardId: { __rl: true, mode: 'id', value: '1' },
					statusIds: [],
					companyId: { __rl: true, mode: 'list', value: '' },
					ticketState: 'closed',
					options: { linkedOnly: true },
				}),
				webhookId: '5c0a1e7e-9d2b-4f3c-8a10-5ca1e0000002',
			},
			{
				id: randomUuid('resolve-call'),
				name: 'Resolve alert',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [220, 0],
				parameters: {
					method: 'POST',
					url: `=${receiverUrl}/resolve/{{ encodeURIComponent($json.link.externalId) }}`,
					sendBody: true,
					specifyBody: 'json',
					jsonBody: '={{ JSON.stringify({ source: $json.link.source, entity: $json.link.externalId, ticketId: $json.ticketId, executionId: $execution.id }) }}',
					options: {},
				},
			},
		],
		connections: { 'Ticket closed': { main: [[{ node: 'Resolve alert', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
		active: false,
	};
}

/**
 * Imports the sandbox's ConnectWise credential, the Autotask sandbox's credential (user name, secret, integration
 * code, zone), the PostgreSQL store credential and the workflows into n8n's PostgreSQL database (the CLI runs against
 * whatever database the environment names).
 */
export async function importAll(
	install: N8nInstall,
	userFolder: string,
	env: Record<string, string>,
	sandbox: SandboxCredentials,
	autotask: Record<string, string>,
	store: StoreDatabase & { encryptionKey: string },
	workflows: WorkflowJson[],
): Promise<void> {
	const credentialFile = join(userFolder, 'scale-credentials.json');
	const apiData = { site: sandbox.site, companyId: sandbox.companyId, publicKey: sandbox.publicKey, privateKey: sandbox.privateKey, clientId: sandbox.clientId, apiVersion: '2025.8' };
	const storeData = {
		engine: 'postgres',
		host: store.host,
		port: store.port,
		database: store.database,
		user: store.user,
		password: '',
		ssl: 'off',
		schema: store.schema,
		encryptionKey: store.encryptionKey,
		previousKeys: '',
	};
	writeFileSync(
		credentialFile,
		JSON.stringify([
			{ ...API_CREDENTIAL, data: apiData },
			{ ...AUTOTASK_CREDENTIAL, data: { ...autotask } },
			{ ...STORE_CREDENTIAL, data: storeData },
		]),
		{ mode: 0o600 },
	);
	await runN8nCliChecked(install, ['import:credentials', `--input=${credentialFile}`], { userFolder, logLevel: 'error', extra: env, timeoutMs: 240_000 });
	const workflowFile = join(userFolder, 'scale-workflows.json');
	writeFileSync(workflowFile, JSON.stringify(workflows));
	await runN8nCliChecked(install, ['import:workflow', `--input=${workflowFile}`], { userFolder, logLevel: 'error', extra: env, timeoutMs: 240_000 });
}
