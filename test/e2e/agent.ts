// The e2e agent step: docs/examples/agents/alert-triage-agent.json in real n8n, its AI Agent on a scripted OpenAI-compatible model; checks the tools the model was offered and what the calls did in the sandbox.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INodePropertyOptions, INodeTypeDescription } from 'n8n-workflow';
import type { Sandbox } from '../sandbox';
import { runN8nCliChecked, type N8nInstall } from './n8n';
import { onCleanup } from './processes';
import { lastToolResults, startScriptedModel, type ChatRequest, type OfferedTool, type ScriptedTurn } from './scripted-model';
import { check } from './steps';
import { EXAMPLES_DIR, importWorkflows, prepareWorkflow, type WorkflowJson } from './workspace';

export const AGENT_EXAMPLE = join(EXAMPLES_DIR, 'agents', 'alert-triage-agent.json');
/** The model credential the example names; the suite points its Base URL at the scripted model. */
const MODEL_CREDENTIAL = { id: 'psaBridgeAgentModel', name: 'OpenAI account', type: 'openAiApi' } as const;

const ALERT = { alertId: 'disk-full-db02', summary: 'Disk /var at 95% on db02', company: 'Acme Corp', board: 'help desk' };
const NOTE = 'Triage: /var on db02 is at 95%; old logs are the likely cause. Rotating logs now, will check again in 30 min.';

/** Node type descriptions as n8n loaded them (`n8n export:nodes`), by type without the package prefix. */
type NodeDescriptions = (name: string) => INodeTypeDescription;

async function loadedDescriptions(install: N8nInstall, userFolder: string): Promise<NodeDescriptions> {
	const file = join(userFolder, 'nodes-export-agent.json');
	await runN8nCliChecked(install, ['export:nodes', `--output=${file}`], { userFolder, logLevel: 'error' });
	const all = JSON.parse(readFileSync(file, 'utf8')) as INodeTypeDescription[];
	return (name) => {
		// n8n derives the "<type>Tool" variant from the node; the export may list only the node itself.
		const found = all.find((description) => description.name === `n8n-nodes-psa-bridge.${name}`) ?? all.find((description) => `${description.name}Tool` === `n8n-nodes-psa-bridge.${name}`);
		check(found, `n8n did not load n8n-nodes-psa-bridge.${name}`);
		return found;
	};
}

/** The tool description n8n builds for a node run as a tool with an automatic description: its operation's action. */
function toolDescription(description: INodeTypeDescription, operation: string): string {
	const options = description.properties.find((property) => property.name === 'operation')?.options as INodePropertyOptions[];
	const action = options.find((option) => option.value === operation)?.action;
	check(action, `${description.displayName} has no action for ${operation}`);
	return `${action} in ${description.defaults.name}`;
}

/** The tools as the model must see them: names from the node names, descriptions from the actions, schemas from $fromAI. */
const expectedTools = (types: NodeDescriptions): Record<string, { description: string; properties: Record<string, { type: string; description: string }> }> => ({
	Link_alert_to_ticket: {
		description: toolDescription(types('psaLinkTool'), 'link'),
		properties: {
			alertId: { type: 'string', description: 'The alert id from monitoring, e.g. disk-full-db02' },
			summary: { type: 'string', description: 'A one-line ticket title that says what is wrong and where' },
			company: { type: 'string', description: 'The customer company: its PSA id or its name, e.g. Acme Corp' },
			board: { type: 'string', description: 'The service board: its id or its name, e.g. Help Desk' },
		},
	},
	Add_note_to_ticket: {
		description: toolDescription(types('psaNoteTool'), 'add'),
		properties: {
			ticketId: { type: 'number', description: 'The PSA ticket id the link tool returned (ticketId)' },
			text: { type: 'string', description: 'The note: what you found and what you will do' },
		},
	},
	Set_ticket_status: {
		description: toolDescription(types('psaStatusTool'), 'set'),
		properties: {
			ticketId: { type: 'number', description: 'The PSA ticket id the link tool returned (ticketId)' },
			status: { type: 'string', description: 'A status name on the ticket board, e.g. In Progress' },
		},
	},
});

