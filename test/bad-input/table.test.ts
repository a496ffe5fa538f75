// Every row of the bad-input table through n8n's engine, Continue On Fail off and on: the exact message and hint, no PSA request, the store byte-for-byte unchanged.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { defaultStoreFile } from '../../lib/store';
import { chainWorkflow, startEngineFixture, type EngineFixture } from '../engine/setup';
import { signCallbackBody } from '../sandbox';
import { withoutCallbackToken } from '../../lib/providers/connectwise/callback-token';
import { TriggerWorkflow } from '../trigger/harness';
import { BAD_AUTOTASK_CREDENTIALS, BAD_PSA_CREDENTIALS, BAD_STORE_CREDENTIALS, ROWS, type Row } from './rows';

const PRINT = process.env.BAD_INPUT_PRINT === '1';
let fx: EngineFixture;
let scratch: string;
let seedTicket: number;
const substitutions: Record<string, string> = {};
const printed: unknown[] = [];

/** Everything a refused input must leave alone: the store's files (not -shm, SQLite's shared-memory index that readers touch), and the paths bad credentials name. */
function snapshot(): Record<string, string> {
	const state: Record<string, string> = {};
	const folder = path.dirname(defaultStoreFile());
	for (const name of fs.existsSync(folder) ? fs.readdirSync(folder).sort() : []) {
		if (name.endsWith('-shm')) continue;
		state[`store/${name}`] = createHash('sha256').update(fs.readFileSync(path.join(folder, name))).digest('hex');
	}
	for (const name of fs.readdirSync(scratch).sort()) {
		const file = path.join(scratch, name);
		state[`scratch/${name}`] = fs.statSync(file).isDirectory() ? `dir:${fs.readdirSync(file).join(',')}` : createHash('sha256').update(fs.readFileSync(file)).digest('hex');
	}
	for (const relative of ['../../etc/psa-bridge-bad-input-x', 'state.sqlite', '~']) state[`cwd/${relative}`] = String(fs.existsSync(path.resolve(relative)));
	return state;
}

/** One character changed in the middle of a sealed token: still base64, its signature no longer verifies. */
function altered(token: string): string {
	const at = Math.floor(token.length / 2);
	return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
}

function fill(value: unknown): unknown {
	return typeof value === 'string' ? value.replace(/\$\{(\w+)\}/g, (_, name: string) => substitutions[name] ?? '') : value;
}

beforeAll(async () => {
	fx = await startEngineFixture();
	scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-bad-input-'));
	fs.mkdirSync(path.join(scratch, 'a-folder'));
	fs.writeFileSync(path.join(scratch, 'notes.txt'), 'not a database, and must stay exactly like this\n');
	Object.assign(substitutions, {
		dir: path.join(scratch, 'a-folder'),
		notDb: path.join(scratch, 'notes.txt'),
		fresh: path.join(scratch, 'never-created', 'state.sqlite'),
		goodKey: generateFernetKey(),
	});
	const base = fx.engine.credentials.get('cw-sandbox');
	if (!base) throw new Error('sandbox credential missing');
	for (const [id, fields] of Object.entries(BAD_PSA_CREDENTIALS)) fx.engine.addCredential({ id, name: id, type: 'connectWisePsaApi', data: { ...base.data, ...fields } as ICredentialDataDecryptedObject });
	for (const [id, fields] of Object.entries(BAD_AUTOTASK_CREDENTIALS)) fx.engine.addCredential({ id, name: id, type: 'autotaskPsaApi', data: fields as ICredentialDataDecryptedObject });
	for (const [id, fields] of Object.entries(BAD_STORE_CREDENTIALS)) {
		fx.engine.addCredential({ id, name: id, type: 'psaStateStore', data: Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, fill(value)])) as ICredentialDataDecryptedObject });
	}

	// State the rows must not change: one link, and one member mapping whose sealed identity is then damaged.
	const seeded = await fx.engine.run(
		chainWorkflow([
			{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'link', source: 'monitor', externalId: 'seed-1', summary: 'Seed', company: { __rl: true, mode: 'id', value: '250' }, boardId: 1, additionalFields: {} } },
			{ name: 'PSA Member Map', type: 'psaMemberMap', parameters: { operation: 'set', identitySource: 'email', identity: 'damaged@acme.example', member: { __rl: true, mode: 'id', value: '151' } } },
			{ name: 'PSA Member Map 2', type: 'psaMemberMap', parameters: { operation: 'set', identitySource: 'email', identity: 'intact@acme.example', member: { __rl: true, mode: 'id', value: '150' } } },
		]),
	);
	expect(seeded.error).toBeUndefined();
	seedTicket = Number(seeded.output('PSA Link')[0].json.ticketId);
	const db = new BetterSqlite3(defaultStoreFile());
	try {
		const rows = db.prepare('select identity_hash, identity_sealed from psa_member_map where member_id = 151').all() as Array<{ identity_hash: string; identity_sealed: string }>;
		expect(rows).toHaveLength(1);
		db.prepare('update psa_member_map set identity_sealed = ? where identity_hash = ?').run(altered(rows[0].identity_sealed), rows[0].identity_hash);
	} finally {
		db.close();
	}
});

