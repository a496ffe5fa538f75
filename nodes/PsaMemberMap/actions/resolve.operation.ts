// PSA Member Map > Resolve: the member for an external identity — the map first, then an email match among active members.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { resolveMember } from '../../../lib/services/member-map';
import { memberIdentityProperties, plain, readMemberIdentity } from '../../shared/descriptions';

export const description: INodeProperties[] = [...memberIdentityProperties({ show: { operation: ['resolve'] } })];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await resolveMember(ctx, readMemberIdentity(this, itemIndex))) as IDataObject;
}