/** The first item a tool answered with, by the tool's position in the last turn (`previous`: the request before). */
function result(request: ChatRequest, index: number, previous?: ChatRequest): Record<string, unknown> {
	const results = lastToolResults(request, previous);
	const json = results[index]?.json;
	const first = Array.isArray(json) ? json[0] : json;
	if (typeof first !== 'object' || first === null) throw new Error(`tool result ${index} of the last turn is not JSON: ${results[index]?.text ?? '(none)'}`);
	return first as Record<string, unknown>;
}

/** The conversation: link, note, the same two again (the note's ticket id as text), a bad status name, the corrected one, the answer. */
function triageScript(): { turns: ScriptedTurn[]; ticketId: () => number } {
	let ticketId = 0;
	const turns: ScriptedTurn[] = [
		() => ({ toolCalls: [{ name: 'Link_alert_to_ticket', arguments: ALERT }] }),
		(request) => {
			ticketId = Number(result(request, 0).ticketId);
			return { toolCalls: [{ name: 'Add_note_to_ticket', arguments: { ticketId, text: NOTE } }] };
		},
		() => ({
			toolCalls: [
				{ name: 'Link_alert_to_ticket', arguments: ALERT },
				{ name: 'Add_note_to_ticket', arguments: { ticketId: String(ticketId), text: NOTE } },
			],
		}),
		() => ({ toolCalls: [{ name: 'Set_ticket_status', arguments: { ticketId, status: 'Done' } }] }),
		() => ({ toolCalls: [{ name: 'Set_ticket_status', arguments: { ticketId, status: 'in progress' } }] }),
		() => ({ text: `Ticket #${ticketId} is linked to ${ALERT.alertId}, has the triage note and is In Progress.` }),
	];
	return { turns, ticketId: () => ticketId };
}

function checkOfferedTools(tools: OfferedTool[] | undefined, types: NodeDescriptions): void {
	check(tools && tools.length > 0, 'the agent offered the model no tools');
	const EXPECTED_TOOLS = expectedTools(types);
	const names = tools.map((tool) => tool.function.name).sort();
	check(JSON.stringify(names) === JSON.stringify(Object.keys(EXPECTED_TOOLS).sort()), `the model was offered ${names.join(', ')}`);
	for (const tool of tools) {
		const expected = EXPECTED_TOOLS[tool.function.name];
		check(tool.function.description === expected.description, `${tool.function.name}: described as ${JSON.stringify(tool.function.description)}, expected ${JSON.stringify(expected.description)}`);
		const schema = tool.function.parameters;
		check(schema?.type === 'object', `${tool.function.name}: its parameters are ${JSON.stringify(schema)}`);
		const properties = schema.properties ?? {};
		check(
			JSON.stringify(Object.keys(properties).sort()) === JSON.stringify(Object.keys(expected.properties).sort()),
			`${tool.function.name}: its parameters are ${Object.keys(properties).join(', ')}`,
		);
		for (const [name, want] of Object.entries(expected.properties)) {
			check(properties[name].type === want.type && properties[name].description === want.description, `${tool.function.name}.${name} is ${JSON.stringify(properties[name])}`);
		}
		check([...(schema.required ?? [])].sort().join() === Object.keys(expected.properties).sort().join(), `${tool.function.name}: required ${JSON.stringify(schema.required)}`);
	}
}

export interface AgentStepContext {
	install: N8nInstall;
	userFolder: string;
	sandbox: Sandbox;
	/** `n8n execute` of a workflow by id: the run's error and each node's first output. */
	execute(id: string): Promise<{ error?: { message?: string }; output(node: string): Array<Record<string, unknown>> }>;
	statusId(name: string): number;
	log(line: string): void;
	/** Where the tools as the model saw them are written (JSON). */
	toolsFile: string;
}

