import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { measureTone, toneAmplitude } from '../../src/intercom/demo-measure.ts';
import { decodeUlaw, encodeUlaw } from '../../src/media/g711.ts';
import { ToneGenerator } from '../../src/media/tone.ts';

const tone = (freq: number, levelDbfs: number, seconds = 1) =>
  new ToneGenerator({ sampleRate: 8000, frequencies: [freq], levelDbfs }).next(8000 * seconds);

describe('demo tone measurement (Goertzel)', () => {
  it('finds frequency and AES17 level of a pure tone', () => {
    for (const [freq, level] of [
      [440, -10],
      [1000, -20],
      [2837, -6],
    ] as const) {
      const m = measureTone(tone(freq, level), 8000);
      assert.ok(m);
      assert.ok(Math.abs(m.frequencyHz - freq) <= 1, `${m.frequencyHz} Hz for ${freq} Hz`);
      assert.ok(Math.abs(m.levelDbfs - level) <= 0.3, `${m.levelDbfs} dBFS for ${level} dBFS`);
      assert.ok(m.purity > 0.98, `purity ${m.purity}`);
    }
  });

  it('still measures a tone after G.711 μ-law, and reports a mixture as impure', () => {
    const through = decodeUlaw(encodeUlaw(tone(1000, -10)));
    const m = measureTone(through, 8000);
    assert.ok(m && Math.abs(m.frequencyHz - 1000) <= 1 && Math.abs(m.levelDbfs + 10) < 0.5);
    const a = tone(440, -10);
    const b = tone(1000, -12);
    const mix = a.map((s, i) => s + (b[i] as number));
    const mixed = measureTone(mix, 8000);
    assert.ok(mixed && Math.abs(mixed.frequencyHz - 440) <= 1);
    assert.ok(mixed.purity > 0.5 && mixed.purity < 0.7, `purity ${mixed.purity}`);
  });

  it('gives nothing for silence or less than 100 ms', () => {
    assert.equal(measureTone(new Int16Array(8000), 8000), undefined);
    assert.equal(measureTone(tone(440, -10).subarray(0, 400), 8000), undefined);
    assert.equal(toneAmplitude([], 8000, 440), 0);
  });
});
