// PSA Member Map and PSA Connect through n8n's engine against the sandbox.
import { chainWorkflow, psaRequests, startEngineFixture, type EngineFixture } from '../engine/setup';
import { RESTRICTED_CREDENTIALS } from '../sandbox';

let fx: EngineFixture;

const member = (parameters: Record<string, unknown>, continueOnFail = false) => ({
	name: 'PSA Member Map',
	type: 'psaMemberMap',
	parameters: { identitySource: 'email', ...parameters },
	continueOnFail,
});
const connect = (parameters: Record<string, unknown>, credentials?: Record<string, { id: string; name: string }>, continueOnFail = false) => ({
	name: 'PSA Connect',
	type: 'psaConnect',
	parameters,
	continueOnFail,
	...(credentials ? { credentials } : {}),
});

beforeAll(async () => {
	fx = await startEngineFixture();
	await fx.engine.run(chainWorkflow([connect({ operation: 'test' })]));
});

afterAll(async () => {
	await fx?.close();
});

describe('PSA Member Map', () => {
	it('Resolve matches an email among active members once; afterwards the map answers with no request', async () => {
		fx.sandbox.resetLog();
		const first = await fx.engine.run(chainWorkflow([member({ operation: 'resolve', identity: 'Alice@Acme.example' })]));
		expect(first.error).toBeUndefined();
		const adoe = fx.sandbox.db.members.find((candidate) => candidate.identifier === 'adoe');
		expect(first.output('PSA Member Map')[0].json).toMatchObject({ memberId: adoe?.id, memberIdentifier: 'adoe', kind: 'auto', resolvedBy: 'email-match', identity: 'alice@acme.example' });
		expect(psaRequests(fx.sandbox).total).toBe(1);

		fx.sandbox.resetLog();
		const again = await fx.engine.run(chainWorkflow([member({ operation: 'resolve', identity: 'alice@acme.example' })], [{}, {}, {}]));
		expect(again.output('PSA Member Map')).toHaveLength(3);
		expect(again.output('PSA Member Map').every((item) => item.json.resolvedBy === 'map')).toBe(true);
		expect(psaRequests(fx.sandbox).total).toBe(0);
	});

	it('never chooses an inactive member; a failed lookup is not repeated within the cache TTL', async () => {
		fx.sandbox.resetLog();
		const run = await fx.engine.run(chainWorkflow([member({ operation: 'resolve', identity: 'oldtech@acme.example' }, true)]));
		expect(run.output('PSA Member Map')[0].json).toMatchObject({ kind: 'not-found' });
		expect(String(run.output('PSA Member Map')[0].json.hint)).toContain('inactive');
		// bruce@ is shared by an active and an inactive member: the active one is chosen.
		const bruce = await fx.engine.run(chainWorkflow([member({ operation: 'resolve', identity: 'bruce@acme.example' })]));
		expect(bruce.output('PSA Member Map')[0].json).toMatchObject({ memberIdentifier: 'bwayne' });
		const requestsSoFar = psaRequests(fx.sandbox).total;
		expect(requestsSoFar).toBe(2);
		await fx.engine.run(chainWorkflow([member({ operation: 'resolve', identity: 'oldtech@acme.example' }, true)]));
		expect(psaRequests(fx.sandbox).total).toBe(requestsSoFar);
	});

	it('Set maps by hand (verifying the member is active), Resolve prefers it, Remove and List', async () => {
		const jsmith = fx.sandbox.db.members.find((candidate) => candidate.identifier === 'jsmith');
		const set = await fx.engine.run(
			chainWorkflow([member({ operation: 'set', identitySource: 'slack', identity: 'U024BE7LH', member: { __rl: true, mode: 'identifier', value: 'jsmith' } })]),
		);
		expect(set.error).toBeUndefined();
		expect(set.output('PSA Member Map')[0].json).toMatchObject({ source: 'slack', identity: 'U024BE7LH', memberId: jsmith?.id, kind: 'manual' });

		const byId = await fx.engine.run(
			chainWorkflow([member({ operation: 'set', identitySource: 'slack', identity: 'U0OLD', member: { __rl: true, mode: 'id', value: String(fx.sandbox.db.members.find((m) => m.identifier === 'oldtech')?.id) } }, true)]),
		);
		expect(byId.output('PSA Member Map')[0].json).toMatchObject({ kind: 'invalid-input' });
		expect(String(byId.output('PSA Member Map')[0].json.error)).toContain('inactive');

		fx.sandbox.resetLog();
		const resolved = await fx.engine.run(chainWorkflow([member({ operation: 'resolve', identitySource: 'slack', identity: 'U024BE7LH' })]));
		expect(resolved.output('PSA Member Map')[0].json).toMatchObject({ memberId: jsmith?.id, kind: 'manual', resolvedBy: 'map' });
		expect(psaRequests(fx.sandbox).total).toBe(0);
		const unmapped = await fx.engine.run(chainWorkflow([member({ operation: 'resolve', identitySource: 'slack', identity: 'U999' }, true)]));
		expect(String(unmapped.output('PSA Member Map')[0].json.hint)).toContain('Set');

		const listed = await fx.engine.run(chainWorkflow([member({ operation: 'list', filters: { source: 'slack' }, limit: 10 })]));
		expect(listed.output('PSA Member Map').map((item) => item.json.identity)).toEqual(['U024BE7LH']);
		const removed = await fx.engine.run(chainWorkflow([member({ operation: 'remove', identitySource: 'slack', identity: 'U024BE7LH' })]));
		expect(removed.output('PSA Member Map')[0].json).toMatchObject({ removed: true });
		const listedAfter = await fx.engine.run(chainWorkflow([member({ operation: 'list', filters: { source: 'slack' }, limit: 10 })]));
		expect(listedAfter.output('PSA Member Map')).toHaveLength(0);
	});
});

