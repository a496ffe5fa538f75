// The PSA State Store credential: where the package keeps links, note receipts and maps, and the keys that seal them.
import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

// eslint-disable-next-line @n8n/community-nodes/credential-test-required -- tested by PSA Connect (testedBy in a list the lint cannot read)
export class PsaStateStore implements ICredentialType {
	name = 'psaStateStore';

	displayName = 'PSA State Store';

	icon: Icon = { light: 'file:psaStateStore.svg', dark: 'file:psaStateStore.dark.svg' };

	documentationUrl = 'https://github.com/psa-bridge/n8n-nodes-psa-bridge/blob/main/docs/nodes/psa-state-store-credential.md';

	properties: INodeProperties[] = [
		{
			displayName:
				'Optional. A PSA node without this credential uses the embedded SQLite file psa-bridge/state.sqlite in the n8n user folder (~/.n8n). Create one to put that file elsewhere or to share state between workers through PostgreSQL.',
			name: 'optionalNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Engine',
			name: 'engine',
			type: 'options',
			options: [
				{
					name: 'SQLite File',
					value: 'sqlite',
					description: 'One n8n process (the default without this credential)',
				},
				{
					name: 'PostgreSQL',
					value: 'postgres',
					description: 'Several n8n workers (queue mode) sharing one state',
				},
			],
			default: 'sqlite',
		},
		{
			displayName: 'File Path',
			name: 'filePath',
			type: 'string',
			default: '',
			placeholder: '/home/node/.n8n/psa-bridge/state.sqlite',
			description:
				'Absolute path of the SQLite database file (created if absent). Leave empty for the default file inside the n8n user folder. A relative path (e.g. ../state.sqlite or ~/state.sqlite) is refused, not resolved: it would depend on the folder n8n was started from.',
			displayOptions: { show: { engine: ['sqlite'] } },
		},
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'localhost',
			description: 'The server\'s host name or IP address only (a postgres:// connection URL is refused: the user, password, port and database have fields of their own)',
			displayOptions: { show: { engine: ['postgres'] } },
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 5432,
			displayOptions: { show: { engine: ['postgres'] } },
		},
		{
			displayName: 'Database',
			name: 'database',
			type: 'string',
			default: 'n8n',
			description: 'At most 63 characters, as PostgreSQL allows',
			displayOptions: { show: { engine: ['postgres'] } },
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'At most 63 characters, as PostgreSQL allows',
			displayOptions: { show: { engine: ['postgres'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { engine: ['postgres'] } },
		},
		{
			displayName: 'SSL',
			name: 'ssl',
			type: 'options',
			options: [
				{ name: 'Off', value: 'off' },
				{ name: 'On, Verify Certificate', value: 'verify' },
				{ name: 'On, Do Not Verify Certificate', value: 'noVerify' },
			],
			default: 'off',
			displayOptions: { show: { engine: ['postgres'] } },
		},
		{
			displayName: 'Schema',
			name: 'schema',
			type: 'string',
			default: 'psa_bridge',
			description: 'The package creates its tables in this schema: letters, digits and underscores, at most 63 characters',
			displayOptions: { show: { engine: ['postgres'] } },
		},
		// A Fernet key is a secret: the rule's list of sensitive names does not know 'encryptionKey'.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'Encryption Key',
			name: 'encryptionKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Fernet key (32 bytes, URL-safe base64) that seals identities and note bodies at rest. Required for PostgreSQL; for SQLite, empty means the key file created next to the database.',
		},
		// A Fernet key is a secret: the rule's list of sensitive names does not know 'previousKeys'.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'Previous Keys',
			name: 'previousKeys',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Older keys, comma-separated, still accepted for reading after a key rotation',
		},
	];
}
