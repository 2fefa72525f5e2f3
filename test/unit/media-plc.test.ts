import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Concealer } from '../../src/media/plc.ts';

function rms(a: Int16Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s / Math.max(1, a.length));
}

const tone = Int16Array.from({ length: 160 }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * 400 * i) / 8000)));

describe('Concealer', () => {
  it('passes good audio through unchanged', () => {
    const c = new Concealer({ sampleRate: 8000 });
    assert.deepEqual(c.good(tone), tone);
  });

  it('repeats the last frame with a fading gain, then falls silent after 60 ms', () => {
    const c = new Concealer({ sampleRate: 8000 });
    c.good(tone);
    const f1 = c.conceal(160);
    const f2 = c.conceal(160);
    const f3 = c.conceal(160);
    const f4 = c.conceal(160);
    assert.equal(f1[0], tone[0]);
    // The loop continues the waveform: sample 40 of f1 is sample 40 of the tone, slightly attenuated.
    assert.ok(Math.abs((f1[40] as number) - (tone[40] as number) * (1 - 40 / 480)) <= 1);
    assert.ok(rms(f1) > rms(f2) && rms(f2) > rms(f3) && rms(f3) > 0);
    assert.ok(rms(f1) < rms(tone));
    assert.equal(rms(f4), 0);
    assert.equal(c.faded, true);
  });

  it('fades the first good frame in after a gap, and resumes full concealment afterwards', () => {
    const c = new Concealer({ sampleRate: 8000 });
    c.good(tone);
    c.conceal(160);
    const back = c.good(tone);
    assert.equal(back[0], Math.round((tone[0] as number) / 17));
    assert.deepEqual(back.subarray(16), tone.subarray(16));
    assert.equal(c.faded, false);
    assert.ok(Math.abs((c.conceal(160)[5] as number) - (tone[5] as number) * (1 - 5 / 480)) <= 1);
  });

  it('produces silence with no history', () => {
    const c = new Concealer({ sampleRate: 8000 });
    assert.equal(rms(c.conceal(160)), 0);
  });

  it('works with frames shorter than its history', () => {
    const c = new Concealer({ sampleRate: 8000 });
    c.good(tone.subarray(0, 80));
    c.good(tone.subarray(80));
    const f = c.conceal(160);
    assert.equal(f[0], tone[0]);
    assert.ok(Math.abs((f[100] as number) - Math.round((tone[100] as number) * (1 - 100 / 480))) <= 1);
  });
});
