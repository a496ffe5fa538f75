// HaloPSA's OAuth 2 client-credentials tokens: one per connection and client, kept until shortly before expiry, fetched once for every concurrent request that needs it, and again once after a 401.
import { createHash } from 'node:crypto';

export interface IssuedToken {
	token: string;
	/** When it stops being valid, on the caller's clock. */
	expiresAt: number;
}

/** A token is not used in its last minute (or last tenth of a shorter life): a request sent with it must still arrive in time. */
const EXPIRY_MARGIN_MS = 60_000;

interface Entry {
	current?: IssuedToken;
	pending?: Promise<IssuedToken>;
	/** Every token this entry held, so redaction finds one that a slow request still carries. */
	issued: Set<string>;
}

/**
 * Process-wide: the nodes build a provider per execution, and every one of them for the same client shares its token.
 * Keyed by the authorisation server, client, secret, scope and tenant, so a changed credential never reuses a token.
 */
const entries = new Map<string, Entry>();

export function tokenKeyOf(parts: { authUrl: string; clientId: string; clientSecret: string; scope: string; tenant?: string }): string {
	return createHash('sha256').update([parts.authUrl, parts.clientId, parts.clientSecret, parts.scope, parts.tenant ?? ''].join('\u0000')).digest('hex');
}

export class TokenCache {
	private readonly entry: Entry;

	constructor(
		key: string,
		private readonly fetchToken: () => Promise<{ token: string; expiresInMs: number }>,
		private readonly now: () => number,
	) {
		let entry = entries.get(key);
		if (!entry) {
			entry = { issued: new Set() };
			entries.set(key, entry);
		}
		this.entry = entry;
	}

	/** A valid token: the kept one, the one being fetched, or a new one. */
	get(): Promise<IssuedToken> {
		const { current } = this.entry;
		if (current && this.now() < current.expiresAt) return Promise.resolve(current);
		return this.fetchShared();
	}

	/** After a 401 with `rejected`: a new token, unless a concurrent request already replaced it. */
	renew(rejected: string): Promise<IssuedToken> {
		const { current } = this.entry;
		if (current && current.token !== rejected && this.now() < current.expiresAt) return Promise.resolve(current);
		if (current?.token === rejected) this.entry.current = undefined;
		return this.fetchShared();
	}

	/** Tokens this cache issued (for redaction only). */
	tokens(): string[] {
		return [...this.entry.issued];
	}

	private fetchShared(): Promise<IssuedToken> {
		if (this.entry.pending) return this.entry.pending;
		const pending = (async () => {
			const issuedAt = this.now();
			const { token, expiresInMs } = await this.fetchToken();
			const margin = Math.min(EXPIRY_MARGIN_MS, expiresInMs / 10);
			const issued = { token, expiresAt: issuedAt + expiresInMs - margin };
			this.entry.issued.add(token);
			// A long-running process keeps the last few only: older ones have expired and will not be sent again.
			if (this.entry.issued.size > 8) this.entry.issued.delete(this.entry.issued.values().next().value as string);
			this.entry.current = issued;
			return issued;
		})();
		this.entry.pending = pending;
		const clear = () => {
			if (this.entry.pending === pending) this.entry.pending = undefined;
		};
		pending.then(clear, clear);
		return pending;
	}
}

/** Forgets every token (tests that start from nothing). */
export function resetTokens(): void {
	entries.clear();
}
