// Jest global teardown: stops what global setup started.
export default async function globalTeardown(): Promise<void> {
	const server = globalThis.__psaTestPostgres;
	if (server) {
		globalThis.__psaTestPostgres = undefined;
		await server.stop();
	}
}
