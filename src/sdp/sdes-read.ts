// Reading SDES from SDP (RFC 4568): which a=crypto line of the audio stream
// we take. An offerer lists them in its order of preference (§7.1.1), an
// answer has one (§7.1.2); the first one we can honour wins. A line is usable when its suite
// is one we speak, it carries one inline key of 30 bytes without an MKI (we
// send none, §6.1), and it asks for no session parameter that changes the
// transforms (§6.3; only the window-size hint WSH is harmless).
// Besides RTP/SAVP, an RTP/AVP stream with a=crypto is read too: phones that
// offer SRTP "best effort" (baresip's mediaenc=srtp, several PBXs) do that,
// and an answer with a key turns SRTP on for both.
import type { SrtpSuite } from '../media/srtp.ts';
import type { SdesKey } from './sdes.ts';

/** The crypto line we took: its tag (echoed in our answer) and the key the other side sends with. */
export interface SdesCrypto {
  tag: number;
  key: SdesKey;
}

export type SrtpProfile = 'RTP/AVP' | 'RTP/SAVP';

/** SDP read for SDES: as plain RTP/AVP without crypto lines (for the codec negotiation), and the crypto we take. */
export interface SdesStream {
  plain: string;
  profile: SrtpProfile;
  crypto?: SdesCrypto;
}

const SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

function usableCrypto(line: string): SdesCrypto | undefined {
  const c = /^a=crypto:(\d{1,9}) (\S+) (\S+)(?: (.*))?$/.exec(line.trim());
  if (!c) return undefined;
  const suite = SUITES.find((s) => s === c[2]);
  if (!suite) return undefined;
  // One key only (a ";" would start a second one), lifetime allowed, no MKI (§6.1).
  const k = /^inline:([A-Za-z0-9+/]+={0,2})(?:\|(?:2\^\d+|\d+))?$/.exec(c[3]!);
  if (!k) return undefined;
  const params = (c[4] ?? '').split(' ').filter((p) => p !== '');
  if (params.some((p) => !/^WSH=\d+$/.test(p))) return undefined;
  const raw = Buffer.from(k[1]!, 'base64');
  if (raw.length !== 30) return undefined;
  return { tag: Number(c[1]), key: { suite, key: raw.subarray(0, 16), salt: raw.subarray(16) } };
}

/**
 * Reads the audio stream of an offer or answer for SDES. An RTP/SAVP stream
 * without a usable key is an error (an answer would have to refuse it, §7.1.2); an
 * RTP/AVP one without a key is simply plain. Other SDP is passed through for
 * the plain negotiation to judge.
 */
export function readSdes(sdp: string): SdesStream | { error: string } {
  const lines = sdp.split(/\r?\n/);
  const m = lines.findIndex((l) => l.startsWith('m=audio '));
  const profile = m < 0 ? undefined : / (RTP\/S?AVP) /.exec(lines[m]!)?.[1];
  if (m < 0 || (profile !== 'RTP/AVP' && profile !== 'RTP/SAVP')) return { plain: sdp, profile: 'RTP/AVP' };
  let end = lines.findIndex((l, i) => i > m && l.startsWith('m='));
  if (end < 0) end = lines.length;
  let crypto: SdesCrypto | undefined;
  for (let i = m + 1; i < end && !crypto; i++) if (lines[i]!.startsWith('a=crypto:')) crypto = usableCrypto(lines[i]!);
  if (!crypto && profile === 'RTP/SAVP') return { error: 'RTP/SAVP without a crypto line we support (AES_CM_128_HMAC_SHA1_80/_32, inline key, no MKI)' };
  const plain = lines
    .filter((l, i) => !(i > m && i < end && l.startsWith('a=crypto:')))
    .map((l, i) => (i === m ? l.replace(' RTP/SAVP ', ' RTP/AVP ') : l))
    .join('\r\n');
  return { plain, profile, ...(crypto ? { crypto } : {}) };
}
