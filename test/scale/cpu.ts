// CPU time per process over a phase, read from /proc: says whether more workers can help on this machine or the cores are already busy.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processSeconds(pid: number): number {
	try {
		// Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th.
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
	} catch {
		return 0;
	}
}

/** Busy and total CPU seconds of the whole machine (all cores). */
function machineSeconds(): { busy: number; total: number } {
	const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
	const values = line.trim().split(/\s+/).slice(1).map(Number);
	const total = values.reduce((sum, value) => sum + value, 0);
	const idle = values[3] + (values[4] ?? 0);
	return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

export interface CpuSample {
	at: number;
	machine: { busy: number; total: number };
	self: number;
	processes: Record<string, number>;
}

export function sampleCpu(processes: Record<string, number>): CpuSample {
	const usage = process.cpuUsage();
	return {
		at: Date.now(),
		machine: machineSeconds(),
		self: (usage.user + usage.system) / 1e6,
		processes: Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, processSeconds(pid)])),
	};
}

/** "machine 96% busy of 2 cores; main 0.31, webhook 0.22, worker-a 0.70 …" (cores used on average over the interval). */
export function describeCpu(from: CpuSample, to: CpuSample): string {
	const wall = (to.at - from.at) / 1000;
	const busy = (to.machine.busy - from.machine.busy) / (to.machine.total - from.machine.total);
	const cores = (seconds: number) => (Math.max(0, seconds) / wall).toFixed(2);
	const parts = Object.keys(to.processes).map((name) => `${name} ${cores(to.processes[name] - (from.processes[name] ?? 0))}`);
	parts.push(`sender+sandbox ${cores(to.self - from.self)}`);
	return `machine ${(busy * 100).toFixed(0)}% busy of ${cpus().length} cores; cores used: ${parts.join(', ')}`;
}
