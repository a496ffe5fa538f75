// The HaloPSA API credential: the tenant's resource server, its authorisation server (derived when empty), an API application's client ID and secret, scope and tenant, and the action type notes are posted with.
// Its credential test is PSA Connect's psaConnectionTest, named as testedBy in the credential list built from the provider registry.
import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

// eslint-disable-next-line @n8n/community-nodes/credential-test-required -- tested by PSA Connect (testedBy in a list the lint cannot read)
export class HaloPsaApi implements ICredentialType {
	name = 'haloPsaApi';

	displayName = 'HaloPSA API';

	icon: Icon = { light: 'file:haloPsa.svg', dark: 'file:haloPsa.dark.svg' };

	documentationUrl = 'https://github.com/psa-bridge/n8n-nodes-psa-bridge/blob/main/docs/nodes/halopsa-api-credential.md';

	properties: INodeProperties[] = [
		{
			displayName: 'Resource Server URL',
			name: 'resourceUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://acme.halopsa.com/api',
			description: 'Shown in Halo under Configuration > Integrations > Halo API (API Details). A bare tenant address gets /api.',
		},
		{
			displayName: 'Authorisation Server URL',
			name: 'authUrl',
			type: 'string',
			default: '',
			placeholder: 'https://acme.halopsa.com/auth',
			description: "Leave empty to use the resource server's address with /auth, as Halo lays it out (hosted and on-premises)",
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description: 'Of an API application whose authentication method is Client ID and Secret (Services)',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			default: 'all',
			description: 'The permissions the token asks for: all, or e.g. "read:tickets edit:tickets read:customers read:assets admin" (webhooks need admin)',
		},
		{
			displayName: 'Tenant',
			name: 'tenant',
			type: 'string',
			default: '',
			placeholder: 'acme',
			description: 'Only for hosted tenants whose token request must name the tenant; leave empty otherwise',
		},
		{
			displayName: 'Note Action Type',
			name: 'noteActionType',
			type: 'string',
			default: '',
			placeholder: 'Private Note',
			description: "The action type (outcome) notes are posted as, by name; empty: Halo's default (resolution notes: Resolution)",
		},
	];
}
