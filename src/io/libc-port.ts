// The real KernelPort: open/ioctl/read/poll from libc through koffi (prebuilt
// FFI, no compiler on the board). Waiting for events is a poll() run off the
// main thread with a wake-up pipe, so the event loop never blocks and a stop
// does not wait for the poll timeout.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import koffi from 'koffi';
import { KernelError, type KernelPort } from './kernel-port.ts';

const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const POLLIN = 0x1;
const POLLFD_SIZE = 8;

// errno values are the same on x86_64, arm64 and armhf Linux.
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 9: 'EBADF', 11: 'EAGAIN', 13: 'EACCES',
  16: 'EBUSY', 19: 'ENODEV', 22: 'EINVAL', 25: 'ENOTTY', 95: 'EOPNOTSUPP',
};

interface Libc {
  open: (path: string, flags: number) => number;
  close: (fd: number) => number;
  ioctl: (fd: number, request: number, arg: Buffer) => number;
  read: (fd: number, buf: Buffer, n: number) => number;
  write: (fd: number, buf: Buffer, n: number) => number;
  pipe2: (fds: number[], flags: number) => number;
  poll: { async(fds: Buffer, n: number, timeout: number, cb: (err: unknown, r: number) => void): void };
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    open: lib.func('int open(const char *path, int flags)') as Libc['open'],
    close: lib.func('int close(int fd)') as Libc['close'],
    // The request is unsigned long in glibc's prototype; the struct is passed by pointer.
    ioctl: lib.func('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)') as Libc['ioctl'],
    read: lib.func('long read(int fd, _Out_ uint8_t *buf, unsigned long n)') as Libc['read'],
    write: lib.func('long write(int fd, const uint8_t *buf, unsigned long n)') as Libc['write'],
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)') as Libc['pipe2'],
    poll: lib.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)') as unknown as Libc['poll'],
  };
  return libc;
}

function fail(call: string): never {
  const n = koffi.errno();
  throw new KernelError(ERRNO_NAMES[n] ?? `errno ${n}`, call);
}

function groupName(gid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id !== undefined && Number(id) === gid) return name;
    }
  } catch {
    // no /etc/group: nothing to suggest
  }
  return undefined;
}

/** The KernelPort of this machine. */
export function libcPort(): KernelPort {
  const c = load();
  let wake: [number, number] | undefined;
  const wakePipe = (): [number, number] => {
    if (!wake) {
      const fds = [0, 0];
      if (c.pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) fail('pipe2');
      wake = [fds[0]!, fds[1]!];
    }
    return wake;
  };
  return {
    open(path) {
      const fd = c.open(path, O_RDWR | O_CLOEXEC);
      if (fd < 0) fail(`open ${path}`);
      return fd;
    },
    close(fd) {
      c.close(fd);
    },
    ioctl(fd, request, arg) {
      if (c.ioctl(fd, request, arg) < 0) fail('ioctl');
    },
    read(fd, buf) {
      const n = c.read(fd, buf, buf.length);
      if (n < 0) fail('read');
      return n;
    },
    waitReadable(fds, timeoutMs) {
      const [wakeR] = wakePipe();
      const all = [...fds, wakeR];
      const pfd = Buffer.alloc(all.length * POLLFD_SIZE);
      all.forEach((fd, i) => {
        pfd.writeInt32LE(fd, i * POLLFD_SIZE);
        pfd.writeInt16LE(POLLIN, i * POLLFD_SIZE + 4);
      });
      return new Promise((resolve) => {
        c.poll.async(pfd, all.length, timeoutMs, (err, r) => {
          if (err || r <= 0) return resolve([]);
          const ready: number[] = [];
          all.forEach((fd, i) => {
            if (pfd.readInt16LE(i * POLLFD_SIZE + 6) === 0) return;
            if (fd === wakeR) c.read(wakeR, Buffer.alloc(64), 64);
            else ready.push(fd);
          });
          resolve(ready);
        });
      });
    },
    interrupt() {
      c.write(wakePipe()[1], Buffer.from([1]), 1);
    },
    chips() {
      try {
        return readdirSync('/dev').filter((n) => /^gpiochip\d+$/.test(n)).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
      } catch {
        return [];
      }
    },
    deviceGroup(path) {
      try {
        return groupName(statSync(path).gid);
      } catch {
        return undefined;
      }
    },
  };
}
