import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RtpError, isRtcpPacket, parseRtp, serializeRtp } from '../../src/media/rtp-packet.ts';
import type { RtpPacket } from '../../src/media/rtp-packet.ts';

function header(b0: number, b1: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = b0;
  b[1] = b1;
  b.writeUInt16BE(1234, 2);
  b.writeUInt32BE(0xdeadbeef, 4);
  b.writeUInt32BE(0x01020304, 8);
  return b;
}

describe('parseRtp', () => {
  it('parses the fixed header', () => {
    const p = parseRtp(Buffer.concat([header(0x80, 0x80 | 8), Buffer.from([1, 2, 3])]));
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 8);
    assert.equal(p.sequence, 1234);
    assert.equal(p.timestamp, 0xdeadbeef);
    assert.equal(p.ssrc, 0x01020304);
    assert.deepEqual(p.csrcs, []);
    assert.deepEqual([...p.payload], [1, 2, 3]);
  });

  it('skips CSRCs, the header extension and padding', () => {
    const csrc = Buffer.alloc(8);
    csrc.writeUInt32BE(7, 0);
    csrc.writeUInt32BE(9, 4);
    const ext = Buffer.from([0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00]);
    const payload = Buffer.from([5, 6]);
    const pad = Buffer.from([0, 0, 3]);
    const p = parseRtp(Buffer.concat([header(0x80 | 0x20 | 0x10 | 2, 0), csrc, ext, payload, pad]));
    assert.deepEqual(p.csrcs, [7, 9]);
    assert.equal(p.extension?.profile, 0xbede);
    assert.equal(p.extension?.data.length, 4);
    assert.deepEqual([...p.payload], [5, 6]);
  });

  const bad: [string, Buffer, RegExp][] = [
    ['short', Buffer.alloc(11), /too short: 11 bytes/],
    ['version 1', header(0x40, 0), /version 1, expected 2/],
    ['version 0', header(0x00, 0), /version 0/],
    ['CSRC overrun', header(0x83, 0), /CSRC list \(3 entries\) overruns/],
    ['extension header overrun', header(0x90, 0), /extension header overruns/],
    ['extension body overrun', Buffer.concat([header(0x90, 0), Buffer.from([0, 0, 0, 5])]), /extension \(5 words\) overruns/],
    ['padding zero', Buffer.concat([header(0xa0, 0), Buffer.from([1, 0])]), /padding count is 0/],
    ['padding overrun', Buffer.concat([header(0xa0, 0), Buffer.from([1, 9])]), /padding count 9 exceeds/],
  ];
  for (const [name, buf, re] of bad) {
    it(`rejects ${name} with a one-line reason`, () => {
      assert.throws(() => parseRtp(buf), (e: unknown) => e instanceof RtpError && re.test(e.message) && !e.message.includes('\n'));
    });
  }

  it('never throws anything but RtpError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          parseRtp(Buffer.from(bytes));
        } catch (e) {
          assert.ok(e instanceof RtpError);
        }
      }),
    );
  });
});

describe('serializeRtp', () => {
  it('round-trips arbitrary packets', () => {
    const packet = fc.record({
      marker: fc.boolean(),
      payloadType: fc.integer({ min: 0, max: 127 }),
      sequence: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.integer({ min: 0, max: 0xffffffff }),
      ssrc: fc.integer({ min: 0, max: 0xffffffff }),
      csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
      payload: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      ext: fc.option(
        fc.record({ profile: fc.integer({ min: 0, max: 0xffff }), words: fc.integer({ min: 0, max: 4 }) }),
      ),
    });
    fc.assert(
      fc.property(packet, ({ ext, ...rest }) => {
        const p: RtpPacket = { ...rest };
        if (ext) p.extension = { profile: ext.profile, data: Buffer.alloc(ext.words * 4, 0x5a) };
        const back = parseRtp(serializeRtp(p));
        assert.deepEqual({ ...back, payload: [...back.payload], extension: back.extension && { ...back.extension, data: [...back.extension.data] } }, {
          ...p,
          payload: [...p.payload],
          extension: p.extension && { ...p.extension, data: [...p.extension.data] },
        });
      }),
    );
  });
});

describe('isRtcpPacket', () => {
  it('applies the RFC 5761 192-223 rule', () => {
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1]);
    assert.equal(isRtcpPacket(rr), true);
    assert.equal(isRtcpPacket(Buffer.from([0x81, 200, 0, 6, 0, 0, 0, 1])), true);
    assert.equal(isRtcpPacket(header(0x80, 0)), false);
    assert.equal(isRtcpPacket(header(0x80, 0x80 | 0)), false);
    assert.equal(isRtcpPacket(header(0x80, 224)), false);
    assert.equal(isRtcpPacket(Buffer.from([0x80, 200])), false);
  });
});
