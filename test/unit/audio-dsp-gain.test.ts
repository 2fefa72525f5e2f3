import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Gain, dbToFactor, scaleFrame } from '../../src/audio/dsp/gain.ts';

describe('gain', () => {
  it('applies the configured dB exactly: +6.02 dB doubles, -6.02 dB halves, -20 dB is a tenth', () => {
    const frame = Int16Array.from([1000, -1000, 4000, -4000, 0, 1]);
    assert.deepEqual([...new Gain(20 * Math.log10(2)).apply(frame)], [2000, -2000, 8000, -8000, 0, 2]);
    assert.deepEqual([...new Gain(-20 * Math.log10(2)).apply(frame)], [500, -500, 2000, -2000, 0, 1]);
    assert.deepEqual([...new Gain(-20).apply(frame)], [100, -100, 400, -400, 0, 0]);
    assert.ok(Math.abs(dbToFactor(12) - 3.981) < 0.001);
  });

  it('saturates at full scale instead of wrapping round', () => {
    const out = scaleFrame(Int16Array.from([20000, -20000, 32767, -32768, 16384, -16385]), 2);
    assert.deepEqual([...out], [32767, -32768, 32767, -32768, 32767, -32768]);
    // +30 dB on a loud frame: every sample keeps its sign.
    const loud = Int16Array.from({ length: 160 }, (_, i) => Math.round(12000 * Math.sin(i / 3)));
    const boosted = new Gain(30).apply(loud);
    for (let i = 0; i < loud.length; i++) assert.ok(Math.sign(boosted[i] ?? 0) === Math.sign(loud[i] ?? 0), `sample ${i} wrapped`);
  });

  it('0 dB passes the frame itself and never modifies its input', () => {
    const frame = Int16Array.from([1, 2, 3]);
    assert.equal(new Gain(0).apply(frame), frame);
    new Gain(10).apply(frame);
    assert.deepEqual([...frame], [1, 2, 3]);
  });
});
