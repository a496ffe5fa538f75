// The claim protocol alone, on a fake clock: who writes, who waits, when a stale claim is taken over, when it is kept.
import { PsaError } from '../../lib/providers/errors';
import { HeldClaim, writeUnderClaim, type ClaimLook } from '../../lib/services/claim';
import type { PsaServiceContext } from '../../lib/services/context';

/** A context whose clock moves only by the protocol's own pauses. */
function clockedContext(): { ctx: PsaServiceContext; clock: { t: number }; pauses: number[] } {
	const clock = { t: 1_000_000 };
	const pauses: number[] = [];
	const ctx = {
		now: () => clock.t,
		delay: async (ms: number) => {
			pauses.push(ms);
			clock.t += ms;
		},
	} as unknown as PsaServiceContext;
	return { ctx, clock, pauses };
}

const busy = (resolvedBy: string, waitedMs: number) => new PsaError('conflict', `busy until ${resolvedBy} after ${waitedMs}`);

it('a key that is free is written once by the run that claims it, with no pause', async () => {
	const { ctx, pauses } = clockedContext();
	const tokens: string[] = [];
	const result = await writeUnderClaim(
		ctx,
		{
			look: async (token) => {
				tokens.push(token);
				return { finished: `written by ${token}` };
			},
			takeOver: async () => 'never',
			busy,
		},
		{ staleAfterMs: 60_000 },
	);
	expect(result).toBe(`written by ${tokens[0]}`);
	expect(pauses).toEqual([]);
});

it("another run's claim is waited for with a doubling pause capped at 500 ms, and its result returned", async () => {
	const { ctx, clock, pauses } = clockedContext();
	const heldSince = new Date(clock.t);
	let looks = 0;
	const result = await writeUnderClaim<string, null>(
		ctx,
		{
			look: async () => (++looks < 7 ? { heldSince, held: null } : { finished: 'the other run wrote it' }),
			takeOver: async () => 'never',
			busy,
		},
		{ staleAfterMs: 60_000 },
	);
	expect(result).toBe('the other run wrote it');
	expect(pauses).toEqual([50, 100, 200, 400, 500, 500]);
});

it('a claim older than the window is taken over with what the look saw; a lost takeover pauses and looks again', async () => {
	const { ctx, clock } = clockedContext();
	const heldSince = new Date(clock.t - 60_000);
	const seen: string[] = [];
	const result = await writeUnderClaim<string, string>(
		ctx,
		{
			look: async () => ({ heldSince, held: 'abandoned row' }),
			takeOver: async (_token, held) => {
				seen.push(held);
				// The first takeover loses to another run (undefined): the protocol pauses and looks again.
				return seen.length > 1 ? 'taken over' : undefined;
			},
			busy,
		},
		{ staleAfterMs: 59_999 },
	);
	expect(result).toBe('taken over');
	expect(clock.t - heldSince.getTime()).toBe(60_050);
	expect(seen).toEqual(['abandoned row', 'abandoned row']);
});

it('a live claim still held when the wait ends is reported with the time it turns stale', async () => {
	const { ctx, clock } = clockedContext();
	const heldSince = new Date(clock.t);
	const error = await writeUnderClaim<string, null>(ctx, { look: async () => ({ heldSince, held: null }), takeOver: async () => 'never', busy }, { staleAfterMs: 180_000, waitMs: 2_000 }).catch(
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(PsaError);
	expect((error as PsaError).message).toBe(`busy until ${new Date(heldSince.getTime() + 180_000).toISOString()} after 2000`);
	expect(clock.t - heldSince.getTime()).toBeGreaterThanOrEqual(2_000);
});

it("'again' looks once more at once, without a pause", async () => {
	const { ctx, pauses } = clockedContext();
	const looks: Array<ClaimLook<string, null>> = ['again', 'again', { finished: 'done' }];
	const result = await writeUnderClaim(ctx, { look: async () => looks.shift() as ClaimLook<string, null>, takeOver: async () => 'never', busy }, { staleAfterMs: 1 });
	expect(result).toBe('done');
	expect(pauses).toEqual([]);
});

describe('a held claim', () => {
	function heldClaim(lookFirst: boolean, refreshes = true) {
		const calls: string[] = [];
		const claim = new HeldClaim(
			{
				refresh: async () => {
					calls.push('refresh');
					return refreshes;
				},
				release: async () => calls.push('release'),
				expire: async () => calls.push('expire'),
			},
			lookFirst,
			() => new PsaError('conflict', 'taken over'),
		);
		return { claim, calls };
	}
	const fail = () => {
		throw new Error('write failed');
	};

	it('is released after a failure when nothing was written', async () => {
		const { claim, calls } = heldClaim(false);
		await expect(claim.run(async () => fail())).rejects.toThrow('write failed');
		expect(calls).toEqual(['release']);
	});

	it('is kept after a failure once a write was sent, or when an abandoned attempt may have written', async () => {
		const sent = heldClaim(false);
		await expect(
			sent.claim.run(async () => {
				sent.claim.mayHaveWritten();
				fail();
			}),
		).rejects.toThrow('write failed');
		expect(sent.calls).toEqual([]);
		const takenOver = heldClaim(true);
		await expect(takenOver.claim.run(async () => fail())).rejects.toThrow('write failed');
		expect(takenOver.calls).toEqual([]);
	});

	it('is released once a search proved the record absent or the PSA refused the write', async () => {
		const { claim, calls } = heldClaim(true);
		await expect(
			claim.run(async () => {
				claim.provenAbsent();
				fail();
			}),
		).rejects.toThrow('write failed');
		expect(calls).toEqual(['release']);
	});

	it('is kept but expired at once when a record may exist and nothing this run sent can still commit', async () => {
		const { claim, calls } = heldClaim(true);
		await expect(
			claim.run(async () => {
				claim.nothingInFlight();
				fail();
			}),
		).rejects.toThrow('write failed');
		expect(calls).toEqual(['expire']);
		const lost = heldClaim(false);
		await expect(
			lost.claim.run(async () => {
				lost.claim.nothingInFlight();
				lost.claim.mayHaveWritten();
				fail();
			}),
		).rejects.toThrow('write failed');
		expect(lost.calls).toEqual([]);
	});

	it('that another run took over stops the write and is never released', async () => {
		const { claim, calls } = heldClaim(false, false);
		let wrote = false;
		await expect(
			claim.run(async () => {
				await claim.hold();
				wrote = true;
			}),
		).rejects.toThrow('taken over');
		expect(wrote).toBe(false);
		expect(calls).toEqual(['refresh']);
	});
});
