// HaloPSA as the registry sees it: its declared data (declaration.ts), its credential and how the credential's fields are read.
import type { PsaProviderDefinition } from '../definition';
import { HALO_DECLARATION } from './declaration';
import { HaloPsaProvider } from './index';
import { type HaloSettings, checkHaloSettings, haloConnectionId, haloSettingsFromCredentials } from './settings';

export const haloDefinition: PsaProviderDefinition = {
	...HALO_DECLARATION,
	credentialType: 'haloPsaApi',
	/** The provider fetches and applies its OAuth token itself, whoever sends the requests: n8n applies nothing. */
	settingsOf(credentials) {
		checkHaloSettings(credentials);
		return { ...haloSettingsFromCredentials(credentials) };
	},
	create(settings, deps) {
		return new HaloPsaProvider(settings as unknown as HaloSettings, deps, this);
	},
	connectionId(credentials) {
		checkHaloSettings(credentials);
		const settings = haloSettingsFromCredentials(credentials);
		return haloConnectionId(settings.resourceUrl, settings.clientId);
	},
};
