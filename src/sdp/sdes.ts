// SDES: SRTP keys carried in SDP (RFC 4568). Our offer turns the audio stream
// into RTP/SAVP with one a=crypto line; the answer's matching line gives the
// key the other side sends with. The rest of the negotiation is the plain
// RTP one (offer-answer.ts), which sees the answer with the crypto removed.
// The keys are only as secret as the signalling: use SIP over TLS.
import { randomBytes } from 'node:crypto';
import type { SrtpSuite } from '../media/srtp.ts';
import { readSdes } from './sdes-read.ts';

/** One direction's SRTP master key and salt, and the suite they are for. */
export interface SdesKey {
  suite: SrtpSuite;
  key: Buffer;
  salt: Buffer;
}

/** A fresh random master key (16 bytes) and salt (14 bytes) from the system's CSPRNG. */
export function newSdesKey(suite: SrtpSuite = 'AES_CM_128_HMAC_SHA1_80'): SdesKey {
  const b = randomBytes(30);
  return { suite, key: b.subarray(0, 16), salt: b.subarray(16) };
}

function inline(k: SdesKey): string {
  return `inline:${Buffer.concat([k.key, k.salt]).toString('base64')}`;
}

/**
 * Our SDP (a plain RTP/AVP audio stream) put on `profile` with one crypto
 * line carrying our key under `tag` (RFC 4568 §9.1 offer, §7.1.2 answer).
 */
export function protectStream(sdp: string, profile: 'RTP/AVP' | 'RTP/SAVP', tag: number, k: SdesKey): string {
  const lines = sdp.split('\r\n');
  const i = lines.findIndex((l) => /^m=audio \d+ RTP\/AVP /.test(l));
  if (i < 0) throw new Error('no RTP/AVP audio stream to protect');
  lines[i] = lines[i]!.replace(' RTP/AVP ', ` ${profile} `);
  lines.splice(i + 1, 0, `a=crypto:${tag} ${k.suite} ${inline(k)}`);
  return lines.join('\r\n');
}

/** Our offer with the audio stream made RTP/SAVP and our key added (RFC 4568 §9.1). */
export function offerWithSdes(sdp: string, k: SdesKey): string {
  return protectStream(sdp, 'RTP/SAVP', 1, k);
}

/**
 * The answerer's key from an answer to our SDES offer, and the answer as plain
 * RTP/AVP for the codec negotiation; an error when the audio stream is not
 * SRTP or carries no key for a suite we offered (RFC 4568 §7.1.3).
 */
export function answerSdes(sdp: string, offered: SdesKey): { plain: string; key: SdesKey } | { error: string } {
  const m = /^m=audio \d+ (\S+)/m.exec(sdp);
  if (!m) return { error: 'no audio stream in the answer' };
  if (m[1] !== 'RTP/SAVP') return { error: 'the answer has no SRTP (RTP/SAVP) audio stream' };
  const r = readSdes(sdp);
  if ('error' in r || r.crypto?.key.suite !== offered.suite) return { error: `the answer carries no ${offered.suite} key` };
  return { plain: r.plain, key: r.crypto.key };
}

/** Whether two keys are the same suite, master key and salt. */
export function sameSdesKey(a: SdesKey, b: SdesKey): boolean {
  return a.suite === b.suite && a.key.equals(b.key) && a.salt.equals(b.salt);
}
