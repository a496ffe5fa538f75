// PSA Link > List: the stored links of this connection, one output item per link.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { listLinks } from '../../../lib/services/link';
import type { PsaServiceContext } from '../../../lib/services/context';
import type { LinkState } from '../../../lib/store/types';
import { filtersCollection, limitProperty, plain, readLimit } from '../../shared/descriptions';
import { optionalText } from '../../shared/parameters';

const show = { operation: ['list'] };

export const description: INodeProperties[] = [
	filtersCollection({ show }, [
		{
			displayName: 'Source',
			name: 'source',
			type: 'string',
			default: '',
			description: 'Only links from this source',
		},
		{
			displayName: 'State',
			name: 'state',
			type: 'options',
			options: [
				{ name: 'Closed', value: 'closed' },
				{ name: 'Linked', value: 'linked' },
				{ name: 'Pending', value: 'pending', description: 'A ticket is being created' },
			],
			default: 'linked',
		},
	]),
	limitProperty({ show }),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject[]> {
	const filters = this.getNodeParameter('filters', itemIndex, {}) as { source?: unknown; state?: LinkState };
	const limit = readLimit(this, itemIndex);
	const links = await listLinks(ctx, { source: optionalText(filters.source, 'Source'), state: filters.state, limit });
	return links.map((stored) => plain(stored) as IDataObject);
}
