// The PortAudio backend's own logic (device choice, format fallback, buffering,
// underrun/overrun/error accounting, shutdown) against a fake naudiodon. The real
// library is exercised in test/e2e/audio-portaudio.test.ts.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, describe, it, mock } from 'node:test';
import { AudioOpenError } from '../../src/audio/errors.ts';
import type { PaCaptureStream, PaPlaybackStream, PaStreamOptions, PortAudioBinding } from '../../src/audio/portaudio-binding.ts';
import { PortAudioBackend } from '../../src/audio/portaudio-backend.ts';
import type { PortAudioBackendOptions } from '../../src/audio/portaudio-backend.ts';

class FakeCapture extends EventEmitter implements PaCaptureStream {
  started = false;
  quits = 0;
  hangOnQuit = false;
  failStart = false;
  destroyed = false;
  constructor(readonly options: PaStreamOptions) {
    super();
  }
  start(): void {
    if (this.failStart) throw new Error('Could not start stream: Device unavailable');
    this.started = true;
  }
  quit(cb?: () => void): Promise<void> {
    this.quits++;
    if (this.hangOnQuit) return new Promise(() => {});
    return new Promise((resolve) =>
      setImmediate(() => {
        this.emit('end');
        cb?.();
        resolve();
      }),
    );
  }
  /** Delivers interleaved samples as naudiodon would: one Buffer per chunk. */
  deliver(samples: number[]): void {
    const b = Buffer.alloc(samples.length * 2);
    samples.forEach((v, i) => b.writeInt16LE(v, i * 2));
    this.emit('data', b);
  }
}

class FakePlayback extends EventEmitter implements PaPlaybackStream {
  started = false;
  quits = 0;
  destroyed = false;
  readonly written: Buffer[] = [];
  private readonly pending: Array<(err?: unknown) => void> = [];
  constructor(readonly options: PaStreamOptions) {
    super();
  }
  start(): void {
    this.started = true;
  }
  quit(cb?: () => void): Promise<void> {
    this.quits++;
    setImmediate(() => cb?.());
    return Promise.resolve();
  }
  write(chunk: Buffer, cb: (err?: unknown) => void): boolean {
    this.written.push(Buffer.from(chunk));
    this.pending.push(cb);
    return true;
  }
  /** The device takes the chunk in flight, completing its write (optionally with an error). */
  consume(err?: unknown): void {
    const cb = this.pending.shift();
    assert.ok(cb, 'no write in flight');
    cb(err);
  }
  get inFlight(): number {
    return this.pending.length;
  }
  samples(i: number): number[] {
    const b = this.written[i]!;
    return Array.from({ length: b.length / 2 }, (_, k) => b.readInt16LE(k * 2));
  }
}

interface FakeDevice {
  name: string;
  ins: number;
  outs: number;
  rate: number;
}

function fakePortAudio(devices: FakeDevice[], refuse: (o: PaStreamOptions) => string | undefined = () => undefined) {
  const captures: FakeCapture[] = [];
  const playbacks: FakePlayback[] = [];
  const attempts: PaStreamOptions[] = [];
  const binding: PortAudioBinding = {
    getDevices: () =>
      devices.map((d, id) => ({ id, name: d.name, maxInputChannels: d.ins, maxOutputChannels: d.outs, defaultSampleRate: d.rate, hostAPIName: 'ALSA' })),
    getHostAPIs: () => ({ defaultHostAPI: 0, HostAPIs: [{ name: 'ALSA', defaultInput: devices.length - 1, defaultOutput: devices.length - 1 }] }),
    openCapture: (o) => {
      attempts.push(o);
      const why = refuse(o);
      if (why) throw new Error(why);
      const s = new FakeCapture(o);
      captures.push(s);
      return s;
    },
    openPlayback: (o) => {
      attempts.push(o);
      const why = refuse(o);
      if (why) throw new Error(why);
      const s = new FakePlayback(o);
      playbacks.push(s);
      return s;
    },
  };
  return { binding, captures, playbacks, attempts };
}

