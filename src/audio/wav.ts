// RIFF/WAVE: parsing whole files and writing them as a stream.
//
// Only 16-bit integer PCM is accepted (WAVE_FORMAT_PCM, or WAVE_FORMAT_EXTENSIBLE
// whose sub-format is PCM); several channels are averaged down to mono, any rate is
// accepted and resampled by the caller. Unknown chunks (LIST, fact, cue, ...) are
// skipped, honouring the pad byte after odd-sized chunks.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { bytesToMono, monoToBytes } from './pcm.ts';

/** A WAV file's audio, already mixed down to mono. */
export interface DecodedWav {
  sampleRate: number;
  /** Channel count in the file (the samples are already mono). */
  channels: number;
  samples: Int16Array;
}

/** The bytes are not a usable WAV file; `message` is one line saying why. */
export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

const FORMAT_PCM = 0x0001;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Size value that streaming writers put in a data chunk whose length was not known. */
const SIZE_UNKNOWN = 0xffffffff;
const HEADER_BYTES = 44;

const formatNames: Record<number, string> = {
  0x0002: 'MS ADPCM',
  0x0003: 'IEEE float',
  0x0006: 'A-law',
  0x0007: 'mu-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0055: 'MP3',
};

interface FmtChunk {
  formatTag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function fourcc(bytes: Uint8Array, off: number): string {
  return String.fromCharCode(bytes[off] ?? 0, bytes[off + 1] ?? 0, bytes[off + 2] ?? 0, bytes[off + 3] ?? 0);
}

function parseFmt(view: DataView, off: number, size: number): FmtChunk {
  if (size < 16) throw new WavFormatError(`fmt chunk is ${size} bytes, expected at least 16`);
  let formatTag = view.getUint16(off, true);
  // WAVE_FORMAT_EXTENSIBLE carries the real format in the first two bytes of its sub-format GUID.
  if (formatTag === FORMAT_EXTENSIBLE && size >= 40) formatTag = view.getUint16(off + 24, true);
  return {
    formatTag,
    channels: view.getUint16(off + 2, true),
    sampleRate: view.getUint32(off + 4, true),
    blockAlign: view.getUint16(off + 12, true),
    bitsPerSample: view.getUint16(off + 14, true),
  };
}

function checkFmt(fmt: FmtChunk): void {
  if (fmt.formatTag !== FORMAT_PCM) {
    const name = formatNames[fmt.formatTag] ?? 'unknown';
    throw new WavFormatError(
      `not PCM (format tag 0x${fmt.formatTag.toString(16).padStart(4, '0')}, ${name}); convert it to 16-bit PCM, e.g. sox IN -b 16 -e signed-integer OUT.wav`,
    );
  }
  if (fmt.bitsPerSample !== 16) {
    throw new WavFormatError(`PCM with ${fmt.bitsPerSample} bits per sample; only 16-bit is supported`);
  }
  if (fmt.channels < 1) throw new WavFormatError('fmt chunk declares 0 channels');
  if (fmt.sampleRate < 1) throw new WavFormatError('fmt chunk declares a sample rate of 0');
  if (fmt.blockAlign !== fmt.channels * 2) {
    throw new WavFormatError(`inconsistent fmt chunk: block align ${fmt.blockAlign} for ${fmt.channels} channel(s) of 16 bits`);
  }
}

/** Decodes a whole WAV file held in memory; throws WavFormatError naming what is wrong. */
export function parseWav(bytes: Uint8Array): DecodedWav {
  const riff = fourcc(bytes, 0);
  if (riff === 'RIFX') throw new WavFormatError('big-endian (RIFX) WAV is not supported');
  if (riff === 'RF64') throw new WavFormatError('RF64 WAV is not supported');
  if (riff !== 'RIFF') throw new WavFormatError('not a WAV file (no RIFF/WAVE header)');
  if (bytes.byteLength < 12) throw new WavFormatError('not a WAV file (too short for a RIFF header)');
  if (fourcc(bytes, 8) !== 'WAVE') throw new WavFormatError('not a WAV file (no RIFF/WAVE header)');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: FmtChunk | undefined;
  let data: Uint8Array | undefined;
  let off = 12;
  while (off + 8 <= bytes.byteLength) {
    const id = fourcc(bytes, off);
    const size = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'data') {
      let end = size === SIZE_UNKNOWN ? bytes.byteLength : body + size;
      if (end > bytes.byteLength) {
        throw new WavFormatError(`truncated: data chunk declares ${size} bytes but only ${bytes.byteLength - body} are present`);
      }
      if (size === SIZE_UNKNOWN && fmt && fmt.blockAlign > 0) {
        // A writer that never learnt the length may also have been cut mid-frame.
        end = body + Math.floor((end - body) / fmt.blockAlign) * fmt.blockAlign;
      }
      data = bytes.subarray(body, end);
    } else if (id === 'fmt ') {
      if (body + size > bytes.byteLength) throw new WavFormatError('truncated: fmt chunk runs past the end of the file');
      fmt = parseFmt(view, body, size);
    } else if (body + size > bytes.byteLength) {
      if (data) break; // trailing metadata cut short: the audio is complete, so ignore it
      throw new WavFormatError(`truncated: "${id.replace(/[^\x20-\x7e]/g, '?')}" chunk runs past the end of the file`);
    }
    if (size === SIZE_UNKNOWN) break;
    off = body + size + (size & 1); // RIFF chunks are padded to an even length
  }

