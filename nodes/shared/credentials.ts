// The credentials every PSA node takes: the PSA connection (required) and the state store (optional; absent = embedded SQLite).
import type { INodeCredentialDescription } from 'n8n-workflow';

/** `withTests`: the node whose credentialTest methods back the credential dialogs' Test buttons (PSA Connect). */
export function credentialsOfPsaNode(options: { withTests?: boolean } = {}): INodeCredentialDescription[] {
	return [
		{
			name: 'connectWisePsaApi',
			required: true,
			displayName: 'PSA Connection (ConnectWise)',
			...(options.withTests ? { testedBy: 'connectWisePsaApiTest' } : {}),
		},
		// Labelled so the editor does not show two fields both called "Credential".
		{
			name: 'psaStateStore',
			required: false,
			displayName: 'State Store (Optional, Default: Embedded SQLite)',
			...(options.withTests ? { testedBy: 'psaStateStoreTest' } : {}),
		},
	];
}
