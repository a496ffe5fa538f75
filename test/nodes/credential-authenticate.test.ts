// The credentials' authenticate functions: the same Basic auth and headers the generic blocks applied, request options kept, values as given (n8n calls them for every request, the HTTP Request node's included).
import type { IHttpRequestOptions } from 'n8n-workflow';
import { AutotaskPsaApi } from '../../credentials/AutotaskPsaApi.credentials';
import { ConnectWisePsaApi } from '../../credentials/ConnectWisePsaApi.credentials';

const request = (): IHttpRequestOptions => ({ url: 'https://psa.example/x', method: 'POST', headers: { Accept: 'application/json' }, body: { a: 1 }, json: true });

describe('credential authenticate functions', () => {
	it('ConnectWise: Basic auth as company+public key / private key and the clientId header; the rest of the request untouched', async () => {
		const incoming = request();
		const out = await new ConnectWisePsaApi().authenticate({ companyId: 'acme', publicKey: 'Pub01', privateKey: 'Priv01', clientId: 'cid-1', site: 's' }, incoming);
		expect(out).toEqual({ ...request(), auth: { username: 'acme+Pub01', password: 'Priv01' }, headers: { Accept: 'application/json', clientId: 'cid-1' } });
		// The caller's options object is not changed (n8n may send it again after refreshing a credential).
		expect(incoming).toEqual(request());
	});

	it('Autotask: the integration code, user name and secret headers; the rest of the request untouched', async () => {
		const out = await new AutotaskPsaApi().authenticate({ integrationCode: 'IC1', username: 'api@x', secret: 'S3cret' }, request());
		expect(out).toEqual({ ...request(), headers: { Accept: 'application/json', ApiIntegrationCode: 'IC1', UserName: 'api@x', Secret: 'S3cret' } });
	});

	it('a field that is missing or null is sent empty, as the generic block sent it, never as "undefined"', async () => {
		const out = await new ConnectWisePsaApi().authenticate({ companyId: 'acme', publicKey: null as never }, { url: 'https://psa.example/x' });
		expect(out.auth).toEqual({ username: 'acme+', password: '' });
		expect(out.headers).toEqual({ clientId: '' });
		const numeric = await new AutotaskPsaApi().authenticate({ integrationCode: 12345, username: 'u', secret: 's' }, { url: 'https://psa.example/x' });
		expect(numeric.headers).toMatchObject({ ApiIntegrationCode: '12345' });
	});
});
