// A GPIO chip that lives in memory and answers the same system calls, with the
// same struct bytes, as the kernel's character device: the stand-in for boards
// this code is tested on, which have no /dev/gpiochip*. It decodes line
// requests, applies active-low and bias, queues 48-byte edge events on the
// line fd and reports busy lines, missing chips and denied permissions the way
// the kernel does (errno names).
import {
  CHIPINFO_SIZE,
  GPIO_GET_CHIPINFO_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  LINE_EVENT_SIZE,
  LineFlag,
  decodeLineInfo,
  decodeLineRequest,
  decodeLineValue,
  encodeChipInfo,
  encodeLineEvent,
  encodeLineInfo,
  setLineValueBits,
  setRequestFd,
} from './gpio-uapi.ts';
import { KernelError, type KernelPort } from './kernel-port.ts';

/** A chip of the fake set: its device name, label and number of lines. */
export interface FakeChipSpec {
  name: string;
  label: string;
  lines: number;
}

interface Line {
  /** Physical level an outside circuit drives, or undefined when floating. */
  external?: boolean;
  /** Physical level this chip drives while the line is an output. */
  driven?: boolean;
  request?: LineReq;
  /** Held by another program (consumer name), to simulate "busy". */
  foreign?: string;
}

interface LineReq {
  fd: number;
  offset: number;
  consumer: string;
  flags: bigint;
  events: Buffer[];
  lineSeqno: number;
}

interface Chip {
  spec: FakeChipSpec;
  lines: Line[];
}

type Handle = { kind: 'chip'; chip: Chip } | { kind: 'line'; chip: Chip; req: LineReq };

/** Physical levels of a chip's lines that are outputs, e.g. for a test to check the relay. */
export type OutputLevels = Record<string, Record<number, boolean>>;

/** The fake chip set; `onOutput` is told each time a driven level changes (or a line is released). */
export class FakeKernel implements KernelPort {
  private readonly chipsByName = new Map<string, Chip>();
  private readonly handles = new Map<number, Handle>();
  private nextFd = 100;
  private seqno = 0;
  private waiters: Array<() => void> = [];
  /** Device paths whose open() is refused with EACCES. */
  readonly denied = new Set<string>();
  onOutput?: (chip: string, offset: number, level: boolean | undefined) => void;

  constructor(chips: FakeChipSpec[]) {
    for (const spec of chips) this.chipsByName.set(spec.name, { spec, lines: Array.from({ length: spec.lines }, () => ({})) });
  }

  /** Sets the physical level an outside circuit puts on a line (a button, a contact); queues edge events. */
  drive(chip: string, offset: number, level: boolean | undefined, timestampNs = process.hrtime.bigint()): void {
    const line = this.line(chip, offset);
    const before = this.physical(line);
    line.external = level;
    const after = this.physical(line);
    const req = line.request;
    if (!req || before === after || after === undefined || (req.flags & LineFlag.INPUT) === 0n) return;
    const activeLow = (req.flags & LineFlag.ACTIVE_LOW) !== 0n;
    const rising = after !== activeLow; // logical rising edge
    const wanted = rising ? LineFlag.EDGE_RISING : LineFlag.EDGE_FALLING;
    if ((req.flags & wanted) === 0n) return;
    req.lineSeqno++;
    req.events.push(encodeLineEvent({ timestampNs, rising, offset, seqno: ++this.seqno, lineSeqno: req.lineSeqno }));
    this.wakeAll();
  }

  /** Marks a line as held by another program. */
  occupy(chip: string, offset: number, consumer: string): void {
    this.line(chip, offset).foreign = consumer;
  }

  /** The physical level a line sits at (driven output, outside circuit, or bias); undefined if floating. */
  level(chip: string, offset: number): boolean | undefined {
    return this.physical(this.line(chip, offset));
  }

  /** Levels of lines currently or last driven as outputs. */
  outputs(): OutputLevels {
    const out: OutputLevels = {};
    for (const [name, c] of this.chipsByName) {
      c.lines.forEach((l, i) => {
        if (l.driven !== undefined) (out[name] ??= {})[i] = l.driven;
      });
    }
    return out;
  }

  /** Restores driven levels (what a board's pins hold across a restart of the program). */
  restoreOutputs(levels: OutputLevels): void {
    for (const [name, lines] of Object.entries(levels)) {
      const c = this.chipsByName.get(name);
      if (!c) continue;
      for (const [off, v] of Object.entries(lines)) {
        const l = c.lines[Number(off)];
        if (l) l.driven = v;
      }
    }
  }

  open(path: string): number {
    const name = /^\/dev\/(gpiochip\d+)$/.exec(path)?.[1];
    const chip = name ? this.chipsByName.get(name) : undefined;
    if (!chip) throw new KernelError('ENOENT', `open ${path}`);
    if (this.denied.has(path)) throw new KernelError('EACCES', `open ${path}`);
    const fd = this.nextFd++;
    this.handles.set(fd, { kind: 'chip', chip });
    return fd;
  }

  close(fd: number): void {
    const h = this.handles.get(fd);
    this.handles.delete(fd);
    if (h?.kind !== 'line') return;
    const line = h.chip.lines[h.req.offset];
    if (line?.request === h.req) delete line.request;
    // A released output keeps the level it had, as many real pin controllers do:
    // the worst case for a relay, which is why start-up drives it inactive.
    this.wakeAll();
  }

