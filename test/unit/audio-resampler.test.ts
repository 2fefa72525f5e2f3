import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Resampler, resampleAll } from '../../src/audio/resampler.ts';

function sine(hz: number, rate: number, n: number, amplitude = 16384, phase = 0): Int16Array {
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate + phase));
  return x;
}

function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] ?? 0) ** 2;
  return Math.sqrt(s / x.length);
}

/** Streams `x` through `r` in chunks of `chunk` samples, as the media loop would. */
function stream(r: Resampler, x: Int16Array, chunk: number): Int16Array {
  const parts: Int16Array[] = [];
  for (let i = 0; i < x.length; i += chunk) parts.push(r.process(x.subarray(i, i + chunk)));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * THD+N in dB: the 1 kHz component is found by correlating with a sine and cosine
 * over a whole number of periods (the DFT bin) and removed together with DC; what
 * is left is noise and distortion.
 */
function thdPlusN(x: Int16Array, hz: number, rate: number): number {
  const n = x.length;
  let a = 0;
  let b = 0;
  let dc = 0;
  for (let i = 0; i < n; i++) {
    const w = (2 * Math.PI * hz * i) / rate;
    a += (x[i] ?? 0) * Math.sin(w);
    b += (x[i] ?? 0) * Math.cos(w);
    dc += x[i] ?? 0;
  }
  a = (2 * a) / n;
  b = (2 * b) / n;
  dc /= n;
  let residual = 0;
  for (let i = 0; i < n; i++) {
    const w = (2 * Math.PI * hz * i) / rate;
    residual += ((x[i] ?? 0) - a * Math.sin(w) - b * Math.cos(w) - dc) ** 2;
  }
  const fundamental = ((a * a + b * b) / 2) * n;
  return 10 * Math.log10(residual / fundamental);
}

/** Output level relative to input for a steady tone, skipping the filter's start-up. */
function gainDb(hz: number, inRate: number, outRate: number): number {
  const x = sine(hz, inRate, inRate / 2);
  const y = new Resampler(inRate, outRate).process(x);
  return 20 * Math.log10(rms(y.subarray(y.length / 4)) / rms(x));
}

describe('Resampler', () => {
  for (const [high, low] of [
    [48000, 8000],
    [44100, 8000],
    [48000, 16000],
  ] as const) {
    it(`keeps a 1 kHz tone clean through ${high} -> ${low} -> ${high} Hz (THD+N < -50 dB)`, (t) => {
      const x = sine(1000, high, high); // 1 s
      const down = new Resampler(high, low);
      const up = new Resampler(low, high);
      const y = stream(up, stream(down, x, high / 50), low / 50); // 20 ms chunks
      // Skip the filters' start-up; analyse exactly 500 periods.
      const from = high / 10;
      const thd = thdPlusN(y.subarray(from, from + high / 2), 1000, high);
      t.diagnostic(`THD+N ${thd.toFixed(1)} dB`);
      assert.ok(thd < -50, `THD+N ${thd.toFixed(1)} dB`);
      assert.ok(Math.abs(20 * Math.log10(rms(y.subarray(from, from + high / 2)) / rms(x))) < 0.1, 'level changed');
    });
  }

  it('gives the same output whatever the chunk sizes', () => {
    const pairs: Array<[number, number]> = [
      [48000, 8000],
      [8000, 48000],
      [44100, 8000],
      [8000, 44100],
      [16000, 48000],
      [11025, 8000],
    ];
    const input = sine(440, 8000, 3000, 12000);
    for (let i = 0; i < input.length; i += 7) input[i] = ((i * 7919) % 20000) - 10000; // not just a tone
    const whole = pairs.map(([a, b]) => new Resampler(a, b).process(input));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: pairs.length - 1 }),
        // Empty chunks are allowed, but a cycle of only empty ones would never advance.
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 40 }).filter((s) => s.some((n) => n > 0)),
        (which, sizes) => {
        const [a, b] = pairs[which]!;
        const r = new Resampler(a, b);
        const parts: number[] = [];
        let pos = 0;
        for (let k = 0; pos < input.length; k++) {
          const n = sizes[k % sizes.length]!;
          parts.push(...r.process(input.subarray(pos, pos + n)));
          pos += n;
        }
        assert.deepEqual(parts, [...whole[which]!]);
      }),
      { numRuns: 60 },
    );
  });

  it('passes 3.5 kHz and stops 5 kHz by more than 40 dB going 48 -> 8 kHz', (t) => {
    const pass = gainDb(3500, 48000, 8000);
    const stop = gainDb(5000, 48000, 8000);
    t.diagnostic(`3.5 kHz ${pass.toFixed(2)} dB, 5 kHz ${stop.toFixed(1)} dB`);
    assert.ok(Math.abs(pass) < 0.5, `3.5 kHz changed by ${pass.toFixed(2)} dB`);
    assert.ok(stop < -40, `5 kHz only ${stop.toFixed(1)} dB down`);
    assert.ok(gainDb(4500, 44100, 8000) < -40, '4.5 kHz aliases through 44.1 -> 8 kHz');
    assert.ok(gainDb(9000, 48000, 16000) < -40, '9 kHz aliases through 48 -> 16 kHz');
  });

  it('suppresses images above 4.5 kHz when going 8 -> 48 kHz', () => {
    const y = new Resampler(8000, 48000).process(sine(3000, 8000, 8000));
    const steady = y.subarray(4800);
    // The image of 3 kHz sits at 8 - 3 = 5 kHz: correlate against it.
    let re = 0;
    let im = 0;
    for (let i = 0; i < steady.length; i++) {
      re += (steady[i] ?? 0) * Math.cos((2 * Math.PI * 5000 * i) / 48000);
      im += (steady[i] ?? 0) * Math.sin((2 * Math.PI * 5000 * i) / 48000);
    }
    const image = (2 * Math.hypot(re, im)) / steady.length / Math.SQRT2;
    assert.ok(20 * Math.log10(image / rms(steady)) < -60, 'image at 5 kHz');
  });

  it('is a plain copy when the rates are equal', () => {
    const x = sine(1000, 8000, 321);
    const y = new Resampler(8000, 8000).process(x);
    assert.deepEqual(y, x);
    assert.notEqual(y.buffer, x.buffer);
  });

  it('rejects rates it cannot serve, in one line', () => {
    assert.throws(() => new Resampler(0, 8000), /rates must be positive integers/);
    assert.throws(() => new Resampler(44100, 8011), /needs 8011 filter phases/);
  });
});

describe('resampleAll', () => {
  it('keeps length and timing: output i lines up with input time i * in/out', () => {
    const x = sine(1000, 8000, 8000, 16000, 0.3);
    const y = resampleAll(x, 8000, 48000);
    assert.equal(y.length, 48000);
    const expected = sine(1000, 48000, 48000, 16000, 0.3);
    const middle = (a: Int16Array): Int16Array => a.subarray(4800, 43200);
    const err = new Int16Array(38400).map((_, i) => (middle(y)[i] ?? 0) - (middle(expected)[i] ?? 0));
    assert.ok(20 * Math.log10(rms(err) / rms(middle(expected))) < -40, 'misaligned');
  });

  it('rounds the length for rates that do not divide', () => {
    assert.equal(resampleAll(new Int16Array(1000), 44100, 8000).length, 181);
    assert.equal(resampleAll(new Int16Array(0), 48000, 8000).length, 0);
  });
});
