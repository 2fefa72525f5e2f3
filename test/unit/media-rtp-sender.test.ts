import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RtpSender } from '../../src/media/rtp-sender.ts';
import { parseRtp } from '../../src/media/rtp-packet.ts';

describe('RtpSender', () => {
  it('numbers packets and advances the timestamp per frame, marking the first', () => {
    const s = new RtpSender({ payloadType: 0, ssrc: 42, initialSequence: 100, initialTimestamp: 1000 });
    const a = parseRtp(s.sendFrame(Buffer.alloc(160), 160));
    const b = parseRtp(s.sendFrame(Buffer.alloc(160), 160));
    assert.deepEqual([a.sequence, a.timestamp, a.marker, a.ssrc, a.payloadType], [100, 1000, true, 42, 0]);
    assert.deepEqual([b.sequence, b.timestamp, b.marker], [101, 1160, false]);
    assert.equal(s.packetCount, 2);
    assert.equal(s.octetCount, 320);
  });

  it('wraps the sequence at 16 bits and the timestamp at 32 bits', () => {
    const s = new RtpSender({ payloadType: 8, ssrc: 1, initialSequence: 0xffff, initialTimestamp: 0xffffff00 });
    const a = parseRtp(s.sendFrame(Buffer.alloc(1), 0x80));
    const b = parseRtp(s.sendFrame(Buffer.alloc(1), 0x80));
    const c = parseRtp(s.sendFrame(Buffer.alloc(1), 0x80));
    assert.deepEqual([a.sequence, b.sequence, c.sequence], [0xffff, 0, 1]);
    assert.deepEqual([a.timestamp, b.timestamp, c.timestamp], [0xffffff00, 0xffffff80, 0]);
  });

  it('sets the marker again after a talkspurt restart and skipped time', () => {
    const s = new RtpSender({ payloadType: 0, ssrc: 1, initialSequence: 0, initialTimestamp: 0 });
    s.sendFrame(Buffer.alloc(160), 160);
    s.advance(1600);
    s.startTalkspurt();
    const p = parseRtp(s.sendFrame(Buffer.alloc(160), 160));
    assert.equal(p.marker, true);
    assert.equal(p.timestamp, 1760);
    assert.equal(p.sequence, 1);
  });

  it('sends event packets at a fixed timestamp with their own payload type', () => {
    const s = new RtpSender({ payloadType: 0, ssrc: 1, initialSequence: 5, initialTimestamp: 800 });
    const p = parseRtp(s.send(Buffer.alloc(4), { payloadType: 101, timestamp: 640, marker: true }));
    assert.deepEqual([p.payloadType, p.timestamp, p.marker, p.sequence], [101, 640, true, 5]);
    assert.equal(s.timestamp, 800);
    assert.equal(s.nextSequence, 6);
  });

  it('picks random SSRC, sequence and timestamp', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const s = new RtpSender({ payloadType: 0 });
      seen.add(`${s.ssrc}/${s.nextSequence}/${s.timestamp}`);
      assert.ok(s.ssrc >= 0 && s.ssrc <= 0xffffffff);
      assert.ok(s.nextSequence >= 0 && s.nextSequence <= 0xffff);
    }
    assert.equal(seen.size, 20);
  });
});
