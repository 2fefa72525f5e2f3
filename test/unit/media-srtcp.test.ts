// SRTCP (RFC 3711 §3.4): round trips, what stays in the clear, the E flag and
// index, tampering, replays, and reports sent unencrypted (E = 0).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { buildReceiverReport, buildSdesCname, parseRtcp } from '../../src/media/rtcp.ts';
import { deriveSrtpKeys, SrtpError } from '../../src/media/srtp.ts';
import { SrtcpContext } from '../../src/media/srtcp.ts';

const KEY = Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139', 'hex');
const SALT = Buffer.from('0EC675AD498AFEEBB6960B3AABE6', 'hex');
const report = () => Buffer.concat([buildReceiverReport(0xdeadbeef, []), buildSdesCname(0xdeadbeef, 'door@station.example')]);

describe('SrtcpContext', () => {
  it('keeps header and SSRC clear, encrypts the rest, and appends E|index and an 80-bit tag', () => {
    const tx = new SrtcpContext(KEY, SALT);
    const plain = report();
    const first = tx.protect(plain);
    const second = tx.protect(plain);
    assert.equal(first.length, plain.length + 4 + 10);
    assert.deepEqual(first.subarray(0, 8), plain.subarray(0, 8));
    assert.ok(!first.includes(Buffer.from('door@station')));
    assert.equal(first.readUInt32BE(plain.length), 0x80000000);
    assert.equal(second.readUInt32BE(plain.length), 0x80000001);
    assert.notDeepEqual(first.subarray(8, plain.length), second.subarray(8, plain.length), 'a fresh keystream per index');
    const rx = new SrtcpContext(KEY, SALT);
    assert.deepEqual(rx.unprotect(first), plain);
    assert.deepEqual(parseRtcp(rx.unprotect(second))[1], { type: 'sdes', chunks: [{ ssrc: 0xdeadbeef, cname: 'door@station.example' }] });
  });

  it('refuses a tampered packet, another key, a replay and plain RTCP', () => {
    const tx = new SrtcpContext(KEY, SALT);
    const rx = new SrtcpContext(KEY, SALT);
    const wire = Array.from({ length: 70 }, () => tx.protect(report()));
    const bad = Buffer.from(wire[0]!);
    bad[12]! ^= 1;
    assert.throws(() => rx.unprotect(bad), /authentication/);
    assert.throws(() => new SrtcpContext(Buffer.alloc(16), SALT).unprotect(wire[0]!), /authentication/);
    assert.throws(() => rx.unprotect(report()), SrtpError);
    for (const p of wire) rx.unprotect(p);
    assert.throws(() => rx.unprotect(wire[69]!), /replayed/);
    assert.throws(() => rx.unprotect(wire[1]!), /too old/);
  });

  it('accepts an authentic report the sender did not encrypt (E = 0)', () => {
    // Built by hand as §3.4 describes: clear payload, E = 0, index 5, tag over all of it with the SRTCP auth key (label 4).
    const plain = report();
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(5);
    const authenticated = Buffer.concat([plain, trailer]);
    const tag = createHmac('sha1', deriveSrtpKeys(KEY, SALT, 3).authKey).update(authenticated).digest().subarray(0, 10);
    assert.deepEqual(new SrtcpContext(KEY, SALT).unprotect(Buffer.concat([authenticated, tag])), plain);
  });

  it('garbage never throws anything but SrtpError', () => {
    const rx = new SrtcpContext(KEY, SALT);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        assert.throws(() => rx.unprotect(Buffer.from(b)), SrtpError);
      }),
      { numRuns: 300 },
    );
  });
});
