// A new SRTP key in a re-INVITE (RFC 4568 §7.1.4): SIPp plays the phone's
// signalling and changes its key mid-call; the phone's media is played by
// this test, protected by libsrtp2 under the first key and then the second.
// The door must take audio under each key in turn and answer the re-INVITE
// with a crypto line again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { serializeRtp } from '../../src/media/rtp-packet.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { libsrtp } from '../support/libsrtp.ts';
import { freePort, releasePort } from '../support/ports.ts';
import { waitUntil } from '../support/process.ts';
import { startSipp } from '../support/sipp.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret' };
const SUITE = 'AES_CM_128_HMAC_SHA1_80';

async function protectedStream(key: Buffer, firstSeq: number, count: number): Promise<Buffer[]> {
  const plain = Array.from({ length: count }, (_, i) =>
    serializeRtp({ marker: false, payloadType: 0, sequence: firstSeq + i, timestamp: (firstSeq + i) * 160, ssrc: 0x51ee7, csrcs: [], payload: Buffer.alloc(160, 0xff) }),
  );
  return (await libsrtp('protect', SUITE, key, plain)).map((p) => {
    if (p instanceof Error) throw p;
    return p;
  });
}

describe('SRTP re-key by re-INVITE', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  let door: IntercomInstance | undefined;
  let media: Socket | undefined;
  let mediaPort = 0;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    mediaPort = await freePort('127.0.0.1', 2);
  });

  after(async () => {
    media?.close();
    releasePort(mediaPort, 2);
    await door?.terminate().catch(() => {});
    await kam?.stop();
  });

  it('audio under the old key, then under the new one once the re-INVITE is answered', async (t) => {
    const key1 = randomBytes(30);
    const key2 = randomBytes(30);
    const [first, second] = await Promise.all([protectedStream(key1, 1000, 250), protectedStream(key2, 1250, 250)]);
    const sock = (media = createSocket('udp4'));
    let doorMedia: { address: string; port: number } | undefined;
    sock.on('message', (_m, from) => (doorMedia ??= { address: from.address, port: from.port }));
    await new Promise<void>((resolve) => sock.bind(mediaPort, '127.0.0.1', resolve));

    const sipp = await startSipp({
      scenario: 'uas-srtp-rekey',
      pauseMs: 3000,
      timeoutMs: 40_000,
      keys: { mport: String(mediaPort), mip: '127.0.0.1', key1: key1.toString('base64'), key2: key2.toString('base64') },
    });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door, srtp: true },
      buttons: [{ name: 'bell', call: [sipp.uri('rekey')] }],
      audio: { input: 'none', output: 'none' },
    });
    const d = door;
    try {
      await d.cli('press');
      const to = await waitUntil('the door media', () => doorMedia, { timeoutMs: 10_000, intervalMs: 20 });
      // Paced like a phone, 20 ms a packet, from the port the door sends to (symmetric RTP).
      let stream = first;
      let next = 0;
      const pacer = setInterval(() => {
        const p = stream[next++];
        if (p) sock.send(p, to.port, to.address);
      }, 20);
      try {
        const call = async () => (await d.status()).call;
        await waitUntil('audio under the first key', async () => ((await call())?.rtp?.packetsReceived ?? 0) >= 20, { timeoutMs: 10_000, intervalMs: 100 });
        await waitUntil('the re-key', () => /event=media\.srtp-rekeyed ours=false theirs=true/.test(d.logs()), { timeoutMs: 15_000, intervalMs: 20 });
        stream = second;
        next = 0;
        await new Promise((r) => setTimeout(r, 300));
        const before = await call();
        await new Promise((r) => setTimeout(r, 2000));
        const after = await call();
        t.diagnostic(`after the re-key: rtp ${JSON.stringify(before?.rtp)} -> ${JSON.stringify(after?.rtp)}, srtp ${JSON.stringify(before?.srtp)} -> ${JSON.stringify(after?.srtp)}`);
        assert.ok(before?.rtp && after?.rtp && before.srtp && after.srtp, 'status shows RTP reception and SRTP');
        assert.ok(after.rtp.packetsReceived - before.rtp.packetsReceived >= 50, 'packets under the new key decrypted');
        assert.equal(after.srtp.dropped, before.srtp.dropped, 'none refused once both sides use the new key');
      } finally {
        clearInterval(pacer);
      }
      const r = await sipp.done;
      assert.equal(r.successful, 1, r.errors || r.output);
      assert.doesNotMatch(d.logs(), /event=call\.reoffer-refused/);
    } finally {
      await sipp.stop();
    }
  });
});
