// A sound card failing mid-call (stream error, end, a USB card unplugged so no
// audio flows) through the PortAudio backend with a fake naudiodon: logged,
// counted, reopened with back-off while reads give silence; never thrown.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { PaCaptureStream, PaPlaybackStream, PortAudioBinding } from '../../src/audio/portaudio-binding.ts';
import { PortAudioBackend } from '../../src/audio/portaudio-backend.ts';

class Capture extends EventEmitter implements PaCaptureStream {
  quits = 0;
  start(): void {}
  quit(cb?: () => void): void {
    this.quits++;
    setImmediate(() => cb?.());
  }
  deliver(value: number, samples = 160): void {
    const b = Buffer.alloc(samples * 2);
    for (let i = 0; i < samples; i++) b.writeInt16LE(value, i * 2);
    this.emit('data', b);
  }
}

class Playback extends EventEmitter implements PaPlaybackStream {
  quits = 0;
  destroyed = false;
  /** When false the device stops taking chunks (as an unplugged card does). */
  taking = true;
  readonly chunks: Buffer[] = [];
  start(): void {}
  quit(cb?: () => void): void {
    this.quits++;
    setImmediate(() => cb?.());
  }
  write(chunk: Buffer, cb: (err?: unknown) => void): boolean {
    this.chunks.push(chunk);
    if (this.taking) setImmediate(() => cb());
    return true;
  }
}

function fakeCard() {
  const state = { present: true, captures: [] as Capture[], playbacks: [] as Playback[] };
  const binding: PortAudioBinding = {
    getDevices: () => (state.present ? [{ id: 0, name: 'USB Audio', maxInputChannels: 1, maxOutputChannels: 1, defaultSampleRate: 8000, hostAPIName: 'ALSA' }] : []),
    getHostAPIs: () => ({ defaultHostAPI: 0, HostAPIs: [{ name: 'ALSA', defaultInput: state.present ? 0 : 0xffffffff, defaultOutput: state.present ? 0 : 0xffffffff }] }),
    openCapture: () => {
      const c = new Capture();
      state.captures.push(c);
      return c;
    },
    openPlayback: () => {
      const p = new Playback();
      state.playbacks.push(p);
      return p;
    },
  };
  const logs: string[] = [];
  const backend = new PortAudioBackend({ load: async () => binding, log: (level, m) => logs.push(`${level}: ${m}`), stallMs: 40, reopenBackoffMs: [5, 10, 20] });
  return { state, logs, backend };
}

const fmt = { sampleRate: 8000, frameSamples: 160 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await sleep(5);
  assert.ok(cond(), what);
}

describe('PortAudio device faults mid-call', () => {
  it('a capture stream that ends is logged once, read as silence, and reopened; audio flows again', async () => {
    const { state, logs, backend } = fakeCard();
    const source = await backend.openSource('USB Audio', fmt);
    state.captures[0]!.deliver(1000);
    assert.equal(source.read()[0], 1000);
    state.captures[0]!.emit('end');
    for (let i = 0; i < 3; i++) assert.deepEqual(source.read(), new Int16Array(160));
    assert.equal(logs.filter((l) => /reopening it/.test(l)).length, 1, logs.join('\n'));
    await until('reopened', () => state.captures.length === 2 && logs.some((l) => /reopened after 1 attempt/.test(l)));
    state.captures[1]!.deliver(2000);
    assert.equal(source.read()[0], 2000);
    const st = source.stats();
    assert.ok(st.errors >= 1 && st.underruns >= 3, JSON.stringify(st));
    assert.equal(state.captures[0]!.quits, 1, 'the failed stream was quit');
    await source.close();
  });

  it('an unplugged card: capture goes silent, reopen fails until it is back (logged once, not every attempt), then recovers', async () => {
    const { state, logs, backend } = fakeCard();
    const source = await backend.openSource('USB Audio', fmt);
    state.captures[0]!.deliver(1000);
    source.read();
    state.present = false; // unplugged: no more data, and the device is gone from the list
    await sleep(60);
    assert.deepEqual(source.read(), new Int16Array(160), 'stalled: silence, no exception');
    await until('several failed attempts', () => logs.some((l) => /reopen attempt 1 failed: no capture device matches "USB Audio"/.test(l)));
    await sleep(80);
    assert.equal(logs.filter((l) => /reopen attempt/.test(l)).length, 1, 'failed attempts are not logged one by one');
    state.present = true;
    await until('reopened', () => state.captures.length === 2);
    state.captures[1]!.deliver(3000);
    assert.equal(source.read()[0], 3000);
    await source.close();
  });

  it('playback: a closed stream or a device that stops taking audio is reopened; writes never throw', async () => {
    const { state, logs, backend } = fakeCard();
    const sink = await backend.openSink('USB Audio', fmt);
    sink.write(new Int16Array(160).fill(500));
    state.playbacks[0]!.emit('close');
    sink.write(new Int16Array(160).fill(500));
    await until('reopened after close', () => state.playbacks.length === 2);
    await sleep(5);
    sink.write(new Int16Array(160).fill(700));
    await until('written to the new stream', () => state.playbacks[1]!.chunks.some((c) => c.readInt16LE(0) === 700));
    // Now the card stops taking audio (unplugged): the write in flight never completes.
    state.playbacks[1]!.taking = false;
    sink.write(new Int16Array(160).fill(800));
    await sleep(60);
    sink.write(new Int16Array(160).fill(900));
    await until('reopened after a stall', () => state.playbacks.length === 3);
    assert.ok(logs.some((l) => /took no audio for/.test(l)), logs.join('\n'));
    assert.ok(sink.stats().errors >= 2, JSON.stringify(sink.stats()));
    await sink.close();
  });

  it('close() while reopening stops the attempts', async () => {
    const { state, backend } = fakeCard();
    const source = await backend.openSource('USB Audio', fmt);
    state.present = false;
    state.captures[0]!.emit('end');
    source.read();
    await source.close();
    await sleep(60);
    assert.equal(state.captures.length, 1);
  });
});
