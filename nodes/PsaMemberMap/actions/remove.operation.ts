// PSA Member Map > Remove: delete the mapping of an external identity.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { removeMember } from '../../../lib/services/member-map';
import { memberIdentityProperties, plain, readMemberIdentity } from '../../shared/descriptions';

export const description: INodeProperties[] = [...memberIdentityProperties({ show: { operation: ['remove'] } })];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await removeMember(ctx, readMemberIdentity(this, itemIndex))) as IDataObject;
}
