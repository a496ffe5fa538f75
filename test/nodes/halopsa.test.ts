// The nodes against the HaloPSA sandbox through n8n's engine: the HaloPSA examples as exported, the credential test, and the token fetched once for many items.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ICredentialTestFunctions } from 'n8n-workflow';
import { LINK_TYPE } from '../../lib/providers/halopsa/read';
import { resetTokens } from '../../lib/providers/halopsa/token';
import { psaConnectionTest } from '../../nodes/shared/credentialTest';
import { HALO_CREDENTIAL, chainWorkflow, startHaloEngineFixture, type HaloEngineFixture } from '../engine/setup';

let fx: HaloEngineFixture;
const example = (file: string) => JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'examples', 'halopsa', file), 'utf8'));

beforeAll(async () => {
	fx = await startHaloEngineFixture();
});

afterAll(async () => {
	await fx?.close();
});

const ticketOfLink = (key: string) => fx.sandbox.db.externalLinks.filter((link) => link.third_party_id === key && link.third_party_type === LINK_TYPE).map((link) => link.halo_id);

it('alert -> link -> note -> status: one ticket, one internal note by the mapped agent, In Progress; a second run changes nothing', async () => {
	const first = await fx.engine.run(example('alert-to-ticket.json'));
	expect(first.error).toBeUndefined();
	const linked = first.output('Link alert to ticket')[0].json;
	expect(linked).toMatchObject({ created: true });
	expect(first.output('Set status In Progress')[0].json).toMatchObject({ changed: true, status: { name: 'In Progress' } });
	expect(ticketOfLink('demo-monitor:disk-full-web01')).toEqual([linked.ticketId]);
	const ticket = fx.sandbox.db.tickets.find((candidate) => candidate.id === linked.ticketId);
	// Owner Identity sam.second@acme.example is agent 4.
	expect(ticket).toMatchObject({ client_id: 12, tickettype_id: 1, status_id: 2, agent_id: 4 });
	const notes = fx.sandbox.db.actions.filter((action) => action.ticket_id === ticket?.id && !action.system);
	expect(notes).toHaveLength(1);
	expect(notes[0]).toMatchObject({ hiddenfromuser: true, who_agentid: 2 });
	const second = await fx.engine.run(example('alert-to-ticket.json'));
	expect(second.output('Link alert to ticket')[0].json).toMatchObject({ created: false, ticketId: linked.ticketId });
	expect(second.output('Add alert note')[0].json.deduplicated).toBe(true);
	expect(second.output('Set status In Progress')[0].json.changed).toBe(false);
	expect(ticketOfLink('demo-monitor:disk-full-web01')).toHaveLength(1);
});

it('alert lifecycle: fires -> ticket; fires again -> same ticket; resolves -> closed; fires after close -> reopened', async () => {
	const run = await fx.engine.run(example('alert-lifecycle.json'));
	expect(run.error).toBeUndefined();
	const fired = run.output('Alert fires: link to a ticket')[0].json;
	expect(run.output('Alert fires again: same ticket')[0].json).toMatchObject({ ticketId: fired.ticketId, created: false });
	expect(run.output('Alert resolves: close the ticket')[0].json).toMatchObject({ status: { closed: true } });
	expect(run.output('Alert fires after close: reopen')[0].json).toMatchObject({ ticketId: fired.ticketId, reopened: true });
	expect(ticketOfLink('demo-monitor:cpu-high-db01')).toHaveLength(1);
});

it('member resolve and the connection test examples run; PSA Connect reports the tenant version', async () => {
	const member = await fx.engine.run(example('member-resolve.json'));
	expect(member.output('Resolve Sam')[0].json).toMatchObject({ memberId: 4 });
	const connection = await fx.engine.run(example('connection-test.json'));
	expect(connection.output('Test connection')[0].json).toMatchObject({ ok: true });
	expect(JSON.stringify(connection.output('Test connection')[0].json)).toContain(fx.sandbox.version);
	const checks = connection.output('Check permissions');
	expect(checks.length).toBeGreaterThan(5);
	expect(checks.every((check) => check.json.allowed === true)).toBe(true);
});

it('credential test: good client passes, a wrong secret fails without leaking it', async () => {
	const testFunctions = {} as ICredentialTestFunctions;
	const ok = await psaConnectionTest.call(testFunctions, { id: '1', name: 'halo', type: 'haloPsaApi', data: { ...fx.sandbox.credentials } });
	expect(ok.status).toBe('OK');
	const bad = await psaConnectionTest.call(testFunctions, { id: '1', name: 'halo', type: 'haloPsaApi', data: { ...fx.sandbox.credentials, clientSecret: 'NotTheSecret-987654' } });
	expect(bad.status).toBe('Error');
	expect(bad.message).not.toContain('NotTheSecret-987654');
});

it('twenty alerts in one execution: one token request, every ticket once', async () => {
	fx.sandbox.resetLog();
	resetTokens();
	const items = Array.from({ length: 20 }, (_, index) => ({ alertId: `burst-${index}` }));
	const run = await fx.engine.run(
		chainWorkflow(
			[
				{
					name: 'PSA Link',
					type: 'psaLink',
					credentials: { haloPsaApi: HALO_CREDENTIAL },
					parameters: { authentication: 'haloPsaApi', operation: 'link', source: 'burst', externalId: '={{ $json.alertId }}', summary: '={{ "Alert " + $json.alertId }}', company: { __rl: true, mode: 'id', value: '12' }, boardId: 1, additionalFields: {}, options: {} },
				},
			],
			items,
		),
	);
	expect(run.error).toBeUndefined();
	expect(run.output('PSA Link')).toHaveLength(20);
	expect(fx.sandbox.counters()['POST /Tickets']).toBe(20);
	// The items run concurrently; they share the one token request.
	expect(fx.sandbox.counters()['POST /auth/token']).toBe(1);
	console.info(`HaloPSA, 20 alerts: ${JSON.stringify(fx.sandbox.counters())}`);
});
