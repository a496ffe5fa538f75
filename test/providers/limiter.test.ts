// The per-connection adaptive limiter on a fake clock: AIMD, ceilings, per-endpoint ceilings, FIFO, pauses, rates, budgets, deadlines; the request layer's use of it.
import fc from 'fast-check';
import { AUTOTASK_CLASSIFIER } from '../../lib/providers/autotask/client';
import { PsaError } from '../../lib/providers/errors';
import type { HttpRequest, HttpResponse } from '../../lib/providers/http';
import { LIMITER_TUNING, LimiterRefusal, RequestLimiter, isLimiterRefusal, limiterFor, resetLimiters, rollingBudget, type LimiterClock, type Permit } from '../../lib/providers/limiter';
import { DEFAULT_RETRY_POLICY, RequestSender } from '../../lib/providers/request';
import { isOutcomeUnknown } from '../../lib/services/link';

/** Time that moves only when told; timers fire in order, each after the microtasks of the one before. */
class FakeClock implements LimiterClock {
	time = 1_000_000;
	private timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
	private seq = 0;
	sleeps: number[] = [];
	readonly now = (): number => this.time;
	readonly sleep = (ms: number): Promise<void> => {
		this.sleeps.push(ms);
		return new Promise((resolve) => this.timers.push({ at: this.time + ms, seq: this.seq++, resolve }));
	};
	async advance(ms: number): Promise<void> {
		const end = this.time + ms;
		await flush();
		for (;;) {
			this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
			const next = this.timers[0];
			if (!next || next.at > end) break;
			this.timers.shift();
			this.time = Math.max(this.time, next.at);
			next.resolve();
			await flush();
		}
		this.time = end;
		await flush();
	}
}

