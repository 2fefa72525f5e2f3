import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ReceptionStats,
  RtcpError,
  buildBye,
  buildReceiverReport,
  buildSdesCname,
  buildSenderReport,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  roundTripMs,
} from '../../src/media/rtcp.ts';
import type { ReportBlock } from '../../src/media/rtcp.ts';

const block: ReportBlock = {
  ssrc: 0xcafebabe,
  fractionLost: 25,
  cumulativeLost: -3,
  highestSequence: 0x1_0005,
  jitter: 77,
  lastSr: 0x12345678,
  delaySinceLastSr: 65536,
};

describe('NTP timestamps', () => {
  it('converts Unix milliseconds', () => {
    assert.deepEqual(ntpFromUnixMs(0), { seconds: 2208988800, fraction: 0 });
    assert.deepEqual(ntpFromUnixMs(1500), { seconds: 2208988801, fraction: 0x80000000 });
    // 2036 rollover of the NTP era: seconds wrap to 0.
    assert.equal(ntpFromUnixMs((0x100000000 - 2208988800) * 1000).seconds, 0);
    assert.equal(ntpMiddle32({ seconds: 0xaabbccdd, fraction: 0x11223344 }), 0xccdd1122);
  });
});

describe('RTCP build and parse', () => {
  it('round-trips an SR with a report block', () => {
    const sender = { ntp: ntpFromUnixMs(1_700_000_000_250), rtpTimestamp: 123456, packetCount: 50, octetCount: 8000 };
    const sr = buildSenderReport(0x11111111, sender, [block]);
    assert.equal(sr.length, 52);
    assert.equal(sr.readUInt16BE(2), 12);
    assert.deepEqual(parseRtcp(sr), [{ type: 'sr', ssrc: 0x11111111, sender, reports: [block] }]);
  });

  it('round-trips an RR and an empty RR', () => {
    assert.deepEqual(parseRtcp(buildReceiverReport(7, [block])), [{ type: 'rr', ssrc: 7, reports: [block] }]);
    const empty = buildReceiverReport(7);
    assert.equal(empty.length, 8);
    assert.equal(empty[0], 0x80);
    assert.deepEqual(parseRtcp(empty), [{ type: 'rr', ssrc: 7, reports: [] }]);
  });

  it('builds an SDES CNAME padded to 32 bits, and parses a compound packet', () => {
    for (const cname of ['a', 'ab', 'abc', 'door@127.0.0.2', 'exactly8']) {
      const sdes = buildSdesCname(9, cname);
      assert.equal(sdes.length % 4, 0);
      const compound = Buffer.concat([buildReceiverReport(9), sdes, buildBye(9, 'hangup')]);
      assert.deepEqual(parseRtcp(compound), [
        { type: 'rr', ssrc: 9, reports: [] },
        { type: 'sdes', chunks: [{ ssrc: 9, cname }] },
        { type: 'bye', ssrcs: [9], reason: 'hangup' },
      ]);
    }
  });

  it('keeps unknown packet types as "other"', () => {
    const app = Buffer.from([0x80, 204, 0, 2, 0, 0, 0, 1, 0x41, 0x42, 0x43, 0x44]);
    assert.deepEqual(parseRtcp(app), [{ type: 'other', packetType: 204 }]);
  });

  const bad: [string, Buffer, RegExp][] = [
    ['too short', Buffer.from([0x80, 201]), /too short/],
    ['version 1', Buffer.from([0x40, 201, 0, 1, 0, 0, 0, 1]), /version 1/],
    ['length overrun', Buffer.from([0x80, 201, 0, 9, 0, 0, 0, 1]), /overruns/],
    ['truncated SR', Buffer.from([0x81, 200, 0, 1, 0, 0, 0, 1]), /SR.*needs 52/],
    ['trailing bytes', Buffer.concat([buildReceiverReport(1), Buffer.from([0x80])]), /trailing 1 bytes/],
    ['SDES unterminated', Buffer.from([0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 0x41, 0x42]), /not terminated/],
  ];
  for (const [name, buf, re] of bad) {
    it(`rejects ${name} with a one-line reason`, () => {
      assert.throws(() => parseRtcp(buf), (e: unknown) => e instanceof RtcpError && re.test(e.message));
    });
  }

  it('never throws anything but RtcpError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const b = Buffer.from(bytes);
        if (b.length > 0) b[0] = 0x80 | ((b[0] as number) & 0x3f);
        try {
          parseRtcp(b);
        } catch (e) {
          assert.ok(e instanceof RtcpError, String(e));
        }
      }),
    );
  });
});

