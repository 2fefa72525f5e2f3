// GPIO through the kernel's character device (/dev/gpiochipN, uAPI v2): one
// line request per line, edge events read from the line fds, all fds waited
// on by a single poll so one background thread serves every input.
import {
  CHIPINFO_SIZE,
  GPIO_GET_CHIPINFO_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  LINE_EVENT_SIZE,
  LineFlag,
  decodeChipInfo,
  decodeLineEvent,
  decodeLineInfo,
  decodeLineValue,
  encodeLineInfoQuery,
  encodeLineRequest,
  encodeLineValues,
  requestFd,
  type ChipInfo,
} from './gpio-uapi.ts';
import { GpioError, lineName, type Bias, type GpioBackend, type GpioInput, type GpioOutput, type InputSpec, type LineSpec } from './gpio.ts';
import { KernelError, type KernelPort } from './kernel-port.ts';

/** Upper bound on a poll, so a process that exits without close() is not held long. */
const POLL_TIMEOUT_MS = 1000;
const EVENTS_PER_READ = 16;

const BIAS_FLAGS: Record<Bias, bigint> = {
  'pull-up': LineFlag.BIAS_PULL_UP,
  'pull-down': LineFlag.BIAS_PULL_DOWN,
  disabled: LineFlag.BIAS_DISABLED,
  'as-is': 0n,
};

interface OpenChip {
  fd: number;
  info: ChipInfo;
  path: string;
}

interface Watched {
  fd: number;
  onEdge: (active: boolean) => void;
}

