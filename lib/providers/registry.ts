// The PSA providers this package offers, one line each; everything else finds a provider here by its credential type.
import { autotaskDefinition } from './autotask/definition';
import { connectWiseDefinition } from './connectwise/definition';
import { haloDefinition } from './halopsa/definition';
import type { ProviderDeps, PsaProviderDefinition } from './definition';
import { PsaError } from './errors';
import type { PsaProvider } from './types';

export type { ProviderDeps, PsaProviderDefinition } from './definition';

/** The first is the default: workflows saved before the Authentication selector existed use it. */
const PROVIDERS: readonly PsaProviderDefinition[] = [
	connectWiseDefinition,
	autotaskDefinition,
	haloDefinition,
];

export function providerDefinitions(): readonly PsaProviderDefinition[] {
	return PROVIDERS;
}

export function defaultProvider(): PsaProviderDefinition {
	return PROVIDERS[0];
}

export function isProviderCredentialType(credentialType: string): boolean {
	return PROVIDERS.some((definition) => definition.credentialType === credentialType);
}

export function providerCredentialTypes(): string[] {
	return PROVIDERS.map((definition) => definition.credentialType);
}

/** The definition of the provider a PsaConnectionInfo.provider names; undefined for a provider the registry does not list (a test double). */
export function definitionOfProvider(key: string): PsaProviderDefinition | undefined {
	return PROVIDERS.find((definition) => definition.key === key);
}

export function definitionFor(credentialType: string): PsaProviderDefinition {
	const definition = PROVIDERS.find((candidate) => candidate.credentialType === credentialType);
	if (!definition) {
		throw new PsaError('configuration', `No PSA provider for credential type '${credentialType}'`, {
			hint: `Use one of: ${providerCredentialTypes().join(', ')}`,
		});
	}
	return definition;
}

/** A provider from a credential's fields; `transportAuthenticates` when n8n applies the credential to each request. */
export function createProvider(credentialType: string, credentials: Record<string, unknown>, deps: ProviderDeps, transportAuthenticates = false): PsaProvider {
	const definition = definitionFor(credentialType);
	return definition.create(definition.settingsOf(credentials, transportAuthenticates), deps);
}

/** Stable id for the PSA tenant the credentials reach (provider + site + company); no secret goes into it. */
export function connectionIdFor(credentialType: string, credentials: Record<string, unknown>): string {
	return definitionFor(credentialType).connectionId(credentials);
}
