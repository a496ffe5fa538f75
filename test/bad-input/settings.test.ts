// Bad settings in the three credentials (both PSAs and the state store): each is refused by its label before any request or connection, with no secret in any message, hint or log.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ICredentialDataDecryptedObject, ICredentialTestFunctions, INode } from 'n8n-workflow';
import { Pool } from 'pg';
import { PsaCache } from '../../lib/cache';
import { generateFernetKey } from '../../lib/crypto/fernet';
import { isPsaError } from '../../lib/providers/errors';
import type { HttpRequest } from '../../lib/providers/http';
import { resetLimiters } from '../../lib/providers/limiter';
import { connectionIdFor, createProvider } from '../../lib/providers/registry';
import { isStoreError, openStore } from '../../lib/store';
import { closeAllStores, storeFor, storeOptionsOf } from '../../nodes/shared/context';
import { psaConnectionTest, psaStateStoreTest } from '../../nodes/shared/credentialTest';
import { errorSummary, toNodeError } from '../../nodes/shared/errors';

type CredentialType = 'connectWisePsaApi' | 'autotaskPsaApi' | 'psaStateStore';

/** Stands for every secret: it is the Private Key, the Secret and the Password below, and is typed into every field in turn. */
const MARKER = 'mk7SecretMarker42';
const GOOD_KEY = generateFernetKey();

const BASES: Record<string, Record<string, unknown>> = {
	cw: { site: 'api-na.myconnectwise.net', companyId: 'acme', publicKey: 'PUBLICKEY0000001', privateKey: MARKER, clientId: '11111111-2222-3333-4444-555555555555', apiVersion: '2025.8' },
	at: { username: 'api@example.com', secret: MARKER, integrationCode: `IC${MARKER}`, zoneUrl: '' },
	pg: { engine: 'postgres', host: '127.0.0.1', port: 1, database: 'n8n', user: 'n8n', password: MARKER, ssl: 'off', schema: 'psa_bridge', encryptionKey: GOOD_KEY, previousKeys: '' },
	sqlite: { engine: 'sqlite', filePath: '', encryptionKey: GOOD_KEY, previousKeys: '' },
};
const TYPE_OF: Record<string, CredentialType> = { cw: 'connectWisePsaApi', at: 'autotaskPsaApi', pg: 'psaStateStore', sqlite: 'psaStateStore' };

interface Case {
	title: string;
	base: keyof typeof BASES;
	fields: Record<string, unknown>;
	message: string;
	hint: RegExp;
	/** Further text that must appear nowhere (a password typed into the case itself). */
	hidden?: string[];
}

const STORE = "The PSA State Store credential's";
const CW = "The ConnectWise credential's";
const AT = "The Autotask credential's";
const CONNECTION_URL = 'looks like a connection URL; put the host name only';

