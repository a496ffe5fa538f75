// The nodes' dropdowns and searchable lists (methods.loadOptions / methods.listSearch) against the sandbox, called as n8n's editor calls them.
import type { ICredentialDataDecryptedObject, IHttpRequestOptions, ILoadOptionsFunctions, INode } from 'n8n-workflow';
import { ConnectWisePsaApi } from '../../credentials/ConnectWisePsaApi.credentials';
import { HaloPsaApi } from '../../credentials/HaloPsaApi.credentials';
import { startHaloSandbox } from '../sandbox/halopsa';
import { PsaLink } from '../../nodes/PsaLink/PsaLink.node';
import { PsaStatus } from '../../nodes/PsaStatus/PsaStatus.node';
import { CredentialsHelper } from '../engine/harness';
import { startSandbox, type Sandbox } from '../sandbox';
import { validateExchanges, loadOpenApiContract } from '../contract/openapi';

const CREDENTIAL_TYPE = 'connectWisePsaApi';
const methods = new PsaLink().methods;

let sandbox: Sandbox;
let credentialsHelper: CredentialsHelper;

beforeAll(async () => {
	sandbox = await startSandbox({ port: 0 });
	const credentialData: ICredentialDataDecryptedObject = { ...sandbox.credentials, site: sandbox.site, apiVersion: '2025.8', endpointVersions: {} };
	credentialsHelper = new CredentialsHelper(
		new Map([['cw', { id: 'cw', name: 'ConnectWise sandbox', type: CREDENTIAL_TYPE, data: credentialData }]]),
		{ [CREDENTIAL_TYPE]: new ConnectWisePsaApi() },
	);
});

afterAll(async () => {
	await sandbox?.stop();
});

/** n8n's request helper reduced to what the transport uses: json bodies, full responses, no throw on HTTP errors. */
async function sendOverFetch(options: IHttpRequestOptions): Promise<{ statusCode: number; headers: Record<string, string>; body: unknown }> {
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name] = String(value);
	if (options.auth) headers.authorization = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
	const hasBody = options.body !== undefined && options.body !== null;
	// A string body (an OAuth token form) goes as it is, with the content type its sender gave.
	const asText = typeof options.body === 'string';
	if (hasBody && !(asText && Object.keys(headers).some((name) => name.toLowerCase() === 'content-type'))) headers['content-type'] = 'application/json';
	const response = await fetch(options.url, {
		method: options.method ?? 'GET',
		headers,
		body: hasBody ? (asText ? (options.body as string) : JSON.stringify(options.body)) : undefined,
		redirect: options.disableFollowRedirect ? 'manual' : 'follow',
		signal: AbortSignal.timeout(options.timeout ?? 10000),
	});
	const text = await response.text();
	let body: unknown = text;
	try {
		body = text ? JSON.parse(text) : '';
	} catch {
		// Not JSON: handed over as text, as n8n does.
	}
	return { statusCode: response.status, headers: Object.fromEntries(response.headers), body };
}

/** What n8n hands a loadOptions / listSearch method: the node's current parameters and the credential applied to requests. */
function loadOptionsContext(parameters: Record<string, unknown> = {}, credential: { helper: CredentialsHelper; id: string } = { helper: credentialsHelper, id: 'cw' }): ILoadOptionsFunctions {
	const node = { id: 'n', name: 'PSA Link', type: 'n8n-nodes-psa-bridge.psaLink', typeVersion: 1, position: [0, 0], parameters: 'authentication' in parameters ? { authentication: parameters.authentication } : {} } as unknown as INode;
	const parameter = (name: string) => {
		if (!(name in parameters)) throw new Error(`Could not get parameter "${name}"`);
		const value = parameters[name];
		return value && typeof value === 'object' && '__rl' in value ? (value as unknown as { value: unknown }).value : value;
	};
	const credentials = async (type: string) => credential.helper.getDecrypted({} as never, { id: credential.id, name: credential.id }, type);
	return {
		getNode: () => node,
		getCurrentNodeParameter: (name: string) => parameter(name),
		getNodeParameter: (name: string) => parameter(name),
		getCredentials: credentials,
		helpers: {
			httpRequest: sendOverFetch,
			async httpRequestWithAuthentication(type: string, options: IHttpRequestOptions) {
				const authenticated = await credential.helper.authenticate(await credentials(type), type, { ...options, headers: { ...options.headers } });
				return sendOverFetch(authenticated);
			},
		},
	} as unknown as ILoadOptionsFunctions;
}