describe('PSA Connect', () => {
	it('Test reports authentication, codebase, versions and latency', async () => {
		const run = await fx.engine.run(chainWorkflow([connect({ operation: 'test' })]));
		expect(run.error).toBeUndefined();
		const out = run.output('PSA Connect')[0].json;
		expect(out).toMatchObject({ ok: true, authenticated: true, codebase: 'v4_6_release/', apiLocation: 'v4_6_release/', pinnedApiVersion: '2025.8', provider: 'connectwise' });
		expect(out.serverVersion).toEqual(expect.any(String));
		expect(out.latencyMs).toEqual(expect.any(Number));
		expect(JSON.stringify(out)).not.toContain(fx.sandbox.credentials.privateKey);
	});

	it('Test with wrong keys fails with an error that says to check the credential and leaks no secret', async () => {
		fx.engine.addCredential({ id: 'cw-bad', name: 'bad keys', type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site, privateKey: 'WrongSecret99' } });
		const run = await fx.engine.run(chainWorkflow([connect({ operation: 'test' }, { connectWisePsaApi: { id: 'cw-bad', name: 'bad keys' } }, true)]));
		const out = run.output('PSA Connect')[0].json;
		expect(out.kind).toBe('authentication');
		expect(String(out.hint)).toContain('Private Key');
		expect(JSON.stringify(out)).not.toContain('WrongSecret99');
	});

	it('Check Permissions reports each endpoint, allowed or not', async () => {
		const full = await fx.engine.run(chainWorkflow([connect({ operation: 'checkPermissions' })]));
		const checks = full.output('PSA Connect');
		expect(checks.length).toBeGreaterThan(3);
		expect(checks.every((item) => item.json.allowed === true && item.pairedItem !== undefined)).toBe(true);

		fx.engine.addCredential({ id: 'cw-readonly', name: 'read only', type: 'connectWisePsaApi', data: { ...RESTRICTED_CREDENTIALS, site: fx.sandbox.site } });
		const restricted = await fx.engine.run(chainWorkflow([connect({ operation: 'checkPermissions' }, { connectWisePsaApi: { id: 'cw-readonly', name: 'read only' } })]));
		const denied = restricted.output('PSA Connect').filter((item) => item.json.allowed === false);
		expect(denied.length).toBeGreaterThan(0);
		expect(denied.some((item) => item.json.method === 'POST')).toBe(true);
	});

	it('List Connections shows counts; Forget needs confirmation and then deletes that connection\'s state', async () => {
		await fx.engine.run(
			chainWorkflow([
				{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'link', source: 'monitor', externalId: 'c1', summary: 'c1', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} } },
			]),
		);
		const listed = await fx.engine.run(chainWorkflow([connect({ operation: 'listConnections' })]));
		const current = listed.output('PSA Connect').find((item) => item.json.current === true);
		expect(current?.json).toMatchObject({ links: 1, provider: 'connectwise' });
		expect(Number(current?.json.memberMappings)).toBeGreaterThanOrEqual(1);

		const unconfirmed = await fx.engine.run(chainWorkflow([connect({ operation: 'forget', confirm: false }, undefined, true)]));
		expect(unconfirmed.output('PSA Connect')[0].json).toMatchObject({ kind: 'invalid-input' });
		const stillThere = await fx.engine.run(chainWorkflow([connect({ operation: 'listConnections' })]));
		expect(stillThere.output('PSA Connect').find((item) => item.json.current === true)?.json.links).toBe(1);

		const forgotten = await fx.engine.run(chainWorkflow([connect({ operation: 'forget', confirm: true })]));
		expect(forgotten.output('PSA Connect')[0].json).toMatchObject({ forgotten: true, deleted: { links: 1 } });
		const after = await fx.engine.run(chainWorkflow([connect({ operation: 'listConnections' })]));
		expect(after.output('PSA Connect').find((item) => item.json.current === true && Number(item.json.links) > 0)).toBeUndefined();
	});
});
