// The adaptive jitter buffer fed with simulated arrival patterns: packets sent every
// 20 ms, each delayed by a seeded random amount, popped every 20 ms as the media loop
// does. What matters: the target follows the jitter up at once, comes down slowly
// when the network calms, stays within its bounds, and keeps late packets rare
// where a fixed buffer loses many.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DelayEstimator } from '../../src/media/delay-estimator.ts';
import { JitterBuffer } from '../../src/media/jitter-buffer.ts';
import type { JitterBufferOptions } from '../../src/media/jitter-buffer.ts';

/** Deterministic uniform [0, 1) numbers. */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

interface Phase {
  seconds: number;
  /** Extra delay of each packet is uniform in [0, jitterMs). */
  jitterMs: number;
  /** Share of packets dropped. */
  loss?: number;
}

interface Trace {
  /** Target after each phase, ms. */
  targets: number[];
  /** Late packets per phase (arrived after their slot was played). */
  late: number[];
  sent: number[];
  buffer: JitterBuffer;
  /** Target sampled each second, ms. */
  perSecond: number[];
}

function simulate(phases: Phase[], opts: Partial<JitterBufferOptions> = {}, seed = 7): Trace {
  const b = new JitterBuffer({ clockRate: 8000, adaptive: true, ...opts });
  const rnd = prng(seed);
  const arrivals: Array<{ at: number; seq: number }> = [];
  const phaseOf: number[] = [];
  let seq = 0;
  let t0 = 0;
  phases.forEach((p, i) => {
    for (let k = 0; k < (p.seconds * 1000) / 20; k++, seq++) {
      phaseOf[seq] = i;
      if (rnd() < (p.loss ?? 0)) continue;
      arrivals.push({ at: t0 + k * 20 + rnd() * p.jitterMs, seq });
    }
    t0 += p.seconds * 1000;
  });
  arrivals.sort((a, b2) => a.at - b2.at);
  const trace: Trace = { targets: [], late: phases.map(() => 0), sent: phases.map(() => 0), buffer: b, perSecond: [] };
  for (let s = 0; s < seq; s++) trace.sent[phaseOf[s] as number]!++;
  let next = 0;
  let phase = 0;
  let phaseEnd = phases[0]!.seconds * 1000;
  // Pops 5 ms after each send slot, like a receiver whose clock is offset from the sender's.
  for (let t = 5; t < t0 + 500; t += 20) {
    while (next < arrivals.length && arrivals[next]!.at <= t) {
      const a = arrivals[next++]!;
      const r = b.push({ sequence: a.seq & 0xffff, timestamp: (a.seq * 160) >>> 0, ssrc: 1, payload: Buffer.alloc(160), arrivalMs: a.at });
      if (r === 'late') trace.late[phaseOf[a.seq] as number]!++;
    }
    b.pop();
    if ((t - 5) % 1000 === 0) trace.perSecond.push(b.targetDelayMs);
    if (t >= phaseEnd && phase < phases.length) {
      trace.targets.push(b.targetDelayMs);
      phase++;
      phaseEnd += (phases[phase]?.seconds ?? 0) * 1000;
    }
  }
  while (trace.targets.length < phases.length) trace.targets.push(b.targetDelayMs);
  return trace;
}

