// The provider's HTTP transport over n8n's request helper, so n8n applies the credential (auth, proxy, logging).
import type {
	ICredentialDataDecryptedObject,
	ITriggerFunctions,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IN8nHttpFullResponse,
	IPollFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';
import { Readable } from 'node:stream';
import type { HttpResponse, HttpTransport } from '../../lib/providers/http';

/**
 * `credentials`: the credential as the node already read it. n8n's helper otherwise reads it again for every request
 * (in an n8n server a database query and a decryption each), on the path between a limiter slot and the send.
 */
export function n8nTransport(
	fns: IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions | ITriggerFunctions | IPollFunctions,
	credentialType: string,
	credentials?: ICredentialDataDecryptedObject,
): HttpTransport {
	const additionalOptions = credentials ? { credentialsDecrypted: { id: '', name: credentialType, type: credentialType, data: credentials } } : undefined;
	return async (request): Promise<HttpResponse> => {
		const upload = request.upload;
		const options: IHttpRequestOptions = {
			method: request.method as IHttpRequestMethods,
			url: request.url,
			// Form fields go as an encoded string with their content type, which n8n's helper sends as it is; an upload is
			// streamed from its chunks, never joined into one buffer here.
			headers: upload
				? { ...request.headers, 'Content-Type': upload.contentType, 'Content-Length': String(upload.length) }
				: request.form
					? { ...request.headers, 'Content-Type': 'application/x-www-form-urlencoded' }
					: { ...request.headers },
			body: (upload ? Readable.from(upload.chunks()) : request.form ? new URLSearchParams(request.form).toString() : request.body) as never,
			json: !upload && !request.binaryResponse,
			...(request.binaryResponse ? { encoding: 'arraybuffer' as const } : {}),
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: request.timeoutMs,
			...(request.followRedirects === false ? { disableFollowRedirect: true } : {}),
		};
		// The plain helper applies no credential: nothing secret leaves n8n for a request that needs none.
		const response = (
			request.anonymous
				? await fns.helpers.httpRequest(options)
				: await fns.helpers.httpRequestWithAuthentication.call(fns, credentialType, options, additionalOptions)
		) as IN8nHttpFullResponse;
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(response.headers ?? {})) {
			if (value === undefined || value === null) continue;
			headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
		}
		return { status: response.statusCode, headers, body: bodyOf(response.body, headers, request.binaryResponse === true && response.statusCode >= 200 && response.statusCode < 300) };
	};
}

/** The answer as the providers read it: bytes for a download, parsed JSON where n8n left JSON text (uploads and downloads are sent without json). */
function bodyOf(body: unknown, headers: Record<string, string>, binary: boolean): unknown {
	if (body === undefined || body === null) return '';
	if (binary) return Buffer.isBuffer(body) ? body : body instanceof ArrayBuffer ? Buffer.from(body) : Buffer.from(String(body));
	const text = Buffer.isBuffer(body) ? body.toString('utf8') : body instanceof ArrayBuffer ? Buffer.from(body).toString('utf8') : body;
	if (typeof text === 'string' && text && /json/i.test(headers['content-type'] ?? '')) {
		try {
			return JSON.parse(text);
		} catch {
			return text;
		}
	}
	return text;
}
