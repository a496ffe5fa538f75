// The PostgreSQL store's clock: the database server's time, measured at open and again every minute, so every host ages claims alike.
import { sql, type Kysely } from 'kysely';
import type { StoreDatabase } from '../schema';

/** How often the PostgreSQL store measures its server's clock again (a VM resumed, NTP stepped the clock). */
const CLOCK_SYNC_MS = 60_000;

export interface ServerClock {
	now(): number;
	stop(): void;
}

/**
 * Claim times on PostgreSQL follow the database server's clock, not this process's: workers on several hosts compare
 * one another's claim ages, and a host whose clock is minutes ahead would take over a live claim (two tickets). The
 * offset is measured at open and every minute after (half the round trip as the error).
 */
export async function serverClock(db: Kysely<StoreDatabase>): Promise<ServerClock> {
	let offset = 0;
	const measure = async () => {
		const before = Date.now();
		const { rows } = await sql<{ now: number | string }>`select extract(epoch from clock_timestamp()) * 1000 as now`.execute(db);
		const after = Date.now();
		offset = Math.round(Number(rows[0].now) - (before + after) / 2);
	};
	await measure();
	const timer = setInterval(() => void measure().catch(() => undefined), CLOCK_SYNC_MS);
	timer.unref();
	return { now: () => Date.now() + offset, stop: () => clearInterval(timer) };
}
