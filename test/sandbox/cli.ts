// Starts the sandbox standalone: `npm run sandbox -- --port 8080 [--latency ms] [--rate-limit n] [--current-version 2025.8]`.
import { startSandbox } from './server';

function readArguments(argv: string[]): { port: number; latencyMs: number; rateLimitPerSecond: number; currentVersion?: string } {
	const values: Record<string, string> = {};
	for (let index = 0; index < argv.length; index++) {
		const argument = argv[index];
		const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
		if (!match) throw new Error(`Unexpected argument '${argument}'`);
		const value = match[2] ?? argv[++index];
		if (value === undefined) throw new Error(`--${match[1]} needs a value`);
		values[match[1]] = value;
	}
	const known = ['port', 'latency', 'rate-limit', 'current-version'];
	for (const name of Object.keys(values)) {
		if (!known.includes(name)) throw new Error(`Unknown option --${name} (known: ${known.map((option) => `--${option}`).join(', ')})`);
	}
	const integer = (name: string, fallback: number) => {
		if (values[name] === undefined) return fallback;
		if (!/^\d+$/.test(values[name])) throw new Error(`--${name} must be a whole number, got '${values[name]}'`);
		return Number(values[name]);
	};
	return {
		port: integer('port', 8080),
		latencyMs: integer('latency', 0),
		rateLimitPerSecond: integer('rate-limit', 0),
		currentVersion: values['current-version'],
	};
}

async function main(): Promise<void> {
	let options;
	try {
		options = readArguments(process.argv.slice(2));
	} catch (error) {
		console.error((error as Error).message);
		process.exit(2);
	}
	const sandbox = await startSandbox(options);
	const { credentials } = sandbox;
	console.log(`ConnectWise sandbox listening on ${sandbox.url}`);
	console.log(`  API base URL   ${sandbox.apiBaseUrl}`);
	console.log(`  Site           ${credentials.site}`);
	console.log(`  Company ID     ${credentials.companyId}`);
	console.log(`  Public key     ${credentials.publicKey}`);
	console.log(`  Private key    ${credentials.privateKey}`);
	console.log(`  Client ID      ${credentials.clientId}`);
	console.log(`  API versions   ${sandbox.versions.supported.join(', ')} (current ${sandbox.versions.current})`);
	console.log(`  Control        ${sandbox.url}/__sandbox/ (faults, latency, rate-limit, requests, counters, deliveries)`);
	let stopping = false;
	const stop = (signal: string) => {
		if (stopping) return;
		stopping = true;
		console.log(`${signal}: stopping the sandbox`);
		sandbox.stop().then(
			() => process.exit(0),
			(error: unknown) => {
				console.error(error);
				process.exit(1);
			},
		);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
}

void main().catch((error: unknown) => {
	console.error((error as Error).message ?? error);
	process.exit(1);
});
