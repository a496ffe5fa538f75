// PSA Member Map > List: the stored mappings of this connection, one output item per mapping (and per damaged row, flagged).
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { listMembers } from '../../../lib/services/member-map';
import type { DamagedRow } from '../../../lib/store/errors';
import type { MemberMapKind } from '../../../lib/store/types';
import { filtersCollection, limitProperty, plain, readLimit } from '../../shared/descriptions';
import { optionalText } from '../../shared/parameters';

const show = { operation: ['list'] };

export const description: INodeProperties[] = [
	filtersCollection({ show }, [
		{
			displayName: 'Identity Source',
			name: 'source',
			type: 'string',
			default: '',
		},
		{
			displayName: 'Kind',
			name: 'kind',
			type: 'options',
			options: [
				{ name: 'Automatic (Email Match)', value: 'auto' },
				{ name: 'Manual', value: 'manual' },
			],
			default: 'manual',
		},
	]),
	limitProperty({ show }),
];

export async function execute(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject[]> {
	const filters = this.getNodeParameter('filters', itemIndex, {}) as { source?: unknown; kind?: MemberMapKind };
	const limit = readLimit(this, itemIndex);
	const damaged: DamagedRow[] = [];
	const mappings = await listMembers(ctx, { source: optionalText(filters.source, 'Source'), kind: filters.kind, limit, onDamaged: (row) => damaged.push(row) });
	// A damaged row is one item of its own, flagged, after the intact ones: visible in the editor, easy to filter out.
	return [...mappings.map((mapping) => plain(mapping) as IDataObject), ...damaged.map((row) => ({ damaged: true, ...row }) as IDataObject)];
}
