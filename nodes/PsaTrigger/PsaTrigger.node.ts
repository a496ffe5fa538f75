// PSA Trigger node: runs a workflow on ticket events (the PSA's callbacks), registered on activation, verified, echo- and replay-safe.
import type { IHookFunctions, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { toNodeError } from '../shared/errors';
import { listSearch, loadOptions } from '../shared/methods';
import { psaTriggerDescription } from '../shared/nodeDescription';
import { callbackExists, createCallback, deleteCallbacks } from './registration';
import { planCallback } from '../../lib/services/trigger-filter';
import { secretKeeperOf } from './secrets';
import { readSettings } from './settings';
import { triggerProperties } from './properties';
import { handleCallback, triggerProvider } from './webhook';

function webhookUrlOf(fns: IHookFunctions): string {
	const url = fns.getNodeWebhookUrl('default');
	if (!url) throw toNodeError(fns.getNode(), new Error('n8n did not give this trigger a webhook URL'));
	return url;
}

export class PsaTrigger implements INodeType {
	description: INodeTypeDescription = {
		...psaTriggerDescription({
			displayName: 'PSA Trigger',
			name: 'psaTrigger',
			description: 'Runs the workflow when a PSA ticket is added, updated or deleted (the PSA calls back)',
			webhooks: [
				{
					name: 'default',
					httpMethod: 'POST',
					responseMode: 'onReceived',
					path: 'webhook',
				},
			],
			properties: triggerProperties({ callbacks: true }),
		}),
		// Stated here, not by the factory: n8n's community-node lint reads them from the class.
		subtitle: '={{ $parameter["events"].join(", ") }}',
		icon: { light: 'file:psaTrigger.svg', dark: 'file:psaTrigger.dark.svg' },
	};

	methods = { loadOptions, listSearch };

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const provider = await triggerProvider(this);
				try {
					const keeper = await secretKeeperOf(this, provider);
					return await callbackExists(provider, webhookUrlOf(this), planCallback(readSettings(this), provider.callbackLevels), this.getWorkflowStaticData('node'), keeper);
				} catch (error) {
					throw toNodeError(this.getNode(), error);
				}
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const provider = await triggerProvider(this);
				const settings = readSettings(this);
				if (settings.events.length === 0) throw toNodeError(this.getNode(), new Error('Choose at least one event'));
				const description = `n8n workflow ${String(this.getWorkflow().id ?? '')}: ${this.getNode().name}`.slice(0, 100);
				try {
					const keeper = await secretKeeperOf(this, provider);
					await createCallback(provider, webhookUrlOf(this), planCallback(settings, provider.callbackLevels), description, this.getWorkflowStaticData('node'), keeper);
				} catch (error) {
					throw toNodeError(this.getNode(), error);
				}
				return true;
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const provider = await triggerProvider(this);
				try {
					await deleteCallbacks(provider, this.getNodeWebhookUrl('default'), this.getWorkflowStaticData('node'), await secretKeeperOf(this, provider));
				} catch (error) {
					throw toNodeError(this.getNode(), error);
				}
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return handleCallback(this);
	}
}
