// Pure parts of the ConnectWise adapter: site normalisation, connection ids, versions, conditions, tickets, readers, registry.
import { PsaError } from '../../lib/providers/errors';
import { cond, literal } from '../../lib/providers/connectwise/conditions';
import { connectWiseConnectionId, normaliseSite, parseCodebase } from '../../lib/providers/connectwise/site';
import {
	compareVersions,
	endpointTemplate,
	parseDeprecation,
	parseEndpointVersions,
	versionFor,
} from '../../lib/providers/connectwise/versions';
import { externalXRefFor, parseTicketId, ticketDescription, ticketSummary } from '../../lib/providers/connectwise/tickets';
import { readMember, readStatus, readTicket } from '../../lib/providers/connectwise/read';
import { parseLinkHeader, parseRetryAfter } from '../../lib/providers/connectwise/client';
import { signatureFor, checkKeyUrl } from '../../lib/providers/connectwise/callbacks';
import { parseEndpointVersionsSetting } from '../../lib/providers/connectwise/definition';
import { connectionIdFor, createProvider, isProviderCredentialType } from '../../lib/providers/registry';
import { ConnectWiseProvider } from '../../lib/providers/connectwise';

function errorOf(fn: () => unknown): PsaError {
	try {
		fn();
	} catch (error) {
		if (error instanceof PsaError) return error;
		throw error;
	}
	throw new Error('expected a PsaError');
}

describe('site normalisation', () => {
	test.each([
		['api-na.myconnectwise.net', 'api-na.myconnectwise.net', true],
		['https://api-eu.myconnectwise.net/', 'api-eu.myconnectwise.net', true],
		['  HTTPS://API-AU.MyConnectWise.net/v4_6_release/apis/3.0/  ', 'api-au.myconnectwise.net', true],
		['cw.example.com//', 'cw.example.com', false],
		['https://cw.example.com:443/path?x=1#y', 'cw.example.com', false],
		['cw.example.com:8443', 'cw.example.com:8443', false],
		['na.myconnectwise.net', 'na.myconnectwise.net', true],
	])('%s -> %s (https)', (input, host, isCloud) => {
		const site = normaliseSite(input);
		expect(site.host).toBe(host);
		expect(site.scheme).toBe('https');
		expect(site.origin).toBe(`https://${host}`);
		expect(site.isCloud).toBe(isCloud);
	});

	test.each([
		['http://127.0.0.1:5432', 'http://127.0.0.1:5432'],
		['http://localhost:8080/', 'http://localhost:8080'],
		['http://[::1]:9000', 'http://[::1]:9000'],
		['127.0.0.1:5432', 'https://127.0.0.1:5432'],
	])('loopback %s -> %s (explicit http honoured only for loopback)', (input, origin) => {
		expect(normaliseSite(input).origin).toBe(origin);
	});

	test.each(['http://cw.example.com', 'http://10.0.0.5', 'ftp://cw.example.com', 'https://user:pw@cw.example.com', '', '   ', 'cw example.com', 'https://'])(
		'rejects %j with a configuration error',
		(input) => {
			const error = errorOf(() => normaliseSite(input));
			expect(error.kind).toBe('configuration');
			expect(error.message.length).toBeGreaterThan(10);
		},
	);

	test('http:// on a public host says why', () => {
		const error = errorOf(() => normaliseSite('http://cw.example.com'));
		expect(error.message).toMatch(/unencrypted/);
		expect(error.details.hint).toMatch(/https/);
	});

	test('codebase values are validated before they become part of URLs', () => {
		expect(parseCodebase('v4_6_release/')).toBe('v4_6_release/');
		expect(parseCodebase('v2025_1')).toBe('v2025_1/');
		expect(parseCodebase('../evil/')).toBeUndefined();
		expect(parseCodebase('a/b/')).toBeUndefined();
		expect(parseCodebase('')).toBeUndefined();
		expect(parseCodebase(null)).toBeUndefined();
	});

	test('connection ids are stable, case-insensitive in the company, and carry no secret', () => {
		const a = connectWiseConnectionId(normaliseSite('https://api-na.myconnectwise.net/'), 'Acme');
		const b = connectWiseConnectionId(normaliseSite('api-na.myconnectwise.net'), 'acme ');
		const c = connectWiseConnectionId(normaliseSite('api-eu.myconnectwise.net'), 'acme');
		expect(a).toBe(b);
		expect(a).not.toBe(c);
		expect(a).toMatch(/^connectwise:[0-9a-f]{16}$/);
		const credentials = { site: 'api-na.myconnectwise.net', companyId: 'acme', publicKey: 'pub', privateKey: 'SuperSecretKey', clientId: 'cid' };
		expect(connectionIdFor('connectWisePsaApi', credentials)).toBe(a);
		expect(connectionIdFor('connectWisePsaApi', { ...credentials, privateKey: 'rotated' })).toBe(a);
	});
});

