// Benchmarks of the door station against real peers on loopback. It prints
// figures and asserts nothing: timings depend on the machine and its load.
//
//   npm run bench                                  full run (30 s calls, ~2 min)
//   npm run bench -- --call-seconds 5 --idle-seconds 3 --presses 10   quick run
//   node --import tsx scripts/bench/call.ts --help
//
// Set-up: Kamailio (registrar/proxy with digest auth), baresip 101 as the
// indoor phone (auto-answer, 440 Hz tone as its microphone), a second baresip
// "bdoor" playing the part of a door, and the station itself: the real
// `bin/intercom run` (built from src/ first, unless --no-build), 1 kHz tone
// as its microphone, recording to a WAV file. The station's sip.server is a
// UDP relay inside this script that passes everything on to Kamailio (see
// sip-spy.ts).
//
// 1. Press -> INVITE. The script connects to the station's control socket and
//    stamps the moment just before it writes {"cmd":"press"} (the nearest it
//    can get to a button edge), for a button that calls a busy callee owned
//    by this script. Printed, from that stamp:
//      - "INVITE leaves station": the station's first INVITE reaches the relay,
//        i.e. it is on the wire; this is the figure of interest;
//      - "INVITE at callee": the INVITE arrives at the callee through Kamailio
//        (two more hops through the relay). Kamailio challenges the first
//        INVITE (407) and the station answers with credentials; later presses
//        carry credentials from the start (RFC 3261 §22.3) and skip that
//        round trip, so the median is the figure without it, and "INVITE
//        datagrams per press" shows which presses were challenged;
//      - "control reply": the station's answer to the press request.
//    Then the same through the command line (`bin/intercom press`), whose
//    round trip is mostly Node.js start-up: context for scripts that shell out.
//    Statistics are min / median / p95 (nearest rank) / max over the presses.
//
// 2. CPU and memory. For each of the station and bdoor, from /proc/PID/stat
//    (utime+stime, all threads) and /proc/PID/status (VmRSS, and VmHWM = peak
//    RSS since the process started):
//      - idle: both registered, no call, over --idle-seconds (same window);
//      - call: a call to 101 through Kamailio, G.711, tone audio both ways,
//        sampled when the call is established and --call-seconds later; the
//        station's call first, then bdoor's, never both at once.
//    "CPU ms/s" is CPU milliseconds per wall-clock second (10 = 1 % of one
//    core); CPU time has the kernel's tick resolution (10 ms), so short idle
//    windows read as 0 or one tick. The ratio column is station / baresip: a
//    ratio of 3 means the station needs three times what baresip needs. The
//    station is a Node.js process, so much of its RSS is the runtime itself;
//    VmHWM of the station includes the press benchmark before the calls.
//    The audio lines below the table show both calls really carried sound.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sendControl } from '../../src/control/client.ts';
import type { StationStatus } from '../../src/intercom/station-api.ts';
import { startIntercom, type IntercomInstance } from '../../test/e2e/intercom-process.ts';
import { makeToneWav, measureTone } from '../../test/support/audio-measure.ts';
import { startBaresip, type Baresip } from '../../test/support/baresip.ts';
import { startKamailio, type Kamailio } from '../../test/support/kamailio.ts';
import { makeTempDir, waitUntil } from '../../test/support/process.ts';
import { between, clockTicks, findPid, sampleProcess, type Window } from './proc-sample.ts';
import { startSipSpy, type SipSpy } from './sip-spy.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PASSWORDS = { door: 'door-secret', bdoor: 'bdoor-secret', '101': 'pw101' };
const SPY_ADDRESS = '127.0.0.3';
const DOOR_FREQ = 1000;
const PHONE_FREQ = 440;

interface Options {
  callSeconds: number;
  idleSeconds: number;
  presses: number;
  cliPresses: number;
  build: boolean;
}

