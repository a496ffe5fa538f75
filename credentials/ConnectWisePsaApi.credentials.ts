// The ConnectWise PSA API credential: site, company and API member keys, client id, pinned API version.
// Its credential test is PSA Connect's psaConnectionTest, named as testedBy in the credential list built from the provider registry.
import type { ICredentialDataDecryptedObject, Icon, ICredentialType, IHttpRequestOptions, INodeProperties } from 'n8n-workflow';

// eslint-disable-next-line @n8n/community-nodes/credential-test-required -- tested by PSA Connect (testedBy in a list the lint cannot read)
export class ConnectWisePsaApi implements ICredentialType {
	name = 'connectWisePsaApi';

	displayName = 'ConnectWise PSA API';

	icon: Icon = { light: 'file:connectWisePsa.svg', dark: 'file:connectWisePsa.dark.svg' };

	documentationUrl = 'https://github.com/psa-bridge/n8n-nodes-psa-bridge/blob/main/docs/nodes/connectwise-psa-api-credential.md';

	properties: INodeProperties[] = [
		{
			displayName: 'Site',
			name: 'site',
			type: 'string',
			default: 'api-na.myconnectwise.net',
			required: true,
			placeholder: 'api-na.myconnectwise.net',
			hint: 'Cloud: api-na.myconnectwise.net, api-eu.myconnectwise.net or api-au.myconnectwise.net. On-premises: your server\'s host name.',
			description: 'The host of your ConnectWise PSA API. The codebase (e.g. v4_6_release) is looked up automatically.',
		},
		{
			displayName: 'Company ID',
			name: 'companyId',
			type: 'string',
			default: '',
			required: true,
			description: 'The company name you type on the ConnectWise PSA login screen',
		},
		{
			displayName: 'Public Key',
			name: 'publicKey',
			type: 'string',
			default: '',
			required: true,
			description: 'The API member\'s public key (System > Members > API Members > API Keys)',
		},
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The API member\'s private key; ConnectWise shows it only once, when the key is created',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description: 'Your integration\'s client ID from the ConnectWise developer portal (developer.connectwise.com > Client ID)',
		},
		{
			displayName: 'API Version',
			name: 'apiVersion',
			type: 'string',
			default: '2025.8',
			description: 'The API version every request pins, so a PSA upgrade does not change behaviour. PSA Connect > Test reports the server\'s newest version.',
		},
		{
			displayName: 'Endpoint Versions',
			name: 'endpointVersions',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			default: {},
			placeholder: 'Add Endpoint Version',
			description: 'Pin single endpoints to another API version than the default, e.g. when one endpoint is deprecated',
			options: [
				{
					displayName: 'Endpoint',
					name: 'endpoint',
					values: [
						{
							displayName: 'Path',
							name: 'path',
							type: 'string',
							default: '',
							placeholder: '/service/tickets',
						},
						{
							displayName: 'Version',
							name: 'version',
							type: 'string',
							default: '',
							placeholder: '2025.8',
						},
					],
				},
			],
		},
	];

	/**
	 * Lets the HTTP Request node use this credential too; the nodes of this package send every request through it. A
	 * function rather than a generic block: n8n evaluates each `={{$credentials...}}` of a generic block as a full
	 * expression on every request (three per request here, 60% of the expression evaluations of a Link + Note item).
	 */
	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
		return {
			...requestOptions,
			auth: { username: `${text(credentials.companyId)}+${text(credentials.publicKey)}`, password: text(credentials.privateKey) },
			headers: { ...requestOptions.headers, clientId: text(credentials.clientId) },
		};
	}
}
