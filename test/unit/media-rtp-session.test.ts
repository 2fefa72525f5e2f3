import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { codecByName } from '../../src/media/codec.ts';
import type { AudioCodec } from '../../src/media/codec.ts';
import { parseRtp, serializeRtp } from '../../src/media/rtp-packet.ts';
import { parseRtcp } from '../../src/media/rtcp.ts';
import { RtpSession } from '../../src/media/rtp-session.ts';
import type { RtpSessionOptions } from '../../src/media/rtp-session.ts';

const PCMU = codecByName('PCMU') as AudioCodec;
const A = { address: '127.0.0.2', port: 40000 };
const B = { address: '127.0.0.3', port: 40002 };

function session(extra: Partial<RtpSessionOptions> = {}): RtpSession {
  return new RtpSession({ codec: PCMU, payloadType: 0, telephoneEventPt: 101, ...extra });
}

function sine(frame: number): Int16Array {
  return Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (frame * 160 + i)) / 8000)));
}

function rms(a: Int16Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s / a.length);
}

describe('RtpSession send and receive', () => {
  it('carries audio from one session to another through the jitter buffer', () => {
    const tx = session({ ssrc: 1, initialSequence: 65534, initialTimestamp: 0 });
    const rx = session({ remote: A });
    const played: Int16Array[] = [];
    for (let f = 0; f < 10; f++) {
      const r = rx.receive(tx.packetize(sine(f)), A);
      assert.equal(r.kind, 'audio');
      assert.equal(r.remoteChanged, undefined);
      played.push(rx.playout());
    }
    // Two frames of silence while filling to 60 ms, then frames 0.. in order.
    assert.equal(rms(played[0] as Int16Array), 0);
    assert.equal(rms(played[1] as Int16Array), 0);
    for (let f = 0; f < 8; f++) {
      assert.deepEqual(played[f + 2], PCMU.decode(PCMU.encode(sine(f))), `frame ${f}`);
    }
    const s = rx.stats();
    assert.equal(s.packetsReceived, 10);
    assert.equal(s.lost, 0);
    assert.equal(s.concealed, 0);
    assert.equal(tx.stats().packetsSent, 10);
    assert.equal(tx.stats().octetsSent, 1600);
  });

  it('conceals a lost packet and counts it', () => {
    const tx = session();
    const rx = session({ remote: A });
    const out: Int16Array[] = [];
    for (let f = 0; f < 12; f++) {
      const p = tx.packetize(sine(f));
      if (f !== 5) rx.receive(p, A);
      out.push(rx.playout());
    }
    const s = rx.stats();
    assert.equal(s.lost, 1);
    assert.equal(s.concealed, 1);
    // Frame 5 is played at tick 7: concealment, not silence.
    assert.ok(rms(out[7] as Int16Array) > 1000);
  });

  it('plays silence before anything arrives and fades out after the stream stops', () => {
    const tx = session();
    const rx = session({ remote: A });
    assert.equal(rms(rx.playout()), 0);
    for (let f = 0; f < 3; f++) rx.receive(tx.packetize(sine(f)), A);
    for (let f = 0; f < 3; f++) rx.playout();
    const fading = [rx.playout(), rx.playout(), rx.playout(), rx.playout()];
    assert.ok(rms(fading[0] as Int16Array) > 0);
    assert.equal(rms(fading[3] as Int16Array), 0);
  });

  it('ignores garbage and payload types that were not negotiated', () => {
    const rx = session({ remote: A });
    assert.match(rx.receive(Buffer.from('hello'), A).reason ?? '', /too short/);
    const g729 = serializeRtp({ marker: false, payloadType: 18, sequence: 1, timestamp: 0, ssrc: 9, csrcs: [], payload: Buffer.alloc(20) });
    const r = rx.receive(g729, A);
    assert.equal(r.kind, 'ignored');
    assert.match(r.reason ?? '', /payload type 18 was not negotiated/);
    assert.equal(rx.stats().ignored, 2);
    assert.equal(rx.stats().packetsReceived, 0);
  });
});

