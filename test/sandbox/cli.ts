// Starts a sandbox standalone: `npm run sandbox -- [--psa connectwise|autotask|halopsa] --port 8080 [--latency ms] [--rate-limit n] [--current-version 2025.8] [--thread-limit n]`.
import { startAutotaskSandbox } from './autotask';
import { startHaloSandbox } from './halopsa';
import { startSandbox } from './server';

interface Arguments {
	psa: 'connectwise' | 'autotask' | 'halopsa';
	port: number;
	latencyMs: number;
	rateLimitPerSecond: number;
	currentVersion?: string;
	threadLimit?: number;
}

function readArguments(argv: string[]): Arguments {
	const values: Record<string, string> = {};
	for (let index = 0; index < argv.length; index++) {
		const argument = argv[index];
		const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
		if (!match) throw new Error(`Unexpected argument '${argument}'`);
		const value = match[2] ?? argv[++index];
		if (value === undefined) throw new Error(`--${match[1]} needs a value`);
		values[match[1]] = value;
	}
	const known = ['psa', 'port', 'latency', 'rate-limit', 'current-version', 'thread-limit'];
	for (const name of Object.keys(values)) {
		if (!known.includes(name)) throw new Error(`Unknown option --${name} (known: ${known.map((option) => `--${option}`).join(', ')})`);
	}
	const integer = (name: string, fallback: number) => {
		if (values[name] === undefined) return fallback;
		if (!/^\d+$/.test(values[name])) throw new Error(`--${name} must be a whole number, got '${values[name]}'`);
		return Number(values[name]);
	};
	const psa = values.psa ?? 'connectwise';
	if (psa !== 'connectwise' && psa !== 'autotask' && psa !== 'halopsa') throw new Error(`--psa must be connectwise, autotask or halopsa, got '${psa}'`);
	// Each option belongs to one PSA; a misplaced one is refused rather than silently ignored.
	if (psa !== 'connectwise' && values['current-version'] !== undefined) throw new Error('--current-version applies to --psa connectwise only');
	if (psa !== 'autotask' && values['thread-limit'] !== undefined) throw new Error('--thread-limit applies to --psa autotask only');
	return {
		psa,
		// Different defaults so both sandboxes can run side by side.
		port: integer('port', psa === 'autotask' ? 8081 : psa === 'halopsa' ? 8082 : 8080),
		threadLimit: values['thread-limit'] === undefined ? undefined : integer('thread-limit', 3),
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
	const sandbox = options.psa === 'autotask' ? await startAutotask(options) : options.psa === 'halopsa' ? await startHalo(options) : await startConnectWise(options);
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

async function startAutotask(options: Arguments): Promise<{ stop(): Promise<void> }> {
	const sandbox = await startAutotaskSandbox({ port: options.port, latencyMs: options.latencyMs, rateLimitPerSecond: options.rateLimitPerSecond, threadLimit: options.threadLimit });
	const { credentials } = sandbox;
	console.log(`Autotask sandbox listening on ${sandbox.url}`);
	console.log(`  Zone URL          ${credentials.zoneUrl}`);
	console.log(`  API base URL      ${sandbox.apiBaseUrl}`);
	console.log(`  Username          ${credentials.username}`);
	console.log(`  Secret            ${credentials.secret}`);
	console.log(`  Integration code  ${credentials.integrationCode}`);
	console.log(`  Read-only user    ${sandbox.restrictedCredentials.username} / ${sandbox.restrictedCredentials.secret}`);
	console.log(`  API versions      ${sandbox.versions.join(', ')}`);
	console.log(`  Control           ${sandbox.url}/__sandbox/ (faults, latency, rate-limit, thread-limit, versions, requests, counters, deliveries, db)`);
	return sandbox;
}

async function startHalo(options: Arguments): Promise<{ stop(): Promise<void> }> {
	// --rate-limit n: n requests per second, as Halo's window budget (third parties: about 500 per 3 minutes).
	const sandbox = await startHaloSandbox({ port: options.port, latencyMs: options.latencyMs, ...(options.rateLimitPerSecond ? { requestBudget: options.rateLimitPerSecond, budgetWindowMs: 1000 } : {}) });
	const { credentials } = sandbox;
	console.log(`HaloPSA sandbox listening on ${sandbox.url}`);
	console.log(`  Tenant (resource) URL  ${credentials.resourceUrl}`);
	console.log(`  Authorisation URL      ${sandbox.authUrl} (derived from the tenant URL when the credential leaves it empty)`);
	console.log(`  Client ID              ${credentials.clientId}`);
	console.log(`  Client secret          ${credentials.clientSecret}`);
	console.log(`  Scope                  ${credentials.scope}`);
	console.log(`  Read-only client       ${sandbox.restrictedCredentials.clientId} / ${sandbox.restrictedCredentials.clientSecret}`);
	console.log(`  Tenant version         ${sandbox.version}`);
	console.log(`  Control                ${sandbox.url}/__sandbox/ (faults, latency, budget, version, revoke-tokens, requests, counters, deliveries, db)`);
	return sandbox;
}

async function startConnectWise(options: Arguments): Promise<{ stop(): Promise<void> }> {
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
	return sandbox;
}

void main().catch((error: unknown) => {
	console.error((error as Error).message ?? error);
	process.exit(1);
});
