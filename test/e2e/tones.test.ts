// Tones and prompts at the door, heard where they should be: ringback on the
// door's own speaker while the phone rings (and not after the answer), the busy
// signal after a 486, a recorded prompt in place of a tone, the door-open
// confirmation on the door's speaker and in the phone's ear, and the warning
// before the maximum call duration. Everything is proven by frequency and level
// in the door's recorded speaker output (file:) and in what baresip received.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startSipp } from '../support/sipp.ts';
import { readWav } from '../support/wav.ts';
import { startIntercom } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };
const PHONE_HZ = 2000; // what the phone sends: marks the answered part of the door's recording
const RINGBACK_HZ = 425;
const CONFIRM_HZ = 1400;
const WARNING_HZ = 950;
const PROMPT_HZ = 700;
/** Present: well above the -50 dBFS floor; absent: below it. */
const PRESENT = -35;
const ABSENT = -50;

/** Seconds into a recording where `freq` first stands above `dbfs` in a 100 ms block. */
async function firstBlockWith(path: string, freq: number, dbfs = PRESENT): Promise<number | undefined> {
  const audio = readWav(path);
  const seconds = audio.samples.length / audio.sampleRate;
  for (let t = 0; t + 0.1 <= seconds; t += 0.1) {
    if ((await measureTone(path, freq, { fromSec: t, toSec: t + 0.1 })).dbfs > dbfs) return t;
  }
  return undefined;
}

const level = async (path: string, freq: number, fromSec: number, toSec: number) => (await measureTone(path, freq, { fromSec, toSec })).dbfs;

