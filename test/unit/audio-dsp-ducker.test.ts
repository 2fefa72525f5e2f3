import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HalfDuplexDucker, frameDbfs } from '../../src/audio/dsp/ducker.ts';
import { levelDbfs, sine, toPcm } from '../support/echo-path.ts';

const RATE = 8000;
const FRAME = 160;

function frames(x: Int16Array): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + FRAME <= x.length; i += FRAME) out.push(x.slice(i, i + FRAME));
  return out;
}

describe('half-duplex ducking', () => {
  const mic = frames(toPcm(sine(RATE, 3, 600, 0.3)));
  const farTalk = toPcm(sine(RATE, 0.02, 1000, 0.3));
  const farQuiet = new Int16Array(FRAME);

  it('measures frame levels in dBFS', () => {
    assert.ok(Math.abs(frameDbfs(farTalk) - 20 * Math.log10(0.3 / Math.SQRT2)) < 0.1);
    assert.equal(frameDbfs(farQuiet), -120);
  });

  it('attenuates the microphone by the configured amount while the far end talks, not while it is silent', () => {
    for (const attenuationDb of [12, 30]) {
      const d = new HalfDuplexDucker({ sampleRate: RATE, attenuationDb, thresholdDbfs: -40, hangMs: 200 });
      const quiet = mic.slice(0, 10).map((f) => d.process(f, farQuiet));
      assert.equal(d.ducking, false);
      const talking = mic.slice(10, 60).map((f) => d.process(f, farTalk));
      assert.equal(d.ducking, true);
      const lvl = (fs: Int16Array[]) => levelDbfs(Int16Array.from(fs.flatMap((f) => [...f])));
      const micLevel = lvl(mic.slice(0, 10));
      assert.ok(Math.abs(lvl(quiet) - micLevel) < 0.01, 'untouched while the far end is silent');
      // After the one-frame ramp the attenuation is exact.
      const steady = lvl(talking.slice(1));
      assert.ok(Math.abs(micLevel - steady - attenuationDb) < 0.2, `attenuated by ${(micLevel - steady).toFixed(2)} dB, want ${attenuationDb}`);
    }
  });

  it('holds the microphone down for the hang-over after the far end stops, then lets it back', () => {
    const d = new HalfDuplexDucker({ sampleRate: RATE, attenuationDb: 30, thresholdDbfs: -40, hangMs: 200 });
    for (const f of mic.slice(0, 20)) d.process(f, farTalk);
    const after = mic.slice(20, 40).map((f) => d.process(f, farQuiet));
    const micLevel = frameDbfs(mic[0]!);
    // 200 ms = 10 frames still down, then one ramp frame, then full level.
    for (let i = 0; i < 10; i++) assert.ok(frameDbfs(after[i]!) < micLevel - 29, `frame ${i} after the far end stopped`);
    for (let i = 11; i < 20; i++) assert.ok(Math.abs(frameDbfs(after[i]!) - micLevel) < 0.01, `frame ${i} back to full level`);
  });

  it('ignores far-end frames below the threshold (line noise)', () => {
    const d = new HalfDuplexDucker({ sampleRate: RATE, attenuationDb: 30, thresholdDbfs: -40, hangMs: 200 });
    const hiss = toPcm(sine(RATE, 0.02, 1000, 0.005)); // about -49 dBFS
    d.process(mic[0]!, hiss);
    assert.equal(d.ducking, false);
  });
});