  ioctl(fd: number, request: number, arg: Buffer): void {
    const h = this.handles.get(fd);
    if (!h) throw new KernelError('EBADF', 'ioctl');
    if (h.kind === 'chip') return this.chipIoctl(h.chip, request, arg);
    return this.lineIoctl(h.chip, h.req, request, arg);
  }

  read(fd: number, buf: Buffer): number {
    const h = this.handles.get(fd);
    if (h?.kind !== 'line') throw new KernelError('EBADF', 'read');
    let n = 0;
    while (h.req.events.length > 0 && n + LINE_EVENT_SIZE <= buf.length) {
      h.req.events.shift()!.copy(buf, n);
      n += LINE_EVENT_SIZE;
    }
    if (n === 0) throw new KernelError('EAGAIN', 'read');
    return n;
  }

  waitReadable(fds: number[], timeoutMs: number): Promise<number[]> {
    const ready = (): number[] =>
      fds.filter((fd) => {
        const h = this.handles.get(fd);
        return h?.kind === 'line' && h.req.events.length > 0;
      });
    const now = ready();
    if (now.length > 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(ready());
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  interrupt(): void {
    this.wakeAll();
  }

  chips(): string[] {
    return [...this.chipsByName.keys()];
  }

  deviceGroup(): string | undefined {
    return 'gpio';
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  private line(chip: string, offset: number): Line {
    const l = this.chipsByName.get(chip)?.lines[offset];
    if (!l) throw new Error(`fake chip: no line ${chip}:${offset}`);
    return l;
  }

  private physical(line: Line): boolean | undefined {
    const flags = line.request?.flags ?? 0n;
    if ((flags & LineFlag.OUTPUT) !== 0n || (line.request === undefined && line.driven !== undefined)) return line.driven;
    if (line.external !== undefined) return line.external;
    if ((flags & LineFlag.BIAS_PULL_UP) !== 0n) return true;
    if ((flags & LineFlag.BIAS_PULL_DOWN) !== 0n) return false;
    return undefined;
  }

  private chipIoctl(chip: Chip, request: number, arg: Buffer): void {
    if (request === GPIO_GET_CHIPINFO_IOCTL) {
      if (arg.length < CHIPINFO_SIZE) throw new KernelError('EFAULT', 'ioctl');
      encodeChipInfo(chip.spec, arg);
      return;
    }
    if (request === GPIO_V2_GET_LINEINFO_IOCTL) {
      const offset = decodeLineInfo(arg).offset;
      const line = chip.lines[offset];
      if (!line) throw new KernelError('EINVAL', 'ioctl');
      const consumer = line.request?.consumer ?? line.foreign ?? '';
      const flags = (line.request?.flags ?? 0n) | (consumer ? LineFlag.USED : 0n);
      encodeLineInfo({ name: `GPIO${offset}`, consumer, offset, flags }, arg);
      return;
    }
    if (request === GPIO_V2_GET_LINE_IOCTL) {
      const req = decodeLineRequest(arg);
      if (req.numLines !== 1) throw new KernelError('EINVAL', 'ioctl');
      const line = chip.lines[req.offset];
      if (!line) throw new KernelError('EINVAL', 'ioctl');
      if (line.request || line.foreign !== undefined) throw new KernelError('EBUSY', 'ioctl');
      const isOut = (req.flags & LineFlag.OUTPUT) !== 0n;
      if (isOut === ((req.flags & LineFlag.INPUT) !== 0n)) throw new KernelError('EINVAL', 'ioctl');
      const fd = this.nextFd++;
      const lr: LineReq = { fd, offset: req.offset, consumer: req.consumer, flags: req.flags, events: [], lineSeqno: 0 };
      line.request = lr;
      if (isOut) this.setDriven(chip, req.offset, (req.initial ?? false) !== ((req.flags & LineFlag.ACTIVE_LOW) !== 0n));
      this.handles.set(fd, { kind: 'line', chip, req: lr });
      setRequestFd(arg, fd);
      return;
    }
    throw new KernelError('ENOTTY', 'ioctl');
  }

  private lineIoctl(chip: Chip, req: LineReq, request: number, arg: Buffer): void {
    const activeLow = (req.flags & LineFlag.ACTIVE_LOW) !== 0n;
    if (request === GPIO_V2_LINE_GET_VALUES_IOCTL) {
      const phys = this.physical(chip.lines[req.offset]!);
      // A floating input reads as whatever noise gives; the fake says low.
      setLineValueBits(arg, (phys ?? false) !== activeLow ? 1n : 0n);
      return;
    }
    if (request === GPIO_V2_LINE_SET_VALUES_IOCTL) {
      if ((req.flags & LineFlag.OUTPUT) === 0n) throw new KernelError('EPERM', 'ioctl');
      this.setDriven(chip, req.offset, decodeLineValue(arg) !== activeLow);
      return;
    }
    throw new KernelError('ENOTTY', 'ioctl');
  }

  private setDriven(chip: Chip, offset: number, level: boolean): void {
    const line = chip.lines[offset]!;
    line.driven = level;
    this.onOutput?.(chip.spec.name, offset, level);
  }
}
