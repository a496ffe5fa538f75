// PSA Link > Unlink: forget the link; the ticket stays in the PSA.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { unlink } from '../../../lib/services/link';
import type { PsaServiceContext } from '../../../lib/services/context';
import { linkTargetProperties, plain, readLinkTarget } from '../../shared/descriptions';

export const description: INodeProperties[] = [...linkTargetProperties({ show: { operation: ['unlink'] } })];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await unlink(ctx, readLinkTarget(this, itemIndex))) as IDataObject;
}