describe('ReceptionStats', () => {
  it('counts expected, lost and the fraction lost per interval (§A.3)', () => {
    const s = new ReceptionStats();
    for (let seq = 1000; seq < 1100; seq++) if (seq !== 1010) s.update(seq, seq * 160);
    assert.equal(s.expected, 100);
    assert.equal(s.lost, 1);
    const r1 = s.reportBlock(5, 0);
    assert.equal(r1.fractionLost, 2); // floor(256 * 1 / 100)
    assert.equal(r1.cumulativeLost, 1);
    assert.equal(r1.highestSequence, 1099);
    for (let seq = 1100; seq < 1150; seq++) s.update(seq, seq * 160);
    const r2 = s.reportBlock(5, 0);
    assert.equal(r2.fractionLost, 0);
    assert.equal(r2.cumulativeLost, 1);
  });

  it('extends the sequence across the wrap and tolerates reordering and duplicates', () => {
    const s = new ReceptionStats();
    for (const seq of [65530, 65531, 65533, 65532, 65534, 65535, 0, 1, 1, 2]) s.update(seq, 0);
    assert.equal(s.extendedMax, 65536 + 2);
    assert.equal(s.expected, 9);
    assert.equal(s.lost, -1); // one duplicate, nothing missing
    assert.equal(s.reportBlock(1, 0).fractionLost, 0);
  });

  it('accepts a sequence jump only when the next packet confirms it', () => {
    const s = new ReceptionStats();
    for (let seq = 0; seq < 10; seq++) s.update(seq, 0);
    s.update(30000, 0); // stray: ignored
    s.update(10, 0);
    assert.equal(s.expected, 11);
    s.update(40000, 0);
    s.update(40001, 0);
    assert.equal(s.expected, 1); // restarted at 40001
  });

  it('estimates interarrival jitter (§A.8)', () => {
    const s = new ReceptionStats();
    for (let i = 0; i < 200; i++) s.update(i, i * 160, i * 160 + 1000);
    assert.equal(s.jitter, 0);
    const t = new ReceptionStats();
    // Every packet arrives alternately 40 units early or late: |D| = 80.
    for (let i = 0; i < 400; i++) t.update(i, (0xffffff00 + i * 160) >>> 0, i * 160 + (i % 2 ? 40 : -40));
    assert.ok(Math.abs(t.jitter - 80) < 0.01, String(t.jitter));
    assert.equal(t.reportBlock(1, 0).jitter, 79);
  });

  it('fills LSR and DLSR from the last SR, and the RTT follows (§6.4.1)', () => {
    const s = new ReceptionStats();
    s.update(1, 0);
    const srNtp = ntpFromUnixMs(1_700_000_000_000);
    s.noteSenderReport(srNtp, 1_700_000_000_020);
    const r = s.reportBlock(1, 1_700_000_000_520);
    assert.equal(r.lastSr, ntpMiddle32(srNtp));
    assert.equal(r.delaySinceLastSr, 32768);
    // The SR's sender gets this block back 540 ms after sending the SR: 40 ms RTT.
    const rtt = roundTripMs(r, 1_700_000_000_540);
    assert.ok(rtt !== undefined && Math.abs(rtt - 40) < 0.1, String(rtt));
    assert.equal(roundTripMs({ ...r, lastSr: 0 }, 0), undefined);
  });
});
