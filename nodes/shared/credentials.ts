// The credentials every PSA node takes: the PSA connection (required) and the state store (optional; absent = embedded SQLite).
import type { INodeCredentialDescription } from 'n8n-workflow';

export function credentialsOfPsaNode(testedBy?: { psa: string; store: string }): INodeCredentialDescription[] {
	return [
		{ name: 'connectWisePsaApi', required: true, ...(testedBy ? { testedBy: testedBy.psa } : {}) },
		{ name: 'psaStateStore', required: false, ...(testedBy ? { testedBy: testedBy.store } : {}) },
	];
}
