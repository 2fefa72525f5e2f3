// The fake sysfs GPIO tree (fake-sysfs-gpio.c, a FUSE filesystem) mounted at
// /sys/class/gpio inside a private mount namespace, where onoff finds it
// unmodified. The test stays outside: it runs code inside with `enter` and
// plays the wiring through the filesystem's control socket.
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, runCommand, spawnManaged, waitUntil } from './process.ts';

const SOURCE = fileURLToPath(new URL('./fake-sysfs-gpio.c', import.meta.url));

/** A chip as the kernel registers it with sysfs. */
export interface FakeSysfsChip {
  base: number;
  ngpio: number;
  label: string;
  /** Its character-device name (gpiochip0). */
  dev: string;
}

/** One line as the fake kernel holds it. */
export interface FakeSysfsLine {
  exported: boolean;
  direction: 'in' | 'out';
  activeLow: boolean;
  edge: string;
  /** Logical value, as `value` reads. */
  value: number;
  /** Voltage on the pin: driven for an output, applied by the test for an input. */
  level: number;
}

export interface FakeSysfs {
  /** Command prefix that runs a program inside the namespace, in this process's directory (it execs the rest). */
  readonly enter: string[];
  /** The control socket (line protocol in fake-sysfs-gpio.c), for callers that stamp their own writes. */
  readonly control: string;
  /** Applies physical levels to an input one after another, `gapMs` apart (a bouncing contact). */
  levels(gpio: number, levels: Array<0 | 1>, gapMs?: number): Promise<void>;
  line(gpio: number): Promise<FakeSysfsLine>;
  /** Another consumer (a driver, a libgpiod program) holds the line, or lets it go. */
  claim(gpio: number, held: boolean): Promise<void>;
  /** Holds poll on the line's value file until called again with false. */
  pausePoll(gpio: number, paused: boolean): Promise<void>;
  /** export/unexport refuse to open, as before udev gives the gpio group access. */
  denyExport(deny: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the filesystem, mounts it in a new mount namespace and waits until it answers. */
export async function startFakeSysfs(chips: FakeSysfsChip[]): Promise<FakeSysfs> {
  const tmp = makeTempDir('intercom-sysfs-');
  const bin = join(tmp.path, 'fake-sysfs-gpio');
  const flags = await runCommand('pkg-config', ['--cflags', '--libs', 'fuse3']);
  if (flags.code !== 0) throw new Error(`pkg-config fuse3 failed (scripts/testenv/install-peers.sh installs libfuse3-dev): ${flags.stderr.trim()}`);
  const cc = await runCommand('gcc', ['-O2', '-Wall', '-Werror', '-o', bin, SOURCE, ...flags.stdout.trim().split(/\s+/)], { timeoutMs: 60_000 });
  if (cc.code !== 0) throw new Error(`building fake-sysfs-gpio failed:\n${cc.stderr}`);
  const control = join(tmp.path, 'control.sock');
  const specs = chips.map((c) => `${c.base}:${c.ngpio}:${c.label}:${c.dev}`);
  // /sys/class/gpio cannot be made in the real sysfs: a tmpfs over /sys/class, private to the namespace, holds the mount point.
  const script = 'mount -t tmpfs -o mode=755 fake-sys /sys/class && mkdir /sys/class/gpio && exec "$@"';
  const fs = spawnManaged('fake-sysfs-gpio', 'unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', bin, '/sys/class/gpio', control, ...specs]);
  try {
    await waitUntil('fake sysfs mounted', () => !fs.hasExited() && connects(control), { timeoutMs: 10_000, intervalMs: 20 });
  } catch (e) {
    await fs.stop();
    throw new Error(`fake-sysfs-gpio did not come up: ${(e as Error).message}\n${fs.output()}`);
  }
  const ask = async (command: string): Promise<string> => {
    const s = createConnection(control);
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('connect', resolve);
        s.once('error', reject);
      });
      const reply = await request(s, command);
      if (reply.startsWith('error')) throw new Error(`fake sysfs: ${command}: ${reply}`);
      return reply;
    } finally {
      s.destroy();
    }
  };
  return {
    // The shell and sh -c exec in turn, so the pid is the filesystem's, in the namespace.
    control,
    enter: ['nsenter', `--mount=/proc/${fs.pid}/ns/mnt`, `--wd=${process.cwd()}`, '--'],
    async levels(gpio, levels, gapMs = 0) {
      const s = createConnection(control);
      await new Promise<void>((resolve, reject) => {
        s.once('connect', resolve);
        s.once('error', reject);
      });
      try {
        for (const level of levels) {
          const reply = await request(s, `set ${gpio} ${level}`);
          if (reply !== 'ok') throw new Error(`fake sysfs: set ${gpio} ${level}: ${reply}`);
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        }
      } finally {
        s.destroy();
      }
    },
    async line(gpio) {
      const fields = Object.fromEntries((await ask(`get ${gpio}`)).split(' ').map((kv) => kv.split('=') as [string, string]));
      return {
        exported: fields['exported'] === '1',
        direction: fields['direction'] === 'out' ? 'out' : 'in',
        activeLow: fields['active_low'] === '1',
        edge: fields['edge'] ?? '',
        value: Number(fields['value']),
        level: Number(fields['level']),
      };
    },
    async claim(gpio, held) {
      await ask(`${held ? 'claim' : 'free'} ${gpio}`);
    },
    async pausePoll(gpio, paused) {
      await ask(`${paused ? 'pause' : 'resume'} ${gpio}`);
    },
    async denyExport(deny) {
      await ask(`deny ${deny ? 1 : 0}`);
    },
    async stop() {
      await fs.stop();
      tmp.remove();
    },
  };
}

function connects(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Sends one command line and resolves with the one reply line. */
function request(s: Socket, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('utf8');
      const nl = got.indexOf('\n');
      if (nl < 0) return;
      s.off('data', onData);
      s.off('error', reject);
      resolve(got.slice(0, nl));
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write(`${command}\n`);
  });
}