async function flush(): Promise<void> {
	for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Tracks an acquire: settled or not, and when. */
function track(clock: FakeClock, promise: Promise<Permit>) {
	const state: { permit?: Permit; error?: unknown; at?: number } = {};
	promise.then(
		(permit) => {
			state.permit = permit;
			state.at = clock.time;
		},
		(error) => {
			state.error = error;
			state.at = clock.time;
		},
	);
	return state;
}

function limiter(options: ConstructorParameters<typeof RequestLimiter>[0] = {}) {
	const clock = new FakeClock();
	return { clock, limiter: new RequestLimiter({ clock, ...options }) };
}

/** One busy round: `limit` permits taken together, answered after `latency` ms. */
async function round(clock: FakeClock, subject: RequestLimiter, latency: number, endpoint = 'e'): Promise<void> {
	const states = Array.from({ length: Math.floor(subject.snapshot().limit) }, () => track(clock, subject.acquire({ endpoint })));
	await clock.advance(latency);
	while (states.some((state) => !state.permit)) await clock.advance(10);
	for (const state of states) state.permit?.release();
}

describe('AIMD', () => {
	it('starts at 4, doubles per busy round trip (slow start) up to the ceiling', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 20 });
		expect(subject.snapshot().limit).toBe(LIMITER_TUNING.initialConcurrency);
		await round(clock, subject, 50);
		expect(subject.snapshot().limit).toBe(8);
		await round(clock, subject, 50);
		expect(subject.snapshot().limit).toBe(16);
		await round(clock, subject, 50);
		expect(subject.snapshot().limit).toBe(20);
	});

	it('does not grow a limit nobody uses', async () => {
		const { clock, limiter: subject } = limiter();
		for (let i = 0; i < 20; i++) {
			const permit = await subject.acquire();
			await clock.advance(10);
			permit.release();
		}
		expect(subject.snapshot().limit).toBe(4);
	});

	it('halves-ish on a throttle (x0.7), once per congestion event, then grows by about one per round trip', async () => {
		const { clock, limiter: subject } = limiter();
		await round(clock, subject, 50);
		await round(clock, subject, 50);
		expect(subject.snapshot().limit).toBe(16);
		const permits = await Promise.all(Array.from({ length: 16 }, () => subject.acquire({ endpoint: 'e' })));
		// More than a second later: no answers in the last second, so no rate is learned (see the rate test).
		await clock.advance(1100);
		permits[0].throttled();
		// The others were sent under the old limit: their throttles belong to the same event.
		for (const permit of permits.slice(1, 5)) permit.throttled();
		for (const permit of permits.slice(5)) permit.release();
		expect(subject.snapshot().limit).toBeCloseTo(16 * 0.7);
		const before = subject.snapshot().limit;
		expect(subject.snapshot().ratePerSecond).toBe(Infinity);
		await round(clock, subject, 50, 'f');
		expect(subject.snapshot().limit).toBeGreaterThan(before);
		expect(subject.snapshot().limit).toBeLessThan(before + 1.01);
	});

	it('decreases by x0.9 when latency grows past twice its baseline (after slow start)', async () => {
		// At its ceiling the limit has left slow start.
		const { clock, limiter: subject } = limiter({ initialConcurrency: 10, concurrency: 10 });
		for (let i = 0; i < 6; i++) {
			const permit = await subject.acquire();
			await clock.advance(40);
			permit.release();
		}
		const steady = subject.snapshot().limit;
		let slowed = steady;
		for (let i = 0; i < 12 && slowed === steady; i++) {
			const permit = await subject.acquire();
			await clock.advance(400);
			permit.release();
			slowed = subject.snapshot().limit;
		}
		expect(slowed).toBeCloseTo(steady * 0.9);
	});

	it('keeps growing through grown latency in slow start (doubling, then by half of the limited-slow-start threshold per round trip), then judges latency at the ceiling', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 40 });
		await round(clock, subject, 50);
		// Each later round's answers take 4-8x longer than the first: this process's own work, or the PSA's; slow start goes on.
		await round(clock, subject, 200);
		expect(subject.snapshot().limit).toBe(16);
		const above = LIMITER_TUNING.limitedSlowStartAbove;
		let previous = subject.snapshot().limit;
		let rounds = 0;
		for (; previous < 40 && rounds < 20; rounds++) {
			await round(clock, subject, 400);
			const grown = subject.snapshot().limit - previous;
			// At most half the threshold per round trip (less when an answer came back to a half-empty limit).
			expect(grown).toBeGreaterThan(0);
			expect(grown).toBeLessThanOrEqual(above / 2 + 1e-9);
			previous = subject.snapshot().limit;
		}
		expect(previous).toBe(40);
		// From 16 to 40: more round trips than doubling (2), far fewer than one per round trip (24).
		expect(rounds).toBeGreaterThanOrEqual(3);
		expect(rounds).toBeLessThanOrEqual(8);
		// At the ceiling slow start is over: latency that grows now counts, once per round (the baseline has drifted up
		// towards 400 ms over these rounds, a PSA's new normal, so it takes a clearly slower round).
		await round(clock, subject, 4000);
		expect(subject.snapshot().limit).toBeCloseTo(40 * 0.9);
	});

	it('learns a rate from what was sent in the second before the first throttled request, answered or still in flight', async () => {
		const { clock, limiter: subject } = limiter({ initialConcurrency: 100 });
		// 60 sends 10 ms apart, answered after 100 ms: when the 61st is refused, 10 accepted ones are still in flight.
		const permits: Permit[] = [];
		for (let i = 0; i < 60; i++) {
			permits.push(await subject.acquire());
			await clock.advance(10);
			if (i >= 10) permits[i - 10].release();
		}
		(await subject.acquire()).throttled(1000);
		expect(subject.snapshot().ratePerSecond).toBeCloseTo(60 * LIMITER_TUNING.rateBackoff, 5);
	});

	it('takes back from the learned rate each later refusal of the same event that was sent inside the counted second', async () => {
		const { clock, limiter: subject } = limiter({ initialConcurrency: 100 });
		// 60 sends 10 ms apart; the refusals of sends 50 and 55 come back after that of the 61st (answers out of order).
		const permits: Permit[] = [];
		for (let i = 0; i < 60; i++) {
			permits.push(await subject.acquire());
			await clock.advance(10);
			if (i >= 10 && i - 10 !== 50 && i - 10 !== 55 && i - 10 < 50) permits[i - 10].release();
		}
		(await subject.acquire()).throttled(1000);
		expect(subject.snapshot().ratePerSecond).toBeCloseTo(60 * LIMITER_TUNING.rateBackoff, 5);
		permits[50].throttled(1000);
		permits[55].throttled(1000);
		expect(subject.snapshot().ratePerSecond).toBeCloseTo(58 * LIMITER_TUNING.rateBackoff, 5);
		// An accepted answer of the same second changes nothing, nor does a refusal of a send from outside it.
		permits[52].release();
		expect(subject.snapshot().ratePerSecond).toBeCloseTo(58 * LIMITER_TUNING.rateBackoff, 5);
	});

	it('ignores latency growth below the absolute floor (a loopback answer of 1 ms that takes 5 ms)', async () => {
		const { clock, limiter: subject } = limiter({ initialConcurrency: 10 });
		for (let i = 0; i < 30; i++) {
			const permit = await subject.acquire();
			await clock.advance(i < 6 ? 1 : 5);
			permit.release();
		}
		expect(subject.snapshot().limit).toBe(10);
	});
});