const USAGE = `usage: node --import tsx scripts/bench/call.ts [options]
  --call-seconds N   length of each measured call (env BENCH_CALL_S, default 30)
  --idle-seconds N   length of the idle window (env BENCH_IDLE_S, default 10)
  --presses N        presses over the control socket (env BENCH_PRESSES, default 30)
  --cli-presses N    presses through bin/intercom (env BENCH_CLI_PRESSES, default 10)
  --no-build         use dist/ as it is instead of running npm run build`;

function parseOptions(argv: string[]): Options {
  const given = new Map<string, string>();
  const valued = new Set(['--call-seconds', '--idle-seconds', '--presses', '--cli-presses']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--no-build') {
      given.set(a, '');
    } else if (valued.has(a) && i + 1 < argv.length) {
      given.set(a, argv[++i]!);
    } else {
      console.error(`bench: unexpected argument ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  const num = (name: string, env: string, fallback: number, min: number): number => {
    const raw = given.get(name) ?? process.env[env];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) {
      console.error(`bench: ${name} / ${env} must be a number >= ${min}, got "${raw}"\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  return {
    callSeconds: num('--call-seconds', 'BENCH_CALL_S', 30, 1),
    idleSeconds: num('--idle-seconds', 'BENCH_IDLE_S', 10, 1),
    presses: Math.round(num('--presses', 'BENCH_PRESSES', 30, 1)),
    cliPresses: Math.round(num('--cli-presses', 'BENCH_CLI_PRESSES', 10, 0)),
    build: !given.has('--no-build'),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const note = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

function step(label: string, command: string, args: string[]): void {
  const r = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`${label} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`})`);
  }
}

// ---- statistics and printing ----

interface Summary {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}

function summarise(values: number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => s[Math.max(0, Math.ceil(p * s.length) - 1)]!;
  const mid = s.length / 2;
  const median = s.length % 2 === 1 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, min: s[0]!, median, p95: rank(0.95), max: s[s.length - 1]! };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const mb = (kb: number): string => (kb / 1024).toFixed(1);
// No tick in the window says only "less than one tick per window".
const cpuMsPerS = (w: Window): string => (w.cpuS > 0 ? ms(w.cpuPerS * 1000) : `<${ms((w.tickS * 1000) / w.seconds)}`);
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');

function latencyRow(label: string, values: number[]): string[] {
  const s = summarise(values);
  return s ? [label, String(s.n), ms(s.min), ms(s.median), ms(s.p95), ms(s.max)] : [label, '0', '-', '-', '-', '-'];
}

// ---- talking to the station ----

async function stationStatus(socket: string): Promise<StationStatus> {
  const r = await sendControl(socket, { cmd: 'status' });
  if (!r.ok || !('status' in r)) throw new Error(`status over ${socket} failed: ${r.ok ? 'no status' : r.error}`);
  return r.status;
}

async function waitIdle(socket: string, timeoutMs = 10_000): Promise<void> {
  await waitUntil('the station to be idle', async () => (await stationStatus(socket)).call === null, { timeoutMs, intervalMs: 20 });
}

/**
 * Presses a button over an already connected control socket; `sentAt` is
 * stamped right before the request is written, so connecting is not counted.
 */
function pressOverSocket(socket: string, button: string): Promise<{ sentAt: number; repliedAt: number; reply: string }> {
  return new Promise((resolvePress, reject) => {
    const conn = createConnection(socket);
    let sentAt = 0;
    let buffer = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error('no reply to press within 5 s'));
    }, 5000);
    conn.setEncoding('utf8');
    conn.once('connect', () => {
      sentAt = performance.now();
      conn.write(`${JSON.stringify({ cmd: 'press', button })}\n`);
    });
    conn.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      const repliedAt = performance.now();
      clearTimeout(timer);
      conn.destroy();
      resolvePress({ sentAt, repliedAt, reply: buffer.slice(0, nl) });
    });
    conn.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

interface PressTiming {
  leftMs: number;
  atCalleeMs: number;
}

/** Waits for the INVITE of the next new call to leave the station and to reach the callee. */
async function nextInvite(spy: SipSpy, fromIndex: number, sentAt: number): Promise<PressTiming> {
  const left = await waitUntil('an INVITE from the station', () => spy.leaving[fromIndex], { timeoutMs: 5000, intervalMs: 2 });
  const arrived = await waitUntil('the INVITE at the callee', () => spy.atCallee.find((i) => i.callId === left.callId), {
    timeoutMs: 5000,
    intervalMs: 2,
  });
  return { leftMs: left.at - sentAt, atCalleeMs: arrived.at - sentAt };
}

// ---- the benchmark ----

interface Results {
  opts: Options;
  socketPress: { left: number[]; atCallee: number[]; reply: number[]; invitesPerPress: number[] };
  cliPress: { roundTrip: number[]; left: number[] };
  idle: { station: Window; baresip: Window };
  call: { station: Window; baresip: Window };
  audio: string[];
}

async function run(opts: Options): Promise<Results> {
  const ticks = await clockTicks();
  const tmp = makeTempDir('intercom-bench-');
  let kam: Kamailio | undefined;
  let phone: Baresip | undefined;
  let bdoor: Baresip | undefined;
  let spy: SipSpy | undefined;
  let door: IntercomInstance | undefined;
  try {
    // aufile does not loop: the files must outlast the calls (the phone takes two).
    const doorTone = await makeToneWav(join(tmp.path, 'door.wav'), { freq: DOOR_FREQ, seconds: opts.callSeconds + 20 });
    const phoneTone = await makeToneWav(join(tmp.path, 'phone.wav'), { freq: PHONE_FREQ, seconds: 2 * opts.callSeconds + 40 });
    const doorHeard = join(tmp.path, 'door-heard.wav');

    note('starting Kamailio, baresip 101 (phone), baresip bdoor, the station');
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true, sourceWav: phoneTone });
    bdoor = await startBaresip({ user: 'bdoor', password: PASSWORDS.bdoor, registrar: kam, sourceWav: doorTone });
    spy = await startSipSpy({ address: SPY_ADDRESS, proxy: { address: kam.address, port: kam.port } });
    door = await startIntercom({
      sip: { server: spy.serverHostport, domain: kam.domain, user: 'door', password: PASSWORDS.door },
      buttons: [
        { name: 'bell', call: ['101'] },
        { name: 'bench', call: [spy.calleeUri] },
      ],
      audio: { input: `file:${doorTone}`, output: `file:${doorHeard}` },
    });
    const control = join(door.dir, 'control.sock');
    const stationPid = door.process.pid;
    const bdoorDir = bdoor.dir;
    const baresipPid = findPid('baresip bdoor', (a) => a.some((x) => x.endsWith('baresip')) && a.includes(bdoorDir));

    // ---- idle ----
    await sleep(2000);
    note(`idle window, ${opts.idleSeconds} s`);
    const idleA = { s: sampleProcess(stationPid, ticks), b: sampleProcess(baresipPid, ticks) };
    await sleep(opts.idleSeconds * 1000);
    const idleB = { s: sampleProcess(stationPid, ticks), b: sampleProcess(baresipPid, ticks) };

    // ---- press -> INVITE over the control socket ----
    note(`${opts.presses} presses over the control socket`);
    const socketPress: Results['socketPress'] = { left: [], atCallee: [], reply: [], invitesPerPress: [] };
    for (let i = 0; i < opts.presses; i++) {
      await waitIdle(control);
      await sleep(100);
      const from = spy.leaving.length;
      const p = await pressOverSocket(control, 'bench');
      if (!/"ok":true/.test(p.reply)) throw new Error(`press refused: ${p.reply}`);
      const t = await nextInvite(spy, from, p.sentAt);
      socketPress.left.push(t.leftMs);
      socketPress.atCallee.push(t.atCalleeMs);
      socketPress.reply.push(p.repliedAt - p.sentAt);
      await waitIdle(control);
      const callId = spy.leaving[from]!.callId;
      socketPress.invitesPerPress.push(spy.leaving.filter((x) => x.callId === callId).length);
    }

    // ---- the same through the command line ----
    note(`${opts.cliPresses} presses through bin/intercom`);
    const cliPress: Results['cliPress'] = { roundTrip: [], left: [] };
    for (let i = 0; i < opts.cliPresses; i++) {
      await waitIdle(control);
      await sleep(100);
      const from = spy.leaving.length;
      const t0 = performance.now();
      const r = await door.cli('press', '--button', 'bench');
      const t1 = performance.now();
      if (r.code !== 0) throw new Error(`intercom press exited ${r.code}: ${r.stderr.trim()}`);
      const t = await nextInvite(spy, from, t0);
      cliPress.roundTrip.push(t1 - t0);
      cliPress.left.push(t.leftMs);
    }
    await waitIdle(control);

    // ---- the station's call ----
    note(`the station calls 101 for ${opts.callSeconds} s`);
    const pressed = await sendControl(control, { cmd: 'press', button: 'bell' });
    if (!pressed.ok) throw new Error(`press bell: ${pressed.error}`);
    await phone.waitForEvent('CALL_ESTABLISHED', 15_000);
    await waitUntil('the station call to be active', async () => (await stationStatus(control)).call?.state === 'active', {
      timeoutMs: 5000,
      intervalMs: 10,
    });
    const stationA = sampleProcess(stationPid, ticks);
    await sleep(opts.callSeconds * 1000);
    const stationB = sampleProcess(stationPid, ticks);
    await sendControl(control, { cmd: 'hangup' });
    await phone.waitForEvent('CALL_CLOSED', 10_000);
    await waitIdle(control);

    // ---- baresip's call ----
    note(`baresip bdoor calls 101 for ${opts.callSeconds} s`);
    await sleep(500);
    await bdoor.dial(kam.uri('101'));
    await bdoor.waitForEvent('CALL_ESTABLISHED', 15_000);
    const baresipA = sampleProcess(baresipPid, ticks);
    await sleep(opts.callSeconds * 1000);
    const baresipB = sampleProcess(baresipPid, ticks);
    await bdoor.hangup();
    await phone.waitForEvent('CALL_CLOSED', 10_000);
    await sleep(300);

    // ---- did the calls carry sound? ----
    const audio: string[] = [];
    const tone = async (label: string, path: string | undefined, freq: number): Promise<void> => {
      if (path === undefined || !existsSync(path)) {
        audio.push(`${label}: no recording`);
        return;
      }
      const t = await measureTone(path, freq);
      audio.push(`${label}: ${freq} Hz at ${t.dbfs.toFixed(1)} dBFS for ${t.activeSeconds.toFixed(1)} s`);
    };
    const atPhone = phone.receivedWavs();
    await tone('phone heard the station', atPhone[atPhone.length - 2], DOOR_FREQ);
    await tone('phone heard bdoor      ', atPhone[atPhone.length - 1], DOOR_FREQ);
    await tone('bdoor heard the phone  ', bdoor.receivedWavs().at(-1), PHONE_FREQ);
    // The station's recording is complete only once it has stopped.
    const code = await door.terminate();
    door = undefined;
    if (code !== 0) audio.push(`the station exited with ${code} on SIGTERM`);
    await tone('station heard the phone', doorHeard, PHONE_FREQ);

    return {
      opts,
      socketPress,
      cliPress,
      idle: { station: between(idleA.s, idleB.s, ticks), baresip: between(idleA.b, idleB.b, ticks) },
      call: { station: between(stationA, stationB, ticks), baresip: between(baresipA, baresipB, ticks) },
      audio,
    };
  } catch (err) {
    if (door) process.stderr.write(`--- station log (last 40 lines) ---\n${door.logs().split('\n').slice(-40).join('\n')}\n`);
    throw err;
  } finally {
    await door?.terminate().catch(() => undefined);
    await bdoor?.stop();
    await phone?.stop();
    await spy?.close().catch(() => undefined);
    await kam?.stop();
    tmp.remove();
  }
}

function report(r: Results): string {
  const out: string[] = [];
  const heads = ['', 'n', 'min', 'median', 'p95', 'max'];
  out.push('Press -> INVITE, ms (from the press request written to the control socket)');
  out.push(
    table(heads, [
      latencyRow('INVITE leaves station', r.socketPress.left),
      latencyRow('INVITE at callee (through Kamailio)', r.socketPress.atCallee),
      latencyRow('control reply', r.socketPress.reply),
      latencyRow('CLI `intercom press` round trip', r.cliPress.roundTrip),
      latencyRow('CLI spawn -> INVITE leaves station', r.cliPress.left),
    ]),
  );
  const per = summarise(r.socketPress.invitesPerPress);
  if (per) out.push(`INVITE datagrams per press toward the proxy: ${per.min === per.max ? per.min : `${per.min}..${per.max}`}`);
  out.push('');
  const { idle, call } = r;
  out.push(`CPU and memory: idle ${r.opts.idleSeconds} s, call ${r.opts.callSeconds} s (G.711, tone both ways)`);
  out.push(
    table(
      ['', 'station', 'baresip', 'station/baresip'],
      [
        ['idle CPU ms/s', cpuMsPerS(idle.station), cpuMsPerS(idle.baresip), ratio(idle.station.cpuPerS, idle.baresip.cpuPerS)],
        ['idle RSS MB', mb(idle.station.rssEndKb), mb(idle.baresip.rssEndKb), ratio(idle.station.rssEndKb, idle.baresip.rssEndKb)],
        ['call CPU ms/s (CPU ms per call-second)', cpuMsPerS(call.station), cpuMsPerS(call.baresip), ratio(call.station.cpuPerS, call.baresip.cpuPerS)],
        ['call CPU % of one core', (call.station.cpuPerS * 100).toFixed(2), (call.baresip.cpuPerS * 100).toFixed(2), ''],
        ['call RSS at start MB', mb(call.station.rssStartKb), mb(call.baresip.rssStartKb), ratio(call.station.rssStartKb, call.baresip.rssStartKb)],
        ['call RSS at end MB', mb(call.station.rssEndKb), mb(call.baresip.rssEndKb), ratio(call.station.rssEndKb, call.baresip.rssEndKb)],
        ['peak RSS (VmHWM) MB', mb(call.station.hwmKb), mb(call.baresip.hwmKb), ratio(call.station.hwmKb, call.baresip.hwmKb)],
        ['measured call window s', call.station.seconds.toFixed(2), call.baresip.seconds.toFixed(2), ''],
      ],
    ),
  );
  out.push('');
  out.push('Audio (the calls carried sound):');
  for (const a of r.audio) out.push(`  ${a}`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  // Two calls, the idle window, the presses and start/stop of every peer, with room to spare.
  const budgetMs = (2 * opts.callSeconds + opts.idleSeconds) * 1000 + (opts.presses + opts.cliPresses) * 3000 + 180_000;
  const deadline = setTimeout(() => {
    console.error(`bench: still running after ${Math.round(budgetMs / 1000)} s; giving up`);
    // The exit hooks in test/support/process.ts kill every peer started.
    process.exit(1);
  }, budgetMs);
  deadline.unref();

  note('installing the SIP peers if missing');
  step('installing SIP peers', 'bash', [join(ROOT, 'scripts/testenv/install-peers.sh')]);
  if (opts.build) {
    note('building');
    step('build', 'npm', ['run', '--silent', 'build']);
  } else if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run npm run build, or drop --no-build');
  }
  const results = await run(opts);
  console.log(`\n${report(results)}`);
}

try {
  await main();
} catch (err) {
  console.error(`bench: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
}
