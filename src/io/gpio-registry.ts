// Picks the GPIO backend named in the config (gpio.backend): the kernel's
// character device, sysfs, or the fake chip; `auto` prefers the character
// device, the kernel's supported interface, and falls back to sysfs.
import { existsSync, readdirSync } from 'node:fs';
import type { GpioBackendName } from '../config/hardware-schema.ts';
import type { Logger } from '../log/logger.ts';
import { chardevBackend } from './chardev-backend.ts';
import { GpioError, type GpioBackend } from './gpio.ts';

/** Which backend to open, and where the fake and sysfs ones find their files. */
export interface GpioBackendOptions {
  backend: GpioBackendName;
  fakeDir?: string;
  /** Root of the sysfs GPIO tree (tests point it at a copy). */
  sysfsRoot?: string;
}

function hasChardev(): boolean {
  try {
    return readdirSync('/dev').some((n) => /^gpiochip\d+$/.test(n));
  } catch {
    return false;
  }
}

/** Opens the configured backend; throws GpioError with a one-line reason. */
export async function openGpioBackend(opts: GpioBackendOptions, log: Logger): Promise<GpioBackend> {
  let name = opts.backend;
  if (name === 'auto') {
    if (hasChardev()) name = 'chardev';
    else if (existsSync(opts.sysfsRoot ?? '/sys/class/gpio')) name = 'sysfs';
    else throw new GpioError('this machine has no GPIO (neither /dev/gpiochip* nor /sys/class/gpio)');
  }
  switch (name) {
    case 'chardev': {
      const { libcPort } = await import('./libc-port.ts');
      return chardevBackend(libcPort());
    }
    case 'sysfs': {
      const { sysfsBackend } = await import('./sysfs-backend.ts');
      return await sysfsBackend(opts.sysfsRoot ?? '/sys/class/gpio', log);
    }
    case 'fake': {
      if (!opts.fakeDir) throw new GpioError('gpio.fake_dir: required with gpio.backend: fake');
      const { openFakeGpioDevice } = await import('./fake-gpio-device.ts');
      const device = await openFakeGpioDevice(opts.fakeDir, log);
      const backend = chardevBackend(device.kernel, 'fake');
      return {
        name: backend.name,
        input: (spec, onEdge) => backend.input(spec, onEdge),
        output: (spec) => backend.output(spec),
        close: async () => {
          await backend.close();
          await device.close();
        },
      };
    }
  }
}
