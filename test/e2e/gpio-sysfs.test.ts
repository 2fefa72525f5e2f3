// The sysfs GPIO backend with the real onoff underneath, against a fake of the
// kernel's /sys/class/gpio (a FUSE filesystem in a private mount namespace,
// test/support/fake-sysfs-gpio.c) laid out as a Pi 4 on kernel 6.6+ (base
// 512): export at the chip's base plus the BCM line, direction, active_low,
// edge, value reads and writes, edges woken through epoll(EPOLLPRI), unexport,
// and the errors an installer meets. Then the real `intercom` on it: a
// bouncing button is exactly one call at a baresip phone via Kamailio, and the
// relay is off after a stop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startFakeSysfs, type FakeSysfs, type FakeSysfsChip } from '../support/fake-sysfs.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const CHILD = fileURLToPath(new URL('../support/sysfs-backend-child.ts', import.meta.url));
const PI4: FakeSysfsChip[] = [
  { base: 512, ngpio: 58, label: 'pinctrl-bcm2711', dev: 'gpiochip0' },
  { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio', dev: 'gpiochip1' },
];
const BUTTON = 17; // sysfs 529
const RELAY = 27; // sysfs 539
const sysfs = (line: number): number => 512 + line;

type Message = { reply?: unknown; error?: string; edge?: string; active?: boolean; log?: string };

/** The backend in a child process inside the namespace, driven line by line. */
function backendChild(fake: FakeSysfs): {
  call(cmd: Record<string, unknown>): Promise<Message>;
  edges: Array<{ id: string; active: boolean }>;
  logs: string[];
  child: ChildProcessWithoutNullStreams;
} {
  const [enter, ...enterArgs] = fake.enter as [string, ...string[]];
  const child = spawn(enter, [...enterArgs, process.execPath, '--import', 'tsx', CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
  const edges: Array<{ id: string; active: boolean }> = [];
  const logs: string[] = [];
  const waiting: Array<(m: Message) => void> = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    const m = JSON.parse(text) as Message;
    if (m.edge !== undefined) edges.push({ id: m.edge, active: m.active === true });
    else if (m.log !== undefined) logs.push(m.log);
    else waiting.shift()?.(m);
  });
  let exited = false;
  child.stdin.on('error', () => undefined);
  child.once('exit', () => {
    exited = true;
    for (const w of waiting.splice(0)) w({ error: `child exited: ${stderr}` });
  });
  return {
    call: (cmd) =>
      new Promise((resolve) => {
        if (exited) return resolve({ error: `child exited: ${stderr}` });
        waiting.push(resolve);
        child.stdin.write(`${JSON.stringify(cmd)}\n`);
      }),
    edges,
    logs,
    child,
  };
}

describe('sysfs backend through onoff against a fake /sys/class/gpio', { timeout: 60_000 }, () => {
  let fake: FakeSysfs;
  let gpio: ReturnType<typeof backendChild>;

  before(async () => {
    fake = await startFakeSysfs(PI4);
    gpio = backendChild(fake);
  });

  after(async () => {
    gpio?.child.kill('SIGKILL');
    await fake?.stop();
  });

  it('an input is exported at base + BCM line, active low, both edges; pull-up is reported as not settable', async () => {
    assert.deepEqual(await gpio.call({ op: 'input', id: 'button', chip: 'gpiochip0', line: BUTTON, activeLow: true, bias: 'pull-up' }), { reply: 'ok' });
    assert.deepEqual(await fake.line(sysfs(BUTTON)), { exported: true, direction: 'in', activeLow: true, edge: 'both', value: 0, level: 1 });
    assert.ok(gpio.logs.some((l) => /event=gpio\.bias-unsupported .*line=17 .*bias=pull-up .*config\.txt/.test(l)), gpio.logs.join('\n'));
    assert.deepEqual(await gpio.call({ op: 'value', id: 'button' }), { reply: false });
  });

  it('edges arrive through epoll; the value follows the pin, inverted by active_low', async () => {
    await fake.levels(sysfs(BUTTON), [0]);
    await waitUntil('press edge', () => gpio.edges.some((e) => e.id === 'button' && e.active), { timeoutMs: 3000 });
    assert.deepEqual(await gpio.call({ op: 'value', id: 'button' }), { reply: true });
    await fake.levels(sysfs(BUTTON), [1]);
    await waitUntil('release edge', () => gpio.edges.at(-1)?.active === false, { timeoutMs: 3000 });
    assert.deepEqual(await gpio.call({ op: 'value', id: 'button' }), { reply: false });
    assert.deepEqual(gpio.edges, [
      { id: 'button', active: true },
      { id: 'button', active: false },
    ]);
  });

  it('reading the value between an edge and epoll\'s check does not swallow the edge', async () => {
    // kernfs marks an edge seen when the value file is read through the same open
    // file: the station's reads (status, the debouncer) must not use the watched one.
    const before = gpio.edges.length;
    await fake.pausePoll(sysfs(BUTTON), true);
    await fake.levels(sysfs(BUTTON), [0]);
    assert.deepEqual(await gpio.call({ op: 'value', id: 'button' }), { reply: true });
    await fake.pausePoll(sysfs(BUTTON), false);
    await waitUntil('the press edge', () => gpio.edges.length > before, { timeoutMs: 3000 });
    assert.deepEqual(gpio.edges.at(-1), { id: 'button', active: true });
    await fake.levels(sysfs(BUTTON), [1]);
    await waitUntil('release edge', () => gpio.edges.at(-1)?.active === false, { timeoutMs: 3000 });
  });

  it('a chip named by label works too', async () => {
    assert.deepEqual(await gpio.call({ op: 'input', id: 'contact', chip: 'pinctrl-bcm2711', line: 24, activeLow: false, bias: 'as-is' }), { reply: 'ok' });
    const line = await fake.line(sysfs(24));
    assert.equal(line.exported, true);
    assert.equal(line.activeLow, false);
    assert.deepEqual(await gpio.call({ op: 'value', id: 'contact' }), { reply: true });
  });

  it('outputs start inactive and drive the pin: active high, and active low', async () => {
    assert.deepEqual(await gpio.call({ op: 'output', id: 'relay', chip: 'gpiochip0', line: RELAY, activeLow: false }), { reply: 'ok' });
    assert.deepEqual(await fake.line(sysfs(RELAY)), { exported: true, direction: 'out', activeLow: false, edge: 'none', value: 0, level: 0 });
    await gpio.call({ op: 'set', id: 'relay', active: true });
    assert.equal((await fake.line(sysfs(RELAY))).level, 1);
    await gpio.call({ op: 'set', id: 'relay', active: false });
    assert.equal((await fake.line(sysfs(RELAY))).level, 0);

    assert.deepEqual(await gpio.call({ op: 'output', id: 'led', chip: 'gpiochip0', line: 5, activeLow: true }), { reply: 'ok' });
    assert.deepEqual(await fake.line(sysfs(5)), { exported: true, direction: 'out', activeLow: true, edge: 'none', value: 0, level: 1 });
    await gpio.call({ op: 'set', id: 'led', active: true });
    assert.equal((await fake.line(sysfs(5))).level, 0);
  });

  it('clear errors: no such line, a line held by another consumer, export not permitted', async () => {
    const none = await gpio.call({ op: 'input', id: 'x', chip: 'gpiochip0', line: 58, activeLow: true, bias: 'as-is' });
    assert.equal(none.error, 'GpioError: gpiochip0 (pinctrl-bcm2711) has lines 0-57; there is no line 58');
    const chip = await gpio.call({ op: 'output', id: 'x', chip: 'gpiochip7', line: 1, activeLow: false });
    assert.match(chip.error ?? '', /^GpioError: no such GPIO chip "gpiochip7" in \/sys\/class\/gpio \(gpiochip0 \(pinctrl-bcm2711, base 512\), gpiochip1 \(raspberrypi-exp-gpio, base 570\)\)$/);

    await fake.claim(sysfs(22), true);
    const busy = await gpio.call({ op: 'input', id: 'x', chip: 'gpiochip0', line: 22, activeLow: true, bias: 'as-is' });
    assert.equal(busy.error, 'GpioError: gpiochip0 line 22 (sysfs 534) is busy: claimed by a driver or another program');
    await fake.claim(sysfs(22), false);

    await fake.denyExport(true);
    const denied = await gpio.call({ op: 'output', id: 'x', chip: 'gpiochip0', line: 6, activeLow: false });
    assert.match(denied.error ?? '', /^GpioError: gpiochip0 line 6 \(sysfs 518\): permission denied: add the user the station runs as to the "gpio" group/);
    await fake.denyExport(false);
    assert.equal((await fake.line(sysfs(6))).exported, false);
  });

  it('releasing an input unexports it; closing unexports the inputs and leaves outputs driven inactive', async () => {
    await gpio.call({ op: 'release', id: 'contact' });
    assert.equal((await fake.line(sysfs(24))).exported, false);
    await gpio.call({ op: 'set', id: 'relay', active: true });
    assert.deepEqual(await gpio.call({ op: 'close' }), { reply: 'closed' });
    assert.equal((await fake.line(sysfs(BUTTON))).exported, false);
    // Outputs stay exported: an unexported pin floats, and with it the relay driver's input.
    assert.deepEqual(await fake.line(sysfs(RELAY)), { exported: true, direction: 'out', activeLow: false, edge: 'none', value: 0, level: 0 });
    assert.equal((await fake.line(sysfs(5))).level, 1, 'active-low LED off');
  });
});

describe('door over sysfs GPIO (onoff, fake /sys/class/gpio): button to INVITE, relay', { timeout: 90_000 }, () => {
  const PASSWORDS = { door: 'door-secret', '101': 'pw101' };
  let fake: FakeSysfs;
  let kam: Kamailio;
  let phone: Baresip;
  let door: IntercomInstance | undefined;
  const start = (): Promise<IntercomInstance> =>
    startIntercom(
      {
        sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
        buttons: [{ name: 'bell', call: ['101'], gpio: { chip: 'gpiochip0', line: BUTTON } }],
        door: { relay: { chip: 'pinctrl-bcm2711', line: RELAY }, open_ms: 60000 },
        gpio: { backend: 'sysfs', debounce_ms: 30 },
        audio: { input: 'none', output: 'none' },
      },
      { wrap: fake.enter },
    );

  before(async () => {
    fake = await startFakeSysfs(PI4);
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    door = await start();
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
    await fake?.stop();
  });

  it('a bouncing button on sysfs 529 is exactly one call, INVITE received by the phone', async () => {
    const d = door!;
    assert.equal((await fake.line(sysfs(BUTTON))).edge, 'both');
    const hw = ((await d.status()) as unknown as { hardware?: { backend: string | null; inputs: Array<{ key: string; active?: boolean }> } }).hardware;
    assert.equal(hw?.backend, 'sysfs');
    assert.deepEqual(hw?.inputs.map((i) => [i.key, i.active]), [['buttons[0].gpio', false]]);
    await fake.levels(sysfs(BUTTON), [0, 1, 0, 1, 0, 1, 0], 2);
    await new Promise((r) => setTimeout(r, 150));
    await fake.levels(sysfs(BUTTON), [1, 0, 1, 0, 1], 2);
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await d.status()).call?.state === 'active', { timeoutMs: 5000 });
    // Let any second press (there must be none) reach the log before counting.
    await new Promise((r) => setTimeout(r, 300));
    const logs = d.logs();
    const lines = (re: RegExp): number => logs.split('\n').filter((l) => re.test(l)).length;
    assert.ok(lines(/event=gpio\.edge .*key=buttons\[0\]\.gpio/) >= 2, 'the edges reached the station');
    assert.equal(lines(/event=press /), 1, 'one press');
    assert.equal(lines(/event=press\.ignored/), 0, 'no second press');
    assert.equal(phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length, 1, 'one call at the phone');
    assert.equal((await d.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
  });

  it('intercom open energises the relay on sysfs 539; a stop de-energises it and unexports the button', async () => {
    const d = door!;
    assert.equal((await fake.line(sysfs(RELAY))).level, 0, 'claimed inactive');
    assert.equal((await d.cli('open')).code, 0);
    await waitUntil('relay energised', async () => (await fake.line(sysfs(RELAY))).level === 1, { timeoutMs: 3000 });
    assert.equal(await d.terminate(), 0);
    door = undefined;
    assert.equal((await fake.line(sysfs(RELAY))).level, 0, 'de-energised by the stop');
    assert.equal((await fake.line(sysfs(BUTTON))).exported, false, 'button unexported');
  });

  it('after a kill -9 the lines stay exported; the next start takes them over: relay off, the button rings', async () => {
    let d = await start();
    door = d;
    assert.equal((await d.cli('open')).code, 0);
    await waitUntil('relay energised', async () => (await fake.line(sysfs(RELAY))).level === 1, { timeoutMs: 3000 });
    d.process.child.kill('SIGKILL');
    await d.process.exited;
    // Nobody unexports after a kill: the pin keeps its level and the button its edge setting.
    assert.equal((await fake.line(sysfs(RELAY))).level, 1, 'still energised after the kill');
    assert.equal((await fake.line(sysfs(BUTTON))).edge, 'both');
    d = await start();
    door = d;
    assert.equal((await fake.line(sysfs(RELAY))).level, 0, 'de-energised at start-up');
    const calls = phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length;
    await fake.levels(sysfs(BUTTON), [0]);
    await waitUntil('call answered', () => phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length > calls, { timeoutMs: 10_000 });
    await fake.levels(sysfs(BUTTON), [1]);
    assert.equal((await d.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
  });
});
