// PSA Catch-Up Trigger node: polls the PSA for tickets changed since its watermark and runs the workflow for the changes no callback brought (n8n down, unreachable, or no callbacks at all).
import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { catchUp, type CatchUpResult } from '../../lib/services/catch-up';
import type { TriggerContext } from '../../lib/services/trigger';
import { providerFor, sharedCache, storeOfNode } from '../shared/context';
import { toNodeError } from '../shared/errors';
import { listSearch, loadOptions } from '../shared/methods';
import { psaTriggerDescription } from '../shared/nodeDescription';
import { triggerProperties } from '../PsaTrigger/properties';
import { readSettings } from '../PsaTrigger/settings';

/** A manual run ("Fetch Test Event") before the first poll shows this much of the PSA's recent changes. */
const PREVIEW_LOOK_BACK_MS = 60 * 60 * 1000;
const PREVIEW_TICKETS = 10;

export class PsaCatchUpTrigger implements INodeType {
	description: INodeTypeDescription = {
		...psaTriggerDescription({
			displayName: 'PSA Catch-Up Trigger',
			name: 'psaCatchUpTrigger',
			description: 'Runs the workflow for PSA tickets changed since the last poll that no callback reported (n8n was down, or cannot receive callbacks)',
			polling: true,
			properties: [
				{
					displayName:
						'Polls the PSA for tickets changed since its last poll. Its first poll only sets the starting point (nothing before the workflow was active is replayed). With a PSA Trigger in the same workflow, a change both see runs the workflow once.',
					name: 'catchUpNotice',
					type: 'notice',
					default: '',
				},
				...triggerProperties({ callbacks: false }),
				{
					displayName: 'Max Tickets per Poll',
					name: 'maxTickets',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: 1000,
					description: 'Changed tickets read at most per poll; more are read by the next poll, from where this one stopped',
				},
			],
		}),
		// Stated here, not by the factory: n8n's community-node lint reads them from the class.
		subtitle: '={{ $parameter["events"].join(", ") }}',
		icon: { light: 'file:psaCatchUpTrigger.svg', dark: 'file:psaCatchUpTrigger.dark.svg' },
	};

	methods = { loadOptions, listSearch };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const node = this.getNode();
		const settings = readSettings(this);
		if (settings.events.length === 0) throw toNodeError(node, new Error('Choose at least one event'));
		const maxTickets = this.getNodeParameter('maxTickets', 1000) as number;
		const preview = this.getMode() === 'manual';
		let result: CatchUpResult;
		try {
			const store = await storeOfNode(this);
			const context: TriggerContext = {
				provider: await providerFor(this, store),
				cache: sharedCache,
				now: Date.now,
				store: async () => store,
				warn: (message) => this.logger.warn(message, { node: node.name }),
			};
			// The watermark is per node; the change records are per workflow, shared with its PSA Trigger.
			const scope = { workflowId: String(this.getWorkflow().id ?? ''), nodeId: node.id ?? node.name };
			result = await catchUp(context, scope, settings, preview ? { maxTickets: PREVIEW_TICKETS, preview: { lookBackMs: PREVIEW_LOOK_BACK_MS } } : { maxTickets });
		} catch (error) {
			throw toNodeError(node, error);
		}
		if (result.watermarkBefore === null && !preview) {
			this.logger.info(`PSA Catch-Up Trigger's first poll set its starting point to ${result.watermark}; changes from then on start the workflow`, { node: node.name });
		}
		if (result.items.length === 0) return null;
		// One run per poll, the changes as its items, oldest first (n8n starts one execution for what a poll returns).
		return [this.helpers.returnJsonArray(result.items as unknown as IDataObject[])];
	}
}