describe('ceilings and order', () => {
	it('never lets more than the declared concurrency be in flight', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 3, initialConcurrency: 3 });
		const states = Array.from({ length: 5 }, () => track(clock, subject.acquire()));
		await flush();
		expect(states.filter((state) => state.permit)).toHaveLength(3);
		expect(subject.snapshot()).toMatchObject({ inFlight: 3, queued: 2 });
		states[0].permit?.release();
		await flush();
		expect(states[3].permit).toBeDefined();
		expect(states[4].permit).toBeUndefined();
	});

	it('holds each endpoint to its own ceiling and lets other endpoints pass a blocked one', async () => {
		const { clock, limiter: subject } = limiter({ concurrencyPerEndpoint: 2, initialConcurrency: 10 });
		const tickets = Array.from({ length: 3 }, () => track(clock, subject.acquire({ endpoint: 'Tickets' })));
		const notes = track(clock, subject.acquire({ endpoint: 'TicketNotes' }));
		await flush();
		expect(tickets.map((state) => state.permit !== undefined)).toEqual([true, true, false]);
		expect(notes.permit).toBeDefined();
		expect(subject.snapshot().inFlightBy).toEqual({ Tickets: 2, TicketNotes: 1 });
		tickets[1].permit?.release();
		await flush();
		expect(tickets[2].permit).toBeDefined();
	});

	it('serves waiters in order (FIFO), a retry by when it was first asked for', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 1, initialConcurrency: 1 });
		const order: string[] = [];
		const holder = await subject.acquire();
		const names = ['a', 'b', 'c'];
		const waiting = names.map((name) => subject.acquire().then((permit) => (order.push(name), permit)));
		clock.time += 5;
		// A retry of a request first asked for before a, b and c.
		const retry = subject.acquire({ since: clock.time - 1000 }).then((permit) => (order.push('retry'), permit));
		holder.release();
		for (const next of [retry, ...waiting]) (await next).release();
		expect(order).toEqual(['retry', 'a', 'b', 'c']);
	});

	it('a release says whether the freed slot went to a waiting request, and a second release says nothing', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 1, initialConcurrency: 1 });
		const first = await subject.acquire();
		const waiting = track(clock, subject.acquire());
		expect(first.release()).toBe(true);
		expect(first.release()).toBe(false);
		await flush();
		expect(waiting.permit?.release()).toBe(false);
	});
});

