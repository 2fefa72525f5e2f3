import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { WavFileWriter, WavFormatError, encodeWav, parseWav, readWavFile, wavHeader } from '../../src/audio/wav.ts';

const dir = mkdtempSync(join(tmpdir(), 'intercom-wav-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ramp(n: number): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 37) % 65536) - 32768;
  return x;
}

/** A WAV file assembled from raw chunks, to build malformed and unusual files. */
function riff(chunks: Array<[string, Uint8Array]>, form = 'WAVE', magic = 'RIFF'): Buffer {
  const parts: Buffer[] = [Buffer.from(form, 'latin1')];
  for (const [id, body] of chunks) {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.byteLength, 4);
    parts.push(head, Buffer.from(body));
    if (body.byteLength & 1) parts.push(Buffer.alloc(1));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write(magic, 0, 'latin1');
  head.writeUInt32LE(body.byteLength, 4);
  return Buffer.concat([head, body]);
}

function fmt(tag: number, channels: number, rate: number, bits: number, extra = 0): Buffer {
  const b = Buffer.alloc(16 + extra);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

function pcm(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeInt16LE(v, i * 2));
  return b;
}

describe('parseWav', () => {
  it('round-trips mono 16-bit through encodeWav', () => {
    const samples = ramp(1000);
    const wav = parseWav(encodeWav(samples, 8000));
    assert.equal(wav.sampleRate, 8000);
    assert.equal(wav.channels, 1);
    assert.deepEqual(wav.samples, samples);
  });

  it('averages stereo down to mono', () => {
    const wav = parseWav(riff([['fmt ', fmt(1, 2, 44100, 16)], ['data', pcm([100, 300, -1000, -2000, 32767, 32767])]]));
    assert.equal(wav.channels, 2);
    assert.equal(wav.sampleRate, 44100);
    assert.deepEqual([...wav.samples], [200, -1500, 32767]);
  });

  it('skips unknown chunks, including odd-sized ones with their pad byte', () => {
    const wav = parseWav(
      riff([
        ['LIST', Buffer.from('INFOISFT\x03\0\0\0abc', 'latin1')],
        ['fmt ', fmt(1, 1, 16000, 16)],
        ['fact', Buffer.alloc(5)],
        ['data', pcm([1, 2, 3])],
        ['cue ', Buffer.alloc(4)],
      ]),
    );
    assert.equal(wav.sampleRate, 16000);
    assert.deepEqual([...wav.samples], [1, 2, 3]);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format', () => {
    const f = fmt(0xfffe, 1, 48000, 16, 24);
    f.writeUInt16LE(22, 16); // cbSize
    f.writeUInt16LE(0x0001, 24); // sub-format GUID starts with the PCM tag
    const wav = parseWav(riff([['fmt ', f], ['data', pcm([5, -5])]]));
    assert.deepEqual([...wav.samples], [5, -5]);
  });

  it('reads to the end when the data size is the streaming placeholder', () => {
    const bytes = riff([['fmt ', fmt(1, 1, 8000, 16)], ['data', pcm([7, 8, 9])]]);
    bytes.writeUInt32LE(0xffffffff, bytes.byteLength - 6 - 4);
    assert.deepEqual([...parseWav(bytes).samples], [7, 8, 9]);
  });

  const bad: Array<[string, Uint8Array, RegExp]> = [
    ['too short', Buffer.from('RIFF'), /too short/],
    ['not RIFF', Buffer.from('ID3\x03\0\0\0\0\0\0WAVEfmt '), /not a WAV file/],
    ['RIFF but not WAVE', riff([], 'AVI '), /not a WAV file/],
    ['big-endian RIFX', riff([], 'WAVE', 'RIFX'), /RIFX/],
    ['IEEE float', riff([['fmt ', fmt(3, 1, 8000, 32)], ['data', Buffer.alloc(8)]]), /not PCM .*IEEE float/],
    ['A-law', riff([['fmt ', fmt(6, 1, 8000, 8)], ['data', Buffer.alloc(8)]]), /not PCM .*A-law/],
    ['8-bit PCM', riff([['fmt ', fmt(1, 1, 8000, 8)], ['data', Buffer.alloc(8)]]), /8 bits per sample; only 16-bit/],
    ['no fmt chunk', riff([['data', pcm([1])]]), /no fmt chunk/],
    ['no data chunk', riff([['fmt ', fmt(1, 1, 8000, 16)]]), /no data chunk/],
    ['short fmt chunk', riff([['fmt ', Buffer.alloc(10)], ['data', pcm([1])]]), /fmt chunk is 10 bytes/],
  ];
  for (const [what, bytes, message] of bad) {
    it(`rejects ${what} with a one-line reason`, () => {
      assert.throws(() => parseWav(bytes), (err: unknown) => {
        assert.ok(err instanceof WavFormatError);
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    });
  }

  it('rejects a data chunk cut short', () => {
    const whole = encodeWav(ramp(100), 8000);
    assert.throws(() => parseWav(whole.subarray(0, whole.byteLength - 10)), /truncated: data chunk declares 200 bytes but only 190/);
  });

  it('rejects data that is not a whole number of sample frames', () => {
    assert.throws(() => parseWav(riff([['fmt ', fmt(1, 2, 8000, 16)], ['data', pcm([1, 2, 3])]])), /not a whole number of 4-byte sample frames/);
  });

  it('writes the canonical 44-byte header', () => {
    const h = wavHeader(8000, 1, 320);
    assert.equal(h.byteLength, 44);
    assert.equal(h.toString('latin1', 0, 4), 'RIFF');
    assert.equal(h.readUInt32LE(4), 36 + 320);
    assert.equal(h.readUInt32LE(28), 16000); // byte rate
    assert.equal(h.readUInt32LE(40), 320);
  });
});

describe('readWavFile', () => {
  it('reads a file written by encodeWav', async () => {
    const path = join(dir, 'ramp.wav');
    writeFileSync(path, encodeWav(ramp(500), 16000));
    const wav = await readWavFile(path);
    assert.equal(wav.sampleRate, 16000);
    assert.deepEqual(wav.samples, ramp(500));
  });

  it('says "file not found" for a missing file', async () => {
    await assert.rejects(readWavFile(join(dir, 'nope.wav')), /^WavFormatError: file not found$/);
  });

  it('says so when the path is a directory', async () => {
    await assert.rejects(readWavFile(dir), /is a directory/);
  });

  it('refuses files over the size limit without reading them', async () => {
    const path = join(dir, 'big.wav');
    writeFileSync(path, encodeWav(new Int16Array(1024 * 1024), 8000));
    await assert.rejects(readWavFile(path, 1024 * 1024), /file is 3 MiB, more than the 1 MiB allowed/);
  });
});

describe('WavFileWriter', () => {
  it('produces a file that parses back to what was written', () => {
    const path = join(dir, 'rec.wav');
    const w = WavFileWriter.create(path, 8000);
    const samples = ramp(8000 * 2 + 77);
    for (let i = 0; i < samples.length; i += 160) w.write(samples.subarray(i, i + 160));
    assert.equal(w.samplesWritten, samples.length);
    w.close();
    w.close(); // twice is harmless
    assert.equal(w.write(new Int16Array(1)), false);
    const wav = parseWav(readFileSync(path));
    assert.equal(wav.sampleRate, 8000);
    assert.deepEqual(wav.samples, samples);
  });

  it('keeps the header current while recording, so a killed process leaves a readable file', () => {
    const path = join(dir, 'live.wav');
    const w = WavFileWriter.create(path, 8000, 1600);
    // Right after creation: a valid, empty recording.
    assert.equal(parseWav(readFileSync(path)).samples.length, 0);
    for (let i = 0; i < 25; i++) w.write(ramp(160)); // 4000 samples: fix-ups at 1600 and 3200
    const midway = parseWav(readFileSync(path).subarray(0, 44 + 3200 * 2));
    assert.equal(midway.samples.length, 3200);
    // Never closed: the file on disk holds 4000 samples but declares 3200; readers take 3200.
    assert.equal(parseWav(readFileSync(path)).samples.length, 3200);
    w.close();
    assert.equal(parseWav(readFileSync(path)).samples.length, 4000);
  });
});
