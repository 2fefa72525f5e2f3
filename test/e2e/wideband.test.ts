// Wideband calls end to end: the real `intercom` against Kamailio and
// baresip. With a G.722 phone the door's 6 kHz tone reaches the phone (G.711
// would cut everything above 4 kHz) and the phone's 5 kHz tone reaches the
// door; with a G.711-only phone the call falls back to PCMU and the
// in-band part of the audio still flows both ways.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { makeTempDir, runCommand, waitUntil } from '../support/process.ts';
import { readWav } from '../support/wav.ts';
import { startIntercom, type IntercomInstance, type IntercomStatus } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101', '102': 'pw102' };
const TALK_MS = 1500;

/** Presses, waits until the call is active with media, talks, hangs up; returns the status seen during the call. */
async function callAndHangUp(door: IntercomInstance, phone: Baresip, button: string, inCall?: () => Promise<void>) {
  const press = await door.cli('press', '--button', button);
  assert.equal(press.code, 0, press.stderr + press.stdout);
  await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
  let during: IntercomStatus | undefined;
  await waitUntil(
    'media running',
    async () => {
      const st = await door.status();
      if (st.call?.codec !== undefined) during = st;
      return during !== undefined;
    },
    { timeoutMs: 5000 },
  );
  const text = (await door.cli('status')).stdout;
  await inCall?.();
  await new Promise((r) => setTimeout(r, TALK_MS));
  assert.equal((await door.cli('hangup')).code, 0);
  await phone.waitForEvent('CALL_CLOSED', 5000);
  await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
  return { codec: during?.call?.codec, text };
}

