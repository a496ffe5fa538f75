// What every provider's client shares: the request sender on the declared limits, the warnings log, secret redaction, the no-answer error, createOnce and the request-event hook.
import { PsaError } from './errors';
import type { HttpRequest, HttpTransport } from './http';
import type { ProviderDeclaration } from './definition';
import { type RequestClock, RequestSender, type ResponseClassifier, type RetryPolicy } from './request';
import { type RequestEvent, type SenderEvent, redactedEvent } from './request-events';
import { providerLimiter } from './runtime';
import type { SharedRequestLimits } from './shared-limits';
import type { PsaWarning } from './types';
import { neverSent } from './values';

export interface PsaClientSetup extends RequestClock {
	/** The provider's declared data: limits, version policy, key and name. */
	declaration: ProviderDeclaration;
	connectionId: string;
	http: HttpTransport;
	retry: RetryPolicy;
	classifier?: ResponseClassifier;
	/** Credential values no text leaving the client may hold (shorter ones than 4 characters are not searched for). */
	secrets: string[];
	/** Credential text the secrets cannot name (an Authorization token made from other keys), replaced by '$1 [redacted]'. */
	tokenPattern?: RegExp;
	sharedLimits?: SharedRequestLimits;
	/** What the PSA counts shared limits by; the connection id when absent. */
	sharedIdentity?: string;
	onRequestEvent?: (event: RequestEvent) => void;
	/** Hints of the no-answer error: where to look when nothing answers, and how to find a create whose outcome is unknown. */
	hints: { unreachable: string; lookUp: string };
}

export interface ClientSendOptions {
	idempotent: boolean;
	noRetry?: boolean;
	timeoutMs?: number;
}

export abstract class PsaClient {
	protected readonly sender: RequestSender;
	private readonly secrets: string[];
	private readonly warnings: PsaWarning[] = [];
	private readonly warned = new Set<string>();

	protected constructor(private readonly setup: PsaClientSetup) {
		this.secrets = setup.secrets.filter((secret) => secret.length >= 4);
		const clock: RequestClock = { now: setup.now, sleep: setup.sleep, random: setup.random };
		const limiter = providerLimiter({
			providerKey: setup.declaration.key,
			limits: setup.declaration.limits,
			retry: setup.retry,
			connectionId: setup.connectionId,
			clock,
			sharedLimits: setup.sharedLimits,
			sharedIdentity: setup.sharedIdentity,
		});
		const listener = setup.onRequestEvent;
		const onEvent = listener
			? (event: SenderEvent) =>
					listener(redactedEvent({ ...event, provider: setup.declaration.key, connectionId: setup.connectionId }, (text) => this.redact(text)))
			: undefined;
		this.sender = new RequestSender(setup.http, setup.retry, clock, setup.classifier, { limiter, ...(onEvent ? { onEvent } : {}) });
	}

	/** The PSA's name in messages. */
	protected get psa(): string {
		return this.setup.declaration.displayName;
	}

	takeWarnings(): PsaWarning[] {
		return this.warnings.splice(0, this.warnings.length);
	}

	/** Once per kind and endpoint, and only kinds the provider's version policy says it reports. */
	warn(kind: PsaWarning['kind'], message: string, endpoint?: string): void {
		if (!this.setup.declaration.versions.warns.includes(kind)) return;
		const key = `${kind} ${endpoint ?? ''}`;
		if (this.warned.has(key)) return;
		this.warned.add(key);
		this.warnings.push({ kind, ...(endpoint ? { endpoint } : {}), message: this.redact(message) });
	}

	/** Removes every credential from a text that is about to leave the adapter (errors, warnings, request events). */
	redact(text: string): string {
		let result = text;
		for (const secret of this.secrets) result = result.split(secret).join('[redacted]');
		return this.setup.tokenPattern ? result.replace(this.setup.tokenPattern, '$1 [redacted]') : result;
	}

	/** A create made repeatable by a search (see RequestSender.createOnce). */
	createOnce<T>(create: () => Promise<T>, find: () => Promise<T | undefined>, outcomeUnknown: (error: unknown) => boolean): Promise<T> {
		return this.sender.createOnce(create, find, outcomeUnknown);
	}

	protected send(request: Omit<HttpRequest, 'timeoutMs'>, label: string, options: ClientSendOptions) {
		return this.sender.send(request, { ...options, label, noAnswer: (error, attempts) => this.networkError(error, label, attempts, options.idempotent) });
	}

	private networkError(error: unknown, label: string, attempts: number, idempotent: boolean): PsaError {
		const reason = describeNetworkError(error);
		const message = idempotent
			? `No response from ${this.psa} for ${label} after ${attempts} attempt(s): ${reason}`
			: `No response from ${this.psa} for ${label}: ${reason}. The request may or may not have been performed, so it was not repeated`;
		return new PsaError('unavailable', this.redact(message), {
			request: label,
			attempts,
			outcomeUnknown: (!idempotent && !neverSent(error)) || undefined,
			hint: idempotent ? this.setup.hints.unreachable : this.setup.hints.lookUp,
		});
	}
}

function describeNetworkError(error: unknown): string {
	if (error instanceof Error) {
		const cause = (error as Error & { cause?: { code?: string } }).cause;
		const code = (error as Error & { code?: string }).code ?? cause?.code;
		if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'the request timed out';
		return code ? `${error.message} (${code})` : error.message;
	}
	return String(error);
}
