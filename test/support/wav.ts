// Minimal WAV reader for measuring test audio. Tolerates files still being
// written (libsndfile fills in the data size only when it closes the file).
import { readFileSync } from 'node:fs';

export interface PcmAudio {
  sampleRate: number;
  /** First channel only, scaled to [-1, 1). */
  samples: Float32Array;
}

/** Reads 16-bit PCM or 32-bit float WAV and returns the first channel as floats. */
export function readWav(path: string): PcmAudio {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file (${buf.length} bytes)`);
  }
  let format = 0;
  let channels = 0;
  let sampleRate = 0;
  let bits = 0;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    let size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = buf.readUInt16LE(body);
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
      // WAVE_FORMAT_EXTENSIBLE keeps the real format in the sub-format GUID.
      if (format === 0xfffe && size >= 26) format = buf.readUInt16LE(body + 24);
    } else if (id === 'data') {
      if (size === 0 || size === 0xffffffff || body + size > buf.length) size = buf.length - body;
      return { sampleRate, samples: decode(buf.subarray(body, body + size), format, bits, channels, path) };
    }
    offset = body + size + (size % 2);
  }
  throw new Error(`${path}: no data chunk`);
}

function decode(data: Buffer, format: number, bits: number, channels: number, path: string): Float32Array {
  if (channels < 1) throw new Error(`${path}: no fmt chunk before data`);
  const frameBytes = (bits / 8) * channels;
  const frames = Math.floor(data.length / frameBytes);
  const out = new Float32Array(frames);
  if (format === 1 && bits === 16) {
    for (let i = 0; i < frames; i++) out[i] = data.readInt16LE(i * frameBytes) / 32768;
  } else if (format === 3 && bits === 32) {
    for (let i = 0; i < frames; i++) out[i] = data.readFloatLE(i * frameBytes);
  } else {
    throw new Error(`${path}: unsupported WAV format ${format}/${bits} bit`);
  }
  return out;
}
