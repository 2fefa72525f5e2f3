// RTCP (RFC 3550 §6): building and parsing sender/receiver reports, SDES
// CNAME and BYE, and the receiver-side statistics that fill a report block
// (sequence tracking §A.1, loss §A.3, interarrival jitter §A.8).
// Times come in as arguments; nothing here reads a clock.

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** A 64-bit NTP timestamp (RFC 3550 §4) as two unsigned 32-bit halves. */
export interface NtpTime {
  seconds: number;
  fraction: number;
}

/** One reception report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Fraction of packets lost since the previous report, in 1/256 units (0-255). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | max). */
  highestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received, 0 if none. */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface SenderInfo {
  ntp: NtpTime;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export type RtcpPacket =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; chunks: { ssrc: number; cname?: string }[] }
  | { type: 'bye'; ssrcs: number[]; reason?: string }
  | { type: 'other'; packetType: number };

/** An RTCP packet that cannot be parsed; the message says what is wrong. */
export class RtcpError extends Error {
  override name = 'RtcpError';
}

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;
const TWO_32 = 0x100000000;

/** Converts a wall-clock time in Unix milliseconds to an NTP timestamp. */
export function ntpFromUnixMs(ms: number): NtpTime {
  const wholeSeconds = Math.floor(ms / 1000);
  const fraction = Math.min(TWO_32 - 1, Math.floor(((ms - wholeSeconds * 1000) / 1000) * TWO_32));
  return { seconds: (wholeSeconds + NTP_UNIX_OFFSET) % TWO_32 >>> 0, fraction: fraction >>> 0 };
}

/** The middle 32 bits of an NTP timestamp, as used in LSR (RFC 3550 §6.4.1). */
export function ntpMiddle32(t: NtpTime): number {
  return (((t.seconds & 0xffff) << 16) | (t.fraction >>> 16)) >>> 0;
}

/**
 * Round-trip time from a report block about our stream (RFC 3550 §6.4.1:
 * A - LSR - DLSR), or undefined when the peer has not seen an SR from us.
 */
export function roundTripMs(block: ReportBlock, nowUnixMs: number): number | undefined {
  if (block.lastSr === 0) return undefined;
  const a = ntpMiddle32(ntpFromUnixMs(nowUnixMs));
  const rtt = (a - block.lastSr - block.delaySinceLastSr) >>> 0;
  // A wrapped (negative) result means clocks disagree; report nothing.
  if (rtt > 0x80000000) return undefined;
  return (rtt / 65536) * 1000;
}

function header(packetType: number, count: number, totalBytes: number): Buffer {
  const b = Buffer.alloc(totalBytes);
  b[0] = 0x80 | (count & 0x1f);
  b[1] = packetType;
  b.writeUInt16BE(totalBytes / 4 - 1, 2); // §6.4.1: length in 32-bit words minus one
  return b;
}

function writeReportBlock(b: Buffer, offset: number, r: ReportBlock): void {
  b.writeUInt32BE(r.ssrc >>> 0, offset);
  const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(r.cumulativeLost)));
  b.writeUInt32BE((((r.fractionLost & 0xff) << 24) | (lost & 0xffffff)) >>> 0, offset + 4);
  b.writeUInt32BE(r.highestSequence >>> 0, offset + 8);
  b.writeUInt32BE(Math.max(0, Math.floor(r.jitter)) >>> 0, offset + 12);
  b.writeUInt32BE(r.lastSr >>> 0, offset + 16);
  b.writeUInt32BE(r.delaySinceLastSr >>> 0, offset + 20);
}

function readReportBlock(b: Buffer, offset: number): ReportBlock {
  const word = b.readUInt32BE(offset + 4);
  return {
    ssrc: b.readUInt32BE(offset),
    fractionLost: word >>> 24,
    cumulativeLost: ((word & 0xffffff) << 8) >> 8, // sign-extend 24 bits
    highestSequence: b.readUInt32BE(offset + 8),
    jitter: b.readUInt32BE(offset + 12),
    lastSr: b.readUInt32BE(offset + 16),
    delaySinceLastSr: b.readUInt32BE(offset + 20),
  };
}

/** Builds a sender report (RFC 3550 §6.4.1) with up to 31 report blocks. */
export function buildSenderReport(ssrc: number, sender: SenderInfo, reports: ReportBlock[] = []): Buffer {
  if (reports.length > 31) throw new RtcpError(`an SR holds at most 31 report blocks, got ${reports.length}`);
  const b = header(RTCP_SR, reports.length, 28 + 24 * reports.length);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b.writeUInt32BE(sender.ntp.seconds >>> 0, 8);
  b.writeUInt32BE(sender.ntp.fraction >>> 0, 12);
  b.writeUInt32BE(sender.rtpTimestamp >>> 0, 16);
  b.writeUInt32BE(sender.packetCount >>> 0, 20);
  b.writeUInt32BE(sender.octetCount >>> 0, 24);
  reports.forEach((r, i) => writeReportBlock(b, 28 + 24 * i, r));
  return b;
}

