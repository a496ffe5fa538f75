// List queries over HTTP: conditions, orderBy, fields, page/pageSize with the Link header, and forward-only paging.
import { checkSuiteAgainstContract } from '../contract/suite-check';
import { useSandbox } from './client';

type Row = Record<string, unknown>;

function parseLink(header: string | null): Record<string, URL> {
	const links: Record<string, URL> = {};
	for (const part of (header ?? '').split(',')) {
		const match = /<([^>]+)>;\s*rel="(\w+)"/.exec(part.trim());
		if (match) links[match[2]] = new URL(match[1]);
	}
	return links;
}

describe('sandbox list queries', () => {
	const fixture = useSandbox();
	const { request } = fixture;
	checkSuiteAgainstContract('queries.test.ts', () => fixture.sandbox);

	beforeAll(async () => {
		for (let index = 1; index <= 57; index++) {
			fixture.sandbox.addTicket({
				summary: index === 7 ? 'Quote "inside" summary' : `Alert ${String(index).padStart(2, '0')}`,
				company: { id: [250, 251, 252][index % 3] },
				board: { id: index % 2 ? 1 : 2 },
				externalXRef: `zabbix:${index}`,
			});
		}
	});

	it('filters tickets with nested paths, like, and/or, parentheses and escaped quotes', async () => {
		const byCompany = await request<Row[]>('GET', '/service/tickets', {
			query: { conditions: '(company/identifier = "Globex" or company/name = "initech") and board/name like "Network*"', pageSize: 1000 },
		});
		expect(byCompany.status).toBe(200);
		expect(byCompany.body.length).toBeGreaterThan(0);
		for (const ticket of byCompany.body) {
			expect(['Globex', 'Initech']).toContain((ticket.company as Row).name);
			expect((ticket.board as Row).name).toBe('Network Operations');
		}
		const quoted = await request<Row[]>('GET', '/service/tickets', { query: { conditions: 'summary = "Quote \\"inside\\" summary"' } });
		expect(quoted.body.map((ticket) => ticket.externalXRef)).toEqual(['zabbix:7']);
		const contains = await request<Row[]>('GET', '/service/tickets', { query: { conditions: 'externalXRef contains ":5" and id < 1100' } });
		expect(contains.body.map((ticket) => ticket.externalXRef)).toEqual(['zabbix:5', 'zabbix:50', 'zabbix:51', 'zabbix:52', 'zabbix:53', 'zabbix:54', 'zabbix:55', 'zabbix:56', 'zabbix:57']);
		const dated = await request<Row[]>('GET', '/service/tickets', { query: { conditions: 'lastUpdated > [2020-01-01T00:00:00Z] and closedFlag = false', pageSize: 1000 } });
		expect(dated.body).toHaveLength(57);
		const future = await request<Row[]>('GET', '/service/tickets', { query: { conditions: 'dateEntered > [2999-01-01]' } });
		expect(future.body).toEqual([]);
	});

	it('answers a bad expression or an unknown field with a 400 naming the parameter', async () => {
		const syntax = await request('GET', '/service/tickets', { query: { conditions: 'summary = "open' } });
		expect(syntax.status).toBe(400);
		expect(syntax.body).toMatchObject({ code: 'InvalidObject', errors: [{ field: 'conditions', message: expect.stringMatching(/Unterminated string/) }] });
		const unknown = await request('GET', '/service/tickets', { query: { conditions: 'colour = "red"' } });
		expect(unknown.body).toMatchObject({ errors: [{ field: 'conditions', message: "Unknown field 'colour' in conditions" }] });
		expect((await request('GET', '/service/tickets', { query: { orderBy: 'colour' } })).status).toBe(400);
		expect((await request('GET', '/service/tickets', { query: { fields: 'id,colour' } })).status).toBe(400);
		expect((await request('GET', '/service/tickets', { query: { page: '0' } })).status).toBe(400);
		expect((await request('GET', '/service/tickets', { query: { pageSize: 'ten' } })).status).toBe(400);
	});

	it('finds members by email, identifier and inactiveFlag', async () => {
		const bruce = await request<Row[]>('GET', '/system/members', { query: { conditions: 'officeEmail = "bruce@acme.example" or primaryEmail = "bruce@acme.example"' } });
		expect(bruce.body.map((member) => member.identifier)).toEqual(['bwayne', 'bwayne2']);
		const active = await request<Row[]>('GET', '/system/members', { query: { conditions: '(officeEmail = "BRUCE@acme.example" or primaryEmail = "bruce@acme.example") and inactiveFlag = false' } });
		expect(active.body.map((member) => member.identifier)).toEqual(['bwayne']);
		const alice = await request<Row[]>('GET', '/system/members', { query: { conditions: 'primaryEmail = "alice@acme.example"' } });
		expect(alice.body.map((member) => member.identifier)).toEqual(['adoe']);
		const old = await request<Row[]>('GET', '/system/members', { query: { conditions: 'identifier = "oldtech"' } });
		expect(old.body[0]).toMatchObject({ inactiveFlag: true, officeEmail: 'oldtech@acme.example' });
		const contacts = await request<Row[]>('GET', '/company/contacts', { query: { childConditions: 'communicationItems/value = "hank@globex.example"' } });
		expect(contacts.body.map((contact) => contact.id)).toEqual([310]);
	});

	it('orders by one or more fields, nested ones included', async () => {
		const boards = await request<Row[]>('GET', '/service/boards', { query: { orderBy: 'name desc' } });
		expect(boards.body.map((board) => board.name)).toEqual(['Projects', 'Network Operations', 'Help Desk']);
		const tickets = await request<Row[]>('GET', '/service/tickets', { query: { orderBy: 'company/name asc, id desc', pageSize: 3 } });
		expect(tickets.body.map((ticket) => (ticket.company as Row).name)).toEqual(['Acme Corp', 'Acme Corp', 'Acme Corp']);
		const ids = tickets.body.map((ticket) => ticket.id as number);
		expect(ids).toEqual([...ids].sort((a, b) => b - a));
		const priorities = await request<Row[]>('GET', '/service/priorities', { query: { orderBy: 'sortOrder desc' } });
		expect(priorities.body[0].name).toBe('Priority 4 - Low');
	});

	it('returns only the asked fields, nested ones as nested objects', async () => {
		const response = await request<Row[]>('GET', '/service/tickets', { query: { fields: 'id,summary,board/name,status/id', pageSize: 2 } });
		expect(response.body[0]).toEqual({ id: 1001, summary: 'Alert 01', board: { name: 'Help Desk' }, status: { id: 101 } });
		const one = await request<Row>('GET', '/service/tickets/1002', { query: { fields: 'id,company/identifier' } });
		expect(one.body).toEqual({ id: 1002, company: { identifier: 'Initech' } });
	});

	it('pages with page/pageSize and an RFC 5988 Link header (first, prev, next, last)', async () => {
		const first = await request<Row[]>('GET', '/service/tickets', { query: { pageSize: 20, conditions: 'closedFlag = false' } });
		expect(first.body).toHaveLength(20);
		const firstLinks = parseLink(first.headers.get('link'));
		expect(Object.keys(firstLinks).sort()).toEqual(['last', 'next']);
		expect(firstLinks.next.searchParams.get('page')).toBe('2');
		expect(firstLinks.next.searchParams.get('conditions')).toBe('closedFlag = false');
		expect(firstLinks.last.searchParams.get('page')).toBe('3');
		expect(firstLinks.next.toString().startsWith(`${fixture.sandbox.apiBaseUrl}/service/tickets?`)).toBe(true);

		const seen: number[] = [];
		let next: URL | undefined = new URL(`${fixture.sandbox.apiBaseUrl}/service/tickets?pageSize=20`);
		let middleLinks: Record<string, URL> = {};
		for (let page = 1; next && page <= 5; page++) {
			const response = await request<Row[]>('GET', next.pathname.replace('/v4_6_release/apis/3.0', ''), { query: Object.fromEntries(next.searchParams) });
			seen.push(...response.body.map((ticket) => ticket.id as number));
			const links = parseLink(response.headers.get('link'));
			if (page === 2) middleLinks = links;
			next = links.next;
		}
		expect(seen).toHaveLength(57);
		expect(new Set(seen).size).toBe(57);
		expect(Object.keys(middleLinks).sort()).toEqual(['first', 'last', 'next', 'prev']);
		expect(middleLinks.prev.searchParams.get('page')).toBe('1');

		const onlyPage = await request<Row[]>('GET', '/service/boards');
		expect(onlyPage.headers.get('link')).toBeNull();
		const beyond = await request<Row[]>('GET', '/service/tickets', { query: { page: 9, pageSize: 20 } });
		expect(beyond.body).toEqual([]);
	});

	it('defaults to 25 a page and caps pageSize at 1000', async () => {
		expect((await request<Row[]>('GET', '/service/tickets')).body).toHaveLength(25);
		const huge = await request<Row[]>('GET', '/service/tickets', { query: { pageSize: 5000 } });
		expect(huge.body).toHaveLength(57);
		for (let index = 0; index < 1000; index++) fixture.sandbox.addTicket({ summary: `bulk ${index}`, company: { id: 19 } });
		try {
			const capped = await request<Row[]>('GET', '/service/tickets', { query: { pageSize: 5000 } });
			expect(capped.body).toHaveLength(1000);
			expect(parseLink(capped.headers.get('link')).next.searchParams.get('pageSize')).toBe('1000');
		} finally {
			fixture.sandbox.db.tickets.splice(57);
		}
	});

	it('pages forward-only by pageId when asked with pagination-type: forward-only', async () => {
		const headers = { 'pagination-type': 'forward-only' };
		const seen: number[] = [];
		let query: Record<string, string> = { pageSize: '25', conditions: 'board/id = 1' };
		for (let page = 0; page < 10; page++) {
			const response = await request<Row[]>('GET', '/service/tickets', { headers, query });
			seen.push(...response.body.map((ticket) => ticket.id as number));
			const links = parseLink(response.headers.get('link'));
			expect(links.prev).toBeUndefined();
			expect(links.last).toBeUndefined();
			if (!links.next) break;
			expect(links.next.searchParams.get('page')).toBeNull();
			expect(links.next.searchParams.get('pageId')).toBe(String(seen[seen.length - 1]));
			query = Object.fromEntries(links.next.searchParams);
		}
		expect(seen).toHaveLength(29);
		expect(seen).toEqual([...seen].sort((a, b) => a - b));
		const ordered = await request('GET', '/service/tickets', { headers, query: { orderBy: 'summary' } });
		expect(ordered.status).toBe(400);
		expect(ordered.body).toMatchObject({ errors: [{ field: 'orderBy' }] });
	});
});
