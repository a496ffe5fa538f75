// The HaloPSA provider's conformance fixture: the Halo sandbox, its seeded data, its faults and its webhook deliveries.
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { HALO_TESTED_VERSION } from '../../lib/providers/halopsa/declaration';
import { LINK_TYPE } from '../../lib/providers/halopsa/read';
import { ACTIVE_AGENT_ID, startHaloSandbox } from '../sandbox/halopsa';
import type { ConformanceWorld, ProviderFixture } from './fixture';

export const haloFixture: ProviderFixture = {
	name: 'halopsa',
	async start(): Promise<ConformanceWorld> {
		const sandbox = await startHaloSandbox({ port: 0, version: `${HALO_TESTED_VERSION}.7` });
		let delivered = 0;
		const writes = () => sandbox.requests.filter((request) => request.method !== 'GET' && request.path.toLowerCase() !== '/auth/token').length;
		return {
			credentialType: 'haloPsaApi',
			credentials: { ...sandbox.credentials },
			wrongKeyCredentials: { ...sandbox.credentials, clientSecret: 'NotTheClientSecret-42' },
			restrictedCredentials: { ...sandbox.restrictedCredentials },
			secrets: [sandbox.credentials.clientSecret],
			seeded: {
				companyId: 12,
				companySearch: 'Acme',
				// Service Request: statuses are tenant-wide in Halo, narrowed by ticket type; Closed (9) closes on every type.
				boardId: 2,
				closedStatusIdOnBoard: 9,
				closedStatusName: 'Closed',
				activeMemberEmail: 'john.smith@acme.example',
				activeMemberId: ACTIVE_AGENT_ID,
				inactiveMemberEmail: 'oldtech@acme.example',
				depth: {
					typeName: 'Hardware',
					subtypeName: '',
					foreignSubtypeName: '',
					sourceName: '',
					teamName: 'Network',
					siteName: 'Acme Branch',
					configurationItem: { id: 501, name: 'WEB01', serialNumber: 'SN-WEB01', ipAddress: '10.0.0.11', deviceId: 'dev-web01' },
					secondConfigurationItemId: 502,
					otherCompanySerialNumber: 'SN-GLX1',
					picklistField: { name: 'CFEnvironment', value: 'Production', invalidValue: 'Moon' },
					textFieldName: 'CFAlertSource',
				},
			},
			// Real sleeps: Halo's reads come in fours (statuses twice, priorities, teams), so a throttle often follows ten answers
			// in a second and the limiter learns a send rate, whose spacing an instant sleep would turn into a busy wait.
			deps: (overrides = {}) => ({ http: createFetchTransport({ timeoutMs: 5000 }), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 50))), ...overrides }),
			loseNextCreateAnswer: () => sandbox.addFault({ method: 'POST', path: '/Tickets', kind: 'drop-after-commit', times: 1 }),
			throttle: (times) => sandbox.addFault({ kind: 'status', status: 429, retryAfterSeconds: 0, times }),
			ticketsWithReference: (reference) =>
				new Set(sandbox.db.externalLinks.filter((link) => link.third_party_id === reference && link.third_party_type === LINK_TYPE && sandbox.db.tickets.some((ticket) => ticket.id === link.halo_id && !ticket.deleted)).map((link) => link.halo_id)).size,
			notesWithText: (ticketId, text) => sandbox.db.actions.filter((action) => action.ticket_id === ticketId && !action.system && action.note === text).length,
			changeAsTechnician: (ticketId, statusId) => void sandbox.changeTicket(ticketId, { status_id: statusId }),
			ticketConfigurationItems: (ticketId) => [...(sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.assets ?? [])],
			ticketCustomFields: (ticketId) => Object.fromEntries((sandbox.db.tickets.find((ticket) => ticket.id === ticketId)?.customfields ?? []).map((field) => [field.name, field.value])),
			work: {
				// Halo's actions name no role (workCapabilities.choices has none).
				loseNextTimeEntryAnswer: () => sandbox.addFault({ method: 'POST', path: '/Actions', kind: 'drop-after-commit', times: 1 }),
				timeEntriesOn: (ticketId) =>
					sandbox.db.actions
						.filter((action) => action.ticket_id === ticketId && (action.timetaken ?? 0) > 0)
						.map((action) => ({ id: action.id, memberId: action.who_agentid, hours: action.timetaken ?? 0, internalNotes: action.private_note ?? '' })),
				loseNextAttachmentAnswer: () => sandbox.addFault({ method: 'POST', path: '/Attachment', kind: 'drop-after-commit', times: 1 }),
				attachmentsOn: (ticketId) =>
					sandbox.db.attachments
						.filter((attachment) => attachment.ticket_id === ticketId)
						.map((attachment) => ({ id: attachment.id, title: attachment.desc, fileName: attachment.filename, data: attachment.data, public: attachment.showforusers })),
			},
			writeCount: writes,
			callbackUrl: 'http://127.0.0.1:9/webhook/psa-conformance',
			async nextCallbacks(count) {
				const deliveries = await sandbox.waitForDeliveries(delivered + count, 5000);
				const next = deliveries.slice(delivered, delivered + count);
				delivered += count;
				return next.map((delivery) => ({ rawBody: Buffer.from(delivery.body, 'utf8'), headers: { ...delivery.headers } }));
			},
			versionDrift() {
				// The tenant was upgraded past the release this package was tested against; Halo's URLs stay the same.
				const before = sandbox.version;
				sandbox.version = '2.204.1';
				return { credentials: { ...sandbox.credentials }, pinned: HALO_TESTED_VERSION, restore: () => (sandbox.version = before) };
			},
			unsupportedVersion: { reason: "Halo's URLs and headers carry no API version, so a request cannot ask for one" },
			stop: () => sandbox.stop(),
		};
	},
};
