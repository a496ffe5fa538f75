// The Autotask PSA API credential: the API-only user's user name and secret, the API tracking identifier, an optional zone.
// Its credential test is PSA Connect's psaConnectionTest, named as testedBy in the credential list built from the provider registry.
import type { ICredentialDataDecryptedObject, Icon, ICredentialType, IHttpRequestOptions, INodeProperties } from 'n8n-workflow';

// eslint-disable-next-line @n8n/community-nodes/credential-test-required -- tested by PSA Connect (testedBy in a list the lint cannot read)
export class AutotaskPsaApi implements ICredentialType {
	name = 'autotaskPsaApi';

	displayName = 'Autotask PSA API';

	icon: Icon = { light: 'file:autotaskPsa.svg', dark: 'file:autotaskPsa.dark.svg' };

	documentationUrl = 'https://github.com/psa-bridge/n8n-nodes-psa-bridge/blob/main/docs/nodes/autotask-psa-api-credential.md';

	properties: INodeProperties[] = [
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'abc123@example.com',
			description: 'The user name of an API-only user (Admin > Resources/Users, security level "API User (system)")',
		},
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: "The API user's password (secret)",
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password -- the tracking identifier authenticates every request with the user name and secret
		{
			displayName: 'Integration Code',
			name: 'integrationCode',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The API tracking identifier on the API user\'s Security tab (Integration Vendor or Custom (Internal Integration))',
		},
		{
			displayName: 'Zone URL',
			name: 'zoneUrl',
			type: 'string',
			default: '',
			placeholder: 'https://webservices5.autotask.net/ATServicesRest/',
			description: 'Leave empty: the zone is looked up from the user name. Set it only to skip the lookup.',
		},
	];

	/**
	 * Lets the HTTP Request node use this credential too; the nodes of this package send every request through it with
	 * the three headers below. A function rather than a generic block: n8n evaluates each
	 * `={{$credentials...}}` of a generic block as a full expression on every request.
	 */
	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
		return {
			...requestOptions,
			headers: { ...requestOptions.headers, ApiIntegrationCode: text(credentials.integrationCode), UserName: text(credentials.username), Secret: text(credentials.secret) },
		};
	}
}
