// Playback through PortAudio. naudiodon's native side holds a few chunks and its
// audio callback *blocks* when they run out, so the device must never be left
// without data: exactly one write is kept in flight (it completes when the device
// has taken a chunk, which paces us by the device's clock), frames from the media
// loop wait in a short queue (oldest dropped when it overflows), and if the media
// loop falls behind, a frame of silence is sent instead (counted as an underrun).

import { emptyStats } from './device.ts';
import type { AudioFormat, AudioSink, AudioStats } from './device.ts';
import { oneLine } from './errors.ts';
import { monoToBytes } from './pcm.ts';
import type { PaPlaybackStream } from './portaudio-binding.ts';
import { quitStream, rateLimited } from './portaudio-stream.ts';
import type { AudioLog } from './portaudio-stream.ts';
import type { Resampler } from './resampler.ts';

/** Everything a PortAudioSink needs, already opened and negotiated. */
export interface PortAudioSinkParts {
  description: string;
  stream: PaPlaybackStream;
  channels: number;
  deviceRate: number;
  resampler: Resampler;
  fmt: AudioFormat;
  /** Frames waiting for the device beyond the one in flight; more absorbs jitter but adds latency. */
  queueFrames: number;
  log: AudioLog;
  /** How long close() waits for PortAudio to stop. */
  quitTimeoutMs: number;
  /** A write the device has not taken for this long means it is gone (default 2000 ms). */
  stallMs?: number;
}

/** An AudioSink feeding a started naudiodon playback stream. */
export class PortAudioSink implements AudioSink {
  readonly description: string;
  private readonly counters = emptyStats();
  private readonly stream: PaPlaybackStream;
  private readonly channels: number;
  private readonly resampler: Resampler;
  private readonly queueFrames: number;
  private readonly silence: Buffer;
  /** How long the device may go without a new frame before silence is sent. */
  private readonly graceMs: number;
  private readonly log: AudioLog;
  private readonly quitTimeoutMs: number;
  private readonly report: ReturnType<typeof rateLimited>;
  private readonly queue: Buffer[] = [];
  private inFlight = false;
  private inFlightSince = 0;
  private readonly stallMs: number;
  /** Silence before the first frame is start-up, not an underrun. */
  private fed = false;
  private failed = false;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(parts: PortAudioSinkParts) {
    this.description = parts.description;
    this.stream = parts.stream;
    this.channels = parts.channels;
    this.resampler = parts.resampler;
    this.queueFrames = Math.max(1, parts.queueFrames);
    this.log = parts.log;
    this.quitTimeoutMs = parts.quitTimeoutMs;
    this.report = rateLimited(parts.log);
    this.stallMs = parts.stallMs ?? 2000;
    const deviceFrame = Math.round((parts.fmt.frameSamples * parts.deviceRate) / parts.fmt.sampleRate);
    this.silence = Buffer.alloc(deviceFrame * 2 * parts.channels);
    this.graceMs = (1.5 * 1000 * parts.fmt.frameSamples) / parts.fmt.sampleRate;
    this.stream.on('error', (err) => {
      this.counters.errors++;
      this.report('error', `${this.description}: playback error: ${oneLine(err)}`);
    });
    this.stream.on('close', () => {
      if (this.closing || this.failed) return;
      this.failed = true;
      this.counters.errors++;
      this.log('error', `${this.description}: playback stream closed unexpectedly; discarding audio`);
    });
    // Give the device something at once so its callback does not start out starved.
    this.send(this.silence);
  }

  write(frame: Int16Array): void {
    if (this.closing) return;
    const samples = this.resampler.process(frame);
    if (this.failed) return;
    this.fed = true;
    this.queue.push(monoToBytes(samples, this.channels));
    if (this.queue.length > this.queueFrames) {
      this.queue.shift();
      this.counters.overruns++;
    }
    this.pump();
  }

  private pump(): void {
    if (this.inFlight || this.closing || this.failed) return;
    const next = this.queue.shift();
    if (next) {
      this.send(next);
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.inFlight || this.closing || this.failed || this.queue.length > 0) return;
      if (this.fed) this.counters.underruns++;
      this.send(this.silence);
    }, this.graceMs);
  }

  private send(chunk: Buffer): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.inFlight = true;
    this.inFlightSince = performance.now();
    try {
      this.stream.write(chunk, (err) => {
        this.inFlight = false;
        if (err) this.writeFailed(err);
        this.pump();
      });
    } catch (err) {
      this.inFlight = false;
      this.writeFailed(err);
    }
  }

  private writeFailed(err: unknown): void {
    this.counters.errors++;
    this.report('error', `${this.description}: playback write failed: ${oneLine(err)}`);
    // A destroyed stream fails every write at once; stop instead of spinning.
    if (this.stream.destroyed) this.failed = true;
  }

  /** Why this stream can no longer play (closed, destroyed, or stuck on one chunk: a card unplugged), or undefined. */
  get fault(): string | undefined {
    if (this.closing) return undefined;
    if (this.failed) return this.stream.destroyed ? 'playback stream destroyed' : 'playback stream closed';
    if (this.inFlight && performance.now() - this.inFlightSince > this.stallMs) {
      return `the device took no audio for ${Math.round(this.stallMs / 100) / 10} s`;
    }
    return undefined;
  }

  stats(): AudioStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    if (!this.closing) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.queue.length = 0;
      this.closing = quitStream(this.stream, this.description, this.log, this.quitTimeoutMs);
    }
    return this.closing;
  }
}
