// What HaloPSA declares to the runtime: its reference field, request budget, retry policy, version policy and ticket fields (data only; definition.ts adds the credential and the constructor).
import type { ProviderDeclaration } from '../definition';
import { DEFAULT_RETRY_POLICY } from '../request';

/**
 * ExternalLink.third_party_id has no length in Halo's description; 100 is what this package writes at most (the link
 * key, or its hashed form of 75 characters), the same room as ConnectWise's externalXRef.
 */
export const EXTERNAL_LINK_ID_MAX = 100;

/** The Halo tenant version this release of the package was tested against; /InstanceInfo reporting a newer one is drift. */
export const HALO_TESTED_VERSION = '2.196';

/**
 * Halo publishes no execution timeout; it runs on ASP.NET under IIS (110 s by default). Between the last claim refresh
 * and the send the client may spend its 30 s retry budget twice (the token request, then 429s for the create); 10 s
 * of margin: 180 s, as for ConnectWise.
 */
export const HALO_OUTCOME_SETTLE_MS = 180_000;

/** Third parties state about 500 requests per 3 minutes per tenant; Halo publishes no limit (docs/halopsa-api.md). */
export const HALO_REQUEST_BUDGET = { limit: 500, windowMs: 3 * 60 * 1000 };

/**
 * Halo publishes no attachment size limit. The file travels as base64 in a JSON body (4/3 of its size), and ASP.NET's
 * default request limit (IIS maxAllowedContentLength, Kestrel MaxRequestBodySize) is 30,000,000 bytes: 22,000,000
 * bytes of file fit with room for the record's fields. The package's own ceiling, not a confirmed Halo value.
 */
export const HALO_MAX_ATTACHMENT_BYTES = 22_000_000;

export const HALO_DECLARATION: ProviderDeclaration = {
	key: 'halopsa',
	displayName: 'HaloPSA',
	ticketUrlExample: 'https://acme.halopsa.com/ticket?id=12345',
	externalReference: { field: 'ExternalLink.third_party_id', maxLength: EXTERNAL_LINK_ID_MAX },
	limits: { windowBudget: HALO_REQUEST_BUDGET, retry: DEFAULT_RETRY_POLICY },
	// Halo's URLs carry no version: the pin is the tenant version the package was tested against, drift is a newer tenant.
	versions: { defaultPin: HALO_TESTED_VERSION, warns: ['version-drift', 'deprecation', 'sunset'] },
	outcomeSettleMs: HALO_OUTCOME_SETTLE_MS,
	ticketCapabilities: {
		// Halo's first category level; boards are ticket types, which narrow the statuses.
		classification: ['type'],
		classificationPerBoard: false,
		team: true,
		source: false,
		site: true,
		scales: { impact: ['High', 'Medium', 'Low'], urgency: ['High', 'Medium', 'Low'] },
		dueDate: true,
		// Faults.assets is a list sent with the create.
		configurationItemsOnCreate: 50,
	},
	workCapabilities: {
		// An action's type (outcome) is its work type; an action names no role, so Halo has none.
		choices: ['workType'],
		// Halo defaults the action type and its charge rate; a note for the end user is optional.
		requiredChoices: [],
		notesRequired: false,
		maxHours: 24,
		// Actions.actisbillable is all Halo records of billing on an action: billable or not, no "no charge".
		billableOptions: ['billable', 'do-not-bill'],
		maxAttachmentBytes: HALO_MAX_ATTACHMENT_BYTES,
		// Attachment.desc has no length in Halo's description; 255 is the package's own ceiling.
		maxAttachmentTitle: 255,
	},
};
