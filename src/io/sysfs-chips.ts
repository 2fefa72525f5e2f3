// Where a chip's lines sit in the sysfs GPIO number space. Since kernel 6.6
// the Raspberry Pi's chips no longer start at 0 (base 512 on a Pi 4, 571 for
// the header pins of a Pi 5), so "line 17" must be added to the chip's base;
// the config keeps BCM line numbers and the chip name or label it uses with
// the character device. Reads <root>/gpiochip*/{base,label,ngpio}.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpioError } from './gpio.ts';

/** A chip as sysfs describes it. */
export interface SysfsChip {
  /** Directory name under the sysfs root ("gpiochip512"). */
  dir: string;
  base: number;
  ngpio: number;
  label: string;
  /** The character-device name of the same chip ("gpiochip0"), when sysfs tells. */
  devName?: string;
}

function readText(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

/** Every chip in the sysfs tree at `root`, lowest base first. */
export function listSysfsChips(root: string): SysfsChip[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => /^gpiochip\d+$/.test(n));
  } catch {
    return [];
  }
  const chips: SysfsChip[] = [];
  for (const dir of names) {
    try {
      const chip: SysfsChip = {
        dir,
        base: Number(readText(join(root, dir, 'base'))),
        ngpio: Number(readText(join(root, dir, 'ngpio'))),
        label: readText(join(root, dir, 'label')),
      };
      // The parent device lists its character device as a "gpiochipN" entry.
      try {
        const dev = readdirSync(join(root, dir, 'device')).find((n) => /^gpiochip\d+$/.test(n));
        if (dev) chip.devName = dev;
      } catch {
        // no device link (older kernels): fall back to the order of bases
      }
      chips.push(chip);
    } catch {
      // a chip directory without its attributes is skipped
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The sysfs GPIO number of `line` on `chip` (a character-device name such as
 * gpiochip0, or a label such as pinctrl-bcm2711); throws GpioError naming
 * what is there.
 */
export function sysfsNumber(root: string, chip: string, line: number): { number: number; chip: SysfsChip } {
  if (!existsSync(root)) throw new GpioError(`no ${root} on this system (sysfs GPIO is not built into the kernel); use gpio.backend: chardev`);
  const chips = listSysfsChips(root);
  const index = /^gpiochip(\d+)$/.exec(chip)?.[1];
  const found =
    chips.find((c) => c.label === chip) ??
    chips.find((c) => c.devName === chip) ??
    // Without device links, character devices are numbered in registration order, which is base order.
    (index !== undefined && chips.every((c) => c.devName === undefined) ? chips[Number(index)] : undefined);
  if (!found) {
    const have = chips.map((c) => `${c.devName ?? c.dir} (${c.label}, base ${c.base})`).join(', ');
    throw new GpioError(`no such GPIO chip "${chip}" in ${root} (${have || 'no chips'})`);
  }
  if (line >= found.ngpio) throw new GpioError(`${chip} (${found.label}) has lines 0-${found.ngpio - 1}; there is no line ${line}`);
  return { number: found.base + line, chip: found };
}