describe('RtpSession symmetric RTP', () => {
  it('learns the address of the first media packet and reports the move', () => {
    const tx = session();
    const rx = session({ remote: { address: '192.0.2.10', port: 5004 } });
    const r = rx.receive(tx.packetize(sine(0)), A);
    assert.deepEqual(r.remoteChanged, A);
    assert.deepEqual(rx.remoteEndpoint, A);
    assert.equal(rx.receive(tx.packetize(sine(1)), A).remoteChanged, undefined);
  });

  it('learns the address when the SDP gave none', () => {
    const rx = session();
    const r = rx.receive(session().packetize(sine(0)), B);
    assert.deepEqual(r.remoteChanged, B);
  });

  it('treats an IPv4-mapped IPv6 source as the same address', () => {
    const rx = session({ remote: A });
    const r = rx.receive(session().packetize(sine(0)), { address: '::ffff:127.0.0.2', port: A.port });
    assert.equal(r.remoteChanged, undefined);
  });

  it('ignores a stray packet from elsewhere and follows a source that keeps sending', () => {
    const tx = session();
    const rx = session({ remote: A });
    rx.receive(tx.packetize(sine(0)), A);
    const stray = rx.receive(tx.packetize(sine(1)), B);
    assert.equal(stray.kind, 'ignored');
    assert.match(stray.reason ?? '', /not yet confirmed/);
    rx.receive(tx.packetize(sine(2)), A); // the real source again: stray count resets
    assert.equal(rx.receive(tx.packetize(sine(3)), B).kind, 'ignored');
    assert.equal(rx.receive(tx.packetize(sine(4)), B).kind, 'ignored');
    const third = rx.receive(tx.packetize(sine(5)), B);
    assert.equal(third.kind, 'audio');
    assert.deepEqual(third.remoteChanged, B);
    assert.deepEqual(rx.remoteEndpoint, B);
    assert.equal(rx.stats().sourceMoves, 1);
  });

  it('never follows a stranger who keeps sending with another SSRC (no hijack of the door audio)', () => {
    const tx = session();
    const stranger = session();
    const rx = session({ remote: A });
    rx.receive(tx.packetize(sine(0)), A);
    for (let i = 1; i < 50; i++) assert.equal(rx.receive(stranger.packetize(sine(i)), B).kind, 'ignored');
    assert.deepEqual(rx.remoteEndpoint, A);
    assert.equal(rx.stats().sourceMoves, 0);
  });

  it('does not latch on packets of a payload type it does not expect', () => {
    const rx = session({ remote: A });
    const cn = serializeRtp({ marker: false, payloadType: 13, sequence: 1, timestamp: 0, ssrc: 9, csrcs: [], payload: Buffer.alloc(1) });
    rx.receive(cn, B);
    assert.deepEqual(rx.remoteEndpoint, A);
  });
});

describe('RtpSession DTMF', () => {
  it('sends a queued key as telephone-events and the other side reports it once', () => {
    const tx = session({ initialTimestamp: 1000 });
    const rx = session({ remote: A });
    tx.queueDtmf('5#', { durationMs: 60 });
    const digits: string[] = [];
    const pts: number[] = [];
    for (let f = 0; f < 12; f++) {
      for (const p of tx.packetizeFrame(sine(f))) {
        pts.push(parseRtp(p).payloadType);
        const r = rx.receive(p, A);
        digits.push(...r.digits);
      }
      rx.playout();
    }
    assert.deepEqual(digits, ['5', '#']);
    // 5: 2 updates + 3 end packets, # likewise, then audio.
    assert.deepEqual(pts.slice(0, 10), [101, 101, 101, 101, 101, 101, 101, 101, 101, 101]);
    assert.ok(pts.slice(10).every((pt) => pt === 0));
    assert.equal(rx.stats().digitsReceived, 2);
    assert.equal(rx.stats().lost, 0);
  });

  it('gives event packets the start timestamp and resumes audio with a marker', () => {
    const tx = session({ initialTimestamp: 1000 });
    tx.packetize(sine(0));
    tx.queueDtmf('1', { durationMs: 40 });
    const ev = [...tx.packetizeFrame(sine(1)), ...tx.packetizeFrame(sine(2))].map(parseRtp);
    assert.ok(ev.every((p) => p.timestamp === 1160 && p.payloadType === 101));
    assert.equal(ev[0]?.marker, true);
    const audio = parseRtp(tx.packetizeFrame(sine(3))[0] as Buffer);
    assert.equal(audio.timestamp, 1160 + 320);
    assert.equal(audio.marker, true);
  });

  it('refuses DTMF when telephone-event was not negotiated, and bad keys', () => {
    const plain = new RtpSession({ codec: PCMU, payloadType: 0 });
    assert.equal(plain.canSendDtmf, false);
    assert.throws(() => plain.queueDtmf('1'), /telephone-event was not negotiated/);
    assert.throws(() => session().queueDtmf('12x'), /not a DTMF key: "x"/);
  });
});

