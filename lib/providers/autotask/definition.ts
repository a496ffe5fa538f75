// Autotask as the registry sees it: its credential, how the credential's fields are read, its reference field, limits and version policy.
import type { PsaProviderDefinition } from '../definition';
import { PsaError } from '../errors';
import { DEFAULT_RETRY_POLICY } from '../request';
import { checkAutotaskSettings } from '../settings';
import { AUTOTASK_REQUEST_LIMITS } from './client';
import { AutotaskProvider, EXTERNAL_ID_MAX } from './index';
import { AUTOTASK_API_VERSION, type AutotaskSettings, autotaskConnectionId } from './zone';

const KEY_FIELDS: Array<[string, string]> = [
	['username', 'Username'],
	['secret', 'Secret'],
	['integrationCode', 'Integration Code'],
];

function text(credentials: Record<string, unknown>, name: string): string {
	const value = credentials[name];
	return typeof value === 'string' ? value.trim() : '';
}

/** Refuses, before any request, a credential whose fields are empty or hold a line break (a paste gone wrong). */
function checkKeyFields(credentials: Record<string, unknown>): void {
	for (const [field, label] of KEY_FIELDS) {
		const value = credentials[field];
		if (typeof value !== 'string' || value.trim() === '') {
			throw new PsaError('configuration', `The Autotask credential's ${label} is empty`, { hint: `Fill in ${label} in the credential` });
		}
		if (/[\u0000-\u001f\u007f]/.test(value)) {
			throw new PsaError('configuration', `The Autotask credential's ${label} contains a line break or another control character`, {
				hint: `Paste the ${label} into the credential again, as one line`,
			});
		}
	}
}

export function autotaskSettingsFromCredentials(credentials: Record<string, unknown>): AutotaskSettings & { zoneLookupOrigin?: string } {
	const zoneLookupOrigin = text(credentials, 'zoneLookupOrigin');
	return {
		username: text(credentials, 'username'),
		secret: text(credentials, 'secret'),
		integrationCode: text(credentials, 'integrationCode'),
		zoneUrl: text(credentials, 'zoneUrl') || undefined,
		transportAuthenticates: credentials.transportAuthenticates === true,
		...(zoneLookupOrigin ? { zoneLookupOrigin } : {}),
	};
}

export const autotaskDefinition: PsaProviderDefinition = {
	key: 'autotask',
	credentialType: 'autotaskPsaApi',
	displayName: 'Autotask',
	externalReference: { field: 'externalID', maxLength: EXTERNAL_ID_MAX },
	// Autotask allows 3 concurrent requests per integration and entity endpoint, and 10,000 requests an hour per tenant.
	limits: { ...AUTOTASK_REQUEST_LIMITS, retry: DEFAULT_RETRY_POLICY },
	versions: { defaultPin: AUTOTASK_API_VERSION, warns: ['version-drift', 'deprecation', 'sunset'] },
	settingsOf(credentials, transportAuthenticates) {
		checkAutotaskSettings(credentials);
		if (transportAuthenticates) checkKeyFields(credentials);
		const settings = autotaskSettingsFromCredentials(credentials);
		return { ...settings, transportAuthenticates: settings.transportAuthenticates || transportAuthenticates };
	},
	create: (settings, deps) => new AutotaskProvider(settings as unknown as AutotaskSettings, deps),
	connectionId(credentials) {
		checkAutotaskSettings(credentials);
		return autotaskConnectionId(text(credentials, 'username'));
	},
};