afterAll(async () => {
	if (PRINT) fs.writeFileSync('/tmp/bad-input-actual.json', JSON.stringify(printed, null, '\t'));
	await fx?.close();
	if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

describe.each(ROWS.map((row) => [row.title, row] as [string, Row]))('%s', (_title, row) => {
	it.each([false, true])('Continue On Fail %s', async (continueOnFail) => {
		fx.sandbox.resetLog();
		const before = snapshot();
		// n8n itself refuses a workflow whose required parameter is literally empty, before any node runs (either setting).
		const refusedByN8n = (caught: unknown) => ({ refused: caught as Error & { description?: string } });
		const outcome = await fx.engine.run(chainWorkflow([{ ...row.node, continueOnFail }])).then((run) => ({ run }), refusedByN8n);
		const after = snapshot();
		const requests = fx.sandbox.requests.map((request) => `${request.method} ${request.path}`);
		const run = 'run' in outcome ? outcome.run : undefined;
		const error = run ? (run.error as (Error & { description?: string }) | undefined) : (outcome as { refused: Error & { description?: string } }).refused;
		const item = run?.output(row.node.name)[0]?.json as { error?: string; hint?: string } | undefined;
		const asItem = continueOnFail && run !== undefined;
		const message = asItem ? item?.error : error?.message;
		const hint = asItem ? item?.hint : (error?.description ?? (run ? undefined : 'refused by n8n before the run'));
		const serialized = JSON.stringify(run?.run.data.resultData ?? error?.message);
		if (PRINT) {
			printed.push({ title: row.title, continueOnFail, byN8n: !run, message: message ?? null, hint: hint ?? null, requests, items: run?.output(row.node.name).map((entry) => entry.json), changed: JSON.stringify(before) !== JSON.stringify(after), failedRun: Boolean(error) });
			return;
		}
		const assertAnswer = () => {
			if (row.answer) {
				expect(error).toBeUndefined();
				expect(run?.output(row.node.name)[0]?.json).toMatchObject(row.answer);
				return;
			}
			expect(message).toEqual(row.message instanceof RegExp ? expect.stringMatching(row.message) : row.message);
			expect(hint).toMatch(row.hint);
			if (run && continueOnFail) expect(error).toBeUndefined();
			else if (run) expect(run.output(row.node.name)).toEqual([]);
			if (row.noRequest !== false) expect(requests).toEqual([]);
			expect(after).toEqual(before);
		};
		assertAnswer();
		if (row.answer) {
			if (row.noRequest !== false) expect(requests).toEqual([]);
			expect(after).toEqual(before);
		}
		for (const secret of [fx.sandbox.credentials.privateKey, 'pg-secret-never-shown', 'at-secret-never-shown', substitutions.goodKey]) expect(serialized).not.toContain(secret);
	});
});

describe('the table', () => {
	it('has at least 80 inputs across the five action nodes and both credentials (PSA Trigger rows below), and the process still serves a valid run after it', async () => {
		expect(ROWS.length).toBeGreaterThanOrEqual(80);
		expect(new Set(ROWS.map((row) => row.node.type))).toEqual(new Set(['psaLink', 'psaNote', 'psaStatus', 'psaMemberMap', 'psaConnect']));
		const run = await fx.engine.run(chainWorkflow([{ name: 'PSA Link', type: 'psaLink', parameters: { operation: 'get', source: 'monitor', externalId: 'seed-1' } }]));
		expect(run.error).toBeUndefined();
		expect(run.output('PSA Link')[0].json).toMatchObject({ externalId: 'seed-1', state: 'linked' });
	});
});

/** PSA Trigger rows: callbacks as n8n's webhook server hands them over (the trigger answers the request; Continue On Fail plays no part). */
describe('PSA Trigger', () => {
	let wf: TriggerWorkflow;
	let calls = 0;
	beforeAll(async () => {
		const stored = fx.engine.credentials.get('cw-sandbox');
		if (!stored) throw new Error('sandbox credential missing');
		// Activated, and the crafted callbacks sent to its registered address (token included): the rows test what lies past it.
		const callbackUrl = (trigger: TriggerWorkflow) => fx.sandbox.db.callbacks.find((callback) => withoutCallbackToken(callback.url) === trigger.webhookUrl)?.url;
		wf = new TriggerWorkflow({ id: 'bad-input-trigger', webhookBaseUrl: 'http://127.0.0.1:5678/webhook', parameters: { events: ['added', 'updated'], ticketState: 'any', options: {} }, credentials: [stored], callbackUrl });
		await wf.activate();
	});

	afterAll(async () => {
		await wf?.delete();
	});

	function signed(payload: Record<string, unknown>, keyUrl = fx.sandbox.keyUrl) {
		const body = JSON.stringify({ MessageId: `bad-${++calls}`, Action: 'updated', Type: 'ticket', ID: seedTicket, Entity: JSON.stringify(fx.sandbox.db.tickets.find((ticket) => ticket.id === seedTicket)), Metadata: { key_url: keyUrl }, ...payload });
		return { body, headers: { 'content-type': 'application/json', 'x-content-signature': signCallbackBody(fx.sandbox.signingKey, body) } };
	}

	const refusals: Array<[string, () => { body: string; headers: Record<string, string> }, number, string]> = [
		['key_url on the metadata address', () => signed({}, 'http://169.254.169.254/callback-keys/1'), 401, 'The callback signature could not be verified'],
		['key_url on a metadata host name', () => signed({}, 'https://metadata.google.internal/callback-keys/1'), 401, 'The callback signature could not be verified'],
		['key_url on another host', () => signed({}, 'https://evil.example/callback-keys/1'), 401, 'The callback signature could not be verified'],
		['a body that is not JSON', () => ({ body: '{"Action": ', headers: { 'x-content-signature': 'c2ln' } }), 400, 'The callback body is not JSON'],
		['no signature header', () => ({ body: signed({}).body, headers: {} }), 401, 'The callback signature could not be verified'],
	];

	it.each(refusals)('refuses a callback with %s: answered, no request to the PSA, store unchanged', async (_name, incoming, status, error) => {
		fx.sandbox.resetLog();
		const before = snapshot();
		const delivered = await wf.deliver(incoming());
		expect(delivered.response.statusCode).toBe(status);
		expect(delivered.response.body).toEqual({ error });
		expect(delivered.run).toBeUndefined();
		expect(fx.sandbox.requests).toEqual([]);
		expect(snapshot()).toEqual(before);
	});

	it('a damaged own-change record: the trigger answers, skips that record (the change is no longer recognised as its own) and runs once', async () => {
		const set = await fx.engine.run(chainWorkflow([{ name: 'PSA Status', type: 'psaStatus', parameters: { operation: 'set', ticketBy: 'link', source: 'monitor', externalId: 'seed-1', statusBy: 'name', statusName: 'Waiting Customer' } }]));
		expect(set.error).toBeUndefined();
		const echo = await wf.deliver(signed({}));
		expect(echo.result.webhookResponse).toEqual({ received: true, ignored: 'own change' });
		const db = new BetterSqlite3(defaultStoreFile());
		try {
			for (const row of db.prepare("select id, detail_sealed from psa_audit_events where action = ?").all(`own-change:ticket:${seedTicket}`) as Array<{ id: number; detail_sealed: string }>) {
				db.prepare('update psa_audit_events set detail_sealed = ? where id = ?').run(altered(row.detail_sealed), row.id);
			}
		} finally {
			db.close();
		}
		const delivered = await wf.deliver(signed({}));
		expect(delivered.response.statusCode).toBeUndefined();
		expect(delivered.items).toHaveLength(1);
		expect(delivered.items[0]).toMatchObject({ action: 'updated', ticketId: seedTicket, link: { source: 'monitor', externalId: 'seed-1' } });
	});
});
