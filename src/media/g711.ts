// G.711 (ITU-T G.711, 1988) companding: µ-law (RTP PT 0, PCMU) and A-law
// (RTP PT 8, PCMA), between 16-bit linear PCM and one byte per sample.
//
// Both directions are table lookups: the tables are computed once at load
// from the segment/mantissa rules, so the hot path is one array read per
// sample (64 KiB per law for encoding, 256 entries for decoding).
//
// Negative inputs: the ITU-T G.191 reference implementation (STL, the
// conformance vectors in peer/g711) takes the magnitude of a negative sample
// as its one's complement (~x = -1 - x), not its negation. Two's-complement
// 16-bit PCM spans -32768..32767, which is symmetric about -0.5, so x and
// -1-x are mirror images and must get codes that differ only in the sign
// bit; that is what a mid-riser quantiser with a "+0"/"-0" pair requires.
// The Sun/CPython variant (-x after an arithmetic shift) shifts every
// negative decision level by one step of the 14-bit grid, which is why it
// disagrees with G.191 on 508 inputs just below each level. We follow G.191.

/** Maps every 16-bit input (offset by 32768) to its µ-law byte. */
const ULAW_ENCODE = new Uint8Array(65536);
/** Maps every 16-bit input (offset by 32768) to its A-law byte (even bits inverted, as sent). */
const ALAW_ENCODE = new Uint8Array(65536);
const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);

/** Index of the highest set bit (v > 0). */
function highestBit(v: number): number {
  return 31 - Math.clz32(v);
}

function ulawEncodeSample(x: number): number {
  // µ-law works on 14-bit magnitudes with a bias of 33 so that every segment
  // boundary falls on a power of two (G.711 Table 2a).
  const magnitude = (x < 0 ? ~x : x) >> 2;
  const biased = Math.min(magnitude + 33, 0x1fff);
  const segment = highestBit(biased) - 5;
  const mantissa = (biased >> (segment + 1)) & 0x0f;
  // Transmitted codes are inverted; the sign bit is 1 for positive samples.
  return ((0x7f ^ ((segment << 4) | mantissa)) | (x >= 0 ? 0x80 : 0)) & 0xff;
}

function ulawDecodeByte(code: number): number {
  const u = ~code & 0xff;
  const segment = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  // Reconstruct at the middle of the quantisation interval, remove the bias.
  const magnitude = (((mantissa << 3) + 0x84) << segment) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

function alawEncodeSample(x: number): number {
  // A-law works on 13-bit signed values: 12-bit magnitude, here taken in
  // steps of 16 so that segment 0 and 1 share the same step size.
  const magnitude = (x < 0 ? ~x : x) >> 4;
  let code: number;
  if (magnitude < 16) {
    code = magnitude;
  } else {
    const segment = highestBit(magnitude) - 3;
    code = (segment << 4) | ((magnitude >> (segment - 1)) & 0x0f);
  }
  if (x >= 0) code |= 0x80;
  // G.711 §2: even bits are inverted on the line.
  return code ^ 0x55;
}

function alawDecodeByte(code: number): number {
  const v = code ^ 0x55;
  const segment = (v >> 4) & 0x07;
  const mantissa = v & 0x0f;
  const magnitude = segment === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (segment - 1);
  return v & 0x80 ? magnitude : -magnitude;
}

for (let i = 0; i < 65536; i++) {
  ULAW_ENCODE[i] = ulawEncodeSample(i - 32768);
  ALAW_ENCODE[i] = alawEncodeSample(i - 32768);
}
for (let c = 0; c < 256; c++) {
  ULAW_DECODE[c] = ulawDecodeByte(c);
  ALAW_DECODE[c] = alawDecodeByte(c);
}

function encodeWith(table: Uint8Array, pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = table[(pcm[i] as number) + 32768] as number;
  return out;
}

function decodeWith(table: Int16Array, payload: Uint8Array): Int16Array {
  const out = new Int16Array(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = table[payload[i] as number] as number;
  return out;
}

/** Encodes 16-bit linear PCM to G.711 µ-law bytes (ITU-T G.191 rounding). */
export function encodeUlaw(pcm: Int16Array): Buffer {
  return encodeWith(ULAW_ENCODE, pcm);
}

/** Decodes G.711 µ-law bytes to 16-bit linear PCM. */
export function decodeUlaw(payload: Uint8Array): Int16Array {
  return decodeWith(ULAW_DECODE, payload);
}

/** Encodes 16-bit linear PCM to G.711 A-law bytes as transmitted (even bits inverted). */
export function encodeAlaw(pcm: Int16Array): Buffer {
  return encodeWith(ALAW_ENCODE, pcm);
}

/** Decodes G.711 A-law bytes (as transmitted) to 16-bit linear PCM. */
export function decodeAlaw(payload: Uint8Array): Int16Array {
  return decodeWith(ALAW_DECODE, payload);
}
