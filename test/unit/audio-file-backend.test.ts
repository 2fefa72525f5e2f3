import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AudioOpenError } from '../../src/audio/errors.ts';
import { createFileBackend } from '../../src/audio/file-backend.ts';
import { encodeWav, parseWav } from '../../src/audio/wav.ts';

const dir = mkdtempSync(join(tmpdir(), 'intercom-file-backend-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fmt = { sampleRate: 8000, frameSamples: 160 };
const backend = createFileBackend();

function wavFile(name: string, samples: Int16Array, rate: number): string {
  const path = join(dir, name);
  writeFileSync(path, encodeWav(samples, rate));
  return path;
}

function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

describe('file source', () => {
  it('loops the file exactly: frame N holds samples N*160.. modulo the length', async () => {
    const samples = Int16Array.from({ length: 1000 }, (_, i) => i * 7 - 3500);
    const source = await backend.openSource(wavFile('ramp.wav', samples, 8000), fmt);
    for (let n = 0; n < 40; n++) {
      const frame = source.read();
      assert.equal(frame.length, 160);
      for (let i = 0; i < 160; i++) assert.equal(frame[i], samples[(n * 160 + i) % 1000], `frame ${n} sample ${i}`);
    }
    assert.deepEqual(source.stats(), { underruns: 0, overruns: 0, errors: 0 });
    assert.match(source.description, /ramp\.wav \(8000 Hz, 1 ch, looped\)/);
    await source.close();
  });

  it('loops a file shorter than one frame', async () => {
    const source = await backend.openSource(wavFile('tiny.wav', Int16Array.from([1, 2, 3]), 8000), fmt);
    assert.deepEqual([...source.read().subarray(0, 7)], [1, 2, 3, 1, 2, 3, 1]);
  });

  it('resamples to the codec rate and mixes stereo down', async () => {
    // 48 kHz stereo: 1 kHz on the left, silence on the right -> half level in mono.
    const seconds = 1;
    const stereo = Buffer.alloc(48000 * seconds * 4);
    for (let i = 0; i < 48000 * seconds; i++) stereo.writeInt16LE(Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / 48000)), i * 4);
    const header = encodeWav(new Int16Array(0), 48000);
    header.writeUInt16LE(2, 22); // channels
    header.writeUInt32LE(48000 * 4, 28);
    header.writeUInt16LE(4, 32);
    header.writeUInt32LE(stereo.byteLength, 40);
    header.writeUInt32LE(36 + stereo.byteLength, 4);
    const path = join(dir, 'stereo48k.wav');
    writeFileSync(path, Buffer.concat([header, stereo]));

    const source = await backend.openSource(path, fmt);
    assert.match(source.description, /48000 Hz resampled to 8000 Hz, 2 ch/);
    const frames = Array.from({ length: 50 }, () => source.read());
    // 8000 samples per loop: frame 50 starts the file again.
    const middle = frames[25]!;
    assert.ok(Math.abs(rms(middle) - 8000 / Math.SQRT2) < 100, `level ${rms(middle)}`);
    // 1 kHz at 8 kHz: every 8th sample repeats.
    for (let i = 0; i + 8 < 160; i++) assert.ok(Math.abs(middle[i]! - middle[i + 8]!) < 40);
    assert.deepEqual(source.read(), frames[0], 'loops after exactly the resampled length');
  });

  it('gives one-line reasons for unusable files', async () => {
    const notWav = join(dir, 'notes.txt');
    writeFileSync(notWav, 'hello, this is not audio');
    const empty = wavFile('empty.wav', new Int16Array(0), 8000);
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'missing.wav'), /^file not found$/],
      [notWav, /^not a WAV file \(no RIFF\/WAVE header\)$/],
      [empty, /contains no audio samples/],
      [dir, /is a directory/],
      ['', /no file name/],
    ];
    for (const [path, reason] of cases) {
      await assert.rejects(backend.openSource(path, fmt), (err: unknown) => {
        assert.ok(err instanceof AudioOpenError, String(err));
        assert.match(err.message, reason);
        return true;
      });
    }
  });
});

describe('file sink', () => {
  it('records what is written as a WAV at the codec rate', async () => {
    const path = join(dir, 'rec.wav');
    const sink = await backend.openSink(path, { sampleRate: 16000, frameSamples: 320 });
    const frames = Array.from({ length: 10 }, (_, n) => Int16Array.from({ length: 320 }, (_, i) => n * 1000 + i));
    for (const f of frames) sink.write(f);
    await sink.close();
    sink.write(frames[0]!); // after close: ignored, not a crash
    const wav = parseWav(readFileSync(path));
    assert.equal(wav.sampleRate, 16000);
    assert.equal(wav.channels, 1);
    assert.deepEqual([...wav.samples], frames.flatMap((f) => [...f]));
    assert.deepEqual(sink.stats(), { underruns: 0, overruns: 0, errors: 0 });
  });

  it('says why a recording cannot be created', async () => {
    await assert.rejects(backend.openSink(join(dir, 'no/such/dir/rec.wav'), fmt), /cannot create the recording: its directory does not exist/);
    await assert.rejects(backend.openSink(dir, fmt), /cannot create the recording: the path is a directory/);
  });
});
