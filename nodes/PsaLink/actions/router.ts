// PSA Link's router: picks the operation; the shared item loop does the rest.
import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import { serviceContextOf } from '../../shared/context';
import { runItems, type OperationModule } from '../../shared/router';
import * as get from './get.operation';
import * as link from './link.operation';
import * as linkExisting from './linkExisting.operation';
import * as list from './list.operation';
import * as unlink from './unlink.operation';

export const operations: Record<string, OperationModule> = { link, linkExisting, get, unlink, list };

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as string;
	const module = operations[operation];
	if (!module) throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not known`);
	return runItems.call(this, module.execute, serviceContextOf);
}
