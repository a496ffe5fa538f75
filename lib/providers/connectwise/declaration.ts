// What ConnectWise declares to the runtime: its reference field, request limits, retry policy and version policy (data only; definition.ts adds the credential and the constructor).
import type { ProviderDeclaration } from '../definition';
import { DEFAULT_RETRY_POLICY } from '../request';
import { EXTERNAL_XREF_MAX } from './tickets';
import { DEFAULT_API_VERSION } from './versions';

export const CONNECTWISE_DECLARATION: ProviderDeclaration = {
	key: 'connectwise',
	displayName: 'ConnectWise',
	externalReference: { field: 'externalXRef', maxLength: EXTERNAL_XREF_MAX },
	// ConnectWise publishes no request limits; it answers 429 with Retry-After when it throttles.
	limits: { retry: DEFAULT_RETRY_POLICY },
	versions: { defaultPin: DEFAULT_API_VERSION, warns: ['version-drift', 'deprecation', 'sunset'] },
	// Releases before apiLocation named ConnectWise's API location by its own term.
	apiLocationAliases: ['codebase'],
};
