// What a long `npm install` is doing, read from its --loglevel=info output: resolving, downloading, building native modules.

export interface InstallSnapshot {
	phase: 'resolving' | 'downloading' | 'building';
	/** Package manifests fetched while resolving the tree. */
	manifests: number;
	/** Package tarballs fetched (from the registry or npm's cache). */
	tarballs: number;
	/** Install scripts started and still running, by package (name@version). */
	running: string[];
	/** Install scripts that have finished. */
	scriptsDone: number;
}

// npm's info lines: "npm http fetch GET 200 https://registry/<name>/-/<name>-1.0.0.tgz 12ms (cache hit)",
// "npm info run sqlite3@5.1.7 install node_modules/sqlite3 node-gyp rebuild", "npm info run sqlite3@5.1.7 install { code: 0, signal: null }".
const FETCH = /^npm http fetch GET \d+ (\S+)/;
const RUN = /^npm info run (\S+) (preinstall|install|postinstall) (.*)$/;

export class InstallProgress {
	private pending = '';
	private readonly since = new Map<string, number>();

	constructor(private readonly now: () => number = Date.now) {}

	private readonly state: InstallSnapshot = { phase: 'resolving', manifests: 0, tarballs: 0, running: [], scriptsDone: 0 };

	/** Feed npm's output as it arrives (chunks may split lines). */
	write(chunk: string): void {
		const lines = (this.pending + chunk).split('\n');
		this.pending = lines.pop() ?? '';
		for (const line of lines) this.read(line.trim());
	}

	snapshot(): InstallSnapshot {
		return { ...this.state, running: [...this.state.running] };
	}

	/** One line for the console, e.g. "downloading and unpacking packages: 1210 so far". */
	describe(): string {
		const s = this.state;
		switch (s.phase) {
			case 'resolving':
				return `resolving n8n's dependency tree (${s.manifests} package manifests fetched)`;
			case 'downloading':
				return `downloading and unpacking packages (${s.tarballs} so far)`;
			case 'building':
				return s.running.length > 0
					? `running install scripts, native builds among them (${s.scriptsDone} done; now: ${s.running
							.slice(0, 3)
							.map((name) => `${name} for ${Math.round((this.now() - (this.since.get(name) ?? this.now())) / 1000)} s`)
							.join(', ')}${s.running.length > 3 ? ', ...' : ''})`
					: `running install scripts (${s.scriptsDone} done, ${s.tarballs} packages unpacked)`;
		}
	}

	private read(line: string): void {
		const fetch = FETCH.exec(line);
		if (fetch) {
			if (fetch[1].endsWith('.tgz')) {
				this.state.tarballs++;
				if (this.state.phase === 'resolving') this.state.phase = 'downloading';
			} else {
				this.state.manifests++;
			}
			return;
		}
		const run = RUN.exec(line);
		if (!run) return;
		this.state.phase = 'building';
		const [, pkg, , rest] = run;
		if (rest.startsWith('{')) {
			this.state.running = this.state.running.filter((name) => name !== pkg);
			this.since.delete(pkg);
			this.state.scriptsDone++;
		} else if (!this.state.running.includes(pkg)) {
			this.state.running.push(pkg);
			this.since.set(pkg, this.now());
		}
	}
}