const checked = { requests: 0, responses: 0 };

beforeEach(() => sandbox.resetLog());

afterEach(() => {
	// Every request the methods sent must be one the published API accepts.
	if (!loadOpenApiContract()) {
		console.log('OpenAPI subset absent (../shared/connectwise/): exchanges not validated');
		return;
	}
	const exchanges = sandbox.requests.filter((entry) => entry.path.startsWith('/') && entry.template !== '/login/companyinfo/{companyId}');
	const report = validateExchanges(exchanges);
	expect(report.violations).toEqual([]);
	checked.requests += report.requestsChecked;
	checked.responses += report.responsesChecked;
});

describe('loadOptions', () => {
	it('every PSA node exposes the same methods', () => {
		expect(Object.keys(new PsaStatus().methods.loadOptions).sort()).toEqual(['getBoardStatuses', 'getBoards', 'getContacts', 'getCustomFields', 'getPriorities', 'getSites', 'getSources', 'getTeams', 'getTicketItems', 'getTicketSubtypes', 'getTicketTypes', 'getWorkRoles', 'getWorkTypes']);
		expect(Object.keys(new PsaStatus().methods.listSearch).sort()).toEqual(['searchBoards', 'searchCompanies', 'searchMembers', 'searchTickets']);
	});

	it('getBoards lists the active boards only (Projects is inactive)', async () => {
		const boards = await methods.loadOptions.getBoards.call(loadOptionsContext());
		expect(boards).toEqual([
			{ name: 'Help Desk', value: 1 },
			{ name: 'Network Operations', value: 2 },
		]);
		expect(sandbox.requests.some((entry) => entry.method === 'GET' && entry.path === '/service/boards' && entry.status === 200)).toBe(true);
	});

	it("getBoardStatuses lists the chosen board's active statuses in board order, closed ones marked", async () => {
		const helpDesk = await methods.loadOptions.getBoardStatuses.call(loadOptionsContext({ boardId: 1 }));
		expect(helpDesk).toEqual([
			{ name: 'New', value: 101 },
			{ name: 'In Progress', value: 102 },
			{ name: 'Waiting Customer', value: 103 },
			{ name: 'Resolved (closed)', value: 104 },
			{ name: 'Closed (closed)', value: 105 },
		]);
		const networkOps = await methods.loadOptions.getBoardStatuses.call(loadOptionsContext({ boardId: { __rl: true, mode: 'list', value: '2' } }));
		expect(networkOps.map((option) => option.value)).toEqual([201, 202, 203, 204]);
	});

	it('getBoardStatuses asks nothing while no board is chosen', async () => {
		expect(await methods.loadOptions.getBoardStatuses.call(loadOptionsContext())).toEqual([]);
		expect(await methods.loadOptions.getBoardStatuses.call(loadOptionsContext({ boardId: '' }))).toEqual([]);
		expect(sandbox.requests.filter((entry) => entry.path.includes('/statuses'))).toEqual([]);
	});

	it('getPriorities lists the priorities by sort order', async () => {
		expect(await methods.loadOptions.getPriorities.call(loadOptionsContext())).toEqual([
			{ name: 'Priority 1 - Critical', value: 1 },
			{ name: 'Priority 2 - High', value: 2 },
			{ name: 'Priority 3 - Normal', value: 3 },
			{ name: 'Priority 4 - Low', value: 4 },
		]);
	});

	it("getContacts lists the chosen company's contacts only, with their email", async () => {
		const globex = await methods.loadOptions.getContacts.call(loadOptionsContext({ company: { __rl: true, mode: 'list', value: '251' } }));
		expect(globex.map((option) => option.value).sort()).toEqual([310, 311]);
		expect(globex).toContainEqual({ name: 'Hank Scorpio <hank@globex.example>', value: 310 });
		const initech = await methods.loadOptions.getContacts.call(loadOptionsContext({ company: 252 }));
		expect(initech.map((option) => option.value).sort()).toEqual([320, 321]);
		expect(await methods.loadOptions.getContacts.call(loadOptionsContext())).toEqual([]);
	});
});

