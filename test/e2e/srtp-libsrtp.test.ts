// Our SRTP and SRTCP against libsrtp2, an independent implementation: each
// side unprotects what the other protected with the same master key and salt,
// for both SDES suites, across enough packets to exercise the index and the
// SRTP sequence wrap.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildReceiverReport, buildSdesCname, buildSenderReport } from '../../src/media/rtcp.ts';
import { serializeRtp } from '../../src/media/rtp-packet.ts';
import { SrtpContext, type SrtpSuite } from '../../src/media/srtp.ts';
import { SrtcpContext } from '../../src/media/srtcp.ts';
import { libsrtp } from '../support/libsrtp.ts';

const SUITES: SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
const master = () => randomBytes(30);
const ssrc = 0x5eed1234;

function reports(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) =>
    Buffer.concat([
      i % 2
        ? buildSenderReport(ssrc, { ntp: { seconds: 3_900_000_000 + i, fraction: i }, rtpTimestamp: i * 8000, packetCount: i * 250, octetCount: i * 40_000 }, [])
        : buildReceiverReport(ssrc, []),
      buildSdesCname(ssrc, `door-${i}@intercom`),
    ]),
  );
}

const rtp = (n: number) =>
  Array.from({ length: n }, (_, i) => serializeRtp({ marker: false, payloadType: 0, sequence: (65_500 + i) & 0xffff, timestamp: i * 160, ssrc, csrcs: [], payload: randomBytes(160) }));

function plainOf(results: (Buffer | Error)[]): Buffer[] {
  return results.map((r, i) => {
    if (r instanceof Error) assert.fail(`libsrtp refused packet ${i}: ${r.message}`);
    return r;
  });
}

describe('SRTP and SRTCP interoperate with libsrtp2', { timeout: 60_000 }, () => {
  for (const suite of SUITES) {
    it(`${suite}: SRTCP we protect, libsrtp unprotects, and back`, async () => {
      const k = master();
      const plain = reports(20);
      const ours = new SrtcpContext(k.subarray(0, 16), k.subarray(16));
      assert.deepEqual(plainOf(await libsrtp('unprotect_rtcp', suite, k, plain.map((p) => ours.protect(p)))), plain);
      const theirs = await libsrtp('protect_rtcp', suite, k, plain);
      const rx = new SrtcpContext(k.subarray(0, 16), k.subarray(16));
      assert.deepEqual(plainOf(theirs).map((p) => rx.unprotect(p)), plain);
    });

    it(`${suite}: SRTP both ways across the sequence wrap`, async () => {
      const k = master();
      const plain = rtp(100);
      const tx = new SrtpContext(suite, k.subarray(0, 16), k.subarray(16));
      assert.deepEqual(plainOf(await libsrtp('unprotect', suite, k, plain.map((p) => tx.protect(p)))), plain);
      const rx = new SrtpContext(suite, k.subarray(0, 16), k.subarray(16));
      assert.deepEqual(plainOf(await libsrtp('protect', suite, k, plain)).map((p) => rx.unprotect(p)), plain);
    });
  }

  it('libsrtp refuses an SRTCP packet we protected under another key', async () => {
    const k = master();
    const other = new SrtcpContext(randomBytes(16), k.subarray(16));
    const [r] = await libsrtp('unprotect_rtcp', SUITES[0]!, k, [other.protect(reports(1)[0]!)]);
    assert.ok(r instanceof Error, 'libsrtp accepted a packet under the wrong key');
  });
});
