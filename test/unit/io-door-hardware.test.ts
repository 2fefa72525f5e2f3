// The owner of the door's lines, over the real character-device backend and
// the fake chip, with a manual clock for the debounce.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConfigSchema, type Config } from '../../src/config/schema.ts';
import { chardevBackend } from '../../src/io/chardev-backend.ts';
import { openDoorHardware } from '../../src/io/door-hardware.ts';
import { FakeKernel } from '../../src/io/fake-chip.ts';
import { createLogger } from '../../src/log/logger.ts';
import { ManualTimers } from '../../src/sip/clock.ts';

const CHIPS = [{ name: 'gpiochip0', label: 'pinctrl-bcm2711', lines: 58 }];
const settle = () => new Promise((r) => setImmediate(r));

function config(extra: Record<string, unknown>): Config {
  const parsed = createConfigSchema(() => ({ ok: false, error: 'none' })).parse({
    sip: { server: '127.0.0.1', user: 'door', password: 'x' },
    buttons: [
      { name: 'bell', call: ['101'], gpio: { chip: 'gpiochip0', line: 17 } },
      { name: 'office', call: ['102'], gpio: { chip: 'gpiochip0', line: 18, active_low: false, bias: 'pull-down' } },
    ],
    ...extra,
  });
  return parsed as Config;
}

function logger() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'debug', format: 'text', journal: false, stream: { write: (s: string) => lines.push(s) } }) };
}

describe('door hardware', () => {
  it('a bouncing button is one press of that button; a release is none', async () => {
    const k = new FakeKernel(CHIPS);
    const t = new ManualTimers();
    const presses: string[] = [];
    const { log } = logger();
    const hw = await openDoorHardware(config({}), log, { press: (b) => presses.push(b), exit: () => {}, open: () => {} }, { timers: t, backend: chardevBackend(k) });
    for (const level of [false, true, false, true, false]) {
      k.drive('gpiochip0', 17, level);
      await settle();
      t.advance(3);
    }
    t.advance(100);
    k.drive('gpiochip0', 18, true);
    await settle();
    t.advance(100);
    assert.deepEqual(presses, ['bell', 'office']);
    for (const level of [true, false, true]) {
      k.drive('gpiochip0', 17, level);
      await settle();
      t.advance(3);
    }
    t.advance(100);
    assert.deepEqual(presses, ['bell', 'office']);
    await hw.close();
  });

  it('the relay pulses, LEDs follow the state, and close leaves every output inactive', async () => {
    const k = new FakeKernel(CHIPS);
    k.restoreOutputs({ gpiochip0: { 27: false } }); // an active-low relay left energised
    const { log } = logger();
    const cfg = config({
      door: { relay: { chip: 'gpiochip0', line: 27, active_low: true } },
      gpio: { leds: { error: { chip: 'gpiochip0', line: 5 }, idle: { chip: 'gpiochip0', line: 6 } }, amplifier: { chip: 'gpiochip0', line: 12 } },
    });
    const hw = await openDoorHardware(cfg, log, { press: () => {}, exit: () => {}, open: () => {} }, { timers: new ManualTimers(), backend: chardevBackend(k) });
    assert.equal(k.level('gpiochip0', 27), true, 'inactive (high, active-low) from the start');
    hw.setRelay(true);
    assert.equal(k.level('gpiochip0', 27), false);
    hw.indicate('error');
    assert.deepEqual([k.level('gpiochip0', 5), k.level('gpiochip0', 6)], [true, false]);
    hw.indicate('idle');
    assert.deepEqual([k.level('gpiochip0', 5), k.level('gpiochip0', 6)], [false, true]);
    hw.amplifier(true);
    assert.equal(k.level('gpiochip0', 12), true);
    assert.deepEqual(
      hw.snapshot().outputs.map((o) => [o.key, o.active]),
      [['door.relay', true], ['gpio.leds.error', false], ['gpio.leds.idle', true], ['gpio.amplifier', true]],
    );
    await hw.close();
    assert.deepEqual([k.level('gpiochip0', 27), k.level('gpiochip0', 5), k.level('gpiochip0', 6), k.level('gpiochip0', 12)], [true, false, false, false]);
  });

  it('a line that cannot be claimed is one error naming its key; the others work', async () => {
    const k = new FakeKernel(CHIPS);
    k.occupy('gpiochip0', 17, 'other-daemon');
    const { log, lines } = logger();
    const presses: string[] = [];
    const t = new ManualTimers();
    const hw = await openDoorHardware(
      config({ door: { relay: { chip: 'gpiochip9', line: 1 } } }),
      log,
      { press: (b) => presses.push(b), exit: () => {}, open: () => {} },
      { timers: t, backend: chardevBackend(k) },
    );
    const errors = lines.filter((l) => /level=error/.test(l));
    assert.equal(errors.length, 2);
    assert.match(errors[0]!, /event=gpio\.unavailable key=door\.relay reason="no such GPIO chip \\"gpiochip9\\" \(this board has: gpiochip0\)"/);
    assert.match(errors[1]!, /event=gpio\.unavailable key=buttons\[0\]\.gpio reason="gpiochip0 line 17 is busy: used by \\"other-daemon\\""/);
    hw.setRelay(true); // logged, not thrown
    assert.match(lines.at(-1)!, /event=door\.relay-unavailable/);
    k.drive('gpiochip0', 18, true);
    await settle();
    t.advance(100);
    assert.deepEqual(presses, ['office']);
    await hw.close();
  });

  it('no GPIO on the machine is one error line, not a crash', async () => {
    const { log, lines } = logger();
    const hw = await openDoorHardware(config({ gpio: { backend: 'fake' } }), log, { press: () => {}, exit: () => {}, open: () => {} });
    assert.match(lines.join(''), /event=gpio\.unavailable key=gpio\.backend reason="gpio\.fake_dir: required with gpio\.backend: fake"/);
    assert.equal(hw.snapshot().backend, null);
    await hw.close();
  });
});
