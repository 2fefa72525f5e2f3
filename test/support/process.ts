// Child processes for tests: every spawn has a hard deadline and is killed
// with its whole process group when the test process ends, however it ends.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** stdout and stderr interleaved, as far as it has been read. */
  output(): string;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** True when the hard timeout killed it. */
  timedOut(): boolean;
  /** SIGTERM, then SIGKILL to the whole group after graceMs. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (whole group, SIGKILL) when still running after this long. */
  timeoutMs?: number;
  /** Cap on the output kept in memory. */
  maxOutputBytes?: number;
  /** Called with each chunk of output, e.g. to watch for a line. */
  onOutput?: (chunk: string) => void;
}

const live = new Map<number, string>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

// The test runner sets this so it can sweep up groups left by a test process
// that was itself killed before its exit handlers could run.
const registryDir = process.env['INTERCOM_TEST_PIDS_DIR'];

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
}

function forget(pid: number): void {
  live.delete(pid);
  if (registryDir) rmSync(join(registryDir, String(pid)), { force: true });
}

function remember(pid: number, name: string): void {
  live.set(pid, name);
  if (registryDir) writeFileSync(join(registryDir, String(pid)), `${name}\n`);
}

function killAllNow(): void {
  for (const pid of live.keys()) {
    killGroup(pid, 'SIGKILL');
    forget(pid);
  }
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
    if (registryDir) rmSync(join(registryDir, `dir-${dir.split('/').pop() ?? ''}`), { force: true });
  }
  tempDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  if (registryDir) mkdirSync(registryDir, { recursive: true });
  process.on('exit', killAllNow);
  // Node exits on these signals without running 'exit' listeners unless
  // someone listens; listening means we must exit ourselves afterwards.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllNow();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Makes a temp dir that is removed when the process exits, if not before. */
export function makeTempDir(prefix: string): { path: string; remove(): void } {
  installHooks();
  const path = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(path);
  const note = registryDir ? join(registryDir, `dir-${path.split('/').pop() ?? ''}`) : undefined;
  if (note) writeFileSync(note, `${path}\n`);
  return {
    path,
    remove(): void {
      tempDirs.delete(path);
      rmSync(path, { recursive: true, force: true });
      if (note) rmSync(note, { force: true });
    },
  };
}

/** Spawns a program in its own process group, tracked for cleanup. */
export function spawnManaged(name: string, command: string, args: readonly string[], opts: SpawnOptions = {}): ManagedProcess {
  installHooks();
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) {
    // The 'error' event (ENOENT...) still follows; keep it from crashing us.
    child.once('error', () => undefined);
    throw new Error(`${name}: could not spawn ${command} (is it installed? scripts/testenv/install-peers.sh)`);
  }
  const pid = child.pid;
  remember(pid, name);

  const maxOutput = opts.maxOutputBytes ?? 4 * 1024 * 1024;
  let out = '';
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    out += text;
    if (out.length > maxOutput) out = out.slice(out.length - maxOutput);
    opts.onOutput?.(text);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let done = false;
  let killedByTimeout = false;
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('error', (err) => {
      out += `\n[spawn error] ${err.message}\n`;
    });
    child.once('close', (code, signal) => {
      done = true;
      if (timer) clearTimeout(timer);
      // Children of the leader may outlive it; take them along.
      killGroup(pid, 'SIGKILL');
      forget(pid);
      resolve({ code, signal });
    });
  });

  if (opts.timeoutMs !== undefined) {
    timer = setTimeout(() => {
      out += `\n[killed after ${opts.timeoutMs} ms]\n`;
      killedByTimeout = true;
      killGroup(pid, 'SIGKILL');
    }, opts.timeoutMs);
    timer.unref();
  }

  return {
    name,
    pid,
    child,
    output: () => out,
    exited,
    hasExited: () => done,
    timedOut: () => killedByTimeout,
    async stop(graceMs = 3000): Promise<ExitStatus> {
      if (!done) {
        killGroup(pid, 'SIGTERM');
        const grace = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        grace.unref();
        const status = await exited;
        clearTimeout(grace);
        return status;
      }
      return exited;
    },
  };
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion, killing it after timeoutMs. */
export function runCommand(command: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  installHooks();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) remember(pid, command);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
    }, opts.timeoutMs ?? 10_000);
    child.once('error', (err) => {
      stderr += `${err.message}\n`;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) forget(pid);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Polls check() until it returns a value other than undefined/false, or throws on timeout. */
export async function waitUntil<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  const interval = opts.intervalMs ?? 25;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 5000} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
