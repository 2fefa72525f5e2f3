// A press while the registrar is down, on a button whose fallback is a phone
// addressed by IP (a hall phone on the local network): the first target,
// which only the registrar can find, fails at once with the cause logged,
// the fallback is called directly and rings, and when nobody answers it the
// visitor hears the failure signal. Once the registrar is back, a press
// reaches the registered phone through it again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { measureTone } from '../support/audio-measure.ts';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { makeTempDir, waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

const PASSWORDS = { door: 'door-secret', '101': 'pw101', hall: 'pwhall' };
const RINGBACK_HZ = 425;
// The failure signal gets its own pitch here, so it cannot be mistaken for the ringback.
const FAILURE_HZ = 600;

describe('press during a registrar outage with a directly addressed fallback', { timeout: 120_000 }, () => {
  let kam: Kamailio | undefined;
  let hall: Baresip;
  let flat: Baresip | undefined;
  let door: IntercomInstance;
  let port: number;
  const tmp = makeTempDir('outage-fallback-');
  const speaker = join(tmp.path, 'door-speaker.wav');

  before(async () => {
    port = await freePort('127.0.0.1');
    kam = await startKamailio({ users: PASSWORDS, port });
    // Not registered anywhere: reachable only at its own address.
    hall = await startBaresip({ user: 'hall', password: PASSWORDS.hall, registrar: kam, address: '127.0.0.3', register: false });
    door = await startIntercom({
      sip: { server: kam.hostport, transport: 'tcp', user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'], ring_timeout: 20, fallback: [{ call: [`sip:hall@127.0.0.3:${hall.port};transport=udp`], ring_timeout: 4 }] }],
      audio: { input: 'none', output: `file:${speaker}` },
      tones: { busy: { frequencies: [FAILURE_HZ] } },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await hall?.stop();
    await flat?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('the first target fails at once, the fallback rings directly, the failure signal follows; after the return calls go through the registrar', async (t) => {
    await kam!.stop();
    kam = undefined;
    await waitUntil('door notices', () => /event=sip\.server-lost/.test(door.logs()), { timeoutMs: 10_000, intervalMs: 50 });
    const before = door.logs().length;

    assert.equal((await door.cli('press')).code, 0);
    const incoming = await hall.waitForEvent('CALL_INCOMING', 10_000);
    t.diagnostic(`hall phone rang: ${incoming.peeruri}`);
    await waitUntil('call over', async () => (await door.status()).call === null, { timeoutMs: 15_000, intervalMs: 100 });
    await hall.waitForEvent('CALL_CLOSED', 5000);
    const during = door.logs().slice(before);
    assert.match(during, /level=warn event=call\.leg-failed peer=sip:101@127\.0\.0\.1 reason="registrar unreachable" status=503/);
    assert.match(during, /event=call\.fallback stage=2 reason="no one reached" to="sip:hall@127\.0\.0\.3:\d+;transport=udp"/);
    assert.match(during, /event=call\.direct peer="sip:hall@127\.0\.0\.3:\d+;transport=udp" via=udp:127\.0\.0\.3:\d+ reason="registrar unreachable"/);
    assert.match(during, /event=call\.ringing peer="sip:hall@/);
    assert.match(during, /event=call\.no-answer/);
    assert.ok(!/event=sip\.server-back/.test(during), 'the direct call says nothing about the registrar');

    // The visitor heard the hall phone ring, then the failure signal.
    const ringback = await measureTone(speaker, RINGBACK_HZ);
    assert.ok(ringback.activeSeconds >= 0.5, `ringback heard for ${ringback.activeSeconds} s`);
    const failure = await waitUntil('failure signal played', async () => {
      const m = await measureTone(speaker, FAILURE_HZ);
      return m.activeSeconds >= 0.4 ? m : undefined;
    }, { timeoutMs: 6000, intervalMs: 500 });
    t.diagnostic(`door speaker: ${ringback.activeSeconds.toFixed(1)} s of ringback, ${failure.activeSeconds.toFixed(1)} s of the failure signal`);

    // The registrar returns: the door registers again and a press reaches 101 through it.
    kam = await startKamailio({ users: PASSWORDS, port });
    await waitUntil('registered again', async () => (await kam!.contacts('door')).length > 0, { timeoutMs: 15_000, intervalMs: 100 });
    flat = await startBaresip({ user: '101', password: PASSWORDS['101'], registrar: kam, autoAnswer: true });
    const hallCalls = hall.events().filter((e) => e.type === 'CALL_INCOMING').length;
    await waitUntil('door idle and registered', async () => (await door.status()).registered, { timeoutMs: 10_000, intervalMs: 100 });
    assert.equal((await door.cli('press')).code, 0);
    await flat.waitForEvent('CALL_ESTABLISHED', 10_000);
    assert.match(kam.logs(), /recv INVITE sip:101@127\.0\.0\.1 from tcp:127\.0\.0\.2/);
    assert.equal(hall.events().filter((e) => e.type === 'CALL_INCOMING').length, hallCalls, 'the fallback did not ring');
    assert.equal((await door.cli('hangup')).code, 0);
    await flat.waitForEvent('CALL_CLOSED', 5000);
  });
});

// Over UDP nothing tells the door that the registrar has just gone: the press
// comes before any keep-alive has failed. The INVITE through the registrar
// gets not even a 100 Trying, so after a few seconds the door gives up on it,
// takes the registrar as down and calls the fallback directly.
describe('press just after the registrar vanished, over UDP', { timeout: 120_000 }, () => {
  let kam: Kamailio | undefined;
  let hall: Baresip;
  let door: IntercomInstance;
  const tmp = makeTempDir('outage-fallback-udp-');

  before(async () => {
    kam = await startKamailio({ users: PASSWORDS });
    hall = await startBaresip({ user: 'hall', password: PASSWORDS.hall, registrar: kam, address: '127.0.0.3', register: false });
    door = await startIntercom({
      sip: { server: kam.hostport, transport: 'udp', user: 'door', password: PASSWORDS.door },
      buttons: [{ name: 'bell', call: ['101'], ring_timeout: 30, fallback: [{ call: [`sip:hall@127.0.0.3:${hall.port}`], ring_timeout: 4 }] }],
      audio: { input: 'none', output: `file:${join(tmp.path, 'speaker.wav')}` },
    });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await hall?.stop();
    await kam?.stop();
    tmp.remove();
  });

  it('the silent registrar is given up on within seconds and the fallback rings', async (t) => {
    await kam!.stop();
    kam = undefined;
    const before = door.logs().length;
    assert.equal((await door.cli('press')).code, 0);
    const incoming = await hall.waitForEvent('CALL_INCOMING', 15_000);
    t.diagnostic(`hall phone rang: ${incoming.peeruri}`);
    const during = door.logs().slice(before);
    assert.match(during, /event=call\.leg-failed peer=sip:101@127\.0\.0\.1 reason="no answer from the server"/);
    assert.match(during, /event=sip\.server-lost/);
    assert.match(during, /event=call\.direct peer=sip:hall@127\.0\.0\.3:\d+ via=udp:127\.0\.0\.3:\d+/);
    assert.equal((await door.cli('hangup')).code, 0);
    await hall.waitForEvent('CALL_CLOSED', 5000);
  });
});