const fmt = { sampleRate: 8000, frameSamples: 160 };
const usb: FakeDevice = { name: 'USB PnP Sound Device: Audio (hw:1,0)', ins: 1, outs: 2, rate: 48000 };
const plain8k: FakeDevice = { name: 'default', ins: 2, outs: 2, rate: 8000 };

function backendWith(fake: ReturnType<typeof fakePortAudio>, extra: PortAudioBackendOptions = {}) {
  const logs: string[] = [];
  const backend = new PortAudioBackend({ load: async () => fake.binding, log: (level, m) => logs.push(`${level}: ${m}`), ...extra });
  return { backend, logs };
}

const ramp = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

afterEach(() => mock.timers.reset());

describe('PortAudio backend: devices and formats', () => {
  it('lists devices with the defaults marked', async () => {
    const { backend } = backendWith(fakePortAudio([usb, plain8k]));
    const list = await backend.listDevices();
    assert.deepEqual(
      list.map((d) => [d.index, d.name, d.defaultInput, d.defaultOutput, d.defaultSampleRate]),
      [
        [0, usb.name, false, false, 48000],
        [1, 'default', true, true, 8000],
      ],
    );
  });

  it('opens the device at its own rate, mono, one frame per chunk, closeOnError off', async () => {
    const fake = fakePortAudio([usb, plain8k]);
    const { backend } = backendWith(fake);
    const source = await backend.openSource('usb', fmt);
    assert.deepEqual(fake.attempts[0], {
      deviceId: 0,
      sampleRate: 48000,
      channelCount: 1,
      sampleFormat: 16,
      maxQueue: 16,
      framesPerBuffer: 960,
      highwaterMark: 960 * 2,
      closeOnError: false,
    });
    assert.ok(fake.captures[0]!.started);
    assert.equal(source.description, `portaudio:${JSON.stringify(usb.name)} (capture 48000 Hz 1 ch -> 8000 Hz)`);
    await source.close();
  });

  it('falls back to stereo and to other rates when the device refuses', async () => {
    const fake = fakePortAudio([{ ...usb, ins: 2, rate: 44100 }], (o) =>
      o.channelCount === 1 ? 'Invalid number of channels' : o.sampleRate === 44100 ? 'Invalid sample rate' : undefined,
    );
    const { backend } = backendWith(fake);
    const source = await backend.openSource('0', fmt);
    assert.deepEqual(
      fake.attempts.map((a) => `${a.sampleRate}/${a.channelCount}`),
      ['44100/1', '44100/2', '48000/1', '48000/2'],
    );
    await source.close();
  });

  it('says what PortAudio answered when no format works', async () => {
    const { backend } = backendWith(fakePortAudio([usb], () => 'Format not supported: Invalid device'));
    await assert.rejects(
      backend.openSink('default', fmt),
      (err: unknown) =>
        err instanceof AudioOpenError &&
        /^PortAudio could not open "USB PnP.*" for playback: 48000 Hz 1 ch: Format not supported: Invalid device; 48000 Hz 2 ch: .*$/.test(err.message),
    );
  });

  it('quits the stream when it cannot be started', async () => {
    const fake = fakePortAudio([plain8k]);
    const origOpen = fake.binding.openCapture;
    fake.binding.openCapture = (o) => {
      const s = origOpen(o) as FakeCapture;
      s.failStart = true;
      return s;
    };
    const { backend } = backendWith(fake);
    await assert.rejects(backend.openSource('default', fmt), /PortAudio could not start .*: Could not start stream: Device unavailable/);
    assert.equal(fake.captures[0]!.quits, 1);
  });
});

