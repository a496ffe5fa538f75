// Runs the end-to-end suite as named steps: prints each with its time, stops at the first failure, prints a summary.
export interface StepResult {
	name: string;
	ms: number;
	ok: boolean;
	error?: string;
}

/** `--only=<tag>`: run the steps with that tag and the setup steps they build on; the others are listed as skipped. */
export function onlyTagOf(argv: string[]): string | undefined {
	return argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length) || undefined;
}

export class Steps {
	readonly results: StepResult[] = [];
	readonly skipped: string[] = [];
	private readonly started = Date.now();

	constructor(private readonly only?: string) {}

	get failed(): boolean {
		return this.results.some((result) => !result.ok);
	}

	/**
	 * Runs `work` unless an earlier step failed (later steps build on earlier ones), or a selection (--only) leaves it out:
	 * a step tagged "setup" always runs, another only when untagged selections are off or its tag is the selected one.
	 */
	async run<T>(name: string, work: (log: (line: string) => void) => Promise<T>, tag?: string): Promise<T | undefined> {
		if (this.only !== undefined && tag !== 'setup' && tag !== this.only) {
			this.skipped.push(name);
			console.log(`- ${name}: skipped (--only=${this.only})`);
			return undefined;
		}
		if (this.failed) {
			console.log(`- ${name}: not run (an earlier step failed)`);
			return undefined;
		}
		const begin = Date.now();
		console.log(`> ${name}`);
		const log = (line: string) => console.log(`    ${line}`);
		try {
			const value = await work(log);
			const ms = Date.now() - begin;
			this.results.push({ name, ms, ok: true });
			console.log(`  ok ${name} (${seconds(ms)})`);
			return value;
		} catch (error) {
			const ms = Date.now() - begin;
			const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
			this.results.push({ name, ms, ok: false, error: message });
			console.log(`  FAILED ${name} (${seconds(ms)})\n${indent(message)}`);
			return undefined;
		}
	}

	summary(): string {
		const lines = this.results.map((result) => `  ${result.ok ? 'ok    ' : 'FAILED'} ${seconds(result.ms).padStart(7)}  ${result.name}`);
		const total = seconds(Date.now() - this.started);
		const passed = this.results.filter((result) => result.ok).length;
		const skipped = this.skipped.length > 0 ? `\n  ${this.skipped.length} steps skipped (--only=${this.only})` : '';
		return `e2e summary: ${passed}/${this.results.length} steps passed in ${total}\n${lines.join('\n')}${skipped}`;
	}
}

export function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(1)} s`;
}

function indent(text: string): string {
	return text
		.split('\n')
		.map((line) => `    ${line}`)
		.join('\n');
}

/** Throws with `message` unless `condition` holds; the suite's assertions read as sentences about n8n's behaviour. */
export function check(condition: unknown, message: string): asserts condition {
	if (!condition) throw new Error(message);
}
