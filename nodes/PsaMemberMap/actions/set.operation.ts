// PSA Member Map > Set: map an external identity to a member by hand (an active member only).
import type { IDataObject, IExecuteFunctions, INodeParameterResourceLocator, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { setMember } from '../../../lib/services/member-map';
import { memberIdentityProperties, plain, readMemberIdentity } from '../../shared/descriptions';

const show = { operation: ['set'] };

export const description: INodeProperties[] = [
	...memberIdentityProperties({ show }),
	{
		displayName: 'Member',
		name: 'member',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The PSA member (active members only)',
		displayOptions: { show },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a member...',
				typeOptions: { searchListMethod: 'searchMembers', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. 176',
				validation: [{ type: 'regex', properties: { regex: '^\\s*\\d+\\s*$', errorMessage: 'A member ID is a number' } }],
			},
			{
				displayName: 'By Identifier',
				name: 'identifier',
				type: 'string',
				placeholder: 'e.g. jsmith',
			},
		],
	},
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const locator = this.getNodeParameter('member', itemIndex, undefined, { extractValue: false }) as INodeParameterResourceLocator;
	const value = String(locator?.value ?? '').trim();
	const member = locator?.mode === 'identifier' ? { identifier: value } : { id: value === '' ? undefined : Number(value) };
	return plain(await setMember(ctx, { ...readMemberIdentity(this, itemIndex), member })) as IDataObject;
}