describe('pauses, rates and budgets', () => {
	it('pauses the whole connection for Retry-After, not only the throttled request', async () => {
		const { clock, limiter: subject } = limiter();
		const permit = await subject.acquire();
		permit.throttled(2000);
		const other = track(clock, subject.acquire({ endpoint: 'other' }));
		await clock.advance(1999);
		expect(other.permit).toBeUndefined();
		await clock.advance(1);
		expect(other.permit).toBeDefined();
		expect(other.at).toBe(1_002_000);
	});

	it('refuses at once a request whose deadline comes before the pause ends (it is never sent)', async () => {
		const { clock, limiter: subject } = limiter();
		(await subject.acquire()).throttled(60_000);
		const state = track(clock, subject.acquire({ deadline: clock.time + 30_000 }));
		await flush();
		expect(state.error).toBeInstanceOf(LimiterRefusal);
		expect((state.error as LimiterRefusal).reason).toBe('paused');
		expect(state.at).toBe(1_000_000);
	});

	it('refuses a request still queued at its deadline', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 1, initialConcurrency: 1 });
		const holder = await subject.acquire();
		const state = track(clock, subject.acquire({ deadline: clock.time + 3000 }));
		await clock.advance(2999);
		expect(state.error).toBeUndefined();
		await clock.advance(1);
		expect(isLimiterRefusal(state.error) && state.error.reason).toBe('deadline');
		expect(state.at).toBe(1_003_000);
		holder.release();
		expect(subject.snapshot()).toMatchObject({ inFlight: 0, queued: 0 });
	});

	it('spaces requests to a declared rate (burst of 2)', async () => {
		const { clock, limiter: subject } = limiter({ ratePerSecond: 10, initialConcurrency: 20 });
		const states = Array.from({ length: 5 }, () => track(clock, subject.acquire()));
		await clock.advance(350);
		expect(states.map((state) => state.at)).toEqual([1_000_000, 1_000_000, 1_000_100, 1_000_200, 1_000_300]);
	});

	it('learns a rate from a throttle: 95% of the answers accepted in the last second, probing upward slowly', async () => {
		const { clock, limiter: subject } = limiter({ initialConcurrency: 50 });
		for (let i = 0; i < 40; i++) {
			const permit = await subject.acquire();
			await clock.advance(20);
			permit.release();
		}
		(await subject.acquire()).throttled(1000);
		// 40 answers in 800 ms, of which the last second holds 40.
		expect(subject.snapshot().ratePerSecond).toBeCloseTo(38, 5);
		await clock.advance(10_000);
		expect(subject.snapshot().ratePerSecond).toBeCloseTo(38 * (1 + LIMITER_TUNING.rateProbePerSecond * 10), 5);
		await clock.advance(LIMITER_TUNING.rateMemoryMs);
		expect(subject.snapshot().ratePerSecond).toBe(Infinity);
	});

	it('learns no rate from a refusal about requests in flight (a thread threshold): only the concurrency limit drops', async () => {
		const { clock, limiter: subject } = limiter({ initialConcurrency: 50 });
		for (let i = 0; i < 40; i++) {
			const permit = await subject.acquire();
			await clock.advance(20);
			permit.release();
		}
		(await subject.acquire()).throttled(undefined, 'concurrency');
		expect(subject.snapshot().ratePerSecond).toBe(Infinity);
		expect(subject.snapshot().limit).toBeCloseTo(50 * LIMITER_TUNING.throttleBackoff, 5);
	});

	it('keeps to an hourly budget (rolling window)', async () => {
		const { clock, limiter: subject } = limiter({ hourlyBudget: 3 });
		for (let i = 0; i < 3; i++) (await subject.acquire()).release();
		const fourth = track(clock, subject.acquire({ deadline: clock.time + 30_000 }));
		await flush();
		expect(isLimiterRefusal(fourth.error) && fourth.error.reason).toBe('budget');
		const waiting = track(clock, subject.acquire());
		await clock.advance(60 * 60 * 1000);
		expect(waiting.permit).toBeDefined();
	});

	it('rollingBudget counts sends in its window', () => {
		const budget = rollingBudget(2, 1000);
		budget.record(0);
		budget.record(10);
		expect(budget.nextAllowedAt(500)).toBe(1000);
		expect(budget.nextAllowedAt(1000)).toBe(1000);
		expect(() => rollingBudget(0)).toThrow(TypeError);
	});
});