describe('DelayEstimator', () => {
  it('sees no spread in a steady stream, and nothing before ten packets', () => {
    const e = new DelayEstimator({ clockRate: 8000 });
    for (let k = 0; k < 9; k++) e.observe(1000 + k * 20, k * 160);
    assert.equal(e.spreadMs(), undefined);
    for (let k = 9; k < 100; k++) e.observe(1000 + k * 20, k * 160);
    assert.equal(e.spreadMs(), 0);
  });

  it('measures the 95th percentile of uniform 0-100 ms jitter, across the timestamp wrap and reordering', () => {
    const e = new DelayEstimator({ clockRate: 8000 });
    const rnd = prng(3);
    const base = 2 ** 32 - 160 * 100;
    const packets = Array.from({ length: 250 }, (_, k) => ({ at: k * 20 + rnd() * 100, ts: (base + k * 160) >>> 0 }));
    packets.sort((a, b) => a.at - b.at);
    for (const p of packets) e.observe(p.at, p.ts);
    const spread = e.spreadMs() ?? -1;
    assert.ok(spread > 85 && spread < 100, `spread ${spread.toFixed(1)} ms`);
  });

  it('forgets jitter older than its window', () => {
    const e = new DelayEstimator({ clockRate: 8000, windowPackets: 50 });
    const rnd = prng(5);
    for (let k = 0; k < 50; k++) e.observe(k * 20 + rnd() * 100, k * 160);
    assert.ok((e.spreadMs() ?? 0) > 50);
    for (let k = 50; k < 100; k++) e.observe(k * 20, k * 160);
    assert.equal(e.spreadMs(), 0);
  });
});

describe('JitterBuffer, adaptive', () => {
  it('stays at its base target on a steady network', () => {
    const tr = simulate([{ seconds: 20, jitterMs: 5 }]);
    assert.equal(tr.targets[0], 60);
    assert.equal(tr.buffer.counters.late, 0);
    assert.equal(tr.buffer.counters.lost, 0);
    assert.equal(tr.buffer.counters.stretched, 0);
  });

  it('grows at once with 0-100 ms jitter, and late packets and gaps stay rare', () => {
    const tr = simulate([{ seconds: 2, jitterMs: 0 }, { seconds: 30, jitterMs: 100 }]);
    // Within a second of the jitter starting the target covers it (95th percentile plus a packet).
    assert.ok((tr.perSecond[3] ?? 0) >= 100, `target a second into the jitter: ${tr.perSecond[3]} ms`);
    assert.ok((tr.targets[1] ?? 0) >= 100 && (tr.targets[1] ?? 0) <= 140, `target ${tr.targets[1]} ms`);
    const c = tr.buffer.counters;
    const packets = (tr.sent[0] ?? 0) + (tr.sent[1] ?? 0);
    assert.ok((tr.late[1] ?? 0) / (tr.sent[1] ?? 1) < 0.02, `${tr.late[1]} late of ${tr.sent[1]}`);
    assert.ok(c.stretched > 0, 'grew by holding playout at a gap');
    assert.ok(c.underruns + c.stretched + c.lost < packets * 0.02, JSON.stringify(c));
  });

  it('shrinks slowly once the network calms, back to its base', () => {
    const tr = simulate([{ seconds: 20, jitterMs: 100 }, { seconds: 2, jitterMs: 0 }, { seconds: 60, jitterMs: 0 }]);
    const high = tr.targets[0] ?? 0;
    assert.ok(high >= 100);
    // Two calm seconds later it has come down by at most one packet...
    assert.ok((tr.targets[1] ?? 0) >= high - 20, `after 2 calm s: ${tr.targets[1]} from ${high}`);
    // ...and a minute later it is back at the base.
    assert.equal(tr.targets[2], 60);
  });

  it('never exceeds its maximum, however bad the jitter', () => {
    const tr = simulate([{ seconds: 20, jitterMs: 600 }], { maxAdaptiveDelayMs: 200 });
    assert.ok(Math.max(...tr.perSecond) <= 200, `target reached ${Math.max(...tr.perSecond)} ms`);
    assert.equal(tr.targets[0], 200);
  });

  it('under 20 % loss and 100 ms jitter conceals the losses without growing past its need', () => {
    const tr = simulate([{ seconds: 30, jitterMs: 100, loss: 0.2 }]);
    const c = tr.buffer.counters;
    const lostShare = c.lost / (tr.sent[0] ?? 1);
    assert.ok(lostShare > 0.15 && lostShare < 0.26, `lost ${(lostShare * 100).toFixed(1)} %`);
    assert.ok((tr.targets[0] ?? 0) <= 140, `target ${tr.targets[0]} ms`);
    assert.ok(c.late / (tr.sent[0] ?? 1) < 0.05);
  });
});
