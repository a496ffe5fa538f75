// Checks every successful request a sandbox suite sent against the OpenAPI subset (and the Go client for the operations the subset lacks), after each test, and prints the counts.
import type { RequestLogEntry, Sandbox } from '../sandbox';
import { OPENAPI_FILE, loadOpenApiContract, validateExchanges } from './openapi';

/**
 * Which logged exchanges are checked: only answered 2xx ones. Requests a test makes invalid on purpose (bad bodies,
 * unknown references, missing auth, injected faults) are answered 4xx/5xx or dropped, and are not the API's contract.
 */
export function isContractExchange(entry: RequestLogEntry): boolean {
	return entry.status >= 200 && entry.status < 300 && entry.fault === undefined;
}

/**
 * Registers afterEach/afterAll hooks in the calling suite: after each test, the exchanges logged since the last check
 * that `include` accepts (default: isContractExchange) must have zero violations. `sandbox` is read inside the hooks.
 */
export function checkSuiteAgainstContract(suite: string, sandbox: () => Sandbox, include: (entry: RequestLogEntry) => boolean = isContractExchange): void {
	const seen = new WeakSet<RequestLogEntry>();
	const totals = { violations: 0, exchanges: 0, excluded: 0, requests: 0, responses: 0, skipped: {} as Record<string, number>, checkedBy: {} as Record<string, number> };
	afterEach(() => {
		const fresh = sandbox().requests.filter((entry) => !seen.has(entry));
		for (const entry of fresh) seen.add(entry);
		const checked = fresh.filter(include);
		totals.excluded += fresh.length - checked.length;
		if (!loadOpenApiContract()) return;
		const report = validateExchanges(checked);
		totals.exchanges += checked.length;
		totals.requests += report.requestsChecked;
		totals.responses += report.responsesChecked;
		for (const [reason, count] of Object.entries(report.skipped)) totals.skipped[reason] = (totals.skipped[reason] ?? 0) + count;
		for (const [name, count] of Object.entries(report.checkedBy)) totals.checkedBy[name] = (totals.checkedBy[name] ?? 0) + count;
		totals.violations += report.violations.length;
		expect(report.violations).toEqual([]);
	});
	afterAll(() => {
		if (!loadOpenApiContract()) {
			console.log(`${suite}: OpenAPI contract NOT checked: ${OPENAPI_FILE} does not exist.`);
			return;
		}
		const skipped = Object.entries(totals.skipped)
			.map(([reason, count]) => `${count} ${reason}`)
			.join('; ');
		const by = Object.entries(totals.checkedBy)
			.map(([name, count]) => `${count} by the ${name}`)
			.join(', ');
		console.log(
			`${suite}: OpenAPI contract over ${totals.exchanges} 2xx exchanges: ${totals.requests} requests${by ? ` (${by})` : ''} and ${totals.responses} responses checked, ${totals.violations} violations; ` +
				`${totals.excluded} exchanges excluded by the filter (non-2xx, faulted, dropped or named by the suite)${skipped ? `; skipped by the checker: ${skipped}` : ''}`,
		);
	});
}
