// The one item loop and the one operation router of every PSA action node: items in flight in input order, continueOnFail, pairedItem, each item's own warnings.
import { NodeOperationError, type IBinaryKeyData, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../lib/services/context';
import { withOwnWarnings } from '../../lib/providers/warnings';
import { serviceContextOf } from './context';
import { errorSummary, toNodeError } from './errors';
import { runsAsTool, toolErrorOf } from './tool';
import { prepareToolInput } from './tool-input';

/** What the Concurrency option shows when it is added: the former fixed default. */
export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 50;
/**
 * Items in flight when Concurrency is Automatic (the option not set). The connection's limiter (lib/providers/limiter.ts)
 * decides how many requests are sent at once; this only bounds how many items queue for it, so the time an item waits
 * in the limiter stays well inside the request layer's retry budget (at 100 requests/s, 128 items wait about 1.3 s of
 * its 30 s). At 32 a burst of new alerts at 50 ms latency left the process idle between answers (docs/providers.md).
 */
export const AUTOMATIC_CONCURRENCY = 128;

/** Where an operation's output item carries binary data (a download): taken off the JSON by the router. */
const BINARY = Symbol('psa-binary');

/** An output item with binary data beside its JSON. */
export function withBinary(json: IDataObject, binary: IBinaryKeyData): IDataObject {
	return Object.assign(json, { [BINARY]: binary });
}

function outputItem(json: IDataObject, warnings: unknown[], item: number): INodeExecutionData {
	const binary = (json as { [BINARY]?: IBinaryKeyData })[BINARY];
	const plainJson = binary ? (({ [BINARY]: _binary, ...rest }) => rest)(json as IDataObject & { [BINARY]?: IBinaryKeyData }) : json;
	return {
		json: warnings.length > 0 ? { ...plainJson, warnings: warnings as unknown as IDataObject[] } : plainJson,
		...(binary ? { binary } : {}),
		pairedItem: { item },
	};
}

export type ItemOperation = (this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number) => Promise<IDataObject | IDataObject[]>;

export interface OperationModule {
	execute: ItemOperation;
}

/** Items in flight: the "Concurrency" option when set (a manual override), else Automatic. The output keeps the input order. */
export function concurrencyOf(fns: IExecuteFunctions): number {
	const value = fns.getNodeParameter('options.concurrency', 0, null) as number | null;
	if (value === null || value === undefined || (value as unknown) === '') return AUTOMATIC_CONCURRENCY;
	if (!Number.isFinite(value) || value < 1) return 1;
	return Math.min(Math.floor(value), MAX_CONCURRENCY);
}

/** How an AI agent's call reaches an operation: the operation's parameters, checked and resolved before it reads them. */
export interface ToolCallSpec {
	operation: string;
	properties: INodeProperties[];
}

/** Runs the operation for one item as a tool: the model's input checked first, the names it resolved added to the output. */
async function runAsTool(this: IExecuteFunctions, operation: ItemOperation, ctx: PsaServiceContext, index: number, spec: ToolCallSpec): Promise<IDataObject | IDataObject[]> {
	const input = await prepareToolInput(this, index, ctx.provider, spec.properties, spec.operation);
	const output = await operation.call(input.fns, ctx, index);
	if (input.resolved.length === 0) return output;
	const withResolved = (json: IDataObject): IDataObject => ({
		...json,
		resolved: [...input.resolved, ...((Array.isArray(json.resolved) ? json.resolved : []) as IDataObject[])] as unknown as IDataObject[],
	});
	return Array.isArray(output) ? output.map(withResolved) : withResolved(output);
}

export async function runItems(
	this: IExecuteFunctions,
	operation: ItemOperation,
	makeContext: (fns: IExecuteFunctions) => Promise<PsaServiceContext>,
	tool?: ToolCallSpec,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const continueOnFail = this.continueOnFail();
	// An agent's tool call: every failure becomes a result the model can act on (errorType, message, nextAction), never a thrown error.
	const asTool = tool !== undefined && runsAsTool(this);
	const results: INodeExecutionData[][] = new Array(items.length);
	let ctx: PsaServiceContext;
	try {
		ctx = await makeContext(this);
	} catch (error) {
		if (asTool) {
			const json = await toolErrorOf(this, error);
			return [items.map((_, item) => ({ json, pairedItem: { item } }))];
		}
		if (!continueOnFail) throw toNodeError(this.getNode(), error);
		return [items.map((_, item) => ({ json: { error: errorSummary(error).message, ...errorSummary(error) }, pairedItem: { item } }))];
	}

	let next = 0;
	const failure: { first?: { index: number; error: unknown } } = {};
	const worker = async (): Promise<void> => {
		while (next < items.length && failure.first === undefined) {
			const index = next++;
			// Items run side by side over one provider: each takes only the warnings its own requests brought.
			const outcome = await withOwnWarnings(async () => {
				try {
					const output = asTool ? await runAsTool.call(this, operation, ctx, index, tool) : await operation.call(this, ctx, index);
					return { output, warnings: ctx.provider.takeWarnings() };
				} catch (error) {
					return { error, warnings: ctx.provider.takeWarnings() };
				}
			});
			const { warnings } = outcome;
			if (!('error' in outcome)) {
				const objects = Array.isArray(outcome.output) ? outcome.output : [outcome.output];
				results[index] = objects.map((json) => outputItem(json, warnings, index));
			} else {
				const { error } = outcome;
				if (asTool) {
					const json = await toolErrorOf(this, error);
					results[index] = [{ json: warnings.length > 0 ? { ...json, warnings: warnings as unknown as IDataObject[] } : json, pairedItem: { item: index } }];
				} else if (continueOnFail) {
					const summary = errorSummary(error);
					results[index] = [
						{
							json: { error: summary.message, ...summary, ...(warnings.length > 0 ? { warnings: warnings as unknown as IDataObject[] } : {}) },
							pairedItem: { item: index },
						},
					];
				} else {
					// Items run in parallel: report the earliest failing item, as a sequential loop would.
					const earlier = failure.first as { index: number } | undefined;
					if (!earlier || index < earlier.index) failure.first = { index, error };
				}
			}
		}
	};
	const workers = Array.from({ length: Math.min(concurrencyOf(this), Math.max(items.length, 1)) }, () => worker());
	await Promise.all(workers);
	if (failure.first) throw toNodeError(this.getNode(), failure.first.error, failure.first.index);
	return [results.flat()];
}

/** An operation as a node offers it: its module (parameters and execute) and its entry in the Operation selector. */
export interface OperationEntry {
	module: OperationModule & { description: INodeProperties[] };
	name: string;
	description: string;
	action: string;
}

/** A node's operations by Operation value, in the order their parameters appear. */
export type Operations = Record<string, OperationEntry>;

export type NodeRouter = (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>;

/** A node's execute: picks the operation by the Operation parameter, then runs the shared item loop. */
export function operationRouter(operations: Operations): NodeRouter {
	return async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		const entry = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
		if (!entry) throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not known`);
		return runItems.call(this, entry.module.execute, serviceContextOf, { operation, properties: entry.module.description });
	};
}
