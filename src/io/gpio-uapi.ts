// The kernel's GPIO character-device ABI (uAPI v2, linux/gpio.h, kernel 5.10+)
// as plain bytes: ioctl numbers, flags, and encoders/decoders for the structs.
// Talking to the ABI directly keeps the station independent of which libgpiod
// (1.6 on Debian 12, 2.x on Debian 13) the board has installed. Offsets and
// sizes follow linux/gpio.h exactly; test/unit/io-gpio-uapi.test.ts pins them.

/** ioctl request number for _IOR/_IOWR on the GPIO magic 0xB4. */
function ioc(dir: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (0xb4 << 8) | nr) >>> 0;
}
const IOC_READ = 2;
const IOC_READ_WRITE = 3;

/** sizeof of the uAPI structs, as in linux/gpio.h. */
export const CHIPINFO_SIZE = 68;
export const LINE_INFO_SIZE = 256;
export const LINE_CONFIG_SIZE = 272;
export const LINE_REQUEST_SIZE = 592;
export const LINE_VALUES_SIZE = 16;
export const LINE_EVENT_SIZE = 48;
const ATTR_SIZE = 16;
const CONFIG_ATTR_SIZE = 24;
const MAX_ATTRS = 10;
const NAME_SIZE = 32;

/** The ioctl request numbers the backend uses. */
export const GPIO_GET_CHIPINFO_IOCTL = ioc(IOC_READ, 0x01, CHIPINFO_SIZE);
export const GPIO_V2_GET_LINEINFO_IOCTL = ioc(IOC_READ_WRITE, 0x05, LINE_INFO_SIZE);
export const GPIO_V2_GET_LINE_IOCTL = ioc(IOC_READ_WRITE, 0x07, LINE_REQUEST_SIZE);
export const GPIO_V2_LINE_GET_VALUES_IOCTL = ioc(IOC_READ_WRITE, 0x0e, LINE_VALUES_SIZE);
export const GPIO_V2_LINE_SET_VALUES_IOCTL = ioc(IOC_READ_WRITE, 0x0f, LINE_VALUES_SIZE);

/** enum gpio_v2_line_flag. */
export const LineFlag = {
  USED: 1n << 0n,
  ACTIVE_LOW: 1n << 1n,
  INPUT: 1n << 2n,
  OUTPUT: 1n << 3n,
  EDGE_RISING: 1n << 4n,
  EDGE_FALLING: 1n << 5n,
  OPEN_DRAIN: 1n << 6n,
  OPEN_SOURCE: 1n << 7n,
  BIAS_PULL_UP: 1n << 8n,
  BIAS_PULL_DOWN: 1n << 9n,
  BIAS_DISABLED: 1n << 10n,
} as const;

/** enum gpio_v2_line_attr_id. */
export const AttrId = { FLAGS: 1, OUTPUT_VALUES: 2, DEBOUNCE: 3 } as const;

/** enum gpio_v2_line_event_id. */
export const EventId = { RISING_EDGE: 1, FALLING_EDGE: 2 } as const;

/** struct gpiochip_info, decoded. */
export interface ChipInfo {
  name: string;
  label: string;
  lines: number;
}

/** One request of a single line: its offset, flags, and (outputs) its initial logical value. */
export interface LineRequest {
  offset: number;
  consumer: string;
  flags: bigint;
  /** For outputs: the logical value the line takes at the moment it is requested. */
  initial?: boolean;
  eventBufferSize?: number;
}

/** struct gpio_v2_line_event, decoded; `rising` is a logical (active-low applied) edge. */
export interface LineEvent {
  timestampNs: bigint;
  rising: boolean;
  offset: number;
  seqno: number;
  lineSeqno: number;
}

/** The parts of struct gpio_v2_line_info the backend reads. */
export interface LineInfo {
  name: string;
  consumer: string;
  offset: number;
  flags: bigint;
}

function writeName(buf: Buffer, at: number, text: string): void {
  // NUL-terminated and truncated: the kernel rejects nothing here, it just copies.
  buf.write(text.slice(0, NAME_SIZE - 1), at, NAME_SIZE - 1, 'utf8');
}

function readName(buf: Buffer, at: number): string {
  const raw = buf.subarray(at, at + NAME_SIZE);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? NAME_SIZE : end).toString('utf8');
}

/** struct gpiochip_info -> ChipInfo. */
export function decodeChipInfo(buf: Buffer): ChipInfo {
  return { name: readName(buf, 0), label: readName(buf, 32), lines: buf.readUInt32LE(64) };
}

/** ChipInfo -> struct gpiochip_info (what a chip answers). */
export function encodeChipInfo(info: ChipInfo, buf: Buffer = Buffer.alloc(CHIPINFO_SIZE)): Buffer {
  buf.fill(0);
  writeName(buf, 0, info.name);
  writeName(buf, 32, info.label);
  buf.writeUInt32LE(info.lines, 64);
  return buf;
}

/** A struct gpio_v2_line_info asking about `offset` (the kernel fills in the rest). */
export function encodeLineInfoQuery(offset: number): Buffer {
  const buf = Buffer.alloc(LINE_INFO_SIZE);
  buf.writeUInt32LE(offset, 64);
  return buf;
}

/** struct gpio_v2_line_info -> LineInfo (attributes are not needed here). */
export function decodeLineInfo(buf: Buffer): LineInfo {
  return { name: readName(buf, 0), consumer: readName(buf, 32), offset: buf.readUInt32LE(64), flags: buf.readBigUInt64LE(72) };
}