  if (!fmt) throw new WavFormatError(data ? 'no fmt chunk before the end of the file' : 'no fmt chunk');
  checkFmt(fmt);
  if (!data) throw new WavFormatError('no data chunk');
  if (data.byteLength % fmt.blockAlign !== 0) {
    throw new WavFormatError(`truncated: data chunk of ${data.byteLength} bytes is not a whole number of ${fmt.blockAlign}-byte sample frames`);
  }
  return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples: bytesToMono(data, fmt.channels) };
}

/** Reads and decodes a WAV file of at most `maxBytes`; errors (missing file, bad format) carry a one-line message. */
export async function readWavFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<DecodedWav> {
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (info.size > maxBytes) {
      throw new WavFormatError(`file is ${Math.ceil(info.size / 1048576)} MiB, more than the ${Math.floor(maxBytes / 1048576)} MiB allowed`);
    }
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof WavFormatError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WavFormatError('file not found');
    if (code === 'EACCES') throw new WavFormatError('permission denied');
    if (code === 'EISDIR') throw new WavFormatError('is a directory, not a WAV file');
    throw new WavFormatError(`cannot read: ${code ?? (err as Error).message}`);
  }
  return parseWav(bytes);
}

/** The 44-byte canonical header for 16-bit PCM with `dataBytes` bytes of samples. */
export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A complete mono 16-bit WAV file in memory. */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  return Buffer.concat([wavHeader(sampleRate, 1, samples.byteLength), monoToBytes(samples)]);
}

/** Largest data chunk whose RIFF size still fits the 32-bit field. */
const MAX_DATA_BYTES = 0xffffffff - 36 - 1;

/**
 * Appends mono 16-bit samples to a WAV file. The header's sizes are rewritten every
 * `fixupSamples` samples and on close, so a process killed mid-recording still leaves
 * a file that players read up to the last fix-up.
 */
export class WavFileWriter {
  private dataBytes = 0;
  private sinceFixup = 0;
  private fd: number | undefined;

  private constructor(
    fd: number,
    readonly sampleRate: number,
    private readonly fixupSamples: number,
  ) {
    this.fd = fd;
  }

  /** Creates (or truncates) `path` and writes a header for an empty recording. */
  static create(path: string, sampleRate: number, fixupSamples = sampleRate): WavFileWriter {
    const fd = openSync(path, 'w', 0o644);
    try {
      writeSync(fd, wavHeader(sampleRate, 1, 0), 0, HEADER_BYTES, 0);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new WavFileWriter(fd, sampleRate, Math.max(1, fixupSamples));
  }

  /** Samples written so far. */
  get samplesWritten(): number {
    return this.dataBytes / 2;
  }

  /** Appends samples; false when the 4 GiB WAV limit is reached or the writer is closed. Throws on I/O errors. */
  write(samples: Int16Array): boolean {
    if (this.fd === undefined) return false;
    if (this.dataBytes + samples.byteLength > MAX_DATA_BYTES) return false;
    const bytes = monoToBytes(samples);
    writeSync(this.fd, bytes, 0, bytes.byteLength, HEADER_BYTES + this.dataBytes);
    this.dataBytes += bytes.byteLength;
    this.sinceFixup += samples.length;
    if (this.sinceFixup >= this.fixupSamples) this.fixup();
    return true;
  }

  /** Rewrites the RIFF and data sizes to match what has been written. */
  fixup(): void {
    if (this.fd === undefined) return;
    this.sinceFixup = 0;
    const sizes = Buffer.alloc(4);
    sizes.writeUInt32LE(36 + this.dataBytes, 0);
    writeSync(this.fd, sizes, 0, 4, 4);
    sizes.writeUInt32LE(this.dataBytes, 0);
    writeSync(this.fd, sizes, 0, 4, 40);
  }

  /** Final header fix-up, flush to disk and close; safe to call twice. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    try {
      this.fixup();
      fsyncSync(fd);
    } finally {
      this.fd = undefined;
      closeSync(fd);
    }
  }
}
