// The Autotask sandbox's options and request log entry: the knobs for every behaviour the contract leaves open.
import type { Fault } from './limits';

export interface AutotaskClock {
	now(): number;
	setTimeout(run: () => void, ms: number): void;
}

export interface AutotaskSandboxOptions {
	port?: number;
	latencyMs?: number;
	rateLimitPerSecond?: number;
	threadLimit?: number;
	threadLimitStatus?: 429 | 500;
	hourlyThreshold?: number;
	versions?: string[];
	missingTicketAnswer?: '404' | 'null-item';
	webhookTimeoutMs?: number;
	/** Delays before re-sending a failed callout; default [] (one attempt). Autotask retries after 30 s, 5 times (§9.3). */
	webhookRetryDelaysMs?: number[];
	recordResponses?: boolean;
	/** String filters compare case-insensitively (SQL Server collation, unconfirmed); default true. */
	caseInsensitiveStrings?: boolean;
	/** What an unknown filter op does: error (default) or match every row (seen once, §3). */
	unknownOperator?: 'error' | 'match-all';
	/** Refuse inactive picklist values on writes (unconfirmed, §5.3); default false. */
	rejectInactivePicklistValues?: boolean;
	clock?: AutotaskClock;
}

export interface AutotaskRequestLogEntry {
	at: string;
	method: string;
	/** Path after /ATServicesRest/V1.0 as sent (`//` collapsed), without the query; other paths whole. */
	path: string;
	/** The matched route ('/Tickets/{id}'), when one matched. */
	template?: string;
	/** The thread-limit bucket (entity endpoint). */
	entity?: string;
	query: Record<string, string>;
	/** Status answered; 0 when the connection was dropped. */
	status: number;
	body?: unknown;
	/** Request headers, lower-cased; Secret redacted. */
	headers: Record<string, string>;
	response?: unknown;
	responseHeaders?: Record<string, string>;
	fault?: Fault['kind'] | 'rate-limit' | 'threshold';
	/** A status fault answered after the work was done (the request's effect is in the records). */
	afterCommit?: boolean;
	/** How long the request held one of its endpoint's threads (ms, from admission to the answer written). */
	heldMs?: number;
}
