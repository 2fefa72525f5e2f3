// Runs a lossy one-way call (lossy-call.ts) in a child process inside its own network
// namespace (`unshare -n`): its loopback, addresses and nftables rules exist only there
// and disappear with the process, however it ends. Needs root (or user namespaces).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LossyCallResult } from './lossy-call.ts';
import { makeTempDir, runCommand } from './process.ts';

const CHILD = fileURLToPath(new URL('./lossy-call-child.ts', import.meta.url));

/** Runs the call for `seconds` with the given loss and jitter; rejects with the child's output on failure. */
export async function runLossyCallInNamespace(opts: { seconds: number; lossPercent: number; jitterMs: number; seed?: number }): Promise<LossyCallResult> {
  const tmp = makeTempDir('intercom-lossy-');
  try {
    const out = join(tmp.path, 'result.json');
    const args = ['-n', '--', process.execPath, '--import', 'tsx', CHILD, out, String(opts.seconds), String(opts.lossPercent), String(opts.jitterMs), String(opts.seed ?? 1)];
    const r = await runCommand('unshare', args, { timeoutMs: opts.seconds * 1000 + 30_000 });
    if (r.code !== 0) throw new Error(`lossy call in a private namespace failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stderr}${r.stdout}`);
    return JSON.parse(readFileSync(out, 'utf8')) as LossyCallResult;
  } finally {
    tmp.remove();
  }
}
