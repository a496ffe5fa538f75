// HttpTransport over the global fetch, with a per-request timeout: used by tests, benchmarks and scripts.
import { HttpRequest, HttpResponse, HttpTransport } from './http';

export function createFetchTransport(options: { timeoutMs?: number } = {}): HttpTransport {
	const defaultTimeoutMs = options.timeoutMs ?? 30_000;
	return async (request: HttpRequest): Promise<HttpResponse> => {
		const headers: Record<string, string> = { ...request.headers };
		const hasBody = request.body !== undefined;
		if (hasBody && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
		const response = await fetch(request.url, {
			method: request.method,
			headers,
			body: hasBody ? JSON.stringify(request.body) : undefined,
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