/** Builds a receiver report (RFC 3550 §6.4.2) with up to 31 report blocks. */
export function buildReceiverReport(ssrc: number, reports: ReportBlock[] = []): Buffer {
  if (reports.length > 31) throw new RtcpError(`an RR holds at most 31 report blocks, got ${reports.length}`);
  const b = header(RTCP_RR, reports.length, 8 + 24 * reports.length);
  b.writeUInt32BE(ssrc >>> 0, 4);
  reports.forEach((r, i) => writeReportBlock(b, 8 + 24 * i, r));
  return b;
}

/** Builds an SDES packet with one chunk carrying the CNAME item (RFC 3550 §6.5.1). */
export function buildSdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, 'utf8').subarray(0, 255);
  // SSRC, CNAME item (type, length, text), then at least one null octet
  // ending the item list, padded to a 32-bit boundary (§6.5).
  const chunk = 4 + 2 + text.length + 1;
  const padded = Math.ceil(chunk / 4) * 4;
  const b = header(RTCP_SDES, 1, 4 + padded);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b[8] = 1;
  b[9] = text.length;
  text.copy(b, 10);
  return b;
}

/** Builds a BYE packet (RFC 3550 §6.6), optionally with a reason. */
export function buildBye(ssrc: number, reason?: string): Buffer {
  const text = reason === undefined ? undefined : Buffer.from(reason, 'utf8').subarray(0, 255);
  const body = 4 + (text ? 1 + text.length : 0);
  const b = header(RTCP_BYE, 1, 4 + Math.ceil(body / 4) * 4);
  b.writeUInt32BE(ssrc >>> 0, 4);
  if (text) {
    b[8] = text.length;
    text.copy(b, 9);
  }
  return b;
}

/** Parses a compound RTCP packet into its parts (RFC 3550 §6.1, §A.2); throws RtcpError. */
export function parseRtcp(buf: Buffer): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  let offset = 0;
  if (buf.length < 4) throw new RtcpError(`RTCP packet too short: ${buf.length} bytes`);
  while (offset < buf.length) {
    if (buf.length - offset < 4) throw new RtcpError(`RTCP trailing ${buf.length - offset} bytes after packet ${out.length + 1}`);
    const b0 = buf[offset] as number;
    if (b0 >> 6 !== 2) throw new RtcpError(`RTCP packet ${out.length + 1}: version ${b0 >> 6}, expected 2`);
    const count = b0 & 0x1f;
    const packetType = buf[offset + 1] as number;
    const length = (buf.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + length > buf.length) {
      throw new RtcpError(`RTCP packet ${out.length + 1}: length ${length} overruns the ${buf.length}-byte datagram`);
    }
    let end = offset + length;
    if (b0 & 0x20) {
      // §6.4.1: padding only on the last packet of a compound; last octet counts it.
      const pad = buf[end - 1] as number;
      if (end !== buf.length || pad === 0 || pad > length - 4) {
        throw new RtcpError(`RTCP packet ${out.length + 1}: bad padding`);
      }
      end -= pad;
    }
    out.push(parseOne(buf.subarray(offset, end), packetType, count, out.length + 1));
    offset += length;
  }
  return out;
}

function parseOne(p: Buffer, packetType: number, count: number, index: number): RtcpPacket {
  const need = (bytes: number, what: string): void => {
    if (p.length < bytes) throw new RtcpError(`RTCP packet ${index} (${what}): ${p.length} bytes, needs ${bytes}`);
  };
  switch (packetType) {
    case RTCP_SR: {
      need(28 + 24 * count, 'SR');
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readReportBlock(p, 28 + 24 * i));
      return {
        type: 'sr',
        ssrc: p.readUInt32BE(4),
        sender: {
          ntp: { seconds: p.readUInt32BE(8), fraction: p.readUInt32BE(12) },
          rtpTimestamp: p.readUInt32BE(16),
          packetCount: p.readUInt32BE(20),
          octetCount: p.readUInt32BE(24),
        },
        reports,
      };
    }
    case RTCP_RR: {
      need(8 + 24 * count, 'RR');
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readReportBlock(p, 8 + 24 * i));
      return { type: 'rr', ssrc: p.readUInt32BE(4), reports };
    }
    case RTCP_SDES:
      return { type: 'sdes', chunks: parseSdesChunks(p, count, index) };
    case RTCP_BYE: {
      need(4 + 4 * count, 'BYE');
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(p.readUInt32BE(4 + 4 * i));
      const at = 4 + 4 * count;
      const bye: RtcpPacket = { type: 'bye', ssrcs };
      if (p.length > at) {
        const len = p[at] as number;
        if (at + 1 + len > p.length) throw new RtcpError(`RTCP packet ${index} (BYE): reason overruns the packet`);
        bye.reason = p.toString('utf8', at + 1, at + 1 + len);
      }
      return bye;
    }
    default:
      return { type: 'other', packetType };
  }
}

