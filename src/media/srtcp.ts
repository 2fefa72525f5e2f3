// SRTCP (RFC 3711 §3.4): RTCP protected with the same master key and salt as
// the SRTP stream, under its own session keys (labels 3, 4, 5; §4.3.2). The
// first 8 octets (header and sender SSRC) stay in the clear; the rest of the
// compound packet is encrypted (AES-CM, IV from the SSRC and the 31-bit SRTCP
// index, §4.1.1), followed by the E flag with that index and the HMAC-SHA1 tag
// over everything before it (§4.2). SRTCP is always authenticated with an
// 80-bit tag, also in the _32 suite (RFC 4568 §6.2.2). Pure: bytes in, bytes out.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ReplayWindow } from './replay-window.ts';
import { aesCm, deriveSrtpKeys, packetIv, type SrtpSessionKeys } from './srtp.ts';
import { SrtpError } from './srtp-error.ts';

const TAG_BYTES = 10;
/** RTCP header and sender SSRC: never encrypted (§3.4). */
const CLEAR_BYTES = 8;
const E_FLAG = 0x80000000;
const INDEX_MASK = 0x7fffffff;

/** One direction of SRTCP: protects our reports or unprotects the peer's. */
export class SrtcpContext {
  private readonly keys: SrtpSessionKeys;
  // §3.4: the sender's index starts at 0 and counts every packet it protects.
  private nextIndex = 0;
  private readonly replay = new ReplayWindow();

  /** Both suites of RFC 4568 §6.2 use the same SRTCP transform, so only the master key and salt matter. */
  constructor(masterKey: Buffer, masterSalt: Buffer) {
    this.keys = deriveSrtpKeys(masterKey, masterSalt, 3);
  }

  /** Encrypts and authenticates a (compound) RTCP packet. */
  protect(rtcp: Buffer): Buffer {
    if (rtcp.length < CLEAR_BYTES || rtcp[0]! >> 6 !== 2) throw new SrtpError('not an RTCP packet');
    // §3.4: the index wraps at 2^31; a call never gets near it (one report every few seconds).
    const index = this.nextIndex;
    this.nextIndex = (this.nextIndex + 1) & INDEX_MASK;
    const encrypted = aesCm(this.keys.cipherKey, packetIv(this.keys, rtcp.readUInt32BE(4), BigInt(index)), rtcp.subarray(CLEAR_BYTES));
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE((E_FLAG | index) >>> 0);
    const authenticated = Buffer.concat([rtcp.subarray(0, CLEAR_BYTES), encrypted, trailer]);
    return Buffer.concat([authenticated, this.tag(authenticated)]);
  }

  /** Checks, de-duplicates and decrypts an SRTCP packet; throws SrtpError for anything not authentic or replayed. */
  unprotect(srtcp: Buffer): Buffer {
    if (srtcp.length < CLEAR_BYTES + 4 + TAG_BYTES) throw new SrtpError('too short for SRTCP');
    if (srtcp[0]! >> 6 !== 2) throw new SrtpError('not an SRTCP packet');
    const authenticated = srtcp.subarray(0, srtcp.length - TAG_BYTES);
    if (!timingSafeEqual(this.tag(authenticated), srtcp.subarray(srtcp.length - TAG_BYTES))) throw new SrtpError('authentication failed');
    const trailer = authenticated.readUInt32BE(authenticated.length - 4);
    const index = BigInt(trailer & INDEX_MASK);
    this.replay.check(index);
    const body = authenticated.subarray(CLEAR_BYTES, authenticated.length - 4);
    // E = 0: the sender chose not to encrypt (§3.4); the packet is still authentic.
    const plain = trailer & E_FLAG ? aesCm(this.keys.cipherKey, packetIv(this.keys, srtcp.readUInt32BE(4), index), body) : body;
    this.replay.accept(index);
    return Buffer.concat([srtcp.subarray(0, CLEAR_BYTES), plain]);
  }

  private tag(authenticated: Buffer): Buffer {
    return createHmac('sha1', this.keys.authKey).update(authenticated).digest().subarray(0, TAG_BYTES);
  }
}
