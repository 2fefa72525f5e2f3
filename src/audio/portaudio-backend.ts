// The `portaudio` backend: real sound cards through naudiodon.
//
// Devices are opened at their own rate (typically 44.1 or 48 kHz on a Raspberry Pi
// USB card or I2S HAT) and converted to and from the codec rate here, with a proper
// anti-alias filter, rather than trusting ALSA's plug layer. Capture and playback are
// separate PortAudio streams: one full-duplex stream only ran at 48 kHz in practice.

import { checkAudioFormat } from './device.ts';
import type { AudioBackend, AudioFormat, AudioSink, AudioSource } from './device.ts';
import { selectDevice } from './device-select.ts';
import type { AudioDeviceInfo, AudioDirection } from './device-select.ts';
import { AudioOpenError, oneLine } from './errors.ts';
import { PortAudioUnavailableError, loadNaudiodon } from './portaudio-binding.ts';
import type { PaCaptureStream, PaPlaybackStream, PaStreamOptions, PortAudioBinding } from './portaudio-binding.ts';
import { PortAudioSink } from './portaudio-sink.ts';
import { PortAudioSource } from './portaudio-source.ts';
import { QUIT_TIMEOUT_MS, quitStream } from './portaudio-stream.ts';
import { RecoveringSink, RecoveringSource } from './recovering-device.ts';
import type { AudioLog } from './portaudio-stream.ts';
import { Resampler } from './resampler.ts';

export type { AudioLog } from './portaudio-stream.ts';
export type { AudioDeviceInfo } from './device-select.ts';

/** Tuning and seams of the PortAudio backend; every field is optional. */
export interface PortAudioBackendOptions {
  /** Defaults to one `audio: ...` line per event on stderr (stdout belongs to the CLI). */
  log?: AudioLog;
  /** Loads the native module; tests pass a fake. */
  load?: () => Promise<PortAudioBinding>;
  /** Capture ring in codec frames (default 6, i.e. 120 ms at 20 ms frames). */
  captureBufferFrames?: number;
  /** Playback frames queued beyond the one in flight (default 3). */
  playbackQueueFrames?: number;
  /** How long close() waits for PortAudio to stop before giving up (default 2000 ms). */
  quitTimeoutMs?: number;
  /** How long a device may go without taking or giving audio before it counts as gone (default 2000 ms). */
  stallMs?: number;
  /** Pauses between attempts to reopen a device that failed mid-stream (default REOPEN_BACKOFF_MS). */
  reopenBackoffMs?: readonly number[];
}

const NO_DEVICE = 0xffffffff;
/** Chunks naudiodon may hold for capture before its audio callback blocks. */
const CAPTURE_NATIVE_QUEUE = 16;
/** Chunks naudiodon holds for playback; each adds a frame of latency. */
const PLAYBACK_NATIVE_QUEUE = 2;
/** Rates tried, after the device's own, when the device refuses a format. */
const FALLBACK_RATES = [48000, 44100, 32000, 16000];

function stderrLog(level: 'info' | 'warn' | 'error', message: string): void {
  process.stderr.write(`audio ${level}: ${message}\n`);
}

function unavailable(reason: string, direction: AudioDirection): AudioOpenError {
  const key = direction === 'capture' ? 'audio.input' : 'audio.output';
  return new AudioOpenError(`audio backend portaudio unavailable: ${reason}; install libportaudio2 or use ${key}: file:...`);
}

/** Device list with PortAudio's default capture/playback devices marked. */
export function describeBinding(binding: PortAudioBinding): AudioDeviceInfo[] {
  const apis = binding.getHostAPIs();
  const main = apis.HostAPIs[apis.defaultHostAPI];
  const defIn = main && main.defaultInput !== NO_DEVICE ? main.defaultInput : -1;
  const defOut = main && main.defaultOutput !== NO_DEVICE ? main.defaultOutput : -1;
  return binding.getDevices().map((d) => ({
    index: d.id,
    name: d.name,
    hostApi: d.hostAPIName,
    maxInputChannels: d.maxInputChannels,
    maxOutputChannels: d.maxOutputChannels,
    defaultSampleRate: d.defaultSampleRate,
    defaultInput: d.id === defIn,
    defaultOutput: d.id === defOut,
  }));
}

