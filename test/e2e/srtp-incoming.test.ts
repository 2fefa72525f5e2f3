// SRTP on calls to the door (RFC 4568 answerer) and on re-INVITEs in an
// encrypted call, against baresip through Kamailio: an SRTP offer is answered
// with our own key and runs encrypted both ways; with sip.srtp a plain offer
// is refused 488; without it a "best effort" offer (RTP/AVP with a key) still
// runs SRTP; hold and resume keep the audio decrypting.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { readWav } from '../support/wav.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', door2: 'door2-secret', '101': 'pw101', '102': 'pw102', '103': 'pw103' };

/** The 1 kHz level in the last `seconds` of a phone's newest recording. */
async function lastSecondsOfTone(phone: Baresip, seconds: number): Promise<number> {
  const path = phone.receivedWav();
  const wav = readWav(path);
  const end = wav.samples.length / wav.sampleRate;
  return (await measureTone(path, 1000, { fromSec: Math.max(0, end - seconds), toSec: end })).dbfs;
}

describe('SRTP on incoming calls and re-INVITEs', { timeout: 150_000 }, () => {
  const tmp = makeTempDir('srtp-in-');
  const doorTone = join(tmp.path, 'door-1000.wav');
  const phoneTone = join(tmp.path, 'phone-440.wav');
  let kam: Kamailio;
  let secure: Baresip;
  let plain: Baresip;
  let bestEffort: Baresip;
  let door: IntercomInstance;
  let lenient: IntercomInstance;

  before(async () => {
    await makeToneWav(doorTone, { freq: 1000, seconds: 2 });
    // baresip hangs up when its source file ends.
    await makeToneWav(phoneTone, { freq: 440, seconds: 60 });
    kam = await startKamailio({ users: PASSWORDS });
    secure = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, sourceWav: phoneTone, srtp: true });
    plain = await startBaresip({ user: '102', password: PASSWORDS['102'], registrar: kam });
    bestEffort = await startBaresip({ user: '103', password: PASSWORDS['103'], registrar: kam, sourceWav: phoneTone, srtp: 'best-effort' });
    const common = {
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: `file:${doorTone}`, output: 'none' },
      incoming: { enabled: true, allow: ['101', '102', '103'] },
    };
    door = await startIntercom({ ...common, sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door, srtp: true } });
    lenient = await startIntercom({ ...common, sip: { server: kam.hostport, user: 'door2', password: PASSWORDS.door2 } });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await lenient?.terminate().catch(() => {});
    for (const p of [secure, plain, bestEffort]) await p?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('an SRTP call to the door is answered with our key; hold and resume keep both directions decrypting', async (t) => {
    await secure.dial(`sip:door@${kam.hostport}`);
    await secure.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    assert.match(door.logs(), /event=media\.started .*srtp=true/);
    assert.match(secure.logs(), /SRTP is Enabled/);
    await new Promise((r) => setTimeout(r, 1500));

    await secure.command('hold');
    await waitUntil('hold re-INVITE answered', () => (door.logs().match(/event=call\.reoffer-answered/g) ?? []).length >= 1, { timeoutMs: 10_000, intervalMs: 50 });
    await new Promise((r) => setTimeout(r, 1000));
    await secure.command('resume');
    await waitUntil('resume re-INVITE answered', () => (door.logs().match(/event=call\.reoffer-answered/g) ?? []).length >= 2, { timeoutMs: 10_000, intervalMs: 50 });
    assert.doesNotMatch(door.logs(), /event=call\.reoffer-refused/);
    assert.match(door.logs(), /event=call\.reoffer-answered direction=sendrecv srtp=true/);

    // The door keeps taking the phone's audio after resume: accepted packets grow, refused ones do not.
    const before = (await door.status()).call;
    await new Promise((r) => setTimeout(r, 2500));
    const after = (await door.status()).call;
    t.diagnostic(`after resume: rtp ${JSON.stringify(before?.rtp)} -> ${JSON.stringify(after?.rtp)}, srtp ${JSON.stringify(before?.srtp)} -> ${JSON.stringify(after?.srtp)}`);
    assert.ok(before?.rtp && after?.rtp && before.srtp && after.srtp, 'status shows RTP reception and SRTP');
    assert.ok(after.rtp.packetsReceived - before.rtp.packetsReceived >= 50, 'packets decrypted after resume');
    assert.ok(after.srtp.dropped - before.srtp.dropped <= 2, `packets refused after resume: ${after.srtp.dropped - before.srtp.dropped}`);

    t.diagnostic(`re-keyed by the re-INVITEs: ${/event=media\.srtp-rekeyed/.test(door.logs())}`);
    await secure.hangup();
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
    // And the phone hears the door after resume.
    const heard = await lastSecondsOfTone(secure, 2);
    t.diagnostic(`phone heard 1 kHz at ${heard.toFixed(1)} dBFS in the last 2 s`);
    assert.ok(heard > -30, `1 kHz at the phone after resume: ${heard.toFixed(1)} dBFS`);
  });

  it('with sip.srtp a plain offer is refused 488, nothing in the clear', async () => {
    await plain.dial(`sip:door@${kam.hostport}`);
    const closed = await plain.waitForEvent('CALL_CLOSED', 10_000);
    assert.match(String(closed.param), /488/);
    // The door's log comes through another pipe than baresip's event: it may trail it a little.
    await waitUntil('the refusal logged', () => /event=incoming\.bad-offer .*no SRTP key/.test(door.logs()), { timeoutMs: 5000, intervalMs: 50 });
    assert.equal((await door.status()).call, null);
  });

  it('without sip.srtp a best-effort offer (RTP/AVP with a key) still runs SRTP', async (t) => {
    await bestEffort.dial(`sip:door2@${kam.hostport}`);
    await bestEffort.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await lenient.status()).call?.state === 'active', { timeoutMs: 5000 });
    assert.match(lenient.logs(), /event=media\.started .*srtp=true/);
    await waitUntil('the phone turned SRTP on', () => /SRTP is Enabled/.test(bestEffort.logs()), { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 2000));
    const call = (await lenient.status()).call;
    assert.ok(call?.srtp && call.rtp && call.rtp.packetsReceived > 20, `decrypted packets: ${JSON.stringify(call)}`);
    await bestEffort.hangup();
    await waitUntil('door idle', async () => (await lenient.status()).call === null, { timeoutMs: 5000 });
    const heard = await lastSecondsOfTone(bestEffort, 1.5);
    t.diagnostic(`phone heard 1 kHz at ${heard.toFixed(1)} dBFS`);
    assert.ok(heard > -30, `1 kHz at the phone: ${heard.toFixed(1)} dBFS`);
  });
});
