// Device selection with the names PortAudio gives ALSA devices on a Raspberry Pi
// ("card name: pcm name (hw:CARD,DEVICE)"), so a config can name a card by its ALSA
// address as `aplay -l` shows it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectDevice, type AudioDeviceInfo } from '../../src/audio/device-select.ts';

function dev(index: number, name: string, ins: number, outs: number): AudioDeviceInfo {
  return { index, name, hostApi: 'ALSA', maxInputChannels: ins, maxOutputChannels: outs, defaultSampleRate: 48000, defaultInput: false, defaultOutput: false };
}

// As PortAudio lists a Pi 4 with its headphone jack, HDMI and a USB sound card.
const pi = [
  dev(0, 'bcm2835 Headphones: - (hw:0,0)', 0, 8),
  dev(1, 'vc4-hdmi-0: MAI PCM i2s-hifi-0 (hw:1,0)', 0, 2),
  dev(2, 'USB PnP Sound Device: Audio (hw:2,0)', 1, 2),
  dev(3, 'sysdefault', 128, 128),
  dev(4, 'default', 128, 128),
  dev(5, 'dmix', 0, 2),
];

describe('selectDevice with ALSA names', () => {
  it('takes hw:CARD,DEVICE and plughw:CARD to the card PortAudio lists', () => {
    assert.equal(selectDevice(pi, 'hw:2,0', 'capture').index, 2);
    assert.equal(selectDevice(pi, 'plughw:2,0', 'playback').index, 2);
    assert.equal(selectDevice(pi, 'plughw:0', 'playback').index, 0);
    assert.equal(selectDevice(pi, 'HW:1,0', 'playback').index, 1);
  });

  it('still finds a card by a part of its name, and the ALSA names PortAudio lists as they are', () => {
    assert.equal(selectDevice(pi, 'usb pnp', 'capture').index, 2);
    assert.equal(selectDevice(pi, 'sysdefault', 'playback').index, 3);
    assert.equal(selectDevice(pi, 'dmix', 'playback').index, 5);
  });

  it('an absent card, or one without the direction, is one line listing what there is', () => {
    assert.throws(() => selectDevice(pi, 'hw:3,0', 'playback'), /^AudioOpenError: no playback device on ALSA card 3 device 0 \("hw:3,0"\); available: 0: "bcm2835 Headphones: - \(hw:0,0\)", 1: /);
    assert.throws(() => selectDevice(pi, 'hw:0,0', 'capture'), /no capture device on ALSA card 0 device 0 .*available: 2: "USB PnP Sound Device: Audio \(hw:2,0\)", 3: "sysdefault", 4: "default"$/);
  });
});
