// What a PSA provider declares to the rest of the package: the registry lists one of these per PSA, and nothing outside the provider's folder names it.
import type { PsaCache } from '../cache';
import type { HttpTransport } from './http';
import type { RetryPolicy } from './request';
import type { RequestEvent } from './request-events';
import type { SharedRequestLimits } from './shared-limits';
import type { PsaProvider, PsaTicketCapabilities, PsaWorkCapabilities } from './types';

/** What a provider is built with: the transport (n8n's or fetch), the shared cache, and the clocks tests replace. */
export interface ProviderDeps {
	http: HttpTransport;
	/** Shared across calls so lookups are cached per connection; a private cache when absent. */
	cache?: PsaCache;
	/** Changes to the definition's retry policy (tests, benchmarks); the definition's own values otherwise. */
	retry?: Partial<RetryPolicy>;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
	/** Source of backoff jitter in [0, 1); Math.random when absent. */
	random?: () => number;
	/** True when the HttpTransport applies the credential itself (n8n's httpRequestWithAuthentication). */
	transportAuthenticates?: boolean;
	/** Records per list page; smaller pages let tests and benchmarks cross page boundaries. */
	pageSize?: number;
	/**
	 * Where limits the PSA counts per integration (not per process) are shared by every worker: the PostgreSQL state
	 * store in queue mode. Absent: each process keeps to the limits alone.
	 */
	sharedLimits?: SharedRequestLimits;
	/** Overrides the settle window (see PsaProvider.outcomeSettleMs), for a PSA or a test with other limits. */
	outcomeSettleMs?: number;
	/**
	 * Told of each attempt, answer, retry, throttle pause and limiter wait (request-events.ts), secrets already
	 * redacted; the nodes forward it to n8n's logger. A handler that throws is ignored: logging never fails a request.
	 */
	onRequestEvent?: (event: RequestEvent) => void;
}

/** The field on a PSA ticket that carries a link's reference (see link-key.ts), and how much it holds. */
export interface ExternalReferenceField {
	/** The PSA's name for it, e.g. "externalXRef". */
	field: string;
	/** Its length limit, counted as the PSA counts. */
	maxLength: number;
}

/** What the provider knows of the PSA's request limits; the request layer's policy comes from here. */
export interface RequestLimits {
	/** Concurrent requests the PSA tolerates per connection, when it says. */
	concurrency?: number;
	/** Requests per second the PSA allows per connection, when it says. */
	ratePerSecond?: number;
	/**
	 * Concurrent requests the PSA tolerates per endpoint, when it says (Autotask: 3 per entity endpoint). Requests are
	 * counted by their HttpRequest.endpoint label.
	 */
	concurrencyPerEndpoint?: number;
	/** Requests the PSA allows per rolling hour per integration, when it says (Autotask: 10,000). */
	hourlyBudget?: number;
	/**
	 * Requests the PSA allows per rolling window of another length, when it says or third parties do (HaloPSA: about 500
	 * per 3 minutes per tenant); shared by every worker like the hourly budget.
	 */
	windowBudget?: { limit: number; windowMs: number };
	/** The retry policy the request layer applies (attempts, backoff, budget, timeout). */
	retry: RetryPolicy;
}

/** How the provider keeps behaviour stable across PSA upgrades. */
export interface ApiVersionPolicy {
	/** The API version pinned when the credential names none ('' for a PSA without versions). */
	defaultPin: string;
	/** What the provider reports: e.g. ['version-drift', 'deprecation', 'sunset']. */
	warns: Array<'version-drift' | 'deprecation' | 'sunset'>;
}

/**
 * The data half of a definition, which the runtime reads when it builds a provider: the reference field, the request
 * limits and retry policy, the version policy. Data only, so a test can change a value and watch the client follow.
 */
export interface ProviderDeclaration {
	/** Provider key, as PsaConnectionInfo.provider says it, e.g. "connectwise". */
	key: string;
	/** The PSA's name in the Authentication selector, the credential field's label and messages, e.g. "ConnectWise". */
	displayName: string;
	/** A ticket's address in the PSA's web UI, as a user would paste it: the example in placeholders and hints. */
	ticketUrlExample: string;
	externalReference: ExternalReferenceField;
	limits: RequestLimits;
	versions: ApiVersionPolicy;
	/**
	 * How long after a write's last send its outcome is settled: the longest the PSA may keep working on a request, plus
	 * the client's retry budget before the send (see PsaProvider.outcomeSettleMs and docs/reliability.md).
	 */
	outcomeSettleMs: number;
	/** The ticket fields the PSA has beyond the basics: the nodes offer and check fields by it. */
	ticketCapabilities: PsaTicketCapabilities;
	/** What time entries need and how large an attachment may be. */
	workCapabilities: PsaWorkCapabilities;
	/**
	 * Further names under which PSA Connect's Test also reports apiLocation, for workflows that read the field by the
	 * name an earlier release gave it.
	 */
	apiLocationAliases?: readonly string[];
}

export interface PsaProviderDefinition extends ProviderDeclaration {
	/** The n8n credential type that selects this provider; also the node's Authentication value. */
	credentialType: string;
	/**
	 * Reads the credential's fields as the provider needs them. With `transportAuthenticates` (n8n applies the keys to
	 * each request) it refuses, before any request, keys that are empty or hold a control character.
	 */
	settingsOf(credentials: Record<string, unknown>, transportAuthenticates: boolean): Record<string, unknown>;
	/** Builds the provider from this definition's declared values (a copy with other values builds a provider that keeps to them). */
	create(settings: Record<string, unknown>, deps: ProviderDeps): PsaProvider;
	/** Stable id for the PSA tenant the settings reach; no secret goes into it. */
	connectionId(settings: Record<string, unknown>): string;
}
