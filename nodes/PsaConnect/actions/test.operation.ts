// PSA Connect > Test: authentication, codebase, server version, pinned vs current API version, latency.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { testConnection } from '../../../lib/services/connection';
import type { PsaServiceContext } from '../../../lib/services/context';
import { plain } from '../../shared/descriptions';

export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext): Promise<IDataObject> {
	return plain(await testConnection(ctx)) as IDataObject;
}
