// The trigger's callback-secret keeper in n8n terms: this workflow and node, the node's state store; none for a PSA whose callbacks have no secret of their own.
import type { IHookFunctions } from 'n8n-workflow';
import type { PsaProvider } from '../../lib/providers/types';
import { CallbackSecretKeeper, type TriggerScope } from '../../lib/services/callback-secrets';
import { sharedCache, storeOfNode } from '../shared/context';

/** The same workflow and node ids the webhook handler scopes its deliveries with. */
export function triggerScopeOf(fns: IHookFunctions): TriggerScope {
	const node = fns.getNode();
	return { workflowId: String(fns.getWorkflow().id ?? ''), nodeId: node.id ?? node.name };
}

export async function secretKeeperOf(fns: IHookFunctions, provider: PsaProvider): Promise<CallbackSecretKeeper | undefined> {
	if (!provider.callbackSecrets) return undefined;
	const store = await storeOfNode(fns);
	return new CallbackSecretKeeper({ provider, store, cache: sharedCache, now: Date.now }, triggerScopeOf(fns));
}