describe('PortAudio source', () => {
  it('delivers device audio one codec frame at a time, resampled to the codec rate', async () => {
    const fake = fakePortAudio([usb]);
    const { backend } = backendWith(fake);
    const source = await backend.openSource('default', fmt);
    // Before the device has delivered anything: silence, and that is not an underrun.
    assert.deepEqual(source.read(), new Int16Array(160));
    assert.equal(source.stats().underruns, 0);
    const tone = (i: number): number => Math.round(10000 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
    for (let c = 0; c < 6; c++) fake.captures[0]!.deliver(Array.from({ length: 960 }, (_, i) => tone(c * 960 + i)));
    const frames = Array.from({ length: 6 }, () => source.read());
    for (const f of frames.slice(2)) {
      const rms = Math.sqrt(f.reduce((s, v) => s + v * v, 0) / f.length);
      assert.ok(Math.abs(rms - 10000 / Math.SQRT2) < 50, `level ${rms}`);
      for (let i = 0; i + 8 < 160; i++) assert.ok(Math.abs(f[i]! - f[i + 8]!) < 30, '1 kHz repeats every 8 samples at 8 kHz');
    }
    assert.deepEqual(source.stats(), { underruns: 0, overruns: 0, errors: 0 });
    await source.close();
  });

  it('copes with chunks that split sample frames', async () => {
    const fake = fakePortAudio([plain8k], (o) => (o.channelCount === 1 ? 'Invalid number of channels' : undefined));
    const { backend } = backendWith(fake);
    const source = await backend.openSource('default', fmt);
    const stereo = Buffer.alloc(160 * 4);
    for (let i = 0; i < 160; i++) {
      stereo.writeInt16LE(1000 + i, i * 4);
      stereo.writeInt16LE(3000 + i, i * 4 + 2);
    }
    for (const [a, b] of [[0, 3], [3, 101], [101, 102], [102, 640]] as const) fake.captures[0]!.emit('data', stereo.subarray(a, b));
    assert.deepEqual([...source.read()], ramp(2000, 160), 'stereo averaged to mono');
    await source.close();
  });

  it('drops the oldest audio when the media loop falls behind, and counts it', async () => {
    const fake = fakePortAudio([plain8k]);
    const { backend } = backendWith(fake, { captureBufferFrames: 3 });
    const source = await backend.openSource('default', fmt);
    for (let c = 0; c < 5; c++) fake.captures[0]!.deliver(ramp(c * 160, 160));
    assert.equal(source.stats().overruns, 2);
    assert.deepEqual([...source.read()], ramp(320, 160), 'the newest three frames remain');
    source.read();
    source.read();
    assert.equal(source.stats().underruns, 0);
    assert.deepEqual(source.read(), new Int16Array(160));
    assert.equal(source.stats().underruns, 1);
    await source.close();
  });

  it('counts stream errors and an unexpected end instead of crashing', async () => {
    const fake = fakePortAudio([plain8k]);
    const { backend, logs } = backendWith(fake);
    const source = await backend.openSource('default', fmt);
    const stream = fake.captures[0]!;
    stream.emit('error', new Error('portAudio status - input overflow'));
    stream.emit('end');
    assert.deepEqual(source.read(), new Int16Array(160));
    assert.deepEqual(source.stats(), { underruns: 1, overruns: 0, errors: 2 });
    assert.match(logs.join('\n'), /capture error: portAudio status - input overflow/);
    assert.match(logs.join('\n'), /capture stream ended unexpectedly/);
    await source.close();
  });

  it('quits exactly once, and stops taking audio', async () => {
    const fake = fakePortAudio([plain8k]);
    const { backend, logs } = backendWith(fake);
    const source = await backend.openSource('default', fmt);
    await Promise.all([source.close(), source.close()]);
    assert.equal(fake.captures[0]!.quits, 1);
    fake.captures[0]!.deliver(ramp(0, 160));
    assert.deepEqual(source.read(), new Int16Array(160));
    assert.deepEqual(logs, [], 'the end that follows quit is expected');
  });

  it('gives up waiting for a quit that never completes', async () => {
    const fake = fakePortAudio([plain8k]);
    const { backend, logs } = backendWith(fake, { quitTimeoutMs: 30 });
    const source = await backend.openSource('default', fmt);
    fake.captures[0]!.hangOnQuit = true;
    await source.close();
    assert.match(logs.join('\n'), /did not stop within 30 ms/);
  });
});

describe('PortAudio sink', () => {
  async function openSink(extra: PortAudioBackendOptions = {}, device = plain8k) {
    const fake = fakePortAudio([device]);
    const { backend, logs } = backendWith(fake, extra);
    const sink = await backend.openSink('default', fmt);
    return { sink, stream: fake.playbacks[0]!, logs };
  }

  it('starts the device and gives it silence at once', async () => {
    const { sink, stream } = await openSink();
    assert.ok(stream.started);
    assert.equal(stream.written.length, 1);
    assert.deepEqual(stream.samples(0), new Array(160).fill(0));
    assert.equal(stream.options.maxQueue, 2);
    await sink.close();
  });

  it('keeps one write in flight and sends frames in order as the device takes them', async () => {
    const { sink, stream } = await openSink();
    sink.write(Int16Array.from(ramp(0, 160)));
    sink.write(Int16Array.from(ramp(160, 160)));
    assert.equal(stream.written.length, 1, 'waits for the device');
    stream.consume();
    assert.deepEqual(stream.samples(1), ramp(0, 160));
    stream.consume();
    assert.deepEqual(stream.samples(2), ramp(160, 160));
    assert.deepEqual(sink.stats(), { underruns: 0, overruns: 0, errors: 0 });
    await sink.close();
  });

  it('resamples to the device rate', async () => {
    const { sink, stream } = await openSink({}, usb);
    assert.equal(stream.options.sampleRate, 48000);
    assert.equal(stream.written[0]!.length, 960 * 2, 'a 20 ms frame of silence at 48 kHz');
    sink.write(new Int16Array(160).fill(1000));
    stream.consume();
    assert.equal(stream.written[1]!.length, 960 * 2);
    await sink.close();
  });

  it('drops the oldest queued frames when the device falls behind', async () => {
    const { sink, stream } = await openSink({ playbackQueueFrames: 3 });
    for (let n = 0; n < 5; n++) sink.write(new Int16Array(160).fill(n + 1));
    assert.equal(sink.stats().overruns, 2);
    for (let n = 0; n < 3; n++) stream.consume();
    assert.deepEqual(
      stream.written.slice(1).map((b) => b.readInt16LE(0)),
      [3, 4, 5],
    );
    await sink.close();
  });

  it('sends silence when the media loop is late, counting an underrun only after audio began', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { sink, stream } = await openSink();
    stream.consume(); // the start-up silence
    mock.timers.tick(31);
    assert.equal(stream.written.length, 2, 'kept fed before the first frame');
    assert.equal(sink.stats().underruns, 0);
    stream.consume();
    sink.write(new Int16Array(160).fill(7));
    stream.consume();
    mock.timers.tick(29);
    assert.equal(stream.written.length, 3, 'not yet: 1.5 frames of grace');
    mock.timers.tick(2);
    assert.equal(stream.written.length, 4);
    assert.deepEqual(stream.samples(3), new Array(160).fill(0));
    assert.equal(sink.stats().underruns, 1);
    await sink.close();
    mock.timers.tick(1000);
    assert.equal(stream.written.length, 4, 'nothing after close');
  });

  it('counts failed writes and keeps going', async () => {
    const { sink, stream, logs } = await openSink();
    sink.write(new Int16Array(160).fill(1));
    stream.consume('portAudio status - output underflow');
    assert.equal(sink.stats().errors, 1);
    assert.equal(stream.written.length, 2, 'the next frame still went out');
    assert.match(logs[0] ?? '', /playback write failed: portAudio status - output underflow/);
    // A destroyed stream fails every write: stop rather than spin.
    stream.destroyed = true;
    sink.write(new Int16Array(160));
    stream.consume(new Error('write after destroy'));
    const sent = stream.written.length;
    sink.write(new Int16Array(160));
    assert.equal(stream.written.length, sent);
    await sink.close();
  });

  it('quits once on close and ignores later writes', async () => {
    const { sink, stream } = await openSink();
    await Promise.all([sink.close(), sink.close()]);
    assert.equal(stream.quits, 1);
    sink.write(new Int16Array(160));
    stream.consume();
    assert.equal(stream.written.length, 1);
  });
});
