// Autotask sandbox query grammar (§3) and paging (§4): operators, nesting, case rules, error messages, nextPageUrl.
import { TICKET, useAutotaskSandbox } from './client';
import { ACTIVE_TECHNICIAN_ID, SECOND_TECHNICIAN_ID } from './data';

describe('Autotask sandbox: queries', () => {
	const fixture = useAutotaskSandbox();
	const { request } = fixture;
	const ids = async (entity: string, filter: unknown[], extra: Record<string, unknown> = {}) => {
		const response = await request('POST', `/${entity}/query`, { body: { filter, ...extra } });
		if (response.status !== 200) throw new Error(JSON.stringify(response.body));
		return response.body.items.map((item: { id: number }) => item.id);
	};

	beforeAll(() => {
		fixture.sandbox.clearTickets();
		for (let index = 0; index < 12; index++) {
			fixture.sandbox.addTicket({ ...TICKET, title: `Alert ${index} ${index % 2 ? 'disk' : 'CPU'}`, status: index % 3 === 0 ? 5 : 1, externalID: index < 3 ? `ext-${index}` : null });
		}
	});

	it('supports every comparison, list and existence operator, nested and/or, top-level AND', async () => {
		const all = fixture.sandbox.db.tickets.map((ticket) => ticket.id);
		expect(await ids('Tickets', [{ op: 'exist', field: 'id' }])).toEqual(all);
		expect(await ids('Tickets', [{ op: 'gt', field: 'id', value: all[9] }])).toEqual(all.slice(10));
		expect(await ids('Tickets', [{ op: 'lte', field: 'id', value: all[1] }])).toEqual(all.slice(0, 2));
		expect(await ids('Tickets', [{ op: 'gte', field: 'id', value: all[10] }, { op: 'lt', field: 'id', value: all[11] }])).toEqual([all[10]]);
		expect(await ids('Tickets', [{ op: 'noteq', field: 'Status', value: 5 }])).toHaveLength(8);
		expect(await ids('Tickets', [{ op: 'beginsWith', field: 'title', value: 'alert 1' }])).toEqual([all[1], all[10], all[11]]);
		expect(await ids('Tickets', [{ op: 'endsWith', field: 'title', value: 'DISK' }])).toHaveLength(6);
		expect(await ids('Tickets', [{ op: 'contains', field: 'title', value: ' 7 ' }])).toEqual([all[7]]);
		expect(await ids('Tickets', [{ op: 'in', field: 'externalID', value: ['EXT-0', 'ext-2'] }])).toEqual([all[0], all[2]]);
		expect(await ids('Tickets', [{ op: 'notIn', field: 'externalID', value: ['ext-0'] }])).toEqual([all[1], all[2]]);
		expect(await ids('Tickets', [{ op: 'exist', field: 'externalID' }])).toEqual(all.slice(0, 3));
		expect(await ids('Tickets', [{ op: 'notExist', field: 'externalID' }])).toEqual(all.slice(3));
		const nested = [
			{ op: 'eq', field: 'companyid', value: 175 },
			{ op: 'or', items: [{ op: 'eq', field: 'id', value: all[4] }, { op: 'and', items: [{ op: 'eq', field: 'status', value: 5 }, { op: 'lt', field: 'id', value: all[4] }] }] },
		];
		expect(await ids('Tickets', nested)).toEqual([all[0], all[3], all[4]]);
		expect(await ids('Tickets', [{ Op: 'EQ', Field: 'ID', Value: all[0] }])).toEqual([all[0]]);
	});

	it('finds resources by email2 and by boolean isActive; strings compare case-insensitively', async () => {
		expect(await ids('Resources', [{ op: 'eq', field: 'email', value: 'JOHN.SMITH@acme.example' }, { op: 'eq', field: 'isActive', value: true }])).toEqual([ACTIVE_TECHNICIAN_ID]);
		expect(await ids('Resources', [{ op: 'or', items: [{ op: 'eq', field: 'email', value: 'jane.doe@acme.example' }, { op: 'eq', field: 'email2', value: 'jane.doe@acme.example' }] }])).toEqual([SECOND_TECHNICIAN_ID]);
		expect(await ids('Resources', [{ op: 'noteq', field: 'licenseType', value: 7 }, { op: 'eq', field: 'isActive', value: false }])).toHaveLength(1);
	});

	it('applies IncludeFields and MaxRecords, and reads GET ?search=', async () => {
		const response = await request('POST', '/Tickets/query', { body: { MaxRecords: 2, IncludeFields: ['Id', 'Title'], filter: [{ op: 'exist', field: 'id' }] } });
		expect(response.body.items).toHaveLength(2);
		expect(Object.keys(response.body.items[0])).toEqual(['id', 'title']);
		expect(response.body.pageDetails).toMatchObject({ count: 2, requestCount: 2, prevPageUrl: null });
		const search = JSON.stringify({ filter: [{ op: 'eq', field: 'status', value: 5 }] });
		const viaGet = await request('GET', '/Tickets/query', { query: { search } });
		expect(viaGet.body.items).toHaveLength(4);
		expect((await request('GET', '/Tickets/query/count', { query: { search } })).body).toEqual({ queryCount: 4 });
	});

	it('refuses bad queries with Autotask messages', async () => {
		const error = async (body: unknown, entity = 'Tickets') => {
			const response = await request('POST', `/${entity}/query`, { body });
			expect(response.status).toBe(500);
			return response.body.errors[0] as string;
		};
		expect(await error({ filter: [{ op: 'eq', field: 'summary', value: 'x' }] })).toBe('Unable to find summary in the Tickets Entity');
		expect(await error({ filter: [{ op: 'eq', field: 'creatorType', value: 1 }] })).toMatch(/not queryable/);
		for (const max of [0, 501]) expect(await error({ MaxRecords: max, filter: [{ op: 'exist', field: 'id' }] })).toBe('maxCountOfRecordsToReturn must be between 1 and 500');
		const many = Array.from({ length: 501 }, (_, index) => ({ op: 'eq', field: 'id', value: index }));
		expect(await error({ filter: [{ op: 'or', items: many }] })).toMatch(/limited to 500 or fewer 'OR' conditions/);
		expect(await ids('Tickets', [{ op: 'or', items: many.slice(0, 500) }])).toEqual([]);
		const twoUdfs = [{ op: 'eq', field: 'A', udf: true, value: 'x' }, { op: 'eq', field: 'B', udf: true, value: 'y' }];
		expect(await error({ filter: twoUdfs })).toMatch(/one user-defined field/);
		expect(await ids('Tickets', twoUdfs.slice(0, 1))).toEqual([]);
		expect(await error({ filter: [{ op: 'noteExist', field: 'id' }] })).toMatch(/Unknown operator/);
		expect(await error({ filter: [] })).toMatch(/filter/);
		expect(await error({ IncludeFields: ['nope'], filter: [{ op: 'exist', field: 'id' }] })).toBe('Unable to find nope in the Tickets Entity');
	});

	it('pages with an absolute nextPageUrl that must be POSTed with the same body', async () => {
		const body = { MaxRecords: 5, filter: [{ op: 'exist', field: 'id' }] };
		const first = await request('POST', '/Tickets/query', { body });
		expect(first.body.pageDetails.nextPageUrl).toMatch(new RegExp(`^${fixture.sandbox.apiBaseUrl}/Tickets/query/next\\?paging=`));
		const seen: number[] = first.body.items.map((item: { id: number }) => item.id);
		let next: string | null = first.body.pageDetails.nextPageUrl;
		const getNext = await request('GET', next as string);
		expect(getNext).toMatchObject({ status: 405, body: { Message: "The requested resource does not support http method 'GET'." } });
		expect((await request('POST', next as string)).status).toBe(500);
		expect((await request('POST', next as string, { body: { filter: [{ op: 'eq', field: 'id', value: 1 }] } })).status).toBe(500);
		let pages = 1;
		while (next) {
			// n8n re-posts only {filter}: the token keeps the page size.
			const page = await request('POST', next, { body: { filter: body.filter } });
			expect(page.status).toBe(200);
			expect(page.body.pageDetails.prevPageUrl).toMatch(/query\/next\?paging=/);
			seen.push(...page.body.items.map((item: { id: number }) => item.id));
			next = page.body.pageDetails.nextPageUrl;
			pages++;
		}
		expect(pages).toBe(3);
		expect(seen).toEqual(fixture.sandbox.db.tickets.map((ticket) => ticket.id));
	});

	it('follows a GET query nextPageUrl with GET', async () => {
		const search = JSON.stringify({ MaxRecords: 10, filter: [{ op: 'exist', field: 'id' }] });
		const first = await request('GET', '/Tickets/query', { query: { search } });
		const second = await request('GET', first.body.pageDetails.nextPageUrl);
		expect(second.status).toBe(200);
		expect(second.body.items).toHaveLength(2);
		expect(second.body.pageDetails.nextPageUrl).toBeNull();
	});
});