const CASES: Case[] = [
	// The cases first.
	{ title: 'a PostgreSQL connection URL pasted into Host', base: 'pg', fields: { host: 'postgres://user:hunter2-pw@host/db' }, message: `${STORE} Host ${CONNECTION_URL}`, hint: /^Enter only the server's name or address in Host/, hidden: ['hunter2-pw', 'user:'] },
	{ title: 'a connection URL with the password in Host', base: 'pg', fields: { host: `postgresql://n8n:${MARKER}@db.example:5432/n8n?sslmode=require` }, message: `${STORE} Host ${CONNECTION_URL}`, hint: /^Enter only the server's name/ },
	{ title: 'user:password@host in Host', base: 'pg', fields: { host: 'n8n:pw-in-host-1@db.example' }, message: `${STORE} Host ${CONNECTION_URL}`, hint: /^Enter only the server's name/, hidden: ['pw-in-host-1'] },
	{ title: 'a Schema an expression turned into a list', base: 'pg', fields: { schema: ['public', 'psa_bridge'] }, message: `${STORE} Schema must be text, not a list`, hint: /^Type Schema into the credential; an expression there must return text/ },
	{ title: 'a Schema an expression turned into an object', base: 'pg', fields: { schema: { name: 'psa_bridge' } }, message: `${STORE} Schema must be text, not an object`, hint: /^Type Schema into the credential/ },
	{ title: 'a non-string Password (number)', base: 'pg', fields: { password: 12345678 }, message: `${STORE} Password must be text, not a number`, hint: /^Type Password into the credential/, hidden: ['12345678'] },
	{ title: 'a non-string Password (true/false)', base: 'pg', fields: { password: true }, message: `${STORE} Password must be text, not true/false`, hint: /^Type Password into the credential/ },
	{ title: 'a 100,000-character User', base: 'pg', fields: { user: 'u'.repeat(100_000) }, message: `${STORE} User is longer than 63 characters (it has 100000)`, hint: /^Check User: at most 63 characters$/ },
	{ title: 'an Autotask Zone URL with a 10,000-character host', base: 'at', fields: { zoneUrl: `https://${'a'.repeat(10_000)}.autotask.net/ATServicesRest/` }, message: `${AT} Zone URL is longer than 2048 characters (it has 10037)`, hint: /^Check Zone URL: at most 2048 characters$/ },
	{ title: 'an Autotask Zone URL whose host is longer than DNS allows', base: 'at', fields: { zoneUrl: `https://${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.autotask.net/` }, message: `${AT} Zone URL holds a host name longer than DNS allows (253 characters, 63 between dots)`, hint: /^Check Zone URL: enter the server's host name$/ },
	{ title: 'an oversized Autotask Username', base: 'at', fields: { username: `${'u'.repeat(100_000)}@example.com` }, message: `${AT} Username is longer than 254 characters (it has 100012)`, hint: /^Check Username: at most 254 characters$/ },

	// PostgreSQL store: every field.
	{ title: 'a Host of 300 characters', base: 'pg', fields: { host: 'h'.repeat(300) }, message: `${STORE} Host is longer than 253 characters (it has 300)`, hint: /^Check Host: at most 253/ },
	{ title: 'a Host label longer than 63', base: 'pg', fields: { host: `${'h'.repeat(64)}.example` }, message: `${STORE} Host holds a host name longer than DNS allows (253 characters, 63 between dots)`, hint: /^Check Host/ },
	{ title: 'a Host with a line break', base: 'pg', fields: { host: 'db.example\nX: 1' }, message: `${STORE} Host contains a line break or another control character`, hint: /^Paste the Host into the credential again, as one line$/ },
	{ title: 'a Host with a space', base: 'pg', fields: { host: 'db example' }, message: `${STORE} Host "db example" is not allowed: enter a host name, an IP address or a socket folder (e.g. db.example.com)`, hint: /^Check Host in the credential$/ },
	{ title: 'a Host holding the Password', base: 'pg', fields: { host: MARKER }, message: `${STORE} Host holds the value of Password, a secret; put each value in its own field`, hint: /^Check Host and Password in the credential$/ },
	{ title: 'a Port given as text', base: 'pg', fields: { port: '5432' }, message: `${STORE} Port must be a whole number between 1 and 65535, not text`, hint: /^Set Port to a number between 1 and 65535$/ },
	{ title: 'a Port of 70000', base: 'pg', fields: { port: 70000 }, message: `${STORE} Port must be a whole number between 1 and 65535`, hint: /^Set Port to a number/ },
	{ title: 'a Port of 1.5', base: 'pg', fields: { port: 1.5 }, message: `${STORE} Port must be a whole number between 1 and 65535`, hint: /^Set Port to a number/ },
	{ title: 'a Database of 64 characters', base: 'pg', fields: { database: 'd'.repeat(64) }, message: `${STORE} Database is longer than 63 characters (it has 64)`, hint: /^Check Database: at most 63/ },
	{ title: 'a Database list', base: 'pg', fields: { database: ['n8n'] }, message: `${STORE} Database must be text, not a list`, hint: /^Type Database/ },
	{ title: 'a Database holding the Encryption Key', base: 'pg', fields: { database: GOOD_KEY }, message: `${STORE} Database holds the value of Encryption Key, a secret; put each value in its own field`, hint: /^Check Database and Encryption Key in the credential$/ },
	{ title: 'a User with a NUL', base: 'pg', fields: { user: 'n8n\u0000' }, message: `${STORE} User contains a line break or another control character`, hint: /^Paste the User/ },
	{ title: 'a User object', base: 'pg', fields: { user: { name: 'n8n' } }, message: `${STORE} User must be text, not an object`, hint: /^Type User/ },
	{ title: 'a Password of 2000 characters', base: 'pg', fields: { password: `${MARKER}${'p'.repeat(2000)}` }, message: `${STORE} Password is longer than 1024 characters (it has 2017)`, hint: /^Check Password: at most 1024/ },
	{ title: 'a Password with a line break', base: 'pg', fields: { password: `${MARKER}\n` }, message: `${STORE} Password contains a line break or another control character`, hint: /^Paste the Password/ },
	{ title: 'an SSL value not in the list', base: 'pg', fields: { ssl: 'yes' }, message: `${STORE} SSL must be one of: Off, On, Verify Certificate, On, Do Not Verify Certificate`, hint: /^Pick SSL from the list/ },
	{ title: 'an Engine list', base: 'pg', fields: { engine: ['postgres'] }, message: `${STORE} Engine must be one of: SQLite File, PostgreSQL, not a list`, hint: /^Pick Engine from the list/ },
	{ title: 'an Engine not in the list', base: 'pg', fields: { engine: 'mysql' }, message: `${STORE} Engine must be one of: SQLite File, PostgreSQL`, hint: /^Pick Engine from the list/ },
	{ title: 'a Schema with SQL in it', base: 'pg', fields: { schema: 'x"; drop schema public; --' }, message: `${STORE} Schema "x\\"; drop schema public; --" is not allowed: use letters, digits and underscores, not starting with a digit (at most 63)`, hint: /^Check Schema in the credential$/ },
	{ title: 'a Schema of 64 characters', base: 'pg', fields: { schema: 's'.repeat(64) }, message: `${STORE} Schema is longer than 63 characters (it has 64)`, hint: /^Check Schema: at most 63/ },
	{ title: 'an Encryption Key list', base: 'pg', fields: { encryptionKey: [GOOD_KEY] }, message: `${STORE} Encryption Key must be text, not a list`, hint: /^Type Encryption Key/ },
	{ title: 'an Encryption Key of 300 characters', base: 'pg', fields: { encryptionKey: `${GOOD_KEY}${'k'.repeat(256)}` }, message: `${STORE} Encryption Key is longer than 256 characters (it has 300)`, hint: /^Check Encryption Key: at most 256/ },
	{ title: 'Previous Keys as a number', base: 'pg', fields: { previousKeys: 5 }, message: `${STORE} Previous Keys must be text, not a number`, hint: /^Type Previous Keys/ },

	// SQLite store.
	{ title: 'a File Path list', base: 'sqlite', fields: { filePath: ['/tmp/a.sqlite'] }, message: `${STORE} File Path must be text, not a list`, hint: /^Type File Path/ },
	{ title: 'a File Path of 5000 characters', base: 'sqlite', fields: { filePath: `/tmp/${'a'.repeat(5000)}` }, message: `${STORE} File Path is longer than 4096 characters (it has 5005)`, hint: /^Check File Path: at most 4096/ },
	{ title: 'a File Path with a NUL', base: 'sqlite', fields: { filePath: '/tmp/psa\u0000bridge.sqlite' }, message: `${STORE} File Path contains a line break or another control character`, hint: /^Paste the File Path/ },
	{ title: 'a File Path holding the Encryption Key', base: 'sqlite', fields: { filePath: `/tmp/${GOOD_KEY}.sqlite` }, message: `${STORE} File Path holds the value of Encryption Key, a secret; put each value in its own field`, hint: /^Check File Path and Encryption Key/ },

	// ConnectWise: every field.
	{ title: 'a Site URL with a user name and password', base: 'cw', fields: { site: `https://admin:${MARKER}@cw.example.com` }, message: `${CW} Site ${CONNECTION_URL}`, hint: /^Enter Site without a user name or password \(nothing between "\/\/" and "@"\)$/ },
	{ title: 'a Site of 3000 characters', base: 'cw', fields: { site: `https://${'a'.repeat(3000)}.example.com` }, message: `${CW} Site is longer than 2048 characters (it has 3020)`, hint: /^Check Site: at most 2048/ },
	{ title: 'a Site whose host is longer than DNS allows', base: 'cw', fields: { site: `${'a.'.repeat(200)}example.com` }, message: `${CW} Site holds a host name longer than DNS allows (253 characters, 63 between dots)`, hint: /^Check Site/ },
	{ title: 'a Site list', base: 'cw', fields: { site: ['api-na.myconnectwise.net'] }, message: `${CW} Site must be text, not a list`, hint: /^Type Site/ },
	{ title: 'a Site with a line break', base: 'cw', fields: { site: 'api-na.myconnectwise.net\r\nX: 1' }, message: `${CW} Site contains a line break or another control character`, hint: /^Paste the Site/ },
	{ title: 'a Company ID list', base: 'cw', fields: { companyId: ['acme'] }, message: `${CW} Company ID must be text, not a list`, hint: /^Type Company ID/ },
	{ title: 'a Company ID of 100,000 characters', base: 'cw', fields: { companyId: 'c'.repeat(100_000) }, message: `${CW} Company ID is longer than 256 characters (it has 100000)`, hint: /^Check Company ID: at most 256/ },
	{ title: 'a Company ID holding the Private Key', base: 'cw', fields: { companyId: `acme+${MARKER}` }, message: `${CW} Company ID holds the value of Private Key, a secret; put each value in its own field`, hint: /^Check Company ID and Private Key/ },
	{ title: 'a Public Key number', base: 'cw', fields: { publicKey: 1234567890 }, message: `${CW} Public Key must be text, not a number`, hint: /^Type Public Key/ },
	{ title: 'a Private Key object', base: 'cw', fields: { privateKey: { key: MARKER } }, message: `${CW} Private Key must be text, not an object`, hint: /^Type Private Key/ },
	{ title: 'a Private Key of 1000 characters', base: 'cw', fields: { privateKey: MARKER.repeat(60) }, message: `${CW} Private Key is longer than 256 characters (it has 1020)`, hint: /^Check Private Key: at most 256/ },
	{ title: 'a Client ID with a NUL', base: 'cw', fields: { clientId: 'abc\u0000' }, message: `${CW} Client ID contains a line break or another control character`, hint: /^Paste the Client ID/ },
	{ title: 'an API Version list', base: 'cw', fields: { apiVersion: ['2025.8'] }, message: `${CW} API Version must be text, not a list`, hint: /^Type API Version/ },
	{ title: 'an API Version of 100 characters', base: 'cw', fields: { apiVersion: '2'.repeat(100) }, message: `${CW} API Version is longer than 32 characters (it has 100)`, hint: /^Check API Version: at most 32/ },
	{ title: 'Endpoint Versions as a number', base: 'cw', fields: { endpointVersions: 5 }, message: `${CW} Endpoint Versions must be a list of endpoints and versions`, hint: /^Add rows with Add Endpoint Version/ },
	{ title: 'an Endpoint Versions row whose version is a list', base: 'cw', fields: { endpointVersions: { endpoint: [{ path: '/service/tickets', version: ['2025.1'] }] } }, message: `${CW} Endpoint Versions > Version must be text, not a list`, hint: /^Type Endpoint Versions > Version/ },
	{ title: 'an Endpoint Versions row holding the Private Key', base: 'cw', fields: { endpointVersions: { endpoint: [{ path: `/service/${MARKER}`, version: '2025.1' }] } }, message: `${CW} Endpoint Versions > Path holds the value of Private Key, a secret; put each value in its own field`, hint: /^Check Endpoint Versions > Path and Private Key/ },

	// Autotask: every field.
	{ title: 'a Zone URL with a user name and password', base: 'at', fields: { zoneUrl: `https://u:${MARKER}@webservices5.autotask.net/ATServicesRest/` }, message: `${AT} Zone URL ${CONNECTION_URL}`, hint: /^Enter Zone URL without a user name or password/ },
	{ title: 'a Zone URL with a line break', base: 'at', fields: { zoneUrl: 'https://webservices5.autotask.net/\r\nX: 1' }, message: `${AT} Zone URL contains a line break or another control character`, hint: /^Paste the Zone URL/ },
	{ title: 'a Zone URL list', base: 'at', fields: { zoneUrl: ['https://webservices5.autotask.net/'] }, message: `${AT} Zone URL must be text, not a list`, hint: /^Type Zone URL/ },
	{ title: 'a Username list', base: 'at', fields: { username: ['api@example.com'] }, message: `${AT} Username must be text, not a list`, hint: /^Type Username/ },
	{ title: 'a Username holding the Secret', base: 'at', fields: { username: MARKER }, message: `${AT} Username holds the value of Secret, a secret; put each value in its own field`, hint: /^Check Username and Secret/ },
	{ title: 'a Secret number', base: 'at', fields: { secret: 42 }, message: `${AT} Secret must be text, not a number`, hint: /^Type Secret/ },
	{ title: 'a Secret of 300 characters', base: 'at', fields: { secret: `${MARKER}${'s'.repeat(300)}` }, message: `${AT} Secret is longer than 256 characters (it has 317)`, hint: /^Check Secret: at most 256/ },
	{ title: 'an Integration Code true/false', base: 'at', fields: { integrationCode: true }, message: `${AT} Integration Code must be text, not true/false`, hint: /^Type Integration Code/ },
	{ title: 'an Integration Code with a tab', base: 'at', fields: { integrationCode: `IC${MARKER}\t` }, message: `${AT} Integration Code contains a line break or another control character`, hint: /^Paste the Integration Code/ },
];

const NODE: INode = { id: 'n1', name: 'PSA Connect', type: 'psaConnect', typeVersion: 1, position: [0, 0], parameters: {} };
const TEST_FUNCTIONS = {} as ICredentialTestFunctions;

let scratch: string;
let userFolder: string;
let previousUserFolder: string | undefined;
let fetchCalls: string[] = [];
let poolConnects = 0;
let logged: string[] = [];

function snapshot(): Record<string, string> {
	const state: Record<string, string> = {};
	const walk = (folder: string) => {
		for (const name of fs.readdirSync(folder).sort()) {
			const file = path.join(folder, name);
			if (fs.statSync(file).isDirectory()) walk(file);
			else state[path.relative(scratch, file)] = fs.readFileSync(file).toString('base64');
		}
	};
	walk(scratch);
	return state;
}

beforeAll(async () => {
	scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-bad-settings-'));
	userFolder = path.join(scratch, 'n8n');
	previousUserFolder = process.env.N8N_USER_FOLDER;
	process.env.N8N_USER_FOLDER = userFolder;
	// Something stored that a refused setting must leave byte for byte as it is.
	const store = await openStore({ engine: 'sqlite', filename: path.join(scratch, 'kept.sqlite'), keys: [GOOD_KEY] });
	await store.connections.list();
	await store.close();
	BASES.sqlite.filePath = path.join(scratch, 'kept.sqlite');
});

afterAll(async () => {
	await closeAllStores();
	if (previousUserFolder === undefined) delete process.env.N8N_USER_FOLDER;
	else process.env.N8N_USER_FOLDER = previousUserFolder;
	fs.rmSync(scratch, { recursive: true, force: true });
});

beforeEach(() => {
	resetLimiters();
	fetchCalls = [];
	poolConnects = 0;
	logged = [];
	jest.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
		fetchCalls.push(String(input));
		return new Response('{"message":"refused by the test"}', { status: 401, headers: { 'content-type': 'application/json' } });
	});
	const connect = Pool.prototype.connect;
	jest.spyOn(Pool.prototype, 'connect').mockImplementation(function (this: Pool, ...args: unknown[]) {
		poolConnects++;
		return (connect as (...rest: unknown[]) => unknown).apply(this, args);
	} as never);
	for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
		jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
			logged.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
		});
	}
});

