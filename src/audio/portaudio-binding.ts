// The part of naudiodon (Node bindings for PortAudio) this project uses, typed, and
// loaded on demand: it is an optional native dependency, so a station that plays
// files, or a machine without libportaudio, must still start.

import { oneLine } from './errors.ts';

/** Options naudiodon's AudioIO accepts for one direction (note its spelling `highwaterMark`). */
export interface PaStreamOptions {
  deviceId: number;
  sampleRate: number;
  channelCount: number;
  sampleFormat: 16;
  /** Chunks the native side holds before its producer blocks. */
  maxQueue: number;
  /** 0 lets PortAudio choose. */
  framesPerBuffer: number;
  /** Readable/Writable buffer size in bytes; naudiodon reads this many bytes per chunk. */
  highwaterMark: number;
  /** Must be false: true turns an underflow at start into a destroyed stream. */
  closeOnError: false;
}

interface PaStreamControl {
  start(): void;
  /** Stops and closes the stream once pending chunks are done. (Its abort() throws; never use it.) */
  quit(cb?: () => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  on(event: 'close' | 'end' | 'finish', listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
  readonly destroyed?: boolean;
}

/** A capture stream: a Node Readable of interleaved s16le chunks. */
export interface PaCaptureStream extends PaStreamControl {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  on(event: 'close' | 'end' | 'finish', listener: () => void): unknown;
}

/** A playback stream: a Node Writable taking interleaved s16le chunks. */
export interface PaPlaybackStream extends PaStreamControl {
  write(chunk: Buffer, cb: (err?: unknown) => void): boolean;
}

/** A device entry as naudiodon's getDevices() returns it. */
export interface PaRawDevice {
  id: number;
  name: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  hostAPIName: string;
}

/** naudiodon's getHostAPIs() result; device indices are global, 0xffffffff meaning none. */
export interface PaHostApis {
  defaultHostAPI: number;
  HostAPIs: Array<{ name: string; defaultInput: number; defaultOutput: number }>;
}

/** What the PortAudio backend needs from the native module (faked in unit tests). */
export interface PortAudioBinding {
  getDevices(): PaRawDevice[];
  getHostAPIs(): PaHostApis;
  openCapture(options: PaStreamOptions): PaCaptureStream;
  openPlayback(options: PaStreamOptions): PaPlaybackStream;
}

/** The optional native module could not be loaded; `message` says why in one line. */
export class PortAudioUnavailableError extends Error {
  override readonly name = 'PortAudioUnavailableError';
}

interface NaudiodonModule {
  getDevices: () => PaRawDevice[];
  getHostAPIs: () => PaHostApis;
  AudioIO: (options: { inOptions: PaStreamOptions } | { outOptions: PaStreamOptions }) => unknown;
}

function isNaudiodon(mod: unknown): mod is NaudiodonModule {
  if (typeof mod !== 'object' || mod === null) return false;
  const m = mod as Record<string, unknown>;
  return typeof m.getDevices === 'function' && typeof m.getHostAPIs === 'function' && typeof m.AudioIO === 'function';
}

function whyUnavailable(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'the naudiodon package is not installed';
  return oneLine(err);
}

let loading: Promise<PortAudioBinding> | undefined;

/** Loads naudiodon once; rejects with PortAudioUnavailableError when it is missing or broken. */
export function loadNaudiodon(): Promise<PortAudioBinding> {
  loading ??= (async () => {
    // A variable specifier keeps the compiler from requiring the optional package's types.
    const specifier = 'naudiodon';
    let imported: unknown;
    try {
      imported = await import(specifier);
    } catch (err) {
      throw new PortAudioUnavailableError(whyUnavailable(err));
    }
    const mod = (imported as { default?: unknown }).default ?? imported;
    if (!isNaudiodon(mod)) throw new PortAudioUnavailableError('the naudiodon module does not export getDevices/getHostAPIs/AudioIO');
    return {
      getDevices: () => mod.getDevices(),
      getHostAPIs: () => mod.getHostAPIs(),
      openCapture: (options) => mod.AudioIO({ inOptions: options }) as PaCaptureStream,
      openPlayback: (options) => mod.AudioIO({ outOptions: options }) as PaPlaybackStream,
    };
  })();
  return loading;
}
