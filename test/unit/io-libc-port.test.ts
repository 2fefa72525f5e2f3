// The real system calls (koffi -> libc) on this machine, which has no GPIO
// chip: errors come back as errno names, a poll times out and is woken early
// by interrupt(), and the backend's message for a board without chips.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chardevBackend } from '../../src/io/chardev-backend.ts';
import { GPIO_GET_CHIPINFO_IOCTL } from '../../src/io/gpio-uapi.ts';
import { KernelError } from '../../src/io/kernel-port.ts';
import { libcPort } from '../../src/io/libc-port.ts';

describe('libc kernel port', () => {
  it('open of a missing device is ENOENT; a GPIO ioctl on a non-GPIO device is ENOTTY', () => {
    const port = libcPort();
    assert.throws(() => port.open('/dev/gpiochip99'), (e: Error) => e instanceof KernelError && e.code === 'ENOENT');
    const fd = port.open('/dev/null');
    try {
      assert.throws(() => port.ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, Buffer.alloc(68)), (e: Error) => e instanceof KernelError && e.code === 'ENOTTY');
    } finally {
      port.close(fd);
    }
  });

  it('a wait with nothing to read ends at its timeout, or at once on interrupt()', async () => {
    const port = libcPort();
    assert.deepEqual(await port.waitReadable([], 20), []);
    const waiting = port.waitReadable([], 60_000);
    port.interrupt();
    assert.deepEqual(await waiting, []);
  });

  it('the backend says when the board has no GPIO chip at all', () => {
    const port = libcPort();
    if (port.chips().length > 0) return; // a board with chips: nothing to show here
    assert.throws(
      () => chardevBackend(port).output({ chip: 'gpiochip0', line: 27, activeLow: false, consumer: 'test' }),
      /^GpioError: no such GPIO chip "gpiochip0" \(this board has no \/dev\/gpiochip\*: is GPIO enabled in the kernel\?\)$/,
    );
  });
});