afterEach(() => jest.restoreAllMocks());

interface Outcome {
	/** Every error and test result the attempt produced, as text, for the secret check. */
	texts: string[];
	errors: unknown[];
	dialog: { status: string; message: string };
	requests: number;
}

/** The node path (n8n applies the keys, and the provider applies them itself), the connection id, and the credential dialog's Test. */
async function attemptPsa(type: CredentialType, fields: Record<string, unknown>): Promise<Outcome> {
	const recorded: HttpRequest[] = [];
	const errors: unknown[] = [];
	for (const transportAuthenticates of [true, false]) {
		try {
			const provider = createProvider(
				type,
				fields,
				{
					http: async (request) => {
						recorded.push(request);
						return { status: 401, headers: {}, body: { message: 'refused by the test' } };
					},
					cache: new PsaCache(),
					sleep: async () => undefined,
				},
				transportAuthenticates,
			);
			await provider.info();
			errors.push(undefined);
		} catch (error) {
			errors.push(error);
		}
	}
	try {
		connectionIdFor(type, fields);
		errors.push(undefined);
	} catch (error) {
		errors.push(error);
	}
	const dialog = await psaConnectionTest.call(TEST_FUNCTIONS, { id: 'c', name: 'c', type, data: fields as ICredentialDataDecryptedObject });
	return { texts: textsOf(errors, dialog), errors, dialog, requests: recorded.length + fetchCalls.length };
}

