// The part of docs/benchmarks.md that explains missed targets: the causes found by profiling, what remains and why.
import type { TargetResult } from './common';

const SECTIONS: Array<{ match: string; text: string }> = [
	{
		match: '>= 2.5x fewer requests',
		text: `### Requests: 2.5x fewer than the naive workflow (unreachable by construction)

The package is at the minimum the issue defines (table 1: exactly 3 requests per new alert + 1 board status list + 1 codebase lookup, 2 per known alert). The naive workflow makes 5 and 4. So the ratio is at most 5/3 = 1.67x for a new alert, 4/2 = 2x for a known alert whose status changes, and 9/5 = 1.8x over both passes; 2.5x is only reachable when PSA Status has nothing to do (status unchanged: 4/1 = 4x). The issue's own minima make the target unreachable for this workflow without dropping a call the job needs; nothing in the code is left to fix for it.`,
	},
	{
		match: '>= 8x faster at 50 ms',
		text: `### Speed at 50 ms: 8x faster than the HTTP Request workflow one item at a time

One item at a time the HTTP Request workflow waits for 5 round trips per new alert (250 ms at 50 ms latency) and 4 per known alert. With Concurrency Automatic the PSA nodes start up to 128 items and the connection's limiter lets as many requests go as the PSA takes (slow start from 4, limited above 16, ceiling 256), so the round trips overlap and the bound is CPU time per item, not latency: table 1's 0 ms batch is that floor. At the former fixed default of 4 the ceiling was 4 x 9/5 = 7.2x over both passes by round trips alone (the row "Concurrency 4" of table 1). Where this target is missed, the run's CPU time per item (busy machine: see the load average) exceeded 1/8 of the naive per-item time.`,
	},
	{
		match: 'Faster at 50 ms than the HTTP Request workflow with its defaults',
		text: `### Against the HTTP Request workflow's burst (1,000 new alerts at 50 ms, no rate limit)

n8n's HTTP Request node (v4) starts the request of every input item at once and awaits them together, so without a rate limit 1,000 alerts are 1,000 requests in flight per node. What held the PSA nodes back, measured in this pass (same-process runs of 1,000 new alerts, package and HTTP Request burst side by side, on a machine at load 4-6): (1) **the ramp**: the limiter's slow start ended at the first answer whose latency had doubled, and on a busy process that was its own event loop, not the PSA: the limit was cut at about 10 and grew by one per round trip, so PSA Link ran most of its items at 10-40 in flight; slow start now runs to the first throttle or the ceiling (doubling to 16, then 8 more per round trip); (2) **the item loop's 32** left the process idle between answers (a fifth of the CPU profile); Automatic now keeps 128 items started, under a default ceiling of 256; (3) **one WAL sync per claim on the event loop's thread**: better-sqlite3 is synchronous, so each durable claim's sync stalled every item in flight, a sixth of PSA Link's CPU profile; durable writes of the same event-loop turn now share one transaction and one sync (group commit, docs/state-store.md). PSA Link's share of the run fell from 4.8 s to 2.8 s for 600 alerts under the profiler; the ratio moved from 0.64-0.69x to 0.81x in scratch runs at load 4-6 (this table's run has the figure). What remains is CPU per item in one process on two shared cores: three PSA nodes evaluate their \`={{ }}\` parameters per item (n8n's expression engine, luxon), claim and complete a link and write audit rows in the store (durable claim with a WAL sync), and the in-process sandbox serves 3 requests per alert, against the HTTP Request workflow's 5 requests of plain HTTP per alert. Table 1's 0 ms rows give both flows' CPU floors: the package's 0 ms per-item time bounds its 50 ms time from below, and where it is above the HTTP Request workflow's 50 ms time per item, this ratio cannot reach 1x by adding concurrency. The package's own share of that floor is table 3 (store first); n8n's share is "Where the time goes at 0 ms" below. The price of the burst shows in table 2: under a rate limit the HTTP Request workflow fails at its first 429.`,
	},
	{
		match: 'Under the 100 requests/s limit at 50 ms',
		text: `### Under the 100 requests/s limit

The sandbox counts accepted requests over any sliding second and answers 429 with \`Retry-After: 1\` above 100. The limiter cannot know the limit before its first 429: slow start doubles the requests in flight per round trip up to 16 and then adds 8 per round trip, the first 100 requests of the run are all accepted, and the 429 then arrives for every request in flight at that moment. That one event is most of the 429 share: with 128 items started and plain doubling it met about 100 requests in flight (3% of a 1,000-alert run), which is why slow start is limited above 16 (about 40 in flight at the first 429: 18-30 429s, 0.6-1.0%, in this pass's scratch runs). After it the limiter pauses the whole connection for the Retry-After second (the server asked for it) and caps the rate at 95% of what was sent in the second before the first refused request (all of which the PSA accepted; counting answers alone missed the accepted requests still in flight and learned 88 for 100), then probes upward by 0.02% per second. The arithmetic of the target: 3,000 useful requests at 95 requests/s take 31.6 s, plus the 1 s pause and the ramp: about 33 s, i.e. 90-91 useful requests/s at best with a 5% margin under the limit; each later 429 (the probe meeting the limit when arrivals bunch on a busy process) costs another second's pause, about 3 requests/s. On a busy machine (load average above the core count) CPU per item and such bunching hold the run below 90.`,
	},
	{
		match: 'Against the Autotask sandbox with its thread limit',
		text: `### Against the Autotask sandbox's thread limit: within 10% of 3 requests in flight per endpoint

The limit itself holds: table 2's Autotask rows show 0 thread-limit refusals and at most 3 requests in flight per endpoint in every setup (embedded store, PostgreSQL store with slots leased in the store; sandbox in its own process or in the engine's), and 0 errors reaching the user. What is missed is the last part of the throughput, and the per-node table says where it goes:

1. **Not the limiter's waits.** The request layer holds every item's request until its endpoint has a free slot; with Automatic the node keeps up to 128 items started, so a freed slot always has a waiter, which it is handed to at once (in the same tick). The nodes' first request reaches the sandbox within a few tens of ms of the node's start, and the last answer comes within a few ms of its end: the loss is spread evenly over the steady state (the slot cycle column), not at the ends.
2. **Not serialisation between endpoints within a node.** Each node uses one endpoint (Link: POST Tickets; Note: TicketNotes; Status: PATCH Tickets); the ideal already runs them one node after the other, as n8n does. Overlapping Tickets and TicketNotes would need several executions at once (the queue-mode scale test's case), not the package.
3. **The slot cycle: each request holds its slot for the latency plus what it costs around it.** A slot is taken just before the request is handed to n8n's HTTP helper and given back once the answer is read and classified, so it covers the client's side of the request: n8n's request helper (the credential applied to each request, axios, a new connection per request), the answer's parsing, and the sandbox's own handling, which Autotask does not count (a thread there lasts from the request's arrival to its answer). Scratch measurements on this machine while profiling (the same 300 POST Tickets at 50 ms against the sandbox, 3 at a time): plain fetch with nothing else reached 92.7% of the ideal (a cycle of 53.9 ms: the sandbox's timer and HTTP handling on a shared 2-core machine); the package's provider alone (lib/, fetch transport, the connection's limiter) 91.4% (54.7 ms); through n8n's engine the cycle is 56-60 ms in the full run (table; 56-65 ms in development runs), i.e. about 2-5 ms more per request than the provider alone for n8n's per-request HTTP path and the node's per-item work that falls between an answer and the next request. With the PostgreSQL store each request also takes and gives back a slot row in the store (one conditional UPDATE per slot tried, the release not awaited); in one process that stays within a point or two of the embedded store (table), since the process's own limiter already keeps the requests to 3 and a store slot is nearly always free when it asks.
4. **The event loop is not saturated**: its mean delay stays around 1 ms (table), so this is per-request latency on the client's side, not a CPU queue; on a busier machine it grows.

So the package reaches the thread limit without tripping it and loses 10-20% to the time a slot is held around each request. What would close the gap lies outside this bench: taking the slot after n8n has prepared the request and giving it back as soon as the answer's status is known (the request layer, lib/providers/request.ts) would shorten each hold by the client's share, but n8n's helper prepares and sends in one call, so the package cannot take the slot in between; a real Autotask zone's latency (100-300 ms) makes the same few ms a smaller share (at 100 ms the same cycle overhead is 5-10%).`,
	},
	{
		match: 'Package overhead per item (no n8n',
		text: `### Overhead: 1 ms per new alert, 0.5 ms per known alert

The connection limiter added by issue #19 costs well under a microsecond per request uncongested (table 3 gives the figure), about 0.002 ms per alert: it is not where the time goes. Table 3 splits the overhead; "of which store" and the per-method table show the store's share. What this pass changed, each measured before and after (commit messages hold the numbers):

1. **Store writes per alert.** A new alert used to write about 8 transactions and 5 sealed audit rows (an echo row before each change, plus \`link.created\` / \`status.set\`, plus a claim refresh right after the claim). Now one audit row per ticket change also serves as the trigger's echo record, PSA Link completes its claim and records the creation in one transaction, and no refresh follows a fresh claim: 4 transactions and 3 sealed rows per new alert, 2 per known alert.
2. **Durability, not speed.** The analysis before this pass blamed an fsync per commit (\`synchronous=FULL\`). Measured: the store already ran \`synchronous=NORMAL\`, because better-sqlite3 builds SQLite with \`SQLITE_DEFAULT_WAL_SYNCHRONOUS=1\`; no commit was synced, claims included, so a power loss could erase a claim whose ticket existed. Now claims (and the trigger's delivery guard) commit with FULL and wait for the WAL sync; that adds one sync (about 0.2-0.3 ms here, table 4's claim row) per new link or deduplicated note. docs/state-store.md has the model.
3. **Compile and prepare per call.** Kysely compiled every query and better-sqlite3 prepared it again on every execution. SQLite statements are now kept prepared by SQL text, and the hot queries (link and receipt lookups and claims, link complete, member-map lookup, the audit insert) are compiled once: \`links.find\` is now about twice the raw prepared statement's time (table 4; it was four to five times).
4. **Outputs.** \`plain()\` (nodes/shared/descriptions.ts) builds each output in one pass instead of a JSON round trip.

What remains of the package's own time for a new alert is in the per-method table: the durable claim (its WAL sync is the largest single item, kept on purpose), the complete-and-record transaction, and the audit rows of the note and the status. Within those, sealing: each audit row is a Fernet token, and lib/crypto/fernet.ts passes its raw key bytes to \`createCipheriv\` / \`createHmac\` on every call, so Node builds a key object each time: 38-41 us per seal here against 8-9 us with key objects made once (\`crypto.createSecretKey\`), about 0.1 ms per new alert (3 seals). That file is outside this pass's area; the change is two lines in the Fernet constructor. Then Kysely's per-query runtime (promises, connection mutex, result objects). The per-method times in the library run also include the in-process sandbox's socket work that runs while a store call awaits, so they read higher than the isolated calls of table 4.

The rest of the overhead through the engine (table 3, first table, minus the package's share) is n8n's own; see "Where the time goes at 0 ms" below.`,
	},
	{
		match: 'Overhead <= 1 ms per item through n8n',
		text: `### Overhead through n8n's engine

The stricter reading counts n8n's own work per item: table 3's first table minus the package's share (its second table). Most of it is n8n evaluating the nodes' \`={{ }}\` parameters (an expression context with luxon dates per evaluation) and n8n's HTTP helper (axios, a new connection per request); both are paid per parameter and per request by every node, the HTTP Request node included (which makes more requests). See "Where the time goes at 0 ms" below. The package cannot reach 1 ms per item for n8n's share; its own share is what the target "Package overhead <= 1 ms" measures.`,
	},
	{
		match: 'p99 link lookup < 1 ms at 1,000,000 links (postgres)',
		text: `### PostgreSQL p99 lookup at 1M links

The lookup is a primary-key B-tree probe (p50 well under 1 ms at every size in table 4; bytes per link show the index is in place), now a query compiled once. The p99 is made of the other work on this machine: the PostgreSQL server, the benchmark process and other jobs share two cores, and a find is a pool checkout plus one round trip over loopback TCP, so any descheduling lands in the tail (see the max column and the load average in the Machine table). On an idle machine it stays under 1 ms; the code has nothing to fix for it that this run can show.`,
	},
	{
		match: 'p99 link lookup < 1 ms at 1,000,000 links (sqlite)',
		text: `### SQLite p99 lookup at 1M links

See table 4: the p50 is far under 1 ms and near the raw prepared statement; the tail comes from scheduling noise on a shared machine.`,
	},
	{
		match: 'RSS growth < 150 MB',
		text: `### Memory: RSS growth for 10,000 items

Table 5 separates what is retained from what is transient. The JS heap that stays live while n8n holds the execution data grows by about 2 KB per item: the items' JSON that n8n keeps in the execution's run data for every node (the PSA Link output carries the created ticket, the PSA Note output the created note); n8n keeps every item until the execution is saved. The RSS peak is far above that: heap that V8 commits under the execution's allocation rate, which glibc and V8 do not hand back right after GC (RSS after release stays near the peak), so the peak varies by tens of MB between runs.

Who allocates (bench/profile-alloc.ts, 1,000 alerts through Link + Note in the engine, collected objects included): about 850 KB per item, of which n8n's code about 75% (n8n-workflow's expression evaluation 37%, luxon 12% (date objects built for every expression), axios and n8n's HTTP stack about 25%), the package about 12% (Kysely's per-query runtime about 6%, Fernet sealing about 2%, the provider, services, store and nodes the rest). This pass cut the package's share (fewer store writes, queries compiled once, no JSON round trip per output); the rest is n8n's and is paid by any workflow of the same size, the HTTP Request one included. Users processing tens of thousands of items in one execution can bound the peak with Loop Over Items.

**Where the peak's megabytes are (this pass, measured).** Two runs of this scenario on a machine at load 4-5: growth 291 MB with Automatic (128 items in flight) and 289 MB with Concurrency 32, so the items in flight are not what grows it. At the peak the JS heap held 234-398 MB used of 456-493 MB committed, against 91 MB before and 116 MB after a full GC with the execution data still held: the execution's retained data is about 25 MB (2.5-2.8 KB per item, the items' JSON in n8n's run data), and the rest of the peak is heap V8 let grow between full collections (garbage not yet collected, and committed pages it keeps). bench/profile-alloc.ts with PROFILE_HEAP_MB=350 (10,000 items, the sampling heap profiler stopped when the heap first held 350 MB) found 28.9 MB of objects allocated during the execution still in the heap at that moment: the in-process sandbox 29%, the package 27% (about 8 MB: the output items built in nodes/shared/descriptions.ts 10%, link.ts 5%, the ConnectWise provider's parsed tickets 4%, ticket-state 4%, the item loop 3%), n8n-core, axios and n8n's HTTP stack 25%, Node internals 14%. The package's live share at the peak is therefore under 10 MB; the hundreds of MB between the retained set and the peak are the engine process's heap sizing under n8n's allocation rate (about 850 KB allocated per item, three quarters of it n8n's), which the package cannot set (V8's heap limits are the n8n process's flags).`,
	},
];

