// CPU time and memory of a running process, read from /proc the way `ps` and
// `top` do, so the station and baresip are measured by the same ruler.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { runCommand } from '../../test/support/process.ts';

export interface ProcSample {
  /** performance.now() when the sample was taken. */
  atMs: number;
  /** utime + stime of every thread of the process, in seconds. */
  cpuS: number;
  /** Resident set size (VmRSS), kB. */
  rssKb: number;
  /** Peak resident set size since the process started (VmHWM), kB. */
  hwmKb: number;
}

/** Kernel clock ticks per second, the unit of utime/stime in /proc/PID/stat. */
export async function clockTicks(): Promise<number> {
  const r = await runCommand('getconf', ['CLK_TCK'], { timeoutMs: 5000 });
  const n = Number(r.stdout.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

function statusKb(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s*(\\d+)\\s*kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${key} in /proc status`);
  return Number(m[1]);
}

export function sampleProcess(pid: number, ticksPerS: number): ProcSample {
  const atMs = performance.now();
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name may hold spaces and parentheses; fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot read utime/stime of ${pid}`);
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  return { atMs, cpuS: (utime + stime) / ticksPerS, rssKb: statusKb(status, 'VmRSS'), hwmKb: statusKb(status, 'VmHWM') };
}

/** The PID of the process whose argv satisfies `match`; throws unless exactly one does. */
export function findPid(what: string, match: (argv: string[]) => boolean): number {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    } catch {
      continue;
    }
    if (match(argv)) found.push(Number(entry));
  }
  if (found.length !== 1) throw new Error(`expected one process for ${what}, found ${found.length}`);
  return found[0]!;
}

/** What one process did between two samples. */
export interface Window {
  seconds: number;
  /** CPU seconds used in the window (a multiple of one clock tick). */
  cpuS: number;
  /** Length of one clock tick, seconds: the resolution of cpuS. */
  tickS: number;
  /** CPU seconds per wall-clock second (1.0 = one core busy). */
  cpuPerS: number;
  rssStartKb: number;
  rssEndKb: number;
  hwmKb: number;
}

export function between(a: ProcSample, b: ProcSample, ticksPerS: number): Window {
  const seconds = (b.atMs - a.atMs) / 1000;
  const cpuS = b.cpuS - a.cpuS;
  return { seconds, cpuS, tickS: 1 / ticksPerS, cpuPerS: cpuS / seconds, rssStartKb: a.rssKb, rssEndKb: b.rssKb, hwmKb: b.hwmKb };
}
