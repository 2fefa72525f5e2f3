// The character-device backend against the in-memory chip, which answers the
// same ioctls with the same struct bytes as the kernel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chardevBackend } from '../../src/io/chardev-backend.ts';
import { FakeKernel } from '../../src/io/fake-chip.ts';
import { GpioError } from '../../src/io/gpio.ts';

const CHIPS = [
  { name: 'gpiochip0', label: 'pinctrl-bcm2711', lines: 58 },
  { name: 'gpiochip1', label: 'raspberrypi-exp-gpio', lines: 8 },
];
const BUTTON = { chip: 'gpiochip0', line: 17, activeLow: true, bias: 'pull-up' as const, consumer: 'test' };
const RELAY = { chip: 'gpiochip0', line: 27, activeLow: false, consumer: 'test' };

const settle = () => new Promise((r) => setImmediate(r));

describe('chardev GPIO backend (fake chip)', () => {
  it('an active-low input with pull-up reads idle, and a press to ground is a rising logical edge', async () => {
    const k = new FakeKernel(CHIPS);
    const gpio = chardevBackend(k);
    const edges: boolean[] = [];
    const input = gpio.input(BUTTON, (a) => edges.push(a));
    assert.equal(k.level('gpiochip0', 17), true, 'pull-up holds the line high');
    assert.equal(input.value(), false);
    k.drive('gpiochip0', 17, false);
    await settle();
    k.drive('gpiochip0', 17, true);
    await settle();
    assert.deepEqual(edges, [true, false]);
    k.drive('gpiochip0', 17, false);
    assert.equal(input.value(), true);
    await gpio.close();
  });

  it('several events queued before the read arrive in order', async () => {
    const k = new FakeKernel(CHIPS);
    const gpio = chardevBackend(k);
    const edges: boolean[] = [];
    gpio.input({ ...BUTTON, activeLow: false, bias: 'pull-down' }, (a) => edges.push(a));
    for (let i = 0; i < 5; i++) {
      k.drive('gpiochip0', 17, true);
      k.drive('gpiochip0', 17, false);
    }
    await settle();
    assert.deepEqual(edges, [true, false, true, false, true, false, true, false, true, false]);
    await gpio.close();
  });

  it('an output is inactive from the moment it is claimed, honours active-low, and close leaves it inactive', async () => {
    const k = new FakeKernel(CHIPS);
    k.restoreOutputs({ gpiochip0: { 27: true, 22: false } }); // left energised by a killed process
    const seen: Array<[number, boolean | undefined]> = [];
    k.onOutput = (_c, off, level) => seen.push([off, level]);
    const gpio = chardevBackend(k);
    const relay = gpio.output(RELAY);
    const low = gpio.output({ ...RELAY, line: 22, activeLow: true });
    assert.equal(k.level('gpiochip0', 27), false);
    assert.equal(k.level('gpiochip0', 22), true, 'active-low inactive is the high level');
    relay.set(true);
    low.set(true);
    assert.equal(k.level('gpiochip0', 27), true);
    assert.equal(k.level('gpiochip0', 22), false);
    await gpio.close();
    assert.equal(k.level('gpiochip0', 27), false);
    assert.equal(k.level('gpiochip0', 22), true);
    assert.deepEqual(seen[0], [27, false], 'the first thing driven is the inactive level');
  });

  it('names a missing chip and lists the ones there are', () => {
    const gpio = chardevBackend(new FakeKernel(CHIPS));
    assert.throws(() => gpio.output({ ...RELAY, chip: 'gpiochip4' }), (e: Error) => {
      assert.ok(e instanceof GpioError);
      assert.equal(e.message, 'no such GPIO chip "gpiochip4" (this board has: gpiochip0, gpiochip1)');
      return true;
    });
  });

  it('accepts a chip by its label', async () => {
    const k = new FakeKernel(CHIPS);
    const gpio = chardevBackend(k);
    gpio.output({ ...RELAY, chip: 'raspberrypi-exp-gpio', line: 3 }).set(true);
    assert.equal(k.level('gpiochip1', 3), true);
    await gpio.close();
  });

  it('a line out of range, a busy line and a denied device each give one clear line', () => {
    const k = new FakeKernel(CHIPS);
    k.occupy('gpiochip0', 4, 'w1-gpio');
    const gpio = chardevBackend(k);
    assert.throws(() => gpio.output({ ...RELAY, line: 60 }), /^GpioError: gpiochip0 \(pinctrl-bcm2711\) has lines 0-57; there is no line 60$/);
    assert.throws(() => gpio.input({ ...BUTTON, line: 4 }, () => {}), /^GpioError: gpiochip0 line 4 is busy: used by "w1-gpio"$/);
    gpio.output(RELAY);
    assert.throws(() => gpio.output(RELAY), /gpiochip0 line 27 is busy: used by "test"/);
    const k2 = new FakeKernel(CHIPS);
    k2.denied.add('/dev/gpiochip0');
    assert.throws(
      () => chardevBackend(k2).output(RELAY),
      /^GpioError: permission denied on \/dev\/gpiochip0: add the user the station runs as to the "gpio" group \(usermod -aG gpio USER\) and restart it$/,
    );
  });

  it('a closed input releases its line for the next claim', async () => {
    const k = new FakeKernel(CHIPS);
    const gpio = chardevBackend(k);
    const a = gpio.input(BUTTON, () => {});
    a.close();
    await settle();
    const edges: boolean[] = [];
    gpio.input(BUTTON, (v) => edges.push(v));
    k.drive('gpiochip0', 17, false);
    await settle();
    assert.deepEqual(edges, [true]);
    await gpio.close();
  });
});
