// The doctor's played/captured test tone: the 1 kHz level measured in captured
// frames, the verdict on it, and who runs the test (the station over the
// control socket, or the doctor itself when none answers).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AudioSink, AudioSource } from '../../src/audio/device.ts';
import { emptyStats } from '../../src/audio/device.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { parseRequest, parseResponse } from '../../src/control/protocol.ts';
import { startControlServer } from '../../src/control/server.ts';
import { checkAudioLoopback, loopbackFinding, runLoopback } from '../../src/doctor/audio-loopback.ts';
import { SILENCE_DBFS, heardLevelDbfs, testToneSound } from '../../src/intercom/audio-test.ts';
import { STATION_AUDIO_FORMAT, type StationControl } from '../../src/intercom/station-api.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { toneSound } from '../../src/media/sound.ts';

const FMT = STATION_AUDIO_FORMAT;

function frames(sound: ReturnType<typeof toneSound>, n: number): Int16Array[] {
  return Array.from({ length: n }, () => sound.next(FMT.frameSamples) ?? new Int16Array(FMT.frameSamples));
}

function config(audio: Record<string, string>, socket: string): Config {
  const r = validateConfig(
    { sip: { server: 'pbx', user: 'door', password: 'pw' }, buttons: [{ name: 'bell', call: ['101'] }], audio, control: { socket } },
    '/tmp',
  );
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

/** A speaker whose sound reaches the microphone `gain` times as loud, one frame later. */
function loopback(gain: number): { source: AudioSource; sink: AudioSink } {
  const queue: Int16Array[] = [];
  const sink: AudioSink = { description: 'fake speaker', write: (f) => void queue.push(f.map((s) => Math.round(s * gain))), stats: emptyStats, close: async () => {} };
  const source: AudioSource = {
    description: 'fake microphone',
    read: () => queue.shift() ?? new Int16Array(FMT.frameSamples),
    stats: emptyStats,
    close: async () => {},
  };
  return { source, sink };
}

describe('doctor audio-loopback: measurement', () => {
  it('measures the 1 kHz level of captured frames in dBFS', () => {
    const heard = heardLevelDbfs(frames(toneSound('t', { sampleRate: FMT.sampleRate, frequencies: [1000], levelDbfs: -20 }), 50), FMT.sampleRate);
    assert.ok(Math.abs(heard - -20) < 0.5, `heard ${heard}`);
  });

  it('hears nothing of 1 kHz in silence or in another tone', () => {
    assert.equal(heardLevelDbfs([new Int16Array(320), new Int16Array(320)], FMT.sampleRate), SILENCE_DBFS);
    const other = heardLevelDbfs(frames(toneSound('t', { sampleRate: FMT.sampleRate, frequencies: [440], levelDbfs: -10 }), 50), FMT.sampleRate);
    assert.ok(other < -50, `a 440 Hz tone counted as ${other} dBFS of 1 kHz`);
  });

  it('plays the test tone on the sink while reading the source', async () => {
    const wired = loopback(0.1);
    const r = await runLoopback(wired.source, wired.sink);
    assert.equal(r.played, true);
    assert.equal(r.frames, 50);
    // -10 dBFS played, 20 dB lost on the way.
    assert.ok(Math.abs(r.heard_dbfs - -30) < 1, `heard ${r.heard_dbfs}`);
  });
});

describe('doctor audio-loopback: verdicts', () => {
  it('ok above the threshold, warn below, with the level', () => {
    const ok = loopbackFinding({ played: true, heard_dbfs: -23.4, frames: 50 }, 'doctor');
    assert.equal(ok.verdict, 'ok');
    assert.match(ok.detail, /speaker and microphone work: test tone heard at -23\.4 dBFS/);
    const quiet = loopbackFinding({ played: true, heard_dbfs: SILENCE_DBFS, frames: 50 }, 'doctor');
    assert.equal(quiet.verdict, 'warn');
    assert.match(quiet.detail, /played a test tone but the microphone did not pick it up/);
    assert.match(quiet.fix ?? '', /speaker volume, the microphone and audio.input\/audio.output/);
  });

  it('the test tone is a second of 1 kHz', () => {
    const sound = testToneSound(FMT);
    let n = 0;
    while (sound.next(FMT.frameSamples)) n++;
    assert.equal(n, 50);
  });

  it('skips when there is no speaker or no microphone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopback-'));
    const none = await checkAudioLoopback(config({ input: 'default', output: 'none' }, join(dir, 's')));
    assert.equal(none.verdict, 'skip');
    assert.match(none.detail, /audio.output is none/);
    assert.match((await checkAudioLoopback(config({ input: 'none', output: 'default' }, join(dir, 's')))).detail, /audio.input is none/);
  });

  it('fails with the one-line error when the doctor cannot open a device itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopback-'));
    const f = await checkAudioLoopback(config({ input: `file:${join(dir, 'missing.wav')}`, output: `file:${join(dir, 'out.wav')}` }, join(dir, 'none.sock')));
    assert.equal(f.verdict, 'fail');
    assert.match(f.detail, /^audio.input: .*missing\.wav/);
    assert.ok(!f.detail.includes('\n'));
  });
});

describe('doctor audio-loopback: through the control socket', () => {
  it('audio-test is a control request and its answer parses', () => {
    assert.deepEqual(parseRequest('{"cmd":"audio-test"}'), { ok: true, request: { cmd: 'audio-test' } });
    assert.deepEqual(parseResponse('{"ok":true,"audioTest":{"played":true,"heard_dbfs":-12.5,"frames":50}}'), {
      ok: true,
      audioTest: { played: true, heard_dbfs: -12.5, frames: 50 },
    });
  });

  it("reports the station's measurement, and skips with its refusal during a call", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopback-'));
    const path = join(dir, 'control.sock');
    let answer: Awaited<ReturnType<NonNullable<StationControl['audioTest']>>> = { ok: true, audioTest: { played: true, heard_dbfs: -18, frames: 50 } };
    const station: StationControl = {
      status: () => ({ registered: true, registration: { state: 'registered' }, call: null, door: { open: false, opened: 0 } }),
      press: () => ({ ok: true }),
      hangup: () => ({ ok: true }),
      open: () => ({ ok: true }),
      audioTest: async () => answer,
    };
    const server = await startControlServer(path, station, silentLogger());
    try {
      const c = config({ input: 'default', output: 'default' }, path);
      const ok = await checkAudioLoopback(c);
      assert.equal(ok.verdict, 'ok');
      assert.match(ok.detail, /heard at -18 dBFS \(the running station\)/);
      answer = { ok: false, error: 'a call is in progress; the audio test runs only between calls' };
      const busy = await checkAudioLoopback(c);
      assert.equal(busy.verdict, 'skip');
      assert.match(busy.detail, /a call is in progress/);
    } finally {
      await server.close();
    }
  });
});
