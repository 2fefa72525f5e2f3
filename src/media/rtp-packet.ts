// RTP fixed header, CSRC list and header extension (RFC 3550 §5.1, §5.3.1).

export interface RtpHeaderExtension {
  /** The 16-bit "defined by profile" field. */
  profile: number;
  /** Extension body, a multiple of 4 bytes. */
  data: Buffer;
}

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  /** 16-bit sequence number. */
  sequence: number;
  /** 32-bit timestamp, unsigned. */
  timestamp: number;
  /** 32-bit synchronisation source, unsigned. */
  ssrc: number;
  csrcs: number[];
  extension?: RtpHeaderExtension;
  /** Payload without padding. */
  payload: Buffer;
}

/** A packet that is not valid RTP; the message says what is wrong. */
export class RtpError extends Error {
  override name = 'RtpError';
}

const FIXED_HEADER = 12;

/** Parses one RTP packet (RFC 3550 §5.1); throws RtpError naming the defect. */
export function parseRtp(buf: Buffer): RtpPacket {
  if (buf.length < FIXED_HEADER) throw new RtpError(`RTP packet too short: ${buf.length} bytes, header needs 12`);
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  const version = b0 >> 6;
  if (version !== 2) throw new RtpError(`RTP version ${version}, expected 2`);
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;

  let offset = FIXED_HEADER + 4 * csrcCount;
  if (offset > buf.length) {
    throw new RtpError(`RTP CSRC list (${csrcCount} entries) overruns the ${buf.length}-byte packet`);
  }
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(buf.readUInt32BE(FIXED_HEADER + 4 * i));

  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    // §5.3.1: 16-bit profile field, 16-bit length in 32-bit words, then data.
    if (offset + 4 > buf.length) throw new RtpError('RTP header extension header overruns the packet');
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const end = offset + 4 + 4 * words;
    if (end > buf.length) {
      throw new RtpError(`RTP header extension (${words} words) overruns the ${buf.length}-byte packet`);
    }
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }

  let payloadEnd = buf.length;
  if (hasPadding) {
    // §5.1: the last octet counts the padding octets, itself included.
    const pad = buf[buf.length - 1] as number;
    if (pad === 0) throw new RtpError('RTP padding flag set but padding count is 0');
    if (offset + pad > buf.length) {
      throw new RtpError(`RTP padding count ${pad} exceeds the ${buf.length - offset} bytes after the header`);
    }
    payloadEnd = buf.length - pad;
  }

  const packet: RtpPacket = {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    payload: buf.subarray(offset, payloadEnd),
  };
  if (extension) packet.extension = extension;
  return packet;
}

/** Serialises an RTP packet (no padding); fields are masked to their widths. */
export function serializeRtp(p: RtpPacket): Buffer {
  if (p.csrcs.length > 15) throw new RtpError(`RTP packet cannot carry ${p.csrcs.length} CSRCs (max 15)`);
  const ext = p.extension;
  if (ext && ext.data.length % 4 !== 0) {
    throw new RtpError(`RTP header extension length ${ext.data.length} is not a multiple of 4`);
  }
  const headerLength = FIXED_HEADER + 4 * p.csrcs.length + (ext ? 4 + ext.data.length : 0);
  const buf = Buffer.allocUnsafe(headerLength + p.payload.length);
  buf[0] = 0x80 | (ext ? 0x10 : 0) | p.csrcs.length;
  buf[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  buf.writeUInt16BE(p.sequence & 0xffff, 2);
  buf.writeUInt32BE(p.timestamp >>> 0, 4);
  buf.writeUInt32BE(p.ssrc >>> 0, 8);
  let offset = FIXED_HEADER;
  for (const csrc of p.csrcs) {
    buf.writeUInt32BE(csrc >>> 0, offset);
    offset += 4;
  }
  if (ext) {
    buf.writeUInt16BE(ext.profile & 0xffff, offset);
    buf.writeUInt16BE(ext.data.length / 4, offset + 2);
    ext.data.copy(buf, offset + 4);
    offset += 4 + ext.data.length;
  }
  p.payload.copy(buf, offset);
  return buf;
}

/**
 * Tells RTCP from RTP on a shared port (RFC 5761 §4): RTCP packet types
 * 192-223 occupy the second octet, where RTP would need marker + PT 64-95,
 * a range RTP/AVP leaves unassigned for exactly this reason.
 */
export function isRtcpPacket(buf: Buffer): boolean {
  if (buf.length < 8 || (buf[0] as number) >> 6 !== 2) return false;
  const pt = buf[1] as number;
  return pt >= 192 && pt <= 223;
}