/** Not a target: the profile behind the 0 ms batch figures (table 1), from bench/profile-batch.ts under node --cpu-prof. */
const PROFILE_0MS = `## Where the time goes at 0 ms

Table 1's 0 ms batch (all items in one execution, Concurrency 4) is CPU-bound: the sandbox, n8n, its HTTP client and the package share one Node process and two cores, and no request waits on a network. The previous run's ~22 / 17 ms per item was measured at a load average of 8.5 on two cores and before this pass's store changes; table 1 of this run has the current figures. While profiling, \`bench/profile-batch.ts\` ran the same 1,000 alerts in 7.9-9.6 ms per item (new) and 4.4-5.0 ms (again) under the profiler, with no growth per item as the count grows (300 items: 8.3 / 7.0 ms per item).

A CPU profile of that run (\`node --cpu-prof\`, 1,000 new + 1,000 known alerts, about 17 s of samples including start-up) splits as: n8n 42% (\`initializeGlobalContext\` and \`resolveSimpleParameterValue\` for every \`={{ }}\` parameter, luxon computing time-zone offsets for the \`$now\` / \`$today\` it builds per evaluation, axios and follow-redirects per request), Node's HTTP and sockets 9% (a new connection per request), module loading 10% (start-up), the sandbox 8%, the package 21% (store 10%: SQLite's own work, the claim's WAL sync and Kysely; lib 10%, half of it Fernet key setup; nodes 1%). SQLite time measured per statement inside the same run: 0.8 ms per new alert (0.4 ms of it the durable claim insert) and 0.2 ms per known alert. Store fsyncs were not the cause (there were none before this pass), nor the engine's item handling (no growth with the item count): the time is n8n's per-parameter expression evaluation and per-request HTTP stack, the in-process sandbox, and the package's store and sealing, in that order.`;
export function analysis(targets: TargetResult[]): string {
	const missed = targets.filter((target) => !target.met && !target.pending);
	if (missed.length === 0) return `## Missed targets\n\nNone in this run.\n\n${PROFILE_0MS}`;
	const parts = SECTIONS.filter((section) => section.text && missed.some((target) => target.target.startsWith(section.match)));
	const unexplained = missed.filter((target) => !SECTIONS.some((section) => target.target.startsWith(section.match)));
	return [
		'## Why targets were missed, and what remains',
		'',
		...parts.map((section) => `${section.text}\n`),
		...(unexplained.length > 0 ? ['Not analysed in this file: ' + unexplained.map((target) => target.target).join('; '), ''] : []),
		PROFILE_0MS,
	].join('\n');
}
