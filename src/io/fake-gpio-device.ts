// `gpio.backend: fake` — the in-memory chip (fake-chip.ts) behind the real
// character-device backend, reachable from outside the process so tests (and
// anyone trying the station on a laptop) can press buttons without hardware:
//   <fake_dir>/stimulus.sock  accepts lines "gpiochip0 17 low|high|float"
//                             (physical levels, as a switch or contact sets them)
//   <fake_dir>/outputs.json   the physical level of every driven output line,
//                             rewritten synchronously on each change
// Driven levels are read back at start, as a board's pins keep theirs while
// the program is restarted: so a test can see a relay left energised by a
// killed process being switched off by the next start.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { FakeKernel, type FakeChipSpec, type OutputLevels } from './fake-chip.ts';
import { GpioError } from './gpio.ts';

/** A Raspberry Pi 4's chips as the kernel names them. */
export const FAKE_PI_CHIPS: FakeChipSpec[] = [
  { name: 'gpiochip0', label: 'pinctrl-bcm2711', lines: 58 },
  { name: 'gpiochip1', label: 'raspberrypi-exp-gpio', lines: 8 },
];

/** The fake chip and its stimulus socket. */
export interface FakeGpioDevice {
  kernel: FakeKernel;
  close(): Promise<void>;
}

const LEVELS: Record<string, boolean | undefined> = { low: false, '0': false, high: true, '1': true, float: undefined };

/** Starts the fake chip with its stimulus socket and state file in `dir`. */
export async function openFakeGpioDevice(dir: string, log: Logger): Promise<FakeGpioDevice> {
  const socketPath = join(dir, 'stimulus.sock');
  // One process owns the chip, as one process owns a requested line: a second is refused.
  if (await answers(socketPath)) throw new GpioError(`the fake GPIO chip in ${dir} is held by another process (its lines are busy)`);
  const kernel = new FakeKernel(FAKE_PI_CHIPS);
  const stateFile = join(dir, 'outputs.json');
  try {
    kernel.restoreOutputs(JSON.parse(readFileSync(stateFile, 'utf8')) as OutputLevels);
  } catch {
    // first start: nothing driven yet
  }
  kernel.onOutput = () => {
    const tmp = `${stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(kernel.outputs()));
    renameSync(tmp, stateFile);
  };
  rmSync(socketPath, { force: true });
  const server: Server = createServer((conn) => {
    let buffer = '';
    conn.setEncoding('utf8');
    conn.on('error', () => {});
    conn.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) conn.write(`${apply(kernel, line)}\n`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  log.warn('gpio.fake', { dir, reason: 'gpio.backend is fake: buttons and outputs are simulated, no hardware is driven' });
  return {
    kernel,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

function apply(kernel: FakeKernel, line: string): string {
  const [chip, offset, level] = line.split(/\s+/);
  if (chip === undefined || offset === undefined || level === undefined || !(level in LEVELS)) return 'error: expected "CHIP LINE low|high|float"';
  try {
    kernel.drive(chip, Number(offset), LEVELS[level]);
    return 'ok';
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}
