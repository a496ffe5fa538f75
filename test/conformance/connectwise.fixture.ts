// The ConnectWise provider's conformance fixture: the sandbox, its seeded data, its faults and its callback deliveries.
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import { DEPTH_SEED, startSandbox } from '../sandbox';
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
				depth: {
					typeName: DEPTH_SEED.typeName,
					subtypeName: DEPTH_SEED.subtypeName,
					itemName: DEPTH_SEED.itemName,
					foreignSubtypeName: DEPTH_SEED.foreignSubtypeName,
					sourceName: DEPTH_SEED.sourceName,
					teamName: DEPTH_SEED.teamName,
					siteName: DEPTH_SEED.siteName,
					configurationItem: { ...DEPTH_SEED.configurationItem },
					secondConfigurationItemId: DEPTH_SEED.secondConfigurationItemId,
					otherCompanySerialNumber: DEPTH_SEED.otherCompanySerialNumber,
					picklistField: { ...DEPTH_SEED.picklistField },
					textFieldName: DEPTH_SEED.textFieldName,
				},
			},
			deps: (overrides = {}) => ({ http: createFetchTransport({ timeoutMs: 5000 }), sleep: async () => undefined, ...overrides }),
			loseNextCreateAnswer: () => sandbox.addFault({ method: 'POST', path: '/service/tickets', kind: 'drop-after-commit', times: 1 }),
			throttle: (times) => sandbox.addFault({ kind: 'status', status: 429, retryAfterSeconds: 0, times }),
			ticketsWithReference: (reference) => sandbox.db.tickets.filter((ticket) => ticket.externalXRef === reference).length,
			notesWithText: (ticketId, text) => sandbox.db.notes.filter((note) => note.ticketId === ticketId && note.text === text).length,
			changeAsTechnician: (ticketId, statusId) => void sandbox.changeTicket(ticketId, { statusId }),
			// A ConnectWise ticket names no configuration item itself: all of them are in its attached list.
			ticketConfigurationItems: (ticketId) => [...(sandbox.db.ticketConfigurations[ticketId] ?? [])],
			ticketCustomFields: (ticketId) => {
				const ticket = sandbox.db.tickets.find((candidate) => candidate.id === ticketId);
				if (!ticket) throw new Error(`The sandbox holds no ticket ${ticketId}`);
				return Object.fromEntries(ticket.customFields.map((field) => [field.caption, field.value ?? null]));
			},
			work: {
				workRoleName: 'Technician',
				loseNextTimeEntryAnswer: () => sandbox.addFault({ method: 'POST', path: '/time/entries', kind: 'drop-after-commit', times: 1 }),
				timeEntriesOn: (ticketId) =>
					sandbox.db.timeEntries
						.filter((entry) => entry.chargeToType === 'ServiceTicket' && entry.chargeToId === ticketId)
						.map((entry) => ({ id: entry.id, memberId: entry.member.id, hours: entry.actualHours, internalNotes: entry.internalNotes ?? '' })),
				loseNextAttachmentAnswer: () => sandbox.addFault({ method: 'POST', path: '/system/documents', kind: 'drop-after-commit', times: 1 }),
				attachmentsOn: (ticketId) =>
					sandbox.db.documents
						.filter((document) => document.recordType === 'Ticket' && document.recordId === ticketId)
						.map((document) => ({ id: document.id, title: document.title, fileName: document.fileName, data: document.data, public: document.publicFlag })),
			},
			// Write requests received, refused ones included: a refusal by the provider before sending leaves it unchanged.
			writeCount: () => sandbox.writesReceived,
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
