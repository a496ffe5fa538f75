// Virtual time for the fault suite: timers fire only when no tracked I/O is in flight, so settle windows cost nothing.

/** Real time a tracked request or store call may take before the schedule counts as hung. */
const STUCK_IO_MS = 10_000;

export class HangError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'HangError';
	}
}

interface Timer {
	at: number;
	seq: number;
	run: () => void;
}

/**
 * One clock for the services, the provider, the store and the sandbox. Time moves only when every worker is waiting on
 * a timer and no tracked request or store call is in flight: then the earliest timer fires and the clock jumps to it.
 * Requests therefore take no virtual time, and waits of minutes (stale claims, settle windows, Retry-After) take none
 * of the real kind.
 */
export class VirtualScheduler {
	private time: number;
	private timers: Timer[] = [];
	private seq = 0;
	private inflight = 0;

	constructor(start: number) {
		this.time = start;
	}

	readonly now = (): number => this.time;

	/**
	 * Timers fire on whole milliseconds, as Date.now() and real timers count: a fractional wait (the request limiter
	 * spaces sends by 1000 / rate ms) is rounded up, never down, so the clock never shows a time no real clock shows
	 * (the PostgreSQL store keeps claim times in bigint columns).
	 */
	readonly setTimeout = (run: () => void, ms: number): void => {
		this.timers.push({ at: this.time + Math.ceil(Math.max(0, Number.isFinite(ms) ? ms : 0)), seq: this.seq++, run });
	};

	readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => this.setTimeout(resolve, ms));

	/** Runs real I/O; the clock stands still until it settles. */
	track<T>(work: () => Promise<T>): Promise<T> {
		this.inflight++;
		let promise: Promise<T>;
		try {
			promise = work();
		} catch (error) {
			this.inflight--;
			return Promise.reject(error);
		}
		return promise.finally(() => {
			this.inflight--;
		});
	}

	get pendingTimers(): number {
		return this.timers.length;
	}

	/**
	 * Drives `work` to its end. Fails with HangError when nothing is in flight, no timer is set and the work still has
	 * not ended (it waits on something that will never happen), or when it runs past `maxVirtualMs`.
	 */
	async drive<T>(work: Promise<T>, maxVirtualMs: number): Promise<T> {
		let settled = false;
		const done = work.then(
			(value) => {
				settled = true;
				return value;
			},
			(error: unknown) => {
				settled = true;
				throw error;
			},
		);
		done.catch(() => undefined);
		const deadline = this.time + maxVirtualMs;
		let idleTurns = 0;
		let waitingSince = performance.now();
		// Work that keeps calling the store or the PSA without ever waiting on a timer (a loop that never backs off)
		// keeps the clock still; real time tells it apart from slow work.
		let timeStillSince = performance.now();
		let lastTime = this.time;
		while (!settled) {
			await new Promise((resolve) => setImmediate(resolve));
			if (settled) break;
			if (this.time !== lastTime) {
				lastTime = this.time;
				timeStillSince = performance.now();
			} else if (performance.now() - timeStillSince > STUCK_IO_MS * 3) {
				throw new HangError(`the clock has not moved for ${(STUCK_IO_MS * 3) / 1000} s of real time: a loop calls the store or the PSA without waiting`);
			}
			if (this.inflight > 0) {
				idleTurns = 0;
				// A request or store call that never returns (a lock nobody releases) is a hang too.
				if (performance.now() - waitingSince > STUCK_IO_MS) throw new HangError(`${this.inflight} request(s) or store call(s) did not return within ${STUCK_IO_MS / 1000} s of real time`);
				continue;
			}
			waitingSince = performance.now();
			if (this.timers.length) {
				idleTurns = 0;
				this.fireNext();
				if (this.time > deadline) throw new HangError(`still running after ${maxVirtualMs} ms of virtual time`);
				continue;
			}
			if (++idleTurns > 2000) throw new HangError('nothing in flight, no timer set, and the work has not ended');
		}
		return done;
	}

	/** Fires every timer due by now + ms (late commits included), then leaves the clock there. */
	async advance(ms: number): Promise<void> {
		await this.drive(this.sleep(ms), ms + 1);
	}

	private fireNext(): void {
		let next = 0;
		for (let index = 1; index < this.timers.length; index++) {
			const timer = this.timers[index];
			const best = this.timers[next];
			if (timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) next = index;
		}
		const [timer] = this.timers.splice(next, 1);
		this.time = Math.max(this.time, timer.at);
		timer.run();
	}
}
