// The door's GPIO end to end: the real `intercom` with the fake chip behind
// the real character-device backend (gpio.backend: fake), Kamailio and a
// baresip indoor phone. A bouncing button is one call; the opener relay is
// energised for an opening, off after a stop and off again after a kill -9
// and restart; the exit button opens; the door contact shows in status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { fakeGpioPins } from '../support/fake-gpio.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };
const BUTTON = 17;
const EXIT = 23;
const CONTACT = 24;
const RELAY = 27;
const LED_IDLE = 5;

interface HwStatus {
  hardware?: {
    backend: string | null;
    door_contact?: string;
    inputs: Array<{ key: string; active?: boolean; error?: string }>;
    outputs: Array<{ key: string; active?: boolean; error?: string }>;
  };
}

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

describe('door hardware over GPIO (fake chip, real backend)', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  let door: IntercomInstance | undefined;
  const pinsDir = makeTempDir('intercom-gpio-');
  const pins = fakeGpioPins(pinsDir.path);

  const start = async (): Promise<IntercomInstance> =>
    startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'], gpio: { chip: 'gpiochip0', line: BUTTON } }],
      door: {
        relay: { chip: 'gpiochip0', line: RELAY },
        exit_button: { chip: 'gpiochip0', line: EXIT },
        contact: { chip: 'gpiochip0', line: CONTACT },
        open_ms: 60000,
        codes: ['7394'],
      },
      gpio: { backend: 'fake', fake_dir: pinsDir.path, debounce_ms: 30, leds: { idle: { chip: 'gpiochip0', line: LED_IDLE } } },
      audio: { input: 'none', output: 'none' },
    });

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    door = await start();
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
    pinsDir.remove();
  });

  it('a bouncing button press is exactly one call, INVITE received by the phone', async () => {
    const d = door!;
    // Contact bounce on press (ends low = pressed), held, then bounce on release.
    await pins.levels('gpiochip0', BUTTON, ['low', 'high', 'low', 'high', 'low', 'high', 'low'], 2);
    await new Promise((r) => setTimeout(r, 150));
    await pins.levels('gpiochip0', BUTTON, ['high', 'low', 'high', 'low', 'high'], 2);
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await d.status()).call?.state === 'active', { timeoutMs: 5000 });
    // Let any second press (there must be none) reach the log before counting.
    await new Promise((r) => setTimeout(r, 300));
    const logs = d.logs();
    assert.ok(count(logs, /event=gpio\.edge .*key=buttons\[0\]\.gpio/) >= 10, 'the bounces reached the station as edges');
    assert.equal(count(logs, /event=press /), 1, 'one press');
    assert.equal(count(logs, /event=press\.ignored/), 0, 'no second press');
    assert.equal(phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length, 1, 'one call at the phone');
    assert.equal((await d.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
    await waitUntil('door idle', async () => (await d.status()).call === null, { timeoutMs: 5000 });
  });

  it('status shows the backend and the live inputs; the idle LED is lit when registered', async () => {
    const st = (await door!.status()) as unknown as HwStatus;
    assert.equal(st.hardware?.backend, 'fake');
    assert.deepEqual(
      st.hardware?.inputs.map((i) => [i.key, i.active]),
      [['buttons[0].gpio', false], ['door.exit_button', false], ['door.contact', false]],
    );
    await waitUntil('idle LED on', () => pins.output('gpiochip0', LED_IDLE) === true, { timeoutMs: 3000 });
  });

  it('the door contact is reported in status and the log', async () => {
    await pins.levels('gpiochip0', CONTACT, ['low']);
    await waitUntil('contact closed', async () => ((await door!.status()) as unknown as HwStatus).hardware?.door_contact === 'closed', { timeoutMs: 3000 });
    await pins.levels('gpiochip0', CONTACT, ['high']);
    await waitUntil('contact open', async () => ((await door!.status()) as unknown as HwStatus).hardware?.door_contact === 'open', { timeoutMs: 3000 });
    assert.match(door!.logs(), /event=door\.contact state=closed/);
    assert.match(door!.logs(), /event=door\.contact state=open/);
  });

  it('intercom open energises the relay; the exit button opens too; a stop de-energises it', async () => {
    const d = door!;
    assert.equal(pins.output('gpiochip0', RELAY), false, 'claimed inactive at start');
    assert.equal((await d.cli('open')).code, 0);
    await waitUntil('relay energised', () => pins.output('gpiochip0', RELAY) === true, { timeoutMs: 3000 });
    assert.equal((await d.status()).door.open, true);
    await pins.levels('gpiochip0', EXIT, ['low', 'high', 'low'], 2);
    await waitUntil('exit button opened', async () => (await d.status()).door.opened === 2, { timeoutMs: 3000 });
    assert.match(d.logs(), /event=door\.opened by=exit-button/);
    await pins.levels('gpiochip0', EXIT, ['high']);
    assert.equal(await d.terminate(), 0);
    door = undefined;
    assert.equal(pins.output('gpiochip0', RELAY), false, 'de-energised by the stop');
  });

  it('a relay left energised by kill -9 is off as soon as the station starts again', async () => {
    let d = await start();
    door = d;
    assert.equal((await d.cli('open')).code, 0);
    await waitUntil('relay energised', () => pins.output('gpiochip0', RELAY) === true, { timeoutMs: 3000 });
    d.process.child.kill('SIGKILL');
    await d.process.exited;
    // Like many pin controllers, the fake chip keeps the level of a line whose owner died.
    assert.equal(pins.output('gpiochip0', RELAY), true, 'still energised after the kill');
    d = await start();
    door = d;
    assert.equal(pins.output('gpiochip0', RELAY), false, 'de-energised at start-up');
    assert.equal((await d.status()).door.open, false);
  });

  it('after a kill -9, intercom outputs-off (the unit\'s ExecStopPost=) switches the relay off; while running it refuses', async () => {
    const d = door!;
    assert.equal((await d.cli('open')).code, 0);
    await waitUntil('relay energised', () => pins.output('gpiochip0', RELAY) === true, { timeoutMs: 3000 });
    const busy = await d.cli('outputs-off');
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /held by another process \(its lines are busy\)/);
    d.process.child.kill('SIGKILL');
    await d.process.exited;
    assert.equal(pins.output('gpiochip0', RELAY), true, 'still energised after the kill');
    const off = await d.cli('outputs-off');
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /door\.relay: off \(gpiochip0 line 27\)/);
    assert.equal(pins.output('gpiochip0', RELAY), false);
    door = await start();
  });

  it('the code keyed on the phone during a button call energises the relay', async () => {
    const d = door!;
    const established = phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length;
    await pins.levels('gpiochip0', BUTTON, ['low']);
    await waitUntil('call answered', () => phone.events().filter((e) => e.type === 'CALL_ESTABLISHED').length > established, { timeoutMs: 10_000 });
    await waitUntil('call active', async () => (await d.status()).call?.state === 'active', { timeoutMs: 5000 });
    await pins.levels('gpiochip0', BUTTON, ['high']);
    await phone.sendDtmf('7394');
    await waitUntil('relay energised', () => pins.output('gpiochip0', RELAY) === true, { timeoutMs: 5000 });
    assert.match(d.logs(), /event=door\.opened by=dtmf/);
    assert.equal(await d.terminate(), 0);
    door = undefined;
    assert.equal(pins.output('gpiochip0', RELAY), false);
  });
});