describe('one limiter per connection', () => {
	afterEach(() => resetLimiters());

	it('is shared by everything that asks for the same connection on the same clock', () => {
		const clock = new FakeClock();
		const a = limiterFor('connectwise:1', {}, clock);
		expect(limiterFor('connectwise:1', {}, { now: clock.now, sleep: clock.sleep })).toBe(a);
		expect(limiterFor('connectwise:2', {}, clock)).not.toBe(a);
		expect(limiterFor('connectwise:1', {}, new FakeClock())).not.toBe(a);
	});

	it('takes the provider\'s declared limits', async () => {
		const clock = new FakeClock();
		const subject = limiterFor('autotask:1', { concurrency: 2, concurrencyPerEndpoint: 1 }, clock);
		const states = ['Tickets', 'Tickets', 'Notes', 'Companies'].map((endpoint) => track(clock, subject.acquire({ endpoint })));
		await flush();
		expect(states.map((state) => state.permit !== undefined)).toEqual([true, false, true, false]);
	});
});

describe('invariant (fast-check)', () => {
	type Step = { kind: 'acquire'; endpoint: number; budget: number } | { kind: 'answer'; pick: number; how: 'ok' | 'throttle' | 'failed'; retryAfter: number } | { kind: 'wait'; ms: number };
	const step: fc.Arbitrary<Step> = fc.oneof(
		fc.record({ kind: fc.constant('acquire' as const), endpoint: fc.integer({ min: 0, max: 2 }), budget: fc.integer({ min: 0, max: 5000 }) }),
		fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(), how: fc.constantFrom('ok' as const, 'throttle' as const, 'failed' as const), retryAfter: fc.integer({ min: 0, max: 3000 }) }),
		fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
	);

	it('never more in flight than the ceiling (per endpoint too); every acquire resolves or is refused by its deadline', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(step, { maxLength: 80 }),
				fc.integer({ min: 1, max: 6 }),
				fc.integer({ min: 1, max: 3 }),
				fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
				async (steps, ceiling, perEndpoint, rate) => {
					const { clock, limiter: subject } = limiter({ concurrency: ceiling, concurrencyPerEndpoint: perEndpoint, ratePerSecond: rate });
					const held: Permit[] = [];
					const acquires: Array<{ deadline: number; state: ReturnType<typeof track>; taken: boolean }> = [];
					const check = () => {
						const snapshot = subject.snapshot();
						expect(snapshot.inFlight).toBeLessThanOrEqual(ceiling);
						for (const count of Object.values(snapshot.inFlightBy)) expect(count).toBeLessThanOrEqual(perEndpoint);
						for (const entry of acquires) {
							if (entry.state.at !== undefined) expect(entry.state.at).toBeLessThanOrEqual(entry.deadline);
							else expect(clock.time).toBeLessThanOrEqual(entry.deadline);
						}
					};
					const collect = () => {
						for (const entry of acquires) {
							if (entry.state.permit && !entry.taken) {
								entry.taken = true;
								held.push(entry.state.permit);
							}
						}
					};
					for (const current of steps) {
						if (current.kind === 'acquire') {
							const deadline = clock.time + current.budget;
							acquires.push({ deadline, state: track(clock, subject.acquire({ endpoint: `e${current.endpoint}`, deadline })), taken: false });
							await flush();
						} else if (current.kind === 'answer' && held.length > 0) {
							const [permit] = held.splice(current.pick % held.length, 1);
							if (current.how === 'throttle') permit.throttled(current.retryAfter);
							else permit.release(current.how === 'ok');
							await flush();
						} else if (current.kind === 'wait') {
							await clock.advance(current.ms);
						}
						collect();
						check();
					}
					for (const permit of held.splice(0)) permit.release();
					await clock.advance(10_000);
					collect();
					for (const permit of held.splice(0)) permit.release();
					expect(acquires.every((entry) => entry.state.at !== undefined)).toBe(true);
					expect(subject.snapshot()).toMatchObject({ inFlight: 0, queued: 0 });
				},
			),
			{ numRuns: 300 },
		);
	});
});

