// What Autotask declares to the runtime: its reference field, request limits, retry policy and version policy (data only; definition.ts adds the credential and the constructor).
import type { ProviderDeclaration } from '../definition';
import { DEFAULT_RETRY_POLICY } from '../request';
import { AUTOTASK_API_VERSION } from './zone';

/** Autotask's Tickets.externalID holds 50 characters. */
export const EXTERNAL_ID_MAX = 50;

export const AUTOTASK_DECLARATION: ProviderDeclaration = {
	key: 'autotask',
	displayName: 'Autotask',
	externalReference: { field: 'externalID', maxLength: EXTERNAL_ID_MAX },
	// Autotask's published limits: 3 requests in flight per integration and entity endpoint (since 2023.1), 10,000
	// requests an hour per tenant. See docs/scaling.md for several workers.
	limits: { concurrencyPerEndpoint: 3, hourlyBudget: 10_000, retry: DEFAULT_RETRY_POLICY },
	versions: { defaultPin: AUTOTASK_API_VERSION, warns: ['version-drift', 'deprecation', 'sunset'] },
};
