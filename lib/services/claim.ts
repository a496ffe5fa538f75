// The claim protocol every exactly-once write shares: claim its key, wait for or take over another run's claim, hold it while writing.
import { randomUUID } from 'node:crypto';
import type { PsaError } from '../providers/errors';
import { delay, type PsaServiceContext } from './context';

/** How long a run waits for another run's claim on the same key before it reports a conflict. */
export const DEFAULT_CLAIM_WAIT_MS = 10_000;
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 500;

/**
 * What one look at a key found: a result (the record already written, or the write this run just did under a fresh
 * claim), a claim another run holds (refreshed last at `heldSince`), or 'again' when the key changed under the look.
 */
export type ClaimLook<Result, Held> = { finished: Result } | { heldSince: Date; held: Held } | 'again';

export interface ClaimSteps<Result, Held> {
	/** One look at the key; `claimToken` is this run's should it claim the key (it then writes and returns the result). */
	look(claimToken: string): Promise<ClaimLook<Result, Held>>;
	/**
	 * Takes over a claim whose holder stopped refreshing it, and writes after looking for the abandoned attempt's record;
	 * undefined when another run took it over first.
	 */
	takeOver(claimToken: string, held: Held): Promise<Result | undefined>;
	/** The error once the wait is over and another run still holds the claim; it turns stale at `resolvedBy`. */
	busy(resolvedBy: string, waitedMs: number): PsaError;
}

/**
 * Runs a keyed write once across runs, workers and retries: the first run to claim the key writes; the others wait for
 * its result; a claim not refreshed for `staleAfterMs` (its holder died, or its write has no answer yet) is taken over
 * by a run that looks for the record before writing.
 */
export async function writeUnderClaim<Result, Held>(
	ctx: PsaServiceContext,
	steps: ClaimSteps<Result, Held>,
	options: { staleAfterMs: number; waitMs?: number },
): Promise<Result> {
	const waitMs = options.waitMs ?? DEFAULT_CLAIM_WAIT_MS;
	const deadline = ctx.now() + waitMs;
	let pollMs = FIRST_POLL_MS;
	for (;;) {
		const look = await steps.look(randomUUID());
		if (look === 'again') continue;
		if ('finished' in look) return look.finished;
		// Strictly older, as the store's own condition: at exactly the window the store refuses, and asking again at
		// once would spin.
		if (ctx.now() - look.heldSince.getTime() > options.staleAfterMs) {
			const taken = await steps.takeOver(randomUUID(), look.held);
			if (taken !== undefined) return taken;
			// Another run took it over first (or it changed): look again after the pause below.
		}
		if (ctx.now() >= deadline) throw steps.busy(new Date(look.heldSince.getTime() + options.staleAfterMs).toISOString(), waitMs);
		await delay(ctx, pollMs);
		pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
	}
}

/** Polls `check` with the claim protocol's back-off until it answers, or reports `timedOut` after `waitMs`. */
export async function waitForClaimHolder<Result>(
	ctx: PsaServiceContext,
	waitMs: number,
	check: () => Promise<Result | undefined>,
	timedOut: () => PsaError,
): Promise<Result> {
	const deadline = ctx.now() + waitMs;
	for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 2, MAX_POLL_MS)) {
		await delay(ctx, pollMs);
		const answer = await check();
		if (answer !== undefined) return answer;
		if (ctx.now() >= deadline) throw timedOut();
	}
}

/** The store operations on one claimed key, bound to this run's token. */
export interface ClaimedKey {
	/** Marks the claim as alive; false when another run has taken it over. */
	refresh(): Promise<boolean>;
	/** Gives the key up, so the next attempt writes without looking first. */
	release(): Promise<unknown>;
	/** Keeps the key claimed but stale at once, so the next attempt takes it over and looks first without waiting. */
	expire?(): Promise<unknown>;
}

/**
 * A claim this run holds while it writes. It tracks whether the record may exist in the PSA (a write was sent, or an
 * abandoned attempt's may have been): from then on a failure keeps the claim pending, so nothing writes again without
 * looking first; it is released only when no record can exist.
 */
export class HeldClaim {
	private mayExist: boolean;
	/** True while nothing this run sent can still commit; a write whose answer was lost makes it false. */
	private settled = false;

	constructor(
		private readonly key: ClaimedKey,
		lookFirst: boolean,
		private readonly takenOverError: () => PsaError,
	) {
		this.mayExist = lookFirst;
	}

	refresh(): Promise<boolean> {
		return this.key.refresh();
	}

	/** Refreshed before each PSA write; when another run took the claim over meanwhile, writing now could duplicate its record. */
	async hold(): Promise<void> {
		if (await this.key.refresh()) return;
		this.mayExist = true;
		throw this.takenOverError();
	}

	/** A record may exist (a search could not tell): keep the claim, whatever else is known of writes in flight. */
	keep(): void {
		this.mayExist = true;
	}

	/** A write is about to be sent, or whether an earlier one landed is still unknown. */
	mayHaveWritten(): void {
		this.mayExist = true;
		this.settled = false;
	}

	/** A search proved the record absent, or the PSA refused the write: nothing exists for this key. */
	provenAbsent(): void {
		this.mayExist = false;
	}

	/**
	 * Whether a record may exist is still open, but nothing this run sent can still commit (no write was sent, or the
	 * PSA's application answered it): a failure then leaves the claim for the next attempt to take over at once.
	 */
	nothingInFlight(): void {
		this.settled = true;
	}

	/** Runs the write; on a failure the claim is released only when no record can exist. */
	async run<T>(write: () => Promise<T>): Promise<T> {
		try {
			return await write();
		} catch (error) {
			if (!this.mayExist) await this.key.release();
			else if (this.settled && this.key.expire) await this.key.expire();
			throw error;
		}
	}
}

/** Spaces out checks of the same key (per store, in this process): at most one per interval. */
export class PollSchedule {
	private readonly lastByScope = new WeakMap<object, Map<string, number>>();

	constructor(private readonly maxKeys = 10_000) {}

	/** True (and recorded) when the key was not checked within the last `everyMs`. */
	due(scope: object, key: string, now: number, everyMs: number): boolean {
		let last = this.lastByScope.get(scope);
		if (!last) this.lastByScope.set(scope, (last = new Map()));
		const previous = last.get(key);
		if (previous !== undefined && now - previous < everyMs) return false;
		// Bounded: past the limit the oldest entries go (a forgotten key is merely checked once more).
		if (previous === undefined && last.size >= this.maxKeys) last.delete(last.keys().next().value as string);
		last.delete(key);
		last.set(key, now);
		return true;
	}
}
