// What Autotask declares to the runtime: its reference field, request limits, retry policy and version policy (data only; definition.ts adds the credential and the constructor).
import type { ProviderDeclaration } from '../definition';
import { DEFAULT_RETRY_POLICY } from '../request';
import { AUTOTASK_API_VERSION } from './zone';

/** Autotask's Tickets.externalID holds 50 characters. */
export const EXTERNAL_ID_MAX = 50;
/** Autotask's Tickets.title holds 255 characters. */
export const TITLE_MAX = 255;

/**
 * Autotask's REST execution timeout is 300 s (the longest it may keep working on a request), after which a lost create
 * cannot commit; plus the 30 s retry budget twice (zone or picklist lookups and 429s before the send) and 10 s margin.
 */
export const AUTOTASK_OUTCOME_SETTLE_MS = 370_000;

export const AUTOTASK_DECLARATION: ProviderDeclaration = {
	key: 'autotask',
	displayName: 'Autotask',
	ticketUrlExample: 'https://ww5.autotask.net/Mvc/ServiceDesk/TicketDetail.mvc?workspace=False&mode=0&TicketID=12345',
	externalReference: { field: 'externalID', maxLength: EXTERNAL_ID_MAX },
	// Autotask's published limits: 3 requests in flight per integration and entity endpoint (since 2023.1), 10,000
	// requests an hour per tenant. See docs/scaling.md for several workers.
	limits: { concurrencyPerEndpoint: 3, hourlyBudget: 10_000, retry: DEFAULT_RETRY_POLICY },
	versions: { defaultPin: AUTOTASK_API_VERSION, warns: ['version-drift', 'deprecation', 'sunset'] },
	outcomeSettleMs: AUTOTASK_OUTCOME_SETTLE_MS,
	ticketCapabilities: {
		classification: ['type', 'subtype'],
		classificationPerBoard: false,
		team: false,
		source: true,
		site: true,
		scales: {},
		dueDate: true,
		// configurationItemID on the ticket; more go to /Tickets/{id}/AdditionalConfigurationItems after the create.
		configurationItemsOnCreate: 1,
	},
	workCapabilities: {
		// Roles and billing codes (the work type) on every ticket time entry.
		choices: ['workRole', 'workType'],
		// A ticket time entry names the resource's role (TimeEntries.roleID); the billing code defaults from the role.
		requiredChoices: ['workRole'],
		// summaryNotes is required on a ticket time entry.
		notesRequired: true,
		maxHours: 24,
		billableOptions: ['billable', 'do-not-bill', 'no-charge'],
		// Autotask's AttachmentInfo help: "6 to 7 MB" per file through the API (10,000,000 bytes in 5 minutes): the lower bound.
		maxAttachmentBytes: 6_000_000,
		// Autotask's attachment title holds 255 characters.
		maxAttachmentTitle: 255,
	},
};
