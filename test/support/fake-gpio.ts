// Drives the fake GPIO chip of a running `intercom` (gpio.backend: fake) from a
// test: physical levels in through its stimulus socket, driven outputs read
// back from its state file.
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

export interface FakeGpioPins {
  /** Sets physical levels one after another, `gapMs` apart (a bouncing contact). */
  levels(chip: string, line: number, levels: Array<'low' | 'high' | 'float'>, gapMs?: number): Promise<void>;
  /** The physical level of an output line as last driven, or undefined if never driven. */
  output(chip: string, line: number): boolean | undefined;
}

/** The pins of the fake chip whose fake_dir is `dir`. */
export function fakeGpioPins(dir: string): FakeGpioPins {
  return {
    async levels(chip, line, levels, gapMs = 0) {
      const socket = createConnection(join(dir, 'stimulus.sock'));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      let answers = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (answers += d));
      for (const level of levels) {
        socket.write(`${chip} ${line} ${level}\n`);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (answers.split('\n').length > levels.length) resolve();
          else setTimeout(check, 5);
        };
        check();
      });
      socket.end();
      const bad = answers.split('\n').find((l) => l.startsWith('error'));
      if (bad) throw new Error(`fake gpio: ${bad}`);
    },
    output(chip, line) {
      const file = join(dir, 'outputs.json');
      if (!existsSync(file)) return undefined;
      const levels = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, boolean>>;
      return levels[chip]?.[String(line)];
    },
  };
}
