// Proves the test environment itself: the real registrar, phones and SIPp
// behave as the product's end-to-end tests assume.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKamailio } from '../support/kamailio.ts';
import type { Kamailio } from '../support/kamailio.ts';
import { startBaresip } from '../support/baresip.ts';
import type { Baresip } from '../support/baresip.ts';
import { dominantFrequency, makeToneWav, measureTone } from '../support/audio-measure.ts';
import { sipRegisterProbe } from '../support/sip-probe.ts';
import { runSipp, startSipp } from '../support/sipp.ts';
import { freePort } from '../support/ports.ts';
import { waitUntil } from '../support/process.ts';

const users = { door: 'door-secret', '101': 'pw-101', '102': 'pw-102', '103': 'pw-103' };

describe('test peers', { timeout: 60_000 }, () => {
  let kamailio: Kamailio;
  let phone101: Baresip;
  let phone102: Baresip;
  let work: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'intercom-peers-'));
    const [tone1000, tone440] = await Promise.all([
      makeToneWav(join(work, 'tone-1000.wav'), { freq: 1000, seconds: 30, level: 0.5 }),
      makeToneWav(join(work, 'tone-440.wav'), { freq: 440, seconds: 30, level: 0.25 }),
    ]);
    kamailio = await startKamailio({ users });
    [phone101, phone102] = await Promise.all([
      startBaresip({ user: '101', password: users['101'], registrar: kamailio, autoAnswer: true, sourceWav: tone1000 }),
      startBaresip({ user: '102', password: users['102'], registrar: kamailio, sourceWav: tone440 }),
    ]);
  });

  after(async () => {
    await Promise.allSettled([phone101?.stop(), phone102?.stop()]);
    await kamailio?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('challenges REGISTER with MD5 digest (qop=auth) and accepts the right password', async () => {
    const r = await sipRegisterProbe(kamailio, { user: 'door', password: users.door });
    assert.equal(r.challengeStatus, 401);
    assert.match(r.challenge ?? '', /^Digest /);
    assert.match(r.challenge ?? '', /qop="auth"/);
    assert.match(r.challenge ?? '', /realm="127\.0\.0\.1"/);
    assert.equal(r.status, 200);
    assert.equal((await kamailio.contacts('door')).length, 1);
  });

  it('refuses a REGISTER with a wrong password or an unknown user', async () => {
    const wrong = await sipRegisterProbe(kamailio, { user: '103', password: 'not-the-password' });
    assert.equal(wrong.challengeStatus, 401);
    assert.equal(wrong.status, 401, 'wrong credentials are challenged again, never accepted');
    const unknown = await sipRegisterProbe(kamailio, { user: 'intruder', password: 'x' });
    assert.equal(unknown.status, 401);
    assert.deepEqual(await kamailio.contacts('103'), []);
    assert.deepEqual(await kamailio.contacts('intruder'), []);
  });

  it('challenges with SHA-256 when asked, and can answer wrong passwords with 403', async () => {
    const sha = await startKamailio({ users, algorithm: 'SHA-256', rejectBadPasswordWith403: true });
    try {
      const ok = await sipRegisterProbe(sha, { user: '101', password: users['101'] });
      assert.match(ok.challenge ?? '', /algorithm=SHA-256/);
      assert.equal(ok.status, 200);
      const wrong = await sipRegisterProbe(sha, { user: '101', password: 'nope' });
      assert.equal(wrong.status, 403);
    } finally {
      await sha.stop();
    }
  });

  it('shows a registered baresip contact through kamcmd', async () => {
    const contacts = await kamailio.contacts('101');
    assert.equal(contacts.length, 1);
    assert.match(contacts[0] ?? '', new RegExp(`^sip:101[^@]*@127\\.0\\.0\\.1:${phone101.port}\\b`));
  });

  it('connects 102 to 101 through Kamailio and carries audio both ways', async () => {
    await phone102.dial(kamailio.uri('101'));
    await phone102.waitForEvent('CALL_ESTABLISHED', 5000);
    await phone101.waitForEvent('CALL_ESTABLISHED', 5000);
    // Poll until a second of tone has arrived rather than sleeping.
    const at102 = await waitUntil('1 s of 101\'s tone at 102', async () => {
      const wav = phone102.receivedWav();
      return (await measureTone(wav, 1000)).activeSeconds >= 1 ? wav : undefined;
    }, { timeoutMs: 8000, intervalMs: 200 });
    const at101 = await waitUntil('1 s of 102\'s tone at 101', async () => {
      const wav = phone101.receivedWav();
      return (await measureTone(wav, 440)).activeSeconds >= 1 ? wav : undefined;
    }, { timeoutMs: 8000, intervalMs: 200 });
    // DTMF from a phone arrives as telephone-events (what opens the door).
    await phone102.sendDtmf('1#');
    assert.equal((await phone101.waitForEvent('CALL_DTMF_START', 3000)).param, '1');
    assert.equal((await phone101.waitForEvent('CALL_DTMF_START', 3000)).param, '#');
    await phone102.hangup();
    await phone101.waitForEvent('CALL_CLOSED', 5000);
    await phone102.waitForEvent('CALL_CLOSED', 5000);

    const f102 = await dominantFrequency(at102);
    assert.ok(Math.abs(f102 - 1000) < 5, `102 heard ${f102} Hz`);
    // Sent at half scale (-9 dBFS); G.711 keeps that within a dB or so.
    const level102 = await measureTone(at102, 1000);
    assert.ok(level102.dbfs > -12 && level102.dbfs < -7, `102 heard the tone at ${level102.dbfs.toFixed(1)} dBFS`);
    const f101 = await dominantFrequency(at101);
    assert.ok(Math.abs(f101 - 440) < 5, `101 heard ${f101} Hz`);
    const level101 = await measureTone(at101, 440);
    assert.ok(level101.dbfs > -18 && level101.dbfs < -13, `101 heard the tone at ${level101.dbfs.toFixed(1)} dBFS`);
    // And not the other one's tone: the directions are not crossed.
    assert.ok((await measureTone(at102, 440)).dbfs < -40);
  });

  it('relays a CANCEL while the callee rings', async () => {
    await phone101.dial(kamailio.uri('102'));
    await phone102.waitForEvent('CALL_INCOMING', 5000);
    await phone101.waitForEvent('CALL_RINGING', 5000);
    await phone101.hangup();
    await phone102.waitForEvent('CALL_CLOSED', 5000);
    await phone101.waitForEvent('CALL_CLOSED', 5000);
    assert.match(await phone102.listCalls(), /\(0\)/);
  });

  it('answers calls to an unregistered user with 480 and to an unknown user with 404', async () => {
    await phone102.dial(kamailio.uri('103'));
    assert.equal((await phone102.waitForEvent('CALL_CLOSED', 5000)).param, '480 Temporarily Unavailable');
    await phone102.dial(kamailio.uri('nobody'));
    assert.equal((await phone102.waitForEvent('CALL_CLOSED', 5000)).param, '404 Not Found');
  });

  it('runs SIPp scenarios: busy, and a registered SIPp that hangs up through the Record-Route', async () => {
    const busy = await startSipp({ scenario: 'uas-busy', timeoutMs: 10_000 });
    await phone102.dial(busy.uri('busy'));
    assert.equal((await phone102.waitForEvent('CALL_CLOSED', 5000)).param, '486 Busy Here');
    const busyResult = await busy.done;
    assert.equal(busyResult.code, 0, busyResult.errors);
    assert.equal(busyResult.successful, 1);

    const port = await freePort();
    const reg = await runSipp({ scenario: 'uac-register', port, remote: kamailio, service: '103', auth: { user: '103', password: users['103'] }, timeoutMs: 10_000 });
    assert.equal(reg.code, 0, reg.errors);
    assert.deepEqual(await kamailio.contacts('103'), [`sip:103@127.0.0.1:${port};transport=UDP`]);

    const uas = await startSipp({ scenario: 'uas-answer-bye', port, pauseMs: 300, timeoutMs: 10_000 });
    await phone102.dial(kamailio.uri('103'));
    await phone102.waitForEvent('CALL_ESTABLISHED', 5000);
    assert.equal((await phone102.waitForEvent('CALL_CLOSED', 5000)).param, 'Connection reset by peer');
    const result = await uas.done;
    assert.equal(result.code, 0, result.errors);
    assert.match(result.messages, /^BYE sip:102/m);
    assert.match(result.messages, new RegExp(`^Route: <sip:127\\.0\\.0\\.1:${kamailio.port};lr`, 'm'));
  });
});
