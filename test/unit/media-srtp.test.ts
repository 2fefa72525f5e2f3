// SRTP (RFC 3711) against the RFC's own test vectors, then round trips,
// tampering, replays and sequence-number wrap.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deriveSrtpKeys, SrtpContext, SrtpError, srtpKeystream } from '../../src/media/srtp.ts';
import { serializeRtp } from '../../src/media/rtp-packet.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SRTP test vectors (RFC 3711 Appendix B)', () => {
  it('B.2 AES-CM keystream', () => {
    const ks = srtpKeystream({ cipherKey: hex('2B7E151628AED2A6ABF7158809CF4F3C'), cipherSalt: hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD') }, 0, 0n, 32);
    assert.equal(ks.subarray(0, 16).toString('hex').toUpperCase(), 'E03EAD0935C95E80E166B16DD92B4EB4');
  });

  it('B.3 key derivation', () => {
    const k = deriveSrtpKeys(hex('E1F97A0D3E018BE0D64FA32C06DE4139'), hex('0EC675AD498AFEEBB6960B3AABE6'));
    assert.equal(k.cipherKey.toString('hex').toUpperCase(), 'C61E7A93744F39EE10734AFE3FF7A087');
    assert.equal(k.cipherSalt.toString('hex').toUpperCase(), '30CBBC08863D8C85D49DB34A9AE1');
    assert.equal(k.authKey.toString('hex').toUpperCase(), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });
});

const KEY = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
const SALT = hex('0EC675AD498AFEEBB6960B3AABE6');
const rtp = (seq: number, payload = Buffer.from('door audio frame')) =>
  serializeRtp({ marker: false, payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: 0xdeadbeef, csrcs: [], payload });

describe('SrtpContext', () => {
  it('round trip for both suites; the payload is encrypted, the header is not', () => {
    for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
      const tx = new SrtpContext(suite, KEY, SALT);
      const rx = new SrtpContext(suite, KEY, SALT);
      const plain = rtp(7);
      const wire = tx.protect(plain);
      assert.equal(wire.length, plain.length + (suite.endsWith('80') ? 10 : 4));
      assert.deepEqual(wire.subarray(0, 12), plain.subarray(0, 12));
      assert.ok(!wire.includes(Buffer.from('door audio')));
      assert.deepEqual(rx.unprotect(wire), plain);
    }
  });

  it('refuses a tampered packet, a wrong key, a replay and one older than the window', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY, SALT);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY, SALT);
    const packets = Array.from({ length: 100 }, (_, i) => tx.protect(rtp(i)));
    const bad = Buffer.from(packets[0]!);
    bad[20]! ^= 1;
    assert.throws(() => rx.unprotect(bad), (e: unknown) => e instanceof SrtpError && /authentication/.test(e.message));
    const other = new SrtpContext('AES_CM_128_HMAC_SHA1_80', hex('00'.repeat(16)), SALT);
    assert.throws(() => other.unprotect(packets[0]!), SrtpError);
    for (const p of packets) rx.unprotect(p);
    assert.throws(() => rx.unprotect(packets[99]!), /replayed/);
    assert.throws(() => rx.unprotect(packets[10]!), /too old/);
  });

  it('follows the rollover counter across the 16-bit sequence wrap, with reordering', () => {
    const tx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY, SALT);
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY, SALT);
    const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
    const wire = seqs.map((s) => tx.protect(rtp(s)));
    // Delivered slightly out of order around the wrap.
    for (const i of [0, 1, 2, 4, 3, 6, 5, 7, 9, 8]) assert.deepEqual(rx.unprotect(wire[i]!), rtp(seqs[i]!));
  });

  it('garbage never throws anything but SrtpError', () => {
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', KEY, SALT);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          rx.unprotect(Buffer.from(b));
          assert.fail('garbage authenticated');
        } catch (e) {
          assert.ok(e instanceof SrtpError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});