export async function runAgentStep({ install, userFolder, sandbox, execute, statusId, log, toolsFile }: AgentStepContext): Promise<void> {
	const script = triageScript();
	const model = await startScriptedModel(script.turns);
	onCleanup('stop the scripted model', () => model.stop());
	const credentialFile = join(userFolder, 'credentials-import-model.json');
	writeFileSync(credentialFile, JSON.stringify([{ ...MODEL_CREDENTIAL, data: { apiKey: 'sk-scripted-model-not-a-key', url: model.url } }]), { mode: 0o600 });
	await runN8nCliChecked(install, ['import:credentials', `--input=${credentialFile}`], { userFolder, logLevel: 'error' });
	const workflow = prepareWorkflow(JSON.parse(readFileSync(AGENT_EXAMPLE, 'utf8')) as WorkflowJson, 'agents/alert-triage-agent.json');
	await importWorkflows(install, userFolder, [workflow]);

	const run = await execute(workflow.id);
	const turns = model.requests.length;
	check(!run.error, `the agent run failed after ${turns} model requests: ${run.error?.message}`);
	check(turns === script.turns.length, `the agent asked the model ${turns} times; the script has ${script.turns.length} turns`);

	const offered = model.requests[0].tools ?? [];
	writeFileSync(toolsFile, JSON.stringify(offered, null, 2));
	for (const tool of offered) log(`tool ${tool.function.name}: "${tool.function.description}" ${JSON.stringify(tool.function.parameters?.properties)}`);
	checkOfferedTools(offered, await loadedDescriptions(install, userFolder));
	for (const request of model.requests) check(JSON.stringify(request.tools) === JSON.stringify(offered), 'the tools offered changed between turns');

	const ticketId = script.ticketId();
	const turnResult = (turn: number, index = 0) => result(model.requests[turn], index, model.requests[turn - 1]);
	const linked = turnResult(1);
	check(linked.created === true && ticketId > 0, `the first link answered ${JSON.stringify(linked)}`);
	const resolvedNames = JSON.stringify(linked.resolved);
	check(/"given":"Acme Corp","id":250/.test(resolvedNames) && /"given":"help desk","id":1/.test(resolvedNames), `the link did not report the names it resolved: ${resolvedNames}`);
	const firstNote = turnResult(2);
	check(firstNote.deduplicated === false && typeof firstNote.noteId === 'number', `the first note answered ${JSON.stringify(firstNote)}`);
	const [linkAgain, noteAgain] = [turnResult(3, 0), turnResult(3, 1)];
	check(linkAgain.created === false && linkAgain.ticketId === ticketId, `the repeated link answered ${JSON.stringify(linkAgain)}`);
	check(noteAgain.deduplicated === true && noteAgain.noteId === firstNote.noteId, `the repeated note answered ${JSON.stringify(noteAgain)}`);
	const refused = turnResult(4);
	check(refused.errorType === 'invalid-input' && typeof refused.message === 'string' && typeof refused.nextAction === 'string', `the bad status call answered ${JSON.stringify(refused)}`);
	check(/In Progress/.test(`${refused.message} ${refused.nextAction}`), `the structured error does not name the valid statuses: ${JSON.stringify(refused)}`);
	check(!/\n\s+at /.test(lastToolResults(model.requests[4], model.requests[3])[0].text), 'the model received a stack trace');
	const set = turnResult(5);
	check(set.changed === true && set.ticketId === ticketId, `the corrected status call answered ${JSON.stringify(set)}`);
	log(`model turns: link -> #${ticketId} (created), note ${String(firstNote.noteId)}, link+note again (same ticket, deduplicated), status "Done" -> ${JSON.stringify(refused)}, status "in progress" -> changed`);

	const tickets = sandbox.db.tickets.filter((ticket) => ticket.externalXRef === `monitoring:${ALERT.alertId}`);
	check(tickets.length === 1 && tickets[0].id === ticketId, `the sandbox holds ${tickets.length} tickets for the alert`);
	check(tickets[0].status?.id === statusId('In Progress'), `the ticket's status is ${JSON.stringify(tickets[0].status)}`);
	check(tickets[0].company?.id === 250 && tickets[0].board?.id === 1, `the ticket is on company ${tickets[0].company?.id}, board ${tickets[0].board?.id}`);
	const notes = sandbox.db.notes.filter((note) => note.ticketId === ticketId && note.text === NOTE);
	check(notes.length === 1 && notes[0].internalAnalysisFlag, `the ticket has ${notes.length} triage notes`);
	const [answer] = run.output('Triage agent');
	check(typeof answer?.output === 'string' && answer.output.includes(`#${ticketId}`), `the agent answered ${JSON.stringify(answer)}`);
	log(`sandbox: one ticket #${ticketId} (Acme Corp, Help Desk, In Progress), one internal triage note; agent: ${String(answer.output)}`);
}
