// The end-to-end suite (`npm run test:e2e`): the packed package inside a real n8n 2.30 server, against the ConnectWise sandbox.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';

import { connectionIdFor, providerDefinitions } from '../../lib/providers/registry';
import { openStore } from '../../lib/store';
import { checkNodeVersion } from '../../scripts/node-version';
import { startSandbox, type Sandbox } from '../sandbox';
import { startAutotaskSandbox, type AutotaskSandbox } from '../sandbox/autotask';
import { startHaloSandbox } from '../sandbox/halopsa';
import { launchBrowser, signIn } from './browser';
import {
	addNodeFromPanel,
	closeNdv,
	EDITOR_NODES,
	openDropdown,
	openWorkflow,
	panelName,
	SCREENSHOT_DIR,
	screenshotNdv,
	screenshotPage,
	searchNodesPanel,
	watchDynamicOptions,
} from './editor';
import {
	createUserFolder,
	ensureN8n,
	N8nRest,
	runN8nCliChecked,
	startN8nServer,
	type N8nInstall,
	type N8nServer,
} from './n8n';
import { checkBetterSqlite, installPackage, packPackage, PACKAGE_NAME } from './package-install';
import { onCleanup, runSuite, waitFor } from './processes';
import { runAgentStep } from './agent';
import { check, onlyTagOf, Steps } from './steps';
import {
	API_CREDENTIAL,
	EDITOR_CANVAS_WORKFLOW,
	ensureOpenTicket,
	AUTOTASK_EXAMPLES_DIR,
	exampleWorkflows,
	HALO_EXAMPLES_DIR,
	importAutotaskCredential,
	importHaloCredential,
	importSandboxCredential,
	importWorkflows,
	type WorkflowFile,
} from './workspace';

const NODE_TYPES = ['psaConnect', 'psaLink', 'psaNote', 'psaStatus', 'psaTicket', 'psaMemberMap', 'psaTrigger', 'psaCatchUpTrigger'].map((name) => `${PACKAGE_NAME}.${name}`);
const TRIGGER_EXAMPLE = 'ticket-closed-resolve-alert.json';
const MONITORING_ORIGIN = 'https://monitoring.example.com';

interface ExecutionOutput {
	error?: { message?: string };
	output(node: string): Array<Record<string, unknown>>;
}

/** `n8n execute --id <id> --rawOutput`: the run as n8n stored it, with each node's first output. */
async function executeWorkflow(install: N8nInstall, userFolder: string, id: string): Promise<ExecutionOutput> {
	// The command prints the run through n8n's logger at level info, pretty-printed between a "{" and a "}" line.
	const result = await runN8nCliChecked(install, ['execute', `--id=${id}`, '--rawOutput'], { userFolder, logLevel: 'info', timeoutMs: 120_000 });
	const lines = result.stdout.split('\n');
	const start = lines.indexOf('{');
	const end = lines.lastIndexOf('}');
	check(start >= 0 && end > start, `n8n execute printed no run data:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
	const run = JSON.parse(lines.slice(start, end + 1).join('\n')) as {
		data: { resultData: { error?: { message?: string }; runData: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }>> } }>> } };
	};
	const { runData, error } = run.data.resultData;
	return {
		error,
		output: (node) => {
			const items = runData[node]?.[0]?.data?.main?.[0];
			check(items, `n8n's run has no output for node "${node}" (nodes that ran: ${Object.keys(runData).join(', ')})`);
			return items.map((item) => item.json);
		},
	};
}

async function exportedNodeTypes(install: N8nInstall, userFolder: string): Promise<string[]> {
	const file = join(userFolder, 'nodes-export.json');
	await runN8nCliChecked(install, ['export:nodes', `--output=${file}`], { userFolder, logLevel: 'error' });
	const { readFileSync } = await import('node:fs');
	const nodes = JSON.parse(readFileSync(file, 'utf8')) as Array<{ name: string }>;
	return nodes.map((node) => node.name);
}

interface Monitoring {
	url: string;
	received: Array<{ path: string; body: string }>;
	server: Server;
}

