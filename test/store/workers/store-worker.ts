// A separate OS process for the store's multi-process tests: opens a store, waits for "go", migrates or claims, reports JSON.
import { randomBytes } from 'node:crypto';
import { migrations } from '../../../migrations';
import { openStore, type StoreOptions } from '../../../lib/store';

interface Job {
	/** 'hang-in-migration': opens the store and stops inside its migrations, after `hangAfter` ran, until it is killed. */
	mode: 'open' | 'claim' | 'hang-in-migration';
	options: StoreOptions;
	connectionId?: string;
	source?: string;
	count?: number;
	/** Claims in flight at once inside this process (the pool lets PostgreSQL run them in parallel). */
	parallel?: number;
	hangAfter?: string;
}

function say(message: unknown): void {
	process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function waitForGo(): Promise<void> {
	await new Promise<void>((resolve) => {
		process.stdin.on('data', () => resolve());
		process.stdin.on('end', () => resolve());
	});
}

async function main(): Promise<void> {
	const job = JSON.parse(process.argv[2]) as Job;
	if (job.mode === 'open') {
		// Everyone opens at once: the barrier is before openStore, so migrations and key creation race for real.
		say({ ready: true });
		await waitForGo();
		const started = Date.now();
		try {
			const store = await openStore(job.options);
			await store.connections.touch(`conn-${process.pid}`, 'connectwise', 'worker');
			say({ ok: true, applied: store.appliedMigrations, elapsedMs: Date.now() - started });
			await store.close();
		} catch (error) {
			say({ ok: false, error: (error as Error).message });
		}
		return;
	}

	if (job.mode === 'hang-in-migration') {
		say({ ready: true });
		await waitForGo();
		const hanging = Object.fromEntries(
			Object.entries(migrations).map(([name, migration]) => [
				name,
				name !== job.hangAfter
					? migration
					: {
							// eslint-disable-next-line @typescript-eslint/no-explicit-any
							async up(db: any) {
								await migration.up(db);
								say({ migrated: name });
								// Held open (a timer keeps the process alive) until the test kills the process.
								await new Promise(() => setInterval(() => undefined, 1000));
							},
						},
			]),
		);
		await openStore(job.options, { migrations: hanging });
		return;
	}

	const store = await openStore(job.options);
	const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
	say({ ready: true, token });
	await waitForGo();
	const claimed: string[] = [];
	const errors: string[] = [];
	const count = job.count ?? 1000;
	// Each process walks the ids in its own random order, so collisions happen all over the range, not only at a front.
	const order = Array.from({ length: count }, (_, index) => index);
	for (let index = order.length - 1; index > 0; index--) {
		const other = randomBytes(4).readUInt32BE(0) % (index + 1);
		[order[index], order[other]] = [order[other], order[index]];
	}
	let nextIndex = 0;
	const started = Date.now();
	const lane = async () => {
		while (nextIndex < count) {
			const externalId = `ext-${order[nextIndex++]}`;
			try {
				const result = await store.links.claim(job.connectionId!, job.source!, externalId, token);
				if (result.claimed) claimed.push(externalId);
			} catch (error) {
				errors.push(`${externalId}: ${(error as Error).message}`);
			}
		}
	};
	await Promise.all(Array.from({ length: job.parallel ?? 1 }, lane));
	const elapsedMs = Date.now() - started;
	await store.close();
	say({ token, claimed, errors, elapsedMs });
}

main().catch((error) => {
	say({ fatal: (error as Error).message });
	process.exitCode = 1;
});
