// Jest global setup: prepares process-wide test fixtures once per run.
export default async function globalSetup(): Promise<void> {
	process.env.N8N_LOG_LEVEL = 'silent';
}
