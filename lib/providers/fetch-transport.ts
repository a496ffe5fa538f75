// HttpTransport over the global fetch, with a per-request timeout: used by tests, benchmarks and scripts.
import { HttpRequest, HttpResponse, HttpTransport } from './http';

export function createFetchTransport(options: { timeoutMs?: number } = {}): HttpTransport {
	const defaultTimeoutMs = options.timeoutMs ?? 30_000;
	return async (request: HttpRequest): Promise<HttpResponse> => {
		const headers: Record<string, string> = { ...request.headers };
		const hasBody = request.body !== undefined;
		const upload = request.upload;
		if (upload) {
			headers['Content-Type'] = upload.contentType;
			headers['Content-Length'] = String(upload.length);
		} else if (hasBody && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
		const response = await fetch(request.url, {
			method: request.method,
			headers,
			// Streamed: the upload's chunks go out as they are read.
			body: upload ? ReadableStream.from(upload.chunks()) : hasBody ? JSON.stringify(request.body) : undefined,
			...(upload ? { duplex: 'half' as const } : {}),
			// Redirects are not followed: the Authorization header must not travel to a host the user did not configure.
			redirect: 'manual',
			signal: AbortSignal.timeout(request.timeoutMs ?? defaultTimeoutMs),
		});
		const responseHeaders: Record<string, string> = {};
		response.headers.forEach((value, name) => {
			responseHeaders[name.toLowerCase()] = value;
		});
		if (request.binaryResponse && response.status >= 200 && response.status < 300) {
			return { status: response.status, headers: responseHeaders, body: Buffer.from(await response.arrayBuffer()) };
		}
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
