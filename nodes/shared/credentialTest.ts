// Credential tests n8n runs from the credential dialog: the full provider path (codebase or zone lookup, version check) and opening the store.
import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { openStore } from '../../lib/store';
import { buildProvider, storeOptionsOf } from './context';
import { errorSummary } from './errors';

/** Tests any PSA's credential: the credential's type names the provider. */
export async function psaConnectionTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	try {
		// The dialog has no node context to send through n8n's helper, so the provider authenticates its own requests here.
		const provider = buildProvider(credential.type, credential.data ?? {}, createFetchTransport({ timeoutMs: 20_000 }), false);
		const info = await provider.info();
		const drift = info.currentApiVersion && info.currentApiVersion !== info.pinnedApiVersion ? ` (server's newest: ${info.currentApiVersion})` : '';
		return {
			status: 'OK',
			message: `Connected to ${provider.connection.label}: server ${info.serverVersion}, API at ${info.apiLocation || '-'}, API ${info.pinnedApiVersion}${drift}`,
		};
	} catch (error) {
		const summary = errorSummary(error);
		return { status: 'Error', message: summary.hint ? `${summary.message}. ${summary.hint}` : summary.message };
	}
}

export async function psaStateStoreTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	try {
		const store = await openStore(storeOptionsOf(credential.data ?? {}));
		try {
			const connections = await store.connections.list();
			return { status: 'OK', message: `Opened the ${store.engine} state store (${connections.length} connections recorded)` };
		} finally {
			await store.close();
		}
	} catch (error) {
		const summary = errorSummary(error);
		return { status: 'Error', message: summary.hint ? `${summary.message}. ${summary.hint}` : summary.message };
	}
}

