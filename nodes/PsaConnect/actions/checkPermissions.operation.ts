// PSA Connect > Check Permissions: one output item per endpoint the package uses, allowed or not.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { checkPermissions } from '../../../lib/services/connection';
import type { PsaServiceContext } from '../../../lib/services/context';
import { plain } from '../../shared/descriptions';

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext): Promise<IDataObject[]> {
	const checks = await checkPermissions(ctx);
	return checks.map((check) => plain(check) as IDataObject);
}
