// HttpTransport over the global fetch, with a per-request timeout: used by tests, benchmarks and scripts.
import { HttpRequest, HttpResponse, HttpTransport } from './http';

export function createFetchTransport(options: { timeoutMs?: number } = {}): HttpTransport {
	const defaultTimeoutMs = options.timeoutMs ?? 30_000;
	return async (request: HttpRequest): Promise<HttpResponse> => {
		const headers: Record<string, string> = { ...request.headers };
		const upload = request.upload;
		const encoded = upload ? undefined : encodedBody(request);
		if (upload) {
			headers['Content-Type'] = upload.contentType;
			headers['Content-Length'] = String(upload.length);
		} else if (encoded && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = encoded.contentType;
		const response = await fetch(request.url, {
			method: request.method,
			headers,
			// Streamed: the upload's chunks go out as they are read.
			body: upload ? ReadableStream.from(upload.chunks()) : encoded?.text,
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

/** The request's body as sent: form fields URL-encoded, anything else as JSON; undefined without one. */
export function encodedBody(request: Pick<HttpRequest, 'body' | 'form'>): { text: string; contentType: string } | undefined {
	if (request.form) return { text: new URLSearchParams(request.form).toString(), contentType: 'application/x-www-form-urlencoded' };
	return request.body === undefined ? undefined : { text: JSON.stringify(request.body), contentType: 'application/json' };
}
