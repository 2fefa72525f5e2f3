// `intercom doctor`'s played/captured test tone, with WAV files standing in for
// the microphone: a file of 1 kHz is a microphone that hears the tone, a silent
// file one that does not. Both through a running station (over the control
// socket) and with no station running (the doctor opens the files itself).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeSilenceWav, makeToneWav, measureTone } from '../support/audio-measure.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

interface Finding {
  check: string;
  verdict: string;
  detail: string;
  fix?: string;
}

/** The speaker file holds about a second of 1 kHz at -10 dBFS (sox reports RMS: 3 dB lower). */
async function assertPlayedTone(path: string): Promise<void> {
  const played = await measureTone(path, 1000);
  assert.ok(Math.abs(played.dbfs - -13) < 1.5, `${path}: 1 kHz at ${played.dbfs} dBFS`);
  assert.ok(played.activeSeconds >= 0.8 && played.activeSeconds <= 1.3, `${path}: tone for ${played.activeSeconds} s`);
}

async function loopbackFinding(door: IntercomInstance): Promise<Finding> {
  const r = await door.cli('doctor', '--json');
  assert.ok(r.stdout.trim() !== '', `doctor --json printed nothing (exit ${r.code}): ${r.stderr}`);
  const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  const f = findings.find((x) => x.check === 'audio-loopback');
  assert.ok(f, `an audio-loopback finding in ${r.stdout}`);
  return f;
}

describe('intercom doctor: test tone', { timeout: 120_000 }, () => {
  const tmp = makeTempDir('intercom-doctor-audio-');
  const doors: IntercomInstance[] = [];

  after(async () => {
    for (const d of doors) await d.terminate().catch(() => {});
    tmp.remove();
  });

  /** A station whose microphone is `input`; no SIP server is needed for the audio test. */
  async function door(name: string, input: string): Promise<IntercomInstance> {
    const pbx = await freePort('127.0.0.1');
    const d = await startIntercom(
      {
        sip: { server: `127.0.0.1:${pbx}`, user: 'door', password: 'pw' },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: `file:${input}`, output: `file:${join(tmp.path, `${name}-speaker.wav`)}` },
      },
      { waitRegistered: false },
    );
    doors.push(d);
    return d;
  }

  it('reports the tone heard, through the station and with none running', async () => {
    const tone = await makeToneWav(join(tmp.path, 'tone.wav'), { freq: 1000, seconds: 3, level: 0.5, rate: 16000 });
    const d = await door('tone', tone);
    const viaStation = await loopbackFinding(d);
    assert.equal(viaStation.verdict, 'ok', JSON.stringify(viaStation));
    // sox's 0.5 of full scale is -6 dBFS.
    const level = Number(/test tone heard at (-?[\d.]+) dBFS \(the running station\)/.exec(viaStation.detail)?.[1]);
    assert.ok(Math.abs(level - -6) < 1.5, viaStation.detail);
    assert.match(d.logs(), /audio\.test/);

    await d.terminate();
    const alone = await loopbackFinding(d);
    assert.equal(alone.verdict, 'ok', JSON.stringify(alone));
    assert.match(alone.detail, /speaker and microphone work: test tone heard at -\d+(\.\d)? dBFS \(doctor\)/);
  });

  it('warns when the tone is played but the microphone hears nothing', async () => {
    const silence = await makeSilenceWav(join(tmp.path, 'silence.wav'), 3, 16000);
    const d = await door('silent', silence);
    const viaStation = await loopbackFinding(d);
    assert.equal(viaStation.verdict, 'warn', JSON.stringify(viaStation));
    assert.match(viaStation.detail, /played a test tone but the microphone did not pick it up .*the running station/);
    assert.match(viaStation.fix ?? '', /check the speaker volume, the microphone and audio.input\/audio.output/);

    // The speaker file is written when the station closes it: the tone went out through the tone player.
    await d.terminate();
    await assertPlayedTone(join(tmp.path, 'silent-speaker.wav'));
    const alone = await loopbackFinding(d);
    assert.equal(alone.verdict, 'warn', JSON.stringify(alone));
    assert.match(alone.detail, /did not pick it up .*doctor/);
    await assertPlayedTone(join(tmp.path, 'silent-speaker.wav'));
  });
});
