// PSA Link > Set / List / Delete / Release Maintenance Windows: alerts inside a window are held (no ticket) and released when it ends.
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { PsaServiceContext } from '../../../lib/services/context';
import { deleteWindow, listWindows, releaseEndedWindows, setWindow } from '../../../lib/services/windows';
import { plain } from '../../shared/descriptions';
import { optionalText, requiredText } from '../../shared/parameters';

const setShow = { operation: ['setWindow'] };

export const setDescription: INodeProperties[] = [
	{
		displayName: 'Window ID',
		name: 'windowId',
		type: 'string',
		default: '',
		placeholder: 'e.g. patch-night-acme',
		description: 'Letters, digits, ".", "_" and "-". An existing ID replaces that window; empty makes a new one (its ID is in the output).',
		displayOptions: { show: setShow },
	},
	{ displayName: 'Name', name: 'windowName', type: 'string', default: '', description: 'Shown in outputs and release summaries', displayOptions: { show: setShow } },
	{
		displayName: 'Starts At',
		name: 'startsAt',
		type: 'dateTime',
		default: '',
		required: true,
		displayOptions: { show: setShow },
	},
	{ displayName: 'Ends At', name: 'endsAt', type: 'dateTime', default: '', required: true, displayOptions: { show: setShow } },
	{
		displayName: 'Company ID',
		name: 'windowCompanyId',
		type: 'string',
		default: '',
		placeholder: 'e.g. 250',
		description: 'Hold alerts whose ticket would be for this company; empty: any company',
		displayOptions: { show: setShow },
	},
	{
		displayName: 'Source Pattern',
		name: 'sourcePattern',
		type: 'string',
		default: '',
		placeholder: 'e.g. zabbix',
		description: 'Hold alerts from matching sources ("*" any text, "?" one character, case ignored); empty: any source',
		displayOptions: { show: setShow },
	},
	{
		displayName: 'External ID Pattern',
		name: 'externalIdPattern',
		type: 'string',
		default: '',
		placeholder: 'e.g. web01:*',
		description: 'Hold alerts whose external ID matches; empty: any',
		displayOptions: { show: setShow },
	},
];

export const deleteDescription: INodeProperties[] = [
	{
		displayName: 'Window ID',
		name: 'windowId',
		type: 'string',
		default: '',
		required: true,
		description: 'The window ends now: alerts it holds that still fire get their ticket, then it is removed',
		displayOptions: { show: { operation: ['deleteWindow'] } },
	},
];

export const listDescription: INodeProperties[] = [
	{
		displayName: 'Include Released',
		name: 'includeReleased',
		type: 'boolean',
		default: false,
		description: 'Whether windows that ended and were released are listed too',
		displayOptions: { show: { operation: ['listWindows'] } },
	},
];

export async function set(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	const companyText = optionalText(this.getNodeParameter('windowCompanyId', itemIndex, ''), 'Company ID');
	return plain(
		await setWindow(ctx, {
			id: optionalText(this.getNodeParameter('windowId', itemIndex, ''), 'Window ID'),
			name: optionalText(this.getNodeParameter('windowName', itemIndex, ''), 'Name'),
			startsAt: this.getNodeParameter('startsAt', itemIndex, '') as string,
			endsAt: this.getNodeParameter('endsAt', itemIndex, '') as string,
			...(companyText !== undefined ? { companyId: Number(companyText) } : {}),
			sourcePattern: optionalText(this.getNodeParameter('sourcePattern', itemIndex, ''), 'Source Pattern'),
			externalIdPattern: optionalText(this.getNodeParameter('externalIdPattern', itemIndex, ''), 'External ID Pattern'),
		}),
	) as IDataObject;
}

export async function list(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject[]> {
	const includeReleased = this.getNodeParameter('includeReleased', itemIndex, false) as boolean;
	return (await listWindows(ctx, { includeReleased })).map((window) => plain(window) as IDataObject);
}

export async function remove(this: IExecuteFunctions, ctx: PsaServiceContext, itemIndex: number): Promise<IDataObject> {
	return plain(await deleteWindow(ctx, requiredText(this.getNodeParameter('windowId', itemIndex, ''), 'Window ID', itemIndex))) as IDataObject;
}

/** One output item per window released (none when no window has ended). */
export async function release(this: IExecuteFunctions, ctx: PsaServiceContext): Promise<IDataObject[]> {
	return (await releaseEndedWindows(ctx)).map((summary) => plain(summary) as IDataObject);
}
