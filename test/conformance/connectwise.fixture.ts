// The ConnectWise provider's conformance fixture: the sandbox, its seeded data, its faults and its callback deliveries.
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { startSandbox } from '../sandbox';
import type { ConformanceWorld, ProviderFixture } from './fixture';

export const connectWiseFixture: ProviderFixture = {
	name: 'connectwise',
	async start(): Promise<ConformanceWorld> {
		const sandbox = await startSandbox({ port: 0 });
		let delivered = 0;
		return {
			credentialType: 'connectWisePsaApi',
			credentials: { ...sandbox.credentials, site: sandbox.site },
			wrongKeyCredentials: { ...sandbox.credentials, site: sandbox.site, privateKey: 'NotTheKey77' },
			restrictedCredentials: { ...sandbox.restrictedCredentials, site: sandbox.site },
			secrets: [String(sandbox.credentials.privateKey), String(sandbox.credentials.publicKey)],
			seeded: {
				companyId: 250,
				companySearch: 'Acme',
				boardId: 2,
				closedStatusIdOnBoard: 204,
				closedStatusName: 'Resolved',
				activeMemberEmail: 'john.smith@acme.example',
				activeMemberId: 150,
				inactiveMemberEmail: 'oldtech@acme.example',
			},
			deps: (overrides = {}) => ({ http: createFetchTransport({ timeoutMs: 5000 }), sleep: async () => undefined, ...overrides }),
			loseNextCreateAnswer: () => sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit', times: 1 }),
			throttle: (times) => sandbox.addFault({ kind: 'status', status: 429, retryAfterSeconds: 0, times }),
			ticketsWithReference: (reference) => sandbox.db.tickets.filter((ticket) => ticket.externalXRef === reference).length,
			notesWithText: (ticketId, text) => sandbox.db.notes.filter((note) => note.ticketId === ticketId && note.text === text).length,
			changeAsTechnician: (ticketId, statusId) => void sandbox.changeTicket(ticketId, { statusId }),
			// Nothing listens there: the sandbox records each delivery (body and signature) whether or not it arrives.
			callbackUrl: 'http://127.0.0.1:9/webhook/psa-conformance',
			async nextCallbacks(count) {
				const deliveries = await sandbox.waitForDeliveries(delivered + count, 5000);
				const next = deliveries.slice(delivered, delivered + count);
				delivered += count;
				return next.map((delivery) => ({
					rawBody: Buffer.from(delivery.body, 'utf8'),
					headers: { ...delivery.headers },
					query: Object.fromEntries(new URL(delivery.url).searchParams),
				}));
			},
			// The sandbox still serves 2023.1 and reports 2025.8 as current: pinning the older one is drift.
			versionDrift: () => ({ credentials: { ...sandbox.credentials, site: sandbox.site, apiVersion: '2023.1' }, pinned: '2023.1', restore: () => undefined }),
			unsupportedVersion: { credentials: { ...sandbox.credentials, site: sandbox.site, apiVersion: '2019.1' } },
			stop: () => sandbox.stop(),
		};
	},
};
