// The provider's HTTP transport over n8n's request helper, so n8n applies the credential (auth, proxy, logging).
import type {
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
import type { HttpResponse, HttpTransport } from '../../lib/providers/http';

export function n8nTransport(fns: IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions | ITriggerFunctions | IPollFunctions, credentialType: string): HttpTransport {
	return async (request): Promise<HttpResponse> => {
		const options: IHttpRequestOptions = {
			method: request.method as IHttpRequestMethods,
			url: request.url,
			// Form fields go as an encoded string with their content type, which n8n's helper sends as it is.
			headers: request.form ? { ...request.headers, 'Content-Type': 'application/x-www-form-urlencoded' } : { ...request.headers },
			body: (request.form ? new URLSearchParams(request.form).toString() : request.body) as never,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: request.timeoutMs,
			...(request.followRedirects === false ? { disableFollowRedirect: true } : {}),
		};
		// The plain helper applies no credential: nothing secret leaves n8n for a request that needs none.
		const response = (
			request.anonymous
				? await fns.helpers.httpRequest(options)
				: await fns.helpers.httpRequestWithAuthentication.call(fns, credentialType, options)
		) as IN8nHttpFullResponse;
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(response.headers ?? {})) {
			if (value === undefined || value === null) continue;
			headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
		}
		return { status: response.statusCode, headers, body: response.body ?? '' };
	};
}