/** The character-device backend over a KernelPort (libc on a board, a fake chip in tests). */
export function chardevBackend(port: KernelPort, name = 'chardev'): GpioBackend {
  const chips = new Map<string, OpenChip>();
  const watched = new Map<number, Watched>();
  const owned = new Set<number>();
  const retiring = new Set<number>();
  const outputs = new Set<GpioOutput>();
  let pumping: Promise<void> | undefined;
  let closed = false;

  function chipByName(wanted: string): OpenChip {
    const cached = chips.get(wanted);
    if (cached) return cached;
    const present = port.chips();
    let devName = present.includes(wanted) ? wanted : undefined;
    if (!devName) {
      // Accept the chip's label too: Pi 5 kernels moved the header pins between gpiochip numbers.
      for (const n of present) {
        const info = tryChipInfo(n);
        if (info?.label === wanted) devName = n;
      }
    }
    if (!devName) {
      throw new GpioError(
        `no such GPIO chip "${wanted}" (${present.length > 0 ? `this board has: ${present.join(', ')}` : 'this board has no /dev/gpiochip*: is GPIO enabled in the kernel?'})`,
      );
    }
    const path = `/dev/${devName}`;
    const fd = openChipFd(path);
    const buf = Buffer.alloc(CHIPINFO_SIZE);
    port.ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, buf);
    const chip = { fd, info: decodeChipInfo(buf), path };
    chips.set(wanted, chip);
    return chip;
  }

  function tryChipInfo(dev: string): ChipInfo | undefined {
    try {
      const fd = port.open(`/dev/${dev}`);
      try {
        const buf = Buffer.alloc(CHIPINFO_SIZE);
        port.ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, buf);
        return decodeChipInfo(buf);
      } finally {
        port.close(fd);
      }
    } catch {
      return undefined;
    }
  }

  function openChipFd(path: string): number {
    try {
      return port.open(path);
    } catch (e) {
      const code = e instanceof KernelError ? e.code : String(e);
      if (code === 'EACCES' || code === 'EPERM') {
        const group = port.deviceGroup(path) ?? 'gpio';
        throw new GpioError(
          `permission denied on ${path}: add the user the station runs as to the "${group}" group (usermod -aG ${group} USER) and restart it`,
        );
      }
      throw new GpioError(`cannot open ${path}: ${code}`);
    }
  }

  function request(spec: LineSpec, flags: bigint, initial?: boolean): { fd: number; chip: OpenChip } {
    if (closed) throw new GpioError('GPIO is shut down');
    const chip = chipByName(spec.chip);
    if (spec.line >= chip.info.lines) {
      throw new GpioError(`${spec.chip} (${chip.info.label}) has lines 0-${chip.info.lines - 1}; there is no line ${spec.line}`);
    }
    const req = encodeLineRequest({
      offset: spec.line,
      consumer: spec.consumer,
      flags: flags | (spec.activeLow ? LineFlag.ACTIVE_LOW : 0n),
      ...(initial !== undefined ? { initial } : {}),
    });
    try {
      port.ioctl(chip.fd, GPIO_V2_GET_LINE_IOCTL, req);
    } catch (e) {
      const code = e instanceof KernelError ? e.code : String(e);
      if (code === 'EBUSY') throw new GpioError(`${lineName(spec)} is busy: used by "${consumerOf(chip, spec.line) || 'another program'}"`);
      if (code === 'EINVAL' && (flags & BIAS_FLAGS['pull-up'] || flags & BIAS_FLAGS['pull-down'] || flags & LineFlag.BIAS_DISABLED)) {
        throw new GpioError(`${lineName(spec)}: the chip refused the request (${code}); the kernel may not support bias settings, try bias: as-is`);
      }
      throw new GpioError(`${lineName(spec)}: the chip refused the request (${code})`);
    }
    return { fd: requestFd(req), chip };
  }

  function consumerOf(chip: OpenChip, offset: number): string {
    try {
      const buf = encodeLineInfoQuery(offset);
      port.ioctl(chip.fd, GPIO_V2_GET_LINEINFO_IOCTL, buf);
      return decodeLineInfo(buf).consumer;
    } catch {
      return '';
    }
  }

  function readValue(fd: number): boolean {
    const buf = encodeLineValues(false);
    port.ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, buf);
    return decodeLineValue(buf);
  }

  async function pump(): Promise<void> {
    const buf = Buffer.alloc(LINE_EVENT_SIZE * EVENTS_PER_READ);
    while (!closed && watched.size > 0) {
      const ready = await port.waitReadable([...watched.keys()], POLL_TIMEOUT_MS);
      for (const fd of retiring) release(fd);
      retiring.clear();
      for (const fd of ready) {
        const w = watched.get(fd);
        if (!w) continue;
        let n: number;
        try {
          n = port.read(fd, buf);
        } catch (e) {
          // Readable but unreadable (the chip went away): stop polling it rather than spin.
          if (!(e instanceof KernelError && (e.code === 'EAGAIN' || e.code === 'EINTR'))) {
            watched.delete(fd);
            retiring.add(fd);
          }
          continue;
        }
        for (let at = 0; at + LINE_EVENT_SIZE <= n; at += LINE_EVENT_SIZE) w.onEdge(decodeLineEvent(buf, at).rising);
      }
    }
    for (const fd of retiring) release(fd);
    retiring.clear();
    pumping = undefined;
  }

  function release(fd: number): void {
    if (!owned.delete(fd)) return;
    watched.delete(fd);
    port.close(fd);
  }

  return {
    name,
    input(spec: InputSpec, onEdge): GpioInput {
      const flags = LineFlag.INPUT | LineFlag.EDGE_RISING | LineFlag.EDGE_FALLING | BIAS_FLAGS[spec.bias];
      const { fd } = request(spec, flags);
      owned.add(fd);
      watched.set(fd, { fd, onEdge });
      if (pumping) port.interrupt(); // the running poll must include the new fd
      else pumping = pump();
      return {
        value: () => readValue(fd),
        close: () => {
          // Closing an fd another thread is polling is a race: the pump closes it between polls.
          watched.delete(fd);
          if (pumping) {
            retiring.add(fd);
            port.interrupt();
          } else release(fd);
        },
      };
    },
    output(spec: LineSpec): GpioOutput {
      // The initial value travels in the request itself: the line never shows an active glitch.
      const { fd } = request(spec, LineFlag.OUTPUT, false);
      owned.add(fd);
      let current = false;
      const output: GpioOutput = {
        set(active) {
          if (!owned.has(fd)) return;
          port.ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, encodeLineValues(active));
          current = active;
        },
        get: () => current,
        close() {
          if (!owned.has(fd)) return;
          try {
            port.ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, encodeLineValues(false));
          } finally {
            current = false;
            outputs.delete(output);
            release(fd);
          }
        },
      };
      outputs.add(output);
      return output;
    },
    async close() {
      closed = true;
      port.interrupt();
      await pumping;
      for (const o of [...outputs]) {
        try {
          o.close();
        } catch {
          // released below all the same
        }
      }
      for (const fd of [...owned]) release(fd);
      for (const c of chips.values()) port.close(c.fd);
      chips.clear();
    },
  };
}
