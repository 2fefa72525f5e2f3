import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SampleRing } from '../../src/audio/sample-ring.ts';

const seq = (from: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => from + i);

describe('SampleRing', () => {
  it('hands samples back in order, exactly n at a time', () => {
    const ring = new SampleRing(10);
    assert.equal(ring.push(seq(0, 4)), 0);
    assert.equal(ring.push(seq(4, 4)), 0);
    assert.deepEqual([...ring.take(3)!], [0, 1, 2]);
    assert.equal(ring.take(6), undefined, 'not enough waiting: takes nothing');
    assert.deepEqual([...ring.take(5)!], [3, 4, 5, 6, 7]);
    assert.equal(ring.length, 0);
  });

  it('drops the oldest samples when full and says how many', () => {
    const ring = new SampleRing(5);
    ring.push(seq(0, 4));
    assert.equal(ring.push(seq(4, 3)), 2);
    assert.deepEqual([...ring.take(5)!], [2, 3, 4, 5, 6]);
    assert.equal(ring.push(seq(100, 12)), 7, 'a push larger than the ring keeps its newest samples');
    assert.deepEqual([...ring.take(5)!], [107, 108, 109, 110, 111]);
  });

  it('behaves like an unbounded queue trimmed to its capacity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 70 })), { maxLength: 60 }), (capacity, ops) => {
        const ring = new SampleRing(capacity);
        let model: number[] = [];
        let next = 0;
        for (const [isPush, n] of ops) {
          if (isPush) {
            const dropped = ring.push(seq(next, n));
            model.push(...seq(next, n));
            next += n;
            const excess = Math.max(0, model.length - capacity);
            model = model.slice(excess);
            assert.equal(dropped, excess);
          } else {
            const got = ring.take(n);
            if (n > model.length) assert.equal(got, undefined);
            else assert.deepEqual([...got!], model.splice(0, n));
          }
          assert.equal(ring.length, model.length);
        }
      }),
    );
  });

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new SampleRing(0), /capacity 0 must be a positive integer/);
  });
});
