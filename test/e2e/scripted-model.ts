// A local OpenAI-compatible chat-completions server with a scripted model (no weights): it records the tools an agent offers and answers each turn from a script.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** A tool as the agent offers it in a chat-completions request (OpenAI's function tool). */
export interface OfferedTool {
	type: 'function';
	function: { name: string; description?: string; parameters?: JsonSchema };
}

export interface JsonSchema {
	type?: string;
	description?: string;
	properties?: Record<string, JsonSchema>;
	required?: string[];
	[key: string]: unknown;
}

export interface ChatMessage {
	role: 'system' | 'user' | 'assistant' | 'tool';
	content?: string | null | Array<{ type: string; text?: string }>;
	tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
	tool_call_id?: string;
}

export interface ChatRequest {
	model: string;
	messages: ChatMessage[];
	tools?: OfferedTool[];
	stream?: boolean;
	stream_options?: { include_usage?: boolean };
}

/** What the scripted model answers: tool calls, or its final text. */
export type ScriptedReply = { toolCalls: Array<{ name: string; arguments: Record<string, unknown> }> } | { text: string };

/** One turn of the script: sees the request (the conversation so far) and answers. */
export type ScriptedTurn = (request: ChatRequest) => ScriptedReply;

export interface ScriptedModel {
	/** The base URL an OpenAI credential points at, e.g. http://127.0.0.1:PORT/v1. */
	url: string;
	/** Every chat-completions request, in order. */
	requests: ChatRequest[];
	/** Requests to other paths (e.g. the model list). */
	otherRequests: string[];
	stop(): Promise<void>;
}

/** The text of a message's content, whichever form the client sent it in. */
export function contentText(message: ChatMessage): string {
	if (typeof message.content === 'string') return message.content;
	if (Array.isArray(message.content)) return message.content.map((part) => part.text ?? '').join('');
	return '';
}

/**
 * The tool results of the last turn, parsed when they are JSON: the tool messages added since the previous request (an
 * agent may replay parallel calls as one assistant message per call), else those after the last assistant message.
 */
export function lastToolResults(request: ChatRequest, previous?: ChatRequest): Array<{ toolCallId?: string; text: string; json: unknown }> {
	const start = previous ? previous.messages.length : request.messages.map((message) => message.role).lastIndexOf('assistant') + 1;
	return request.messages.slice(start).filter((message) => message.role === 'tool').map((message) => {
		const text = contentText(message);
		let json: unknown;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		return { toolCallId: message.tool_call_id, text, json };
	});
}

let callCounter = 0;

function completion(request: ChatRequest, reply: ScriptedReply): { message: ChatMessage; finishReason: string } {
	if ('text' in reply) return { message: { role: 'assistant', content: reply.text }, finishReason: 'stop' };
	const tool_calls = reply.toolCalls.map((call) => ({
		id: `call_${++callCounter}`,
		type: 'function' as const,
		function: { name: call.name, arguments: JSON.stringify(call.arguments) },
	}));
	const offered = new Set((request.tools ?? []).map((tool) => tool.function.name));
	const unknown = reply.toolCalls.filter((call) => !offered.has(call.name)).map((call) => call.name);
	if (unknown.length > 0) throw new Error(`the script calls ${unknown.join(', ')}, which the agent did not offer (offered: ${[...offered].join(', ')})`);
	return { message: { role: 'assistant', content: null, tool_calls }, finishReason: 'tool_calls' };
}

const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

function answer(response: ServerResponse, request: ChatRequest, reply: ScriptedReply): void {
	const { message, finishReason } = completion(request, reply);
	const id = `chatcmpl-${callCounter}-${Date.now()}`;
	const created = Math.floor(Date.now() / 1000);
	if (!request.stream) {
		response.writeHead(200, { 'content-type': 'application/json' });
		response.end(JSON.stringify({ id, object: 'chat.completion', created, model: request.model, choices: [{ index: 0, message, finish_reason: finishReason }], usage }));
		return;
	}
	// Streamed: the role, then the content or each tool call whole, then the finish reason (and usage when asked).
	response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
	const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
		response.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`);
	chunk({ role: 'assistant', content: message.tool_calls ? null : '' }, null);
	if (message.tool_calls) message.tool_calls.forEach((call, index) => chunk({ tool_calls: [{ index, ...call }] }, null));
	else chunk({ content: message.content }, null);
	chunk({}, finishReason);
	if (request.stream_options?.include_usage) response.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [], usage })}\n\n`);
	response.end('data: [DONE]\n\n');
}

/**
 * Starts the server. Turn n of the script answers the n-th chat-completions request; a request beyond the script, or a
 * turn that throws, is answered with an OpenAI-style error (500), which the agent reports as the run's failure.
 */
export async function startScriptedModel(script: ScriptedTurn[]): Promise<ScriptedModel> {
	const requests: ChatRequest[] = [];
	const otherRequests: string[] = [];
	const server: Server = createServer((incoming: IncomingMessage, response) => {
		const chunks: Buffer[] = [];
		incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
		incoming.on('end', () => {
			const path = (incoming.url ?? '/').split('?')[0];
			if (incoming.method === 'GET' && /\/models$/.test(path)) {
				otherRequests.push(`${incoming.method} ${path}`);
				response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'scripted-model', object: 'model', owned_by: 'psa-bridge-e2e' }] }));
				return;
			}
			if (incoming.method !== 'POST' || !/\/chat\/completions$/.test(path)) {
				otherRequests.push(`${incoming.method} ${path}`);
				response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no ${incoming.method} ${path} here`, type: 'invalid_request_error' } }));
				return;
			}
			try {
				const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
				requests.push(request);
				const turn = script[requests.length - 1];
				if (!turn) throw new Error(`the script has ${script.length} turns; this is request ${requests.length}`);
				answer(response, request, turn(request));
			} catch (error) {
				response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: (error as Error).message, type: 'server_error' } }));
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as { port: number }).port;
	return {
		url: `http://127.0.0.1:${port}/v1`,
		requests,
		otherRequests,
		stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
