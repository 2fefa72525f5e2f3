import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDevices, selectDevice } from '../../src/audio/device-select.ts';
import type { AudioDeviceInfo } from '../../src/audio/device-select.ts';
import { AudioOpenError } from '../../src/audio/errors.ts';

function dev(index: number, name: string, ins: number, outs: number, extra: Partial<AudioDeviceInfo> = {}): AudioDeviceInfo {
  return { index, name, hostApi: 'ALSA', maxInputChannels: ins, maxOutputChannels: outs, defaultSampleRate: 48000, defaultInput: false, defaultOutput: false, ...extra };
}

// Roughly what PortAudio lists on a Raspberry Pi with a USB headset and the HDMI output.
const devices = [
  dev(0, 'vc4-hdmi-0: MAI PCM i2s-hifi-0 (hw:0,0)', 0, 2),
  dev(1, 'USB PnP Sound Device: Audio (hw:2,0)', 1, 2, { defaultSampleRate: 44100 }),
  dev(2, 'sysdefault', 0, 128),
  dev(3, 'dmix', 0, 2),
  dev(4, 'default', 128, 128, { defaultInput: true, defaultOutput: true }),
];

describe('selectDevice', () => {
  it('takes "default" to be the host API default for the direction', () => {
    assert.equal(selectDevice(devices, 'default', 'capture').index, 4);
    assert.equal(selectDevice(devices, 'DEFAULT', 'playback').index, 4);
  });

  it('falls back to a device named "default" when none is flagged', () => {
    const unflagged = devices.map((d) => ({ ...d, defaultInput: false, defaultOutput: false }));
    assert.equal(selectDevice(unflagged, 'default', 'capture').name, 'default');
  });

  it('selects by exact name, unique substring (any case) or index', () => {
    assert.equal(selectDevice(devices, 'dmix', 'playback').index, 3);
    assert.equal(selectDevice(devices, 'usb pnp', 'capture').index, 1);
    assert.equal(selectDevice(devices, '1', 'capture').index, 1);
    assert.equal(selectDevice(devices, ' hdmi ', 'playback').index, 0);
  });

  it('only considers devices that have channels in the wanted direction', () => {
    assert.throws(() => selectDevice(devices, 'hdmi', 'capture'), /no capture device matches "hdmi"; available: 1: "USB PnP Sound Device: Audio \(hw:2,0\)", 4: "default"$/);
    assert.throws(() => selectDevice(devices, '0', 'capture'), /device 0 \(.*\) has no capture channels/);
  });

  it('refuses an ambiguous part of a name, listing the matches', () => {
    assert.throws(() => selectDevice(devices, 'hw:', 'playback'), /"hw:" matches several playback devices \(0: .*, 1: .*\); give the full name or the index/);
  });

  it('names what is available when nothing matches, in one line', () => {
    assert.throws(
      () => selectDevice(devices, 'Jabra', 'playback'),
      (err: unknown) => err instanceof AudioOpenError && !err.message.includes('\n') && /no playback device matches "Jabra"; available: 0: .*4: "default"/.test(err.message),
    );
    assert.throws(() => selectDevice(devices, '9', 'playback'), /no device with index 9/);
    assert.throws(() => selectDevice([], 'default', 'capture'), /no default capture device; available: no capture devices at all/);
  });

  it('describes the devices usable for a direction', () => {
    assert.equal(describeDevices(devices, 'capture'), '1: "USB PnP Sound Device: Audio (hw:2,0)", 4: "default"');
  });
});
