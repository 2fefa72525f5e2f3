// The handful of system calls the GPIO character-device backend makes, behind
// one small interface: the real one calls libc (libc-port.ts), the fake chip
// (fake-chip.ts) answers the same calls with the same bytes, so everything
// above it (struct encoding, event decoding, debounce) is the code that runs
// on a board.

/** A failed system call, with its errno name (ENOENT, EBUSY, EACCES, ...). */
export class KernelError extends Error {
  override name = 'KernelError';
  constructor(
    readonly code: string,
    readonly call: string,
  ) {
    super(`${call}: ${code}`);
  }
}

/** The system calls of the character-device backend. */
export interface KernelPort {
  /** Opens a device read-write; throws KernelError. */
  open(path: string): number;
  close(fd: number): void;
  /** ioctl with a struct in `arg`, which the kernel may fill in; throws KernelError. */
  ioctl(fd: number, request: number, arg: Buffer): void;
  /** Reads what is there (only called once the fd is readable); returns the byte count. */
  read(fd: number, buf: Buffer): number;
  /** Resolves with the fds that became readable, or [] after timeoutMs or interrupt(). */
  waitReadable(fds: number[], timeoutMs: number): Promise<number[]>;
  /** Makes a pending waitReadable return at once. */
  interrupt(): void;
  /** Names of the GPIO chip devices present ("gpiochip0", ...). */
  chips(): string[];
  /** The group that owns a device file, for "join group X" advice; undefined if unknown. */
  deviceGroup(path: string): string | undefined;
}