describe('RequestSender with a limiter', () => {
	const ok: HttpResponse = { status: 200, headers: {}, body: {} };
	const noAnswer = (error: unknown) => new PsaError('unavailable', String(error));

	function sender(clock: FakeClock, subject: RequestLimiter, answers: HttpResponse[], sent: HttpRequest[]) {
		const http = async (request: HttpRequest) => {
			sent.push(request);
			return answers.shift() ?? ok;
		};
		return new RequestSender(http, { ...DEFAULT_RETRY_POLICY, budgetMs: 5000 }, { now: clock.now, sleep: clock.sleep, random: () => 0.5 }, undefined, { limiter: subject });
	}

	it('a request queued past its retry budget is never sent and fails as rate-limited, nothing sent', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 1, initialConcurrency: 1 });
		const sent: HttpRequest[] = [];
		const holder = await subject.acquire();
		const state = sender(clock, subject, [], sent)
			.send({ method: 'POST', url: 'https://psa.example/api/tickets', headers: {}, endpoint: '/tickets' }, { idempotent: false, noAnswer })
			.then(
				() => undefined,
				(error: unknown) => error,
			);
		await clock.advance(5000);
		const error = (await state) as PsaError;
		expect(error).toBeInstanceOf(PsaError);
		expect(error.kind).toBe('rate-limited');
		expect(error.details).toMatchObject({ refused: true, attempts: 0, request: 'POST /tickets' });
		expect(error.message).toMatch(/^Nothing was sent for POST \/tickets/);
		// A definite outcome: Link and Note release their claims instead of waiting out the settle window.
		expect(isOutcomeUnknown(error)).toBe(false);
		expect(sent).toHaveLength(0);
		holder.release();
	});

	it('a retry queued past the budget ends with the last answer, as if no retry had been allowed', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 1, initialConcurrency: 1 });
		const sent: HttpRequest[] = [];
		const outcome = sender(clock, subject, [{ status: 503, headers: {}, body: {} }], sent).send({ method: 'GET', url: 'https://psa.example/api/x', headers: {} }, { idempotent: true, noAnswer });
		await flush();
		// While the retry backs off, something else takes the only slot and keeps it.
		const holder = await subject.acquire();
		await clock.advance(5000);
		expect(await outcome).toMatchObject({ response: { status: 503 }, attempts: 1 });
		expect(sent).toHaveLength(1);
		holder.release();
	});

	it("Autotask's thread-threshold refusals never cut the connection's send rate (they say nothing about requests per second)", async () => {
		const { clock, limiter: subject } = limiter({ initialConcurrency: 8 });
		const thread: HttpResponse = { status: 500, headers: {}, body: { errors: ['Thread Threshold Exceeded — The Autotask API thread threshold of 3 threads has been exceeded.'] } };
		const answers: HttpResponse[] = [];
		// Answers come back at once (a fast PSA, or virtual time): many in the last second, then a run of refusals.
		for (let i = 0; i < 12; i++) answers.push(ok);
		for (let round = 0; round < 30; round++) answers.push(thread, ok);
		const make = () => new RequestSender(async () => answers.shift() ?? ok, { ...DEFAULT_RETRY_POLICY, budgetMs: 60_000, maxAttempts: 3 }, { now: clock.now, sleep: clock.sleep, random: () => 0.5 }, AUTOTASK_CLASSIFIER, { limiter: subject });
		const done = Promise.all(Array.from({ length: 42 }, () => make().send({ method: 'POST', url: 'https://at.example/V1.0/Tickets/query', headers: {}, endpoint: 'Tickets' }, { idempotent: true, noAnswer })));
		await clock.advance(60_000);
		await done;
		// A refusal about threads taken (here, or by requests the PSA still works on) is no sign of sending too fast.
		expect(subject.snapshot().ratePerSecond).toBe(Infinity);
		// Sends one after another are not spaced out: ten go within the same millisecond.
		const started = clock.time;
		for (let i = 0; i < 10; i++) (await subject.acquire({ endpoint: 'Companies' })).release();
		expect(clock.time).toBe(started);
	});

	it('the request granted a freed slot is on its way before the caller of the answer that freed it resumes', async () => {
		// Against a thread limit, what the caller does next (store writes, its next item) would otherwise run while the
		// freed slot sits granted but unsent. n8n's HTTP path takes many steps before the socket (50 here), then a turn of
		// I/O (the connection opening) before the request's bytes go out.
		const { clock, limiter: subject } = limiter({ concurrency: 1, initialConcurrency: 1 });
		const order: string[] = [];
		let answerFirst: (response: HttpResponse) => void = () => undefined;
		const http = async (request: HttpRequest): Promise<HttpResponse> => {
			if (request.url === 'first') return new Promise((resolve) => (answerFirst = resolve));
			for (let step = 0; step < 50; step++) await Promise.resolve();
			await new Promise<void>((resolve) => setImmediate(resolve));
			order.push('second on its way');
			return ok;
		};
		const make = () => new RequestSender(http, { ...DEFAULT_RETRY_POLICY, budgetMs: 5000 }, { now: clock.now, sleep: clock.sleep, random: () => 0.5 }, undefined, { limiter: subject });
		const first = make()
			.send({ method: 'POST', url: 'first', headers: {} }, { idempotent: false, noAnswer })
			.then((outcome) => (order.push('first caller resumes'), outcome));
		const second = make().send({ method: 'POST', url: 'second', headers: {} }, { idempotent: false, noAnswer });
		await flush();
		expect(subject.snapshot()).toMatchObject({ inFlight: 1, queued: 1 });
		answerFirst(ok);
		await Promise.all([first, second]);
		expect(order).toEqual(['second on its way', 'first caller resumes']);
	});

	it('an answer that frees no awaited slot returns without waiting a turn', async () => {
		const { clock, limiter: subject } = limiter({ concurrency: 2, initialConcurrency: 2 });
		const order: string[] = [];
		const sent = new RequestSender(async () => ok, { ...DEFAULT_RETRY_POLICY, budgetMs: 5000 }, { now: clock.now, sleep: clock.sleep, random: () => 0.5 }, undefined, { limiter: subject });
		setImmediate(() => order.push('next turn'));
		await sent.send({ method: 'GET', url: 'x', headers: {} }, { idempotent: true, noAnswer }).then(() => order.push('caller resumes'));
		expect(order).toEqual(['caller resumes']);
	});

	it('a Retry-After holds the other requests of the connection until it ends; the throttled one goes first', async () => {
		const { clock, limiter: subject } = limiter();
		const sent: Array<{ url: string; at: number }> = [];
		const http = async (request: HttpRequest) => {
			sent.push({ url: request.url, at: clock.time });
			return sent.length === 1 ? { status: 429, headers: { 'retry-after': '2' }, body: {} } : ok;
		};
		const make = () => new RequestSender(http, { ...DEFAULT_RETRY_POLICY, budgetMs: 5000 }, { now: clock.now, sleep: clock.sleep, random: () => 0.5 }, undefined, { limiter: subject });
		const x = make().send({ method: 'POST', url: 'x', headers: {} }, { idempotent: false, noAnswer });
		await flush();
		clock.time += 10;
		const y = make().send({ method: 'GET', url: 'y', headers: {} }, { idempotent: true, noAnswer });
		await clock.advance(2000);
		expect((await x).attempts).toBe(2);
		expect((await y).attempts).toBe(1);
		expect(sent).toEqual([
			{ url: 'x', at: 1_000_000 },
			{ url: 'x', at: 1_002_000 },
			{ url: 'y', at: 1_002_000 },
		]);
	});
});
