// The Autotask provider's conformance fixture: the Autotask sandbox, its seeded data, its faults and its webhook callouts.
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { ACTIVE_TECHNICIAN_ID, startAutotaskSandbox } from '../sandbox/autotask';
import type { ConformanceWorld, ProviderFixture } from './fixture';

export const autotaskFixture: ProviderFixture = {
	name: 'autotask',
	async start(): Promise<ConformanceWorld> {
		const sandbox = await startAutotaskSandbox({ port: 0 });
		let delivered = 0;
		return {
			credentialType: 'autotaskPsaApi',
			credentials: { ...sandbox.credentials },
			wrongKeyCredentials: { ...sandbox.credentials, secret: 'NotTheSecret77' },
			restrictedCredentials: { ...sandbox.restrictedCredentials },
			secrets: [String(sandbox.credentials.secret), String(sandbox.credentials.integrationCode)],
			seeded: {
				companyId: 175,
				companySearch: 'Acme',
				// The Helpdesk Queue: statuses are tenant-wide in Autotask, so Complete (5) is its closed status as on every queue.
				boardId: 29683325,
				closedStatusIdOnBoard: 5,
				closedStatusName: 'Complete',
				activeMemberEmail: 'john.smith@acme.example',
				activeMemberId: ACTIVE_TECHNICIAN_ID,
				inactiveMemberEmail: 'oldtech@acme.example',
			},
			deps: (overrides = {}) => ({ http: createFetchTransport({ timeoutMs: 5000 }), sleep: async () => undefined, ...overrides }),
			loseNextCreateAnswer: () => sandbox.addFault({ method: 'POST', path: '/Tickets', kind: 'drop-after-commit', times: 1 }),
			throttle: (times) => sandbox.addFault({ kind: 'status', status: 429, retryAfterSeconds: 0, times }),
			ticketsWithReference: (reference) => sandbox.db.tickets.filter((ticket) => ticket.externalID === reference).length,
			notesWithText: (ticketId, text) => sandbox.db.notes.filter((note) => note.ticketID === ticketId && note.description === text).length,
			changeAsTechnician: (ticketId, statusId) => void sandbox.changeTicket(ticketId, { status: statusId }),
			callbackUrl: 'http://127.0.0.1:9/webhook/psa-conformance',
			async nextCallbacks(count) {
				const deliveries = await sandbox.waitForDeliveries(delivered + count, 5000);
				const next = deliveries.slice(delivered, delivered + count);
				delivered += count;
				return next.map((delivery) => ({ rawBody: Buffer.from(delivery.body, 'utf8'), headers: { ...delivery.headers } }));
			},
			versionDrift() {
				// Autotask lists a newer REST version (as it did with V2.0 in 2026); the pin stays V1.0.
				sandbox.setVersions(['V1.0', 'V2.0']);
				return { credentials: { ...sandbox.credentials }, pinned: 'V1.0', restore: () => sandbox.setVersions(['V1.0']) };
			},
			// Autotask has one REST version in the path and no way to ask for another per request.
			unsupportedVersion: { reason: 'Autotask serves one REST version (V1.0) and the credential cannot pin another' },
			stop: () => sandbox.stop(),
		};
	},
};
