import type { Logger } from '../log/logger.ts';
import { GpioError, type GpioBackend } from './gpio.ts';

/** GPIO through sysfs (/sys/class/gpio). */
export function sysfsBackend(root: string, log: Logger): GpioBackend {
  void log;
  throw new GpioError(`the sysfs GPIO backend is not available yet (${root}); use gpio.backend: chardev`);
}
