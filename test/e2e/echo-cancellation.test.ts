// Echo cancellation in a real call. The door's microphone is a WAV file that
// holds an "echo" of what the phone sends: the phone's 1 kHz tone, 6 dB down
// (a steady sine is its own echo up to a phase, and 1 kHz fits a whole number
// of periods into every 20 ms frame, so lost or concealed frames do not break
// the echo path). A visitor talks at 600 Hz in the same file. With
// echo_cancellation: speex the phone hears much less of its own tone coming
// back than with off, while the visitor still comes through; half-duplex
// ducking (the fallback) turns both down while the phone talks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav } from '../../src/audio/wav.ts';
import { keepRecording, startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { mix, sine, toPcm } from '../support/echo-path.ts';
import { startIntercom } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };
const TALK_MS = 3000;

describe('echo cancellation in a real call', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  const tmp = makeTempDir('echo-call-');
  const phoneTone = join(tmp.path, 'phone-1000.wav');
  const doorMic = join(tmp.path, 'door-mic.wav');

  before(async () => {
    // baresip hangs up when its source file ends: make it outlast the call.
    await makeToneWav(phoneTone, { freq: 1000, seconds: 10, level: 0.5 });
    // The echo of the phone's tone (6 dB under it) plus the visitor at 600 Hz; 2 s loops seamlessly at 8 kHz.
    writeFileSync(doorMic, encodeWav(toPcm(mix(sine(8000, 2, 1000, 0.25), sine(8000, 2, 600, 0.15))), 8000));
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true, sourceWav: phoneTone });
  });

  after(async () => {
    await phone?.stop();
    await kam?.stop();
    tmp.remove();
  });

  /** One call with the given mode; returns what the phone heard of its own tone and of the visitor, over the last 1.5 s. */
  async function callWith(mode: 'speex' | 'half-duplex' | 'off', t: { diagnostic(s: string): void }) {
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      // Noise suppression would also treat a steady tone as noise; this measures the canceller alone.
      audio: { input: `file:${doorMic}`, output: 'none', codecs: ['PCMU'], echo_cancellation: mode, noise_suppression: false },
    });
    try {
      assert.equal((await door.cli('press')).code, 0);
      await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
      await new Promise((r) => setTimeout(r, TALK_MS));
      await door.cli('hangup');
      await phone.waitForEvent('CALL_CLOSED', 5000);
      await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
      assert.match(door.logs(), new RegExp(`event=audio\\.processing echo=${mode}`));
      const heard = keepRecording(phone.receivedWav(), join(tmp.path, `heard-${mode}.wav`));
      const range = { fromSec: (TALK_MS - 1500) / 1000, toSec: TALK_MS / 1000 };
      const echo = await measureTone(heard, 1000, range);
      const visitor = await measureTone(heard, 600, range);
      t.diagnostic(`${mode}: the phone hears its own 1 kHz at ${echo.dbfs.toFixed(1)} dBFS, the visitor's 600 Hz at ${visitor.dbfs.toFixed(1)} dBFS`);
      return { echo: echo.dbfs, visitor: visitor.dbfs };
    } finally {
      await door.terminate().catch(() => {});
    }
  }

  it('with speex the phone hears far less of its own voice than with off and still hears the visitor; half-duplex ducks both', async (t) => {
    const off = await callWith('off', t);
    const speex = await callWith('speex', t);
    assert.ok(off.echo > -20, `without cancellation the echo is there (${off.echo.toFixed(1)} dBFS)`);
    assert.ok(speex.echo < off.echo - 15, `echo reduced by ${(off.echo - speex.echo).toFixed(1)} dB`);
    assert.ok(speex.visitor > off.visitor - 6, `visitor ${speex.visitor.toFixed(1)} dBFS with speex vs ${off.visitor.toFixed(1)} without`);

    // The fallback: the microphone is ducked (30 dB by default) while the phone talks, visitor and echo alike.
    const ducked = await callWith('half-duplex', t);
    assert.ok(ducked.echo < off.echo - 20, `half-duplex: echo down by ${(off.echo - ducked.echo).toFixed(1)} dB`);
    assert.ok(ducked.visitor < off.visitor - 20, `half-duplex: visitor down by ${(off.visitor - ducked.visitor).toFixed(1)} dB too`);
  });
});