/** The node path (storeOfNode reads the options, then opens) and the credential dialog's Test. */
async function attemptStore(fields: Record<string, unknown>): Promise<Outcome> {
	const errors: unknown[] = [];
	try {
		const store = await storeFor(storeOptionsOf(fields as ICredentialDataDecryptedObject));
		errors.push(undefined);
		expect(store).toBeDefined();
	} catch (error) {
		errors.push(error);
	}
	const dialog = await psaStateStoreTest.call(TEST_FUNCTIONS, { id: 's', name: 's', type: 'psaStateStore', data: fields as ICredentialDataDecryptedObject });
	await closeAllStores();
	return { texts: textsOf(errors, dialog), errors, dialog, requests: poolConnects };
}

function textsOf(errors: unknown[], dialog: unknown): string[] {
	const texts = [JSON.stringify(dialog), ...logged];
	for (const error of errors) {
		if (error === undefined) continue;
		const summary = errorSummary(error);
		const nodeError = toNodeError(NODE, error);
		texts.push(JSON.stringify(summary), nodeError.message, String(nodeError.description ?? ''), JSON.stringify(nodeError));
	}
	return texts;
}

function attempt(base: string, fields: Record<string, unknown>): Promise<Outcome> {
	const merged = { ...BASES[base], ...fields };
	return TYPE_OF[base] === 'psaStateStore' ? attemptStore(merged) : attemptPsa(TYPE_OF[base], merged);
}

