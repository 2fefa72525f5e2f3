import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ToneGenerator } from '../../src/media/tone.ts';

function rms(a: Int16Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s / a.length);
}

/** Power at one frequency (Goertzel), normalised to the amplitude of a matching sine. */
function amplitudeAt(a: Int16Array, freq: number, rate: number): number {
  const w = (2 * Math.PI * freq) / rate;
  let re = 0;
  let im = 0;
  a.forEach((v, n) => {
    re += v * Math.cos(w * n);
    im -= v * Math.sin(w * n);
  });
  return (2 * Math.hypot(re, im)) / a.length;
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

describe('ToneGenerator', () => {
  it('makes a 1000 Hz tone at the requested level', () => {
    const t = new ToneGenerator({ sampleRate: 8000, frequencies: [1000], levelDbfs: -6 });
    const frames = Array.from({ length: 50 }, () => t.next(160));
    const all = concat(frames).subarray(160); // skip the start ramp
    const peak = 32767 * 10 ** (-6 / 20);
    assert.ok(Math.abs(rms(all) - peak / Math.SQRT2) < 20, `rms ${rms(all)}`);
    assert.ok(Math.abs(amplitudeAt(all, 1000, 8000) - peak) < 50);
    assert.ok(amplitudeAt(all, 425, 8000) < 50);
  });

  it('keeps the phase continuous across frames (no clicks)', () => {
    const t = new ToneGenerator({ sampleRate: 8000, frequencies: [425], levelDbfs: -3 });
    const all = concat(Array.from({ length: 30 }, (_, i) => t.next(i % 2 ? 160 : 97)));
    // A 425 Hz sine at this level moves at most A * 2*pi*f/fs per sample.
    const maxStep = 32767 * 10 ** (-3 / 20) * ((2 * Math.PI * 425) / 8000) + 2;
    for (let i = 1; i < all.length; i++) {
      assert.ok(Math.abs((all[i] as number) - (all[i - 1] as number)) <= maxStep, `jump at ${i}`);
    }
  });

  it('mixes two frequencies', () => {
    const t = new ToneGenerator({ sampleRate: 8000, frequencies: [350, 440], levelDbfs: -12 });
    t.next(160);
    const all = t.next(8000);
    const a = 32767 * 10 ** (-12 / 20);
    assert.ok(Math.abs(amplitudeAt(all, 350, 8000) - a) < 30);
    assert.ok(Math.abs(amplitudeAt(all, 440, 8000) - a) < 30);
  });

  it('follows an on/off cadence with ramped edges', () => {
    const t = new ToneGenerator({ sampleRate: 8000, frequencies: [425], levelDbfs: -10, cadenceMs: [100, 100] });
    const all = t.next(8000 * 0.4);
    const on1 = all.subarray(40, 760);
    const off1 = all.subarray(800, 1600);
    const on2 = all.subarray(1640, 2360);
    assert.ok(rms(on1) > 7000);
    assert.equal(rms(off1), 0);
    assert.ok(rms(on2) > 7000);
    // The last sample of an on period is near zero thanks to the ramp.
    assert.ok(Math.abs(all[799] as number) < 2000);
    assert.ok(Math.abs(all[800] as number) === 0);
  });

  it('rejects bad parameters with a clear message', () => {
    assert.throws(() => new ToneGenerator({ sampleRate: 8000, frequencies: [5000] }), /5000 Hz is outside 0-4000 Hz/);
    assert.throws(() => new ToneGenerator({ sampleRate: 8000, frequencies: [] }), /one or two frequencies/);
    assert.throws(() => new ToneGenerator({ sampleRate: 8000, frequencies: [400], levelDbfs: 3 }), /at most 0 dBFS/);
    assert.throws(() => new ToneGenerator({ sampleRate: 8000, frequencies: [400], cadenceMs: [100] }), /on\/off pairs/);
  });
});