function parseSdesChunks(p: Buffer, count: number, index: number): { ssrc: number; cname?: string }[] {
  const chunks: { ssrc: number; cname?: string }[] = [];
  let o = 4;
  for (let c = 0; c < count; c++) {
    if (o + 4 > p.length) throw new RtcpError(`RTCP packet ${index} (SDES): chunk ${c + 1} overruns the packet`);
    const chunk: { ssrc: number; cname?: string } = { ssrc: p.readUInt32BE(o) };
    o += 4;
    for (;;) {
      if (o >= p.length) throw new RtcpError(`RTCP packet ${index} (SDES): item list not terminated`);
      const type = p[o] as number;
      if (type === 0) break;
      if (o + 2 > p.length) throw new RtcpError(`RTCP packet ${index} (SDES): item header overruns the packet`);
      const len = p[o + 1] as number;
      if (o + 2 + len > p.length) throw new RtcpError(`RTCP packet ${index} (SDES): item overruns the packet`);
      if (type === 1) chunk.cname = p.toString('utf8', o + 2, o + 2 + len);
      o += 2 + len;
    }
    // Skip the terminating null octet(s) up to the next 32-bit boundary.
    o = (Math.floor(o / 4) + 1) * 4;
    chunks.push(chunk);
  }
  return chunks;
}

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

/**
 * Reception statistics for one remote source, fed one packet at a time:
 * sequence tracking per RFC 3550 §A.1, loss per §A.3 and interarrival
 * jitter per §A.8.
 */
export class ReceptionStats {
  private initialised = false;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private badSeq = SEQ_MOD + 1;
  /** Packets counted as received (including duplicates, as §A.3 does). */
  received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  /** Whether a previous packet's arrival is known, so a transit difference exists. */
  private haveTransit = false;
  private lastArrival = 0;
  private lastTimestamp = 0;
  /** §A.8 jitter estimate in RTP timestamp units, unrounded. */
  private jitterUnits = 0;
  private lastSrMiddle = 0;
  private lastSrArrivalMs = 0;

  /**
   * Counts a packet. `arrival` is the arrival time in RTP clock units; pass it
   * only for packets whose timestamps follow the sampling clock (not for
   * telephone-events, whose timestamp stays at the event start).
   */
  update(sequence: number, rtpTimestamp: number, arrival?: number): void {
    const seq = sequence & 0xffff;
    if (!this.initialised) {
      this.restart(seq);
      this.initialised = true;
    } else {
      const udelta = (seq - this.maxSeq) & 0xffff;
      if (udelta < MAX_DROPOUT) {
        if (seq < this.maxSeq) this.cycles += SEQ_MOD; // wrapped
        this.maxSeq = seq;
      } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        // A big jump: take it as a restart only if the next packet follows it.
        if (seq !== this.badSeq) {
          this.badSeq = (seq + 1) & 0xffff;
          return;
        }
        this.restart(seq);
      }
      // Otherwise a duplicate or reordered packet: counted, max unchanged.
    }
    this.received++;
    if (arrival !== undefined) this.updateJitter(rtpTimestamp >>> 0, arrival);
  }

  /** Records an SR from this source for the LSR/DLSR fields of our next report. */
  noteSenderReport(ntp: NtpTime, arrivalUnixMs: number): void {
    this.lastSrMiddle = ntpMiddle32(ntp);
    this.lastSrArrivalMs = arrivalUnixMs;
  }

  /** Extended highest sequence number received. */
  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  /** Packets expected so far (§A.3). */
  get expected(): number {
    return this.initialised ? this.extendedMax - this.baseSeq + 1 : 0;
  }

  /** Packets lost so far (§A.3); negative when duplicates outnumber losses. */
  get lost(): number {
    return this.expected - this.received;
  }

  /** Interarrival jitter in RTP timestamp units (§A.8). */
  get jitter(): number {
    return this.jitterUnits;
  }

  /** Builds the report block about this source and starts a new reporting interval. */
  reportBlock(sourceSsrc: number, nowUnixMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const dlsr =
      this.lastSrMiddle === 0 ? 0 : Math.max(0, Math.round(((nowUnixMs - this.lastSrArrivalMs) / 1000) * 65536));
    return {
      ssrc: sourceSsrc,
      fractionLost,
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, this.lost)),
      highestSequence: this.extendedMax >>> 0,
      jitter: Math.floor(this.jitterUnits),
      lastSr: this.lastSrMiddle,
      delaySinceLastSr: Math.min(dlsr, 0xffffffff),
    };
  }

  private restart(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.haveTransit = false;
  }

  private updateJitter(rtpTimestamp: number, arrival: number): void {
    if (!this.haveTransit) {
      this.haveTransit = true;
    } else {
      // D(i-1,i) = (Rj - Ri) - (Sj - Si), with the timestamp difference taken
      // as a signed 32-bit value so the wrap does not matter (§6.4.1, §A.8).
      const sentDelta = (rtpTimestamp - this.lastTimestamp) | 0;
      const d = Math.abs(arrival - this.lastArrival - sentDelta);
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.lastArrival = arrival;
    this.lastTimestamp = rtpTimestamp;
  }
}
