// The demo: runs the example workflows through n8n's engine against the ConnectWise, Autotask and HaloPSA sandboxes on the embedded store, and shows what happened.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { PsaPermissionCheck } from '../lib/providers/types';
import { checkNodeVersion } from './node-version';

const root = resolve(__dirname, '..');
// The demo owns this folder (the embedded store lives in it) and starts it afresh, like the sandbox it talks to.
const defaultFolder = join(root, '.tmp', 'demo-n8n');
if (!process.env.N8N_USER_FOLDER) {
	rmSync(defaultFolder, { recursive: true, force: true });
	mkdirSync(defaultFolder, { recursive: true });
	process.env.N8N_USER_FOLDER = defaultFolder;
}
process.env.N8N_LOG_LEVEL ??= 'silent';

const EXAMPLES = ['connection-test.json', 'alert-to-ticket.json', 'member-resolve.json', 'alert-lifecycle.json', 'rmm-alert-classified-ticket.json'];

async function main(): Promise<void> {
	if (!checkNodeVersion()) {
		process.exitCode = 1;
		return;
	}
	// Loaded after N8N_USER_FOLDER is set: the store resolves its default location from it.
	/* eslint-disable @typescript-eslint/no-require-imports */
	const { startSandbox } = require('../test/sandbox') as typeof import('../test/sandbox');
	const { Engine } = require('../test/engine/harness') as typeof import('../test/engine/harness');
	// The built package, as n8n loads it (npm run demo builds first).
	const dist = (file: string) => {
		const path = join(root, 'dist', file);
		if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run build" first (npm run demo does).`);
		return require(path);
	};
	const { closeAllStores } = dist('nodes/shared/context.js') as typeof import('../nodes/shared/context');
	const types = {
		nodes: {
			psaConnect: new (dist('nodes/PsaConnect/PsaConnect.node.js').PsaConnect)(),
			psaLink: new (dist('nodes/PsaLink/PsaLink.node.js').PsaLink)(),
			psaNote: new (dist('nodes/PsaNote/PsaNote.node.js').PsaNote)(),
			psaStatus: new (dist('nodes/PsaStatus/PsaStatus.node.js').PsaStatus)(),
			psaTicket: new (dist('nodes/PsaTicket/PsaTicket.node.js').PsaTicket)(),
			psaMemberMap: new (dist('nodes/PsaMemberMap/PsaMemberMap.node.js').PsaMemberMap)(),
			psaCatchUpTrigger: new (dist('nodes/PsaCatchUpTrigger/PsaCatchUpTrigger.node.js').PsaCatchUpTrigger)(),
		},
		credentials: {
			connectWisePsaApi: new (dist('credentials/ConnectWisePsaApi.credentials.js').ConnectWisePsaApi)(),
			autotaskPsaApi: new (dist('credentials/AutotaskPsaApi.credentials.js').AutotaskPsaApi)(),
			haloPsaApi: new (dist('credentials/HaloPsaApi.credentials.js').HaloPsaApi)(),
			psaStateStore: new (dist('credentials/PsaStateStore.credentials.js').PsaStateStore)(),
		},
	};
	const { startAutotaskSandbox } = require('../test/sandbox/autotask') as typeof import('../test/sandbox/autotask');
	const { startHaloSandbox } = require('../test/sandbox/halopsa') as typeof import('../test/sandbox/halopsa');
	/* eslint-enable @typescript-eslint/no-require-imports */
	const engine = new Engine(types);
	let failed = false;

	const connectWise = await startSandbox({ port: 0 });
	engine.addCredential({
		id: 'psaBridgeSandbox',
		name: 'ConnectWise PSA sandbox',
		type: 'connectWisePsaApi',
		data: { ...connectWise.credentials, site: connectWise.site, apiVersion: '2025.8', endpointVersions: {} },
	});
	console.log(`ConnectWise sandbox at ${connectWise.site}; state store in ${process.env.N8N_USER_FOLDER}/.n8n\n`);
	try {
		failed = (await runExamples(engine, 'docs/examples', 'ConnectWise', connectWise)) || failed;
		const ticket = connectWise.db.tickets.find((candidate) => candidate.externalXRef === 'demo-monitor:disk-full-web01');
		if (ticket) {
			console.log('== In the ConnectWise sandbox');
			console.log(`  ticket #${ticket.id} "${ticket.summary}" board ${ticket.board.name}, status ${ticket.status.name}, owner ${ticket.owner?.identifier ?? '-'}`);
			for (const note of connectWise.db.notes.filter((candidate) => candidate.ticketId === ticket.id)) console.log(`  note #${note.id}: ${note.text.split('\n')[0]}`);
			console.log(`  tickets carrying this alert's link key: ${connectWise.db.tickets.filter((candidate) => candidate.externalXRef === ticket.externalXRef).length}\n`);
		}
	} finally {
		await connectWise.stop();
	}

	// The same workflows on Autotask: only the node's PSA selector, the credential and the sandbox's ids differ.
	const autotask = await startAutotaskSandbox({ port: 0 });
	engine.addCredential({ id: 'psaBridgeAutotaskSandbox', name: 'Autotask PSA sandbox', type: 'autotaskPsaApi', data: { ...autotask.credentials } });
	console.log(`Autotask sandbox at ${autotask.zoneUrl}\n`);
	try {
		failed = (await runExamples(engine, 'docs/examples/autotask', 'Autotask', autotask)) || failed;
		const ticket = autotask.db.tickets.find((candidate) => candidate.externalID === 'demo-monitor:disk-full-web01');
		if (ticket) {
			console.log('== In the Autotask sandbox');
			console.log(`  ticket #${ticket.id} ${ticket.ticketNumber} "${ticket.title}" queue ${ticket.queueID}, status ${ticket.status}, assigned resource ${ticket.assignedResourceID ?? '-'}`);
			for (const note of autotask.db.notes.filter((candidate) => candidate.ticketID === ticket.id)) console.log(`  note #${note.id} by resource ${note.creatorResourceID}: ${note.description.split('\n')[0]}`);
			console.log(`  tickets carrying this alert's link key: ${autotask.db.tickets.filter((candidate) => candidate.externalID === ticket.externalID).length}`);
		}
	} finally {
		await autotask.stop();
	}

	// And on HaloPSA: the credential is an OAuth client; boards are ticket types.
	const halo = await startHaloSandbox({ port: 0 });
	engine.addCredential({ id: 'psaBridgeHaloSandbox', name: 'HaloPSA sandbox', type: 'haloPsaApi', data: { ...halo.credentials } });
	console.log(`\nHaloPSA sandbox at ${halo.resourceUrl}\n`);
	try {
		failed = (await runExamples(engine, 'docs/examples/halopsa', 'HaloPSA', halo)) || failed;
		const link = halo.db.externalLinks.find((candidate) => candidate.third_party_id === 'demo-monitor:disk-full-web01');
		const ticket = link ? halo.db.tickets.find((candidate) => candidate.id === link.halo_id) : undefined;
		if (ticket) {
			const status = halo.db.statuses.find((candidate) => candidate.id === ticket.status_id)?.name;
			console.log('== In the HaloPSA sandbox');
			console.log(`  ticket #${ticket.id} "${ticket.summary}" ticket type ${ticket.tickettype_id}, status ${status}, agent ${ticket.agent_id || '-'}`);
			for (const action of halo.db.actions.filter((candidate) => candidate.ticket_id === ticket.id && !candidate.system)) console.log(`  action #${action.id} (${action.outcome}) by agent ${action.who_agentid}: ${action.note.split('\n')[0]}`);
			console.log(`  external links carrying this alert's link key: ${halo.db.externalLinks.filter((candidate) => candidate.third_party_id === link?.third_party_id).length}`);
		}
	} finally {
		await closeAllStores();
		await halo.stop();
	}
	if (failed) process.exitCode = 1;
}

