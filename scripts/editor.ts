// `npm start`: a real n8n editor on localhost with this package installed (packed, like n8n's UI installs it), the ConnectWise, Autotask and HaloPSA sandboxes, their credentials and the example workflows.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { startSandbox } from '../test/sandbox';
import { startAutotaskSandbox } from '../test/sandbox/autotask';
import { startHaloSandbox } from '../test/sandbox/halopsa';
import { checkNodeVersion } from './node-version';
import { ensureN8n, N8nRest, OWNER, startN8nServer } from '../test/e2e/n8n';
import { installPackage, packPackage, REPO_ROOT } from '../test/e2e/package-install';
import { freePort, onCleanup, runCleanups } from '../test/e2e/processes';
import {
	AUTOTASK_EXAMPLES_DIR,
	EDITOR_CANVAS_WORKFLOW,
	HALO_EXAMPLES_DIR,
	ensureOpenTicket,
	exampleWorkflows,
	importAutotaskCredential,
	importHaloCredential,
	importSandboxCredential,
	importWorkflows,
} from '../test/e2e/workspace';

// Recreated at every start: the sandbox lives in memory, so state from an earlier start would point at tickets that are gone.
const USER_FOLDER = process.env.PSA_EDITOR_HOME || join(REPO_ROOT, '.tmp', 'editor');

async function portToUse(): Promise<number> {
	if (process.env.PSA_EDITOR_PORT) return Number(process.env.PSA_EDITOR_PORT);
	// n8n's usual port when it is free, so bookmarks keep working.
	const { createServer } = await import('node:net');
	const free = await new Promise<boolean>((resolve) => {
		const probe = createServer();
		probe.once('error', () => resolve(false));
		probe.listen(5678, '127.0.0.1', () => probe.close(() => resolve(true)));
	});
	return free ? 5678 : freePort();
}

async function main(): Promise<void> {
	if (!checkNodeVersion()) {
		process.exitCode = 1;
		return;
	}
	const started = Date.now();
	const step = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);

	const install = await ensureN8n(step);
	step(`n8n ${install.version} ready (${install.dir})`);

	rmSync(USER_FOLDER, { recursive: true, force: true });
	mkdirSync(join(USER_FOLDER, '.n8n'), { recursive: true });
	onCleanup(`remove ${USER_FOLDER}`, () => {
		if (process.env.PSA_EDITOR_KEEP !== '1') rmSync(USER_FOLDER, { recursive: true, force: true });
	});
	const tarball = await packPackage();
	await installPackage(USER_FOLDER, tarball, 'ui');
	step(`package packed and installed into ${join(USER_FOLDER, '.n8n', 'nodes')}`);

	const sandbox = await startSandbox({ port: Number(process.env.PSA_SANDBOX_PORT ?? 0) });
	onCleanup('stop the sandbox', () => sandbox.stop());
	await ensureOpenTicket(sandbox);
	step(`ConnectWise sandbox on ${sandbox.url}`);

	const autotask = await startAutotaskSandbox({ port: Number(process.env.PSA_AUTOTASK_SANDBOX_PORT ?? 0) });
	onCleanup('stop the Autotask sandbox', () => autotask.stop());
	autotask.addTicket({ companyID: 175, title: 'Printer offline on floor 2', status: 1, priority: 2, queueID: 29683325 });
	step(`Autotask sandbox on ${autotask.zoneUrl}`);

	const halo = await startHaloSandbox({ port: Number(process.env.PSA_HALO_SANDBOX_PORT ?? 0) });
	onCleanup('stop the HaloPSA sandbox', () => halo.stop());
	halo.addTicket({ client_id: 12, summary: 'Printer offline on floor 2', tickettype_id: 1, priority_id: 3 });
	step(`HaloPSA sandbox on ${halo.resourceUrl}`);

	await importSandboxCredential(install, USER_FOLDER, sandbox.credentials);
	await importAutotaskCredential(install, USER_FOLDER, { ...autotask.credentials });
	await importHaloCredential(install, USER_FOLDER, { ...halo.credentials });
	const examples = [...exampleWorkflows(), ...exampleWorkflows(AUTOTASK_EXAMPLES_DIR, 'autotask/'), ...exampleWorkflows(HALO_EXAMPLES_DIR, 'halopsa/')];
	await importWorkflows(install, USER_FOLDER, [...examples, EDITOR_CANVAS_WORKFLOW]);
	step(`credentials "ConnectWise PSA sandbox", "Autotask PSA sandbox" and "HaloPSA sandbox", ${examples.length} example workflows and an empty canvas imported`);

	const server = await startN8nServer(install, { userFolder: USER_FOLDER, port: await portToUse(), logLevel: 'warn' });
	await new N8nRest(server.url).setupOwner();
	step('n8n started');

	console.log(
		[
			'',
			`  n8n editor   ${server.url}`,
			`  email        ${OWNER.email}`,
			`  password     ${OWNER.password}`,
			`  workflows    ${[...examples.map((example) => example.name), `${EDITOR_CANVAS_WORKFLOW.json.name} (empty, to add nodes to)`].join('\n               ')}`,
			`  ConnectWise  ${sandbox.url} (site for a new credential: ${sandbox.site}, company ${sandbox.credentials.companyId})`,
			`  Autotask     ${autotask.zoneUrl} (Zone URL for a new credential; user ${autotask.credentials.username})`,
			`  HaloPSA      ${halo.resourceUrl} (Resource Server URL for a new credential; client ${halo.credentials.clientId}, secret ${halo.credentials.clientSecret})`,
			`  n8n log      ${server.logFile}`,
			`  user folder  ${USER_FOLDER} (recreated at every start)`,
			'',
			'  Ctrl+C stops n8n and the sandboxes.',
			'',
		].join('\n'),
	);
	// Keep running until a signal: processes.ts stops n8n and the sandbox, then exits.
	await new Promise<void>((resolve) => {
		const poll = setInterval(() => {
			if (server.process.exitStatus) {
				clearInterval(poll);
				console.error(`n8n exited (${JSON.stringify(server.process.exitStatus)}); see ${server.logFile}`);
				resolve();
			}
		}, 1000);
	});
	process.exitCode = 1;
}

main()
	.catch((error: unknown) => {
		console.error(error instanceof Error ? error.message : error);
		process.exitCode = 1;
	})
	.finally(() => runCleanups());
