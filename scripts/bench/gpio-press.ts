// Benchmark: from an edge on the button's GPIO line to the INVITE on the wire.
//
//   node --import tsx scripts/bench/gpio-press.ts [--presses N] [--debounce MS] [--backend fake|sysfs|both]
//
// The real `intercom` runs with one of two GPIO set-ups: the fake chip behind
// the real character-device backend (gpio.backend: fake), or the real sysfs
// backend with onoff on a fake /sys/class/gpio (a FUSE filesystem in a private
// mount namespace, test/support/fake-sysfs.ts; needs root and fuse3), where an
// edge travels the kernel's way: poll notification, epoll wake-up, value read.
// The benchmark is the button: it writes the line's level into the fake's
// control socket, stamping the moment just before the first edge, and the SIP
// relay of sip-spy.ts stamps the INVITE as it leaves the station. Each press
// is clean (one edge) or bouncing (five edges 1 ms apart, as a worn push
// button gives), then released after the call ends (the callee answers 486).
// Nothing is asserted; figures are printed. The latency includes the debounce
// time by design: a press counts only once the line has been stable that
// long, so the figure to look at is the excess over the debounce time.
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sendControl } from '../../src/control/client.ts';
import { startIntercom, type IntercomInstance } from '../../test/e2e/intercom-process.ts';
import { startFakeSysfs, type FakeSysfs } from '../../test/support/fake-sysfs.ts';
import { startKamailio, type Kamailio } from '../../test/support/kamailio.ts';
import { makeTempDir, waitUntil } from '../../test/support/process.ts';
import { startSipSpy, type SipSpy } from './sip-spy.ts';

const PASSWORDS = { door: 'door-secret' };
const SPY_ADDRESS = '127.0.0.3';
const LINE = 17;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stats(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return `n=${s.length} min ${s[0]!.toFixed(1)}  median ${at(0.5).toFixed(1)}  p95 ${at(0.95).toFixed(1)}  max ${s[s.length - 1]!.toFixed(1)} ms`;
}

type Backend = 'fake' | 'sysfs';

async function bench(backend: Backend, presses: number, debounceMs: number): Promise<void> {
  const tmp = makeTempDir('intercom-bench-gpio-');
  let kam: Kamailio | undefined;
  let spy: SipSpy | undefined;
  let door: IntercomInstance | undefined;
  let sysfs: FakeSysfs | undefined;
  let stim: Socket | undefined;
  try {
    kam = await startKamailio({ users: PASSWORDS });
    spy = await startSipSpy({ address: SPY_ADDRESS, proxy: { address: kam.address, port: kam.port } });
    // A Pi 4 on kernel 6.6+: line 17 of gpiochip0 is sysfs 529.
    if (backend === 'sysfs') sysfs = await startFakeSysfs([{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711', dev: 'gpiochip0' }]);
    door = await startIntercom(
      {
        sip: { server: spy.serverHostport, domain: kam.domain, user: 'door', password: PASSWORDS.door },
        buttons: [{ name: 'bench', call: [spy.calleeUri], gpio: { chip: 'gpiochip0', line: LINE, bias: backend === 'sysfs' ? 'as-is' : 'pull-up' } }],
        gpio: backend === 'sysfs' ? { backend: 'sysfs', debounce_ms: debounceMs } : { backend: 'fake', fake_dir: tmp.path, debounce_ms: debounceMs },
        audio: { input: 'none', output: 'none' },
        // The default call limit (20 per 10 minutes) would refuse the later presses.
        calls: { limit: { calls: 1000, window: 60 } },
      },
      sysfs ? { wrap: sysfs.enter } : {},
    );
    const control = join(door.dir, 'control.sock');
    const idle = async () =>
      waitUntil('idle', async () => {
        const r = await sendControl(control, { cmd: 'status' });
        return r.ok && 'status' in r && r.status.call === null;
      }, { timeoutMs: 10_000, intervalMs: 10 });
    const s = createConnection(sysfs ? sysfs.control : join(tmp.path, 'stimulus.sock'));
    stim = s;
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    s.on('data', () => {});
    const level = (v: 'low' | 'high') => s.write(sysfs ? `set ${512 + LINE} ${v === 'low' ? 0 : 1}\n` : `gpiochip0 ${LINE} ${v}\n`);

    const results: Record<'clean' | 'bouncing', number[]> = { clean: [], bouncing: [] };
    for (let i = 0; i < presses * 2; i++) {
      const kind = i % 2 === 0 ? 'clean' : 'bouncing';
      await idle();
      await sleep(50);
      const from = spy.leaving.length;
      const t0 = performance.now();
      level('low');
      if (kind === 'bouncing') {
        for (const v of ['high', 'low', 'high', 'low'] as const) {
          await sleep(1);
          level(v);
        }
      }
      const left = await waitUntil('INVITE', () => spy!.leaving[from], { timeoutMs: 5000, intervalMs: 1 });
      results[kind].push(left.at - t0);
      await idle();
      level('high');
      await sleep(debounceMs + 20);
    }
    const setup = backend === 'sysfs' ? 'real sysfs backend (onoff) on a fake /sys/class/gpio' : 'fake chip, real chardev backend';
    console.log(`button edge -> INVITE on the wire (debounce ${debounceMs} ms, ${setup}, ${presses} presses each)`);
    console.log(`  clean press:    ${stats(results.clean)}`);
    console.log(`  bouncing press: ${stats(results.bouncing)}  (from the first of 5 edges, the last 4 ms later)`);
    const excess = results.clean.map((v) => v - debounceMs);
    console.log(`  clean, above the debounce time: ${stats(excess)}`);
  } finally {
    stim?.destroy();
    await door?.terminate().catch(() => {});
    await sysfs?.stop();
    await spy?.close();
    await kam?.stop();
    tmp.remove();
  }
}

async function main(): Promise<void> {
  const presses = Math.max(1, Math.round(arg('--presses', 20)));
  const debounceMs = Math.round(arg('--debounce', 30));
  const i = process.argv.indexOf('--backend');
  const which = i >= 0 ? process.argv[i + 1] : 'both';
  if (which !== 'fake' && which !== 'sysfs' && which !== 'both') {
    console.error(`gpio-press: --backend must be fake, sysfs or both (got "${which}")`);
    process.exit(2);
  }
  for (const backend of ['fake', 'sysfs'] as const) {
    if (which === backend || which === 'both') await bench(backend, presses, debounceMs);
  }
}

await main();