// PSA Connect > Check Permissions probes writes with requests the PSA must refuse after its permission check
// (an invalid body, record id 0), so nothing is changed; the demo says so before the first row.
const PERMISSIONS_LEGEND = [
	'  (Check permissions sends one harmless request per endpoint the package uses; writes go to record 0 or carry an',
	'   invalid body. The PSA checks permissions first, so a validation refusal means "allowed"; a permission refusal "denied".)',
].join('\n');

interface DemoSandbox {
	resetLog(): void;
	counters(): Record<string, number>;
}

/** Runs the examples of one folder (and alert-to-ticket a second time); true when one failed. */
async function runExamples(engine: import('../test/engine/harness').Engine, folder: string, psa: string, sandbox: DemoSandbox): Promise<boolean> {
	let failed = false;
	const runs = [...EXAMPLES, 'alert-to-ticket.json'];
	for (const [index, file] of runs.entries()) {
		const workflow = JSON.parse(readFileSync(join(root, folder, file), 'utf8'));
		const again = index === runs.length - 1;
		sandbox.resetLog();
		const run = await engine.run(workflow);
		console.log(`== ${workflow.name}${again ? ' (run again: nothing new should happen)' : ''}`);
		for (const node of workflow.nodes.slice(1)) {
			const items = run.output(node.name);
			if (items.some((item) => isPermissionCheck(item.json))) console.log(PERMISSIONS_LEGEND);
			for (const item of items) console.log(`  ${node.name}: ${isPermissionCheck(item.json) ? describePermission(item.json) : summarise(item.json)}`);
		}
		if (run.error) {
			failed = true;
			console.log(`  FAILED: ${run.error.message}`);
		}
		const counts = Object.entries(sandbox.counters())
			.filter(([key]) => key !== 'total')
			.map(([key, count]) => `${key} x${count}`);
		console.log(`  ${psa} requests: ${sandbox.counters().total ?? 0}${counts.length ? ` (${counts.join(', ')})` : ''}\n`);
	}
	return failed;
}

function isPermissionCheck(json: Record<string, unknown>): json is Record<string, unknown> & PsaPermissionCheck {
	return typeof json.purpose === 'string' && typeof json.allowed === 'boolean' && typeof json.status === 'number';
}

function describePermission(row: PsaPermissionCheck): string {
	const answer = `${row.method} ${row.endpoint} answered ${row.status}`;
	const why = row.status >= 200 && row.status < 300 ? '' : row.allowed ? ', refused only after the permission check' : '';
	return `${row.purpose}: ${row.allowed ? 'allowed' : 'DENIED'} (${answer}${why})${row.message ? ` ${row.message}` : ''}`;
}

function summarise(json: Record<string, unknown>): string {
	const keys = ['error', 'hint', 'created', 'ticketId', 'occurrences', 'reopened', 'previousTicketId', 'deduplicated', 'suppressed', 'noteId', 'changed', 'status', 'memberIdentifier', 'resolvedBy', 'serverVersion', 'apiLocation', 'pinnedApiVersion', 'requestBudget', 'currentApiVersion', 'latencyMs'];
	return keys
		.filter((key) => json[key] !== undefined)
		.map((key) => `${key}=${typeof json[key] === 'object' ? JSON.stringify(json[key]) : String(json[key])}`)
		.join(' ');
}

main().catch((error) => {
	console.error(error instanceof Error ? error.message : error);
	process.exitCode = 1;
});