describe('versions', () => {
	test('ordering and templates', () => {
		expect(compareVersions('2023.10', '2023.9')).toBeGreaterThan(0);
		expect(compareVersions('2020.1', '2025.8')).toBeLessThan(0);
		expect(endpointTemplate('/service/tickets/12/notes/3')).toBe('/service/tickets/{parentId}/notes/{id}');
		expect(endpointTemplate('/service/tickets/12')).toBe('/service/tickets/{id}');
		expect(endpointTemplate('/service/tickets?x=1')).toBe('/service/tickets');
	});

	test('per-endpoint overrides match by the longest path prefix', () => {
		const overrides = parseEndpointVersions({
			'/service/tickets': '2023.1',
			'service/tickets/{parentId}/notes': '2020.1',
			'/system/members/': '2024.1',
		});
		expect(versionFor('/service/tickets', '2025.8', overrides)).toBe('2023.1');
		expect(versionFor('/service/tickets/42', '2025.8', overrides)).toBe('2023.1');
		expect(versionFor('/service/tickets/42/notes', '2025.8', overrides)).toBe('2020.1');
		expect(versionFor('/service/tickets/42/notes/7', '2025.8', overrides)).toBe('2020.1');
		expect(versionFor('/service/ticketsX', '2025.8', overrides)).toBe('2025.8');
		expect(versionFor('/system/members/5', '2025.8', overrides)).toBe('2024.1');
		expect(versionFor('/service/boards/1/statuses', '2025.8', overrides)).toBe('2025.8');
	});

	test('bad overrides are configuration errors', () => {
		expect(errorOf(() => parseEndpointVersions({ '/service/tickets': '3.0' })).kind).toBe('configuration');
		expect(errorOf(() => parseEndpointVersions({ '/': '2023.1' })).kind).toBe('configuration');
		expect(errorOf(() => parseEndpointVersions({ '/service/tickets?x': '2023.1' })).kind).toBe('configuration');
	});

	test('Deprecation values: RFC 9745 epoch, legacy true, HTTP-date', () => {
		expect(parseDeprecation('@1767225600')).toEqual({ deprecated: true, date: new Date('2026-01-01T00:00:00Z') });
		expect(parseDeprecation('true')).toEqual({ deprecated: true });
		expect(parseDeprecation('Wed, 01 Jan 2025 00:00:00 GMT').date?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
	});

	test('Retry-After and Link parsing', () => {
		expect(parseRetryAfter('3', 0)).toBe(3000);
		expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
		expect(parseRetryAfter('soon', 0)).toBeUndefined();
		const links = parseLinkHeader('<https://h/x?page=2&pageSize=5>; rel="next", <https://h/x?page=9>; rel="last", <https://d>; rel="deprecation"');
		expect(links.get('next')).toBe('https://h/x?page=2&pageSize=5');
		expect(links.get('last')).toBe('https://h/x?page=9');
		expect(links.get('deprecation')).toBe('https://d');
	});
});

describe('conditions builder', () => {
	test('quotes and escapes strings, renders numbers, booleans, dates and null', () => {
		expect(cond.eq('summary', 'Disk "C:\\" full')).toBe('summary="Disk \\"C:\\\\\\" full"');
		expect(cond.eq('board/id', 5)).toBe('board/id=5');
		expect(cond.eq('closedFlag', false)).toBe('closedFlag=false');
		expect(cond.gt('lastUpdated', new Date('2025-03-04T05:06:07.890Z'))).toBe('lastUpdated>[2025-03-04T05:06:07Z]');
		expect(cond.eq('owner', null)).toBe('owner=null');
		expect(cond.contains('name', 'Acme')).toBe('name contains "Acme"');
		expect(cond.like('name', 'Ac%')).toBe('name like "Ac%"');
		expect(cond.in('id', [1, 2])).toBe('id in (1,2)');
		expect(cond.and(cond.eq('a', 1), cond.or(cond.eq('b', 'x'), cond.eq('c', 'y')))).toBe('(a=1) and ((b="x") or (c="y"))');
	});

	test('injection attempts stay inside one quoted literal', () => {
		const attack = 'x" or id>0 or summary="';
		const built = cond.eq('externalXRef', attack);
		expect(built).toBe('externalXRef="x\\" or id>0 or summary=\\""');
		// Unescaped, the literal is exactly the attacker's text: nothing leaked out of the quotes.
		const inner = /^externalXRef="((?:[^"\\]|\\.)*)"$/.exec(built);
		expect(inner?.[1].replace(/\\(.)/g, '$1')).toBe(attack);
		const backslashAttack = 'x\\" or 1=1 or a="';
		const built2 = cond.eq('summary', backslashAttack);
		const inner2 = /^summary="((?:[^"\\]|\\.)*)"$/.exec(built2);
		expect(inner2?.[1].replace(/\\(.)/g, '$1')).toBe(backslashAttack);
	});

	test('field names and values are validated', () => {
		for (const field of ['id or 1=1', 'a"b', '', '1abc', 'name)', 'a b']) {
			expect(errorOf(() => cond.eq(field, 1)).kind).toBe('invalid-input');
		}
		expect(errorOf(() => cond.eq('id', Number.NaN)).kind).toBe('invalid-input');
		expect(errorOf(() => cond.eq('id', Infinity)).kind).toBe('invalid-input');
		expect(errorOf(() => literal(new Date('nope'))).kind).toBe('invalid-input');
		expect(errorOf(() => cond.eq('summary', 'a\u0000b')).kind).toBe('invalid-input');
		expect(errorOf(() => cond.eq('summary', {} as unknown as string)).kind).toBe('invalid-input');
		expect(errorOf(() => cond.and()).kind).toBe('invalid-input');
	});
});

