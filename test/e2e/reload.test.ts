// Reloading the config of a running station (`intercom reload`, SIGHUP):
// door settings change without a new REGISTER; an invalid file is refused and
// the running config stays; a SIP change re-registers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { startKamailio, type Kamailio } from '../support/kamailio.ts';
import { waitUntil } from '../support/process.ts';
import { startIntercom, type IntercomInstance } from './intercom-process.ts';

describe('config reload', { timeout: 90_000 }, () => {
  let kam: Kamailio;
  let door: IntercomInstance;
  let phone: Baresip;
  const sip = { server: '', user: 'door', password: 'door-pw' };
  const registers = (): number =>
    kam.logs().split('\n').filter((l) => l.includes('recv REGISTER') && l.includes(`${door.address}:${door.port}`)).length;

  before(async () => {
    kam = await startKamailio({ users: { door: 'door-pw', '103': 'pw103' } });
    sip.server = kam.hostport;
    phone = await startBaresip({ user: '103', password: 'pw103', registrar: kam, autoAnswer: true });
    door = await startIntercom({ sip, buttons: [{ name: 'bell', call: ['101'] }], door: { codes: ['7394'] } });
  });

  after(async () => {
    await door?.terminate().catch(() => {});
    await phone?.stop();
    await kam?.stop();
  });

  it('applies door settings in place, without registering again', async () => {
    const before = registers();
    assert.ok(before > 0);
    const refused = await door.cli('press', '--button', 'gate');
    assert.equal(refused.code, 1, 'no gate button yet');

    door.writeConfig({
      sip,
      buttons: [
        { name: 'bell', call: ['101'] },
        { name: 'gate', call: ['102'] },
      ],
      door: { codes: ['55667788'], open_ms: 500 },
      calls: { ring_timeout: 1 },
    });
    const r = await door.cli('reload');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^applied in place: /);
    assert.match(r.stdout, /buttons/);
    assert.match(r.stdout, /door\.codes/);
    assert.doesNotMatch(r.stdout, /55667788|7394/, 'codes are named, never shown');
    assert.doesNotMatch(r.stdout, /re-registered/);

    const press = await door.cli('press', '--button', 'gate');
    assert.equal(press.code, 0, press.stderr);
    await waitUntil('the gate call placed', () => /event=call\.placed peer=sip:102@/.test(door.logs()), { timeoutMs: 10_000 });
    // ring_timeout 1 s: the call to the absent 102 gives up on its own.
    await waitUntil('door idle', async () => (await door.status()).call === null, { timeoutMs: 15_000, intervalMs: 100 });
    const st = await door.status();
    assert.equal(st.registered, true);
    assert.equal(registers(), before, 'no REGISTER was sent for an in-place reload');
    assert.doesNotMatch(door.logs(), /55667788|7394/, 'codes never reach the log');
  });

  it('refuses an invalid config, naming each problem, and keeps the running one', async () => {
    const before = registers();
    door.writeConfig({ sip: { ...sip, expires: 5 }, buttons: [] });
    const r = await door.cli('reload');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /still running the previous one/);
    assert.match(r.stderr, /buttons: must not be empty/);
    assert.match(r.stderr, /sip\.expires: must be a whole number from 60 to 86400/);
    assert.match(door.logs(), /event=reload-rejected trigger=command problems=2/);
    // The previous config is still in force: the gate button works, the registration stands.
    assert.equal((await door.cli('press', '--button', 'gate')).code, 0);
    assert.equal((await door.cli('hangup')).code, 0);
    assert.equal((await door.status()).registered, true);
    assert.equal(registers(), before);
  });

  it('on SIGHUP, refuses an invalid file and keeps running', async () => {
    const count = (door.logs().match(/event=reload-rejected trigger=SIGHUP/g) ?? []).length;
    door.writeConfig({ sip, buttons: [{ name: 'bell', call: [] }] });
    door.process.child.kill('SIGHUP');
    await waitUntil('reload-rejected logged', () => (door.logs().match(/event=reload-rejected trigger=SIGHUP/g) ?? []).length > count, { timeoutMs: 10_000 });
    assert.match(door.logs(), /event=config-problem problem="buttons\[0\]\.call: must not be empty"/);
    assert.equal(door.process.hasExited(), false);
    assert.equal((await door.status()).registered, true);
  });

  it('a call in progress stays up through an in-place reload', async () => {
    const buttons = [
      { name: 'bell', call: ['101'] },
      { name: 'flat', call: ['103'] },
    ];
    door.writeConfig({ sip, buttons });
    assert.equal((await door.cli('reload')).code, 0);
    assert.equal((await door.cli('press', '--button', 'flat')).code, 0);
    await phone.waitForEvent('CALL_ESTABLISHED', 10_000);
    await waitUntil('call active', async () => (await door.status()).call?.state === 'active', { timeoutMs: 5000 });

    door.writeConfig({ sip, buttons, door: { open_ms: 700 }, calls: { max_duration: 120 } });
    const r = await door.cli('reload');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^applied in place: /);
    const st = await door.status();
    assert.equal(st.call?.state, 'active', 'the call is still up');
    assert.ok(!phone.events().some((e) => e.type === 'CALL_CLOSED'), 'the phone saw no hangup');
    assert.equal((await door.cli('hangup')).code, 0);
    await phone.waitForEvent('CALL_CLOSED', 5000);
  });

  it('on SIGHUP, re-registers when a SIP setting changed', async () => {
    const before = registers();
    door.writeConfig({ sip: { ...sip, display_name: 'Front door' }, buttons: [{ name: 'bell', call: ['101'] }] });
    door.process.child.kill('SIGHUP');
    await waitUntil('reloaded logged', () => /event=reloaded trigger=SIGHUP summary="[^"]*re-registered for: sip\.display_name/.test(door.logs()), { timeoutMs: 20_000 });
    await waitUntil('registered again', async () => (await door.status()).registered && registers() > before, { timeoutMs: 15_000, intervalMs: 100 });
    assert.equal((await door.cli('press', '--button', 'gate')).code, 1, 'the gate button is gone with the new config');
  });
});