/** LineInfo -> struct gpio_v2_line_info. */
export function encodeLineInfo(info: LineInfo, buf: Buffer): void {
  buf.fill(0);
  writeName(buf, 0, info.name);
  writeName(buf, 32, info.consumer);
  buf.writeUInt32LE(info.offset, 64);
  buf.writeBigUInt64LE(info.flags, 72);
}

// struct gpio_v2_line_request layout.
const REQ_OFFSETS = 0;
const REQ_CONSUMER = 256;
const REQ_CONFIG = 288;
const REQ_NUM_LINES = REQ_CONFIG + LINE_CONFIG_SIZE; // 560
const REQ_EVENT_BUFFER = 564;
const REQ_FD = 588;
// struct gpio_v2_line_config layout, relative to its start.
const CFG_FLAGS = 0;
const CFG_NUM_ATTRS = 8;
const CFG_ATTRS = 32;

/** LineRequest -> struct gpio_v2_line_request for one line. */
export function encodeLineRequest(req: LineRequest): Buffer {
  const buf = Buffer.alloc(LINE_REQUEST_SIZE);
  buf.writeUInt32LE(req.offset, REQ_OFFSETS);
  writeName(buf, REQ_CONSUMER, req.consumer);
  buf.writeBigUInt64LE(req.flags, REQ_CONFIG + CFG_FLAGS);
  if (req.initial !== undefined) {
    // One attribute: output values, applied to line index 0 of the request (mask bit 0).
    const at = REQ_CONFIG + CFG_ATTRS;
    buf.writeUInt32LE(1, REQ_CONFIG + CFG_NUM_ATTRS);
    buf.writeUInt32LE(AttrId.OUTPUT_VALUES, at);
    buf.writeBigUInt64LE(req.initial ? 1n : 0n, at + 8);
    buf.writeBigUInt64LE(1n, at + ATTR_SIZE);
  }
  buf.writeUInt32LE(1, REQ_NUM_LINES);
  buf.writeUInt32LE(req.eventBufferSize ?? 0, REQ_EVENT_BUFFER);
  return buf;
}

/** struct gpio_v2_line_request -> what was asked (what a chip sees); only single-line requests. */
export function decodeLineRequest(buf: Buffer): LineRequest & { numLines: number } {
  const numLines = buf.readUInt32LE(REQ_NUM_LINES);
  const flags = buf.readBigUInt64LE(REQ_CONFIG + CFG_FLAGS);
  const numAttrs = Math.min(buf.readUInt32LE(REQ_CONFIG + CFG_NUM_ATTRS), MAX_ATTRS);
  let initial: boolean | undefined;
  for (let i = 0; i < numAttrs; i++) {
    const at = REQ_CONFIG + CFG_ATTRS + i * CONFIG_ATTR_SIZE;
    const mask = buf.readBigUInt64LE(at + ATTR_SIZE);
    if (buf.readUInt32LE(at) === AttrId.OUTPUT_VALUES && (mask & 1n) !== 0n) initial = (buf.readBigUInt64LE(at + 8) & 1n) !== 0n;
  }
  return {
    offset: buf.readUInt32LE(REQ_OFFSETS),
    consumer: readName(buf, REQ_CONSUMER),
    flags,
    ...(initial !== undefined ? { initial } : {}),
    eventBufferSize: buf.readUInt32LE(REQ_EVENT_BUFFER),
    numLines,
  };
}

/** The line fd the kernel wrote into a request. */
export function requestFd(buf: Buffer): number {
  return buf.readInt32LE(REQ_FD);
}

/** Stores the line fd into a request (what a chip does). */
export function setRequestFd(buf: Buffer, fd: number): void {
  buf.writeInt32LE(fd, REQ_FD);
}

/** struct gpio_v2_line_values for the single line of a request. */
export function encodeLineValues(value: boolean): Buffer {
  const buf = Buffer.alloc(LINE_VALUES_SIZE);
  buf.writeBigUInt64LE(value ? 1n : 0n, 0);
  buf.writeBigUInt64LE(1n, 8);
  return buf;
}

/** Bit 0 of struct gpio_v2_line_values. */
export function decodeLineValue(buf: Buffer): boolean {
  return (buf.readBigUInt64LE(0) & 1n) !== 0n;
}

/** The mask of struct gpio_v2_line_values (which lines the caller asked about). */
export function decodeLineValuesMask(buf: Buffer): bigint {
  return buf.readBigUInt64LE(8);
}

/** Writes the value bits of struct gpio_v2_line_values (what a chip answers). */
export function setLineValueBits(buf: Buffer, bits: bigint): void {
  buf.writeBigUInt64LE(bits, 0);
}

/** One struct gpio_v2_line_event record. */
export function decodeLineEvent(buf: Buffer, at = 0): LineEvent {
  return {
    timestampNs: buf.readBigUInt64LE(at),
    rising: buf.readUInt32LE(at + 8) === EventId.RISING_EDGE,
    offset: buf.readUInt32LE(at + 12),
    seqno: buf.readUInt32LE(at + 16),
    lineSeqno: buf.readUInt32LE(at + 20),
  };
}

/** LineEvent -> struct gpio_v2_line_event (what a chip emits). */
export function encodeLineEvent(ev: LineEvent): Buffer {
  const buf = Buffer.alloc(LINE_EVENT_SIZE);
  buf.writeBigUInt64LE(ev.timestampNs, 0);
  buf.writeUInt32LE(ev.rising ? EventId.RISING_EDGE : EventId.FALLING_EDGE, 8);
  buf.writeUInt32LE(ev.offset, 12);
  buf.writeUInt32LE(ev.seqno, 16);
  buf.writeUInt32LE(ev.lineSeqno, 20);
  return buf;
}
