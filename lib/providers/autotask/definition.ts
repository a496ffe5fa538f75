// Autotask as the registry sees it: its declared data (declaration.ts), its credential and how the credential's fields are read.
import type { PsaProviderDefinition } from '../definition';
import { PsaError } from '../errors';
import { AUTOTASK_DECLARATION } from './declaration';
import { AutotaskProvider } from './index';
import { type AutotaskSettings, autotaskConnectionId } from './zone';

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
	...AUTOTASK_DECLARATION,
	credentialType: 'autotaskPsaApi',
	settingsOf(credentials, transportAuthenticates) {
		if (transportAuthenticates) checkKeyFields(credentials);
		const settings = autotaskSettingsFromCredentials(credentials);
		return { ...settings, transportAuthenticates: settings.transportAuthenticates || transportAuthenticates };
	},
	create(settings, deps) {
		return new AutotaskProvider(settings as unknown as AutotaskSettings, deps, this);
	},
	connectionId: (credentials) => autotaskConnectionId(text(credentials, 'username')),
};
