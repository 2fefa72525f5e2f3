// Without libspeexdsp the real station still starts: it says why in one line
// and runs half-duplex. The library is made unloadable for this one process by
// bind-mounting /dev/null over it in a private mount namespace (root only), so
// the machine's own library is untouched.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeTempDir, spawnManaged, waitUntil } from '../support/process.ts';
import { INTERCOM_BIN } from './intercom-process.ts';

const LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/arm-linux-gnueabihf', '/usr/lib'];

function speexLibrary(): string | undefined {
  for (const dir of LIBRARY_DIRS) {
    try {
      return realpathSync(join(dir, 'libspeexdsp.so.1'));
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const library = speexLibrary();
const skip = process.getuid?.() !== 0 ? 'needs root for a private mount namespace' : library ? false : 'libspeexdsp1 is not installed';

describe('echo cancellation fallback', { skip, timeout: 30_000 }, () => {
  it('with libspeexdsp unloadable the station starts, logs the reason once and runs half-duplex', async () => {
    const tmp = makeTempDir('echo-fallback-');
    const config = join(tmp.path, 'door.yaml');
    writeFileSync(
      config,
      stringify({
        // Nothing answers on this port: the station keeps retrying the registration, which is fine here.
        sip: { server: '127.0.0.1:9', user: 'door', password: 'x', listen: '127.0.0.2' },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'none', output: 'none' },
        control: { socket: join(tmp.path, 'control.sock') },
      }),
      { mode: 0o600 },
    );
    const door = spawnManaged('intercom-without-speexdsp', 'unshare', ['-m', 'sh', '-c', `mount --bind /dev/null "$1" && exec "$2" "$3" run --config "$4"`, 'sh', library ?? '', process.execPath, INTERCOM_BIN, config]);
    try {
      const line = await waitUntil('processing mode logged', () => /event=audio\.processing .*/.exec(door.output())?.[0], { timeoutMs: 15_000 });
      assert.match(line, /echo=half-duplex/);
      const warnings = door.output().split('\n').filter((l) => l.includes('event=audio.speexdsp-unavailable'));
      assert.equal(warnings.length, 1, door.output());
      assert.match(warnings[0] ?? '', /level=warn .*reason="libspeexdsp cannot be loaded \(install the libspeexdsp1 package\): libspeexdsp\.so\.1: [^"\n]+" fallback=half-duplex off="noise suppression"/);
      assert.equal(door.hasExited(), false, 'the station keeps running');
    } finally {
      await door.stop();
      tmp.remove();
    }
  });
});
