// The real door station with real-time audio and no sound card: PortAudio (naudiodon)
// plays into and captures from a private PulseAudio null sink through ALSA's pulse
// plugin, so the capture and playback code runs paced by a device clock, as on a Pi.
// The door calls baresip (through Kamailio); baresip sends a 440 Hz tone. The door
// plays it into the sink, the sink's monitor (the default capture device) hands it
// back to the door, which sends it to baresip. So 440 Hz in the sink's monitor proves
// playback, and 440 Hz in what baresip received proves capture (baresip's own tone
// can reach it only through the door's microphone path).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startPulseAudio, type PulseAudio } from '../support/pulseaudio.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };
const haveNaudiodon = existsSync(fileURLToPath(new URL('../../node_modules/naudiodon/build/Release/naudiodon.node', import.meta.url)));
const skip = haveNaudiodon ? false : 'naudiodon is not built (optional dependency)';

describe('a call with the door on PortAudio over a PulseAudio null sink', { skip, timeout: 90_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  let pulse: PulseAudio;
  let door: IntercomInstance;
  const tmp = makeTempDir('intercom-pulse-call-');
  const phoneTone = join(tmp.path, 'phone-440.wav');
  const monitor = join(tmp.path, 'sink-monitor.wav');

  before(async () => {
    await makeToneWav(phoneTone, { freq: 440, seconds: 20 });
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true, sourceWav: phoneTone });
    pulse = await startPulseAudio();
    door = await startIntercom(
      {
        sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
        buttons: [{ name: 'bell', call: ['101'] }],
        // The monitor loop is an echo path by design: a canceller would remove the very tone this test listens for.
        audio: { input: 'default', output: 'default', codecs: ['PCMU'], echo_cancellation: 'off' },
      },
      { env: pulse.env },
    );
  });

  after(async () => {
    await door?.terminate().catch(() => undefined);
    await phone?.stop();
    await kam?.stop();
    await pulse?.stop();
    tmp.remove();
  });

  it('opens the PulseAudio-backed default devices at their own rate', async () => {
    const ready = await waitUntil('audio.ready logged', () => /event=audio\.ready .*/.exec(door.logs())?.[0], { timeoutMs: 10_000 });
    assert.match(ready, /portaudio:\\?"default\\?" \(capture \d+ Hz \d ch -> \d+ Hz\)/, door.logs());
    assert.match(ready, /portaudio:\\?"default\\?" \(playback \d+ Hz -> \d+ Hz \d ch\)/);
  });

  it("baresip's tone is played by the door and captured back to baresip", async (t) => {
    const rec = pulse.record(monitor);
    assert.equal((await door.cli('press')).code, 0);
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await door.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
    await rec.stop();

    const played = await measureTone(monitor, 440);
    const playedOther = await measureTone(monitor, 1000);
    const heard = await measureTone(phone.receivedWav(), 440);
    t.diagnostic(
      `sink monitor: 440 Hz at ${played.dbfs.toFixed(1)} dBFS for ${played.activeSeconds.toFixed(1)} s (1 kHz ${playedOther.dbfs.toFixed(1)}); ` +
        `baresip heard 440 Hz back at ${heard.dbfs.toFixed(1)} dBFS for ${heard.activeSeconds.toFixed(1)} s`,
    );
    // Playback: the tone reached the device, for most of the call, at about the sent level (-9 dBFS).
    assert.ok(played.dbfs > -25, `440 Hz in the sink monitor only at ${played.dbfs.toFixed(1)} dBFS`);
    assert.ok(played.activeSeconds >= 2, `440 Hz played for only ${played.activeSeconds} s`);
    // (A PortAudio underflow now and then leaves a click: some spread, but far below the tone.)
    assert.ok(playedOther.dbfs < played.dbfs - 20, 'the sink carries the tone, not noise');
    // Capture: the same tone came back through the monitor source and RTP to baresip.
    assert.ok(heard.dbfs > -30, `baresip heard its tone back only at ${heard.dbfs.toFixed(1)} dBFS`);
    assert.ok(heard.activeSeconds >= 1.5, `baresip heard the tone back for only ${heard.activeSeconds} s`);
    assert.doesNotMatch(door.logs(), /event=audio\.(unavailable|error)/);
  });
});

describe('PortAudio device selection in `intercom run`', { skip, timeout: 60_000 }, () => {
  let kam: Kamailio;
  let pulse: PulseAudio;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    // Devices PortAudio lists: 0 door_speaker, 1 door_mic, 2 default (ALSA config order).
    pulse = await startPulseAudio({ extraPcms: ['door_speaker', 'door_mic'] });
  });
  after(async () => {
    await kam?.stop();
    await pulse?.stop();
  });

  async function readyLine(audio: { input: string; output: string }): Promise<string> {
    const door = await startIntercom({ sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door }, buttons: [{ name: 'bell', call: ['101'] }], audio }, { env: pulse.env, waitRegistered: false });
    try {
      // The control socket answers before the station has opened its devices.
      await waitUntil('audio.ready logged', () => /event=audio\.ready /.test(door.logs()), { timeoutMs: 10_000 });
      return door.logs();
    } finally {
      await door.terminate();
    }
  }

  it('finds devices by exact ALSA name, by a unique part of the name in any case, and by index', async () => {
    const logs = await readyLine({ input: 'door_mic', output: 'SPEAKER' });
    assert.match(logs, /event=audio\.ready input=.*portaudio:\\?"door_mic\\?" \(capture/);
    assert.match(logs, /event=audio\.ready .*output=.*portaudio:\\?"door_speaker\\?" \(playback/);
    const byIndex = await readyLine({ input: '2', output: 'portaudio:default' });
    assert.match(byIndex, /event=audio\.ready input=.*portaudio:\\?"default\\?" \(capture/);
  });

  it('an absent device gives one line naming the key, the value and the available devices', async (t) => {
    const logs = await readyLine({ input: 'Jabra', output: '7' });
    const lines = logs.split('\n').filter((l) => /event=audio\.unavailable/.test(l));
    t.diagnostic(lines.join('\n'));
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /audio\.input: \\?"Jabra\\?": no capture device matches \\?"Jabra\\?"; available: 0: \\?"door_speaker\\?", 1: \\?"door_mic\\?", 2: \\?"default\\?"/);
    assert.match(lines[1] ?? '', /audio\.output: \\?"7\\?": no device with index 7; available: 0: /);
    // The door still runs without sound: it falls back to no audio.
    assert.match(logs, /event=audio\.ready input="?none/);
  });
});