describe('ticket rules', () => {
	test('summaries over 100 characters become 99 + an ellipsis; the full text goes to the description', () => {
		const long = 'A'.repeat(150);
		const { summary, truncated } = ticketSummary(long);
		expect(summary).toBe(`${'A'.repeat(99)}\u2026`);
		expect(Array.from(summary)).toHaveLength(100);
		expect(truncated).toBe(true);
		expect(ticketDescription(long, 'details', true)).toBe(`${long}\n\ndetails`);
		expect(ticketDescription(long, undefined, true)).toBe(long);
		expect(ticketDescription('short', 'details', false)).toBe('details');
		expect(ticketSummary('x'.repeat(100))).toEqual({ summary: 'x'.repeat(100), truncated: false });
		expect(ticketSummary('line one\r\n line two').summary).toBe('line one line two');
		expect(errorOf(() => ticketSummary('  ')).details.field).toBe('summary');
	});

	test('summaries are counted in UTF-16 code units, as ConnectWise counts: 60 emoji are 120 units and are cut', () => {
		const fire = '\u{1F525}';
		expect(ticketSummary(fire.repeat(50))).toEqual({ summary: fire.repeat(50), truncated: false });
		const { summary, truncated } = ticketSummary(fire.repeat(60));
		expect(truncated).toBe(true);
		expect(summary.length).toBeLessThanOrEqual(100);
		// Cut between characters, never inside a surrogate pair: 49 emoji (98 units) and the ellipsis.
		expect(summary).toBe(`${fire.repeat(49)}\u2026`);
		expect(ticketSummary(`a${fire.repeat(60)}`).summary).toBe(`a${fire.repeat(49)}\u2026`);
	});

	test('externalXRef: short keys as they are, long keys as a stable hash', () => {
		expect(externalXRefFor('prometheus:alert-1')).toBe('prometheus:alert-1');
		const long = `zabbix:${'h'.repeat(200)}`;
		const hashed = externalXRefFor(long);
		expect(hashed).toMatch(/^psa-sha256:[0-9a-f]{64}$/);
		expect(hashed.length).toBeLessThanOrEqual(100);
		expect(externalXRefFor(long)).toBe(hashed);
		expect(externalXRefFor('psa-sha256:abc')).toMatch(/^psa-sha256:[0-9a-f]{64}$/);
		expect(errorOf(() => externalXRefFor('')).kind).toBe('invalid-input');
		// Control characters (a later generation's separator) are never sent as they are: the key is hashed.
		expect(externalXRefFor('a\nb')).toMatch(/^psa-sha256:[0-9a-f]{64}$/);
	});

	test('ticket URLs: web UI deep links, API URLs, recid forms; other hosts ignored', () => {
		const hosts = ['api-na.myconnectwise.net', 'na.myconnectwise.net'];
		expect(parseTicketId('https://na.myconnectwise.net/v4_6_release/ConnectWise.aspx?fullscreen=false&locale=en_US#startscreen=sr200&state=OpenRecord&recid=4711', hosts)).toBe(4711);
		expect(parseTicketId('https://api-na.myconnectwise.net/v4_6_release/apis/3.0/service/tickets/12', hosts)).toBe(12);
		expect(parseTicketId('https://na.myconnectwise.net/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=99', hosts)).toBe(99);
		expect(parseTicketId('https://na.myconnectwise.net/x?recid=5', hosts)).toBe(5);
		expect(parseTicketId('https://evil.example.com/x?recid=5', hosts)).toBeUndefined();
		expect(parseTicketId('https://na.myconnectwise.net/x?recid=abc', hosts)).toBeUndefined();
		expect(parseTicketId('not a url', hosts)).toBeUndefined();
		expect(parseTicketId('https://na.myconnectwise.net/service/tickets/0', hosts)).toBeUndefined();
	});
});

