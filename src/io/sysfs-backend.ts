// GPIO through sysfs (/sys/class/gpio) with onoff, for kernels and images
// that still have it. Lines are named as for the character device (chip and
// BCM line); the global sysfs number is worked out from the chip's base
// (sysfs-chips.ts). sysfs cannot set pull resistors: they are left to the
// board's config.txt (gpio=17=ip,pu), and a configured bias is reported.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { GpioError, lineName, type GpioBackend, type GpioInput, type GpioOutput, type InputSpec, type LineSpec } from './gpio.ts';
import { sysfsNumber } from './sysfs-chips.ts';

/** The part of onoff's Gpio this backend uses. */
interface OnoffGpio {
  readSync(): number;
  writeSync(value: 0 | 1): void;
  watch(cb: (err: Error | null | undefined, value: number) => void): void;
  unexport(): void;
}

type OnoffCtor = new (gpio: number, direction: 'in' | 'high' | 'low', edge?: 'both', options?: { activeLow?: boolean }) => OnoffGpio;

function explain(e: unknown, spec: LineSpec, number: number): GpioError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    return new GpioError(`${lineName(spec)} (sysfs ${number}): permission denied: add the user the station runs as to the "gpio" group (usermod -aG gpio USER) and restart it`);
  }
  if (err.code === 'EBUSY') return new GpioError(`${lineName(spec)} (sysfs ${number}) is busy: claimed by a driver or another program`);
  return new GpioError(`${lineName(spec)} (sysfs ${number}): ${err.message}`);
}

/** The sysfs backend rooted at `root` (normally /sys/class/gpio). */
export async function sysfsBackend(root: string, log: Logger): Promise<GpioBackend> {
  const { Gpio } = (await import('onoff')) as unknown as { Gpio: OnoffCtor };
  const claimed = new Set<OnoffGpio>();
  const inputs = new Set<GpioInput>();
  const outputs = new Set<GpioOutput>();
  const claim = (spec: LineSpec, make: (n: number) => OnoffGpio): { g: OnoffGpio; number: number } => {
    const { number } = sysfsNumber(root, spec.chip, spec.line);
    try {
      const g = make(number);
      claimed.add(g);
      return { g, number };
    } catch (e) {
      throw explain(e, spec, number);
    }
  };
  const release = (g: OnoffGpio): void => {
    if (!claimed.delete(g)) return;
    try {
      g.unexport();
    } catch {
      // already gone
    }
  };
  return {
    name: 'sysfs',
    input(spec: InputSpec, onEdge): GpioInput {
      if (spec.bias !== 'as-is') {
        log.warn('gpio.bias-unsupported', { chip: spec.chip, line: spec.line, bias: spec.bias, reason: 'sysfs cannot set pull resistors; set them in config.txt (gpio=LINE=ip,pu) or use gpio.backend: chardev' });
      }
      const { g, number } = claim(spec, (n) => new Gpio(n, 'in', 'both', { activeLow: spec.activeLow }));
      g.watch((err, value) => {
        if (!err) onEdge(value === 1);
      });
      // The kernel marks an edge seen when `value` is read through the open file
      // epoll watches (kernfs), so a status query landing between an interrupt and
      // epoll's check would swallow the edge: other reads use a file of their own.
      let fd: number;
      try {
        fd = openSync(join(root, `gpio${number}`, 'value'), 'r');
      } catch (e) {
        release(g);
        throw explain(e, spec, number);
      }
      const level = Buffer.alloc(1);
      const input: GpioInput = {
        value: () => {
          readSync(fd, level, 0, 1, 0);
          return level[0] === 0x31;
        },
        close: () => {
          if (!inputs.delete(input)) return;
          closeSync(fd);
          release(g);
        },
      };
      inputs.add(input);
      return input;
    },
    output(spec: LineSpec): GpioOutput {
      // "high"/"low" set direction and level in one write; the level is the raw one,
      // so an active-low output starts high, which is its inactive level.
      const { g } = claim(spec, (n) => new Gpio(n, spec.activeLow ? 'high' : 'low', undefined, { activeLow: spec.activeLow }));
      let current = false;
      const out: GpioOutput = {
        set(active) {
          if (!claimed.has(g)) return;
          g.writeSync(active ? 1 : 0);
          current = active;
        },
        get: () => current,
        close() {
          if (!claimed.has(g)) return;
          // Not unexported: an unexported pin floats, and with it the relay driver's input.
          g.writeSync(0);
          current = false;
          claimed.delete(g);
          outputs.delete(out);
        },
      };
      outputs.add(out);
      return out;
    },
    async close() {
      for (const i of [...inputs]) i.close();
      for (const o of [...outputs]) o.close();
      for (const g of [...claimed]) release(g);
    },
  };
}
