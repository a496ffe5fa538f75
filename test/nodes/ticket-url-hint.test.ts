// A ticket URL that is not the PSA's: the hint shows the example of the PSA the node uses (the providers hold the examples), never another PSA's.
import { createProvider, providerDefinitions } from '../../lib/providers/registry';
import { AUTOTASK_CREDENTIAL, chainWorkflow, startAutotaskEngineFixture, type AutotaskEngineFixture } from '../engine/setup';

const credentialsOf: Record<string, Record<string, unknown>> = {
	connectWisePsaApi: { site: 'api-na.myconnectwise.net', companyId: 'acme', publicKey: 'pub', privateKey: 'private', clientId: 'client' },
	autotaskPsaApi: { username: 'api@example.com', secret: 'secret', integrationCode: 'CODE' },
	haloPsaApi: { resourceUrl: 'https://acme.halopsa.com/api', clientId: 'client', clientSecret: 'client-secret', scope: 'all' },
};

const noRequests = async () => {
	throw new Error('reading a URL sends no request');
};

describe("each provider's ticket URL example", () => {
	it.each(providerDefinitions().map((definition) => [definition.displayName, definition] as const))(
		"%s: its provider reads it as ticket 12345; no other provider takes it for one of its PSA's tickets",
		(_name, definition) => {
			for (const other of providerDefinitions()) {
				const credentials = credentialsOf[other.credentialType];
				expect(credentials).toBeDefined();
				const provider = createProvider(other.credentialType, credentials, { http: noRequests });
				expect(provider.parseTicketUrl(definition.ticketUrlExample)).toBe(other === definition ? 12345 : undefined);
			}
		},
	);
});

describe('Autotask: a ticket URL of another PSA', () => {
	let fx: AutotaskEngineFixture;

	beforeAll(async () => {
		fx = await startAutotaskEngineFixture();
	});

	afterAll(async () => {
		await fx?.close();
	});

	it("is refused with Autotask's example in the hint, and no ConnectWise address", async () => {
		const pasted = 'https://na.myconnectwise.net/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=12345';
		const run = await fx.engine.run(
			chainWorkflow([
				{
					name: 'PSA Link',
					type: 'psaLink',
					credentials: { autotaskPsaApi: AUTOTASK_CREDENTIAL },
					parameters: {
						authentication: 'autotaskPsaApi',
						operation: 'linkExisting',
						source: 'chat',
						externalId: 'url-1',
						ticket: { __rl: true, mode: 'url', value: pasted },
					},
					continueOnFail: true,
				},
			]),
		);
		expect(run.error).toBeUndefined();
		const out = run.output('PSA Link')[0].json;
		expect(out.error).toContain('is not a ticket URL of this PSA');
		const autotask = providerDefinitions().find((definition) => definition.credentialType === 'autotaskPsaApi');
		expect(out.hint).toContain(`e.g. ${autotask?.ticketUrlExample}`);
		expect(String(out.hint)).not.toMatch(/connectwise/i);
	});
});
