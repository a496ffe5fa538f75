// Without continueOnFail, PSA Status, PSA Member Map and PSA Connect stop the run with an error that says what is wrong.
import { chainWorkflow, startEngineFixture, type EngineFixture } from '../engine/setup';

let fx: EngineFixture;

beforeAll(async () => {
	fx = await startEngineFixture();
	const linked = await fx.engine.run(
		chainWorkflow([
			{
				name: 'PSA Link',
				type: 'psaLink',
				parameters: { operation: 'link', source: 'monitor', externalId: 'f1', summary: 'Alert f1', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} },
			},
		]),
	);
	expect(linked.error).toBeUndefined();
	fx.engine.addCredential({ id: 'cw-wrong-key', name: 'wrong key', type: 'connectWisePsaApi', data: { ...fx.sandbox.credentials, site: fx.sandbox.site, privateKey: 'WrongSecret42' } });
});

afterAll(async () => {
	await fx?.close();
});

interface FailureCase {
	title: string;
	node: { name: string; type: string; parameters: Record<string, unknown>; credentials?: Record<string, { id: string; name: string }> };
	message: RegExp;
	description: RegExp;
	/** Nothing in the PSA may change. */
	noWrites?: boolean;
	/** Further checks that the failure changed nothing. */
	after?: () => Promise<void>;
}

const cases: FailureCase[] = [
	{
		title: 'PSA Status > Set with a status that is not on the ticket\'s board',
		node: { name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'set', ticketBy: 'link', source: 'monitor', externalId: 'f1', statusBy: 'name', statusName: 'Investigating' } },
		message: /"Investigating" is not an active status of board "Help Desk"/,
		description: /^Valid statuses on this board: .*"In Progress" \(102\)(?!.*Old Queue)/,
		noWrites: true,
	},
	{
		title: 'PSA Member Map > Resolve of an identity whose only member is inactive',
		node: { name: 'PSA Member Map', type: 'psaMemberMap', parameters: { operation: 'resolve', identitySource: 'email', identity: 'oldtech@acme.example' } },
		message: /No active member has the email oldtech@acme\.example/,
		description: /Only inactive members have it \(oldtech .*inactive members are never chosen.*PSA Member Map > Set/,
	},
	{
		title: 'PSA Connect > Forget without confirmation',
		node: { name: 'PSA Connect', type: 'psaConnect', parameters: { operation: 'forget', confirm: false } },
		message: /was not confirmed; nothing was deleted/,
		description: /Turn on "Confirm"/,
		after: async () => {
			// The connection's state is still there: the link made in beforeAll answers.
			const got = await fx.engine.run(chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'get', source: 'monitor', externalId: 'f1' } }]));
			expect(got.error).toBeUndefined();
			expect(got.output('PSA Link')[0].json).toMatchObject({ externalId: 'f1', state: 'linked' });
		},
	},
	{
		title: 'PSA Connect > Test with a wrong private key',
		node: { name: 'PSA Connect', type: 'psaConnect', parameters: { operation: 'test' }, credentials: { connectWisePsaApi: { id: 'cw-wrong-key', name: 'wrong key' } } },
		message: /rejected the credentials for GET \/system\/info \(401\)/,
		description: /Check the Company ID, Public Key, Private Key and Client ID/,
	},
];

describe.each(cases)('$title', ({ node, message, description, noWrites, after }) => {
	it('fails the run with a message saying what is wrong and a description saying what to do', async () => {
		fx.sandbox.resetLog();
		const run = await fx.engine.run(chainWorkflow([node]));
		expect(run.error).toBeDefined();
		expect(run.error?.message).toMatch(message);
		expect(String((run.error as { description?: unknown }).description)).toMatch(description);
		expect(run.output(node.name)).toEqual([]);
		const serialized = JSON.stringify(run.run.data.resultData);
		expect(serialized).not.toContain(fx.sandbox.credentials.privateKey);
		expect(serialized).not.toContain('WrongSecret42');
		if (noWrites) expect(fx.sandbox.requests.filter((request) => request.method !== 'GET')).toHaveLength(0);
		await after?.();
	});
});
