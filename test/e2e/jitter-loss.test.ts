// The media path under real packet loss and jitter: a private network namespace
// (unshare -n), an nftables rule dropping 20 % of the datagrams at random, and a relay
// delaying each by 0-100 ms, between two real RtpSession + MediaLoop + RtpSocket ends
// (test/support/lossy-call.ts). The call must carry on, the 1 kHz tone must still be
// what is heard, and the losses must have been concealed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LossyCallResult } from '../support/lossy-call.ts';
import { runLossyCallInNamespace } from '../support/private-network.ts';

/** Power of `hz` in `x` (Goertzel), relative. */
function power(x: readonly number[], hz: number, rate = 8000): number {
  const c = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

describe('media under 20 % loss and 0-100 ms jitter in a private network namespace', { timeout: 60_000 }, () => {
  let r: LossyCallResult;

  it('runs the call', async (t) => {
    r = await runLossyCallInNamespace({ seconds: 8, lossPercent: 20, jitterMs: 100 });
    const s = r.receiver;
    const expected = s.packetsReceived + s.lost;
    t.diagnostic(
      `sent ${r.sentPackets}, received ${s.packetsReceived}, lost ${((100 * s.lost) / expected).toFixed(1)} %, late ${s.late}, ` +
        `concealed frames ${s.concealed} of ${r.playedFrames}, jitter target ${s.jitterTargetMs} ms (mean ${r.meanTargetMs.toFixed(0)}), ` +
        `mouth-to-ear ${r.mouthToEarMs?.toFixed(0)} ms with ${r.meanNetworkMs.toFixed(0)} ms mean network delay`,
    );
  });

  it('lost about a fifth of the packets to the nftables rule, and concealed them', () => {
    const s = r.receiver;
    assert.ok(r.nftDropped > 0, 'the nftables rule dropped nothing');
    const lossShare = s.lost / (s.packetsReceived + s.lost);
    assert.ok(lossShare > 0.1 && lossShare < 0.3, `loss ${(lossShare * 100).toFixed(1)} %`);
    assert.ok(s.concealed > 0, 'nothing was concealed');
    assert.ok(s.late / s.packetsReceived < 0.05, `${s.late} late of ${s.packetsReceived}`);
  });

  it('kept playing to the end, and the adaptive buffer grew to cover the jitter', () => {
    // The receiver's clock ran the whole time: a frame per 20 ms, less start-up.
    assert.ok(r.playedFrames >= 8 * 50 - 10, `played ${r.playedFrames} frames`);
    assert.ok(r.receiver.packetsReceived > r.sentPackets * 0.6);
    assert.ok(r.receiver.jitterTargetMs >= 100 && r.receiver.jitterTargetMs <= 200, `target ${r.receiver.jitterTargetMs} ms`);
  });

  it('what was played in the second half is still the 1 kHz tone', () => {
    const tail = r.tail;
    const tone = power(tail, 1000);
    for (const other of [300, 700, 1300, 2000, 3000]) {
      const db = 10 * Math.log10(tone / Math.max(1e-9, power(tail, other)));
      assert.ok(db > 20, `1 kHz only ${db.toFixed(1)} dB above ${other} Hz`);
    }
    let sum = 0;
    for (const v of tail) sum += v * v;
    const rmsDb = 20 * Math.log10(Math.sqrt(sum / tail.length) / 32768);
    // Sent at -15 dBFS (RMS) in bursts 80 % of the time; a fifth of it concealed.
    assert.ok(rmsDb > -25, `played level ${rmsDb.toFixed(1)} dBFS`);
  });
});
