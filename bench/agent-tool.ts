// Scenario 9: the AI-agent path's overhead per tool call: PSA Link and PSA Note run as tools (the model's arguments through $fromAI) against the same calls as normal node runs, one execution per call.
import './preload';
import type { Engine } from '../test/engine/harness';
import { chainWorkflow, sourceTypes, type NodeSpec } from '../test/engine/setup';
import { BOARD_ID, COMPANY_ID, SOURCE } from './workflows';
import { SMALL, fixed, log, percentile, runAlone, scaled, table, timed, type Section } from './common';
import { benchEngine, startBench } from './engine';

/**
 * n8n registers a `usableAsTool` node a second time as "<type>Tool" and its AI Agent asks the engine to run it with
 * the model's arguments as the input item (test/nodes/agent-tools.test.ts runs the same wiring).
 */
const TOOL_TYPES = { ...sourceTypes, nodes: { ...sourceTypes.nodes, psaLinkTool: sourceTypes.nodes.psaLink, psaNoteTool: sourceTypes.nodes.psaNote } };

const fromAi = (key: string, description: string, type = 'string') => `={{ $fromAI('${key}', '${description}', '${type}') }}`;

/** The same call's parameters, read from the model's arguments (tool) or from the input item (normal run). */
function linkNode(asTool: boolean): NodeSpec {
	const value = (key: string, description: string, type?: string) => (asTool ? fromAi(key, description, type) : `={{ $json.${key} }}`);
	return {
		name: 'link_alert',
		type: asTool ? 'psaLinkTool' : 'psaLink',
		parameters: {
			operation: 'link',
			source: SOURCE,
			externalId: value('alertId', 'The alert id'),
			summary: value('summary', 'Ticket title'),
			company: { __rl: true, mode: 'id', value: value('company', 'Company id') },
			boardId: value('board', 'Board id', 'number'),
			additionalFields: {},
		},
	};
}

function noteNode(asTool: boolean): NodeSpec {
	const value = (key: string, description: string, type?: string) => (asTool ? fromAi(key, description, type) : `={{ $json.${key} }}`);
	return {
		name: 'add_note',
		type: asTool ? 'psaNoteTool' : 'psaNote',
		parameters: {
			operation: 'add',
			ticketBy: 'ticket',
			ticket: { __rl: true, mode: 'id', value: value('ticketId', 'The ticket id', 'number') },
			text: value('text', 'The note text'),
			noteType: 'internal',
			additionalFields: {},
		},
	};
}

interface CallTimes {
	tool: number[];
	normal: number[];
}

