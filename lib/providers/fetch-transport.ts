// HttpTransport over the global fetch, with a per-request timeout: used by tests, benchmarks and scripts.
import { HttpRequest, HttpResponse, HttpTransport } from './http';

export function createFetchTransport(options: { timeoutMs?: number } = {}): HttpTransport {
	const defaultTimeoutMs = options.timeoutMs ?? 30_000;
	return async (request: HttpRequest): Promise<HttpResponse> => {
		const headers: Record<string, string> = { ...request.headers };
		const encoded = encodedBody(request);
		if (encoded && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = encoded.contentType;
		const response = await fetch(request.url, {
			method: request.method,
			headers,
			body: encoded?.text,
			// Redirects are not followed: the Authorization header must not travel to a host the user did not configure.
			redirect: 'manual',
			signal: AbortSignal.timeout(request.timeoutMs ?? defaultTimeoutMs),
		});
		const responseHeaders: Record<string, string> = {};
		response.headers.forEach((value, name) => {
			responseHeaders[name.toLowerCase()] = value;
		});
		const text = await response.text();
		let body: unknown = text;
		if (text && /json/i.test(responseHeaders['content-type'] ?? '')) {
			try {
				body = JSON.parse(text);
			} catch {
				body = text;
			}
		}
		return { status: response.status, headers: responseHeaders, body };
	};
}

/** The request's body as sent: form fields URL-encoded, anything else as JSON; undefined without one. */
export function encodedBody(request: Pick<HttpRequest, 'body' | 'form'>): { text: string; contentType: string } | undefined {
	if (request.form) return { text: new URLSearchParams(request.form).toString(), contentType: 'application/x-www-form-urlencoded' };
	return request.body === undefined ? undefined : { text: JSON.stringify(request.body), contentType: 'application/json' };
}