function candidateRates(device: AudioDeviceInfo, codecRate: number): number[] {
  const own = Math.round(device.defaultSampleRate);
  return [...new Set([own, ...FALLBACK_RATES, codecRate])].filter((r) => r >= 8000 && r <= 384000);
}

interface Opened<S> {
  stream: S;
  rate: number;
  channels: number;
  resampler: Resampler;
}

/** PortAudio through naudiodon; `listDevices()` serves `intercom audio list`. */
export class PortAudioBackend implements AudioBackend {
  readonly name = 'portaudio';
  private readonly log: AudioLog;
  private readonly load: () => Promise<PortAudioBinding>;
  private readonly captureBufferFrames: number;
  private readonly playbackQueueFrames: number;
  private readonly quitTimeoutMs: number;
  private readonly stallMs: number | undefined;
  private readonly reopenBackoffMs: readonly number[] | undefined;

  constructor(options: PortAudioBackendOptions = {}) {
    this.log = options.log ?? stderrLog;
    this.load = options.load ?? loadNaudiodon;
    this.captureBufferFrames = options.captureBufferFrames ?? 6;
    this.playbackQueueFrames = options.playbackQueueFrames ?? 3;
    this.quitTimeoutMs = options.quitTimeoutMs ?? QUIT_TIMEOUT_MS;
    this.stallMs = options.stallMs;
    this.reopenBackoffMs = options.reopenBackoffMs;
  }

  /** All devices PortAudio sees (rejects with a one-line reason if PortAudio is unavailable). */
  async listDevices(): Promise<AudioDeviceInfo[]> {
    const binding = await this.binding('capture');
    try {
      return describeBinding(binding);
    } catch (err) {
      throw new AudioOpenError(`PortAudio could not list devices: ${oneLine(err)}`);
    }
  }

  /** Opens capture; if the stream later fails (card unplugged), it is reopened in the background. */
  async openSource(device: string, fmt: AudioFormat): Promise<AudioSource> {
    const first = await this.openSourceOnce(device, fmt);
    return new RecoveringSource(first, fmt, { description: first.description, reopen: () => this.openSourceOnce(device, fmt), log: this.log, ...this.recoveryTuning() });
  }

  /** Opens playback; if the stream later fails (card unplugged), it is reopened in the background. */
  async openSink(device: string, fmt: AudioFormat): Promise<AudioSink> {
    const first = await this.openSinkOnce(device, fmt);
    return new RecoveringSink(first, { description: first.description, reopen: () => this.openSinkOnce(device, fmt), log: this.log, ...this.recoveryTuning() });
  }

  private recoveryTuning(): { backoffMs?: readonly number[] } {
    return this.reopenBackoffMs ? { backoffMs: this.reopenBackoffMs } : {};
  }

  private async openSourceOnce(device: string, fmt: AudioFormat): Promise<PortAudioSource> {
    checkAudioFormat(fmt);
    const binding = await this.binding('capture');
    const info = this.pick(binding, device, 'capture');
    const opened = this.negotiate(info, fmt, 'capture', (options) => binding.openCapture(options));
    const description = `portaudio:${JSON.stringify(info.name)} (capture ${opened.rate} Hz ${opened.channels} ch -> ${fmt.sampleRate} Hz)`;
    const source = new PortAudioSource({
      description,
      stream: opened.stream,
      channels: opened.channels,
      resampler: opened.resampler,
      fmt,
      bufferFrames: this.captureBufferFrames,
      log: this.log,
      quitTimeoutMs: this.quitTimeoutMs,
      ...(this.stallMs !== undefined ? { stallMs: this.stallMs } : {}),
    });
    await this.startOrQuit(opened.stream, description, () => source.close());
    return source;
  }

