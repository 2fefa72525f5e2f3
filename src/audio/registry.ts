// Audio backends by name, and the config values that select them:
//   audio.input / audio.output: `default` | a PortAudio device name or index
//                               | `file:PATH.wav` | `none` | `portaudio:NAME`
// Backends register themselves like baresip's ausrc/auplay modules, so another one
// (or a replacement with its own logger) can be added without touching callers.

import type { AudioBackend, AudioFormat, AudioSink, AudioSource } from './device.ts';
import { AudioConfigError, AudioOpenError, oneLine } from './errors.ts';
import { createFileBackend } from './file-backend.ts';
import { createNoneBackend } from './none-backend.ts';
import { createPortAudioBackend } from './portaudio-backend.ts';

/** A parsed audio.input / audio.output value. */
export interface AudioSpec {
  backend: 'file' | 'none' | 'portaudio';
  /** File path for `file`, PortAudio device query for `portaudio`, empty for `none`. */
  device: string;
}

/** Splits a config value into backend and device; throws AudioOpenError (no key prefix) when unusable. */
export function parseAudioSpec(spec: string): AudioSpec {
  const value = spec.trim();
  if (value === '') throw new AudioOpenError('empty; use default, a sound card name, file:PATH.wav or none');
  if (value.toLowerCase() === 'none') return { backend: 'none', device: '' };
  const lower = value.toLowerCase();
  if (lower.startsWith('file:')) {
    const path = value.slice('file:'.length);
    if (path === '') throw new AudioOpenError('no file name given after "file:"');
    return { backend: 'file', device: path };
  }
  if (lower.startsWith('portaudio:')) {
    const device = value.slice('portaudio:'.length).trim();
    if (device === '') throw new AudioOpenError('no device name given after "portaudio:"');
    return { backend: 'portaudio', device };
  }
  return { backend: 'portaudio', device: value };
}

const backends = new Map<string, AudioBackend>();

/** Adds a backend, replacing any registered under the same name. */
export function registerAudioBackend(backend: AudioBackend): void {
  backends.set(backend.name, backend);
}

/** The backend registered as `name`, if any. */
export function getAudioBackend(name: string): AudioBackend | undefined {
  return backends.get(name);
}

/** Names of all registered backends. */
export function audioBackendNames(): string[] {
  return [...backends.keys()];
}

registerAudioBackend(createFileBackend());
registerAudioBackend(createNoneBackend());
registerAudioBackend(createPortAudioBackend());

async function open<T>(key: string, spec: string, how: (backend: AudioBackend, device: string) => Promise<T>): Promise<T> {
  let parsed: AudioSpec;
  try {
    parsed = parseAudioSpec(spec);
  } catch (err) {
    throw new AudioConfigError(key, spec, oneLine(err));
  }
  const backend = backends.get(parsed.backend);
  if (!backend) throw new AudioConfigError(key, spec, `audio backend ${parsed.backend} is not registered (have: ${audioBackendNames().join(', ')})`);
  try {
    return await how(backend, parsed.device);
  } catch (err) {
    throw new AudioConfigError(key, spec, oneLine(err));
  }
}

/** Opens the capture side named by an audio.input value; errors name `key` and the value in one line. */
export function openAudioSource(spec: string, fmt: AudioFormat, key = 'audio.input'): Promise<AudioSource> {
  return open(key, spec, (backend, device) => backend.openSource(device, fmt));
}

/** Opens the playback side named by an audio.output value; errors name `key` and the value in one line. */
export function openAudioSink(spec: string, fmt: AudioFormat, key = 'audio.output'): Promise<AudioSink> {
  return open(key, spec, (backend, device) => backend.openSink(device, fmt));
}
