// What ConnectWise declares to the runtime: its reference field, request limits, retry policy and version policy (data only; definition.ts adds the credential and the constructor).
import type { ProviderDeclaration } from '../definition';
import { DEFAULT_RETRY_POLICY } from '../request';
import { EXTERNAL_XREF_MAX } from './tickets';
import { DEFAULT_API_VERSION } from './versions';

/**
 * ConnectWise publishes no server-side request limit. It runs on ASP.NET under IIS, whose default execution timeout is
 * 110 s. Between the last claim refresh and the create's send the client may spend its 30 s retry budget twice: on
 * the codebase lookup (cold cache, hourly) and on 429s for the create itself; 10 s of margin on top: 180 s.
 */
export const CONNECTWISE_OUTCOME_SETTLE_MS = 180_000;

export const CONNECTWISE_DECLARATION: ProviderDeclaration = {
	key: 'connectwise',
	displayName: 'ConnectWise',
	ticketUrlExample: 'https://na.myconnectwise.net/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=12345',
	externalReference: { field: 'externalXRef', maxLength: EXTERNAL_XREF_MAX },
	// ConnectWise publishes no request limits; it answers 429 with Retry-After when it throttles.
	limits: { retry: DEFAULT_RETRY_POLICY },
	versions: { defaultPin: DEFAULT_API_VERSION, warns: ['version-drift', 'deprecation', 'sunset'] },
	outcomeSettleMs: CONNECTWISE_OUTCOME_SETTLE_MS,
	// Releases before apiLocation named ConnectWise's API location by its own term.
	apiLocationAliases: ['codebase'],
	ticketCapabilities: {
		classification: ['type', 'subtype', 'item'],
		classificationPerBoard: true,
		team: true,
		source: true,
		site: true,
		scales: { severity: ['Low', 'Medium', 'High'], impact: ['Low', 'Medium', 'High'] },
		dueDate: true,
		// Ticket configurations are a child collection (POST /service/tickets/{id}/configurations), not a create field.
		configurationItemsOnCreate: 0,
	},
	workCapabilities: {
		// Work roles and work types on every time entry.
		choices: ['workRole', 'workType'],
		// Work type and role default from the member's settings when absent (TimeEntry model: both optional).
		requiredChoices: [],
		notesRequired: false,
		maxHours: 24,
		billableOptions: ['billable', 'do-not-bill', 'no-charge'],
		// ConnectWise publishes no document size limit for the API; its cloud's upload limit is not documented either.
		// 25 MiB is the package's own ceiling (a 20 MB monitoring export fits), not a confirmed ConnectWise value.
		maxAttachmentBytes: 25 * 1024 * 1024,
		// DocumentReference.title: no maxLength in the Go client's model; ConnectWise's UI keeps 100.
		maxAttachmentTitle: 100,
	},
};
