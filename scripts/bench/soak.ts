// Soak: many short door calls in a row, and what the station holds on to
// afterwards. Prints figures, asserts nothing.
//
//   npm run bench:soak      (node --expose-gc --import tsx scripts/bench/soak.ts [--calls 1000] [--talk-ms 100])
//
// Set-up: Kamailio (registrar/proxy with digest auth) and SIPp as the callee
// (answers, waits for BYE; -rtp_echo sends the door's audio back), on
// loopback. The station runs in this process (startStation, as `intercom run`
// does), so its timers and sockets are visible. After 10 warm-up calls and
// again after the last call the script prints RSS and heap (after a forced GC
// when run with --expose-gc), open file descriptors (/proc/self/fd), and
// active handles and timers (process.getActiveResourcesInfo); each sample is
// taken --settle-ms (default 33 s) after a call, since transactions outlive
// their calls by RFC 3261's Timer D/K. Each call: press, wait until it is
// active, hold it --talk-ms, hang up, wait until the door is idle.
// The heap also holds what this process keeps of its peers' output (SIPp's
// screen, at most 4 MiB each); heap snapshots of 300-call runs showed that and
// JIT code as the growth, no objects of the station.

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config/load.ts';
import { startStation, type Station } from '../../src/intercom/station.ts';
import { createLogger } from '../../src/log/logger.ts';
import { startKamailio } from '../../test/support/kamailio.ts';
import { makeTempDir, waitUntil } from '../../test/support/process.ts';
import { startSipp } from '../../test/support/sipp.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const CALLS = arg('calls', 1000);
const TALK_MS = arg('talk-ms', 100);
const WARMUP = 10;
// Transactions outlive their calls by design (RFC 3261 Timer D/K: 32 s over
// UDP), so both samples are taken once that much time has passed.
const SETTLE_MS = arg('settle-ms', 33_000);

interface Snapshot {
  rssMb: number;
  heapMb: number;
  fds: number;
  handles: Record<string, number>;
}

function snapshot(): Snapshot {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const handles: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) handles[r] = (handles[r] ?? 0) + 1;
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20, fds: readdirSync('/proc/self/fd').length, handles };
}

async function oneCall(station: Station): Promise<void> {
  const r = station.press();
  if (!r.ok) throw new Error(`press: ${r.error}`);
  await waitUntil('call active', () => station.status().call?.state === 'active', { timeoutMs: 10_000, intervalMs: 2 });
  await new Promise((res) => setTimeout(res, TALK_MS));
  station.hangup();
  await waitUntil('door idle', () => station.status().call === null, { timeoutMs: 10_000, intervalMs: 2 });
}

async function main(): Promise<void> {
  const tmp = makeTempDir('soak-');
  const users = { door: 'door-secret' };
  // Kamailio quiet (warnings only): its per-request log lines would otherwise pile up in this process's heap.
  const kam = await startKamailio({ users, debugLevel: 1 });
  const sipp = await startSipp({ scenario: 'uas-answer-wait-bye', calls: CALLS + WARMUP, rtpEcho: true, timeoutMs: 30 * 60_000 });
  const configPath = join(tmp.path, 'door.yaml');
  writeFileSync(
    configPath,
    [
      'sip:',
      `  server: ${kam.hostport}`,
      '  user: door',
      `  password: ${users.door}`,
      '  listen: 127.0.0.2',
      'buttons:',
      '  - name: bell',
      `    call: ["${sipp.uri('sipp')}"]`,
      'audio: { input: none, output: none }',
      // The door's own guards against redial loops would stop a soak.
      'calls: { min_interval: 0, limit: { calls: 1000, window: 0.01 } }',
      `control: { socket: ${join(tmp.path, 'control.sock')} }`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const loaded = loadConfig(configPath);
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  let warnings = 0;
  const log = createLogger({ level: process.env.SOAK_DEBUG ? 'debug' : 'warn', format: 'text', stream: { write: (l: string) => { warnings++; if (process.env.SOAK_DEBUG) process.stderr.write(l); } } });
  const station = await startStation(loaded.config, log);
  try {
    await waitUntil('registered', () => station.status().registered, { timeoutMs: 10_000, intervalMs: 20 });
    for (let i = 0; i < WARMUP; i++) await oneCall(station);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const before = snapshot();
    const t0 = performance.now();
    const durations: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const c0 = performance.now();
      await oneCall(station);
      durations.push(performance.now() - c0);
    }
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const after = snapshot();
    durations.sort((a, b) => a - b);
    const pct = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!.toFixed(0);
    const row = (label: string, a: number | string, b: number | string) => console.log(`  ${label.padEnd(26)} ${String(a).padStart(10)} ${String(b).padStart(10)}`);
    console.log(`soak: ${CALLS} calls (after ${WARMUP} warm-up), ${TALK_MS} ms each, in ${seconds.toFixed(1)} s; call press->idle ms: median ${pct(0.5)}, p95 ${pct(0.95)}, max ${pct(1)}`);
    console.log(`  gc before samples: ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'yes' : 'no (run with node --expose-gc for steadier heap figures)'}`);
    row('', 'start', 'end');
    row('RSS MB', before.rssMb.toFixed(1), after.rssMb.toFixed(1));
    row('heap used MB', before.heapMb.toFixed(1), after.heapMb.toFixed(1));
    row('open fds', before.fds, after.fds);
    for (const k of [...new Set([...Object.keys(before.handles), ...Object.keys(after.handles)])].sort()) row(`active ${k}`, before.handles[k] ?? 0, after.handles[k] ?? 0);
    console.log(`  warnings logged: ${warnings}; SIPp successful calls: ${(await sipp.stop()).successful}`);
  } finally {
    await station.stop();
    await sipp.stop().catch(() => undefined);
    await kam.stop();
    tmp.remove();
  }
}

await main();
