// SRTP for RTP packets (RFC 3711) with the AES_CM_128_HMAC_SHA1_80 and _32
// suites that SDES (RFC 4568) negotiates: session keys derived from the
// master key and salt (§4.3), AES in counter mode over the payload (§4.1.1),
// HMAC-SHA1 over header, payload and rollover counter (§4.2), the rollover
// counter estimated from sequence numbers (§3.3.1), and a 64-packet replay
// window (§3.3.2). Pure: bytes in, bytes out.
import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { ReplayWindow } from './replay-window.ts';
import { SrtpError } from './srtp-error.ts';

/** The crypto suites of RFC 4568 §6.2 this implementation speaks. */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export { SrtpError };

const TAG_BYTES: Record<SrtpSuite, number> = { AES_CM_128_HMAC_SHA1_80: 10, AES_CM_128_HMAC_SHA1_32: 4 };

/** AES-128 in counter mode from a 16-byte IV: `length` bytes of keystream XORed into `data` (a copy). */
export function aesCm(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** The session keys of one direction (RFC 3711 §4.3.1, key_derivation_rate 0). */
export interface SrtpSessionKeys {
  cipherKey: Buffer;
  cipherSalt: Buffer;
  authKey: Buffer;
}

/**
 * Derives session keys from a 16-byte master key and 14-byte master salt:
 * labels 0, 1, 2 for SRTP; `firstLabel` 3 gives SRTCP's 3, 4, 5 (§4.3.2).
 */
export function deriveSrtpKeys(masterKey: Buffer, masterSalt: Buffer, firstLabel: 0 | 3 = 0): SrtpSessionKeys {
  if (masterKey.length !== 16 || masterSalt.length !== 14) throw new SrtpError('master key must be 16 bytes and salt 14 bytes');
  const prf = (label: number, length: number) => {
    // x = (label || r) XOR master_salt, r = 0; IV = x * 2^16.
    const iv = Buffer.alloc(16);
    masterSalt.copy(iv, 0);
    iv[7]! ^= label;
    return aesCm(masterKey, iv, Buffer.alloc(length));
  };
  return { cipherKey: prf(firstLabel, 16), authKey: prf(firstLabel + 1, 20), cipherSalt: prf(firstLabel + 2, 14) };
}

/** The counter-mode IV of one packet (§4.1.1); `index` is the SRTP packet index or the SRTCP index. */
export function packetIv(keys: Pick<SrtpSessionKeys, 'cipherSalt'>, ssrc: number, index: bigint): Buffer {
  // IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)
  const iv = Buffer.alloc(16);
  keys.cipherSalt.copy(iv, 0);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  const hi = Number((index >> 32n) & 0xffffn);
  const lo = Number(index & 0xffffffffn);
  iv.writeUInt16BE(iv.readUInt16BE(8) ^ hi, 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ lo) >>> 0, 10);
  return iv;
}

/** The AES-CM keystream for one packet (RFC 3711 §4.1.1); what protect XORs into the payload. */
export function srtpKeystream(keys: Pick<SrtpSessionKeys, 'cipherKey' | 'cipherSalt'>, ssrc: number, index: bigint, length: number): Buffer {
  return aesCm(keys.cipherKey, packetIv(keys, ssrc, index), Buffer.alloc(length));
}

/** Length of the RTP header including CSRCs and extension; throws SrtpError when it does not fit. */
function headerLength(p: Buffer): number {
  if (p.length < 12 || p[0]! >> 6 !== 2) throw new SrtpError('not an RTP packet');
  let n = 12 + (p[0]! & 0x0f) * 4;
  if (p[0]! & 0x10) {
    if (p.length < n + 4) throw new SrtpError('truncated header extension');
    n += 4 + p.readUInt16BE(n + 2) * 4;
  }
  if (p.length < n) throw new SrtpError('truncated header');
  return n;
}

function tag(keys: SrtpSessionKeys, authenticated: Buffer, roc: number, bytes: number): Buffer {
  const rocBuf = Buffer.alloc(4);
  rocBuf.writeUInt32BE(roc >>> 0);
  return createHmac('sha1', keys.authKey).update(authenticated).update(rocBuf).digest().subarray(0, bytes);
}

/** One direction of an SRTP stream (one SSRC): protects outgoing or unprotects incoming packets. */
export class SrtpContext {
  private readonly keys: SrtpSessionKeys;
  private readonly tagBytes: number;
  // Sender side: rollover counter and last sequence sent.
  private sendRoc = 0;
  private lastSentSeq: number | undefined;
  // Receiver side (§3.3.1, §3.3.2): highest index seen and the replay list behind it.
  private readonly replay = new ReplayWindow();

  constructor(suite: SrtpSuite, masterKey: Buffer, masterSalt: Buffer) {
    this.keys = deriveSrtpKeys(masterKey, masterSalt);
    this.tagBytes = TAG_BYTES[suite];
  }

  /** Encrypts and authenticates an RTP packet (§3.3). */
  protect(rtp: Buffer): Buffer {
    const h = headerLength(rtp);
    const seq = rtp.readUInt16BE(2);
    if (this.lastSentSeq !== undefined && seq < this.lastSentSeq && this.lastSentSeq - seq > 0x8000) this.sendRoc = (this.sendRoc + 1) >>> 0;
    this.lastSentSeq = seq;
    const index = (BigInt(this.sendRoc) << 16n) | BigInt(seq);
    const payload = aesCm(this.keys.cipherKey, packetIv(this.keys, rtp.readUInt32BE(8), index), rtp.subarray(h));
    const out = Buffer.concat([rtp.subarray(0, h), payload]);
    return Buffer.concat([out, tag(this.keys, out, this.sendRoc, this.tagBytes)]);
  }

  /** Checks, de-duplicates and decrypts an SRTP packet; throws SrtpError for anything not authentic or replayed. */
  unprotect(srtp: Buffer): Buffer {
    if (srtp.length < 12 + this.tagBytes) throw new SrtpError('too short for SRTP');
    const body = srtp.subarray(0, srtp.length - this.tagBytes);
    const h = headerLength(body);
    const seq = body.readUInt16BE(2);
    const index = this.estimateIndex(seq);
    const roc = Number(index >> 16n);
    const expected = tag(this.keys, body, roc, this.tagBytes);
    if (!timingSafeEqual(expected, srtp.subarray(srtp.length - this.tagBytes))) throw new SrtpError('authentication failed');
    this.replay.check(index);
    const payload = aesCm(this.keys.cipherKey, packetIv(this.keys, body.readUInt32BE(8), index), body.subarray(h));
    this.replay.accept(index);
    return Buffer.concat([body.subarray(0, h), payload]);
  }

  // §3.3.1 / Appendix A: the index closest to the highest seen.
  private estimateIndex(seq: number): bigint {
    const highest = this.replay.highest;
    if (highest === undefined) return BigInt(seq);
    const sL = Number(highest & 0xffffn);
    const roc = Number(highest >> 16n);
    let v = roc;
    if (sL < 0x8000) {
      if (seq - sL > 0x8000) v = roc - 1;
    } else if (sL - 0x8000 > seq) v = roc + 1;
    if (v < 0) v = 0;
    return (BigInt(v >>> 0) << 16n) | BigInt(seq);
  }
}