describe('tolerant readers', () => {
	test('unknown fields are ignored, optional ones defaulted', () => {
		const ticket = readTicket(
			{ id: 7, summary: 'S', board: { id: 1, name: 'B' }, status: { id: 2, name: 'New' }, company: { id: 3, identifier: 'Acme' }, futureField: { x: 1 } },
			'GET /service/tickets/7',
		);
		expect(ticket).toEqual({ id: 7, summary: 'S', board: { id: 1, name: 'B' }, status: { id: 2, name: 'New' }, company: { id: 3, name: 'Acme' }, closed: false });
	});

	test('a missing required field names the field and the endpoint', () => {
		const error = errorOf(() => readTicket({ id: 7, summary: 'S', board: { id: 1 }, company: { id: 3 } }, 'GET /service/tickets/7'));
		expect(error.message).toContain("'status/id'");
		expect(error.message).toContain('GET /service/tickets/7');
		expect(error.details.field).toBe('status/id');
	});

	test('status: closedStatus (2023.1+) or closedFlag (2020.1)', () => {
		expect(readStatus({ id: 1, name: 'Closed', closedStatus: true }, 'x', 9).closed).toBe(true);
		expect(readStatus({ id: 1, name: 'Closed', closedFlag: true }, 'x', 9).closed).toBe(true);
		expect(readStatus({ id: 1, name: 'Open' }, 'x', 9)).toMatchObject({ closed: false, boardId: 9, inactive: false, isDefault: false, sortOrder: 0 });
	});

	test('member emails: primary first, lower-cased, deduplicated; primaryEmail may be absent', () => {
		expect(readMember({ id: 1, identifier: 'a', primaryEmail: 'A@X.io', officeEmail: 'a@x.io ', mobileEmail: 'm@x.io' }, 'x').emails).toEqual(['a@x.io', 'm@x.io']);
		expect(readMember({ id: 1, identifier: 'a', officeEmail: 'O@X.io' }, 'x').emails).toEqual(['o@x.io']);
	});
});

