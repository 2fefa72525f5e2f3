import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameClock } from '../../src/media/frame-clock.ts';

const MS = 1_000_000n;

/** Deterministic pseudo-random numbers (xorshift32) so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

describe('FrameClock', () => {
  it('makes frame 0 due at the start and none before', () => {
    const c = new FrameClock({ startNs: 1000n * MS, frameMs: 20 });
    assert.deepEqual(c.due(999n * MS), { frames: 0, skipped: 0 });
    assert.equal(c.delayUntilNextMs(990n * MS), 10);
    assert.deepEqual(c.due(1000n * MS), { frames: 1, skipped: 0 });
    assert.deepEqual(c.due(1019n * MS), { frames: 0, skipped: 0 });
    assert.equal(c.delayUntilNextMs(1019n * MS + 1n), 1);
    assert.deepEqual(c.due(1020n * MS), { frames: 1, skipped: 0 });
  });

  it('catches up after a late wake-up', () => {
    const c = new FrameClock({ startNs: 0n, frameMs: 20, maxCatchUpFrames: 5 });
    c.due(0n);
    assert.deepEqual(c.due(65n * MS), { frames: 3, skipped: 0 });
    assert.equal(c.delayUntilNextMs(65n * MS), 15);
  });

  it('skips ahead when too far behind and reports the skip', () => {
    const c = new FrameClock({ startNs: 0n, frameMs: 20, maxCatchUpFrames: 5 });
    c.due(0n);
    assert.deepEqual(c.due(1000n * MS), { frames: 1, skipped: 49 });
    assert.deepEqual(c.due(1010n * MS), { frames: 0, skipped: 0 });
    assert.deepEqual(c.due(1020n * MS), { frames: 1, skipped: 0 });
    assert.equal(c.produced + c.skippedTotal, 52);
  });

  it('produces exactly 180000 frames in a simulated hour with jittery wake-ups', () => {
    const random = rng(20240607);
    const start = 123_456_789_000n;
    const hour = 3600n * 1000n * MS;
    const c = new FrameClock({ startNs: start, frameMs: 20, maxCatchUpFrames: 5 });
    let now = start;
    let frames = 0;
    let maxBurst = 0;
    let wakeUps = 0;
    const end = start + hour;
    for (;;) {
      const d = c.due(now);
      assert.equal(d.skipped, 0);
      frames += d.frames;
      maxBurst = Math.max(maxBurst, d.frames);
      wakeUps++;
      if (now === end - 1n) break;
      // A timer fires at the requested delay plus 0-15 ms of scheduling
      // latency (occasionally up to 60 ms), in sub-millisecond steps.
      const late = random() < 0.01 ? random() * 60 : random() * 15;
      now += BigInt(c.delayUntilNextMs(now)) * MS + BigInt(Math.floor(late * 1e6));
      // The hour ends at `end`: the last look at the clock is just before it.
      if (now >= end) now = end - 1n;
    }
    assert.equal(frames, 180000);
    assert.ok(maxBurst <= 5);
    assert.ok(wakeUps > 1000);
    // No drift: the next frame is due exactly at start + 180000 * 20 ms.
    assert.equal(c.delayUntilNextMs(start + hour - 5n * MS), 5);
  });

  it('accounts for every frame of an hour with stalls: produced + skipped = 180000', () => {
    const random = rng(7);
    const start = 0n;
    const end = 3600n * 1000n * MS;
    const c = new FrameClock({ startNs: start, frameMs: 20, maxCatchUpFrames: 4 });
    let now = start;
    let skips = 0;
    for (;;) {
      const d = c.due(now);
      if (d.skipped > 0) skips++;
      if (now === end - 1n) break;
      const late = random() < 0.001 ? 200 + random() * 800 : random() * 10;
      now += BigInt(c.delayUntilNextMs(now)) * MS + BigInt(Math.floor(late * 1e6));
      if (now >= end) now = end - 1n;
    }
    assert.ok(skips > 0);
    assert.equal(c.produced + c.skippedTotal, 180000);
  });
});
