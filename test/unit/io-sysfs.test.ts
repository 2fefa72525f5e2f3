// The sysfs backend's numbering against fake sysfs trees laid out as the
// kernels of a Pi 4 (6.6+: base 512), a Pi 5 (base 571) and an old kernel (base 0).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sysfsNumber } from '../../src/io/sysfs-chips.ts';
import { sysfsBackend } from '../../src/io/sysfs-backend.ts';
import { createLogger } from '../../src/log/logger.ts';
import { makeTempDir } from '../support/process.ts';

function tree(chips: Array<{ base: number; ngpio: number; label: string; dev?: string }>): { root: string; remove(): void } {
  const tmp = makeTempDir('intercom-sysfs-');
  for (const c of chips) {
    const dir = join(tmp.path, `gpiochip${c.base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'base'), `${c.base}\n`);
    writeFileSync(join(dir, 'ngpio'), `${c.ngpio}\n`);
    writeFileSync(join(dir, 'label'), `${c.label}\n`);
    if (c.dev) mkdirSync(join(dir, 'device', c.dev), { recursive: true });
  }
  writeFileSync(join(tmp.path, 'export'), '');
  return { root: tmp.path, remove: tmp.remove };
}

describe('sysfs GPIO numbering', () => {
  it('Pi 4 on kernel 6.6: BCM 17 of gpiochip0 is sysfs 529', () => {
    const t = tree([
      { base: 512, ngpio: 58, label: 'pinctrl-bcm2711', dev: 'gpiochip0' },
      { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio', dev: 'gpiochip1' },
    ]);
    assert.equal(sysfsNumber(t.root, 'gpiochip0', 17).number, 529);
    assert.equal(sysfsNumber(t.root, 'pinctrl-bcm2711', 27).number, 539);
    assert.equal(sysfsNumber(t.root, 'gpiochip1', 2).number, 572);
    assert.throws(() => sysfsNumber(t.root, 'gpiochip0', 58), /gpiochip0 \(pinctrl-bcm2711\) has lines 0-57; there is no line 58/);
    assert.throws(
      () => sysfsNumber(t.root, 'gpiochip4', 1),
      /no such GPIO chip "gpiochip4" in .* \(gpiochip0 \(pinctrl-bcm2711, base 512\), gpiochip1 \(raspberrypi-exp-gpio, base 570\)\)/,
    );
    t.remove();
  });

  it('Pi 5: the header chip by label is at base 571', () => {
    const t = tree([
      { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500', dev: 'gpiochip1' },
      { base: 571, ngpio: 54, label: 'pinctrl-rp1', dev: 'gpiochip0' },
    ]);
    assert.equal(sysfsNumber(t.root, 'pinctrl-rp1', 17).number, 588);
    assert.equal(sysfsNumber(t.root, 'gpiochip0', 17).number, 588);
    t.remove();
  });

  it('an old kernel without device links: chips in base order, base 0', () => {
    const t = tree([
      { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
      { base: 0, ngpio: 54, label: 'pinctrl-bcm2835' },
    ]);
    assert.equal(sysfsNumber(t.root, 'gpiochip0', 17).number, 17);
    assert.equal(sysfsNumber(t.root, 'gpiochip1', 3).number, 507);
    t.remove();
  });

  it('the backend names the line and its sysfs number when onoff cannot claim it', async () => {
    const t = tree([{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711', dev: 'gpiochip0' }]);
    const gpio = await sysfsBackend(t.root, createLogger({ level: 'error', format: 'text', stream: { write: () => {} } }));
    // onoff always works on /sys/class/gpio, which this machine lacks: the claim fails, clearly.
    assert.throws(() => gpio.output({ chip: 'gpiochip0', line: 27, activeLow: false, consumer: 'test' }), /^GpioError: gpiochip0 line 27 \(sysfs 539\): /);
    await gpio.close();
    t.remove();
  });
});
