// Capture through PortAudio: the device pushes chunks on its own clock; we mix them
// to mono, resample to the codec rate and keep them in a bounded ring that the
// media loop drains one frame per tick.

import { emptyStats } from './device.ts';
import type { AudioFormat, AudioSource, AudioStats } from './device.ts';
import { oneLine } from './errors.ts';
import { bytesToMono } from './pcm.ts';
import type { PaCaptureStream } from './portaudio-binding.ts';
import { quitStream, rateLimited } from './portaudio-stream.ts';
import type { AudioLog } from './portaudio-stream.ts';
import type { Resampler } from './resampler.ts';
import { SampleRing } from './sample-ring.ts';

/** Everything a PortaudioSource needs, already opened and negotiated. */
export interface PortAudioSourceParts {
  description: string;
  stream: PaCaptureStream;
  channels: number;
  resampler: Resampler;
  fmt: AudioFormat;
  /** Capture ring size in codec frames; more frames absorb more jitter but add latency. */
  bufferFrames: number;
  log: AudioLog;
  /** How long close() waits for PortAudio to stop. */
  quitTimeoutMs: number;
  /** Silence from a device that delivered before, for this long, means it is gone (default 2000 ms). */
  stallMs?: number;
}

/** An AudioSource fed by a started naudiodon capture stream. */
export class PortAudioSource implements AudioSource {
  readonly description: string;
  private readonly counters = emptyStats();
  private readonly ring: SampleRing;
  private readonly stream: PaCaptureStream;
  private readonly channels: number;
  private readonly resampler: Resampler;
  private readonly frameSamples: number;
  private readonly log: AudioLog;
  private readonly quitTimeoutMs: number;
  private readonly report: ReturnType<typeof rateLimited>;
  /** Bytes of an incomplete sample frame left over from the previous chunk. */
  private carry: Buffer = Buffer.alloc(0);
  /** Until the device delivers anything, silence is start-up, not an underrun. */
  private primed = false;
  private ended = false;
  private closing: Promise<void> | undefined;
  private readonly stallMs: number;
  private readonly openedAt = performance.now();
  private lastDataAt = 0;

  constructor(parts: PortAudioSourceParts) {
    this.description = parts.description;
    this.stream = parts.stream;
    this.channels = parts.channels;
    this.resampler = parts.resampler;
    this.frameSamples = parts.fmt.frameSamples;
    this.log = parts.log;
    this.quitTimeoutMs = parts.quitTimeoutMs;
    this.report = rateLimited(parts.log);
    this.stallMs = parts.stallMs ?? 2000;
    this.ring = new SampleRing(parts.fmt.frameSamples * Math.max(2, parts.bufferFrames));
    this.stream.on('data', (chunk) => this.ingest(chunk));
    this.stream.on('error', (err) => {
      this.counters.errors++;
      this.report('error', `${this.description}: capture error: ${oneLine(err)}`);
    });
    const onEnd = (): void => {
      if (this.closing || this.ended) return;
      this.ended = true;
      this.counters.errors++;
      this.log('error', `${this.description}: capture stream ended unexpectedly; sending silence`);
    };
    this.stream.on('end', onEnd);
    this.stream.on('close', onEnd);
  }

  /** Takes one device chunk: mono, codec rate, into the ring (dropping the oldest audio if full). */
  private ingest(chunk: Buffer): void {
    if (this.closing) return;
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = Buffer.concat([this.carry, chunk]);
      this.carry = Buffer.alloc(0);
    }
    const frameBytes = 2 * this.channels;
    const whole = bytes.length - (bytes.length % frameBytes);
    if (whole < bytes.length) this.carry = Buffer.from(bytes.subarray(whole));
    if (whole === 0) return;
    const samples = this.resampler.process(bytesToMono(bytes.subarray(0, whole), this.channels));
    if (samples.length === 0) return;
    this.primed = true;
    this.lastDataAt = performance.now();
    if (this.ring.push(samples) > 0) this.counters.overruns++;
  }

  read(): Int16Array {
    const frame = this.ring.take(this.frameSamples);
    if (frame) return frame;
    if (this.primed || this.ended) this.counters.underruns++;
    return new Int16Array(this.frameSamples);
  }

  /** Why this stream can no longer deliver audio (ended, or silent too long: a card unplugged), or undefined. */
  get fault(): string | undefined {
    if (this.closing) return undefined;
    if (this.ended) return 'capture stream ended';
    const now = performance.now();
    // A device that never starts gets longer: PulseAudio-backed devices take ~1.5 s to deliver.
    if (!this.primed && now - this.openedAt > 2.5 * this.stallMs) return `no audio from the device within ${Math.round((2.5 * this.stallMs) / 1000)} s of opening`;
    if (this.primed && now - this.lastDataAt > this.stallMs) return `no audio from the device for ${Math.round(this.stallMs / 100) / 10} s`;
    return undefined;
  }

  stats(): AudioStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    this.closing ??= quitStream(this.stream, this.description, this.log, this.quitTimeoutMs).then(() => {
      this.ring.clear();
    });
    return this.closing;
  }
}
