// Door opening by DTMF against real peers: baresip answers the door's call
// and keys codes as RFC 4733 telephone-events; the door opens on the right
// code and, after repeated wrong codes, ignores every key for the lock-out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { waitUntil } from '../support/process.ts';
import { startSipp } from '../support/sipp.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101' };

const count = (text: string, re: RegExp): number => (text.match(new RegExp(re.source, 'g')) ?? []).length;

describe('door opening by DTMF', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  let phone: Baresip;
  let door: IntercomInstance;

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    phone = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      door: { open_ms: 200, codes: ['7394'], lockout: { attempts: 2, window: 60, duration: 600 } },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
  });

  async function call(): Promise<void> {
    await door.cli('press');
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
  }

  async function hangup(): Promise<void> {
    await door.cli('hangup');
    await phone.waitForEvent('CALL_CLOSED', 5000);
  }

  /** Keys digits and waits until the door has received every one of them. */
  async function key(digits: string): Promise<void> {
    const before = count(door.logs(), /event=dtmf\.key via=rfc4733/);
    for (const d of digits) await phone.sendDtmf(d);
    await waitUntil(`${digits.length} keys at the door`, () => count(door.logs(), /event=dtmf\.key via=rfc4733/) >= before + digits.length, {
      timeoutMs: 10_000,
    });
  }

  it('the right code keyed on the phone opens the door, and the log names the code, never its digits', async () => {
    await call();
    await key('7394');
    await waitUntil('door opened', async () => (await door.status()).door.opened === 1, { timeoutMs: 5000 });
    assert.match(door.logs(), /event=door\.opened by=dtmf:codes\[0\]/);
    assert.doesNotMatch(door.logs(), /7394/);
    await hangup();
  });

  it('after two wrong codes every key is ignored, even the right code, in the next call too', async () => {
    await call();
    await key('1111');
    await key('2222');
    // Each log line is its own write: the lock-out may arrive just after the key that caused it.
    await waitUntil('lock-out logged', () => /event=door\.code-lockout /.test(door.logs()), { timeoutMs: 5000 });
    await hangup();
    await call();
    await key('7394');
    await waitUntil('keys ignored', () => /event=door\.code-ignored .*reason="locked out"/.test(door.logs()), { timeoutMs: 5000 });
    assert.equal((await door.status()).door.opened, 1, 'the right code did not open the door during the lock-out');
    await hangup();
  });

  it('status shows the history: presses, who answered and how long, openings by which code, wrong codes', async () => {
    const st = (await door.status()) as Awaited<ReturnType<IntercomInstance['status']>> & { events?: { kind: string; [k: string]: unknown }[] };
    const kinds = (st.events ?? []).map((e) => e.kind);
    for (const k of ['press', 'answered', 'door-opened', 'code-wrong', 'code-lockout', 'call-ended']) assert.ok(kinds.includes(k), `${k} in ${kinds.join(',')}`);
    assert.equal(st.events?.find((e) => e.kind === 'door-opened')?.['by'], 'dtmf:codes[0]');
    assert.ok(st.events?.some((e) => e.kind === 'call-ended' && e['answered'] === true && typeof e['durationS'] === 'number'));
    const text = await door.cli('status');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /recent:\n/);
    assert.match(text.stdout, / door-opened by=dtmf:codes\[0\]/);
    assert.doesNotMatch(JSON.stringify(st) + text.stdout, /7394/);
  });
});

describe('door opening by SIP INFO (application/dtmf-relay)', { timeout: 60_000 }, () => {
  it('the code keyed as INFO requests opens the door', async () => {
    const kam = await startKamailio({ users: PASSWORDS });
    const sipp = await startSipp({ scenario: 'uas-info-dtmf', pauseMs: 1000 });
    const door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: [sipp.uri('info')] }],
      audio: { input: 'none', output: 'none' },
      door: { open_ms: 200, codes: ['7394'] },
    });
    try {
      await door.cli('press');
      const r = await sipp.done;
      assert.equal(r.successful, 1, r.errors || r.output);
      assert.equal(count(door.logs(), /event=dtmf\.key via=info/), 4);
      assert.equal((await door.status()).door.opened, 1);
      assert.match(door.logs(), /event=door\.opened by=dtmf:codes\[0\]/);
    } finally {
      await door.terminate();
      await sipp.stop();
      await kam.stop();
    }
  });
});
