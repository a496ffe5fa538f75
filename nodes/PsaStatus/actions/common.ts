// What PSA Status's Set, Close and Reopen share: the "read current status" option.
import type { IExecuteFunctions } from 'n8n-workflow';
import type { StatusOptions } from '../../../lib/services/status';

export function statusOptionsOf(fns: IExecuteFunctions, itemIndex: number): StatusOptions {
	return { readCurrent: fns.getNodeParameter('options.readCurrent', itemIndex, false) as boolean };
}