describe('tones and prompts', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  const tmp = makeTempDir('tones-');

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
  });
  after(async () => {
    await kam?.stop();
    tmp.remove();
  });

  it('ringback while the phone rings, none after the answer; confirmation and warning at both ends', async (t) => {
    const phoneTone = await makeToneWav(join(tmp.path, 'phone.wav'), { freq: PHONE_HZ, seconds: 30, level: 0.3 });
    const speaker = join(tmp.path, 'door-speaker.wav');
    const phone: Baresip = await startBaresip({
      user: '101',
      password: PASSWORDS['101'],
      registrar: kam,
      autoAnswer: true,
      answerDelayMs: 6500,
      sourceWav: phoneTone,
    });
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: `file:${speaker}` },
      calls: { max_duration: 9 },
      tones: { warning: { before_s: 3 } },
    });
    try {
      assert.equal((await door.cli('press')).code, 0);
      await phone.waitForEvent('CALL_ESTABLISHED', 15_000);
      await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await door.cli('open')).code, 0);
      // max_duration ends the call; the warning comes 3 s before that.
      await phone.waitForEvent('CALL_CLOSED', 15_000);
      await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
      // The sound card's counters are in status (additive to the outside interface).
      const st = (await door.status()) as unknown as { audio?: Record<'input' | 'output', Record<'underruns' | 'overruns' | 'errors', number>> };
      for (const side of ['input', 'output'] as const) {
        for (const k of ['underruns', 'overruns', 'errors'] as const) assert.equal(typeof st.audio?.[side][k], 'number', `status.audio.${side}.${k}`);
      }
      assert.equal(st.audio?.output.errors, 0);
      assert.match(door.logs(), /event=call\.ending-soon/);
      assert.match(door.logs(), /event=call\.max-duration/);

      const answeredAt = await firstBlockWith(speaker, PHONE_HZ);
      assert.ok(answeredAt !== undefined, 'the phone was never heard at the door');
      t.diagnostic(`answer heard at ${answeredAt.toFixed(1)} s into the door's speaker recording`);
      assert.ok(answeredAt > 5.5, `ringback only lasted ${answeredAt} s (answer delay 6.5 s)`);
      // Ringback: 425 Hz for 1 s, 4 s off, on again at 5 s (ringback starts at the 180, so the recording starts with it).
      const on1 = await level(speaker, RINGBACK_HZ, 0.1, 0.9);
      const off = await level(speaker, RINGBACK_HZ, 1.2, 4.8);
      const on2 = await level(speaker, RINGBACK_HZ, 5.1, 5.9);
      t.diagnostic(`ringback: on ${on1.toFixed(1)} dBFS, off ${off.toFixed(1)} dBFS, on again ${on2.toFixed(1)} dBFS`);
      assert.ok(on1 > -26 && on1 < -20, `first ringback burst at ${on1.toFixed(1)} dBFS (configured -20 dBFS per ToneGenerator, -23 by RMS)`);
      assert.ok(off < ABSENT, `ringback during its off period: ${off.toFixed(1)} dBFS`);
      assert.ok(on2 > -26, `second ringback burst at ${on2.toFixed(1)} dBFS`);
      const recorded = readWav(speaker);
      const rest = recorded.samples.length / recorded.sampleRate;
      const afterAnswer = await measureTone(speaker, RINGBACK_HZ, { fromSec: answeredAt + 0.2, toSec: rest, thresholdDbfs: ABSENT });
      assert.equal(afterAnswer.activeSeconds, 0, `ringback still heard for ${afterAnswer.activeSeconds} s after the answer`);

      // The confirmation (two 150 ms beeps) and the warning (three 200 ms beeps): on the door's speaker and at the phone.
      for (const [name, freq, minSeconds] of [
        ['confirmation', CONFIRM_HZ, 0.2],
        ['warning', WARNING_HZ, 0.4],
      ] as const) {
        const atDoor = await measureTone(speaker, freq, { fromSec: answeredAt, thresholdDbfs: PRESENT });
        const atPhone = await measureTone(phone.receivedWav(), freq, { thresholdDbfs: PRESENT });
        const beforeAnswer = await measureTone(speaker, freq, { toSec: answeredAt, thresholdDbfs: ABSENT });
        t.diagnostic(`${name} ${freq} Hz: ${atDoor.activeSeconds.toFixed(1)} s at the door, ${atPhone.activeSeconds.toFixed(1)} s at the phone`);
        assert.ok(atDoor.activeSeconds >= minSeconds, `${name} at the door: ${atDoor.activeSeconds} s`);
        assert.ok(atPhone.activeSeconds >= minSeconds, `${name} at the phone: ${atPhone.activeSeconds} s`);
        assert.equal(beforeAnswer.activeSeconds, 0, `${name} heard before it was due`);
      }
      const confirmAt = await firstBlockWith(speaker, CONFIRM_HZ);
      const warningAt = await firstBlockWith(speaker, WARNING_HZ);
      assert.ok(confirmAt !== undefined && warningAt !== undefined && warningAt - answeredAt > 4.5, `warning at ${warningAt} s, answer at ${answeredAt} s`);
    } finally {
      await door.terminate().catch(() => {});
      await phone.stop();
    }
  });

  it('486 Busy Here gives the busy signal on the door speaker: 425 Hz, 0.48 s on / 0.48 s off', async (t) => {
    const sipp = await startSipp({ scenario: 'uas-busy' });
    const speaker = join(tmp.path, 'busy-speaker.wav');
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: [sipp.uri('busy')] }],
      audio: { input: 'none', output: `file:${speaker}` },
    });
    try {
      await door.cli('press');
      await waitUntil('busy tone played out', () => /event=tone\.done sound=busy/.test(door.logs()), { timeoutMs: 15_000 });
      assert.match(door.logs(), /event=call\.ended .*status=486/);
      const on = [await level(speaker, RINGBACK_HZ, 0.05, 0.43), await level(speaker, RINGBACK_HZ, 1.01, 1.39)];
      const off = [await level(speaker, RINGBACK_HZ, 0.53, 0.91), await level(speaker, RINGBACK_HZ, 1.49, 1.87)];
      const total = await measureTone(speaker, RINGBACK_HZ, { thresholdDbfs: PRESENT });
      t.diagnostic(`busy: on ${on.map((x) => x.toFixed(1)).join(', ')} dBFS, off ${off.map((x) => x.toFixed(1)).join(', ')} dBFS, ${total.activeSeconds.toFixed(1)} s of tone`);
      for (const x of on) assert.ok(x > -26, `busy burst at ${x.toFixed(1)} dBFS`);
      for (const x of off) assert.ok(x < ABSENT, `busy gap at ${x.toFixed(1)} dBFS`);
      assert.ok(total.activeSeconds >= 1.2 && total.activeSeconds <= 1.9, `busy tone for ${total.activeSeconds} s of a 3 s signal`);
    } finally {
      await door.terminate();
      await sipp.stop();
    }
  });

  it('a recorded prompt replaces the tone: an unreachable phone plays tones.prompts.unavailable', async (t) => {
    const prompt = await makeToneWav(join(tmp.path, 'please-wait.wav'), { freq: PROMPT_HZ, seconds: 1, rate: 16000 });
    const speaker = join(tmp.path, 'prompt-speaker.wav');
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      // 101 is a known user but not registered now: the proxy answers 480/404.
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: `file:${speaker}` },
      tones: { prompts: { unavailable: prompt } },
    });
    try {
      await door.cli('press');
      await waitUntil('prompt played out', () => /event=tone\.done sound="?prompt unavailable/.test(door.logs()), { timeoutMs: 15_000 });
      const heard = await measureTone(speaker, PROMPT_HZ, { thresholdDbfs: PRESENT });
      const busy = await measureTone(speaker, RINGBACK_HZ, { thresholdDbfs: ABSENT });
      t.diagnostic(`prompt at ${heard.dbfs.toFixed(1)} dBFS for ${heard.activeSeconds.toFixed(1)} s; 425 Hz for ${busy.activeSeconds} s`);
      assert.ok(heard.activeSeconds >= 0.8, `prompt heard for ${heard.activeSeconds} s`);
      assert.equal(busy.activeSeconds, 0, 'no busy tone when a prompt replaces it');
    } finally {
      await door.terminate();
    }
  });
});