/** The example trigger workflow resolves an alert in a monitoring system; this loopback server plays it. */
async function startMonitoring(): Promise<Monitoring> {
	const received: Monitoring['received'] = [];
	const server = createServer((request: IncomingMessage, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			received.push({ path: request.url ?? '/', body: Buffer.concat(chunks).toString('utf8') });
			response.writeHead(200, { 'content-type': 'application/json' }).end('{"resolved":true}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as { port: number }).port;
	const monitoring = { url: `http://127.0.0.1:${port}`, received, server };
	onCleanup('stop the monitoring receiver', () => new Promise<void>((resolve) => server.close(() => resolve())));
	return monitoring;
}

function statusId(sandbox: Sandbox, boardId: number, name: string): number {
	const status = sandbox.db.statuses.find((candidate) => candidate.board?.id === boardId && candidate.name === name);
	check(status, `the sandbox has no status "${name}" on board ${boardId}`);
	return status.id;
}

interface ExecutionSummary {
	id: string;
	status: string;
	mode: string;
}

async function executionsOf(rest: N8nRest, workflowId: string): Promise<ExecutionSummary[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const page = await rest.request<{ results: ExecutionSummary[] }>('GET', `/rest/executions?filter=${filter}`);
	return page.results;
}

async function main(): Promise<number> {
	if (!checkNodeVersion()) return 1;
	// `npm run test:e2e -- --only=agent`: the setup steps and the agent step only.
	const steps = new Steps(onlyTagOf(process.argv.slice(2)));
	let install!: N8nInstall;
	let tarball!: string;
	let folderA!: string;
	let sandbox!: Sandbox;
	let examples: WorkflowFile[] = [];
	let server!: N8nServer;
	let rest!: N8nRest;
	let linkedTicketId = 0;
	let page!: Page;

	await steps.run(`n8n 2.30.0 installed in the cache (the first run installs it: about 5 min, progress every 10 s)`, async (log) => {
		install = await ensureN8n(log);
		log(`n8n ${install.version} at ${install.dir}`);
	}, 'setup');

	await steps.run('npm pack (builds dist/)', async (log) => {
		tarball = await packPackage();
		log(tarball);
	}, 'setup');

	await steps.run("install as n8n's UI does (--ignore-scripts) into user folder A; better-sqlite3's bundled binary loads", async (log) => {
		folderA = createUserFolder('ui');
		const installed = await installPackage(folderA, tarball, 'ui');
		const native = await checkBetterSqlite(installed);
		log(`better-sqlite3 loaded ${native.binary} (SQLite ${native.sqliteVersion})`);
		check(/better-sqlite3\/prebuilds\/[^/]+\.node$/.test(native.binary), `better-sqlite3 did not load a bundled prebuilt binary: ${native.binary}`);
		check(!native.compiled, 'better-sqlite3 has a build/ folder although install scripts did not run');
	}, 'setup');

	await steps.run('n8n loads the eight nodes from user folder A', async (log) => {
		const types = await exportedNodeTypes(install, folderA);
		const missing = NODE_TYPES.filter((type) => !types.includes(type));
		check(missing.length === 0, `n8n did not load ${missing.join(', ')} (it knows ${types.filter((type) => type.startsWith(PACKAGE_NAME)).join(', ') || 'no node of the package'})`);
		log(`${NODE_TYPES.length} node types of ${PACKAGE_NAME} among ${types.length}`);
	}, 'setup');

	await steps.run('start the sandbox; import its credential and the example workflows with the n8n CLI', async (log) => {
		sandbox = await startSandbox({ port: 0 });
		onCleanup('stop the sandbox', () => sandbox.stop());
		await importSandboxCredential(install, folderA, sandbox.credentials);
		examples = exampleWorkflows();
		check(examples.length >= 4, `docs/examples holds ${examples.length} workflows; expected at least 4`);
		await importWorkflows(install, folderA, [...examples, EDITOR_CANVAS_WORKFLOW]);
		log(`sandbox ${sandbox.url}; imported ${examples.map((example) => example.file).join(', ')}`);
		// list:workflow prints through n8n's logger, at level info.
		const listed = await runN8nCliChecked(install, ['list:workflow'], { userFolder: folderA, logLevel: 'info' });
		for (const example of examples) check(listed.stdout.includes(example.id), `n8n list:workflow does not show ${example.file} (${example.id})`);
	}, 'setup');

	const example = (file: string): WorkflowFile => {
		const found = examples.find((candidate) => candidate.file === file);
		check(found, `docs/examples/${file} is missing`);
		return found;
	};

	await steps.run('n8n execute connection-test.json: the connection works and permissions are listed', async (log) => {
		const run = await executeWorkflow(install, folderA, example('connection-test.json').id);
		check(!run.error, `the run failed: ${run.error?.message}`);
		const [test] = run.output('Test connection');
		check(test.ok === true, `Test connection answered ${JSON.stringify(test)}`);
		const permissions = run.output('Check permissions');
		check(permissions.length > 3, `Check permissions listed ${permissions.length} endpoints`);
		log(`test: ${JSON.stringify(test).slice(0, 200)}`);
		const sandboxJson = JSON.stringify(run.output('Test connection'));
		check(!sandboxJson.includes(sandbox.credentials.privateKey), 'the private key appears in the node output');
	});

	await steps.run('n8n execute alert-to-ticket.json twice: one ticket, one note, In Progress; the store links it', async (log) => {
		const { id } = example('alert-to-ticket.json');
		const first = await executeWorkflow(install, folderA, id);
		check(!first.error, `the first run failed: ${first.error?.message}`);
		const [link] = first.output('Link alert to ticket');
		check(link.created === true && typeof link.ticketId === 'number', `Link answered ${JSON.stringify(link)}`);
		linkedTicketId = link.ticketId as number;
		const [status] = first.output('Set status In Progress');
		check(status.changed === true, `Set status answered ${JSON.stringify(status)}`);

		const second = await executeWorkflow(install, folderA, id);
		check(!second.error, `the second run failed: ${second.error?.message}`);
		check(second.output('Link alert to ticket')[0].created === false, 'the second run created another ticket');
		check(second.output('Add alert note')[0].deduplicated === true, 'the second run posted the note again');
		check(second.output('Set status In Progress')[0].changed === false, 'the second run changed the status again');

		const tickets = sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'demo-monitor:disk-full-web01');
		check(tickets.length === 1 && tickets[0].id === linkedTicketId, `the sandbox holds ${tickets.length} tickets for the alert`);
		check(tickets[0].status?.id === statusId(sandbox, 1, 'In Progress'), `the ticket's status is ${JSON.stringify(tickets[0].status)}`);
		// ConnectWise keeps the ticket's description as its first note; the workflow's note comes on top, once.
		const notes = sandbox.db.notes.filter((note) => note.ticketId === linkedTicketId && note.text.includes('Log rotation started'));
		check(notes.length === 1, `the ticket has ${notes.length} alert notes; expected 1`);
		check(notes[0].internalAnalysisFlag, 'the alert note is not internal');
		log(`ticket #${linkedTicketId}, status In Progress, one internal alert note`);

		const store = await openStore({ engine: 'sqlite', filename: join(folderA, '.n8n', 'psa-bridge', 'state.sqlite') });
		try {
			const connectionId = connectionIdFor(API_CREDENTIAL.type, { ...sandbox.credentials });
			const stored = await store.links.find(connectionId, 'demo-monitor', 'disk-full-web01');
			check(stored?.state === 'linked' && stored.ticketId === linkedTicketId, `the store holds ${JSON.stringify(stored)} for the alert`);
			const receipt = await store.noteReceipts.find(connectionId, 'disk-full-web01:first-alert');
			check(receipt?.state === 'posted', `the note receipt is ${JSON.stringify(receipt)}`);
			log(`store: link ${stored.source}/${stored.externalId} -> #${stored.ticketId}, note receipt posted`);
		} finally {
			await store.close();
		}
	});

	await steps.run('n8n execute alert-remediation-work.json twice: one time entry and the real log file attached once', async (log) => {
		const { id } = example('alert-remediation-work.json');
		const first = await executeWorkflow(install, folderA, id);
		check(!first.error, `the first run failed: ${first.error?.message}`);
		const [entry] = first.output('Log remediation time');
		const [attached] = first.output('Attach remediation log');
		check(entry.deduplicated === false && typeof entry.timeEntryId === 'number', `Log remediation time answered ${JSON.stringify(entry)}`);
		check(attached.deduplicated === false && attached.fileName === 'remediation-web01.log', `Attach remediation log answered ${JSON.stringify(attached)}`);
		const ticketId = entry.ticketId as number;
		const documents = sandbox.db.documents.filter((document) => document.recordId === ticketId);
		check(documents.length === 1 && documents[0].data.toString('utf8').includes('health check ok'), `the ticket holds ${documents.length} documents`);
		check(sandbox.db.timeEntries.filter((candidate) => candidate.chargeToId === ticketId).length === 1, 'the ticket does not hold exactly one time entry');

		const second = await executeWorkflow(install, folderA, id);
		check(!second.error, `the second run failed: ${second.error?.message}`);
		check(second.output('Log remediation time')[0].deduplicated === true, 'the second run logged the time again');
		check(second.output('Attach remediation log')[0].deduplicated === true, 'the second run attached the file again');
		check(sandbox.db.documents.filter((document) => document.recordId === ticketId).length === 1, 'the second run attached another file');
		log(`ticket #${ticketId}: time entry #${entry.timeEntryId}, document #${attached.attachmentId} (${documents[0].size} bytes), once each`);
	});

	await steps.run('n8n execute alert-lifecycle.json: fires, fires again, resolves (closed), fires after close (reopened); one ticket', async (log) => {
		const run = await executeWorkflow(install, folderA, example('alert-lifecycle.json').id);
		check(!run.error, `the run failed: ${run.error?.message}`);
		const [fired] = run.output('Alert fires: link to a ticket');
		check(fired.created === true, `the first link answered ${JSON.stringify(fired)}`);
		const [again] = run.output('Alert fires again: same ticket');
		check(again.ticketId === fired.ticketId && again.occurrences === 2, `the second link answered ${JSON.stringify(again)}`);
		const [reopened] = run.output('Alert fires after close: reopen');
		check(reopened.ticketId === fired.ticketId && reopened.reopened === true, `the link after close answered ${JSON.stringify(reopened)}`);
		const tickets = sandbox.db.tickets.filter((ticket) => ticket.externalXRef === 'demo-monitor:cpu-high-db01');
		check(tickets.length === 1 && !tickets[0].closedFlag, `the sandbox holds ${tickets.length} tickets for the alert, closed: ${tickets[0]?.closedFlag}`);
		log(`ticket #${fired.ticketId}: created, found again, closed, reopened (${sandbox.db.notes.filter((note) => note.ticketId === fired.ticketId).length} notes)`);
	});

	await steps.run('n8n execute rmm-alert-classified-ticket.json: a classified ticket with its device and a custom field, read back with PSA Ticket > Get', async (log) => {
		const run = await executeWorkflow(install, folderA, example('rmm-alert-classified-ticket.json').id);
		check(!run.error, `the run failed: ${run.error?.message}`);
		const [linked] = run.output('Classified ticket with its device');
		check(linked.created === true && typeof linked.ticketId === 'number', `Link answered ${JSON.stringify(linked)}`);
		const ticket = sandbox.db.tickets.find((candidate) => candidate.id === linked.ticketId);
		check(ticket?.type?.id === 21 && ticket.subType?.id === 31 && ticket.item?.id === 41, `the ticket's classification is ${JSON.stringify([ticket?.type, ticket?.subType, ticket?.item])}`);
		check(ticket.customFields.find((field) => field.caption === 'Alert Source')?.value === 'demo-rmm:disk-smart-fw01', `the ticket's custom fields are ${JSON.stringify(ticket.customFields)}`);
		const devices = sandbox.db.ticketConfigurations[ticket.id] ?? [];
		check(devices.length === 1 && devices[0] === 700, `the ticket's configurations are ${JSON.stringify(devices)}`);
		const [read] = run.output('Read the ticket back');
		check(read.type === 'Incident' && read.subtype === 'Network' && JSON.stringify(read.configurationItems).includes('ACME-FW01'), `PSA Ticket > Get answered ${JSON.stringify(read)}`);
		log(`ticket #${ticket.id}: Incident / Network / Outage, Alert Source set, configuration ACME-FW01 attached, read back`);
	});

	await steps.run('Autotask: its sandbox, a user folder with its credential and docs/examples/autotask; the alert examples run on one ticket, the remediation example writes its time entry and log file once', async (log) => {
		const autotask: AutotaskSandbox = await startAutotaskSandbox({ port: 0 });
		onCleanup('stop the Autotask sandbox', () => autotask.stop());
		// A user folder of its own: in folder A the editor step expects ConnectWise's boards, and n8n preselects the newest credential.
		const folder = createUserFolder('autotask');
		await installPackage(folder, tarball, 'ui');
		await importAutotaskCredential(install, folder, { ...autotask.credentials });
		const autotaskExamples = exampleWorkflows(AUTOTASK_EXAMPLES_DIR, 'autotask/');
		check(autotaskExamples.length >= 4, `docs/examples/autotask holds ${autotaskExamples.length} workflows; expected at least 4`);
		await importWorkflows(install, folder, autotaskExamples);
		const find = (file: string) => {
			const found = autotaskExamples.find((candidate) => candidate.file === `autotask/${file}`);
			check(found, `docs/examples/autotask/${file} is missing`);
			return found;
		};
		const lifecycle = await executeWorkflow(install, folder, find('alert-lifecycle.json').id);
		check(!lifecycle.error, `alert-lifecycle on Autotask failed: ${lifecycle.error?.message}`);
		const [fired] = lifecycle.output('Alert fires: link to a ticket');
		const [reopened] = lifecycle.output('Alert fires after close: reopen');
		check(fired.created === true && reopened.ticketId === fired.ticketId && reopened.reopened === true, `the lifecycle answered ${JSON.stringify([fired, reopened])}`);
		const first = await executeWorkflow(install, folder, find('alert-to-ticket.json').id);
		check(!first.error, `alert-to-ticket on Autotask failed: ${first.error?.message}`);
		const second = await executeWorkflow(install, folder, find('alert-to-ticket.json').id);
		check(!second.error && second.output('Link alert to ticket')[0].created === false, 'the second alert-to-ticket run on Autotask created another ticket');
		check(second.output('Add alert note')[0].deduplicated === true, 'the second run posted the note again on Autotask');
		for (const key of ['demo-monitor:cpu-high-db01', 'demo-monitor:disk-full-web01']) {
			const tickets = autotask.db.tickets.filter((ticket) => ticket.externalID === key);
			check(tickets.length === 1, `the Autotask sandbox holds ${tickets.length} tickets for ${key}`);
		}
		const classified = await executeWorkflow(install, folder, find('rmm-alert-classified-ticket.json').id);
		check(!classified.error, `rmm-alert-classified-ticket on Autotask failed: ${classified.error?.message}`);
		const [withDevice] = classified.output('Classified ticket with its device');
		const atTicket = autotask.db.tickets.find((candidate) => candidate.id === withDevice.ticketId);
		check(atTicket?.issueType === 10 && atTicket.subIssueType === 101 && atTicket.configurationItemID === 29684001, `the Autotask ticket is ${JSON.stringify(atTicket && { issueType: atTicket.issueType, subIssueType: atTicket.subIssueType, configurationItemID: atTicket.configurationItemID })}`);
		check(autotask.ticketCustomFields(atTicket.id)['Monitoring Alert ID'] === 'demo-rmm:disk-smart-srv01', 'the Autotask ticket lacks its UDF value');
		const [atRead] = classified.output('Read the ticket back');
		check(atRead.type === 'Hardware' && atRead.subtype === 'Server', `PSA Ticket > Get on Autotask answered ${JSON.stringify(atRead)}`);
		const remediation = find('alert-remediation-work.json').id;
		const work = await executeWorkflow(install, folder, remediation);
		check(!work.error, `alert-remediation-work on Autotask failed: ${work.error?.message}`);
		const [entry] = work.output('Log remediation time');
		const [attached] = work.output('Attach remediation log');
		check(entry.deduplicated === false && attached.deduplicated === false, `the remediation run answered ${JSON.stringify([entry, attached])}`);
		const workAgain = await executeWorkflow(install, folder, remediation);
		check(!workAgain.error && workAgain.output('Log remediation time')[0].deduplicated === true && workAgain.output('Attach remediation log')[0].deduplicated === true, 'the second remediation run on Autotask wrote again');
		const files = autotask.db.attachments.filter((attachment) => attachment.parentID === entry.ticketId);
		check(files.length === 1 && Buffer.from(files[0].data, 'base64').toString('utf8').includes('health check ok'), `the Autotask ticket holds ${files.length} attachments`);
		check(autotask.db.timeEntries.filter((candidate) => candidate.ticketID === entry.ticketId).length === 1, 'the Autotask ticket does not hold exactly one time entry');
		const output = JSON.stringify([lifecycle.output('Alert fires: link to a ticket'), first.output('Link alert to ticket')]);
		check(!output.includes(autotask.credentials.secret), 'the Autotask secret appears in the node output');
		log(`Autotask ${autotask.zoneUrl}: lifecycle ticket #${fired.ticketId} created, closed, reopened; alert ticket #${first.output('Link alert to ticket')[0].ticketId} once over two runs; remediation: one time entry, one log file`);
	});

	await steps.run('HaloPSA: its sandbox, a user folder with its credential and docs/examples/halopsa; alert-to-ticket runs twice on one ticket, the remediation example writes its time and log file once, the secret never in the output', async (log) => {
		const halo = await startHaloSandbox({ port: 0 });
		onCleanup('stop the HaloPSA sandbox', () => halo.stop());
		const folder = createUserFolder('halopsa');
		await installPackage(folder, tarball, 'ui');
		await importHaloCredential(install, folder, { ...halo.credentials });
		const haloExamples = exampleWorkflows(HALO_EXAMPLES_DIR, 'halopsa/');
		check(haloExamples.length >= 4, `docs/examples/halopsa holds ${haloExamples.length} workflows; expected at least 4`);
		await importWorkflows(install, folder, haloExamples);
		const find = (file: string) => {
			const found = haloExamples.find((candidate) => candidate.file === `halopsa/${file}`);
			check(found, `docs/examples/halopsa/${file} is missing`);
			return found;
		};
		const first = await executeWorkflow(install, folder, find('alert-to-ticket.json').id);
		check(!first.error, `alert-to-ticket on HaloPSA failed: ${first.error?.message}`);
		const second = await executeWorkflow(install, folder, find('alert-to-ticket.json').id);
		check(!second.error && second.output('Link alert to ticket')[0].created === false, 'the second alert-to-ticket run on HaloPSA created another ticket');
		check(second.output('Add alert note')[0].deduplicated === true, 'the second run posted the note again on HaloPSA');
		const links = halo.db.externalLinks.filter((link) => link.third_party_id === 'demo-monitor:disk-full-web01');
		check(links.length === 1, `the HaloPSA sandbox holds ${links.length} tickets for the alert`);
		const remediation = find('alert-remediation-work.json').id;
		const work = await executeWorkflow(install, folder, remediation);
		check(!work.error, `alert-remediation-work on HaloPSA failed: ${work.error?.message}`);
		const [entry] = work.output('Log remediation time');
		const [attached] = work.output('Attach remediation log');
		check(entry.deduplicated === false && attached.deduplicated === false, `the remediation run answered ${JSON.stringify([entry, attached])}`);
		const workAgain = await executeWorkflow(install, folder, remediation);
		check(!workAgain.error && workAgain.output('Log remediation time')[0].deduplicated === true && workAgain.output('Attach remediation log')[0].deduplicated === true, 'the second remediation run on HaloPSA wrote again');
		const files = halo.db.attachments.filter((attachment) => attachment.ticket_id === entry.ticketId);
		check(files.length === 1 && files[0].data.toString('utf8').includes('health check ok'), `the HaloPSA ticket holds ${files.length} attachments`);
		const timed = halo.db.actions.filter((action) => action.ticket_id === entry.ticketId && (action.timetaken ?? 0) > 0);
		check(timed.length === 1 && Math.abs((timed[0].timetaken ?? 0) - 0.2) < 1e-9, `the HaloPSA ticket holds ${timed.length} actions with time: ${JSON.stringify(timed.map((action) => action.timetaken))}`);
		const output = JSON.stringify([first.output('Link alert to ticket'), second.output('Link alert to ticket'), work.output('Log remediation time'), work.output('Attach remediation log')]);
		check(!output.includes(halo.credentials.clientSecret), 'the HaloPSA client secret appears in the node output');
		log(`HaloPSA ${halo.resourceUrl}: alert ticket #${links[0].halo_id} once over two runs (each n8n execute is a new process: ${halo.tokensIssued} token requests); remediation: one action with 0.2 h, one log file`);
	});

	await steps.run('n8n execute member-resolve.json: alice@acme.example is adoe, remembered in the member map', async (log) => {
		const run = await executeWorkflow(install, folderA, example('member-resolve.json').id);
		check(!run.error, `the run failed: ${run.error?.message}`);
		const [resolved] = run.output('Resolve alice');
		check(resolved.memberIdentifier === 'adoe', `Resolve answered ${JSON.stringify(resolved)}`);
		const store = await openStore({ engine: 'sqlite', filename: join(folderA, '.n8n', 'psa-bridge', 'state.sqlite') });
		try {
			const connectionId = connectionIdFor(API_CREDENTIAL.type, { ...sandbox.credentials });
			const mapping = await store.memberMap.get(connectionId, 'email', 'alice@acme.example');
			check(mapping?.memberIdentifier === 'adoe', `the member map holds ${JSON.stringify(mapping)}`);
			log(`member map: email alice@acme.example -> ${mapping.memberIdentifier} (${mapping.kind})`);
		} finally {
			await store.close();
		}
	});

	await steps.run(
		"n8n execute agents/alert-triage-agent.json: n8n's AI Agent on a scripted OpenAI-compatible model sees the tools' names, descriptions and schemas; link, note, both again, a bad status name (structured error), the corrected one: one ticket, one note, In Progress",
		async (log) => {
			await runAgentStep({
				install,
				userFolder: folderA,
				sandbox,
				execute: (id) => executeWorkflow(install, folderA, id),
				statusId: (name) => statusId(sandbox, 1, name),
				log,
				toolsFile: join(tmpdir(), 'psa-e2e-agent-tools.json'),
			});
		},
		'agent',
	);

	await steps.run('manual install (npm install <tarball>, scripts allowed) into user folder B runs connection-test.json', async (log) => {
		const folderB = createUserFolder('manual');
		const installed = await installPackage(folderB, tarball, 'manual');
		const native = await checkBetterSqlite(installed);
		log(`better-sqlite3 loaded ${native.binary}`);
		await importSandboxCredential(install, folderB, sandbox.credentials);
		const { id, json } = example('connection-test.json');
		await importWorkflows(install, folderB, [{ id, json }]);
		const run = await executeWorkflow(install, folderB, id);
		check(!run.error, `the run failed: ${run.error?.message}`);
		check(run.output('Test connection')[0].ok === true, 'Test connection did not answer ok in folder B');
	});

	let monitoring!: Monitoring;
	let trigger!: WorkflowFile;
	let callbackUrl = '';

	await steps.run('n8n start on a loopback port; owner set up over REST; the trigger workflow activated', async (log) => {
		monitoring = await startMonitoring();
		// The example resolves the alert in a monitoring system; point it at the loopback receiver.
		const original = example(TRIGGER_EXAMPLE);
		const text = JSON.stringify(original.json);
		check(text.includes(MONITORING_ORIGIN), `${TRIGGER_EXAMPLE} no longer calls ${MONITORING_ORIGIN}`);
		trigger = { ...original, json: JSON.parse(text.split(MONITORING_ORIGIN).join(monitoring.url)) };
		await importWorkflows(install, folderA, [trigger]);

		server = await startN8nServer(install, { userFolder: folderA });
		log(`n8n at ${server.url} (log: ${server.logFile})`);
		rest = new N8nRest(server.url);
		await rest.setupOwner();
		const workflow = await rest.request<{ versionId: string; active: boolean }>('GET', `/rest/workflows/${trigger.id}`);
		const callbacksBefore = sandbox.db.callbacks.length;
		const activated = await rest.request<{ active: boolean }>('POST', `/rest/workflows/${trigger.id}/activate`, { versionId: workflow.versionId });
		check(activated.active === true, `n8n did not activate the trigger workflow: ${JSON.stringify(activated).slice(0, 300)}`);
		const registered = sandbox.db.callbacks.slice(callbacksBefore);
		check(registered.length === 1, `activation registered ${registered.length} callbacks in the PSA; expected 1`);
		callbackUrl = registered[0].url;
		check(callbackUrl.startsWith(`${server.url}/webhook/`), `the callback points at ${callbackUrl}, not at this n8n`);
		log(`callback registered: ${registered[0].level} ${registered[0].objectId} -> ${callbackUrl}`);
	});

	await steps.run('a ticket closed in the sandbox: its signed callback runs the workflow in n8n, which resolves the alert', async (log) => {
		const deliveriesBefore = sandbox.deliveries.length;
		sandbox.changeTicket(linkedTicketId, { statusId: statusId(sandbox, 1, 'Resolved') }, { byMember: 'jsmith' });
		const [delivery] = (await sandbox.waitForDeliveries(deliveriesBefore + 1, 15_000)).slice(deliveriesBefore);
		check(delivery.status === 200, `n8n answered the callback with ${delivery.status}`);
		const executions = await waitFor('the execution of the trigger workflow', 30_000, async () => {
			const found = await executionsOf(rest, trigger.id);
			return found.length > 0 && found.every((execution) => execution.status !== 'running' && execution.status !== 'new') ? found : undefined;
		});
		check(executions.length === 1, `n8n ran the trigger workflow ${executions.length} times; expected 1`);
		check(executions[0].status === 'success' && executions[0].mode === 'webhook', `the execution is ${JSON.stringify(executions[0])}`);
		check(monitoring.received.length === 1, `the monitoring system received ${monitoring.received.length} calls; expected 1`);
		const call = monitoring.received[0];
		check(call.path === '/api/alerts/disk-full-web01/resolve', `the monitoring call went to ${call.path}`);
		const body = JSON.parse(call.body) as Record<string, unknown>;
		check(body.source === 'demo-monitor' && body.alertId === 'disk-full-web01' && body.ticketId === linkedTicketId, `the monitoring call carried ${call.body}`);
		log(`execution ${executions[0].id} ${executions[0].status}; monitoring got ${call.body}`);
	});

	await steps.run('a forged callback (bad signature) is refused and starts nothing', async (log) => {
		const genuine = sandbox.deliveries[sandbox.deliveries.length - 1];
		const executionsBefore = (await executionsOf(rest, trigger.id)).length;
		const monitoringBefore = monitoring.received.length;
		const body = typeof genuine.body === 'string' ? genuine.body : JSON.stringify(genuine.body);
		const forged = await fetch(callbackUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-content-signature': Buffer.from('not the signature').toString('base64') },
			body,
			signal: AbortSignal.timeout(15_000),
		});
		const unsigned = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(15_000) });
		log(`forged -> ${forged.status}, unsigned -> ${unsigned.status}`);
		check(forged.status === 401 && unsigned.status === 401, `n8n answered the forged callbacks with ${forged.status} and ${unsigned.status}; expected 401`);
		// An execution would be saved within a moment; give it the time a genuine one took, then count.
		await new Promise((resolve) => setTimeout(resolve, 3000));
		const executionsAfter = (await executionsOf(rest, trigger.id)).length;
		check(executionsAfter === executionsBefore, `n8n has ${executionsAfter - executionsBefore} new executions after the forged callbacks`);
		check(monitoring.received.length === monitoringBefore, 'the monitoring system was called by a forged callback');
	});

	await steps.run(`editor: the seven nodes from the nodes panel, their dropdowns filled from the sandbox; screenshots in ${SCREENSHOT_DIR}`, async (log) => {
		await ensureOpenTicket(sandbox);
		const context = await launchBrowser();
		page = await context.newPage();
		const calls = watchDynamicOptions(page);
		await signIn(page, server.url);
		for (const spec of EDITOR_NODES) {
			const begin = Date.now();
			const shown: string[] = [];
			try {
				await openWorkflow(page, server.url, spec.trigger ? 'new' : EDITOR_CANVAS_WORKFLOW.id);
				await addNodeFromPanel(page, spec);
				for (const dropdown of spec.dropdowns) {
					const entries = await openDropdown(page, dropdown);
					shown.push(`${dropdown.parameter}: ${entries.length}`);
				}
			} catch (error) {
				// What the editor showed goes next to the temporary folders, not into docs/images.
				const evidence = join(tmpdir(), `psa-e2e-failed-${spec.screenshot}.png`);
				await page.screenshot({ path: evidence }).catch(() => undefined);
				throw new Error(`${spec.displayName}: ${(error as Error).message} (screenshot: ${evidence})`);
			}
			await page.waitForTimeout(400);
			const file = await screenshotNdv(page, spec.screenshot);
			await closeNdv(page);
			log(`${spec.displayName}: ${shown.join(', ') || 'no dropdowns'} -> ${file} (${Date.now() - begin} ms)`);
		}
		await page.waitForTimeout(500);
		const failed = calls.filter((call) => call.status >= 400 || call.error);
		check(failed.length === 0, `dropdown requests failed: ${JSON.stringify(failed)}`);
		const methods = new Set(calls.filter((call) => (call.count ?? 0) > 0).map((call) => call.method));
		const expected = ['getBoards', 'getBoardStatuses', 'getPriorities', 'searchCompanies', 'searchTickets', 'searchMembers', 'searchBoards'];
		const unseen = expected.filter((method) => !methods.has(method));
		check(unseen.length === 0, `no dropdown was filled by ${unseen.join(', ')}`);
		log(`${calls.length} dropdown requests, none failed: ${[...methods].join(', ')}`);
	});

	// The PSAs' names reach the panel as codex aliases (dist/nodes/X/X.node.json, written from the provider registry).
	const psaNames = providerDefinitions().map((definition) => definition.displayName);
	await steps.run(`editor: the nodes panel lists the seven nodes when searched by ${psaNames.map((name) => `"${name}"`).join(', then by ')}`, async (log) => {
		const expected = EDITOR_NODES.map(panelName);
		await openWorkflow(page, server.url, EDITOR_CANVAS_WORKFLOW.id);
		for (const name of psaNames) {
			const listed = await searchNodesPanel(page, name, expected);
			const missing = expected.filter((node) => !listed.includes(node));
			if (missing.length > 0) {
				const evidence = join(tmpdir(), `psa-e2e-failed-nodes-panel-${name.toLowerCase()}.png`);
				await page.screenshot({ path: evidence }).catch(() => undefined);
				throw new Error(`searched for "${name}", the nodes panel does not list ${missing.join(', ')}; it listed ${JSON.stringify(listed)} (screenshot: ${evidence})`);
			}
			await page.waitForTimeout(300);
			const file = await screenshotPage(page, `nodes-panel-${name.toLowerCase()}`);
			log(`"${name}": ${expected.length} of ${expected.length} listed (${listed.join(', ')}) -> ${file}`);
		}
		await page.keyboard.press('Escape');
	});

	await steps.run('n8n stops cleanly', async () => {
		await server?.stop();
		check(server.process.exitStatus !== undefined, 'n8n did not exit');
	});

	await steps.run(
		'n8n down while a linked ticket is closed in the sandbox; started again, PSA Catch-Up Trigger runs the workflow once for the missed change (its activation poll), the late callback runs nothing',
		async (log) => {
			const missedMonitoring = await startMonitoring();
			// A linked ticket of its own (alert-to-ticket.json for another alert), so the step also runs alone (--only=catch-up-restart).
			const linkExample = example('alert-to-ticket.json');
			const linkerJson = JSON.parse(JSON.stringify(linkExample.json).split('disk-full-web01').join('restart-web02')) as WorkflowFile['json'];
			const linker: WorkflowFile = { file: 'restart-link.json', id: 'psaBridgeE2eRestartLink', name: 'Restart: link an alert', json: { ...linkerJson, id: 'psaBridgeE2eRestartLink', name: 'Restart: link an alert' } };
			const catchUpExample = example('catch-up-trigger.json');
			const catchUpText = JSON.stringify(catchUpExample.json);
			check(catchUpText.includes(MONITORING_ORIGIN), `catch-up-trigger.json no longer calls ${MONITORING_ORIGIN}`);
			const catchUp: WorkflowFile = { ...catchUpExample, json: JSON.parse(catchUpText.split(MONITORING_ORIGIN).join(missedMonitoring.url)) as WorkflowFile['json'] };
			await importWorkflows(install, folderA, [linker, catchUp]);
			const linked = await executeWorkflow(install, folderA, linker.id);
			check(!linked.error, `linking the alert failed: ${linked.error?.message}`);
			const ticketId = linked.output('Link alert to ticket')[0].ticketId as number;
			check(typeof ticketId === 'number', 'the alert was not linked to a ticket');

			// Up, the workflow activated: the callback registered, the catch-up's starting point set by its first poll.
			let up = await startN8nServer(install, { userFolder: folderA });
			const api = new N8nRest(up.url);
			await api.setupOwner().catch(() => api.login());
			const workflow = await api.request<{ versionId: string }>('GET', `/rest/workflows/${catchUp.id}`);
			const callbacksBefore = sandbox.db.callbacks.length;
			const activated = await api.request<{ active: boolean }>('POST', `/rest/workflows/${catchUp.id}/activate`, { versionId: workflow.versionId });
			check(activated.active === true, `n8n did not activate ${catchUp.file}`);
			const registered = sandbox.db.callbacks.slice(callbacksBefore);
			check(registered.length === 1, `activation registered ${registered.length} callbacks; expected 1`);
			// The PSA stamps changes to the second: the close must fall in a later second than the starting point.
			await new Promise((resolve) => setTimeout(resolve, 1500));
			await up.stop();

			// Down: a technician closes the ticket; the PSA's callback finds nobody.
			const deliveriesBefore = sandbox.deliveries.length;
			sandbox.changeTicket(ticketId, { statusId: statusId(sandbox, 1, 'Resolved') }, { byMember: 'jsmith' });
			// Every trigger still registered gets the close (the suite's earlier trigger workflow too): take this one's.
			const missed = await waitFor('the callback sent while n8n was down', 15_000, async () =>
				sandbox.deliveries.slice(deliveriesBefore).find((delivery) => delivery.callbackId === registered[0].id && (delivery.status !== 0 || delivery.error !== undefined)),
			);
			check(missed.status !== 200, `the callback reached a stopped n8n (${missed.status})`);
			log(`callback while down: ${missed.status} ${missed.error ?? ''}`);

			// Up again on the same port (the registered callback points at it): the activation poll catches the close up.
			up = await startN8nServer(install, { userFolder: folderA, port: up.port });
			const again = new N8nRest(up.url);
			await again.login();
			const executions = await waitFor('the catch-up execution', 60_000, async () => {
				const found = await executionsOf(again, catchUp.id);
				return found.length > 0 && found.every((execution) => execution.status !== 'running' && execution.status !== 'new') ? found : undefined;
			});
			check(executions.length === 1, `n8n ran ${catchUp.file} ${executions.length} times for the missed close; expected 1`);
			check(executions[0].status === 'success' && executions[0].mode === 'trigger', `the execution is ${JSON.stringify(executions[0])}`);
			check(missedMonitoring.received.length === 1, `the monitoring system received ${missedMonitoring.received.length} calls; expected 1`);
			const body = JSON.parse(missedMonitoring.received[0].body) as Record<string, unknown>;
			check(body.alertId === 'restart-web02' && body.ticketId === ticketId, `the monitoring call carried ${missedMonitoring.received[0].body}`);
			log(`execution ${executions[0].id} ${executions[0].mode} ${executions[0].status}; monitoring got ${missedMonitoring.received[0].body}`);

			// The PSA sends the missed callback again, late: acknowledged, no second run.
			const headers = Object.fromEntries(Object.entries(missed.headers).filter(([name]) => name !== 'content-length' && name !== 'host'));
			const late = await fetch(missed.url, { method: 'POST', headers, body: missed.body, signal: AbortSignal.timeout(15_000) });
			log(`late callback -> ${late.status} ${(await late.text()).slice(0, 200)}`);
			check(late.status === 200, `n8n answered the late callback with ${late.status}`);
			await new Promise((resolve) => setTimeout(resolve, 3000));
			const after = await executionsOf(again, catchUp.id);
			check(after.length === 1, `n8n has ${after.length} executions of ${catchUp.file} after the late callback; expected 1`);
			check(missedMonitoring.received.length === 1, 'the late callback resolved the alert again');
			await up.stop();
		},
		'catch-up-restart',
	);

	console.log(steps.summary());
	return steps.failed ? 1 : 0;
}

runSuite(main);
