// The record of a sandbox's outgoing deliveries (ConnectWise callbacks, Autotask webhook callouts) and the wait for the next ones.

interface Waiter {
	count: number;
	resolve: () => void;
}

export class DeliveryLog<T> {
	/** Every delivery since the last clear, in the order they finished. */
	readonly entries: T[] = [];
	private waiters: Waiter[] = [];

	/** `what` names the deliveries in the timeout message; `inFlight` counts those still under way. */
	constructor(
		private readonly what: string,
		private readonly inFlight: () => number,
	) {}

	add(entry: T): void {
		this.entries.push(entry);
		const ready = this.waiters.filter((waiter) => this.entries.length >= waiter.count);
		this.waiters = this.waiters.filter((waiter) => this.entries.length < waiter.count);
		for (const waiter of ready) waiter.resolve();
	}

	/** Resolves once at least `count` deliveries have finished (since the last clear); rejects after `timeoutMs`. */
	waitFor(count: number, timeoutMs: number): Promise<T[]> {
		if (this.entries.length >= count) return Promise.resolve([...this.entries]);
		return new Promise((resolve, reject) => {
			const waiter: Waiter = {
				count,
				resolve: () => {
					clearTimeout(timer);
					resolve([...this.entries]);
				},
			};
			const timer = setTimeout(() => {
				this.waiters = this.waiters.filter((candidate) => candidate !== waiter);
				reject(new Error(`Expected ${count} ${this.what} within ${timeoutMs} ms, got ${this.entries.length} (${this.inFlight()} in flight)`));
			}, timeoutMs);
			this.waiters.push(waiter);
		});
	}

	clear(): void {
		this.entries.length = 0;
	}
}
