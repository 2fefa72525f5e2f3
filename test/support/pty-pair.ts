// A pair of connected pseudo-terminals from socat, standing in for a serial
// device: the station opens `device`, the test writes what the reader would
// send into `peer`. stop() makes the device vanish, as an unplugged USB reader does.
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spawnManaged, waitUntil, type ManagedProcess } from './process.ts';

export interface PtyPair {
  /** The path the station opens (a symlink to /dev/pts/N). */
  readonly device: string;
  /** Writes bytes as the reader would send them. */
  send(data: string | Uint8Array): void;
  /** Ends socat; both ends disappear. */
  stop(): Promise<void>;
}

/** Starts socat with the device end linked at DIR/NAME. */
export async function startPtyPair(dir: string, name: string): Promise<PtyPair> {
  const device = join(dir, name);
  const peer = join(dir, `${name}.peer`);
  const proc: ManagedProcess = spawnManaged('socat', 'socat', [
    '-d', '-d',
    `pty,raw,echo=0,link=${device}`,
    // ignoreeof: the test's own opens and closes of its end must not end socat.
    `pty,raw,echo=0,ignoreeof,link=${peer}`,
  ]);
  await waitUntil(`socat links in ${dir}`, () => existsSync(device) && existsSync(peer), { timeoutMs: 5000, intervalMs: 20 });
  const fd = openSync(peer, 'r+');
  return {
    device,
    send(data) {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    },
    async stop() {
      closeSync(fd);
      await proc.stop(1000);
    },
  };
}
