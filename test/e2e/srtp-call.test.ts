// SRTP with SDES keys (RFC 3711, RFC 4568) against baresip's srtp module,
// which requires it on every call (mediaenc=srtp-mand): the door's offer
// carries RTP/SAVP and its key, both sides hear each other through the
// encryption, RTCP flows both ways as SRTCP, and a phone that cannot do SRTP
// never gets the call in the clear.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { captureLoopback, type LoopbackCapture } from '../support/capture.ts';
import { parseRtcp } from '../../src/media/rtcp.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101', '102': 'pw102' };

describe('SRTP (SDES) call', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  let secure: Baresip;
  let plain: Baresip;
  let door: IntercomInstance;
  let capture: LoopbackCapture | undefined;
  const tmp = makeTempDir('srtp-');
  const doorTone = join(tmp.path, 'door-1000.wav');
  const phoneTone = join(tmp.path, 'phone-440.wav');
  const doorHeard = join(tmp.path, 'door-heard.wav');

  before(async () => {
    await makeToneWav(doorTone, { freq: 1000, seconds: 2 });
    // baresip hangs up when its source file ends: long enough for several RTCP intervals.
    await makeToneWav(phoneTone, { freq: 440, seconds: 60 });
    kam = await startKamailio({ users: PASSWORDS });
    secure = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true, sourceWav: phoneTone, srtp: true });
    plain = await startBaresip({ user: '102', password: PASSWORDS['102'], registrar: kam, autoAnswer: true });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door, srtp: true },
      buttons: [
        { name: 'bell', call: ['101'] },
        { name: 'plain', call: ['102'] },
      ],
      audio: { input: `file:${doorTone}`, output: `file:${doorHeard}` },
      calls: { min_interval: 0 },
    });
  });

  after(async () => {
    await capture?.stop().catch(() => []);
    await door?.terminate().catch(() => {});
    await secure?.stop();
    await plain?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('a call to an SRTP-only phone carries audio both ways, encrypted, and RTCP as SRTCP', async (t) => {
    // baresip takes its RTP ports from 10000-19998 (support/baresip.ts); the door's RTCP goes to one of them.
    capture = await captureLoopback(tmp.path, 'portrange 10000-19999');
    assert.equal((await door.cli('press')).code, 0);
    await secure.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    // The phone's SRTCP reports are authentic to the door, and one of them answers our
    // sender report (its LSR), which gives a round trip: both need the reports to decrypt.
    const rtcp = await waitUntil(
      'an SRTCP report from the phone with a round trip',
      async () => {
        const c = (await door.status()).call;
        return c?.rtcp && c.rtcp.received > 0 && c.rtcp.rttMs !== undefined ? c : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    t.diagnostic(`door status: rtcp ${JSON.stringify(rtcp.rtcp)}, srtp ${JSON.stringify(rtcp.srtp)}`);
    assert.ok(rtcp.srtp, 'status shows the call as encrypted');
    assert.equal((await door.cli('hangup')).code, 0);
    await secure.waitForEvent('CALL_CLOSED', 5000);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
    assert.match(door.logs(), /event=media\.started .*srtp=true/);
    const atPhone = await measureTone(secure.receivedWav(), 1000);
    const atDoor = await measureTone(doorHeard, 440);
    t.diagnostic(`phone heard 1 kHz at ${atPhone.dbfs.toFixed(1)} dBFS, door heard 440 Hz at ${atDoor.dbfs.toFixed(1)} dBFS`);
    assert.ok(atPhone.dbfs > -30, `1 kHz at the phone: ${atPhone.dbfs.toFixed(1)} dBFS`);
    assert.ok(atDoor.dbfs > -30, `440 Hz at the door: ${atDoor.dbfs.toFixed(1)} dBFS`);

    // What the door sent to the phone's RTCP port: SRTCP, every packet with the E flag and
    // the next SRTCP index (RFC 3711 §3.4), none of them readable as plain RTCP.
    const phoneRtp = Number(/event=media\.started .*remote=[\d.]+:(\d+)/.exec(door.logs())?.[1]);
    const sent = (await capture.stop()).filter((d) => d.dst.port === phoneRtp + 1 && d.payload.length > 8 && d.payload[1]! >= 200 && d.payload[1]! <= 204);
    t.diagnostic(`${sent.length} RTCP packets from the door to port ${phoneRtp + 1}`);
    assert.ok(sent.length >= 2, `the door sent ${sent.length} RTCP packets`);
    sent.forEach((d, i) => {
      const trailer = d.payload.readUInt32BE(d.payload.length - 14);
      assert.equal(trailer >>> 31, 1, `packet ${i}: E flag`);
      assert.equal(trailer & 0x7fffffff, i, `packet ${i}: SRTCP index`);
      assert.throws(() => parseRtcp(d.payload), Error, `packet ${i} reads as plain RTCP`);
    });
  });

  it('a phone without SRTP: no call in the clear', async () => {
    assert.equal((await door.cli('press', '--button', 'plain')).code, 0);
    await waitUntil('call over', async () => /event=call\.(ended|bad-answer|failed)/.test(door.logs().split('button=plain').at(-1) ?? ''), { timeoutMs: 10_000, intervalMs: 100 });
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 10_000 });
    const after = door.logs().split('button=plain').at(-1) ?? '';
    assert.doesNotMatch(after, /event=media\.started/);
    assert.match(after, /event=call\.(ended|bad-answer) .*(SRTP|status=488|answered=false)/);
  });
});
