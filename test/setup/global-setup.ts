// Jest global setup: prepares process-wide test fixtures once per run (one PostgreSQL server for the store suite).
import { PG_ERROR_ENV, PG_URL_ENV, startPostgres, type RunningPostgres } from '../helpers/postgres';

declare global {
	var __psaTestPostgres: RunningPostgres | undefined;
}

export default async function globalSetup(): Promise<void> {
	process.env.N8N_LOG_LEVEL = 'silent';
	if (process.env[PG_URL_ENV]) return;
	try {
		const server = await startPostgres();
		globalThis.__psaTestPostgres = server;
		process.env[PG_URL_ENV] = server.url;
	} catch (error) {
		// Not fatal for the whole run: suites that need PostgreSQL fail with this reason (see test/helpers/postgres.ts).
		process.env[PG_ERROR_ENV] = (error as Error).message;
		console.log(`PostgreSQL for the store suite is not available: ${(error as Error).message}`);
	}
}
