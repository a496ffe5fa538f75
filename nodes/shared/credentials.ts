// The credentials every PSA node takes: the PSA connection (required) and the state store (optional; absent = embedded SQLite).
import type { INodeCredentialDescription } from 'n8n-workflow';

// PSA Connect lists the same two with testedBy (n8n's lint reads it from that literal): keep the labels in step.
export function credentialsOfPsaNode(): INodeCredentialDescription[] {
	return [
		{ name: 'connectWisePsaApi', required: true, displayName: 'PSA Connection (ConnectWise)' },
		// Labelled so the editor does not show two fields both called "Credential", and so that its empty state
		// ("No credentials yet / Set up credential") reads as the default in use rather than as something missing.
		{ name: 'psaStateStore', required: false, displayName: 'State Store (Optional; Leave Empty to Use the Embedded SQLite File)' },
	];
}
