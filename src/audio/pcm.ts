// Conversions between little-endian 16-bit PCM bytes (what files and PortAudio carry)
// and the Int16Array frames the media loop works with.

import { endianness } from 'node:os';

const littleEndianHost = endianness() === 'LE';

/** Interleaved little-endian s16 bytes -> mono Int16Array, averaging the channels. */
export function bytesToMono(bytes: Uint8Array, channels: number): Int16Array {
  const frames = Math.floor(bytes.byteLength / (2 * channels));
  const view = new DataView(bytes.buffer, bytes.byteOffset, frames * 2 * channels);
  const out = new Int16Array(frames);
  if (channels === 1) {
    for (let i = 0; i < frames; i++) out[i] = view.getInt16(i * 2, true);
    return out;
  }
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    const base = i * 2 * channels;
    for (let c = 0; c < channels; c++) sum += view.getInt16(base + c * 2, true);
    out[i] = Math.round(sum / channels);
  }
  return out;
}

/** Mono Int16Array -> interleaved little-endian s16 bytes, copying the sample to every channel. */
export function monoToBytes(samples: Int16Array, channels = 1): Buffer {
  if (channels === 1 && littleEndianHost) {
    return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  }
  const out = Buffer.allocUnsafe(samples.length * 2 * channels);
  let off = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] ?? 0;
    for (let c = 0; c < channels; c++) {
      out.writeInt16LE(s, off);
      off += 2;
    }
  }
  return out;
}
