// Mid-call changes against real peers: the phone that answered the door
// transfers the call to another extension with REFER (RFC 3515), and is told
// how the new call went by NOTIFY.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { waitUntil } from '../support/process.ts';
import { startSipp } from '../support/sipp.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101', '102': 'pw102' };

describe('transfer (REFER)', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  let p101: Baresip;
  let p102: Baresip;
  let door: IntercomInstance;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    p101 = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    p102 = await startBaresip({ user: '102', password: PASSWORDS['102'], registrar: kam, autoAnswer: true });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      door: { open_ms: 200, codes: ['7394'] },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await p101?.stop();
    await p102?.stop();
    await kam?.stop();
  });

  it('101 answers and transfers the door call to 102, who then talks to the door and can open it', async () => {
    await door.cli('press');
    await p101.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active with 101', async () => /^sip:101@/.test((await door.status()).call?.peer ?? ''), { timeoutMs: 5000 });
    await p101.command('transfer', `sip:102@${kam.address}`);
    await p102.waitForEvent('CALL_ESTABLISHED', 10_000);
    await p101.waitForEvent('CALL_CLOSED', 10_000);
    await waitUntil('call active with 102', async () => /^sip:102@/.test((await door.status()).call?.peer ?? ''), { timeoutMs: 5000 });
    assert.equal((await door.status()).call?.state, 'active');
    assert.match(door.logs(), /event=call\.transfer from=sip:101@\S+ to=sip:102@/);
    assert.match(door.logs(), /event=call\.transferred /);
    // 102 now has the door: its code opens it.
    for (const d of '7394') await p102.sendDtmf(d);
    await waitUntil('door opened', async () => (await door.status()).door.opened === 1, { timeoutMs: 10_000 });
    await door.cli('hangup');
    await p102.waitForEvent('CALL_CLOSED', 5000);
  });

  it('a transfer to a target outside the door\'s domain is declined and the door dials nobody', async () => {
    await door.cli('press');
    await p101.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    await p101.command('transfer', 'sip:premium@127.0.0.9').catch(() => undefined);
    await waitUntil('refusal logged', () => /event=call\.transfer-refused .*outside the SIP domain/.test(door.logs()), { timeoutMs: 5000 });
    // baresip 1.0 ends its call when a transfer fails; the point here is the 603 and that nothing was dialled.
    await waitUntil('603 seen by the phone', () => /transfer failed: 603 Decline/.test(p101.logs()), { timeoutMs: 5000 });
    assert.doesNotMatch(door.logs(), /event=call\.placed peer=sip:premium/);
    await door.cli('hangup');
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
  });
});

describe('session timers (RFC 4028)', { timeout: 60_000 }, () => {
  let kam: Kamailio;
  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
  });
  after(async () => {
    await kam?.stop();
  });

  async function callSipp(scenario: string): Promise<{ door: IntercomInstance; result: Promise<import('../support/sipp.ts').SippResult>; stop(): Promise<void> }> {
    const sipp = await startSipp({ scenario, timeoutMs: 30_000 });
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: [sipp.uri('timer')] }],
      audio: { input: 'none', output: 'none' },
    });
    await door.cli('press');
    return {
      door,
      result: sipp.done,
      stop: async () => {
        await door.terminate().catch(() => undefined);
        await sipp.stop();
      },
    };
  }

  it('the door refreshes a session the callee asked it to refresh (refresher=uac), twice, and the call goes on', async () => {
    const run = await callSipp('uas-session-refresh');
    try {
      const r = await run.result;
      assert.equal(r.successful, 1, r.errors || r.output);
      await waitUntil('call ended by the callee', () => /event=call\.ended .*by=remote/.test(run.door.logs()), { timeoutMs: 5000 });
    } finally {
      await run.stop();
    }
  });

  it('a session the callee should refresh but does not ends with a BYE from the door', async () => {
    const run = await callSipp('uas-session-expire');
    try {
      const r = await run.result;
      assert.equal(r.successful, 1, r.errors || r.output);
      await waitUntil('expiry logged', () => /event=call\.ended .*session expired/.test(run.door.logs()), { timeoutMs: 5000 });
    } finally {
      await run.stop();
    }
  });
});

describe('re-INVITE (hold, resume, address change)', { timeout: 60_000 }, () => {
  it('hold is answered recvonly, resume at a new port sendrecv; the call stays up until the phone hangs up', async () => {
    const kam = await startKamailio({ users: PASSWORDS });
    const sipp = await startSipp({ scenario: 'uas-hold-resume', timeoutMs: 30_000 });
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: [sipp.uri('hold')] }],
      audio: { input: 'none', output: 'none' },
    });
    try {
      await door.cli('press');
      const r = await sipp.done;
      assert.equal(r.successful, 1, r.errors || r.output);
      await waitUntil('ended by the phone', () => /event=call\.ended .*by=remote/.test(door.logs()), { timeoutMs: 5000 });
      assert.doesNotMatch(door.logs(), /call\.reoffer-refused/);
    } finally {
      await door.terminate().catch(() => undefined);
      await sipp.stop();
      await kam.stop();
    }
  });
});
