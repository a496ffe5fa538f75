// The credentials every PSA node takes: the PSA connection (required) and the state store (optional; absent = embedded SQLite).
import type { INodeCredentialDescription } from 'n8n-workflow';

export function credentialsOfPsaNode(): INodeCredentialDescription[] {
	return [
		{ name: 'connectWisePsaApi', required: true },
		{ name: 'psaStateStore', required: false },
	];
}
