// RTP payload formats as an SDP media description lists them: the static
// assignments of RFC 3551 and the resolution of an m= line's format list
// through its a=rtpmap attributes (RFC 8866 §6.6).

export interface RtpFormat {
  payloadType: number;
  /** Encoding name as written (case preserved). */
  name: string;
  clockRate: number;
  channels?: number;
}

/** Static audio payload types (RFC 3551 §6, Table 4). */
const STATIC_AUDIO: Record<number, { name: string; clockRate: number; channels?: number }> = {
  0: { name: 'PCMU', clockRate: 8000 },
  3: { name: 'GSM', clockRate: 8000 },
  4: { name: 'G723', clockRate: 8000 },
  5: { name: 'DVI4', clockRate: 8000 },
  6: { name: 'DVI4', clockRate: 16000 },
  7: { name: 'LPC', clockRate: 8000 },
  8: { name: 'PCMA', clockRate: 8000 },
  9: { name: 'G722', clockRate: 8000 }, // 16 kHz audio, 8 kHz RTP clock (RFC 3551 §4.5.2)
  10: { name: 'L16', clockRate: 44100, channels: 2 },
  11: { name: 'L16', clockRate: 44100 },
  12: { name: 'QCELP', clockRate: 8000 },
  13: { name: 'CN', clockRate: 8000 },
  14: { name: 'MPA', clockRate: 90000 },
  15: { name: 'G728', clockRate: 8000 },
  16: { name: 'DVI4', clockRate: 11025 },
  17: { name: 'DVI4', clockRate: 22050 },
  18: { name: 'G729', clockRate: 8000 },
};

/** The static payload type of an audio encoding (e.g. PCMU -> 0), if it has one. */
export function staticPayloadType(name: string): RtpFormat | undefined {
  const upper = name.toUpperCase();
  for (const [pt, f] of Object.entries(STATIC_AUDIO)) {
    // DVI4 and L16 have several: take the first mono one (DVI4/8000, L16 mono).
    if (f.name === upper && f.channels === undefined) return { payloadType: Number(pt), ...f };
  }
  return undefined;
}

/** What sdp-transform gives for one a=rtpmap line; fields may be missing or malformed. */
export interface RawRtpmap {
  payload: number;
  codec: string;
  rate?: number | string;
  encoding?: number | string;
}

/**
 * The formats of an m= line in the order listed, each resolved through its
 * a=rtpmap or, lacking one, the static table (RFC 3551). A payload type
 * listed twice counts once, and with two rtpmaps for one payload type the
 * first wins (seen in real equipment). Formats that resolve to nothing
 * (dynamic payload types without an rtpmap) are returned with name "".
 */
export function resolveFormats(payloads: string | number | undefined, rtpmaps: RawRtpmap[]): RtpFormat[] {
  const seen = new Set<number>();
  const out: RtpFormat[] = [];
  // sdp-transform turns a single-format list ("m=audio 6010 RTP/AVP 0") into a number.
  for (const token of String(payloads ?? '').trim().split(/\s+/)) {
    if (!/^\d{1,3}$/.test(token)) continue;
    const pt = Number(token);
    if (pt > 127 || seen.has(pt)) continue;
    seen.add(pt);
    const map = rtpmaps.find((m) => m.payload === pt);
    if (map) {
      const rate = Number(map.rate);
      const channels = map.encoding === undefined || map.encoding === '' ? undefined : Number(map.encoding);
      const f: RtpFormat = { payloadType: pt, name: map.codec, clockRate: Number.isInteger(rate) && rate > 0 ? rate : 0 };
      if (channels !== undefined) f.channels = Number.isInteger(channels) ? channels : 0;
      out.push(f);
      continue;
    }
    const fixed = STATIC_AUDIO[pt];
    out.push(fixed ? { payloadType: pt, ...fixed } : { payloadType: pt, name: '', clockRate: 0 });
  }
  return out;
}

/** Whether a format is the named codec at its usual clock rate, in mono. */
export function formatMatches(f: RtpFormat, codecName: string): boolean {
  if (f.name.toUpperCase() !== codecName.toUpperCase()) return false;
  if (f.channels !== undefined && f.channels !== 1) return false;
  const fixed = staticPayloadType(codecName);
  return fixed === undefined || f.clockRate === fixed.clockRate;
}

/** A format's name for messages: its encoding name, or "PT n" when unknown. */
export function formatLabel(f: RtpFormat): string {
  return f.name === '' ? `PT ${f.payloadType}` : f.name;
}
