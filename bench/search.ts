// Scenario 7: PSA Ticket > Search with Return All over N matching tickets (ConnectWise): pages requested against the minimum ceil(N / page size), items/s.
import './preload';
import { MAX_PAGE_SIZE } from '../lib/providers/connectwise/paging';
import { chainWorkflow } from '../test/engine/setup';
import { BOARD_ID, COMPANY_ID } from './workflows';
import { SMALL, fixed, log, ms, requestCounts, runAlone, scaled, table, timed, type Section } from './common';
import { startBench } from './engine';

const LATENCY_MS = 50;
const SEARCH_ENDPOINT = 'GET /service/tickets';

interface SearchResult {
	matching: number;
	others: number;
	returned: number;
	pages: number;
	minimum: number;
	total: number;
	wallMs: number;
}

/** Seeds `matching` tickets the search finds among `others` it must not, then runs one search for all of them. */
async function measure(matching: number, others: number): Promise<SearchResult> {
	const fx = await startBench({ latencyMs: LATENCY_MS });
	try {
		const total = matching + others;
		let seededMatches = 0;
		for (let index = 0; index < total; index++) {
			// Spread over the whole id range, not one block: the search must skip the others on every page.
			const match = seededMatches < matching && index * matching >= seededMatches * total;
			if (match) seededMatches++;
			fx.sandbox.addTicket({ summary: match ? `[disk-full] host-${index}` : `[cpu-high] host-${index}`, company: { id: COMPANY_ID }, board: { id: BOARD_ID } });
		}
		const seeded = fx.sandbox.db.tickets.filter((ticket) => ticket.summary.startsWith('[disk-full]')).length;
		const workflow = chainWorkflow([
			{
				name: 'PSA Ticket',
				type: 'psaTicket',
				parameters: {
					operation: 'search',
					match: 'all',
					conditions: { condition: [{ field: 'summary', operator: 'contains', value: '[disk-full]' }] },
					filters: { state: 'open' },
					returnAll: true,
				},
			},
		]);
		// Warm-up: the connection's codebase lookup and the module loading stay out of the measured run.
		const warm = await fx.engine.run(chainWorkflow([{ name: 'PSA Ticket', type: 'psaTicket', parameters: { operation: 'search', match: 'all', conditions: {}, returnAll: false, limit: 1 } }]));
		if (warm.error) throw new Error(`search warm-up failed: ${warm.error.message}`);
		fx.sandbox.resetLog();
		const { result, ms: wallMs } = await timed(() => fx.engine.run(workflow));
		if (result.error) throw new Error(`search over ${seeded} tickets failed: ${result.error.message}`);
		const returned = result.output('PSA Ticket').length;
		if (returned !== seeded) throw new Error(`search returned ${returned} tickets, ${seeded} match`);
		const counts = requestCounts(fx.sandbox);
		const pages = counts.byEndpoint[SEARCH_ENDPOINT] ?? 0;
		log(`search: ${returned} of ${matching + others} tickets in ${pages} pages (${counts.total} requests) in ${wallMs.toFixed(0)} ms`);
		return { matching: seeded, others: matching + others - seeded, returned, pages, minimum: Math.ceil(seeded / MAX_PAGE_SIZE), total: counts.total, wallMs };
	} finally {
		await fx.stop();
	}
}

export async function run(): Promise<Section> {
	const sizes = SMALL ? [1, 1500] : [1, 999, 1000, 10_000];
	const results: SearchResult[] = [];
	for (const matching of sizes) results.push(await measure(matching, scaled(Math.max(2000, matching), 200)));
	const atMinimum = results.filter((result) => result.total === result.minimum);
	const largest = results[results.length - 1];
	return {
		title: '7. Ticket search paging',
		markdown: [
			`${SMALL ? 'BENCH_SCALE=small. ' : ''}PSA Ticket > Search (Return All) for open tickets whose summary contains \`[disk-full]\` on ConnectWise, sandbox latency ${LATENCY_MS} ms; the matching tickets are spread among others that must not come back. ConnectWise's largest page is ${MAX_PAGE_SIZE} tickets, so the minimum is ceil(matching / ${MAX_PAGE_SIZE}) requests; the package asks for forward-only paging and follows the Link header's next page, so a last full page needs no extra request when the answer carries no next link; the sandbox's forward-only paging (test/sandbox/query.ts) sends one only when more tickets follow, which is not confirmed against a live ConnectWise. The codebase lookup ran in a warm-up.`,
			'',
			table(
				['matching tickets', 'other tickets', 'returned', 'search requests', 'minimum', 'all requests', 'wall time', 'tickets/s'],
				results.map((result) => [result.matching, result.others, result.returned, result.pages, result.minimum, result.total, ms(result.wallMs), fixed(result.returned / (result.wallMs / 1000), 0)]),
			),
		].join('\n'),
		targets: [
			{
				target: 'Ticket search (Return All) makes the minimum ceil(N / 1000) requests',
				measured: `${atMinimum.length} of ${results.length} sizes at the minimum; ${largest.returned} tickets in ${largest.total} requests (minimum ${largest.minimum}), ${fixed(largest.returned / (largest.wallMs / 1000), 0)} tickets/s`,
				met: atMinimum.length === results.length,
			},
		],
	};
}

runAlone(module, run);
