// The one item loop of every PSA node: bounded concurrency in input order, continueOnFail, pairedItem, adapter warnings.
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { PsaServiceContext } from '../../lib/services/context';
import { errorSummary, toNodeError } from './errors';

export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 50;

export type ItemOperation = (this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number) => Promise<IDataObject | IDataObject[]>;

export interface OperationModule {
	execute: ItemOperation;
}

/** Reads the "Concurrency" option (default 4); parallel items never reorder the output. */
export function concurrencyOf(fns: IExecuteFunctions): number {
	const value = fns.getNodeParameter('options.concurrency', 0, DEFAULT_CONCURRENCY) as number;
	if (!Number.isFinite(value) || value < 1) return 1;
	return Math.min(Math.floor(value), MAX_CONCURRENCY);
}

export async function runItems(
	this: IExecuteFunctions,
	operation: ItemOperation,
	makeContext: (fns: IExecuteFunctions) => Promise<PsaServiceContext>,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const continueOnFail = this.continueOnFail();
	const results: INodeExecutionData[][] = new Array(items.length);
	let ctx: PsaServiceContext;
	try {
		ctx = await makeContext(this);
	} catch (error) {
		if (!continueOnFail) throw toNodeError(this.getNode(), error);
		return [items.map((_, item) => ({ json: { error: errorSummary(error).message, ...errorSummary(error) }, pairedItem: { item } }))];
	}

	let next = 0;
	const failure: { first?: { index: number; error: unknown } } = {};
	const worker = async (): Promise<void> => {
		while (next < items.length && failure.first === undefined) {
			const index = next++;
			try {
				const output = await operation.call(this, ctx, index);
				const warnings = ctx.provider.takeWarnings();
				const objects = Array.isArray(output) ? output : [output];
				results[index] = objects.map((json) => ({
					json: warnings.length > 0 ? { ...json, warnings: warnings as unknown as IDataObject[] } : json,
					pairedItem: { item: index },
				}));
			} catch (error) {
				const warnings = ctx.provider.takeWarnings();
				if (continueOnFail) {
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
