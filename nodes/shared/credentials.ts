// The credentials every PSA node takes: one PSA connection per provider (chosen by Authentication) and the state store (optional; absent = embedded SQLite).
import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';
import { defaultProvider, providerDefinitions } from '../../lib/providers/registry';

/** The parameter that picks the PSA; its values are the providers' credential types. */
export const AUTHENTICATION_PARAMETER = 'authentication';

export const STORE_CREDENTIAL_TYPE = 'psaStateStore';

/**
 * n8n's usual Authentication selector, one option per PSA. Its default is the first provider, so workflows saved
 * before the selector existed (no authentication parameter) keep using the credential they name.
 */
export function authenticationProperty(): INodeProperties {
	return {
		displayName: 'PSA',
		name: AUTHENTICATION_PARAMETER,
		type: 'options',
		noDataExpression: true,
		options: providerDefinitions().map((definition) => ({ name: definition.displayName, value: definition.credentialType })),
		default: defaultProvider().credentialType,
	};
}

/** `testedBy`: PSA Connect's credential test methods, so the credential dialogs' Test buttons run them. */
export function credentialsOfPsaNode(testedBy?: { psa: string; store: string }): INodeCredentialDescription[] {
	return [
		...providerDefinitions().map((definition) => ({
			name: definition.credentialType,
			required: true,
			displayName: `PSA Connection (${definition.displayName})`,
			displayOptions: { show: { [AUTHENTICATION_PARAMETER]: [definition.credentialType] } },
			...(testedBy ? { testedBy: testedBy.psa } : {}),
		})),
		// Labelled so the editor does not show two fields both called "Credential", and so that its empty state
		// ("No credentials yet / Set up credential") reads as the default in use rather than as something missing.
		{
			name: STORE_CREDENTIAL_TYPE,
			required: false,
			displayName: 'State Store (Optional; Leave Empty to Use the Embedded SQLite File)',
			...(testedBy ? { testedBy: testedBy.store } : {}),
		},
	];
}
