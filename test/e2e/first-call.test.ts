// The main path, end to end, against real peers: Kamailio as the household's
// registrar/proxy with digest auth, baresip as the indoor phone, SIPp for
// a busy callee, and the real `intercom` command.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startSipp } from '../support/sipp.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101', '102': 'pw102' };

describe('first call: press -> authenticated call with two-way audio', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  let quiet: Baresip;
  let door: IntercomInstance;
  const tmp = makeTempDir('first-call-');
  const doorTone = join(tmp.path, 'door-1000.wav');
  const phoneTone = join(tmp.path, 'phone-440.wav');
  const doorHeard = join(tmp.path, 'door-heard.wav');

  before(async () => {
    await makeToneWav(doorTone, { freq: 1000, seconds: 2 });
    await makeToneWav(phoneTone, { freq: 440, seconds: 2 });
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true, sourceWav: phoneTone });
    quiet = await startBaresip({ user: '102', password: PASSWORDS['102'], registrar: kam, autoAnswer: false });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [
        { name: 'bell', call: ['101'] },
        { name: 'noanswer', call: ['102'] },
      ],
      // The microphone is a file, so there is no echo to cancel; a canceller facing two unrelated steady
      // tones (and nothing else) adapts to chance correlation and leaks some of the phone's tone back
      // (about -30 dBFS here), which the "hears the door, not itself" check below would count.
      audio: { input: `file:${doorTone}`, output: `file:${doorHeard}`, echo_cancellation: 'off' },
      calls: { ring_timeout: 2 },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await quiet?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('registers with digest authentication', async () => {
    const st = await door.status();
    assert.equal(st.registered, true);
    assert.deepEqual(st.call, null);
    const contacts = await kam.contacts('door');
    assert.ok(contacts.some((c) => c.includes(`${door.address}:${door.port}`)), `contacts: ${contacts.join(', ')}`);
  });

  it('a press calls 101, both sides hear each other, and the door hangs up', async (t) => {
    const press = await door.cli('press');
    assert.equal(press.code, 0, press.stderr);
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    const st = await door.status();
    assert.match(st.call?.peer ?? '', /^sip:101@/);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await door.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });

    // The phone heard the door's 1 kHz tone; the door heard the phone's 440 Hz.
    const atPhone = await measureTone(phone.receivedWav(), 1000);
    assert.ok(atPhone.dbfs > -30, `1 kHz at the phone: ${atPhone.dbfs.toFixed(1)} dBFS`);
    const wrongAtPhone = await measureTone(phone.receivedWav(), 440);
    assert.ok(wrongAtPhone.dbfs < atPhone.dbfs - 20, 'the phone hears the door, not itself');
    const atDoor = await measureTone(doorHeard, 440);
    assert.ok(atDoor.dbfs > -30, `440 Hz at the door: ${atDoor.dbfs.toFixed(1)} dBFS`);
    t.diagnostic(`phone heard 1 kHz at ${atPhone.dbfs.toFixed(1)} dBFS (440 Hz: ${wrongAtPhone.dbfs.toFixed(1)}); door heard 440 Hz at ${atDoor.dbfs.toFixed(1)} dBFS`);
    assert.match(door.logs(), /event=call\.answered/);
    assert.match(door.logs(), /event=call\.ended .*durationS=/);
  });

  it('the phone hanging up ends the call at the door', async () => {
    await door.cli('press');
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    await phone.hangup();
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
    assert.match(door.logs(), /event=call\.ended .*by=remote/);
  });

  it('an unanswered call is cancelled after the ring timeout', async () => {
    await door.cli('press', '--button', 'noanswer');
    await quiet.waitForEvent('CALL_INCOMING', 5000);
    await waitUntil('ringing', async () => (await door.status()).call?.state === 'ringing', { timeoutMs: 3000 });
    await quiet.waitForEvent('CALL_CLOSED', 6000);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 3000 });
    assert.match(door.logs(), /event=call\.no-answer/);
  });

  it('SIGTERM hangs up, unregisters and exits 0', async () => {
    await door.cli('press');
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    const code = await door.terminate();
    assert.equal(code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
    assert.deepEqual(await kam.contacts('door'), []);
  });
});

