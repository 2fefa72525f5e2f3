import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AudioConfigError } from '../../src/audio/errors.ts';
import { PortAudioUnavailableError } from '../../src/audio/portaudio-binding.ts';
import type { PortAudioBinding } from '../../src/audio/portaudio-binding.ts';
import { PortAudioBackend } from '../../src/audio/portaudio-backend.ts';
import { audioBackendNames, getAudioBackend, openAudioSink, openAudioSource, parseAudioSpec, registerAudioBackend } from '../../src/audio/registry.ts';
import { encodeWav } from '../../src/audio/wav.ts';

const dir = mkdtempSync(join(tmpdir(), 'intercom-audio-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fmt = { sampleRate: 8000, frameSamples: 160 };

/** A PortAudio that lists devices but is never asked to open one in these tests. */
function listingOnly(devices: Array<{ id: number; name: string; ins: number; outs: number }>): () => Promise<PortAudioBinding> {
  const binding: PortAudioBinding = {
    getDevices: () =>
      devices.map((d) => ({ id: d.id, name: d.name, maxInputChannels: d.ins, maxOutputChannels: d.outs, defaultSampleRate: 48000, hostAPIName: 'ALSA' })),
    getHostAPIs: () => ({ defaultHostAPI: 0, HostAPIs: [{ name: 'ALSA', defaultInput: 0xffffffff, defaultOutput: 0xffffffff }] }),
    openCapture: () => assert.fail('not expected to open a capture stream'),
    openPlayback: () => assert.fail('not expected to open a playback stream'),
  };
  return async () => binding;
}

/** Asserts a rejection is a one-line AudioConfigError with exactly this message. */
async function rejectsWith(promise: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AudioConfigError, String(err));
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
}

describe('parseAudioSpec', () => {
  it('maps config values to backends', () => {
    assert.deepEqual(parseAudioSpec('default'), { backend: 'portaudio', device: 'default' });
    assert.deepEqual(parseAudioSpec('USB PnP Sound Device'), { backend: 'portaudio', device: 'USB PnP Sound Device' });
    assert.deepEqual(parseAudioSpec('2'), { backend: 'portaudio', device: '2' });
    assert.deepEqual(parseAudioSpec('file:/usr/share/intercom/ring.wav'), { backend: 'file', device: '/usr/share/intercom/ring.wav' });
    assert.deepEqual(parseAudioSpec('File:door chime.wav'), { backend: 'file', device: 'door chime.wav' });
    assert.deepEqual(parseAudioSpec('none'), { backend: 'none', device: '' });
    assert.deepEqual(parseAudioSpec(' NONE '), { backend: 'none', device: '' });
    // An explicit prefix reaches devices whose names look like the other forms.
    assert.deepEqual(parseAudioSpec('portaudio:none'), { backend: 'portaudio', device: 'none' });
  });

  it('rejects empty values', () => {
    assert.throws(() => parseAudioSpec(''), /empty; use default, a sound card name, file:PATH.wav or none/);
    assert.throws(() => parseAudioSpec('file:'), /no file name given after "file:"/);
    assert.throws(() => parseAudioSpec('portaudio: '), /no device name given/);
  });
});

describe('registry', () => {
  it('has the file, none and portaudio backends', () => {
    assert.deepEqual(audioBackendNames().sort(), ['file', 'none', 'portaudio']);
    assert.equal(getAudioBackend('none')?.name, 'none');
  });

  it('opens a looped file source and a none sink', async () => {
    const path = join(dir, 'chime.wav');
    writeFileSync(path, encodeWav(Int16Array.from({ length: 400 }, (_, i) => i), 8000));
    const source = await openAudioSource(`file:${path}`, fmt);
    assert.equal(source.read()[5], 5);
    const sink = await openAudioSink('none', fmt);
    sink.write(new Int16Array(160));
    await Promise.all([source.close(), sink.close()]);
  });

  it('names the key and the value when a file is missing or not a WAV', async () => {
    const missing = join(dir, 'missing.wav');
    await rejectsWith(openAudioSource(`file:${missing}`, fmt), `audio.input: ${JSON.stringify(`file:${missing}`)}: file not found`);
    const text = join(dir, 'readme.wav');
    writeFileSync(text, 'plain text');
    await rejectsWith(openAudioSource(`file:${text}`, fmt), /^audio\.input: ".*readme\.wav": not a WAV file \(no RIFF\/WAVE header\)$/);
    await rejectsWith(openAudioSink(`file:${join(dir, 'nodir', 'x.wav')}`, fmt), /^audio\.output: ".*x\.wav": cannot create the recording: its directory does not exist$/);
    await rejectsWith(openAudioSource('', fmt), 'audio.input: "": empty; use default, a sound card name, file:PATH.wav or none');
    await rejectsWith(openAudioSource('file:x.wav', fmt, 'buttons[0].audio'), /^buttons\[0\]\.audio: /);
  });

  it('lists the available devices when the configured one is absent', async () => {
    registerAudioBackend(
      new PortAudioBackend({
        load: listingOnly([
          { id: 0, name: 'bcm2835 Headphones: - (hw:0,0)', ins: 0, outs: 8 },
          { id: 1, name: 'USB PnP Sound Device: Audio (hw:1,0)', ins: 1, outs: 2 },
        ]),
      }),
    );
    await rejectsWith(
      openAudioSource('Jabra Speak', fmt),
      'audio.input: "Jabra Speak": no capture device matches "Jabra Speak"; available: 1: "USB PnP Sound Device: Audio (hw:1,0)"',
    );
    await rejectsWith(
      openAudioSink('default', fmt),
      'audio.output: "default": no default playback device; available: 0: "bcm2835 Headphones: - (hw:0,0)", 1: "USB PnP Sound Device: Audio (hw:1,0)"',
    );
  });

  it('says how to get going when PortAudio cannot be loaded', async () => {
    registerAudioBackend(new PortAudioBackend({ load: () => Promise.reject(new PortAudioUnavailableError('libportaudio.so.2: cannot open shared object file')) }));
    await rejectsWith(
      openAudioSource('default', fmt),
      'audio.input: "default": audio backend portaudio unavailable: libportaudio.so.2: cannot open shared object file; install libportaudio2 or use audio.input: file:...',
    );
    await rejectsWith(openAudioSink('default', fmt), /^audio\.output: "default": audio backend portaudio unavailable: .*; install libportaudio2 or use audio\.output: file:\.\.\.$/);
  });
});
