// Liveness as an invariant (virtual time, fixed seed): at 30% 500s every alert gets its one ticket within a minute, on both PSAs.
import { LIVENESS_MIXES, describeLiveness, measureLiveness } from './liveness';
import { PSA_NAMES } from './targets';

const SEED = Number(process.env.LIVENESS_SEED ?? 25);

describe.each(PSA_NAMES)('%s', (psa) => {
	it("at 30% answered 500s on creates and searches, every alert has its one ticket within 60 s (resent every 15 s)", async () => {
		const result = await measureLiveness(psa, LIVENESS_MIXES[0], 40, SEED);
		console.log(describeLiveness(result));
		expect(result.duplicates).toBe(0);
		expect(result.withoutTicket).toBe(0);
		expect(result.max).toBeLessThan(60);
		expect(result.faultsMet).toBeGreaterThan(0);
	});

	it('with half of the 500s after the commit, the committed tickets are adopted, never doubled', async () => {
		const result = await measureLiveness(psa, LIVENESS_MIXES[1], 40, SEED);
		console.log(describeLiveness(result));
		expect(result.duplicates).toBe(0);
		expect(result.withoutTicket).toBe(0);
		expect(result.max).toBeLessThan(60);
	});
});