describe('call failures and registration problems', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
  });
  after(async () => {
    await kam?.stop();
  });

  it('486 Busy from the callee ends the call with the cause logged', async () => {
    const sipp = await startSipp({ scenario: 'uas-busy' });
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: [sipp.uri('busy')] }],
      audio: { input: 'none', output: 'none' },
    });
    try {
      await door.cli('press');
      await waitUntil('busy logged', () => /event=call\.ended .*status=486/.test(door.logs()), { timeoutMs: 10_000 });
      assert.equal((await door.status()).call, null);
      const r = await sipp.done;
      assert.equal(r.successful, 1, r.errors);
    } finally {
      await door.terminate();
      await sipp.stop();
    }
  });

  it('an answer with no common codec is ACKed, hung up with BYE, and the reason logged', async () => {
    const sipp = await startSipp({ scenario: 'uas-answer-g729-only' });
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: [sipp.uri('g729')] }],
      audio: { input: 'none', output: 'none' },
    });
    try {
      await door.cli('press');
      const r = await sipp.done;
      assert.equal(r.successful, 1, r.errors || r.output);
      await waitUntil('reason logged', () => /event=call\.bad-answer .*no common codec/.test(door.logs()), { timeoutMs: 5000 });
      await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
    } finally {
      await door.terminate();
      await sipp.stop();
    }
  });

  it('a wrong password gives a clear status and no retry storm', async () => {
    const door = await startIntercom(
      {
        sip: { server: kam.hostport, user: 'door', password: 'wrong' },
        buttons: [{ name: 'bell', call: ['101'] }],
        audio: { input: 'none', output: 'none' },
      },
      { waitRegistered: false },
    );
    try {
      await waitUntil('auth failure reported', async () => /authentication failed/.test((await door.status()).registration.lastError ?? ''), {
        timeoutMs: 10_000,
      });
      const st = await door.status();
      assert.equal(st.registered, false);
      assert.equal(st.registration.state, 'failed');
      const count = () => (kam.logs().match(/REGISTER/g) ?? []).length;
      const before = count();
      await new Promise((r) => setTimeout(r, 4000));
      assert.ok(count() - before <= 2, `REGISTERs in 4 s after the failure: ${count() - before}`);
      assert.match(door.logs(), /event=registration\.failed .*authentication failed/);
    } finally {
      await door.terminate();
    }
  });
});

describe('SIP over TCP', { timeout: 60_000 }, () => {
  it('registers over TCP and a press reaches the phone, which hears the door', async () => {
    const tmp = makeTempDir('tcp-call-');
    const tone = join(tmp.path, 'door-1000.wav');
    await makeToneWav(tone, { freq: 1000, seconds: 2 });
    const kam = await startKamailio({ users: PASSWORDS });
    const phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    const door = await startIntercom({
      sip: { server: kam.hostport, transport: 'tcp', user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: `file:${tone}`, output: 'none' },
    });
    try {
      const contacts = await kam.contacts('door');
      assert.ok(contacts.some((c) => /transport=tcp/i.test(c)), `contacts: ${contacts.join(', ')}`);
      await door.cli('press');
      await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      await door.cli('hangup');
      await phone.waitForEvent('CALL_CLOSED', 5000);
      const heard = await measureTone(phone.receivedWav(), 1000);
      assert.ok(heard.dbfs > -30, `1 kHz at the phone: ${heard.dbfs.toFixed(1)} dBFS`);
      assert.equal(await door.terminate(), 0);
      assert.deepEqual(await kam.contacts('door'), []);
    } finally {
      await door.terminate().catch(() => {});
      await phone.stop();
      await kam.stop();
      tmp.remove();
    }
  });
});

describe('digest with SHA-256 (RFC 8760)', { timeout: 60_000 }, () => {
  it('registers, and authenticates its INVITE, with a registrar that challenges with SHA-256 only', async () => {
    const kam = await startKamailio({ users: PASSWORDS, algorithm: 'SHA-256' });
    // 101 exists but is not registered (baresip 1.0 cannot answer SHA-256):
    // a 480 from the proxy proves the INVITE got past its 407 challenge.
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
    });
    try {
      assert.equal((await door.status()).registered, true);
      assert.match(door.logs(), /event=registration\.challenged .*algorithm=SHA-256/, 'answered a SHA-256 challenge');
      await door.cli('press');
      await waitUntil('call ended', () => /event=call\.ended .*status=480/.test(door.logs()), { timeoutMs: 5000 });
      assert.doesNotMatch(door.logs(), /authentication failed/);
    } finally {
      await door.terminate();
      await kam.stop();
    }
  });
});