describe('wideband: G.722 when the phone has it, G.711 when it does not', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  let wide: Baresip;
  let narrow: Baresip;
  const tmp = makeTempDir('wideband-');
  const doorSound = join(tmp.path, 'door-1k-6k.wav');
  const wideTone = join(tmp.path, 'phone-5000.wav');
  const narrowTone = join(tmp.path, 'phone-440.wav');

  before(async () => {
    // The door sends 1 kHz (fits any codec) plus 6 kHz (wideband only), each at -12 dBFS peak.
    const one = join(tmp.path, 'one.wav');
    const six = join(tmp.path, 'six.wav');
    await makeToneWav(one, { freq: 1000, seconds: 2, level: 0.25, rate: 16000 });
    await makeToneWav(six, { freq: 6000, seconds: 2, level: 0.25, rate: 16000 });
    const mix = await runCommand('sox', ['-D', '-m', '-v', '1', one, '-v', '1', six, doorSound], { timeoutMs: 10_000 });
    assert.equal(mix.code, 0, mix.stderr);
    // baresip hangs up when its aufile source runs out: longer than any call here.
    await makeToneWav(wideTone, { freq: 5000, seconds: 20, rate: 16000 });
    await makeToneWav(narrowTone, { freq: 440, seconds: 20 });
    kam = await startKamailio({ users: PASSWORDS });
    const common = { registrar: kam, autoAnswer: true } as const;
    wide = await startBaresip({ ...common, user: '101', password: PASSWORDS['101'], sourceWav: wideTone, codecs: ['G722', 'PCMU'], sampleRate: 16000 });
    narrow = await startBaresip({ ...common, user: '102', password: PASSWORDS['102'], sourceWav: narrowTone, codecs: ['PCMU'] });
  });

  after(async () => {
    await wide?.stop();
    await narrow?.stop();
    await kam?.stop();
    tmp.remove();
  });

  async function startDoor(heard: string): Promise<IntercomInstance> {
    return startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [
        { name: 'wide', call: ['101'] },
        { name: 'narrow', call: ['102'] },
      ],
      // audio.codecs left at its default: G722, PCMU, PCMA. Voice processing off:
      // noise suppression would (rightly) fade a steady tone, and this test
      // measures what the codecs carry.
      audio: { input: `file:${doorSound}`, output: `file:${heard}`, echo_cancellation: 'off', noise_suppression: false },
      door: { open_ms: 200, codes: ['7394'] },
    });
  }

  it('negotiates G.722 with a G.722 phone and carries 6 kHz to it and 5 kHz back', async (t) => {
    const heard = join(tmp.path, 'door-heard-wide.wav');
    const door = await startDoor(heard);
    let during;
    try {
      // RFC 4733 events ride on G.722's 8000 Hz RTP clock (RFC 4733 §2.1): keying the code opens the door.
      during = await callAndHangUp(door, wide, 'wide', async () => {
        for (const d of '7394') await wide.sendDtmf(d);
        await waitUntil('door opened by DTMF', async () => (await door.status()).door.opened === 1, { timeoutMs: 10_000 });
      });
    } finally {
      assert.equal(await door.terminate(), 0);
    }
    assert.equal(during.codec, 'G722');
    assert.match(during.text, /^call: active with sip:101@\S+ since \S+ \(G722\)$/m);
    assert.match(door.logs(), /event=media\.started codec=G722/);
    assert.match(wide.logs(), /G722/);

    const atPhone = wide.receivedWav();
    const phoneRate = readWav(atPhone).sampleRate;
    const six = await measureTone(atPhone, 6000);
    const one = await measureTone(atPhone, 1000);
    const back = await measureTone(heard, 5000);
    t.diagnostic(
      `phone (recording at ${phoneRate} Hz) heard 6 kHz at ${six.dbfs.toFixed(1)} dBFS for ${six.activeSeconds.toFixed(1)} s, ` +
        `1 kHz at ${one.dbfs.toFixed(1)} dBFS; door heard 5 kHz at ${back.dbfs.toFixed(1)} dBFS for ${back.activeSeconds.toFixed(1)} s`,
    );
    assert.equal(phoneRate, 16000, 'baresip records G.722 at 16 kHz');
    // Sent at -15 dBFS RMS each; G.722 keeps the level.
    assert.ok(Math.abs(six.dbfs + 15) < 2, `6 kHz at the phone: ${six.dbfs.toFixed(1)} dBFS`);
    assert.ok(Math.abs(one.dbfs + 15) < 2, `1 kHz at the phone: ${one.dbfs.toFixed(1)} dBFS`);
    assert.ok(six.activeSeconds > 1.2, `6 kHz lasted ${six.activeSeconds} s`);
    // The phone's 5 kHz tone (-9 dBFS) arrives at the door, at the door's 16 kHz.
    assert.equal(readWav(heard).sampleRate, 16000);
    assert.ok(back.dbfs > -13 && back.dbfs < -6, `5 kHz at the door: ${back.dbfs.toFixed(1)} dBFS`);
    assert.ok(back.activeSeconds > 1.2, `5 kHz lasted ${back.activeSeconds} s`);
  });

  it('falls back to PCMU with a G.711-only phone: in-band audio flows both ways, 6 kHz does not', async (t) => {
    const heard = join(tmp.path, 'door-heard-narrow.wav');
    const door = await startDoor(heard);
    let during;
    try {
      during = await callAndHangUp(door, narrow, 'narrow');
    } finally {
      assert.equal(await door.terminate(), 0);
    }
    assert.equal(during.codec, 'PCMU');
    assert.match(during.text, /\(PCMU\)$/m);
    assert.match(door.logs(), /event=media\.started codec=PCMU/);

    const atPhone = narrow.receivedWav();
    const one = await measureTone(atPhone, 1000);
    const six = await measureTone(atPhone, 6000 - 4000); // where 6 kHz would fold to at 8 kHz
    const back = await measureTone(heard, 440);
    t.diagnostic(`phone heard 1 kHz at ${one.dbfs.toFixed(1)} dBFS (2 kHz alias of 6 kHz: ${six.dbfs.toFixed(1)}); door heard 440 Hz at ${back.dbfs.toFixed(1)} dBFS`);
    assert.ok(Math.abs(one.dbfs + 15) < 2, `1 kHz at the phone: ${one.dbfs.toFixed(1)} dBFS`);
    assert.ok(six.dbfs < one.dbfs - 40, `6 kHz must be filtered out, not folded to 2 kHz: ${six.dbfs.toFixed(1)} dBFS`);
    assert.ok(back.dbfs > -13 && back.dbfs < -6, `440 Hz at the door: ${back.dbfs.toFixed(1)} dBFS`);
  });
});
