// A node run by an AI agent as a tool: how n8n says so, and the structured error a model can act on instead of a stack trace.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { isPsaError, type PsaErrorKind } from '../../lib/providers/errors';
import { isStoreError } from '../../lib/store/errors';
import { psaCredentialTypeOf } from './context';
import { errorSummary } from './errors';

/**
 * Whether n8n runs this node for an AI agent. n8n 2.x says it three ways, depending on the agent: the context's
 * isToolExecution() (a tool called through LangChain, n8n-core's SupplyDataContext); the node's type, which n8n derives
 * from a `usableAsTool` node by appending "Tool" (n8n's own isToolType rule); and, when the AI Agent (v3) asks the
 * engine to run the tool, the node's rewireOutputLogTo "ai_tool" (in 2.30 that context's isToolExecution() is false).
 */
export function runsAsTool(fns: IExecuteFunctions): boolean {
	if (typeof fns.isToolExecution === 'function' && fns.isToolExecution()) return true;
	const node = fns.getNode() as { type: string; rewireOutputLogTo?: string };
	return node.type.endsWith('Tool') || node.rewireOutputLogTo === 'ai_tool';
}

/** What a model gets back for a failed call: what kind of failure, what happened, and what to do next. */
export interface ToolError extends IDataObject {
	errorType: string;
	message: string;
	nextAction: string;
	/** Seconds to wait before calling again (the PSA throttled the connection). */
	retryAfter?: number;
}

/** The next step for a model, by kind, when the failure carries no specific hint of its own. */
const NEXT_ACTIONS: Record<PsaErrorKind, string> = {
	'invalid-input': 'Correct the input the message names and call the tool again; nothing was written.',
	'not-found': 'Check the id or name (look the record up first); calling again with the same input will fail the same way.',
	conflict: 'Call the tool again with the same input after a short wait; repeating it is safe.',
	'rate-limited': 'Wait retryAfter seconds, then call the tool again with the same input; nothing was written.',
	unavailable: 'Call the tool again later with the same input; repeating it is safe (no duplicate is created).',
	authentication: 'Stop and tell the user: the PSA credential in n8n needs fixing; retrying will not help.',
	permission: "Stop and tell the user: the PSA API member lacks a permission; retrying will not help.",
	version: "Stop and tell the user: the PSA credential's API version needs changing; retrying will not help.",
	configuration: 'Stop and tell the user: the node or credential settings need fixing; retrying will not help.',
};

const STORE_NEXT_ACTION = "Stop and tell the user: the PSA State Store needs attention; retrying will not help.";

/** Errors a PSA answers with a specific hint (valid choices, when to retry) keep it; the generic ones get a model's next step. */
function nextActionOf(error: unknown, hint: string | undefined): string {
	if (isPsaError(error)) {
		const specific = error.details.hint;
		const general = NEXT_ACTIONS[error.kind];
		return specific ? `${specific} ${error.kind === 'invalid-input' ? 'Then call the tool again.' : general}` : general;
	}
	if (isStoreError(error)) return error.kind === 'invalid-input' ? NEXT_ACTIONS['invalid-input'] : STORE_NEXT_ACTION;
	return hint ? `${hint} If the input was wrong, correct it and call the tool again.` : 'Check the input and call the tool again; if it fails the same way, tell the user.';
}

/** Removes every credential value long enough to be a secret from a text that reaches the model. */
function withoutSecrets(text: string, secrets: string[]): string {
	return secrets.reduce((clean, secret) => clean.split(secret).join('[redacted]'), text);
}

async function credentialSecrets(fns: IExecuteFunctions): Promise<string[]> {
	try {
		const credentials = await fns.getCredentials(psaCredentialTypeOf(fns));
		return Object.values(credentials)
			.filter((value): value is string => typeof value === 'string' && value.length >= 8)
			.sort((a, b) => b.length - a.length);
	} catch {
		return [];
	}
}

/** The tool result for a failure: errorType, message, nextAction and retryAfter; no stack trace, no credential value. */
export async function toolErrorOf(fns: IExecuteFunctions, error: unknown): Promise<ToolError> {
	const summary = errorSummary(error);
	const secrets = await credentialSecrets(fns);
	const retryAfterMs = isPsaError(error) ? error.details.retryAfterMs : undefined;
	const result: ToolError = {
		errorType: summary.kind ?? 'error',
		message: withoutSecrets(summary.message, secrets),
		nextAction: withoutSecrets(nextActionOf(error, summary.hint), secrets),
	};
	if (retryAfterMs !== undefined || (isPsaError(error) && error.kind === 'rate-limited')) result.retryAfter = Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000));
	return result;
}
