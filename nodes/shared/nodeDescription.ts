// The description every PSA node shares (icons, credentials, the PSA selector), and for action nodes the Operation selector and parameters built from their operations.
import {
	NodeConnectionTypes,
	type INodeProperties,
	type INodePropertyOptions,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { authenticationProperty, credentialsOfPsaNode } from './credentials';
import { optionsCollection } from './descriptions';
import type { Operations } from './router';

export interface PsaNodeSpec {
	/** e.g. "PSA Link"; also the default name of a node added to a workflow. */
	displayName: string;
	/** The node type without the package prefix, e.g. "psaLink". */
	name: string;
	description: string;
	/** PSA Connect's credential test methods, run by the credential dialogs' Test buttons. */
	credentialTests?: { psa: string; store: string };
}

/**
 * What the node class states itself, in its description literal: n8n's community-node lint reads these from it (icon
 * files exist, a subtitle, usableAsTool on action nodes).
 */
type StatedByTheClass = 'icon' | 'subtitle' | 'usableAsTool';

/** What a trigger and an action node share, in the order n8n's own nodes list it. */
function header(spec: PsaNodeSpec, group: 'transform' | 'trigger'): Pick<INodeTypeDescription, 'displayName' | 'name' | 'group' | 'version' | 'description' | 'defaults' | 'skipNameGeneration'> {
	return {
		displayName: spec.displayName,
		name: spec.name,
		group: [group],
		version: 1,
		description: spec.description,
		defaults: { name: spec.displayName },
		// n8n otherwise names a new node after its operation's action, a sentence written for the model (the tool description).
		skipNameGeneration: true,
	};
}

export interface PsaTriggerSpec extends PsaNodeSpec {
	/** A callback trigger's webhooks; a polling trigger has none. */
	webhooks?: INodeTypeDescription['webhooks'];
	/** A polling trigger: n8n adds its Poll Times parameter and calls poll() on that schedule. */
	polling?: true;
	/** The parameters after the PSA selector. */
	properties: INodeProperties[];
}

export function psaTriggerDescription(spec: PsaTriggerSpec): Omit<INodeTypeDescription, StatedByTheClass> {
	return {
		...header(spec, 'trigger'),
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: credentialsOfPsaNode(spec.credentialTests),
		...(spec.webhooks ? { webhooks: spec.webhooks } : {}),
		...(spec.polling ? { polling: true } : {}),
		properties: [authenticationProperty(), ...spec.properties],
	};
}

export interface PsaActionSpec extends PsaNodeSpec {
	operations: Operations;
	defaultOperation: string;
	/** The Options collection; the shared one (Concurrency) unless the node adds options. */
	options?: INodeProperties;
}

/**
 * The node's one resource (PSA Link: "Link"). n8n builds an AI tool's description from the operation's action only when
 * the Operation parameter is shown for a resource (n8n-workflow's resolveResourceAndOperation, 2.30); without one the
 * model would read the node's general description instead of what the chosen operation does.
 */
function resourceProperty(spec: PsaNodeSpec): { property: INodeProperties; value: string } {
	const value = spec.name.replace(/^psa/, '').replace(/^./, (first) => first.toLowerCase());
	const name = spec.displayName.replace(/^PSA /, '');
	return {
		value,
		property: { displayName: 'Resource', name: 'resource', type: 'options', noDataExpression: true, options: [{ name, value }], default: value },
	};
}

/** n8n's model nodes list operations alphabetically; the parameters follow in the order the node gives its operations. */
function operationProperty(operations: Operations, defaultOperation: string, resource: string): INodeProperties {
	const options: INodePropertyOptions[] = Object.entries(operations)
		.map(([value, entry]) => ({ name: entry.name, value, description: entry.description, action: entry.action }))
		.sort((a, b) => a.name.localeCompare(b.name));
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource] } },
		options,
		default: defaultOperation,
	};
}

export function psaActionDescription(spec: PsaActionSpec): Omit<INodeTypeDescription, StatedByTheClass> {
	if (!Object.hasOwn(spec.operations, spec.defaultOperation)) throw new Error(`${spec.displayName}: no operation "${spec.defaultOperation}"`);
	const resource = resourceProperty(spec);
	return {
		...header(spec, 'transform'),
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: credentialsOfPsaNode(spec.credentialTests),
		properties: [
			authenticationProperty(),
			resource.property,
			operationProperty(spec.operations, spec.defaultOperation, resource.value),
			...Object.values(spec.operations).flatMap((entry) => entry.module.description),
			spec.options ?? optionsCollection,
		],
	};
}