  private async openSinkOnce(device: string, fmt: AudioFormat): Promise<PortAudioSink> {
    checkAudioFormat(fmt);
    const binding = await this.binding('playback');
    const info = this.pick(binding, device, 'playback');
    const opened = this.negotiate(info, fmt, 'playback', (options) => binding.openPlayback(options));
    const description = `portaudio:${JSON.stringify(info.name)} (playback ${fmt.sampleRate} Hz -> ${opened.rate} Hz ${opened.channels} ch)`;
    // Started before the sink exists so that its first (silent) write reaches a running device.
    await this.startOrQuit(opened.stream, description);
    return new PortAudioSink({
      description,
      stream: opened.stream,
      channels: opened.channels,
      deviceRate: opened.rate,
      resampler: opened.resampler,
      fmt,
      queueFrames: this.playbackQueueFrames,
      log: this.log,
      quitTimeoutMs: this.quitTimeoutMs,
      ...(this.stallMs !== undefined ? { stallMs: this.stallMs } : {}),
    });
  }

  private async binding(direction: AudioDirection): Promise<PortAudioBinding> {
    try {
      return await this.load();
    } catch (err) {
      const reason = err instanceof PortAudioUnavailableError ? err.message : oneLine(err);
      throw unavailable(reason, direction);
    }
  }

  private pick(binding: PortAudioBinding, query: string, direction: AudioDirection): AudioDeviceInfo {
    let devices: AudioDeviceInfo[];
    try {
      devices = describeBinding(binding);
    } catch (err) {
      throw new AudioOpenError(`PortAudio could not list devices: ${oneLine(err)}`);
    }
    return selectDevice(devices, query, direction);
  }

  /** Opens the device at its own rate, mono if it can; falls back through other rates and stereo. */
  private negotiate<S>(info: AudioDeviceInfo, fmt: AudioFormat, direction: AudioDirection, open: (o: PaStreamOptions) => S): Opened<S> {
    const maxChannels = direction === 'capture' ? info.maxInputChannels : info.maxOutputChannels;
    const failures: string[] = [];
    for (const rate of candidateRates(info, fmt.sampleRate)) {
      let resampler: Resampler;
      try {
        resampler = direction === 'capture' ? new Resampler(rate, fmt.sampleRate) : new Resampler(fmt.sampleRate, rate);
      } catch {
        continue;
      }
      for (const channels of [1, 2]) {
        if (channels > maxChannels) continue;
        const deviceFrame = Math.round((fmt.frameSamples * rate) / fmt.sampleRate);
        const frameBytes = deviceFrame * 2 * channels;
        try {
          const stream = open({
            deviceId: info.index,
            sampleRate: rate,
            channelCount: channels,
            sampleFormat: 16,
            maxQueue: direction === 'capture' ? CAPTURE_NATIVE_QUEUE : PLAYBACK_NATIVE_QUEUE,
            // One codec frame per callback. Left to PortAudio (0), ALSA's pulse plugin ran
            // large periods that starved naudiodon's 2-chunk queue: an underflow, then a 2 s
            // restart of the stream with every frame in between dropped.
            framesPerBuffer: deviceFrame,
            // One codec frame per chunk: the default 16384 bytes would deliver audio in 1 s lumps.
            highwaterMark: frameBytes,
            closeOnError: false,
          });
          return { stream, rate, channels, resampler };
        } catch (err) {
          failures.push(`${rate} Hz ${channels} ch: ${oneLine(err)}`);
        }
      }
    }
    const tried = failures.length > 0 ? failures.slice(0, 3).join('; ') : 'no usable sample rate';
    throw new AudioOpenError(`PortAudio could not open ${JSON.stringify(info.name)} for ${direction}: ${tried}`);
  }

  /** Starts the stream; if PortAudio refuses, quits it (never leave a stream unquit) and throws. */
  private async startOrQuit(
    stream: PaCaptureStream | PaPlaybackStream,
    description: string,
    quit = (): Promise<void> => quitStream(stream, description, this.log, this.quitTimeoutMs),
  ): Promise<void> {
    try {
      stream.start();
    } catch (err) {
      await quit();
      throw new AudioOpenError(`PortAudio could not start ${description}: ${oneLine(err)}`);
    }
  }
}

/** A PortAudio backend with default settings. */
export function createPortAudioBackend(options: PortAudioBackendOptions = {}): PortAudioBackend {
  return new PortAudioBackend(options);
}

/** Every device PortAudio sees, for `intercom audio list`. */
export function listDevices(options: PortAudioBackendOptions = {}): Promise<AudioDeviceInfo[]> {
  return new PortAudioBackend(options).listDevices();
}
