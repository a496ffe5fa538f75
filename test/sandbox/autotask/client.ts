// A small fetch client for the Autotask sandbox's own tests: Autotask auth headers, JSON in and out; useAutotaskSandbox wraps a suite.
import { type AutotaskCredentials } from './data';
import type { AutotaskSandboxOptions } from './options';
import { startAutotaskSandbox, type AutotaskSandbox } from './server';

export interface AtResponse<T = unknown> {
	status: number;
	headers: Headers;
	body: T;
	text: string;
}

export interface AtRequest {
	body?: unknown;
	/** Sent as is (for malformed bodies). */
	rawBody?: string;
	query?: Record<string, string | number>;
	headers?: Record<string, string>;
	credentials?: AutotaskCredentials;
	noAuth?: boolean;
	impersonate?: number;
}

// Tests read deep into answers; a loose type keeps them short (the sandbox itself is typed).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export function atClient(sandbox: AutotaskSandbox) {
	return async function request<T = Loose>(method: string, path: string, options: AtRequest = {}): Promise<AtResponse<T>> {
		const credentials = options.credentials ?? sandbox.credentials;
		const url = new URL(/^https?:/.test(path) ? path : `${sandbox.apiBaseUrl}${path}`);
		for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, String(value));
		const headers: Record<string, string> = {};
		if (!options.noAuth) Object.assign(headers, { ApiIntegrationCode: credentials.integrationCode, UserName: credentials.username, Secret: credentials.secret });
		if (options.impersonate !== undefined) headers.ImpersonationResourceId = String(options.impersonate);
		const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		Object.assign(headers, options.headers);
		const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(10000) });
		const text = await response.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			// Non-JSON bodies (garbled fault) stay text.
		}
		return { status: response.status, headers: response.headers, body: parsed as T, text };
	};
}

export type AtRequestFn = ReturnType<typeof atClient>;

/** Starts a sandbox before the suite and stops it after; fields are valid inside tests and hooks. */
export function useAutotaskSandbox(options: AutotaskSandboxOptions = {}): { readonly sandbox: AutotaskSandbox; request: AtRequestFn } {
	let sandbox: AutotaskSandbox | undefined;
	let client: AtRequestFn | undefined;
	beforeAll(async () => {
		sandbox = await startAutotaskSandbox({ port: 0, ...options });
		client = atClient(sandbox);
	});
	afterAll(async () => {
		await sandbox?.stop();
	});
	return {
		get sandbox() {
			if (!sandbox) throw new Error('sandbox not started');
			return sandbox;
		},
		request: (method, path, requestOptions) => {
			if (!client) throw new Error('sandbox not started');
			return client(method, path, requestOptions);
		},
	};
}

export const TICKET = { companyID: 175, title: 'Printer on fire', status: 1, priority: 2, queueID: 29683325 };