function expectNoSecret(outcome: Outcome, hidden: string[] = []): void {
	for (const secret of [MARKER, GOOD_KEY, ...hidden]) for (const text of outcome.texts) expect(text).not.toContain(secret);
}

describe.each(CASES.map((entry) => [`${TYPE_OF[entry.base]}: ${entry.title}`, entry] as [string, Case]))('%s', (_title, entry) => {
	it('is refused by its label before any request or connection, with no secret anywhere and nothing stored changed', async () => {
		const before = snapshot();
		const outcome = await attempt(entry.base, entry.fields);
		for (const error of outcome.errors) {
			expect(isPsaError(error, 'configuration') || isStoreError(error, 'configuration')).toBe(true);
			expect((error as Error).message).toBe(entry.message);
			expect(errorSummary(error).hint).toMatch(entry.hint);
		}
		expect(outcome.dialog.status).toBe('Error');
		expect(outcome.dialog.message.startsWith(`${entry.message}. `)).toBe(true);
		expect(outcome.requests).toBe(0);
		expect(snapshot()).toEqual(before);
		expectNoSecret(outcome, entry.hidden);
	});
});

/** Values a secret may arrive in: as typed, with a stray line break, buried in an oversize paste, from an expression, inside a URL's userinfo. */
const CARRIERS: Array<[string, (secret: string) => unknown]> = [
	['as typed', (secret) => secret],
	['with a line break', (secret) => `${secret}\n`],
	['inside 5000 characters', (secret) => `${'x'.repeat(5000)}${secret}`],
	['in a list', (secret) => [secret]],
	['in an object', (secret) => ({ value: secret })],
	['as a URL password', (secret) => `https://admin:${secret}@host.example/path`],
	['as a connection URL', (secret) => `postgres://n8n:${secret}@127.0.0.1:1/n8n`],
];

