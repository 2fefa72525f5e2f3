// Incoming calls against real peers: allowed users calling through Kamailio
// are answered at once and may open the door by code; other users are
// refused by policy; an INVITE sent straight to the door from another address
// (a scanner) is refused with 403 before anything rings.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { waitUntil } from '../support/process.ts';
import { startSipp } from '../support/sipp.ts';
import { makeToneWav, measureTone } from '../support/audio-measure.ts';
import { makeTempDir } from '../support/process.ts';
import { join } from 'node:path';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101', '102': 'pw102' };

describe('incoming calls: only listed users, only through the registrar', { timeout: 90_000 }, () => {
  const tmp = makeTempDir('incoming-');
  const hello = join(tmp.path, 'hello-700.wav');
  let kam: Kamailio;
  let flat: Baresip;
  let other: Baresip;
  let door: IntercomInstance;

  before(async () => {
    await makeToneWav(hello, { freq: 700, seconds: 1.5 });
    kam = await startKamailio({ users: PASSWORDS });
    flat = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam });
    other = await startBaresip({ user: '102', password: PASSWORDS['102'], registrar: kam });
    door = await startIntercom({
      sip: { server: kam.hostport, user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'] }],
      audio: { input: 'none', output: 'none' },
      door: { open_ms: 200, codes: ['7394'] },
      incoming: { enabled: true, allow: ['101'], announcement: hello },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await flat?.stop();
    await other?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('an INVITE straight to the door from another address is refused 403 at once; nothing rings', async () => {
    const scanner = await startSipp({
      scenario: 'uac-invite-refused',
      address: '127.0.0.5',
      remote: { address: door.address, port: door.port },
      service: '101',
      keys: { domain: kam.address },
    });
    const r = await scanner.done;
    assert.equal(r.successful, 1, r.errors || r.output);
    assert.doesNotMatch(r.messages, /SIP\/2\.0 18\d/, 'no ringing was signalled');
    assert.match(door.logs(), /event=incoming\.refused from=127\.0\.0\.5 reason=not-from-registrar/);
    assert.doesNotMatch(door.logs(), /event=call\.placed|event=press/);
    assert.equal((await door.status()).call, null);
    assert.equal(flat.events().filter((e) => e.type === 'CALL_INCOMING').length, 0);
  });

  it('a listed user calling through the registrar is answered at once and can open the door', async () => {
    await flat.dial(`sip:door@${kam.hostport}`);
    await flat.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });
    assert.match((await door.status()).call?.peer ?? '', /^sip:101@/);
    for (const d of '7394') await flat.sendDtmf(d);
    await waitUntil('door opened', async () => (await door.status()).door.opened === 1, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 1500));
    await flat.hangup();
    // The announcement was played into the call: the caller heard its 700 Hz.
    const heard = await measureTone(flat.receivedWav(), 700);
    assert.ok(heard.dbfs > -35, `700 Hz announcement at the caller: ${heard.dbfs.toFixed(1)} dBFS`);
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 5000 });
    assert.match(door.logs(), /event=call\.incoming-answered peer=sip:101@/);
  });

  it('a user not on the list is refused, even through the registrar', async () => {
    await other.dial(`sip:door@${kam.hostport}`);
    await other.waitForEvent('CALL_CLOSED', 10_000);
    // The door's log line may arrive a moment after the phone has seen the refusal.
    await waitUntil('refusal logged', () => /event=incoming\.refused from=127\.0\.0\.1 reason=not-allowed caller=sip:102@/.test(door.logs()), { timeoutMs: 5000 });
    assert.equal((await door.status()).call, null);
  });
});
