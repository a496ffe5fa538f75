// Scenario 8: PSA Note > Add Time Entry for N items in one execution (ConnectWise): requests per item against the minimum, items/s, and the same items again (0 requests).
import './preload';
import { chainWorkflow } from '../test/engine/setup';
import { BOARD_ID, COMPANY_ID } from './workflows';
import { SMALL, endpointList, fixed, log, ms, requestCounts, runAlone, scaled, table, timed, type RequestCounts, type Section } from './common';
import { startBench, type BenchFixture } from './engine';

const LATENCY_MS = 50;
const NODE = 'PSA Note';
/** The sandbox's member with this email (john.smith, member 150). */
const MEMBER_EMAIL = 'john.smith@acme.example';

interface PassResult {
	pass: string;
	items: number;
	counts: RequestCounts;
	wallMs: number;
	deduplicated: number;
}

/** Each item logs 12 minutes of remediation on its own ticket, by the technician's email (PSA Note resolves the member). */
function timeEntryWorkflow(ticketIds: number[]) {
	return chainWorkflow(
		[
			{
				name: NODE,
				type: 'psaNote',
				parameters: {
					operation: 'addTimeEntry',
					ticketBy: 'ticket',
					ticket: { __rl: true, mode: 'id', value: '={{ $json.ticketId }}' },
					memberBy: 'identity',
					memberIdentity: MEMBER_EMAIL,
					memberIdentitySource: 'email',
					start: '={{ $json.start }}',
					periodBy: 'duration',
					durationMinutes: 12,
					notes: '={{ "Remediation script restarted the service on ticket " + $json.ticketId }}',
					additionalFields: {},
				},
			},
		],
		ticketIds.map((ticketId, index) => ({ ticketId, start: new Date(Date.UTC(2026, 2, 2, 8) + index * 60_000).toISOString() })),
	);
}

async function pass(fx: BenchFixture, label: string, ticketIds: number[]): Promise<PassResult> {
	fx.sandbox.resetLog();
	const { result, ms: wallMs } = await timed(() => fx.engine.run(timeEntryWorkflow(ticketIds)));
	if (result.error) throw new Error(`time entries (${label}) failed: ${result.error.message}`);
	const output = result.output(NODE);
	if (output.length !== ticketIds.length) throw new Error(`time entries (${label}): ${output.length} items out of ${ticketIds.length}`);
	const counts = requestCounts(fx.sandbox);
	const deduplicated = output.filter((item) => item.json.deduplicated === true).length;
	log(`time entries, ${label}: ${ticketIds.length} items, ${counts.total} requests ${JSON.stringify(counts.byEndpoint)}, ${deduplicated} deduplicated, ${wallMs.toFixed(0)} ms`);
	return { pass: label, items: ticketIds.length, counts, wallMs, deduplicated };
}

export async function run(): Promise<Section> {
	const count = scaled(1000, 30);
	const fx = await startBench({ latencyMs: LATENCY_MS });
	let results: PassResult[];
	let stored: number;
	try {
		const ticketIds = Array.from({ length: count + 1 }, (_, index) => fx.sandbox.addTicket({ summary: `[time-${index}] Service down`, company: { id: COMPANY_ID }, board: { id: BOARD_ID } }).id as number);
		// Warm-up on its own ticket: module loading, the store's migrations and the codebase lookup stay out of the figures.
		await pass(fx, 'warm-up', ticketIds.slice(count));
		results = [await pass(fx, 'new entries', ticketIds.slice(0, count)), await pass(fx, 'same items again', ticketIds.slice(0, count))];
		stored = fx.sandbox.db.timeEntries.filter((entry) => ticketIds.slice(0, count).includes(entry.chargeToId as number)).length;
	} finally {
		await fx.stop();
	}
	const [first, again] = results;
	// The minimum: one POST per entry. The email's member was looked up in the warm-up and is remembered (the member
	// map), so a lookup here would be a request too many.
	const minimum = count;
	const markdown = [
		`${SMALL ? 'BENCH_SCALE=small. ' : ''}PSA Note > Add Time Entry for ${count} items in one execution on ConnectWise (Concurrency Automatic), sandbox latency ${LATENCY_MS} ms; each item logs 12 minutes on its own ticket for the technician given by email (${MEMBER_EMAIL}). The minimum is one POST /time/entries per entry: the warm-up entry (on another ticket) looked the email's member up once, with the codebase lookup, the store's migrations and the module loading, and the member is remembered from then on; the same items again must send nothing (each entry is remembered by its key). Entries in the sandbox afterwards: ${stored} for ${count} items.`,
		'',
		table(
			['pass', 'items', 'requests', 'requests/item', 'minimum', 'deduplicated', 'wall time', 'items/s', 'requests by endpoint'],
			results.map((result) => [
				result.pass,
				result.items,
				result.counts.total,
				fixed(result.counts.total / result.items, 3),
				result === first ? minimum : 0,
				result.deduplicated,
				ms(result.wallMs),
				fixed(result.items / (result.wallMs / 1000), 1),
				endpointList(result.counts.byEndpoint),
			]),
		),
	].join('\n');
	return {
		title: '8. Time entries',
		markdown,
		targets: [
			{
				target: 'Add Time Entry: one POST per entry (the member looked up once, then remembered), the same items again 0 requests, one entry per item in the PSA',
				measured: `${count} entries: ${first.counts.total} requests (minimum ${minimum}), ${fixed(count / (first.wallMs / 1000), 1)} items/s; again: ${again.counts.total} requests, ${again.deduplicated} deduplicated; ${stored} entries stored`,
				met: first.counts.total === minimum && again.counts.total === 0 && again.deduplicated === count && stored === count,
			},
		],
	};
}

runAlone(module, run);