describe('RtpSession RTCP', () => {
  it('sends an RR before sending media and an SR after, each with SDES CNAME', () => {
    const s = session({ ssrc: 77, cname: 'door' });
    const rr = parseRtcp(s.buildRtcp(1_700_000_000_000));
    assert.equal(rr[0]?.type, 'rr');
    assert.deepEqual(rr[1], { type: 'sdes', chunks: [{ ssrc: 77, cname: 'door' }] });
    s.packetize(sine(0));
    const sr = parseRtcp(s.buildRtcp(1_700_000_000_000));
    assert.equal(sr[0]?.type, 'sr');
    const bye = parseRtcp(s.buildRtcpBye(1_700_000_000_000, 'bye'));
    assert.equal(bye[2]?.type, 'bye');
  });

  it('exchanges reports: loss, jitter and round-trip time', () => {
    const t0 = 1_700_000_000_000;
    const a = session();
    const b = session({ remote: A });
    for (let f = 0; f < 50; f++) {
      const p = a.packetize(sine(f));
      // Every 10th packet lost; arrivals alternate 5 ms early/late.
      if (f % 10 !== 3) b.receive(p, A, f * 20 + (f % 2 ? 5 : -5));
    }
    // |D| is 10 ms between neighbours, 0 across each loss: the estimate sits a little below 10.
    assert.ok(b.stats().jitterMs > 7 && b.stats().jitterMs < 10, String(b.stats().jitterMs));
    // A's SR reaches B 10 ms later; B reports 1 s after that; the RR reaches A 20 ms later.
    const sr = a.buildRtcp(t0);
    assert.deepEqual(b.receiveRtcp(sr, t0 + 10), { bye: false });
    const rr = b.buildRtcp(t0 + 1010);
    const got = a.receiveRtcp(rr, t0 + 1030);
    assert.ok(!('error' in got));
    const rep = got.report;
    assert.ok(rep);
    assert.equal(rep.cumulativeLost, 5);
    assert.equal(rep.fractionLost, Math.floor((5 * 256) / 50) / 256);
    assert.ok(rep.rttMs !== undefined && Math.abs(rep.rttMs - 30) < 0.1, String(rep.rttMs));
    assert.ok(Math.abs(rep.jitterMs - b.stats().jitterMs) < 0.2);
    assert.deepEqual(a.stats().remoteReport, rep);
  });

  it('reports BYE and rejects garbage with a reason', () => {
    const a = session();
    const b = session({ remote: A });
    b.receive(a.packetize(sine(0)), A);
    assert.deepEqual(b.receiveRtcp(a.buildRtcpBye(0)), { bye: true });
    const bad = b.receiveRtcp(Buffer.from([0x80, 201, 0, 7]));
    assert.ok('error' in bad && /overruns/.test(bad.error));
  });

  it('accepts RTCP multiplexed on the RTP port', () => {
    const a = session();
    const b = session({ remote: A });
    assert.equal(b.receive(a.buildRtcp(0), A).kind, 'rtcp');
  });
});

describe('RtpSession clock skips', () => {
  it('moves the RTP timestamp on by the skipped frames and marks the next packet', () => {
    const tx = session({ initialTimestamp: 0 });
    tx.packetize(sine(0));
    tx.skipFrames(10);
    const p = parseRtp(tx.packetize(sine(11)));
    assert.equal(p.timestamp, 160 * 11);
    assert.equal(p.marker, true);
  });
});
