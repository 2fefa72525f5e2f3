// Ring groups against real peers: parallel ringing where the first answer
// wins and the other phone is cancelled, a sequential fallback after a
// stage's timeout, and the maximum call duration.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101', '102': 'pw102' };

describe('ring groups', { timeout: 120_000 }, () => {
  let kam: Kamailio;
  let p101: Baresip;
  let p102: Baresip;
  let door: IntercomInstance;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    p101 = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam });
    p102 = await startBaresip({ user: '102', password: PASSWORDS['102'], registrar: kam });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [
        { name: 'both', call: ['101', '102'] },
        { name: 'flat-then-mobile', call: ['101'], ring_timeout: 2, fallback: [{ call: ['102'], ring_timeout: 20 }] },
        { name: 'guarded', call: ['101'], confirm: true },
      ],
      audio: { input: 'none', output: 'none' },
      calls: { min_interval: 0, confirm_timeout: 3 },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await p101?.stop();
    await p102?.stop();
    await kam?.stop();
  });

  async function endCall(phone: Baresip): Promise<void> {
    await door.cli('hangup');
    await phone.waitForEvent('CALL_CLOSED', 5000);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
  }

  it('parallel: both ring, 102 answers, 101 is cancelled and the call is 102s', async () => {
    await door.cli('press', '--button', 'both');
    await p101.waitForEvent('CALL_INCOMING', 5000);
    await p102.waitForEvent('CALL_INCOMING', 5000);
    await p102.answer();
    await p102.waitForEvent('CALL_ESTABLISHED', 5000);
    await p101.waitForEvent('CALL_CLOSED', 5000);
    assert.ok(!p101.events().some((e) => e.type === 'CALL_ESTABLISHED'), '101 never got the call');
    await waitUntil('call active with 102', async () => /^sip:102@/.test((await door.status()).call?.peer ?? ''), { timeoutMs: 5000 });
    assert.equal((await door.status()).call?.state, 'active');
    assert.match(door.logs(), /event=call\.answered peer=sip:102@/);
    await endCall(p102);
  });

  it('sequential fallback: 101 rings for its timeout, then 102 rings and answers', async () => {
    const rang102 = p102.events().filter((e) => e.type === 'CALL_INCOMING').length;
    await door.cli('press', '--button', 'flat-then-mobile');
    await p101.waitForEvent('CALL_INCOMING', 5000);
    assert.equal(p102.events().filter((e) => e.type === 'CALL_INCOMING').length, rang102, '102 does not ring with 101');
    // Nobody answers 101: after its 2 s it is cancelled and the fallback rings.
    await p101.waitForEvent('CALL_CLOSED', 10_000);
    await p102.waitForEvent('CALL_INCOMING', 10_000);
    assert.match(door.logs(), /event=call\.fallback stage=2 reason="no answer" to=sip:102@/);
    await p102.answer();
    await p102.waitForEvent('CALL_ESTABLISHED', 5000);
    await waitUntil('call active with 102', async () => /^sip:102@/.test((await door.status()).call?.peer ?? ''), { timeoutMs: 5000 });
    await endCall(p102);
  });

  it('voicemail guard: an answer without a key is hung up after confirm_timeout; with a key the call connects', async () => {
    await door.cli('press', '--button', 'guarded');
    await p101.waitForEvent('CALL_INCOMING', 5000);
    await p101.answer();
    await p101.waitForEvent('CALL_ESTABLISHED', 5000);
    assert.equal((await door.status()).call?.state, 'ringing', 'answered, but not yet connected to the door');
    // Like a voicemail: no key. The door gives up on it.
    await p101.waitForEvent('CALL_CLOSED', 10_000);
    assert.match(door.logs(), /event=call\.not-confirmed peer=sip:101@/);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });

    await door.cli('press', '--button', 'guarded');
    await p101.waitForEvent('CALL_INCOMING', 5000);
    await p101.answer();
    await p101.waitForEvent('CALL_ESTABLISHED', 5000);
    await p101.sendDtmf('5');
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    assert.match(door.logs(), /event=call\.confirmed peer=sip:101@/);
    await endCall(p101);
  });
});

describe('limits', { timeout: 60_000 }, () => {
  it('the call ends at the maximum duration', async () => {
    const kam = await startKamailio({ users: PASSWORDS });
    const phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      calls: { max_duration: 2 },
    });
    try {
      await door.cli('press');
      await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
      // Nobody hangs up: the door does, by itself.
      await phone.waitForEvent('CALL_CLOSED', 15_000);
      await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
      assert.match(door.logs(), /event=call\.max-duration afterS=2/);
      assert.match(door.logs(), /event=call\.ended .*reason="maximum call duration reached"/);
    } finally {
      await door.terminate();
      await phone.stop();
      await kam.stop();
    }
  });

  it('a press during a call restarts it (press_during_call: restart); the call ends a while after the door opened', async () => {
    const kam = await startKamailio({ users: PASSWORDS });
    const phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      door: { open_ms: 200, codes: ['7394'] },
      calls: { press_during_call: 'restart', end_after_open: 1 },
    });
    try {
      await door.cli('press');
      await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
      const again = await door.cli('press');
      assert.match(again.stdout + again.stderr, /restarted/);
      await phone.waitForEvent('CALL_CLOSED', 5000);
      await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
      assert.match(door.logs(), /event=call\.restarted /);
      await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
      for (const d of '7394') await phone.sendDtmf(d);
      // Nobody hangs up: the door ends the call 1 s after it opened.
      await phone.waitForEvent('CALL_CLOSED', 10_000);
      assert.match(door.logs(), /event=door\.opened by=dtmf:codes\[0\][\s\S]*event=call\.end-after-open afterS=1/);
    } finally {
      await door.terminate();
      await phone.stop();
      await kam.stop();
    }
  });
});
