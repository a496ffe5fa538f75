// A small fetch client for the sandbox's own tests: sends ConnectWise-authenticated requests and parses the answer; useSandbox starts a sandbox around a suite.
import { startSandbox, type Sandbox, type SandboxKeyPair } from './server';

export interface ClientResponse<T = unknown> {
	status: number;
	headers: Headers;
	body: T;
}

export interface ClientRequest {
	body?: unknown;
	query?: Record<string, string | number>;
	headers?: Record<string, string>;
	/** Sent as `Accept: application/vnd.connectwise.com+json; version=...`; omitted when undefined. */
	version?: string;
	credentials?: SandboxKeyPair;
	/** Leave out the Authorization header. */
	noAuth?: boolean;
	/** Leave out the clientId header. */
	noClientId?: boolean;
}

export function basicAuth(keys: SandboxKeyPair): string {
	return `Basic ${Buffer.from(`${keys.companyId}+${keys.publicKey}:${keys.privateKey}`).toString('base64')}`;
}

export function sandboxClient(sandbox: Sandbox) {
	return async function request<T = unknown>(method: string, path: string, options: ClientRequest = {}): Promise<ClientResponse<T>> {
		const keys = options.credentials ?? sandbox.credentials;
		const url = new URL(`${sandbox.apiBaseUrl}${path}`);
		for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, String(value));
		const headers: Record<string, string> = { ...options.headers };
		if (!options.noAuth) headers.authorization = basicAuth(keys);
		if (!options.noClientId) headers.clientid = keys.clientId;
		if (options.version) headers.accept = `application/vnd.connectwise.com+json; version=${options.version}`;
		if (options.body !== undefined) headers['content-type'] = 'application/json';
		const response = await fetch(url, {
			method,
			headers,
			body: options.body === undefined ? undefined : JSON.stringify(options.body),
			signal: AbortSignal.timeout(10000),
		});
		const text = await response.text();
		// A gateway's page (the 502-504 faults) is kept as text.
		const json = (response.headers.get('content-type') ?? '').includes('json');
		return { status: response.status, headers: response.headers, body: (text ? (json ? JSON.parse(text) : text) : undefined) as T };
	};
}

export type SandboxRequest = ReturnType<typeof sandboxClient>;

/**
 * Starts a sandbox before the enclosing suite's tests (hooks registered after this call run after the start) and stops
 * it after them. The fields are valid inside tests and hooks.
 */
export function useSandbox(): { readonly sandbox: Sandbox; request: SandboxRequest } {
	let sandbox: Sandbox | undefined;
	let client: SandboxRequest | undefined;
	beforeAll(async () => {
		sandbox = await startSandbox({ port: 0 });
		client = sandboxClient(sandbox);
	});
	afterAll(async () => {
		await sandbox?.stop();
	});
	const started = () => {
		if (!sandbox || !client) throw new Error('The sandbox is not started (use it inside a test or hook)');
		return { sandbox, client };
	};
	return {
		get sandbox() {
			return started().sandbox;
		},
		request: (method, path, options) => started().client(method, path, options),
	};
}