/** One call = one execution with one item, as an agent makes them; the answer must be the node's success output. */
async function call(engine: Engine, node: NodeSpec, args: Record<string, unknown>): Promise<{ json: Record<string, unknown>; ms: number }> {
	const { result, ms } = await timed(() => engine.run(chainWorkflow([node], [args])));
	if (result.error) throw new Error(`${node.type} call failed: ${result.error.message}`);
	const [item] = result.output(node.name);
	if (!item || item.json.errorType !== undefined || item.json.error !== undefined) throw new Error(`${node.type} call answered ${JSON.stringify(item?.json)}`);
	return { json: item.json as Record<string, unknown>, ms };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

export async function run(): Promise<Section> {
	const calls = scaled(300, 20);
	const fx = await startBench({ latencyMs: 0 });
	const link: CallTimes = { tool: [], normal: [] };
	const note: CallTimes = { tool: [], normal: [] };
	let requests: number;
	try {
		const engine = benchEngine(fx.sandbox, TOOL_TYPES);
		// Warm-up: module loading, the store's migrations, the codebase lookup, n8n's first expression evaluation of each kind.
		for (const asTool of [true, false]) {
			const linked = await call(engine, linkNode(asTool), { alertId: `agent-warm-${asTool}`, summary: 'warm-up', company: String(COMPANY_ID), board: BOARD_ID });
			await call(engine, noteNode(asTool), { ticketId: linked.json.ticketId, text: 'warm-up' });
		}
		fx.sandbox.resetLog();
		// Tool and normal calls alternate, so that a slower stretch of the shared machine hits both alike.
		for (let index = 0; index < calls; index++) {
			for (const asTool of index % 2 === 0 ? [true, false] : [false, true]) {
				const linked = await call(engine, linkNode(asTool), { alertId: `agent-${asTool ? 'tool' : 'node'}-${index}`, summary: `Disk full on web${index}`, company: String(COMPANY_ID), board: BOARD_ID });
				if (linked.json.created !== true) throw new Error(`link call ${index} did not create a ticket: ${JSON.stringify(linked.json)}`);
				(asTool ? link.tool : link.normal).push(linked.ms);
				const noted = await call(engine, noteNode(asTool), { ticketId: linked.json.ticketId, text: `Agent note ${index}` });
				(asTool ? note.tool : note.normal).push(noted.ms);
			}
		}
		requests = fx.sandbox.counters().total ?? 0;
	} finally {
		await fx.stop();
	}
	const expected = calls * 4;
	const rows = [
		['PSA Link (new alert: one POST)', link],
		['PSA Note (add by ticket id: one POST)', note],
	] as const;
	const summary = rows.map(([label, times]) => {
		const tool = [...times.tool].sort((a, b) => a - b);
		const normal = [...times.normal].sort((a, b) => a - b);
		return { label, tool, normal, overhead: mean(tool) - mean(normal), medianOverhead: percentile(tool, 50) - percentile(normal, 50) };
	});
	log(`agent tool: ${summary.map((entry) => `${entry.label} ${fixed(entry.overhead, 2)} ms per call`).join(', ')}; ${requests} requests for ${expected} calls`);
	return {
		title: '9. AI-agent tool calls',
		markdown: [
			`${SMALL ? 'BENCH_SCALE=small. ' : ''}${calls} calls of each node as an AI agent's tool (the "<node>Tool" type n8n derives from a \`usableAsTool\` node, its parameters read from the model's arguments with \`$fromAI()\`, failures answered as a structured tool result) against the same calls as normal node runs (parameters from \`$json\`), one execution per call as an agent makes them, ConnectWise sandbox at 0 ms latency so that the difference is CPU. Tool and normal calls alternate. Requests: ${requests} for ${expected} calls (one each; the tool path adds none).`,
			'',
			table(
				['call', 'calls', 'normal run mean / p50 / p99', 'as a tool mean / p50 / p99', 'tool overhead per call (mean)', 'tool overhead per call (p50)'],
				summary.map((entry) => [
					entry.label,
					entry.tool.length,
					`${fixed(mean(entry.normal), 2)} / ${fixed(percentile(entry.normal, 50), 2)} / ${fixed(percentile(entry.normal, 99), 2)} ms`,
					`${fixed(mean(entry.tool), 2)} / ${fixed(percentile(entry.tool, 50), 2)} / ${fixed(percentile(entry.tool, 99), 2)} ms`,
					`${fixed(entry.overhead, 2)} ms`,
					`${fixed(entry.medianOverhead, 2)} ms`,
				]),
			),
			'',
			"A call's time is the whole execution (n8n's engine, the node, the sandbox's answer); the model's own time (seconds per call) is not part of it. The tool path's extra work: n8n's `$fromAI()` expressions, the package's check of whether it runs as a tool, and for PSA Note the note's key: as a tool, a note is remembered by ticket, type and text (lib/services/note.ts, dedupeByText), so that an agent repeating a call does not post it twice, which costs the store's claim and record of that key per call. PSA Link is keyed by its alert on both paths.",
		].join('\n'),
		targets: [
			{
				target: "The AI-agent tool path adds no request per call (its time per call is reported; the issue sets no bound)",
				measured: `${requests} requests for ${expected} calls; tool overhead per call: ${summary.map((entry) => `${entry.label.split(' (')[0]} ${fixed(entry.overhead, 2)} ms mean, ${fixed(entry.medianOverhead, 2)} ms p50`).join(', ')}`,
				met: requests === expected,
				note: Math.min(...summary.map((entry) => entry.overhead)) < 0 ? 'a negative overhead is noise: the two paths differ by less than the run-to-run spread on this machine' : undefined,
			},
		],
	};
}

runAlone(module, run);
