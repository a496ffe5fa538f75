// The Autotask provider's conformance fixture: the Autotask sandbox, its seeded data, its faults and its webhook callouts.
import { createFetchTransport } from '../../lib/providers/fetch-transport';
import {
	ACME_SERVER_CI_ID,
	ACME_WORKSTATION_CI_ID,
	ACTIVE_TECHNICIAN_ID,
	startAutotaskSandbox,
} from '../sandbox/autotask';
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
				depth: {
					// Autotask's classification is PSA-wide (issue type, sub-issue type); it has no item, team or scales.
					typeName: 'Hardware',
					subtypeName: 'Server',
					foreignSubtypeName: 'Firewall',
					sourceName: 'Monitoring Alert',
					siteName: 'Acme Warehouse',
					configurationItem: {
						id: ACME_SERVER_CI_ID,
						name: 'ACME-SRV-01',
						serialNumber: 'SN-ACME-0001',
						ipAddress: '10.0.0.10',
						macAddress: '00:1A:2B:3C:4D:5E',
						deviceId: '4b1f7c2e-91d0-4c35-a8e2-5d7f00c0ffee',
					},
					secondConfigurationItemId: ACME_WORKSTATION_CI_ID,
					otherCompanySerialNumber: 'SN-GLOBEX-0001',
					picklistField: { name: 'Escalation Stage', value: 'escalated', invalidValue: 'Lost' },
					textFieldName: 'Monitoring Alert ID',
				},
			},
			deps: (overrides = {}) => ({ http: createFetchTransport({ timeoutMs: 5000 }), sleep: async () => undefined, ...overrides }),
			loseNextCreateAnswer: () => sandbox.addFault({ method: 'POST', path: '/Tickets', kind: 'drop-after-commit', times: 1 }),
			throttle: (times) => sandbox.addFault({ kind: 'status', status: 429, retryAfterSeconds: 0, times }),
			ticketsWithReference: (reference) => sandbox.db.tickets.filter((ticket) => ticket.externalID === reference).length,
			notesWithText: (ticketId, text) => sandbox.db.notes.filter((note) => note.ticketID === ticketId && note.description === text).length,
			changeAsTechnician: (ticketId, statusId) => void sandbox.changeTicket(ticketId, { status: statusId }),
			ticketConfigurationItems: (ticketId) => sandbox.ticketConfigurationItems(ticketId),
			ticketCustomFields: (ticketId) => sandbox.ticketCustomFields(ticketId),
			work: {
				workRoleName: 'Technician',
				loseNextTimeEntryAnswer: () => sandbox.addFault({ method: 'POST', path: '/TimeEntries', kind: 'drop-after-commit', times: 1 }),
				timeEntriesOn: (ticketId) =>
					sandbox.db.timeEntries
						.filter((entry) => entry.ticketID === ticketId)
						.map((entry) => ({ id: entry.id, memberId: entry.resourceID, hours: entry.hoursWorked, internalNotes: entry.internalNotes ?? '' })),
				loseNextAttachmentAnswer: () => sandbox.addFault({ method: 'POST', path: '/Tickets/{parentId}/Attachments', kind: 'drop-after-commit', times: 1 }),
				attachmentsOn: (ticketId) =>
					sandbox.db.attachments
						.filter((attachment) => attachment.parentID === ticketId)
						.map((attachment) => ({ id: attachment.id, title: attachment.title, fileName: attachment.fullPath, data: Buffer.from(attachment.data, 'base64'), public: attachment.publish === 1 })),
			},
			writeCount: () => sandbox.writeRequests,
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
