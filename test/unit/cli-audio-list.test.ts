import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AudioDeviceInfo } from '../../src/audio/device-select.ts';
import { audioListCommand } from '../../src/cli/audio.ts';
import { runCli } from '../../src/cli/app.ts';

const devices: AudioDeviceInfo[] = [
  { index: 0, name: 'USB PnP Sound Device: Audio (hw:1,0)', hostApi: 'ALSA', maxInputChannels: 1, maxOutputChannels: 2, defaultSampleRate: 48000, defaultInput: false, defaultOutput: false },
  { index: 3, name: 'bcm2835 Headphones: - (hw:0,0)', hostApi: 'ALSA', maxInputChannels: 0, maxOutputChannels: 8, defaultSampleRate: 44100, defaultInput: false, defaultOutput: false },
  { index: 5, name: 'default', hostApi: 'ALSA', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: 44100, defaultInput: true, defaultOutput: true },
];

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

describe('intercom audio list', () => {
  it('lists capture and playback devices with index, name, channels, rate and the defaults', async () => {
    const c = capture();
    assert.equal(await audioListCommand(false, c.io, async () => devices), 0);
    const text = c.out.join('\n');
    assert.match(text, /^Capture devices \(audio\.input\):\n {4}0 {2}"USB PnP Sound Device: Audio \(hw:1,0\)" {2}1 ch, 48000 Hz, ALSA\n {4}5 {2}"default" {2}32 ch, 44100 Hz, ALSA {2}\[default input, default output\]\nPlayback devices/);
    assert.match(text, /Playback devices \(audio\.output\):\n {4}0 .* 2 ch, 48000 Hz/);
    assert.match(text, /\n {4}3 {2}"bcm2835 Headphones: - \(hw:0,0\)" {2}8 ch/);
    assert.ok(!/Capture[^]*bcm2835[^]*Playback/.test(text), 'a playback-only device is not offered for capture');
    assert.deepEqual(c.err, []);
  });

  it('--json prints exactly one parsable object', async () => {
    const c = capture();
    assert.equal(await audioListCommand(true, c.io, async () => devices), 0);
    assert.equal(c.out.length, 1);
    assert.deepEqual(JSON.parse(c.out[0] ?? ''), { devices });
  });

  it('PortAudio unavailable: one line on stderr, nothing on stdout, exit 1', async () => {
    const c = capture();
    const code = await audioListCommand(false, c.io, async () => {
      throw new Error('audio backend portaudio unavailable: the naudiodon package is not installed;\ninstall libportaudio2');
    });
    assert.equal(code, 1);
    assert.deepEqual(c.out, []);
    assert.equal(c.err.length, 1);
    assert.match(c.err[0] ?? '', /^intercom: audio list: audio backend portaudio unavailable: the naudiodon package is not installed; install libportaudio2$/);
  });

  it('is reached as `intercom audio list`; `intercom audio` alone is a usage error', async () => {
    const c = capture();
    assert.equal(await runCli(['audio', 'list', '--help'], c.io), 0);
    assert.match(c.out.join('\n'), /Usage: intercom audio list \[--json\]/);
    const bad = capture();
    assert.equal(await runCli(['audio'], bad.io), 2);
    assert.match(bad.err.join('\n'), /audio needs a subcommand: intercom audio list/);
    const unknown = capture();
    assert.equal(await runCli(['audio', 'lst'], unknown.io), 2);
  });
});
