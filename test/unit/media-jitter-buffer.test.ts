import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JitterBuffer } from '../../src/media/jitter-buffer.ts';
import type { JitterFrame, JitterPacket } from '../../src/media/jitter-buffer.ts';

function pkt(seq: number, ssrc = 1, tsBase = 0): JitterPacket {
  return { sequence: seq & 0xffff, timestamp: (tsBase + seq * 160) >>> 0, ssrc, payload: Buffer.from([seq & 0xff]) };
}

function describeFrame(f: JitterFrame): string {
  switch (f.kind) {
    case 'frame':
      return `f${f.sequence}`;
    case 'lost':
      return `L${f.sequence}`;
    case 'silence':
      return `s${f.sequence}`;
    case 'empty':
      return '-';
  }
}

function pops(jb: JitterBuffer, n: number): string[] {
  return Array.from({ length: n }, () => describeFrame(jb.pop()));
}

function jb(opts: Partial<ConstructorParameters<typeof JitterBuffer>[0]> = {}): JitterBuffer {
  return new JitterBuffer({ clockRate: 8000, ...opts });
}

describe('JitterBuffer', () => {
  it('waits for the target depth, then plays in order', () => {
    const b = jb();
    assert.equal(b.pop().kind, 'empty');
    b.push(pkt(10));
    b.push(pkt(11));
    assert.deepEqual(pops(b, 1), ['-']);
    b.push(pkt(12));
    assert.equal(b.depthMs, 60);
    assert.deepEqual(pops(b, 3), ['f10', 'f11', 'f12']);
    assert.equal(b.counters.received, 3);
  });

  it('reorders', () => {
    const b = jb();
    for (const s of [1, 3, 2, 4]) b.push(pkt(s));
    assert.equal(b.counters.reordered, 1);
    assert.deepEqual(pops(b, 4), ['f1', 'f2', 'f3', 'f4']);
  });

  it('accepts an earlier packet as the start before playout begins', () => {
    const b = jb();
    for (const s of [2, 1, 3]) b.push(pkt(s));
    assert.deepEqual(pops(b, 3), ['f1', 'f2', 'f3']);
  });

  it('drops duplicates, buffered or already played', () => {
    const b = jb();
    assert.equal(b.push(pkt(1)), 'buffered');
    assert.equal(b.push(pkt(1)), 'duplicate');
    b.push(pkt(2));
    b.push(pkt(3));
    assert.deepEqual(pops(b, 1), ['f1']);
    assert.equal(b.push(pkt(1)), 'duplicate');
    assert.equal(b.counters.duplicates, 2);
    assert.deepEqual(pops(b, 2), ['f2', 'f3']);
  });

  it('reports a gap as lost and a packet after its slot as late', () => {
    const b = jb();
    for (const s of [1, 2, 4, 5]) b.push(pkt(s));
    assert.deepEqual(pops(b, 3), ['f1', 'f2', 'L3']);
    assert.equal(b.push(pkt(3)), 'late');
    assert.deepEqual(pops(b, 2), ['f4', 'f5']);
    assert.deepEqual([b.counters.lost, b.counters.late, b.counters.concealed], [1, 1, 1]);
  });

  it('plays across the 16-bit sequence wrap, reordered and with a loss', () => {
    const b = jb();
    for (const s of [65533, 65534, 0, 65535, 2, 3]) b.push(pkt(s, 7, 1000));
    assert.deepEqual(pops(b, 6), ['f65533', 'f65534', 'f65535', 'f0', 'L1', 'f2']);
    assert.equal(b.counters.reordered, 1);
    assert.equal(b.counters.lost, 1);
  });

  it('reports an underrun as empty and keeps the slot for a delayed packet', () => {
    const b = jb();
    for (const s of [1, 2, 3]) b.push(pkt(s));
    assert.deepEqual(pops(b, 4), ['f1', 'f2', 'f3', '-']);
    assert.equal(b.counters.underruns, 1);
    assert.equal(b.counters.concealed, 1);
    b.push(pkt(4));
    assert.deepEqual(pops(b, 1), ['-']);
    b.push(pkt(5));
    b.push(pkt(6));
    assert.deepEqual(pops(b, 3), ['f4', 'f5', 'f6']);
    assert.equal(b.counters.late, 0);
  });

  it('resets on a new SSRC', () => {
    const b = jb();
    for (const s of [1, 2, 3]) b.push(pkt(s));
    pops(b, 1);
    assert.equal(b.push(pkt(500, 2)), 'reset');
    b.push(pkt(501, 2));
    b.push(pkt(502, 2));
    assert.deepEqual(pops(b, 3), ['f500', 'f501', 'f502']);
    assert.equal(b.counters.resets, 1);
  });

  it('resets on a large sequence jump confirmed by the next packet, ignores a lone stray', () => {
    const b = jb();
    for (const s of [100, 101, 102]) b.push(pkt(s));
    assert.equal(b.push(pkt(40000)), 'probation');
    b.push(pkt(103));
    assert.equal(b.push(pkt(9000)), 'probation');
    assert.equal(b.push(pkt(9001)), 'reset');
    b.push(pkt(9002));
    assert.deepEqual(pops(b, 3), ['f9000', 'f9001', 'f9002']);
    assert.equal(b.counters.resets, 1);
  });

  it('plays a slot without audio as silence', () => {
    const b = jb();
    b.push(pkt(1));
    b.push({ sequence: 2, timestamp: 320, ssrc: 1, payload: null });
    b.push(pkt(3));
    assert.deepEqual(pops(b, 3), ['f1', 's2', 'f3']);
  });

  it('learns the packet duration from timestamps (30 ms packets)', () => {
    const b = jb();
    for (let s = 0; s < 2; s++) b.push({ sequence: s, timestamp: s * 240, ssrc: 1, payload: Buffer.alloc(240) });
    assert.equal(b.depthMs, 60);
    const f = b.pop();
    assert.equal(f.kind, 'frame');
    assert.equal(f.kind === 'frame' && f.ticks, 240);
  });

  it('trims to the target when over the maximum delay', () => {
    const b = jb({ maxDelayMs: 200 });
    for (let s = 0; s < 12; s++) b.push(pkt(s));
    // Trimmed to the 60 ms target when packet 10 overflowed, then one more arrived.
    assert.equal(b.depthMs, 80);
    assert.equal(b.counters.dropped, 8);
    const first = b.pop();
    assert.equal(first.kind, 'frame');
  });

  it('drains a sender that runs fast instead of letting delay grow', () => {
    const b = jb();
    let seq = 0;
    for (let i = 0; i < 3; i++) b.push(pkt(seq++));
    for (let tick = 0; tick < 3000; tick++) {
      b.push(pkt(seq++));
      if (tick % 40 === 0) b.push(pkt(seq++)); // 2.5 % too fast
      b.pop();
    }
    assert.ok(b.depthMs <= 120, `depth ${b.depthMs}`);
    assert.ok(b.counters.dropped > 0);
    assert.equal(b.counters.lost, 0);
  });

  it('drops nothing from a steady stream with arrival jitter', () => {
    const b = jb();
    let seq = 0;
    let x = 12345;
    const jitter = (): number => ((x = (x * 1103515245 + 12345) & 0x7fffffff) % 3) - 1;
    for (let i = 0; i < 3; i++) b.push(pkt(seq++));
    // Each tick one packet is due; arrivals wobble by one tick either way.
    let due = 0;
    for (let tick = 0; tick < 5000; tick++) {
      due++;
      const arrive = Math.max(0, Math.min(due + jitter(), due + 1));
      while (seq - 3 < arrive) b.push(pkt(seq++));
      b.pop();
    }
    assert.equal(b.counters.dropped, 0);
    assert.equal(b.counters.lost, 0);
    assert.equal(b.counters.underruns, 0);
  });

  it('adapts: an underrun raises the target, a calm stretch lowers it again', () => {
    const b = jb({ adaptive: true });
    let seq = 0;
    for (let i = 0; i < 3; i++) b.push(pkt(seq++));
    pops(b, 4);
    assert.equal(b.targetDelayMs, 80);
    for (let i = 0; i < 4; i++) b.push(pkt(seq++));
    for (let tick = 0; tick < 600; tick++) {
      b.push(pkt(seq++));
      b.pop();
    }
    assert.equal(b.targetDelayMs, 60);
  });

  it('never plays a sequence number twice or out of order (random arrival orders)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 0, max: 0xffff }),
        (offsets, base) => {
          const b = jb();
          const played: number[] = [];
          let i = 0;
          for (const off of offsets) {
            b.push(pkt(base + off));
            if (i++ % 2 === 0) {
              const f = b.pop();
              if (f.kind === 'frame') played.push(f.sequence);
            }
          }
          for (let k = 0; k < 100; k++) {
            const f = b.pop();
            if (f.kind === 'frame') played.push(f.sequence);
          }
          const ext = played.map((s) => (s - base) & 0xffff);
          for (let k = 1; k < ext.length; k++) assert.ok((ext[k] as number) > (ext[k - 1] as number));
          const c = b.counters;
          assert.equal(c.received, offsets.length);
        },
      ),
    );
  });
});