describe('callback helpers', () => {
	test('signature = base64(HMAC-SHA256(SHA-256(signing key), body)) (fixed vector)', () => {
		// Vector computed independently: python3 -c "import hmac,hashlib,base64;k=hashlib.sha256(b'key').digest();print(base64.b64encode(hmac.new(k,b'{\"a\":1}',hashlib.sha256).digest()).decode())"
		expect(signatureFor(Buffer.from('{"a":1}'), 'key')).toBe('f9GMEKDV+1FLfETUluDlWA3KaD3gwx4A94miwrEMCHA=');
	});

	test('key_url must be https on the configured site (loopback http only for a loopback site)', () => {
		const site = normaliseSite('cw.example.com');
		expect(checkKeyUrl('https://cw.example.com/v4_6_release/apis/3.0/system/callbackkey/1', site)).toContain('cw.example.com');
		expect(errorOf(() => checkKeyUrl('https://evil.example.com/key', site)).kind).toBe('authentication');
		expect(errorOf(() => checkKeyUrl('http://cw.example.com/key', site)).kind).toBe('authentication');
		expect(errorOf(() => checkKeyUrl('https://cw.example.com.evil.io/key', site)).kind).toBe('authentication');
		expect(errorOf(() => checkKeyUrl('https://user@cw.example.com/key', site)).kind).toBe('authentication');
		expect(errorOf(() => checkKeyUrl(undefined, site)).kind).toBe('authentication');
		const sandbox = normaliseSite('http://127.0.0.1:4000');
		expect(checkKeyUrl('http://127.0.0.1:4000/callback-keys/x', sandbox)).toBe('http://127.0.0.1:4000/callback-keys/x');
		expect(errorOf(() => checkKeyUrl('http://127.0.0.1:4001/callback-keys/x', sandbox)).kind).toBe('authentication');
	});
});

describe('registry', () => {
	const http = async () => ({ status: 200, headers: {}, body: {} });
	test('maps the ConnectWise credential type to the adapter and rejects unknown types', () => {
		expect(isProviderCredentialType('connectWisePsaApi')).toBe(true);
		expect(isProviderCredentialType('toString')).toBe(false);
		const provider = createProvider(
			'connectWisePsaApi',
			{ site: 'https://api-na.myconnectwise.net', companyId: 'acme', publicKey: 'p', privateKey: 'k', clientId: 'c', apiVersion: '2024.1', endpointVersions: '{"/service/tickets":"2023.1"}' },
			{ http },
		);
		expect(provider).toBeInstanceOf(ConnectWiseProvider);
		expect(provider.connection).toMatchObject({ provider: 'connectwise', site: 'api-na.myconnectwise.net', company: 'acme', label: 'ConnectWise api-na.myconnectwise.net / acme' });
		expect((provider as ConnectWiseProvider).apiVersionFor('/service/tickets/5')).toBe('2023.1');
		expect((provider as ConnectWiseProvider).apiVersionFor('/system/members')).toBe('2024.1');
		expect(errorOf(() => createProvider('otherPsaApi', {}, { http })).kind).toBe('configuration');
	});

	test('endpoint versions in every form a credential may hold them', () => {
		expect(parseEndpointVersionsSetting('{"/service/tickets":"2023.1"}')).toEqual({ '/service/tickets': '2023.1' });
		expect(parseEndpointVersionsSetting('/service/tickets=2023.1\n/system/members: 2020.1')).toEqual({ '/service/tickets': '2023.1', '/system/members': '2020.1' });
		expect(parseEndpointVersionsSetting({ values: [{ path: '/service/tickets', version: '2023.1' }] })).toEqual({ '/service/tickets': '2023.1' });
		expect(parseEndpointVersionsSetting('')).toBeUndefined();
		expect(errorOf(() => parseEndpointVersionsSetting('{bad')).kind).toBe('configuration');
	});

	test('missing credential fields are configuration errors naming the field', () => {
		const error = errorOf(() => createProvider('connectWisePsaApi', { site: 'cw.example.com', companyId: 'acme', publicKey: 'p', clientId: 'c' }, { http }));
		expect(error.kind).toBe('configuration');
		expect(error.message).toContain('Private Key');
		expect(errorOf(() => createProvider('connectWisePsaApi', { site: 'cw.example.com', companyId: 'acme', publicKey: 'p', privateKey: 'k', clientId: 'c', apiVersion: 'latest' }, { http })).kind).toBe('configuration');
		// With a transport that authenticates (n8n's helper), the keys are not needed here.
		expect(() => createProvider('connectWisePsaApi', { site: 'cw.example.com', companyId: 'acme' }, { http, transportAuthenticates: true })).not.toThrow();
	});
});
