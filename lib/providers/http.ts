// The HTTP interface adapters are given: nodes pass one over n8n's request helper, tests and benchmarks one over fetch.

export interface HttpRequest {
	method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
	/** Absolute URL including the query string. */
	url: string;
	headers: Record<string, string>;
	/** JSON-serialisable body; sent as application/json. */
	body?: unknown;
	/** Fields sent as application/x-www-form-urlencoded instead of `body` (OAuth 2 token requests). */
	form?: Record<string, string>;
	/** A body sent as bytes, streamed (multipart uploads, large JSON): instead of `body`. */
	upload?: HttpUpload;
	/** The answer's body as bytes (a Buffer) when the request succeeds: downloads. */
	binaryResponse?: boolean;
	/** Abort after this many milliseconds. */
	timeoutMs?: number;
	/**
	 * Send without the credential: no Authorization or clientId header, even from a transport that adds them itself
	 * (n8n's httpRequestWithAuthentication). For public resources such as ConnectWise's callback signing keys.
	 */
	anonymous?: boolean;
	/** false: answer a 3xx as it is instead of following it (the fetch transport never follows redirects). */
	followRedirects?: boolean;
	/**
	 * The endpoint this request counts against for the connection's limiter (per-endpoint ceilings, latency baselines),
	 * e.g. "/service/tickets/{id}" or Autotask's entity "Tickets". Transports ignore it.
	 */
	endpoint?: string;
}

/** Bytes streamed to the PSA: never the whole body in memory at once (a 20 MB file stays one copy, read in chunks). */
export interface HttpUpload {
	contentType: string;
	/** Total bytes, sent as Content-Length (some PSAs refuse chunked uploads). */
	length: number;
	/** A fresh stream of the body each call: a resend after a 429 reads it again. */
	chunks(): AsyncIterable<Uint8Array>;
}

export interface HttpResponse {
	status: number;
	/** Header names lower-cased. */
	headers: Record<string, string>;
	/** Parsed JSON when the response is JSON, else the text ('' when empty); a Buffer for a successful `binaryResponse`. */
	body: unknown;
}

/**
 * Sends one request and resolves with the response whatever its status.
 * Rejects only when no response arrived (network error, timeout, connection dropped).
 */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;