describe('listSearch', () => {
	it('searchCompanies filters by the typed text', async () => {
		const all = await methods.listSearch.searchCompanies.call(loadOptionsContext());
		expect(all.results.map((result) => result.value).sort()).toEqual(['19', '250', '251', '252']);
		const globex = await methods.listSearch.searchCompanies.call(loadOptionsContext(), 'Glob');
		expect(globex.results).toEqual([{ name: 'Globex (Globex)', value: '251' }]);
		expect((await methods.listSearch.searchCompanies.call(loadOptionsContext(), 'no such company')).results).toEqual([]);
	});

	it('searchMembers filters by the typed text and leaves out inactive members', async () => {
		const all = await methods.listSearch.searchMembers.call(loadOptionsContext());
		const ids = all.results.map((result) => result.value);
		expect(ids.sort()).toEqual(['150', '151', '152', '154', '156']);
		const wayne = await methods.listSearch.searchMembers.call(loadOptionsContext(), 'Wayne');
		// bwayne2 (155) matches the text but is inactive.
		expect(wayne.results).toEqual([{ name: 'Bruce Wayne (bwayne)', value: '154' }]);
		expect((await methods.listSearch.searchMembers.call(loadOptionsContext(), 'oldtech')).results).toEqual([]);
	});

	it('searchBoards filters by the typed text and leaves out inactive boards', async () => {
		expect((await methods.listSearch.searchBoards.call(loadOptionsContext(), 'Network')).results).toEqual([{ name: 'Network Operations', value: '2' }]);
		expect((await methods.listSearch.searchBoards.call(loadOptionsContext(), 'Projects')).results).toEqual([]);
	});

	it('searchTickets finds open tickets by the typed text, with their links', async () => {
		const printer = sandbox.addTicket({ summary: 'Printer jammed on floor 3', company: { id: 250 } });
		const vpn = sandbox.addTicket({ summary: 'VPN drops every hour', company: { id: 251 } });
		const closed = sandbox.addTicket({ summary: 'Printer toner replaced', company: { id: 250 }, status: { id: 105 } });
		const found = await methods.listSearch.searchTickets.call(loadOptionsContext(), 'Printer');
		expect(found.results.map((result) => result.value)).toEqual([String(printer.id)]);
		expect(found.results[0].name).toBe(`#${printer.id} Printer jammed on floor 3`);
		expect(found.results[0].url).toMatch(new RegExp(`^${sandbox.site}/.*recid=${printer.id}$`));
		const all = await methods.listSearch.searchTickets.call(loadOptionsContext());
		const ids = all.results.map((result) => result.value);
		expect(ids).toEqual(expect.arrayContaining([String(printer.id), String(vpn.id)]));
		expect(ids).not.toContain(String(closed.id));
	});
});

afterAll(() => {
	console.log(`OpenAPI contract over the methods' requests: ${checked.requests} requests and ${checked.responses} responses checked, 0 violations`);
});

describe('work choices on HaloPSA', () => {
	it('getWorkTypes lists the visible action types; getWorkRoles is empty (Halo has no role) and asks nothing', async () => {
		const halo = await startHaloSandbox({ port: 0 });
		try {
			const helper = new CredentialsHelper(new Map([['halo', { id: 'halo', name: 'halo', type: 'haloPsaApi', data: { ...halo.credentials } }]]), { haloPsaApi: new HaloPsaApi() });
			const context = () => loadOptionsContext({ authentication: 'haloPsaApi' }, { helper, id: 'halo' });
			const types = await methods.loadOptions.getWorkTypes.call(context());
			expect(types.map((type) => type.name)).toEqual(halo.db.outcomes.filter((outcome) => !outcome.hidden).map((outcome) => outcome.outcome).sort((a, b) => a.localeCompare(b)));
			halo.resetLog();
			expect(await methods.loadOptions.getWorkRoles.call(context())).toEqual([]);
			expect(halo.requests).toHaveLength(0);
		} finally {
			await halo.stop();
		}
	});
});