/** Each credential with the secret it holds: the marker is its Private Key, Secret or Password; the Fernet key is the stores' Encryption Key. */
const SWEEP: Array<[string, string, string, string]> = [];
for (const [base, secretName] of [['cw', 'marker'], ['at', 'marker'], ['pg', 'marker'], ['pg', 'encryption key'], ['sqlite', 'encryption key']] as const) {
	const fields = base === 'cw' ? [...Object.keys(BASES.cw), 'endpointVersions'] : Object.keys(BASES[base]);
	for (const field of fields) for (const [carrier] of CARRIERS) SWEEP.push([base, secretName, field, carrier]);
}

describe('a secret typed into any field, in any form', () => {
	it.each(SWEEP)('%s, the %s in %s, %s: no message, hint or log holds it, and nothing is sent once a check refused', async (base, secretName, field, carrier) => {
		const make = CARRIERS.find(([name]) => name === carrier)?.[1] as (secret: string) => unknown;
		const value = make(secretName === 'marker' ? MARKER : GOOD_KEY);
		const outcome = await attempt(base, { [field]: value });
		expectNoSecret(outcome);
		// A refusal by the checks comes before anything is sent or opened.
		const refusedByChecks = outcome.errors.some((error) => /^The (ConnectWise|Autotask|PSA State Store) credential's /.test((error as Error | undefined)?.message ?? ''));
		if (refusedByChecks) expect(outcome.requests).toBe(0);
	});
});

describe('good settings still pass the checks', () => {
	it.each([
		['cw', { site: 'https://cw.example.com/v4_6_release/', endpointVersions: { endpoint: [{ path: '/service/tickets', version: '2023.1' }] } }],
		['cw', { site: '127.0.0.1:8443' }],
		['at', { zoneUrl: 'https://webservices5.autotask.net/ATServicesRest/' }],
		['pg', { host: 'db.example.com' }],
		['pg', { host: '/var/run/postgresql' }],
		['pg', { host: '::1' }],
		['pg', { user: 'postgres', database: 'postgres', password: 'postgres' }],
		['pg', { schema: '' }],
	] as Array<[string, Record<string, unknown>]>)('%s %j', async (base, fields) => {
		const merged = { ...BASES[base], ...fields };
		if (TYPE_OF[base] === 'psaStateStore') {
			expect(storeOptionsOf(merged as ICredentialDataDecryptedObject)).toMatchObject({ engine: 'postgres' });
		} else {
			expect(() => connectionIdFor(TYPE_OF[base], merged)).not.toThrow();
		}
	});

	it('a Schema left empty still means the default schema, and an absent Engine still means SQLite', () => {
		expect(storeOptionsOf({ ...BASES.pg, schema: '' } as ICredentialDataDecryptedObject)).toMatchObject({ schema: undefined });
		expect(storeOptionsOf({ filePath: '' } as ICredentialDataDecryptedObject)).toEqual({ engine: 'sqlite' });
	});
});
